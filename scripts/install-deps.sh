#!/usr/bin/env bash
# Installs every Debian package Touchline needs to build, run and test.
# Idempotent: when everything is present it returns in well under a second without touching apt.
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
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
