-- wrk script for tools/http_bench.sh: POST /v1/actions, recording "athlete_data.viewed" (one
-- ActionRecorded event, one synced append, per request).
--
-- Environment:
--   BENCH_TOKEN       the head coach's bearer token (POST /v1/sessions)
--   BENCH_ORGS        organisation ids, comma-separated; requests go round-robin over them, each
--                     wrk thread starting at its own offset
--   BENCH_TARGET      the member the action is done to (the head coach themself: a member of
--                     every organisation, so the action is allowed everywhere)
--   BENCH_PERMISSION  the athlete-data permission named (default athletes.view_activities)
--   BENCH_STATUSES    set: count answers by status and keep the first non-2xx body, printed at
--                     the end (defines response(), so wrk hands every response to Lua: this
--                     costs client CPU, hence off by default)
--
-- At the end it prints one line for the script to read:
--   BENCH_RESULT requests=N seconds=S rps=R ok_rps=R p50_ms=… p99_ms=… max_ms=… non2xx=N socket_errors=N
-- rps counts every completed request, ok_rps only those answered 2xx (durable commands).
-- non2xx is wrk's own count of responses with a status of 400 or more (what it prints as
-- "Non-2xx or 3xx responses"); the server answers this command 201 or an error, never 1xx/3xx.
-- Without BENCH_STATUSES no response() callback is defined, so wrk does not hand every response
-- to Lua.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local requests = {}
local next_request = 1

function init(args)
  local token = os.getenv("BENCH_TOKEN")
  local orgs = os.getenv("BENCH_ORGS")
  local target = os.getenv("BENCH_TARGET")
  local permission = os.getenv("BENCH_PERMISSION") or "athletes.view_activities"
  if not token or not orgs or not target then
    error("action.lua needs BENCH_TOKEN, BENCH_ORGS and BENCH_TARGET in the environment")
  end
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  for org in string.gmatch(orgs, "[^,]+") do
    local body = string.format(
      '{"organization_id":"%s","action":"athlete_data.viewed","permission":"%s","target":"%s"}',
      org, permission, target)
    table.insert(requests, wrk.format("POST", wrk.path, headers, body))
  end
  if #requests == 0 then error("BENCH_ORGS lists no organisation") end
  next_request = (thread_index or 0) % #requests + 1
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

if os.getenv("BENCH_STATUSES") then
  counts = {}       -- status -> answers, per thread (read back in done())
  first_error = ""  -- the first non-2xx answer's status and body

  function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
    if (status < 200 or status > 299) and first_error == "" then
      first_error = status .. " " .. (body or "")
    end
  end
end

function done(summary, latency, requests)
  if os.getenv("BENCH_STATUSES") then
    local total = {}
    for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("counts") or {}) do total[status] = (total[status] or 0) + n end
      local e = thread:get("first_error")
      if e and e ~= "" then io.write("first non-2xx answer: " .. e .. "\n") end
    end
    local parts = {}
    for status, n in pairs(total) do table.insert(parts, status .. ": " .. n) end
    table.sort(parts)
    io.write("answers by status: " .. table.concat(parts, ", ") .. "\n")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d seconds=%.3f rps=%.1f ok_rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds, (summary.requests - e.status) / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
