#!/usr/bin/env bash
# What authentication costs streaming ingest: alternating runs with --auth=on
# and --auth=off on fresh servers (synced, batches of 1,000), then the median
# rate of each. The machine's own run-to-run noise is large, so take pairs.
#   bench/auth.sh [PAIRS] [TRANSACTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${1:-5}"
n="${2:-300000}"
./scripts/build.sh >/dev/null
declare -A rates
for i in $(seq "$pairs"); do
  for a in on off; do
    r=$(AUTH=$a bench/run.sh sync --transactions="$n" --single_calls=0 --balance_calls=0 |
      sed -n 's/.* \([0-9]*\) transactions\/s.*/\1/p')
    echo "pair $i auth=$a: $r transactions/s"
    rates[$a]="${rates[$a]:-} $r"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
on=$(echo "${rates[on]}" | median)
off=$(echo "${rates[off]}" | median)
echo "median: auth=on $on, auth=off $off transactions/s; cost $(echo "scale=1; 100 * ($off - $on) / $off" | bc)%"
