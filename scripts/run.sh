#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and runs dpmon-server on a
# RocksDB directory under ./data: gRPC on 127.0.0.1:50051, HTTP (the JSON
# face of the API, docs/http.md) on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
mkdir -p data
exec ./build/dpmon-server --listen="${DPMON_LISTEN:-127.0.0.1:50051}" \
  --http_listen="${DPMON_HTTP_LISTEN:-127.0.0.1:8080}" --data_dir=data/dpmon "$@"
