#!/usr/bin/env bash
# tools/http_bench.sh: durable commands per second over HTTP, against a real touchlined, and
# permission checks per second beside nginx answering a fixed reply of the same size.
#
#   tools/http_bench.sh                  (or ./dev.sh bench http, which builds what it needs first)
#   TOUCHLINED=/path/to/other/touchlined tools/http_bench.sh
#   TOUCHLINED=build/api/touchlined:/other/build/api/touchlined tools/http_bench.sh
#
# In one run (each measurement, the floor's and each load's, starts after `sync`, on a disk with
# nothing left to write back):
#   1. the floor: one writer's synced appends per second (touchline_bench's
#      BM_DurableAppend/threads:1), on the filesystem that holds the server's data, measured
#      just before and just after each of the loads (a), (b) and (c) (the server idle), each
#      load's ratio using the mean of the two beside it: this disk's fsync latency drifts by
#      half within minutes, so a floor measured a minute away says little (a warning when the
#      two differ by more than 25%);
#   2. starts touchlined on a fresh data directory (127.0.0.1, a port the kernel picks);
#   3. signs up a coach who heads 64 organisations, and signs in;
#   4. the command measured: POST /v1/actions recording "athlete_data.viewed" by the head coach
#      on themself (permission athletes.view_activities): allowed, 201, one ActionRecorded event,
#      one synced append per request (checked first: two requests, positions one apart);
#   5. wrk loads: (a) 1 organisation, 1 connection; (b) 1 organisation, 64 connections;
#      (c) 64 organisations, 64 connections, round-robin;
#   6. stops the server, gives (a)'s organisation a history of $BENCH_HISTORY more events with
#      touchline_bench_fill, restarts it on the same data, sends one warm-up request, waits for
#      the projections to fold the filled history (GET /healthz), and runs (d) = (a) again;
#   7. prints a table: the floor, each load's commands/s (2xx answers per second), p99 latency
#      and non-2xx count, and the project's targets as ratios to the floor, pass or fail.
# The checks (BENCH_PART=reads or all), after step 3, for each server:
#   R1. one POST /v1/check by hand (the coach: plans.assign on themself in their organisation),
#       and nginx (Debian's nginx-light) started on a port of its own, answering every request
#       with exactly that response body and Content-Type: the machine's ceiling for a tiny HTTP
#       answer (its worker processes share the same cores, as touchlined's threads do);
#   R2. wrk -t2 -c64 POSTing the same body to nginx, then to POST /v1/check (token verified on
#       every request), then a 100-item POST /v1/checks (the same check 100 times);
#   R3. the table: check requests/s as a ratio to nginx's (target >= 0.7), the check's p99
#       (target <= 2 ms), and checks/s in batches as a ratio to single checks/s (target >= 10).
# (b) uses a second organisation, so that (a) and (b) both start on an organisation with an
# empty history; (d) uses (a)'s, whose stream then also holds the events (a) and (c) appended
# (the table says how many in all).
#
# Settings (environment):
#   TOUCHLINED           the server binary [build/api/touchlined]; several, separated by ':',
#                        are each measured in turn against the same floor, one table each
#   TOUCHLINE_BUILD_DIR  this tree's build directory, for touchline_bench and
#                        touchline_bench_fill [build]
#   TOUCHLINE_BENCH_DIR  where the run's work directory (floor's temp files, data
#                        directories, logs) goes [var/bench]; the floor is only meaningful
#                        on the same disk as the data, which is why both live here
#   BENCH_PART           all, writes (steps 1-7) or reads (R1-R3) [all]
#   BENCH_SECONDS        seconds per wrk load [10]
#   BENCH_HISTORY        events appended before (d) [100000]; 0 skips (d)
#   BENCH_TIMEOUT        wrk's per-request timeout, seconds [10]
#   BENCH_KEEP           set: keep the work directory (data, logs, wrk outputs)
#   BENCH_STRICT         set: exit 1 when a target is missed
#   BENCH_STATUSES       set: wrk counts answers by status and shows the first non-2xx body
#                        (hands every response to Lua: costs client CPU; off by default)
# Every request goes to 127.0.0.1; every step is bounded in time. Needs wrk, curl and jq (and
# nginx for the reads).
# touchlined runs without its access log (TOUCHLINE_LOG_REQUESTS=false unless set), as nginx runs
# with access_log off: both measure answering, not logging. Other TOUCHLINE_* variables reach
# touchlined as usual (e.g. TOUCHLINE_THREADS); the data directory, address, port, operator
# token and (where the binary knows it) durability are set by flags, which take precedence.
set -euo pipefail
export TOUCHLINE_LOG_REQUESTS=${TOUCHLINE_LOG_REQUESTS:-false}

