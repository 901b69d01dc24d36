-- wrk script for tools/signin_flood.sh: one fixed POST, over and over.
--
-- Environment:
--   BENCH_BODY    the JSON body
--   BENCH_TOKEN   a bearer token (optional)
--
-- At the end it prints one line for the script to read:
--   BENCH_RESULT requests=N rps=R p50_ms=… p99_ms=… max_ms=… non2xx=N socket_errors=N

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  local body = os.getenv("BENCH_BODY")
  if not body then error("post.lua needs BENCH_BODY in the environment") end
  req = wrk.format("POST", wrk.path, headers, body)
end

function request()
  return req
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
