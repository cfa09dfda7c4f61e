#!/usr/bin/env bash
# Backups, restore and the integrity check on a large council (the issue's
# "Speed"): the council of bench/eval.sh (generated into DATA_DIR if it is not
# there; 100,000 accounts by default), served by dpmon-server while a feed
# streams synced ingest into it.
#   bench/backup.sh [DATA_DIR] [dpmon-bench-eval generate flags, e.g. --accounts=20000]
#   BACKUP_RATE_MIB=N: the server's --backup_rate_limit_mib; QUICK=1: backups only (no check
#   or restore).
# Prints: ingest rate without and during a full backup (from /metrics), the
# backup's time and size, an incremental backup's time, the online check's
# time, and the restore's and offline check's times.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-$(mktemp -d)/bench-council}"
shift || true
./scripts/build.sh >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
if [ ! -d "$dir" ]; then
  ./build/dpmon-bench-eval generate --data_dir="$dir" "$@"
fi
run=$(mktemp -d "${TMPDIR:-/tmp}/dpmon-backup-bench.XXXXXX")
trap 'kill $feed $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run"' EXIT
feed=""
./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$dir" --evaluate_at=off --log_calls=false \
  --backup_rate_limit_mib="${BACKUP_RATE_MIB:-0}" \
  --reevaluate_delay_ms=-1 --ready_file="$run/ready" --http_listen=127.0.0.1:0 2>"$run/server.log" &
pid=$!
for _ in $(seq 600); do [ -s "$run/ready" ] && break; sleep 0.1; done
[ -s "$run/ready" ] || { cat "$run/server.log" >&2; exit 1; }
addr=$(head -n1 "$run/ready")
http=$(sed -n 2p "$run/ready")
key="$dir-admin.key"
dpctl=(./build/dpctl --server="$addr" --key_file="$key" --deadline_seconds=86400)
echo "data directory: $dir ($(du -sh "$dir" | cut -f1))"

accepted() {
  curl -s "http://$http/metrics" | awk '/^dpmon_ingest_items_total\{outcome="ACCEPTED"\}/ {print $2}'
}
now() { date +%s.%N; }
rate() {  # transactions/s between two (count, time) pairs
  echo "scale=0; ($3 - $1) / ($4 - $2)" | bc
}

# A feed that streams synced ingest for as long as the benchmark runs.
./build/dpmon-bench-ingest --server="$addr" --key_file="$key" --transactions=200000000 \
  --accounts=2000 --single_calls=0 --balance_calls=0 >"$run/feed.log" 2>&1 &
feed=$!
sleep 5  # past the feed's setup
# The rate falls slowly as the store grows: each backup is compared with the
# mean of the 20 s before it and the 20 s after it.
measure() {  # $1: what; $2...: the command to time
  local what="$1"; shift
  local c0 t0 c1 t1 c2 t2 c3 t3
  c0=$(accepted); t0=$(now); sleep 20; c1=$(accepted); t1=$(now)
  "$@" >"$run/out"
  c2=$(accepted); t2=$(now); sleep 20; c3=$(accepted); t3=$(now)
  local before during after
  before=$(rate "$c0" "$t0" "$c1" "$t1"); during=$(rate "$c1" "$t1" "$c2" "$t2")
  after=$(rate "$c2" "$t2" "$c3" "$t3")
  echo "$what: $(echo "$t2 - $t1" | bc) s: $(cat "$run/out")"
  echo "  ingest: $before/s before, $during/s during, $after/s after:" \
    "$(echo "scale=0; 200 * $during / ($before + $after)" | bc)% of the mean"
}
measure "full backup while ingesting" "${dpctl[@]}" admin backup create --to="$run/backups"
measure "next (incremental) backup" "${dpctl[@]}" admin backup create --to="$run/backups"
kill "$feed"; wait "$feed" 2>/dev/null || true; feed=""
[ -z "${QUICK:-}" ] || exit 0

t6=$(now)
"${dpctl[@]}" admin check --max_problems=10 >"$run/check" || true
t7=$(now)
echo "online check: $(echo "$t7 - $t6" | bc) s: $(tail -n1 "$run/check")"

kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
t8=$(now)
./build/dpmon-server --restore_from="$run/backups" --backup_id=1 --data_dir="$run/restored" \
  --check >"$run/restore-check" 2>"$run/restore.log" || true
t9=$(now)
echo "restore of backup 1 (verify, copy) and offline check: $(echo "$t9 - $t8" | bc) s"
grep -E "restoring|restored" "$run/restore.log" | sed 's/^/  /'
echo "  $(tail -n1 "$run/restore-check")"
