#!/usr/bin/env bash
# The feed benchmark (issues 4 and 14): a generated export of N entries
# (default 1,000,000) over 1,000 accounts, parsed and pushed with
# `dpctl feed push` into a fresh server with --durability=sync, client and
# server on this machine. FORMAT is csv (a prepaid-card export, the
# `prepaid-card` preset) or mt940 (one statement a day an account with
# its :60F:/:62F: balances, the :86: text and a customer and bank reference).
#   bench/feed.sh [LINES] [csv|mt940]
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"
format="${2:-csv}"
case "$format" in csv | mt940) ;; *) echo "FORMAT must be csv or mt940" >&2; exit 2 ;; esac
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
    printf "{\"type\":\"account\",\"council\":\"bench\",\"account\":\"A%04d\",\"start_date\":\"2020-01-01\",\"holding\":\"PREPAID_CARD\",\"management\":\"SELF\",\"recipient\":\"SERVICE_USER\",\"external_refs\":[{\"source\":\"pfs\",\"ref\":\"CARD-%04d\"},{\"source\":\"bank\",\"ref\":\"ACC-%04d\"}]}\n", c, c, c
}' >"$dir/setup.jsonl"
"${dpctl[@]}" import "$dir/setup.jsonl" >/dev/null
if [ "$format" = csv ]; then
  awk -v n="$lines" 'BEGIN {
  print "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,Card Balance,Original Transaction ID"
  for (i = 1; i <= n; i++)
    printf "T%08d,%02d/%02d/%d,CARD-%04d,Purchase,Shop %d,5411,Groceries,-%d.%02d,,\n",
      i, 1 + i % 28, 1 + int(i / 100000) % 12, 2021 + int(i / 1200000), i % 1000, i % 97, 1 + i % 80, i % 100
}' >"$dir/export.csv"
  file="$dir/export.csv"; push=(--source=pfs --file_format=csv --preset=prepaid-card)
else
  awk -v n="$lines" 'BEGIN {
  # Entries per account; each account'"'"'s entries run a day at a time from
  # 2021-01-01 (28-day months keep the dates simple), several a day.
  per = int(n / 1000); if (per < 1) per = 1
  for (a = 0; a < 1000 && a * per < n; a++) {
    bal = 0; day = -1
    for (j = 0; j < per && a * per + j < n; j++) {
      d = int(j / 4)
      if (d != day) {
        if (day >= 0) printf ":62F:%s%sGBP%d,%02d\r\n-\r\n", (bal < 0 ? "D" : "C"), ymd, (bal < 0 ? -bal : bal) / 100, (bal < 0 ? -bal : bal) % 100
        day = d
        ymd = sprintf("%02d%02d%02d", 21 + int(d / 336), 1 + int(d / 28) % 12, 1 + d % 28)
        printf ":20:S%04d%06d\r\n:25:ACC-%04d\r\n:28C:%d/1\r\n:60F:%s%sGBP%d,%02d\r\n", a, d, a, d + 1, (bal < 0 ? "D" : "C"), ymd, (bal < 0 ? -bal : bal) / 100, (bal < 0 ? -bal : bal) % 100
      }
      p = 100 + (a * 7 + j * 13) % 8000
      if (j % 10 == 0) { mark = "C"; bal += p * 3 } else { mark = "D"; bal -= p }
      printf ":61:%s%s%s%d,%02dNMSCREF%d//B%08d\r\n:86:Shop %d groceries\r\n", ymd, substr(ymd, 3), mark, (mark == "C" ? p * 3 : p) / 100, (mark == "C" ? p * 3 : p) % 100, j, a * per + j, j % 97
    }
    printf ":62F:%s%sGBP%d,%02d\r\n-\r\n", (bal < 0 ? "D" : "C"), ymd, (bal < 0 ? -bal : bal) / 100, (bal < 0 ? -bal : bal) % 100
  }
}' >"$dir/export.mt940"
  file="$dir/export.mt940"; push=(--source=bank --file_format=mt940)
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; durability=sync"
echo "file: $format, $lines entries, $(du -h "$file" | cut -f1)"
start=$(date +%s.%N)
/usr/bin/time -f "dpctl: %e s elapsed, %M kB peak" "${dpctl[@]}" feed push --council=bench \
  "${push[@]}" "$file" | head -2
end=$(date +%s.%N)
echo "feed push end to end: $(echo "$end - $start" | bc) s"
