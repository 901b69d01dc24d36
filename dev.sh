#!/usr/bin/env bash
# Touchline's one entry point for newcomers and CI.
#   ./dev.sh run    install dependencies, build, start touchlined on 127.0.0.1:8080 (data in ./var/touchline)
#   ./dev.sh test   install dependencies, build everything, run every test
#   ./dev.sh build  install dependencies and build only
#   ./dev.sh bench  build, run the hot-path benchmarks (tools/bench.cc), then durable commands/s
#                   over HTTP (tools/http_bench.sh: wrk against touchlined, about a minute)
#   ./dev.sh bench --benchmark_filter=BM_Check   only the Google Benchmarks, with their flags
#   ./dev.sh bench http                          only the HTTP benchmark (its settings, e.g.
#                                                BENCH_SECONDS, TOUCHLINED: tools/http_bench.sh --help)
set -euo pipefail
cd "$(dirname "$0")"

build_dir=${TOUCHLINE_BUILD_DIR:-build}
jobs=${TOUCHLINE_JOBS:-$(nproc)}

build() {
  bash scripts/install-deps.sh
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j "$jobs" "$@"
}

case "${1:-}" in
  run)
    build --target touchlined
    mkdir -p var/touchline
    export TOUCHLINE_OPERATOR_TOKEN=${TOUCHLINE_OPERATOR_TOKEN:-dev-operator-token}
    echo "operator token for GET /v1/events and operator commands: $TOUCHLINE_OPERATOR_TOKEN (set TOUCHLINE_OPERATOR_TOKEN to change it)"
    exec "$build_dir/api/touchlined" --data var/touchline --port "${TOUCHLINE_PORT:-8080}"
    ;;
  test)
    build
    cd "$build_dir"
    ctest --output-on-failure -j "$jobs"
    ;;
  build)
    build
    ;;
  bench)
    # With Google Benchmark flags: those benchmarks only. "http": the HTTP benchmark only.
    # Neither: both, the Google Benchmarks first.
    if [[ ${2:-} == http ]]; then
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
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
