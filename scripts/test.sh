#!/usr/bin/env bash
# Installs what is needed, builds with warnings as errors, and runs every
# test (unit, storage, integration against the real server, crash recovery).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DDPMON_WERROR=ON
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900
