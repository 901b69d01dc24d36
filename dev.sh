#!/usr/bin/env bash
# Touchline's one entry point for newcomers and CI.
#   ./dev.sh run    install dependencies, build (touchlined and the touchline tool), start touchlined on 127.0.0.1:8080 (data in ./var/touchline)
#   ./dev.sh test   install dependencies, build everything, run every test: the suite, the suite
#                   again under ASan+UBSan (clang), each fuzz target for a bounded time
#                   (TOUCHLINE_FUZZ_SECONDS, default 20); the suites include a short crash
#                   test (tests/crash/)
#   ./dev.sh test suite      the suite only (the everyday loop)
#   ./dev.sh sanitize        the suite under AddressSanitizer and UndefinedBehaviorSanitizer
#   ./dev.sh fuzz [seconds]  replay each fuzz target's corpus and kept crashes, then fuzz it
#   ./dev.sh crashtest [rounds] [flags]   SIGKILL touchlined under load, restart, check (default
#                   10 rounds; flags: build/tests/crash/touchline_crashtest --help)
#   ./dev.sh modeltest [steps] [seed]     random commands, every check compared after each step
#                   with the reference evaluator (tests/model/; default 100000 steps)
#   ./dev.sh build  install dependencies and build only
#   ./dev.sh bench  build, run the hot-path benchmarks (tools/bench.cc), then durable commands/s
#                   and checks/s over HTTP (tools/http_bench.sh: wrk against touchlined, checks
#                   beside nginx's fixed reply; a few minutes)
#   ./dev.sh bench --benchmark_filter=BM_Check   only the Google Benchmarks, with their flags
#   ./dev.sh bench http                          only the HTTP benchmark (its settings, e.g.
#                                                BENCH_SECONDS, TOUCHLINED: tools/http_bench.sh --help)
#   ./dev.sh bench replay                        touchline verify and rebuild on a log of a million
#                                                events it makes (tools/replay_bench.sh --help)
set -euo pipefail
cd "$(dirname "$0")"

build_dir=${TOUCHLINE_BUILD_DIR:-build}
jobs=${TOUCHLINE_JOBS:-$(nproc)}
# Most tests wait on a server or a disk sync more than they compute: twice as many as cores.
test_jobs=${TOUCHLINE_TEST_JOBS:-$((2 * jobs))}

sanitize_dir=${TOUCHLINE_SANITIZE_BUILD_DIR:-build-sanitize}
fuzz_seconds=${TOUCHLINE_FUZZ_SECONDS:-20}

build() {
  bash scripts/install-deps.sh
  # -g1: line tables and function names, so a backtrace still names file and line, for about a
  # quarter less compile time than -g (configure with -g to see local variables in a debugger).
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
  cmake --build "$build_dir" -j "$jobs" "$@"
}

build_sanitized() {
  bash scripts/install-deps.sh
  # -O1 and line tables only: quicker to build than -O2 -g, and still a file:line per frame.
  CXX=clang++ cmake -S . -B "$sanitize_dir" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DTOUCHLINE_SANITIZE=ON >/dev/null
  cmake --build "$sanitize_dir" -j "$jobs" "$@"
}

# Any sanitizer report ends the process with a failure; leaks are reported too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

stage() { printf '\n== %s (%s)\n' "$1" "$(date -u +%T)"; }

run_suite() {
  build
  (cd "$build_dir" && ctest --output-on-failure -j "$test_jobs")
}

run_sanitized_suite() {
  build_sanitized
  (cd "$sanitize_dir" && ctest --output-on-failure -j "$test_jobs")
}

