#!/usr/bin/env bash
# The monitoring benchmark (issue: evaluation of a large council).
#   bench/eval.sh [DATA_DIR] [--accounts=N] [--months=M]
# Generates the council into DATA_DIR if it is not there yet (minutes at
# 100,000 accounts), evaluates every account twice in a fresh process (the
# first run stores every flag, the second leaves out every account: nothing
# changed) with its peak memory, once more in another process (as after a
# restart: every account read, nothing changed), then starts dpmon-server on
# the directory and measures the dashboard's calls over gRPC. The nights
# after: bench/nights.sh DATA_DIR (the server's nightly run across clean and
# killed restarts) and docs/benchmarks.md (dpmon-bench-eval evaluate
# --next_days=N [--restart=clean|crash] on a copy).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-$(mktemp -d)/bench-council}"
shift || true
as_of=2025-12-31
for a in "$@"; do case "$a" in --as_of=*) as_of="${a#--as_of=}" ;; esac; done
./scripts/build.sh >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
if [ ! -d "$dir" ]; then
  ./build/dpmon-bench-eval generate --data_dir="$dir" "$@"
fi
./build/dpmon-bench-eval evaluate --data_dir="$dir"
./build/dpmon-bench-eval evaluate --data_dir="$dir" --runs=1
run=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run"' EXIT
# The server takes the history's last day as today, so that the dashboard's
# calls read today's due and risk indexes as they would in service.
./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$dir" --evaluate_at=off --today="$as_of" \
  --ready_file="$run/ready" --http_listen=127.0.0.1:0 2>"$run/server.log" &
pid=$!
for _ in $(seq 300); do [ -s "$run/ready" ] && break; sleep 0.1; done
./build/dpmon-bench-eval dashboard --server="$(head -n1 "$run/ready")" --key_file="$dir-admin.key" "$@"
echo "data directory: $dir ($(du -sh "$dir" | cut -f1))"
