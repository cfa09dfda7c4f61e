#!/usr/bin/env bash
# Installs what dpmon needs to build and run, from Debian 12's packages only.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config tzdata
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev
  libjemalloc-dev  # dpmon-server's allocator (docs/benchmarks.md)
  libxml2-dev  # camt.053 bank statements (ISO 20022 XML)
  libmicrohttpd-dev  # the HTTP listener: the JSON face of the API and the dashboard
  libkainjow-mustache-dev  # the dashboard's HTML templates (escaped by default; header only)
  libssl-dev  # SHA-256 and randomness for API keys (already a dependency of libgrpc-dev)
  openssl     # the TLS tests make their certificates with it
  python3 python3-yaml  # deploy/check.sh reads the Kubernetes manifests
  clang libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer and AddressSanitizer
  chromium  # the dashboard's browser tests (web/tests), driven by playwright-core
  restic  # deploy/backup-job.sh copies backups off the machine (deploy/check.sh tests it)
  prometheus  # promtool: the tests check GET /metrics and deploy/prometheus' alert rules
  curl git  # scripts/quickstart-test.sh tries the README's HTTP examples; --version names the commit
  libpq-dev  # bench/compare.sh: the PostgreSQL half (built, so that it keeps building; postgresql-15 itself only to run it)
)
# Node.js and npm for the browser tests: Debian's, unless the machine has them.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
