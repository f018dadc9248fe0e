-- wrk script: POST /api/mp/me/checkins, each request with the next member's session token from WG_TOKENS (one
-- check-in per member per day, so a token is used once); when the tokens run out the thread stops.
local tokens = assert(os.getenv("WG_TOKENS"), "WG_TOKENS is required")
local nthreads = tonumber(os.getenv("WG_THREADS") or "1")
local threadId = 0

function setup(thread)
  thread:set("tid", threadId)
  threadId = threadId + 1
end

local requests = {}
local nextRequest = 1

function init(args)
  local n = 0
  for token in io.lines(tokens) do
    if n % nthreads == tid then
      requests[#requests + 1] = wrk.format("POST", "/api/mp/me/checkins", { ["Authorization"] = "Bearer " .. token, ["Content-Length"] = "0" })
    end
    n = n + 1
  end
end

-- wrk calls request() once on thread 0 to check the script and never sends it: don't use a token up for it.
local verified = false

function request()
  if tid == 0 and not verified then
    verified = true
    return requests[1]
  end
  if nextRequest > #requests then
    wrk.thread:stop()
    return requests[#requests]
  end
  local r = requests[nextRequest]
  nextRequest = nextRequest + 1
  return r
end
