#!/usr/bin/env bash
# The feed benchmark (issue 4): a generated prepaid-card CSV export of N lines
# (default 1,000,000) over 1,000 cards, parsed and pushed with
# `dpctl feed push --preset prepaid-card` into a fresh server with
# --durability=sync, client and server on this machine.
#   bench/feed.sh [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"
./scripts/build.sh >/dev/null
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$dir/db" --durability=sync \
  --evaluate_at=off --ready_file="$dir/ready" --http_listen=127.0.0.1:0 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
addr=$(head -n1 "$dir/ready")
dpctl=(./build/dpctl --server="$addr" --key_file="$dir/db-admin.key" --progress=false)
awk 'BEGIN {
  print "{\"type\":\"council\",\"council\":\"bench\",\"name\":\"Bench\"}"
  for (c = 0; c < 1000; c++)
    printf "{\"type\":\"account\",\"council\":\"bench\",\"account\":\"A%04d\",\"start_date\":\"2020-01-01\",\"holding\":\"PREPAID_CARD\",\"management\":\"SELF\",\"recipient\":\"SERVICE_USER\",\"external_refs\":[{\"source\":\"pfs\",\"ref\":\"CARD-%04d\"}]}\n", c, c
}' >"$dir/setup.jsonl"
"${dpctl[@]}" import "$dir/setup.jsonl" >/dev/null
awk -v n="$lines" 'BEGIN {
  print "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,Card Balance,Original Transaction ID"
  for (i = 1; i <= n; i++)
    printf "T%08d,%02d/%02d/%d,CARD-%04d,Purchase,Shop %d,5411,Groceries,-%d.%02d,,\n",
      i, 1 + i % 28, 1 + int(i / 100000) % 12, 2021 + int(i / 1200000), i % 1000, i % 97, 1 + i % 80, i % 100
}' >"$dir/export.csv"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; durability=sync"
echo "file: $lines lines, $(du -h "$dir/export.csv" | cut -f1)"
start=$(date +%s.%N)
/usr/bin/time -f "dpctl: %e s elapsed, %M kB peak" "${dpctl[@]}" feed push --council=bench \
  --source=pfs --file_format=csv --preset=prepaid-card "$dir/export.csv" | head -2
end=$(date +%s.%N)
echo "feed push end to end: $(echo "$end - $start" | bc) s"