# Each target: its seed corpus and kept crashes first (they must pass), then new inputs for
# `seconds`, in a scratch copy of the corpus so a run does not write into the repository. The
# targets run as many at a time as there are jobs (each fuzzer is one process on one core). A
# crash leaves its input in $sanitize_dir/tests/fuzz/work/<target>/: add it to
# tests/fuzz/regressions/<target>/.
run_fuzzers() {
  local seconds=$1
  build_sanitized --target fuzz_events fuzz_json fuzz_commands fuzz_http
  local target root=$PWD bin_dir failed=0 targets=(events json commands http) at_once=$((jobs > 0 ? jobs : 1))
  bin_dir=$(cd "$sanitize_dir" && pwd)/tests/fuzz
  for target in "${targets[@]}"; do
    local work="$bin_dir/work/$target"
    rm -rf "$work" && mkdir -p "$work/corpus"
    cp tests/fuzz/corpus/$target/* "$work/corpus/"
    (
      cd "$work"
      if "$bin_dir/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 -timeout=20 \
           corpus "$root/tests/fuzz/regressions/$target" >log 2>&1; then
        echo 0 >status
      else
        echo $? >status
      fi
    ) &
    # The status files carry the results: a wait's own status is not one.
    while (($(jobs -rp | wc -l) >= at_once)); do wait -n || true; done
  done
  wait || true
  for target in "${targets[@]}"; do
    local work="$bin_dir/work/$target"
    if [[ $(cat "$work/status" 2>/dev/null) != 0 ]]; then
      cat "$work/log" 2>/dev/null || true
      echo "fuzz_$target failed: the input is in $work (crash-*); keep it in tests/fuzz/regressions/$target/" >&2
      failed=1
      continue
    fi
    echo "fuzz_$target: $(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}') inputs in ${seconds}s, $(ls "$work/corpus" | wc -l) in the corpus"
  done
  return "$failed"
}

case "${1:-}" in
  run)
    build --target touchlined touchline
    mkdir -p var/touchline
    export TOUCHLINE_OPERATOR_TOKEN=${TOUCHLINE_OPERATOR_TOKEN:-dev-operator-token}
    echo "operator token for GET /v1/events and operator commands: $TOUCHLINE_OPERATOR_TOKEN (set TOUCHLINE_OPERATOR_TOKEN to change it)"
    exec "$build_dir/api/touchlined" --data var/touchline --port "${TOUCHLINE_PORT:-8080}"
    ;;
  test)
    if [[ ${2:-} == suite ]]; then
      run_suite
      exit
    fi
    started=$SECONDS
    stage "the suite"
    run_suite
    stage "the suite under ASan and UBSan"
    run_sanitized_suite
    stage "fuzzing, ${fuzz_seconds}s a target"
    run_fuzzers "$fuzz_seconds"
    stage "every test passed in $((SECONDS - started))s"
    ;;
  sanitize)
    run_sanitized_suite
    ;;
  fuzz)
    run_fuzzers "${2:-60}"
    ;;
  crashtest)
    build --target touchline_crashtest
    exec "$build_dir/tests/crash/touchline_crashtest" --touchlined "$build_dir/api/touchlined" \
      --touchline "$build_dir/tools/touchline" --rounds "${2:-10}" "${@:3}"
    ;;
  modeltest)
    build --target model_test
    TOUCHLINE_MODEL_STEPS=${2:-100000} TOUCHLINE_MODEL_SEED=${3:-$RANDOM$RANDOM} \
      exec "$build_dir/tests/model/model_test"
    ;;
  build)
    build
    ;;
  bench)
    # With Google Benchmark flags: those benchmarks only. "http": the HTTP benchmark only.
    # Neither: both, the Google Benchmarks first.
    if [[ ${2:-} == replay ]]; then
      [[ $# -eq 2 ]] || { echo "usage: ./dev.sh bench replay   (settings are environment variables)" >&2; exit 2; }
      build --target touchlined touchline touchline_bench_fill touchline_history_bench
      TOUCHLINE_BUILD_DIR=$build_dir exec tools/replay_bench.sh
    elif [[ ${2:-} == http ]]; then
      [[ $# -eq 2 ]] || { echo "usage: ./dev.sh bench http   (settings are environment variables)" >&2; exit 2; }
      build --target touchlined touchline_bench touchline_bench_fill
      TOUCHLINE_BUILD_DIR=$build_dir exec tools/http_bench.sh
    elif [[ $# -gt 1 ]]; then
      build --target touchline_bench
      exec "$build_dir/tools/touchline_bench" "${@:2}"
    fi
    build --target touchline_bench touchlined touchline_bench_fill
    "$build_dir/tools/touchline_bench"
    TOUCHLINE_BUILD_DIR=$build_dir exec tools/http_bench.sh
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d'
    exit 2
    ;;
esac