caller_dir=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# A path the user gave, relative to where they ran us; a default, relative to the tree.
from_caller() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$caller_dir/$1" ;; esac; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "http_bench.sh: takes no arguments (settings are environment variables; see --help)" >&2
  exit 2
fi

build_dir=$root/build
if [[ -n ${TOUCHLINE_BUILD_DIR:-} ]]; then build_dir=$(from_caller "$TOUCHLINE_BUILD_DIR"); fi
servers=()
if [[ -n ${TOUCHLINED:-} ]]; then
  IFS=: read -r -a given <<<"$TOUCHLINED"
  for s in "${given[@]}"; do if [[ -n $s ]]; then servers+=("$(from_caller "$s")"); fi; done
else
  servers=("$build_dir/api/touchlined")
fi
bench_root=$root/var/bench
if [[ -n ${TOUCHLINE_BENCH_DIR:-} ]]; then bench_root=$(from_caller "$TOUCHLINE_BENCH_DIR"); fi
seconds=${BENCH_SECONDS:-10}
part=${BENCH_PART:-all}
history=${BENCH_HISTORY:-100000}
timeout=${BENCH_TIMEOUT:-10}
organizations=64
connections=64
lua=$root/tools/wrk/action.lua
bench_bin=$build_dir/tools/touchline_bench
fill_bin=$build_dir/tools/touchline_bench_fill

