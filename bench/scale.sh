#!/usr/bin/env bash
# How dpmon's cost grows with the council (issue 18): for each size, the
# generated council (24 months, a recovery on every 50th account; made in
# DIR_PREFIX-N if it is not there), the daily evaluation (first run and the
# run when nothing changed), bytes on disk per account, then the server on
# the directory (today = the history's last day) and every call the
# dashboard's pages make, p50/p99; then the server's next nights across a
# clean restart and kill -9 (bench/nights.sh, on a copy).
#   bench/scale.sh [DIR_PREFIX] [SIZES...]     default sizes: 2500 20000 100000
# Each size's full output goes to DIR_PREFIX-N.log; the summary to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-$(mktemp -d)/scale}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2500 20000 100000)
./scripts/build.sh >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
for n in "${sizes[@]}"; do
  dir="$prefix-$n"
  log="$dir.log"
  : >"$log"
  if [ ! -d "$dir" ]; then
    ./build/dpmon-bench-eval generate --data_dir="$dir" --accounts="$n" --months=24 \
      --recoveries_every=50 >>"$log" 2>&1
  fi
  ./build/dpmon-bench-eval evaluate --data_dir="$dir" >>"$log" 2>&1
  bytes=$(du -sb "$dir/" | cut -f1)
  run=$(mktemp -d)
  ./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$dir" --evaluate_at=off \
    --today=2025-12-31 --ready_file="$run/ready" --http_listen=127.0.0.1:0 2>"$run/server.log" &
  pid=$!
  for _ in $(seq 600); do [ -s "$run/ready" ] && break; sleep 0.1; done
  ./build/dpmon-bench-eval dashboard --server="$(head -n1 "$run/ready")" \
    --key_file="$dir-admin.key" --accounts="$n" --calls=500 >>"$log" 2>&1 || true
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$run"
  bench/nights.sh "$dir" >>"$log" 2>&1 || true
  echo "== $n accounts: $((bytes / n)) bytes on disk an account"
  grep -E "^evaluat|accounts in|ListAuditsDue|ListAccountRisks|SearchAccounts|ListFlags first|GetAccountOverview|GetAuditPack|^night" "$log" || true
done
