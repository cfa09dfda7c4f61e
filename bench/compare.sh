#!/usr/bin/env bash
# dpmon against the design a team would build on PostgreSQL 15, side by side
# in one run on one machine (issue 17; docs/benchmarks.md says why the
# PostgreSQL design is a fair opponent). Generates one council (seeded,
# bench/compare_data.h), then:
#   1. dpmon: a fresh dpmon-server on a temporary RocksDB directory, every
#      batch acknowledged once synced; the client loads it over gRPC streaming
#      and measures (bench/compare_dpmon.cc);
#   2. PostgreSQL 15: a cluster this script makes and starts on loopback in a
#      temporary directory (fsync and synchronous_commit on), loaded and
#      measured the same way by a libpq client (bench/compare_pg.cc);
# one after the other, so that neither competes with the other for the cores,
# and prints each figure for both, the ratio, and both sides' settings. The
# flags each evaluation found (rules 2-7, 14 and 15) must agree.
#   bench/compare.sh [--dpmon_only] [--accounts=N] [--months=M] [--per_month=K] [--seed=S]
#                    [--calls=C]
# --dpmon_only: dpmon's half alone (a size PostgreSQL is not run at).
# Needs postgresql-15 and libpq-dev (Debian). Run as root, PostgreSQL runs as
# the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
accounts=2500
dpmon_only=
for a in "$@"; do
  case "$a" in
    --dpmon_only) dpmon_only=1; continue ;;
    --accounts=*) accounts="${a#--accounts=}" ;;
  esac
  args+=("$a")
done
pgbin=/usr/lib/postgresql/15/bin
if [ ! -x "$pgbin/initdb" ] || ! pkg-config --exists libpq; then
  echo "bench/compare.sh needs PostgreSQL 15 and libpq: apt-get install postgresql-15 libpq-dev" >&2
  exit 2
