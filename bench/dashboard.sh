#!/usr/bin/env bash
# The dashboard's speed at a large council (issue 15): generates a council of
# 2,500 accounts with two years of history (names, case ids, and a recovery
# on every 50th account), starts dpmon-server with its dashboard, measures
# every API call the pages make (p50/p99 over gRPC, the same service code as
# the JSON face), then loads every page in Chromium and weighs its script
# and CSS.
#   bench/dashboard.sh [DATA_DIR] [--accounts=N]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-$(mktemp -d)/dashboard-council}"
shift || true
accounts=2500
for a in "$@"; do case "$a" in --accounts=*) accounts="${a#--accounts=}" ;; esac; done
as_of=2025-12-31
for a in "$@"; do case "$a" in --as_of=*) as_of="${a#--as_of=}" ;; esac; done
./scripts/build.sh >/dev/null
(cd web && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
if [ ! -d "$dir" ]; then
  ./build/dpmon-bench-eval generate --data_dir="$dir" --accounts="$accounts" --months=24 \
    --recoveries_every=50
  ./build/dpmon-bench-eval evaluate --data_dir="$dir" >/dev/null
fi
run=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run"' EXIT
# The server takes the history's last day as today, so that the dashboard's
# calls read today's due and risk indexes as they would in service.
./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$dir" --evaluate_at=off --today="$as_of" \
  --ready_file="$run/ready" --http_listen=127.0.0.1:0 2>"$run/server.log" &
pid=$!
for _ in $(seq 300); do [ -f "$run/ready" ] && [ "$(wc -l < "$run/ready")" -ge 2 ] && break; sleep 0.1; done
echo "== API calls the pages make ($accounts accounts)"
./build/dpmon-bench-eval dashboard --server="$(head -n1 "$run/ready")" --key_file="$dir-admin.key" \
  --accounts="$accounts" --calls=1000
echo "== Pages in Chromium"
DPMON_BASE="http://$(sed -n 2p "$run/ready")" DPMON_KEY_FILE="$dir-admin.key" node web/bench/pages.mjs
echo "data directory: $dir ($(du -sh "$dir" | cut -f1))"
