#!/usr/bin/env bash
# Installs what is needed, builds with warnings as errors, and runs every
# test (domain, unit, storage, integration against the real server, crash
# recovery, deploy/check.sh, the dashboard in Debian's chromium), the README's
# quick start (scripts/quickstart-test.sh), then the clang build that checks every lock
# annotation (scripts/thread-safety.sh) and a short fuzz run of the feed
# parsers (DPMON_FUZZ_SECONDS each, default 15; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DDPMON_WERROR=ON
# The browser tests' packages, exactly as the lockfile pins them (no browser
# download: playwright-core drives Debian's chromium).
(cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)
# The README's quick start, as a newcomer would run it (needs no ./data).
if [ ! -e data ]; then ./scripts/quickstart-test.sh; else echo "quickstart-test: skipped (./data exists)"; fi
./scripts/thread-safety.sh
if [ "${DPMON_FUZZ_SECONDS:-15}" != 0 ]; then
  ./scripts/fuzz.sh "${DPMON_FUZZ_SECONDS:-15}"
fi
