#!/usr/bin/env bash
# Runs the benchmarks against a fresh server on a temporary data directory.
#   bench/run.sh [sync|none] [extra dpmon-bench-ingest flags]
# AUTH=off runs the server with --auth=off, to measure what authentication costs.
set -euo pipefail
cd "$(dirname "$0")/.."
durability="${1:-sync}"
shift || true
./scripts/build.sh >/dev/null
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$dir/db" --durability="$durability" \
  --ready_file="$dir/ready" --http_listen=127.0.0.1:0 --auth="${AUTH:-on}" 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
addr=$(head -n1 "$dir/ready")
key="$dir/db-admin.key"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; durability=$durability; auth=${AUTH:-on}"
./build/dpmon-bench-ingest --server="$addr" --key_file="$key" "$@"
start=$(date +%s.%N)
./build/dpctl --server="$addr" --key_file="$key" --progress=false import ../shared/scenarios/council-demo.jsonl >/dev/null
end=$(date +%s.%N)
echo "import council-demo.jsonl (8,613 lines): $(echo "$end - $start" | bc) s"
