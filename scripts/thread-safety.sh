#!/usr/bin/env bash
# Builds dpmon's libraries and binaries with clang and -Wthread-safety
# -Werror into ./build-tsa: every lock annotation (ABSL_GUARDED_BY,
# ABSL_EXCLUSIVE_LOCKS_REQUIRED) is checked by the compiler. Run by
# scripts/test.sh (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-tsa -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DDPMON_THREAD_SAFETY=ON -DDPMON_WERROR=ON >/dev/null
cmake --build build-tsa -j "$(nproc)" --target dpmon-server dpctl dpmon-bench-ingest dpmon-bench-eval
echo "thread-safety: clean"
