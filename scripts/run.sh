#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and runs dpmon-server on a
# RocksDB directory under ./data, listening on 127.0.0.1:50051.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
mkdir -p data
exec ./build/dpmon-server --listen="${DPMON_LISTEN:-127.0.0.1:50051}" --data_dir=data/dpmon "$@"
