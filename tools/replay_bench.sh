#!/usr/bin/env bash
# tools/replay_bench.sh: what an auditor's `touchline verify` and an operator's
# `touchline rebuild --projection all` cost on a long log, in events per second.
#
#   tools/replay_bench.sh                  (or ./dev.sh bench replay, which builds what it needs)
#
# In one run:
#   1. makes the log: starts touchlined on a fresh data directory, signs up a coach with an
#      organisation, stops it, then appends ActionRecorded events to that organisation
#      (touchline_bench_fill: each the event POST /v1/actions would record, decided by the
#      domain) until the log holds BENCH_EVENTS events;
#   2. runs `touchline verify` on it (the whole hash chain), timed;
#   3. runs `touchline rebuild --projection all` on it (the permission projection and the audit
#      projection's lists, from position 0, in one pass over the log), timed;
#   4. times reads of the past on it (touchline_history_bench: a check at_position, at 200
#      random positions, and at_time, at 200 random times), against the target of 50 ms;
#   5. runs `touchline export` (the log and a signed tree head in one file) and then
#      `touchline verify --file` on that file (chain, Merkle root, signature, offline), each timed;
#   6. runs `touchline backup` of the data directory (a copy verified as it is made), timed;
#   7. prints events/s for each, against the target of 500,000 events/s for the verifications
#      and the rebuild (the export and the backup have none).
#
# Settings (environment):
#   BENCH_EVENTS         events in the log [1000000]
#   TOUCHLINE_BUILD_DIR  the build directory holding touchlined, touchline,
#                        touchline_bench_fill and touchline_history_bench [build]
#   TOUCHLINE_BENCH_DIR  where the run's work directory goes [var/bench]
#   BENCH_KEEP           set: keep the work directory (the log can be reused by hand)
# Needs curl and jq. Every step is bounded in time.
set -euo pipefail

caller_dir=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
from_caller() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$caller_dir/$1" ;; esac; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
die() { echo "replay_bench.sh: $*" >&2; exit 1; }
[[ $# -eq 0 ]] || die "takes no arguments (settings are environment variables; see --help)"

build_dir=$root/build
if [[ -n ${TOUCHLINE_BUILD_DIR:-} ]]; then build_dir=$(from_caller "$TOUCHLINE_BUILD_DIR"); fi
bench_root=$root/var/bench
if [[ -n ${TOUCHLINE_BENCH_DIR:-} ]]; then bench_root=$(from_caller "$TOUCHLINE_BENCH_DIR"); fi
events=${BENCH_EVENTS:-1000000}
[[ $events =~ ^[0-9]+$ ]] && ((events >= 10)) || die "BENCH_EVENTS must be a whole number of at least 10 (got '$events')"
server=$build_dir/api/touchlined
cli=$build_dir/tools/touchline
fill=$build_dir/tools/touchline_bench_fill
history=$build_dir/tools/touchline_history_bench
for b in "$server" "$cli" "$fill" "$history"; do [[ -x $b ]] || die "no $b: build it (./dev.sh bench replay builds it)"; done
for tool in curl jq awk; do command -v "$tool" >/dev/null || die "needs $tool"; done

mkdir -p "$bench_root"
work=$(mktemp -d "$bench_root/replay-XXXXXX")
work=$(cd "$work" && pwd)
data=$work/data
server_pid=
cleanup() {
  local rc=$?
  if [[ -n $server_pid ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n ${BENCH_KEEP:-} ]]; then echo "kept the work directory: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT

# 1. The log.
echo "== making a log of $events events in $data"
"$server" --data "$data" --address 127.0.0.1 --port 0 --operator-token "replay-bench-$RANDOM$RANDOM" \
  >"$work/touchlined.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 600); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/touchlined.log" | tail -1)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/touchlined.log" >&2; die "touchlined exited while starting"; }
  sleep 0.1
done
[[ -n $port ]] || die "touchlined did not say where it listens within 60 s"
signup=$(curl -fsS --noproxy '*' --max-time 60 -X POST "http://127.0.0.1:$port/v1/commands/SignUp" \
  -H 'Content-Type: application/json' \
  -d '{"email":"replay@example.com","password":"replay bench password","display_name":"Replay Coach","membership_role":"coach","organization_name":"Replay Club"}') ||
  die "SignUp failed"
coach=$(jq -r .account_id <<<"$signup")
org=$(jq -r .organization_id <<<"$signup")
start_position=$(jq -r .position <<<"$signup")
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=
t0=$(date +%s.%N)
timeout 7200 "$fill" --data "$data" --organization "$org" --actor "$coach" --events $((events - start_position)) \
  --batch 5000 | tail -2
echo "made in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

# timed LABEL COMMAND...: runs it, keeps its last lines, sets elapsed (seconds).
elapsed=
timed() {
  local label=$1 start
  shift
  echo
  echo "== $label: $*"
  start=$(date +%s.%N)
  timeout 7200 "$@" >"$work/$label.out" 2>"$work/$label.err" || { tail -5 "$work/$label.err" >&2; cat "$work/$label.out" >&2; die "$label failed"; }
  elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  tail -3 "$work/$label.out"
}
timed verify "$cli" verify --data "$data"
verify_s=$elapsed
timed rebuild "$cli" rebuild --data "$data" --projection all
rebuild_s=$elapsed
timed history "$history" --data "$data" --organization "$org" --subject "$coach" \
  --permission athletes.view_activities --target "$coach"
history_lines=$(grep 'target < 50 ms' "$work/history.out")
timed export "$cli" export --data "$data" --to "$work/export.ndjson"
export_s=$elapsed
timed verify_file "$cli" verify --file "$work/export.ndjson"
verify_file_s=$elapsed
rm -f "$work/export.ndjson"  # as large as the log's text; not kept even with BENCH_KEEP
timed backup "$cli" backup --data "$data" --to "$work/backup"
backup_s=$elapsed
rm -rf "$work/backup"  # as large as the data directory; not kept even with BENCH_KEEP

rate() { awk -v n="$events" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
row() {  # row WHAT SECONDS
  local r
  r=$(rate "$2")
  printf '%-44s %10.1f %14s %10s  %s\n' "$1" "$2" "$r" ">= 500000" "$(awk -v r="$r" 'BEGIN { print (r >= 500000) ? "pass" : "FAIL" }')"
}
echo
echo "=============================================================================================="
echo "A log of $events events (ActionRecorded in one organisation, after its sign-up); $(nproc) CPUs"
printf '%-44s %10s %14s %10s  %s\n' "" seconds "events/s" target result
row "touchline verify" "$verify_s"
row "touchline rebuild --projection all" "$rebuild_s"
row "touchline verify --file (an export)" "$verify_file_s"
printf '%-44s %10.1f %14s\n' "touchline export" "$export_s" "$(rate "$export_s")"
printf '%-44s %10.1f %14s\n' "touchline backup (copy, then verify it)" "$backup_s" "$(rate "$backup_s")"
echo
echo "Reads of the past (touchline_history_bench):"
echo "$history_lines"
