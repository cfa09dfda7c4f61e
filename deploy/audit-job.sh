#!/usr/bin/env bash
# The nightly audit job: for every council the key holds, evaluate every
# account, list the audits and reviews that are due, and write an audit pack
# for each audit due (dpctl audit run). Safe to rerun: a rerun writes the same
# files and changes nothing on the server. Exits non-zero if any council failed.
#
# Environment:
#   DPMON_SERVER     host:port of dpmon-server (default 127.0.0.1:50051)
#   DPMON_KEY_FILE   a file holding an AUDITOR (or ADMIN) key; or DPMON_API_KEY
#   DPMON_AUDIT_OUT  where the packs go (default /var/lib/dpmon-audit)
#   DPMON_DPCTL      the dpctl binary (default: dpctl on PATH)
#   DPMON_AS_OF      the date to run as of (default: the server's today, Europe/London)
#   DPMON_WITHIN     days ahead to look (default: each council's due_soon_days)
#   DPMON_DPCTL_ARGS more dpctl flags, e.g. "--tls_ca_file=/etc/dpmon/ca.pem"
set -uo pipefail
server="${DPMON_SERVER:-127.0.0.1:50051}"
out="${DPMON_AUDIT_OUT:-/var/lib/dpmon-audit}"
dpctl="${DPMON_DPCTL:-dpctl}"
read -r -a extra <<<"${DPMON_DPCTL_ARGS:-}"
args=(--server="$server" --deadline_seconds=600 "${extra[@]}")
[ -n "${DPMON_AS_OF:-}" ] && as_of=(--as-of="$DPMON_AS_OF") || as_of=()
[ -n "${DPMON_WITHIN:-}" ] && within=(--within="$DPMON_WITHIN") || within=()

if ! councils=$("$dpctl" "${args[@]}" councils list); then
  echo "audit-job: cannot list councils from $server" >&2
  exit 1
fi
status=0
count=0
while read -r name _; do
  [ -z "$name" ] && continue
  council="${name#councils/}"
  count=$((count + 1))
  if ! "$dpctl" "${args[@]}" audit run --council="$council" "${as_of[@]}" "${within[@]}" \
      --out="$out"; then
    echo "audit-job: council $council failed" >&2
    status=1
  fi
done <<<"$councils"
echo "audit-job: $count councils, packs under $out"
exit $status
