#!/usr/bin/env bash
# Touchline's one entry point for newcomers and CI.
#   ./dev.sh run    install dependencies, build, start touchlined on 127.0.0.1:8080 (data in ./var/touchline)
#   ./dev.sh test   install dependencies, build everything, run every test
#   ./dev.sh build  install dependencies and build only
#   ./dev.sh bench  build and run the hot-path benchmarks (tools/bench.cc)
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
    build --target touchline_bench
    exec "$build_dir/tools/touchline_bench" "${@:2}"
    ;;
  *)
    sed -n '2,6p' "$0"
    exit 2
    ;;
esac
