#!/usr/bin/env bash
# The nightly backup (dpmon-backup.timer, or the dpmon-backup CronJob):
#   1. dpctl admin backup create: an online backup into the server's --backup_dir
#      (incremental: only files new since the last backup are copied);
#   2. dpctl admin backup verify: every file of the new backup re-read and checksummed;
#   3. dpctl admin backup prune --keep=$DPMON_BACKUP_KEEP;
#   4. if DPMON_RESTIC_REPOSITORY is set and this machine can read the backup
#      directory: restic copies it off the machine (encrypted, deduplicated),
#      checks the repository, and forgets snapshots beyond the policy.
# Exits non-zero (a failed unit or Job) if any step fails; says which.
#
# Environment:
#   DPMON_SERVER         host:port of the server (default 127.0.0.1:50051)
#   DPMON_KEY_FILE       an ADMIN key that holds every council (mode 0400)
#   DPMON_DPCTL          dpctl (default: dpctl on PATH)
#   DPMON_BACKUP_KEEP    backups kept on the server (default 14)
#   DPMON_BACKUP_DIR     the server's --backup_dir, for the off-site copy
#   DPMON_RESTIC_REPOSITORY, DPMON_RESTIC_PASSWORD_FILE
#                        where restic copies to (sftp:…, s3:…, rest:…, or a
#                        directory on another disk) and the file with its password
#   DPMON_RESTIC_KEEP_DAILY, DPMON_RESTIC_KEEP_MONTHLY (defaults 14 and 84: seven years)
#   DPMON_TLS_CA_FILE    CA to trust for a TLS server (optional)
set -euo pipefail
server="${DPMON_SERVER:-127.0.0.1:50051}"
key_file="${DPMON_KEY_FILE:?DPMON_KEY_FILE: an ADMIN key that holds every council}"
dpctl="${DPMON_DPCTL:-dpctl}"
keep="${DPMON_BACKUP_KEEP:-14}"
say() { echo "dpmon-backup: $*"; }
fail() { echo "dpmon-backup: FAILED: $*" >&2; exit 1; }

args=(--server="$server" --key_file="$key_file" --deadline_seconds=21600)
if [ -n "${DPMON_TLS_CA_FILE:-}" ]; then args+=(--tls --tls_ca_file="$DPMON_TLS_CA_FILE"); fi

out="$("$dpctl" "${args[@]}" admin backup create)" || fail "backup create"
say "created: $out"
id="$(echo "$out" | awk '{print $2}')"
"$dpctl" "${args[@]}" admin backup verify "$id" >/dev/null || fail "backup $id does not verify"
say "verified backup $id"
"$dpctl" "${args[@]}" admin backup prune --keep="$keep" | sed 's/^/dpmon-backup: /' ||
  fail "prune --keep=$keep"

if [ -n "${DPMON_RESTIC_REPOSITORY:-}" ]; then
  dir="${DPMON_BACKUP_DIR:?DPMON_BACKUP_DIR: the --backup_dir of the server, to copy off the machine}"
  export RESTIC_REPOSITORY="$DPMON_RESTIC_REPOSITORY"
  export RESTIC_PASSWORD_FILE="${DPMON_RESTIC_PASSWORD_FILE:?DPMON_RESTIC_PASSWORD_FILE}"
  restic snapshots >/dev/null 2>&1 || restic init >/dev/null || fail "restic init $RESTIC_REPOSITORY"
  restic backup --quiet --tag dpmon --host dpmon "$dir" || fail "restic backup of $dir"
  restic forget --quiet --tag dpmon --prune --keep-daily "${DPMON_RESTIC_KEEP_DAILY:-14}" \
    --keep-monthly "${DPMON_RESTIC_KEEP_MONTHLY:-84}" || fail "restic forget"
  restic check --quiet || fail "restic check"
  say "copied $dir to $RESTIC_REPOSITORY"
fi
