-- wrk script for POST /wechat/{appId}: replays pre-computed pushes (bench/WebhookBench.Gen), one per request, so every
-- request is a distinct push with its own nonce, signature and (safe mode) msg_signature.
--
-- Configured through the environment (bench/webhook.sh sets all of it):
--   WG_PATH         /wechat/APPID
--   WG_FILE         lines "QUERY<TAB>BODY"; thread t sends the lines whose number is t modulo WG_THREADS, in order,
--                   and counts a wrap when it runs out and starts again (a wrap re-sends pushes: retries)
--   WG_THREADS      wrk's -t
--   WG_ONCE         optional, 1: send each line once; once they are all sent, send GET /healthz instead (counted as
--                   healthz=N) until bench/webhook.sh sees every push recorded and interrupts wrk
--   WG_RATE         optional: total requests per second across all threads (open-loop schedule via delay());
--                   wrk2 is not packaged for Debian, so this stands in for its fixed-rate mode
--
-- done() prints one machine-readable line, "WGBENCH key=value ...", that bench/webhook.sh parses.

local path = os.getenv("WG_PATH") or "/wechat/app"
local file = assert(os.getenv("WG_FILE"), "WG_FILE is required")
local nthreads = tonumber(os.getenv("WG_THREADS") or "1")
local rate = tonumber(os.getenv("WG_RATE") or "0")
local once = os.getenv("WG_ONCE") == "1"
local headers = { ["Content-Type"] = "text/xml" }

local threads = {}
local threadId = 0

function setup(thread)
  thread:set("tid", threadId)
  threadId = threadId + 1
  table.insert(threads, thread)
end

-- Per-thread state (each wrk thread runs its own Lua state; tid is set by setup before init).
sent = 0
wrapped = 0
healthz = 0
local lines = {}
local healthzRequest
local nextLine = 1

function init(args)
  local n = 0
  for line in io.lines(file) do
    if n % nthreads == tid then
      local tab = line:find("\t", 1, true)
      lines[#lines + 1] = wrk.format("POST", path .. line:sub(1, tab - 1), headers, line:sub(tab + 1))
    end
    n = n + 1
  end
  assert(#lines > 0, "no requests for thread " .. tid .. " in " .. file)
  healthzRequest = wrk.format("GET", "/healthz")
end

-- wrk calls request() once on thread 0 right after init() to check the script, and never sends that request:
-- answer it with the first line without using it up, or that push would be counted as sent and never arrive.
local verified = false

function request()
  if tid == 0 and not verified then
    verified = true
    return lines[1]
  end
  if once and nextLine > #lines then
    healthz = healthz + 1
    return healthzRequest
  end
  sent = sent + 1
  if nextLine > #lines then
    nextLine = 1
    wrapped = wrapped + 1
  end
  local r = lines[nextLine]
  nextLine = nextLine + 1
  return r
end

if rate > 0 then
  -- Open-loop pacing: each thread hands out send slots interval ms apart, whichever of its connections asks next.
  -- wrk's timers have 1 ms resolution, so at 2,000 req/s the slots are served in pairs each millisecond. Latency is
  -- measured from the actual send, so a server that falls behind shows as a lower achieved rate (reported) and, once
  -- every connection is busy, as understated latency: wrk2 would correct for that coordinated omission; this does not.
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } wg_timespec;
    int clock_gettime(int clk_id, wg_timespec *tp);
  ]]
  local ts = ffi.new("wg_timespec")
  local function nowMs()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 * nthreads / rate
  local slot = nil

  function delay()
    local now = nowMs()
    slot = (slot or now) + interval
    local wait = slot - now
    if wait < 0 then
      return 0
    end
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local totalSent, totalWrapped, totalHealthz = 0, 0, 0
  for _, thread in ipairs(threads) do
    totalSent = totalSent + (thread:get("sent") or 0)
    totalWrapped = totalWrapped + (thread:get("wrapped") or 0)
    totalHealthz = totalHealthz + (thread:get("healthz") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "WGBENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d sent=%d wrapped=%d healthz=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, totalSent, totalWrapped, totalHealthz))
end
