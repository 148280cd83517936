-- wrk script for the API's release probe: each flow creates an anonymous session, then lists
-- that session's configurations with the token. Connections of a thread share a queue of
-- fresh tokens, so every list request uses a token created moments before.
--
--   wrk -t2 -c16 -d20s --latency -s tests/load/session-flow.lua http://127.0.0.1:18093
--
-- Flows per second = the list requests per second = half the requests per second (the
-- summary prints them). Rate limits must be raised for the run (SENTIMENT_RATE_LIMITS).

local tokens = {}

request = function()
  local token = table.remove(tokens)
  if token then
    return wrk.format("GET", "/api/v2/configurations", { ["Authorization"] = "Bearer " .. token })
  end
  return wrk.format("POST", "/api/v2/auth/anonymous")
end

response = function(status, headers, body)
  if status == 201 then
    local token = body:match('"token":"([^"]+)"')
    if token then
      table.insert(tokens, token)
    end
  end
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("requests: %d in %.1f s; non-2xx or unparsed: %d (%d errors)\n",
    summary.requests, seconds, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("flows (session + list): %.0f/s\n", summary.requests / 2 / seconds))
  io.write(string.format("latency per request: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
