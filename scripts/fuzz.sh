#!/usr/bin/env bash
# Fuzzes the feed parsers (CSV, OFX, camt.053, MT940) with libFuzzer and
# AddressSanitizer: first every kept regression input (tests/fuzz/regressions/,
# inputs that once crashed, kept after the fix), then SECONDS of fuzzing each,
# starting from the sample files. A crash fails the run and leaves the input
# in build-fuzz/artifacts/ to be added to the regressions once fixed.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
./scripts/install-deps.sh
export CC=clang CXX=clang++
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPMON_FUZZ=ON >/dev/null
cmake --build build-fuzz --target fuzz_csv fuzz_ofx fuzz_camt fuzz_mt940
rm -rf build-fuzz/artifacts
mkdir -p build-fuzz/artifacts
declare -A seeds=(
  [csv]="tests/feeds/prepaid-card.csv tests/feeds/bank.csv"
  [ofx]="tests/feeds/card-ofx2.ofx ../shared/feeds-real/ofxparse-bank_medium.gbp.ofx ../shared/feeds-real/ofxparse-ofx-v102-empty-tags.ofx"
  [mt940]="$(ls ../shared/feeds-peer/mt940/*.gbp.* ../shared/feeds-peer/mt940/sharpmt940lib-StandardBank_transactions_GB.txt | tr '\n' ' ')"
  [camt]="tests/feeds/bank-camt053-v08.xml ../shared/feeds-real/genkgo-camt053.v2.multi.statement.gbp.xml ../shared/feeds-real/genkgo-camt53.only-Dt-with-DtTm.xml"
)
for target in csv ofx camt mt940; do
  corpus="build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  for f in ${seeds[$target]}; do [ -f "$f" ] && cp "$f" "$corpus/"; done
  regressions=(tests/fuzz/regressions/"$target"/*)
  inputs=()
  for f in "${regressions[@]}"; do [ -f "$f" ] && [ "$(basename "$f")" != .keep ] && inputs+=("$f"); done
  if [ ${#inputs[@]} -gt 0 ]; then
    echo "fuzz_$target: ${#inputs[@]} regression inputs"
    ./build-fuzz/fuzz_"$target" "${inputs[@]}"
  fi
  echo "fuzz_$target: fuzzing for ${seconds}s"
  ./build-fuzz/fuzz_"$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="build-fuzz/artifacts/$target-" -print_final_stats=1 \
    "$corpus" 2>&1 | grep -E "^(stat::number_of_executed_units|#[0-9]+ *DONE)|ERROR|SUMMARY" || true
  # grep ate the status: check for artifacts instead.
  if ls build-fuzz/artifacts/"$target"-* >/dev/null 2>&1; then
    echo "fuzz_$target: CRASH; inputs in build-fuzz/artifacts/" >&2
    exit 1
  fi
done
echo "fuzz: no crashes"
