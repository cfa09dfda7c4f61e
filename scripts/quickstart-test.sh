#!/usr/bin/env bash
# The README's quick start, tried as a newcomer would on a fresh clone
# (issue 19): starts the server with the README's first command
# (./scripts/run.sh), then runs every command the quick start shows, in
# order, and fails if one exits non-zero or prints nothing. The README's
# second command (./scripts/test.sh) is what CI runs around this script, so
# it is not run again here. Placeholders are filled in as a reader would:
# `dpmon_...` with the secret of the first key the README creates, KEY_ID
# with its id.
#   scripts/quickstart-test.sh        (from a clone with no ./data folder)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -e data ]; then
  echo "quickstart-test: ./data exists; the quick start begins without it (use a clean clone)" >&2
  exit 2
fi
log=$(mktemp)
out=$(mktemp)
server=0
cleanup() {
  if [ "$server" != 0 ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf data packs "$log" "$out"
}
trap cleanup EXIT
fail() {
  echo "quickstart-test: FAIL: $*" >&2
  echo "--- server log (last 20 lines)" >&2
  tail -20 "$log" >&2
  exit 1
}

# The quick start's shell blocks, a command a line (continuations joined,
# trailing comments dropped).
commands=$(awk '/^## Quick start/{q=1; next} q && /^## /{exit}
  q && /^```sh/{b=1; next} b && /^```/{b=0; next}
  b { line = line $0; if (line ~ /\\$/) { sub(/\\$/, "", line); next } print line; line = "" }' README.md |
  sed -E 's/[[:space:]]+#.*$//')
[ -n "$commands" ] || fail "no commands found in the README's quick start"
echo "$commands" | grep -qx './scripts/run.sh' || fail "the quick start does not start with ./scripts/run.sh"

./scripts/run.sh >"$log" 2>&1 &
server=$!
for _ in $(seq 600); do
  [ -s data/dpmon-admin.key ] && ./build/dpctl whoami >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || fail "./scripts/run.sh exited before serving"
  sleep 0.5
done
./build/dpctl whoami >/dev/null || fail "the server did not start within 5 minutes"
grep -q "http://127.0.0.1:8080/" "$log" || fail "the server does not print the dashboard's address"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/)
case "$code" in 200 | 302 | 303) ;; *) fail "the dashboard at http://127.0.0.1:8080/ answered $code" ;; esac

secret=""
key_id=""
n=0
while IFS= read -r cmd; do
  case "$cmd" in
    "" | ./scripts/run.sh) continue ;;
    ./scripts/test.sh) echo "quickstart-test: ./scripts/test.sh: CI runs it around this script"; continue ;;
  esac
  if [[ "$cmd" == *dpmon_...* || "$cmd" == *KEY_ID* ]]; then
    [ -n "$secret" ] || fail "the README uses a key before it creates one: $cmd"
    cmd=${cmd//dpmon_.../$secret}
    cmd=${cmd//KEY_ID/$key_id}
  fi
  if [[ "$cmd" =~ ^[A-Za-z_][A-Za-z0-9_]*=([^[:space:]]*|\$\(.*\))$ ]]; then
    eval "export $cmd"  # An assignment the next commands use (KEY=$(cat ...)).
    continue
  fi
  n=$((n + 1))
  status=0
  bash -c "$cmd" >"$out" 2>&1 || status=$?
  [ "$status" = 0 ] || { cat "$out" >&2; fail "exit $status: ${cmd//$secret/dpmon_...}"; }
  [ -s "$out" ] || fail "printed nothing: ${cmd//$secret/dpmon_...}"
  shown=$cmd
  [ -z "$secret" ] || shown=${shown//$secret/dpmon_...}  # No secret in CI's log.
  echo "quickstart-test: ok ($(wc -l <"$out") lines): ${shown:0:100}"
  if [ -z "$secret" ] && [[ "$cmd" == *"admin keys create"* ]]; then
    secret=$(grep -o 'dpmon_[A-Za-z0-9_-]*' "$out" | head -1)
    key_id=$(echo "$secret" | cut -d_ -f2)
    [ -n "$secret" ] || fail "admin keys create printed no secret"
  fi
done <<<"$commands"
[ "$n" -ge 15 ] || fail "only $n commands ran"

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=0
[ "$status" = 0 ] || fail "the server exited $status on SIGTERM"
echo "quickstart-test: the quick start's $n commands all ran and printed something"