die() { echo "http_bench.sh: $*" >&2; exit 1; }
case $part in all | reads | writes) ;; *) die "BENCH_PART must be all, reads or writes (got '$part')" ;; esac
writes() { [[ $part != reads ]]; }
reads() { [[ $part != writes ]]; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if reads; then [[ -x $nginx_bin ]] || die "needs nginx for the reads (Debian: apt-get install nginx-light)"; fi
for v in seconds history timeout; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_${v^^} must be a whole number (got '${!v}')"
done
((seconds > 0)) || die "BENCH_SECONDS must be at least 1"
((timeout > 0)) || die "BENCH_TIMEOUT must be at least 1"
for tool in wrk curl jq awk; do
  command -v "$tool" >/dev/null || die "needs $tool (Debian: apt-get install $tool)"
done
! writes || [[ -x $bench_bin ]] || die "no $bench_bin: build it (cmake --build $build_dir --target touchline_bench; it needs libbenchmark-dev)"
! writes || [[ -x $fill_bin ]] || die "no $fill_bin: build it (cmake --build $build_dir --target touchline_bench_fill)"
((${#servers[@]} > 0)) || die "TOUCHLINED names no binary"
for s in "${servers[@]}"; do [[ -x $s ]] || die "no server binary $s (build it, or set TOUCHLINED)"; done

created_root=
if [[ ! -d $bench_root ]]; then created_root=1; fi
mkdir -p "$bench_root"
work=$(mktemp -d "$bench_root/run-XXXXXX")
work=$(cd "$work" && pwd)
operator_token=bench-operator-$RANDOM$RANDOM$RANDOM
server_pid=
run_start=$SECONDS

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "http_bench.sh: touchlined (pid $server_pid) still running 60 s after SIGTERM; sending SIGKILL" >&2
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

nginx_pid=
stop_nginx() {
  [[ -n $nginx_pid ]] || return 0
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=
}

cleanup() {
  local rc=$?
  stop_server
  stop_nginx
  if [[ -n ${BENCH_KEEP:-} ]]; then
    echo "kept the work directory: $work"
  else
    rm -rf "$work"
    if [[ -n $created_root ]]; then rmdir "$bench_root" 2>/dev/null || true; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x == "" || x == "-") print "-"; else printf "%.*f\n", d, x }'; }
thousands() { printf "%'d" "$1" 2>/dev/null || printf '%s' "$1"; }

# ---------------------------------------------------------------------------------------------
# 1. The floor, measured beside each load (fsync latency drifts when the machine gets busy).
floor_filter='BM_DurableAppend/.*threads:1$'
# Each measurement starts with the page cache written back (sync), so that what the previous
# step or server left dirty (a filled history, another build's loads) does not share the disk
# with this one's fsyncs.
quiesce_disk() { timeout 120 sync || true; }

declare -A floors
measure_floor() {  # measure_floor NAME: sets floors[NAME]
  local t0=$SECONDS rate
  echo "== floor ($1): one writer's synced appends, on the disk of the server's data" \
    "($(df -P "$work" | awk 'NR == 2 { print $1 " at " $6 }'))"
  mkdir -p "$work/floor-tmp"
  quiesce_disk
  TMPDIR=$work/floor-tmp timeout 300 "$bench_bin" --benchmark_filter="$floor_filter" --benchmark_min_time=3 \
    --benchmark_format=json >"$work/floor-$1.json" 2>"$work/floor-$1.stderr" ||
    { cat "$work/floor-$1.stderr" >&2; die "touchline_bench failed"; }
  rate=$(jq -r '[.benchmarks[] | select(.name | test("^BM_DurableAppend/.*threads:1$")) | .items_per_second][0] // empty' \
    "$work/floor-$1.json")
  [[ -n $rate ]] || die "no BM_DurableAppend/threads:1 result in touchline_bench's output ($work/floor-$1.json)"
  jq -r '.benchmarks[] | "\(.name): \(.iterations) appends, \(.real_time | . * 1000 | round / 1000) \(.time_unit) each, \(.items_per_second | round) appends/s"' \
    "$work/floor-$1.json"
  echo "floor ($1): $((SECONDS - t0)) s"
  floors[$1]=$rate
}
echo "http_bench.sh: ${seconds} s per load, history $history events, server(s): ${servers[*]}"
echo "work directory: $work"

# ---------------------------------------------------------------------------------------------
# HTTP helpers. api METHOD PATH [BODY] [TOKEN]: sets status and body.
base=
status=
body=
api() {
  local out args=(-sS --noproxy '*' --max-time 60 -X "$1" "$base$2" -H 'Content-Type: application/json'
    -w '\n%{http_code}')
  if [[ -n ${3:-} ]]; then args+=(--data-binary "$3"); fi
  if [[ -n ${4:-} ]]; then args+=(-H "Authorization: Bearer $4"); fi
  out=$(curl "${args[@]}") || die "request failed: $1 $2"
  status=${out##*$'\n'}
  body=${out%$'\n'*}
}
expect() {  # expect STATUS WHAT
  [[ $status == "$1" ]] || die "$2 answered $status, expected $1: $body"
}

# start_server BINARY DATA_DIR LOG: starts it, sets server_pid and base, waits for /healthz.
# Each start needs a LOG of its own: the port is read from it.
start_server() {
  local bin=$1 data=$2 log=$3 port= i flags=()
  local help
  help=$("$bin" --help 2>&1 || true)
  if [[ $help == *--relaxed-durability* ]]; then flags+=(--relaxed-durability false); fi
  # The load is one member recording actions as fast as it can: exactly what the per-member
  # limit is there to stop, so the benchmark turns it off (builds without it ignore this).
  if [[ $help == *--actions-per-member* ]]; then flags+=(--actions-per-member 0); fi
  echo "starting: $bin --data $data --address 127.0.0.1 --port 0 --operator-token … ${flags[*]}"
  "$bin" --data "$data" --address 127.0.0.1 --port 0 --operator-token "$operator_token" "${flags[@]}" \
    >"$log" 2>&1 &
  server_pid=$!
  for ((i = 0; i < 1200; i++)); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; server_pid=; die "touchlined exited while starting"; }
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$log" >&2; die "touchlined did not say where it listens within 120 s"; }
  base=http://127.0.0.1:$port
  for ((i = 0; i < 600; i++)); do
    curl -fsS --noproxy '*' --max-time 2 "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; server_pid=; die "touchlined exited while starting"; }
    sleep 0.1
  done
  curl -fsS --noproxy '*' --max-time 2 "$base/healthz" >/dev/null || die "GET $base/healthz does not answer"
  grep 'listening on' "$log" | tail -1
}

# The command measured, once, by hand: prints its position.
action_body() {
  printf '{"organization_id":"%s","action":"athlete_data.viewed","permission":"athletes.view_activities","target":"%s"}' \
    "$1" "$coach"
}
record_action() {  # record_action ORG WHAT [MAX_TIME]
  api POST /v1/actions "$(action_body "$1")" "$token"
  expect 201 "$2 (POST /v1/actions)"
  [[ $(jq -r .allowed <<<"$body") == true ]] || die "$2: the action was not allowed: $body"
  jq -r .position <<<"$body"
}

# One request of the command, not fatal: sets probe to its position, or empty (and says why).
probe_action() {  # probe_action ORG WHAT
  api POST /v1/actions "$(action_body "$1")" "$token"
  if [[ $status == 201 ]]; then
    probe=$(jq -r .position <<<"$body")
  else
    probe=
    echo "$2: POST /v1/actions answered $status: $body"
  fi
}

# run_load ID TITLE THREADS CONNECTIONS ORG_IDS(comma-separated)
declare -A result
run_load() {
  local id=$1 title=$2 threads=$3 conns=$4 orgs=$5 out=$work/wrk-$srv-$1.txt before after line kv
  probe_action "${orgs%%,*}" "before ($id)"
  before=$probe
  quiesce_disk
  echo
  echo "== ($id) $title: wrk -t$threads -c$conns -d${seconds}s --latency" \
    "($(tr -cd , <<<"$orgs" | wc -c | awk '{ print $1 + 1 }') organisation(s))"
  BENCH_TOKEN=$token BENCH_ORGS=$orgs BENCH_TARGET=$coach \
    timeout $((seconds + timeout + 60)) wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout "${timeout}s" \
    --latency -s "$lua" "$base/v1/actions" | tee "$out" || die "wrk failed"
  line=$(grep '^BENCH_RESULT ' "$out" | tail -1) || die "wrk printed no BENCH_RESULT line"
  for kv in ${line#BENCH_RESULT }; do
    result[$srv,$id,${kv%%=*}]=${kv#*=}
  done
  probe_action "${orgs%%,*}" "after ($id)"
  after=$probe
  if [[ -n $before && -n $after ]]; then
    echo "log positions: $before before, $after after: $((after - before - 1)) events appended;" \
      "wrk counted $((result[$srv,$id,requests] - result[$srv,$id,non2xx])) 2xx answers" \
      "(requests in flight when wrk stops also append)"
  fi
  if ((result[$srv,$id,non2xx] > 0)) && [[ -z ${BENCH_STATUSES:-} ]]; then
    echo "non-2xx answers: run again with BENCH_STATUSES=1 to have wrk count them by status"
  fi
}

# ---------------------------------------------------------------------------------------------
# R1-R2. The checks, beside nginx answering the same bytes.
post_lua=$root/tools/wrk/post.lua
batch=100

# read_load ID URL BODY: wrk -t2 -c$connections POSTing BODY; sets result[$srv,ID,*].
read_load() {
  local id=$1 url=$2 request=$3 out=$work/wrk-$srv-$1.txt line kv
  echo
  echo "== ($id) wrk -t2 -c$connections -d${seconds}s --latency POST $url"
  BENCH_TOKEN=$token BENCH_BODY=$request timeout $((seconds + timeout + 60)) wrk -t2 -c"$connections" \
    -d"${seconds}s" --timeout "${timeout}s" --latency -s "$post_lua" "$url" | tee "$out" || die "wrk failed"
  line=$(grep '^BENCH_RESULT ' "$out" | tail -1) || die "wrk printed no BENCH_RESULT line"
  for kv in ${line#BENCH_RESULT }; do result[$srv,$id,${kv%%=*}]=${kv#*=}; done
}

# start_nginx REPLY: nginx answering every request 200 with REPLY (application/json) on a free
# port (tried at random until one binds); sets nginx_pid and nginx_base.
nginx_base=
start_nginx() {
  local reply=$1 dir=$work/nginx port try i
  [[ $reply != *[\'\\\$]* ]] || die "the reply has a quote, backslash or dollar nginx would read: $reply"
  mkdir -p "$dir/logs" "$dir/tmp"
  for ((try = 0; try < 20; try++)); do
    port=$((20000 + RANDOM % 30000))
    cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  keepalive_requests 100000000;
  default_type application/json;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 '$reply'; }
  }
}
CONF
    "$nginx_bin" -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" >"$dir/logs/stdout" 2>&1 &
    nginx_pid=$!
    for ((i = 0; i < 50; i++)); do
      if curl -fsS --noproxy '*' --max-time 1 -o /dev/null "http://127.0.0.1:$port/"; then
        nginx_base=http://127.0.0.1:$port
        echo "nginx answering a fixed reply of ${#reply} bytes on $nginx_base"
        return 0
      fi
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    stop_nginx
  done
  cat "$dir/logs/error.log" >&2 || true
  die "nginx did not start (20 ports tried)"
}

run_reads() {
  local check_body batch_body reply items
  check_body=$(jq -nc --arg o "${orgs[0]}" --arg s "$coach" '{organization_id: $o, subject: $s, permission: "plans.assign"}')
  api POST /v1/check "$check_body" "$token"
  expect 200 "POST /v1/check"
  [[ $(jq -r .allowed <<<"$body") == true ]] || die "the check was not allowed: $body"
  reply=$body
  batch_body=$(jq -c --argjson n "$batch" '{checks: [range($n) as $i | .]}' <<<"$check_body")
  api POST /v1/checks "$batch_body" "$token"
  expect 200 "POST /v1/checks"
  items=$(jq '[.results[] | select(.allowed)] | length' <<<"$body")
  ((items == batch)) || die "POST /v1/checks allowed $items of $batch: $body"
  echo "check: POST /v1/check answers 200 (${#reply} bytes): $reply; POST /v1/checks answers $batch allowed"
  start_nginx "$reply"
  read_load nginx "$nginx_base/v1/check" "$check_body"
  stop_nginx
  read_load check "$base/v1/check" "$check_body"
  read_load checks "$base/v1/checks" "$batch_body"
}

# ---------------------------------------------------------------------------------------------
# 2-6, for each server binary.
for srv in "${!servers[@]}"; do
  bin=${servers[$srv]}
  data=$work/data-$srv
  echo
  echo "=============================================================================================="
  echo "== server $((srv + 1)) of ${#servers[@]}: $bin"
  start_server "$bin" "$data" "$work/touchlined-$srv-empty.log"

  # 3. The coach, 64 organisations, a token.
  t0=$SECONDS
  email=bench-coach-$srv@example.com
  password='bench password 1234'
  api POST /v1/commands/SignUp "$(jq -nc --arg e "$email" --arg p "$password" \
    '{email: $e, password: $p, display_name: "Bench Coach", membership_role: "coach", organization_name: "Bench Organisation 1"}')"
  expect 201 SignUp
  coach=$(jq -r .account_id <<<"$body")
  orgs=("$(jq -r .organization_id <<<"$body")")
  api POST /v1/sessions "$(jq -nc --arg e "$email" --arg p "$password" '{email: $e, password: $p}')"
  expect 201 "POST /v1/sessions"
  token=$(jq -r .token <<<"$body")
  for ((i = 2; i <= organizations; i++)); do
    api POST /v1/commands/CreateOrganization "{\"name\":\"Bench Organisation $i\"}" "$token"
    expect 201 CreateOrganization
    orgs+=("$(jq -r .organization_id <<<"$body")")
  done
  echo "setup: coach $coach heads ${#orgs[@]} organisations ($((SECONDS - t0)) s)"
  if reads; then run_reads; fi
  if ! writes; then
    stop_server
    continue
  fi

  # 4. The command: allowed, 201, one event each.
  p1=$(record_action "${orgs[0]}" "the first try")
  p2=$(record_action "${orgs[0]}" "the second try")
  ((p2 == p1 + 1)) || die "two POST /v1/actions answered positions $p1 and $p2: not one event each"
  echo "command: POST /v1/actions athlete_data.viewed answers 201, allowed, positions $p1 then $p2 (one event each)"

  # 5. The loads, each between two measurements of the floor.
  measure_floor "$srv,0"
  run_load a "1 organisation, 1 connection" 1 1 "${orgs[0]}"
  measure_floor "$srv,a"
  run_load b "1 organisation, $connections connections" 2 "$connections" "${orgs[1]}"
  measure_floor "$srv,b"
  run_load c "$organizations organisations, $connections connections" 2 "$connections" "$(IFS=,; echo "${orgs[*]}")"
  measure_floor "$srv,c"

  # 6. After a long history.
  if ((history > 0)); then
    echo
    echo "== (d) history: stopping the server, appending $history events to organisation ${orgs[0]}"
    t0=$SECONDS
    stop_server
    echo "stopped in $((SECONDS - t0)) s"
    t0=$SECONDS
    timeout 3600 "$fill_bin" --data "$data" --organization "${orgs[0]}" --actor "$coach" --events "$history" \
      2>&1 | tee "$work/fill-$srv.txt" || die "touchline_bench_fill failed"
    result[$srv,d,stream]=$(sed -n 's/.* now holds \([0-9]*\) events.*/\1/p' "$work/fill-$srv.txt" | tail -1)
    echo "fill: $((SECONDS - t0)) s"
    t0=$SECONDS
    start_server "$bin" "$data" "$work/touchlined-$srv-history.log"
    echo "restarted in $((SECONDS - t0)) s"
    t0=$(date +%s.%N)
    record_action "${orgs[0]}" "the warm-up request" >/dev/null
    echo "warm-up request: 201 in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }') s"
    # A restarted server's projections fold the filled history first (the permission projection
    # from position 0, in memory): a transient of the restart, not a cost of the command, so (d)
    # waits for them to reach the log's head, as it stands, before it measures.
    t0=$SECONDS
    for _ in $(seq 1 600); do
      health=$(curl -fsS --noproxy '*' --max-time 2 "$base/healthz" || true)
      caught_up=$(jq -r '.log_position as $h | [.projections[].position] | all(. >= $h)' <<<"$health" 2>/dev/null || true)
      [[ $caught_up == true ]] && break
      sleep 0.5
    done
    [[ $caught_up == true ]] || die "the projections did not catch up with the log within 300 s"
    echo "projections caught up with the log in $((SECONDS - t0)) s"
    run_load d "1 organisation, 1 connection, after $(thousands "$history") events" 1 1 "${orgs[0]}"
  fi
  stop_server
done

# The floors beside load (a), (b) or (c): measured just before it (after the previous load) and
# just after it.
floor_before() { case $2 in a) echo "${floors[$1,0]}" ;; b) echo "${floors[$1,a]}" ;; c) echo "${floors[$1,b]}" ;; esac; }
floor_after() { echo "${floors[$1,$2]}"; }
floor_beside() {  # floor_beside SRV LOAD: their mean
  awk -v a="$(floor_before "$1" "$2")" -v b="$(floor_after "$1" "$2")" 'BEGIN { print (a + b) / 2 }'
}
floor_drifted() {  # floor_drifted SRV LOAD: exit 0 when they differ by more than 25%
  awk -v a="$(floor_before "$1" "$2")" -v b="$(floor_after "$1" "$2")" \
    'BEGIN { d = (b - a) / a; if (d < 0) d = -d; exit !(d > 0.25) }'
}

# ---------------------------------------------------------------------------------------------
# 7. The table.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print ""; else printf "%.2f\n", a / b }'; }
met=0
missed=0
verdict() {  # verdict RATIO TARGET LOADS...: sets v to pass, FAIL, or FAIL (errors)
  local r=$1 target=$2 l errors=0
  shift 2
  for l in "$@"; do
    if ((${result[$srv,$l,non2xx]:-0} + ${result[$srv,$l,socket_errors]:-0} > 0)); then errors=1; fi
  done
  if [[ -z $r ]]; then
    v=-
  elif ((errors)); then
    missed=$((missed + 1))
    v="FAIL (errors)"
  elif awk -v r="$r" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
    met=$((met + 1))
    v=pass
  else
    missed=$((missed + 1))
    v=FAIL
  fi
}
ratio_row() {  # ratio_row RATIO WHAT VALUE TARGET LOADS...
  local name=$1 what=$2 r=$3 target=$4
  shift 4
  verdict "$r" "$target" "$@"
  printf '%-12s %-38s %8s %9s  %s\n' "$name" "$what" "${r:--}" ">= $target" "$v"
}

if writes; then
echo
echo "=============================================================================================="
echo "Durable commands over HTTP: POST /v1/actions (athlete_data.viewed: one ActionRecorded, one synced"
echo "append per request), wrk ${seconds} s per load, $(nproc) CPUs shared by wrk and the server"
echo "The floor is touchline_bench's BM_DurableAppend/threads:1 on the disk of the servers' data,"
echo "measured just before and just after each of (a), (b) and (c); each ratio uses the mean of the"
echo "two beside its load."
for srv in "${!servers[@]}"; do
  echo
  echo "server: ${servers[$srv]}"
  printf '%-51s %12s %10s %9s\n' "floor: one writer's synced appends/s" before after mean
  for l in a b c; do
    [[ -n ${floors[$srv,$l]:-} ]] || continue
    printf '%-51s %12s %10s %9s\n' "       beside ($l)" "$(fmt "$(floor_before "$srv" "$l")" 1)" \
      "$(fmt "$(floor_after "$srv" "$l")" 1)" "$(fmt "$(floor_beside "$srv" "$l")" 1)"
    if floor_drifted "$srv" "$l"; then
      echo "WARNING: the floor moved by more than 25% across ($l) (the disk's fsync latency changed:"
      echo "         something else is using the machine); its ratio is not reliable."
    fi
  done
  printf '%-51s %12s %10s %9s %8s\n' load commands/s "p99 ms" non-2xx errors
  for l in a b c d; do
    [[ -n ${result[$srv,$l,ok_rps]:-} ]] || continue
    case $l in
      a) title="(a) 1 org, 1 connection" ;;
      b) title="(b) 1 org, $connections connections" ;;
      c) title="(c) $organizations orgs, $connections connections" ;;
      d) title="(d) 1 org, 1 connection, after $(thousands "$history") events" ;;
    esac
    printf '%-51s %12s %10s %9s %8s\n' "$title" "$(fmt "${result[$srv,$l,ok_rps]}" 1)" \
      "$(fmt "${result[$srv,$l,p99_ms]}" 2)" "${result[$srv,$l,non2xx]}" "${result[$srv,$l,socket_errors]}"
  done
  if [[ -n ${result[$srv,d,stream]:-} ]]; then
    echo "    (d)'s organisation held $(thousands "${result[$srv,d,stream]}") events in its stream after the fill"
  fi
  echo
  printf '%-12s %-38s %8s %9s  %s\n' ratio "" value target result
  ratio_row "(a) / floor" "1 org, 1 client" "$(ratio "${result[$srv,a,ok_rps]}" "$(floor_beside "$srv" a)")" 0.5 a
  ratio_row "(b) / floor" "1 org, $connections clients" "$(ratio "${result[$srv,b,ok_rps]}" "$(floor_beside "$srv" b)")" 1.5 b
  ratio_row "(c) / floor" "$organizations orgs, $connections clients" \
    "$(ratio "${result[$srv,c,ok_rps]}" "$(floor_beside "$srv" c)")" 2.5 c
  if [[ -n ${result[$srv,d,ok_rps]:-} ]]; then
    ratio_row "(d) / (a)" "1 client, after history vs empty" \
      "$(ratio "${result[$srv,d,ok_rps]}" "${result[$srv,a,ok_rps]}")" 0.8 a d
  fi
