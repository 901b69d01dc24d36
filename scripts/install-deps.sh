#!/usr/bin/env bash
# Installs every Debian package Touchline needs to build, run and test.
# Idempotent: when everything is present it returns in well under a second without touching apt
# or npm.
set -euo pipefail

packages=(
  g++ cmake make ccache pkg-config curl jq
  lld                     # a faster linker for the project's many test executables
  libboost1.81-dev        # Asio and Beast (header-only use)
  librocksdb-dev          # the event log and projection state
  nlohmann-json3-dev      # JSON on the wire and in the log
  libsimdjson-dev         # reads JSON text (request bodies, stored events) several times faster
  libsodium-dev           # HMAC, Argon2id password hashing, Ed25519 tree head signatures, constant-time compare, random ids
  libssl-dev              # OpenSSL's libcrypto: the hash chain's SHA-256, on the CPU's SHA instructions
  libgtest-dev libgmock-dev
  libcli11-dev            # the touchline tool's command-line parsing (a kept library, not ours by hand)
  libbenchmark-dev        # Google Benchmark for the hot-path measurements
  wrk                     # the HTTP load benchmark (./dev.sh bench)
  nginx-light             # the HTTP benchmark's baseline: a fixed reply of a check's size (./dev.sh bench)
  clang libclang-rt-dev   # the sanitizer build: ASan, UBSan and libFuzzer (./dev.sh sanitize, fuzz)
  llvm                    # llvm-symbolizer: file:line in sanitizer reports
  python3 python3-cryptography  # tests/audit/: an auditor's verifier written apart from Touchline (Ed25519)
  python3-prometheus-client  # tests/ops/: the /metrics scrape read by Prometheus's own parser
  systemd                 # systemd-analyze: the install test checks packaging/touchlined.service.in
  chromium                # tests/console/: the console page driven headless (puppeteer-core, an npm package)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
apt_install() {
  echo "install-deps: installing $*"
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# Node.js and npm run tests/openapi and tests/console: the machine's own when it has them (a
# Node.js from elsewhere conflicts with Debian's npm package), Debian's otherwise.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

# The npm packages the JavaScript tests use, exactly as their package-lock.json pins them, from the
# npm registry; again only when the lock file changed since the last install.
for dir in tests/openapi tests/console; do
  root=$(cd "$(dirname "$0")/.." && pwd)/$dir
  stamp=$root/node_modules/.installed-lock
  if ! cmp -s "$root/package-lock.json" "$stamp"; then
    echo "install-deps: npm ci in $dir"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$root/package-lock.json" "$stamp"
  fi
done
