#!/usr/bin/env bash
# Backups, restore and the integrity check on a large council (the issue's
# "Speed"): the council of bench/eval.sh (generated into DATA_DIR if it is not
# there; 100,000 accounts by default), served by dpmon-server while a feed
# streams synced ingest into it.
#   bench/backup.sh [DATA_DIR] [dpmon-bench-eval generate flags, e.g. --accounts=20000]
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
c0=$(accepted); t0=$(now)
sleep 30
c1=$(accepted); t1=$(now)
echo "ingest without a backup: $(rate "$c0" "$t0" "$c1" "$t1") transactions/s (30 s)"

c2=$(accepted); t2=$(now)
"${dpctl[@]}" admin backup create --to="$run/backups" >"$run/backup1"
c3=$(accepted); t3=$(now)
echo "full backup while ingesting: $(echo "$t3 - $t2" | bc) s: $(cat "$run/backup1")"
echo "ingest during the backup: $(rate "$c2" "$t2" "$c3" "$t3") transactions/s"
sleep 20
c4=$(accepted); t4=$(now)
"${dpctl[@]}" admin backup create --to="$run/backups" >"$run/backup2"
c5=$(accepted); t5=$(now)
echo "incremental backup 20 s later: $(echo "$t5 - $t4" | bc) s: $(cat "$run/backup2")"
echo "ingest during it: $(rate "$c4" "$t4" "$c5" "$t5") transactions/s"
kill "$feed"; wait "$feed" 2>/dev/null || true; feed=""

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