done
if ((${#servers[@]} > 1)); then
  echo
  echo "commands/s side by side:"
  printf '%-8s' load
  for srv in "${!servers[@]}"; do printf ' %14s' "server $((srv + 1))"; done
  echo
  for l in a b c d; do
    [[ -n ${result[0,$l,ok_rps]:-} ]] || continue
    printf '%-8s' "($l)"
    for srv in "${!servers[@]}"; do printf ' %14s' "$(fmt "${result[$srv,$l,ok_rps]:-}" 1)"; done
    echo
  done
fi
fi
if reads; then
  echo
  echo "=============================================================================================="
  echo "Permission checks over HTTP: wrk -t2 -c$connections, ${seconds} s per load, $(nproc) CPUs shared by wrk"
  echo "and the server. nginx answers the check's own response body, fixed, to the same request."
  for srv in "${!servers[@]}"; do
    [[ -n ${result[$srv,check,rps]:-} ]] || continue
    echo
    echo "server: ${servers[$srv]}"
    printf '%-51s %12s %10s %9s %8s\n' load requests/s "p99 ms" non-2xx errors
    for l in nginx check checks; do
      case $l in
        nginx) title="nginx, the fixed reply" ;;
        check) title="POST /v1/check" ;;
        checks) title="POST /v1/checks, $batch items" ;;
      esac
      printf '%-51s %12s %10s %9s %8s\n' "$title" "$(fmt "${result[$srv,$l,rps]}" 1)" \
        "$(fmt "${result[$srv,$l,p99_ms]}" 2)" "${result[$srv,$l,non2xx]}" "${result[$srv,$l,socket_errors]}"
    done
    batched=$(awk -v r="${result[$srv,checks,rps]}" -v n="$batch" 'BEGIN { print r * n }')
    echo "    checks/s in batches: $(fmt "$batched" 1); single: $(fmt "${result[$srv,check,rps]}" 1)"
    echo
    printf '%-12s %-38s %8s %9s  %s\n' ratio "" value target result
    ratio_row "check/nginx" "requests/s, 64 connections" "$(ratio "${result[$srv,check,rps]}" "${result[$srv,nginx,rps]}")" 0.7 check nginx
    p99=${result[$srv,check,p99_ms]}
    if awk -v p="$p99" 'BEGIN { exit !(p <= 2) }'; then v=pass; met=$((met + 1)); else v=FAIL; missed=$((missed + 1)); fi
    if ((${result[$srv,check,non2xx]:-0} + ${result[$srv,check,socket_errors]:-0} > 0)); then v="FAIL (errors)"; fi
    printf '%-12s %-38s %8s %9s  %s\n' "check p99" "ms, 64 connections" "$(fmt "$p99" 2)" "<= 2" "$v"
    ratio_row "batch/single" "checks/s, $batch per request" "$(ratio "$batched" "${result[$srv,check,rps]}")" 10 checks check
  done
fi
echo
echo "targets: $met met, $missed missed; run took $((SECONDS - run_start)) s"
if [[ -n ${BENCH_STRICT:-} ]] && ((missed > 0)); then exit 1; fi