fi
./scripts/build.sh >/dev/null
[ -x build/dpmon-bench-pg ] || { echo "build/dpmon-bench-pg was not built (libpq?)" >&2; exit 2; }
run=$(mktemp -d /tmp/dpmon-compare.XXXXXX)
chmod 755 "$run"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  [ -d "$run/pg" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$run/pg" -m fast stop \
    >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
echo "council: $accounts accounts, ${args[*]:-defaults}; $(date -u +%Y-%m-%dT%H:%MZ)"

echo "== dpmon"
# No evaluation but the one measured: neither the nightly one nor the
# re-evaluation of the accounts a batch changed (PostgreSQL's design has none).
start_dpmon() {
  rm -f "$run/ready"
  ./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$run/dpmon" --evaluate_at=off \
    --reevaluate_delay_ms=-1 --today=2025-12-31 --ready_file="$run/ready" 2>>"$run/server.log" &
  pid=$!
  for _ in $(seq 300); do [ -s "$run/ready" ] && break; sleep 0.1; done
  bench=(./build/dpmon-bench-compare --server="$(head -n1 "$run/ready")"
    --key_file="$run/dpmon-admin.key" "${args[@]}")
}
stop_dpmon() {
  kill "$pid"
  wait "$pid" || true
  pid=
}
start_dpmon
"${bench[@]}" --load_only | tee "$run/dpmon.txt"
echo "bytes_on_disk_after_load $(du -sb "$run/dpmon" | cut -f1)" | tee -a "$run/dpmon.txt"
# What an operator does after a large back-fill, as PostgreSQL's half is
# vacuumed, analysed and checkpointed after its load: the store compacted
# offline (its memtables written out, every row in one level), timed.
stop_dpmon
settle_start=$(date +%s.%N)
./build/dpmon-server --data_dir="$run/dpmon" --compact 2>>"$run/server.log"
echo "settled_after_load_s $(echo "$(date +%s.%N) - $settle_start" | bc | xargs printf '%.0f')" |
  tee -a "$run/dpmon.txt"
echo "bytes_on_disk $(du -sb "$run/dpmon" | cut -f1)" | tee -a "$run/dpmon.txt"
start_dpmon
"${bench[@]}" --reads_only | tee -a "$run/dpmon.txt"
stop_dpmon
# The reads again, in one process on the stopped server's directory: the
# engine without gRPC, keys or the access log (PostgreSQL's are timed inside
# its server).
./build/dpmon-bench-compare --engine_dir="$run/dpmon" "${args[@]}" | tee -a "$run/dpmon.txt"
{
  echo "setting durability sync (the default: each batch's WAL synced before its acknowledgement)"
  echo "setting batch 1,000 items, 16 unacknowledged batches on one stream"
  echo "setting block cache $(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 4 / 1024 )) MiB (the default: a quarter of the memory)"
  echo "setting after the load: dpmon-server --compact (offline)"
  echo "setting version $(./build/dpmon-server --version | head -n1)"
} >> "$run/dpmon.txt"

[ -n "$dpmon_only" ] && exit 0

echo "== PostgreSQL"
mem_kb=$(awk '/MemTotal/{print $2}' /proc/meminfo)
mkdir "$run/pg" && chown postgres "$run/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$run/pg" -U postgres --auth=trust >/dev/null
# A tuned server: a quarter of the memory as shared buffers, WAL room for a
# bulk load without forced checkpoints; durability as shipped (fsync,
# synchronous_commit and full_page_writes on).
cat >> "$run/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = 55432
unix_socket_directories = '$run/pg'
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = $((mem_kb / 4 / 1024))MB
effective_cache_size = $((mem_kb * 3 / 4 / 1024))MB
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 16GB
checkpoint_timeout = 30min
random_page_cost = 1.1
EOF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$run/pg" -l "$run/pg/server.log" -w start >/dev/null
./build/dpmon-bench-pg --conninfo="host=127.0.0.1 port=55432 user=postgres dbname=postgres" \
  "${args[@]}" | tee "$run/pg.txt"

echo "== side by side"
awk '
  FNR == 1 { side++ }
  /^setting / { sub(/^setting /, ""); settings[side] = settings[side] "  " $0 "\n"; next }
  { v[side, $1] = $2; if (side == 1) order[++n] = $1 }
  END {
    printf "%-26s %14s %14s %10s\n", "figure", "dpmon", "PostgreSQL", "ratio"
    for (i = 1; i <= n; i++) {
      k = order[i]
      if (k ~ /^flags_[A-Z]/) continue
      a = v[1, k]; b = v[2, k]
      ratio = "-"
      if (a > 0 && b > 0) {
        # How many times better dpmon is: rates higher, times lower.
        r = (k ~ /_tps$/) ? a / b : (k ~ /(_us|_s|bytes_on_disk)$/) ? b / a : 0
        if (r > 0) ratio = sprintf("%.2fx", r)
      }
      printf "%-26s %14s %14s %10s\n", k, a, (b == "" ? "-" : b), ratio
    }
    split("DEFICIT SURPLUS OVERSPEND UNDERSPEND CONTRIBUTION_ARREARS MISSED_PAYMENT FEED_STALE RECONCILIATION_MISMATCH", kinds, " ")
    bad = 0
    print "flags found as of 2025-12-31 (rules 2-7, 14, 15):"
    for (i = 1; i <= 8; i++) {
      a = v[1, "flags_" kinds[i]] + 0; b = v[2, "flags_" kinds[i]] + 0
      printf "  %-24s dpmon %7d  PostgreSQL %7d%s\n", kinds[i], a, b, (a == b ? "" : "  DIFFERENT")
      if (a != b) bad = 1
    }
    print "dpmon settings:\n" settings[1] "PostgreSQL settings:\n" settings[2]
    if (bad) { print "the two evaluations disagree"; exit 1 }
  }' "$run/dpmon.txt" "$run/pg.txt"
