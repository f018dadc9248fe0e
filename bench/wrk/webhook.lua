-- wrk script for POST /wechat/{appId}: every request is a distinct push (its own MsgId), from a population of followers.
--
-- Configured through the environment (bench/webhook.sh sets all of it):
--   WG_MODE         plain | safe
--   WG_PATH         /wechat/APPID
--   WG_THREADS      wrk's -t (each thread takes its own share of MsgIds or of the safe file)
--   plain: WG_APP_ID, WG_QUERY (?signature=..&timestamp=..&nonce=..: plaintext signatures do not cover the body, so
--          one serves every push), WG_TIMESTAMP, WG_MSGID_BASE, WG_FOLLOWERS
--   safe:  WG_FILE, lines "QUERY<TAB>BODY" from WebhookBench.Gen (each with its own msg_signature); thread t sends the
--          lines whose number is t modulo WG_THREADS, and counts a wrap if it runs out (a wrap re-sends MsgIds)
--   WG_RATE         optional: total requests per second across all threads (open-loop schedule via delay());
--                   wrk2 is not packaged for Debian, so this stands in for its fixed-rate mode
--
-- done() prints one machine-readable line, "WGBENCH key=value ...", that bench/webhook.sh parses.

local mode = os.getenv("WG_MODE") or "plain"
local path = os.getenv("WG_PATH") or "/wechat/app"
local nthreads = tonumber(os.getenv("WG_THREADS") or "2")
local rate = tonumber(os.getenv("WG_RATE") or "0")

-- Same stride and names as WebhookBench.Gen, so both modes spread pushes over the same followers.
local followerStride = 7919
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
local lines = {}
local nextLine = 1
local counter = 0
local appId, query, timestamp, msgIdBase, followers

function init(args)
  if mode == "safe" then
    local file = assert(os.getenv("WG_FILE"), "WG_FILE is required in safe mode")
    local n = 0
    for line in io.lines(file) do
      if n % nthreads == tid then
        local tab = line:find("\t", 1, true)
        lines[#lines + 1] = wrk.format("POST", path .. line:sub(1, tab - 1), headers, line:sub(tab + 1))
      end
      n = n + 1
    end
    assert(#lines > 0, "no requests for thread " .. tid .. " in " .. file)
  else
    appId = assert(os.getenv("WG_APP_ID"), "WG_APP_ID is required in plain mode")
    query = assert(os.getenv("WG_QUERY"), "WG_QUERY is required in plain mode")
    timestamp = assert(os.getenv("WG_TIMESTAMP"), "WG_TIMESTAMP is required in plain mode")
    msgIdBase = tonumber(os.getenv("WG_MSGID_BASE") or "1000000000000")
    followers = tonumber(os.getenv("WG_FOLLOWERS") or "10000")
  end
end

local function plainRequest()
  -- Threads interleave MsgIds (base + k * threads + tid), so every request of the run has its own.
  local k = counter * nthreads + tid
  counter = counter + 1
  local msgId = string.format("%.0f", msgIdBase + k)
  local openId = string.format("oBench%022d", (k * followerStride) % followers)
  local body = "<xml><ToUserName><![CDATA[gh_" .. appId .. "]]></ToUserName>"
    .. "<FromUserName><![CDATA[" .. openId .. "]]></FromUserName>"
    .. "<CreateTime>" .. timestamp .. "</CreateTime>"
    .. "<MsgType><![CDATA[text]]></MsgType>"
    .. "<Content><![CDATA[你好，我想查一下我的积分 " .. msgId .. "]]></Content>"
    .. "<MsgId>" .. msgId .. "</MsgId>"
    .. "</xml>"
  return wrk.format("POST", path .. query .. "&openid=" .. openId, headers, body)
end

function request()
  sent = sent + 1
  if mode == "safe" then
    if nextLine > #lines then
      nextLine = 1
      wrapped = wrapped + 1
    end
    local r = lines[nextLine]
    nextLine = nextLine + 1
    return r
  end
  return plainRequest()
end

if rate > 0 then
  -- Open-loop pacing: each thread hands out send slots interval ms apart, whichever of its connections asks next.
  -- Latency is measured from the actual send, so a server that falls behind shows as a lower achieved rate
  -- (reported) rather than as queueing delay (wrk2 would correct for that; this does not).
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
  local totalSent, totalWrapped = 0, 0
  for _, thread in ipairs(threads) do
    totalSent = totalSent + (thread:get("sent") or 0)
    totalWrapped = totalWrapped + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "WGBENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d sent=%d wrapped=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, totalSent, totalWrapped))
end
