#!/usr/bin/env bash
# The nightly evaluation as dpmon-server runs it, across restarts.
#   bench/nights.sh EVALUATED_DIR [--as_of=2025-12-31] [--council=bench]
# EVALUATED_DIR: a council evaluated as of --as_of (e.g. bench/eval.sh's, or
# `dpmon-bench-eval generate` then `evaluate --runs=1`); it is not changed: the
# nights run on a hard-linked copy. Starts dpmon-server on the copy, waits
# for its start-up work (today's audit survey of each council) to finish,
# and asks for the evaluation of the next date with `dpctl evaluate`:
#   night 1: the first start (what a clean shutdown before the copy kept, if any)
#   night 2: after a clean stop (SIGTERM) and start: what the evaluator knew is kept
#   night 3: the same process, the next night
#   night 4: after kill -9 and start: nothing kept, every account read
# Each line is dpctl's report (the server's time, accounts left out).
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:?usage: bench/nights.sh EVALUATED_DIR [--as_of=D] [--council=C]}"
shift
as_of=2025-12-31
council=bench
for a in "$@"; do
  case "$a" in
    --as_of=*) as_of="${a#--as_of=}" ;;
    --council=*) council="${a#--council=}" ;;
    *) echo "unknown flag $a" >&2; exit 2 ;;
  esac
done
./scripts/build.sh >/dev/null
run=$(mktemp -d -p "$(dirname "$src")")
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$run"' EXIT
cp -al "$src" "$run/council"
start() {
  rm -f "$run/ready"
  ./build/dpmon-server --listen=127.0.0.1:0 --data_dir="$run/council" --evaluate_at=off \
    --ready_file="$run/ready" 2>>"$run/server.log" &
  pid=$!
  for _ in $(seq 600); do [ -s "$run/ready" ] && break; sleep 0.1; done
  # Start-up work done: the server used under 5% of a core for 2 s running.
  local before now quiet=0
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  while [ $quiet -lt 2 ]; do
    sleep 1
    now=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    if [ $((now - before)) -lt 5 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    before=$now
  done
  grep -o 'evaluation: [^;]*' "$run/server.log" | tail -n1
}
# The admin key the server wrote when it first started on the directory
# (beside the original, or beside the copy if this is its first start).
key="$src-admin.key"
[ -f "$key" ] || key="$run/council-admin.key"
night() {
  local date out
  date=$(date -d "$as_of + $1 day" +%F)
  out=$(./build/dpctl --server="$(head -n1 "$run/ready")" --key_file="$key" \
    evaluate --council="$council" --as_of="$date")
  echo "night $1 ($2): $out"
}
start
night 1 "first start"
kill -TERM $pid
wait $pid
start
night 2 "after a clean restart"
night 3 "the same process"
kill -9 $pid
wait $pid 2>/dev/null || true
start
night 4 "after kill -9"
kill -TERM $pid
wait $pid
pid=
