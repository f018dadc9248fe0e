-- wrk script: logs in new mini-program members (POST /api/mp/{appId}/session with the simulator's "sim:OPENID"
-- codes) and appends each session token to WG_TOKENS.<thread>; bench/points.sh interrupts wrk once it has enough.
local path = assert(os.getenv("WG_PATH"), "WG_PATH is required")
local tokens = assert(os.getenv("WG_TOKENS"), "WG_TOKENS is required")
local threadId = 0

function setup(thread)
  thread:set("tid", threadId)
  threadId = threadId + 1
end

local n = 0
local out

function init(args)
  out = assert(io.open(tokens .. "." .. tid, "w"))
end

function request()
  n = n + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, '{"code":"sim:o_ci_' .. tid .. '_' .. n .. '"}')
end

function response(status, headers, body)
  local token = body:match('"token"%s*:%s*"([^"]+)"')
  if status == 200 and token then
    out:write(token, "\n")
    out:flush()
  end
end
