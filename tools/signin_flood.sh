#!/usr/bin/env bash
# What a sign-in flood costs everyone else: permission checks measured alone, then beside 8
# clients signing in as fast as they can, on each touchlined given, in turn, in one run.
#
#   tools/signin_flood.sh                                   # the build's touchlined
#   TOUCHLINED=old/api/touchlined:build/api/touchlined tools/signin_flood.sh   # before and after
#
# For each server, on a fresh data directory (127.0.0.1, a free port):
#   1. a coach signs up (founding an organisation) and signs in;
#   2. checks alone: wrk -t1 -c4 POST /v1/check (the coach on their own organisation) for
#      BENCH_SECONDS (default 10);
#   3. the flood: wrk -t1 -c8 POST /v1/sessions with the right password, started 2 s before
#      the same check load and running past its end.
# The sign-in limits are turned off where the build has them: this measures what the flood costs
# when it is let through (with them on, all but the first 30 sign-ins a minute are answered 429
# without hashing anything). Needs wrk, curl and jq (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${BENCH_SECONDS:-10}
IFS=: read -r -a servers <<<"${TOUCHLINED:-${TOUCHLINE_BUILD_DIR:-build}/api/touchlined}"
work=$(mktemp -d /tmp/touchline-flood-XXXXXX)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "signin_flood.sh: $*" >&2; exit 1; }

run_wrk() {  # PATH BODY TOKEN CONNECTIONS SECONDS OUT
  BENCH_BODY=$2 BENCH_TOKEN=$3 wrk -t1 -c"$4" -d"$5s" --timeout 30s -s tools/wrk/post.lua "$base$1" >"$6" 2>&1 ||
    die "wrk failed: $(cat "$6")"
  grep '^BENCH_RESULT ' "$6" | tail -1 | sed 's/^BENCH_RESULT //'
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

printf '%-50s %28s %40s\n' "server" "checks alone: /s, p99" "checks beside 8 signing in: /s, p99 (sign-ins/s)"
for srv in "${!servers[@]}"; do
  bin=${servers[$srv]}
  [[ -x $bin ]] || die "no touchlined at $bin"
  flags=()
  help=$("$bin" --help 2>&1 || true)
  for f in --password-attempts-per-address --sign-in-failures-per-account; do
    [[ $help == *$f* ]] && flags+=("$f" 0)
  done
  "$bin" --data "$work/data-$srv" --address 127.0.0.1 --port 0 "${flags[@]}" >"$work/server-$srv.log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server-$srv.log" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || die "touchlined did not start: $(cat "$work/server-$srv.log")"
  base=http://127.0.0.1:$port

  password='flood password 1234'
  up=$(curl -sf -X POST "$base/v1/commands/SignUp" -H 'Content-Type: application/json' \
    -d "{\"email\":\"flood@example.com\",\"password\":\"$password\",\"display_name\":\"Flood\",\"membership_role\":\"coach\",\"organization_name\":\"Flood Club\"}")
  coach=$(jq -r .account_id <<<"$up")
  org=$(jq -r .organization_id <<<"$up")
  sign_in="{\"email\":\"flood@example.com\",\"password\":\"$password\"}"
  token=$(curl -sf -X POST "$base/v1/sessions" -H 'Content-Type: application/json' -d "$sign_in" | jq -r .token)
  check="{\"organization_id\":\"$org\",\"subject\":\"$coach\",\"permission\":\"members.manage\"}"

  alone=$(run_wrk /v1/check "$check" "$token" 4 "$seconds" "$work/alone-$srv.txt")
  run_wrk /v1/sessions "$sign_in" "" 8 $((seconds + 4)) "$work/flood-$srv.txt" >"$work/flood-$srv.result" &
  flood_pid=$!
  sleep 2
  beside=$(run_wrk /v1/check "$check" "$token" 4 "$seconds" "$work/beside-$srv.txt")
  wait "$flood_pid"
  flood=$(cat "$work/flood-$srv.result")
  printf '%-50s %17s/s %7s ms %28s/s %7s ms (%s/s, %s non-2xx)\n' "$bin" \
    "$(field "$alone" rps)" "$(field "$alone" p99_ms)" "$(field "$beside" rps)" "$(field "$beside" p99_ms)" \
    "$(field "$flood" rps)" "$(field "$flood" non2xx)"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
done
