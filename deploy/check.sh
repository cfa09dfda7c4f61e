#!/usr/bin/env bash
# Checks what deploy/ holds, for real where the machine allows (CI runs it as
# the ctest test deploy_check):
#   1. the systemd units pass `systemd-analyze verify` (with this build's binaries);
#   2. the Kubernetes manifests parse, hang together (every volume mounted,
#      every secret named), and the server starts with the StatefulSet's own
#      arguments (TLS from a certificate made here);
#   3. the audit job (what the timer and the CronJob run) runs against a real
#      server with an AUDITOR key, writes packs, writes the same bytes when
#      rerun, and fails with a bad key;
#   4. the container's runtime stage installs every library the binaries
#      load, and the image builds if a Docker daemon and the debian:12 image
#      are at hand (otherwise said and skipped).
#   deploy/check.sh DPMON_SERVER_BIN DPCTL_BIN SCENARIO.jsonl
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server_bin="$(readlink -f "$1")"
dpctl_bin="$(readlink -f "$2")"
scenario="$(readlink -f "$3")"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "deploy/check: FAIL: $*" >&2; exit 1; }
say() { echo "deploy/check: $*"; }

# Starts dpmon-server with the given flags plus a ready file; sets $addr.
start_server() {
  local ready="$tmp/ready.$RANDOM"
  "$server_bin" --ready_file="$ready" --evaluate_at=off --http_listen=127.0.0.1:0 "$@" >/dev/null 2>>"$tmp/server.log" &
  pids+=($!)
  for _ in $(seq 100); do
    if [ -s "$ready" ]; then
      addr="$(head -n1 "$ready")"
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  cat "$tmp/server.log" >&2
  return 1
}

# ---- 1. systemd units
bash -n "$here/audit-job.sh" || fail "audit-job.sh does not parse"
bash -n "$here/backup-job.sh" || fail "backup-job.sh does not parse"
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/units"
  for u in "$here"/systemd/*; do
    sed -e "s#/usr/local/bin/dpmon-server#$server_bin#" -e "s#/usr/local/bin/dpctl#$dpctl_bin#" \
        -e "s#/usr/local/lib/dpmon/audit-job.sh#$here/audit-job.sh#" \
        -e "s#/usr/local/lib/dpmon/backup-job.sh#$here/backup-job.sh#" "$u" >"$tmp/units/$(basename "$u")"
  done
  if ! out=$(cd "$tmp/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
      dpmon-server.service dpmon-audit.service dpmon-audit.timer dpmon-backup.service \
      dpmon-backup.timer 2>&1); then
    echo "$out" >&2
    fail "systemd-analyze verify"
  fi
  # Only warnings about this sandbox may remain, never about the units' own lines.
  if echo "$out" | grep -E "dpmon-(server|audit|backup)\.(service|timer):[0-9]+" >&2; then
    fail "systemd-analyze reports problems in the units"
  fi
  say "systemd units verified"
else
  say "systemd-analyze not here: units not verified (skipped)"
fi

# ---- 2. Kubernetes manifests
command -v python3 >/dev/null || fail "python3 is needed (scripts/install-deps.sh installs it)"
args_file="$tmp/server-args"
python3 - "$here/k8s/dpmon.yaml" "$args_file" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
crons = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CronJob"}
for k in ("Namespace", "Service", "StatefulSet", "CronJob", "PersistentVolumeClaim"):
    assert k in kinds, f"no {k}"
for d in docs:
    assert d["metadata"]["name"], d
    if d["kind"] != "Namespace":
        assert d["metadata"]["namespace"] == "dpmon", d["metadata"]
def pod_spec(d):
    if d["kind"] == "StatefulSet":
        return d["spec"]["template"]["spec"]
    return d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
claims = {d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
for d in [kinds["StatefulSet"]] + list(crons.values()):
    kind = d["kind"]
    spec = pod_spec(d)
    volumes = {v["name"] for v in spec.get("volumes", [])}
    if kind == "StatefulSet":
        volumes |= {c["metadata"]["name"] for c in d["spec"]["volumeClaimTemplates"]}
    for v in spec.get("volumes", []):
        if "persistentVolumeClaim" in v:
            assert v["persistentVolumeClaim"]["claimName"] in claims, v
    for c in spec["containers"]:
        assert c["image"], c
        for m in c.get("volumeMounts", []):
            assert m["name"] in volumes, f"{kind}: mount of unknown volume {m['name']}"
    for v in spec.get("volumes", []):
        assert "secret" in v or "persistentVolumeClaim" in v, v
sts = kinds["StatefulSet"]
svc = kinds["Service"]
assert svc["spec"]["selector"] == sts["spec"]["template"]["metadata"]["labels"], "service selects no pod"
assert sts["spec"]["replicas"] == 1, "one RocksDB directory, one server"
assert set(crons) == {"dpmon-audit", "dpmon-backup"}, crons.keys()
for name, cron in crons.items():
    assert len(cron["spec"]["schedule"].split()) == 5, cron["spec"]["schedule"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    env = {e["name"]: e["value"] for e in pod_spec(cron)["containers"][0]["env"]}
    need = ["DPMON_SERVER", "DPMON_KEY_FILE", "DPMON_DPCTL"]
    need += ["DPMON_AUDIT_OUT"] if name == "dpmon-audit" else ["DPMON_TLS_CA_FILE"]
    for k in need:
        assert k in env, f"CronJob {name} lacks {k}"
    mounts = [m["mountPath"] for m in pod_spec(cron)["containers"][0]["volumeMounts"]]
    for f in ("DPMON_KEY_FILE", "DPMON_TLS_CA_FILE"):
        if f in env:
            assert any(env[f].startswith(p + "/") for p in mounts), f"{name}: {f} not mounted"
args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
backup_dirs = [a.split("=", 1)[1] for a in args if a.startswith("--backup_dir=")]
assert backup_dirs, "the StatefulSet gives no --backup_dir"
server_mounts = [m["mountPath"] for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]]
assert any(backup_dirs[0].startswith(p + "/") for p in server_mounts), "--backup_dir is on no volume"
open(sys.argv[2], "w").write("\n".join(args) + "\n")
PY
say "Kubernetes manifests parse and hang together"
# The server with the StatefulSet's arguments: paths mapped into $tmp, port 0.
mkdir -p "$tmp/k8s/var/lib/dpmon" "$tmp/k8s/etc/dpmon/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=dpmon.dpmon.svc -keyout "$tmp/k8s/etc/dpmon/tls/tls.key" \
  -out "$tmp/k8s/etc/dpmon/tls/tls.crt" 2>/dev/null || fail "openssl"
mapfile -t k8s_args < <(sed -e "s#/var/lib/dpmon#$tmp/k8s/var/lib/dpmon#g" \
  -e "s#/etc/dpmon#$tmp/k8s/etc/dpmon#g" -e "s#0.0.0.0:50051#0.0.0.0:0#" "$args_file")
start_server "${k8s_args[@]}" || fail "the server did not start with the StatefulSet's arguments"
port="${addr##*:}"
"$dpctl_bin" --server="127.0.0.1:$port" --tls_ca_file="$tmp/k8s/etc/dpmon/tls/tls.crt" \
  --tls_server_name=dpmon.dpmon.svc --key_file="$tmp/k8s/var/lib/dpmon/admin.key" whoami >/dev/null ||
  fail "no TLS call to the server started as in the StatefulSet"
say "the server starts with the StatefulSet's arguments and answers over TLS"

# ---- 3. the audit job against a real server
# As of a past date: no re-evaluation as of today between the two runs.
start_server --listen=127.0.0.1:0 --data_dir="$tmp/job/db" --reevaluate_delay_ms=-1 || fail "server"
admin="$tmp/job/db-admin.key"
"$dpctl_bin" --server="$addr" --key_file="$admin" --progress=false import "$scenario" >/dev/null ||
  [ $? -eq 3 ] || fail "import"
"$dpctl_bin" --server="$addr" --key_file="$admin" --format=json admin keys create \
  --name="nightly audit job" --role=AUDITOR --all_councils >"$tmp/job/key.json" || fail "key"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$tmp/job/key.json" \
  >"$tmp/job/audit.key"
chmod 600 "$tmp/job/audit.key"
run_job() {
  DPMON_SERVER="$addr" DPMON_KEY_FILE="$1" DPMON_AUDIT_OUT="$2" DPMON_DPCTL="$dpctl_bin" \
    DPMON_AS_OF=2026-06-30 "$here/audit-job.sh"
}
run_job "$tmp/job/audit.key" "$tmp/job/out1" >"$tmp/job/log1" 2>&1 || { cat "$tmp/job/log1"; fail "audit job"; }
packs=$(find "$tmp/job/out1" -name pack.json | wc -l)
[ "$packs" -gt 0 ] || fail "the audit job wrote no packs"
[ -s "$tmp/job/out1/demo/2026-06-30/due.csv" ] || fail "no due.csv"
cp -r "$tmp/job/out1" "$tmp/job/copy"
run_job "$tmp/job/audit.key" "$tmp/job/out1" >"$tmp/job/log2" 2>&1 || { cat "$tmp/job/log2"; fail "rerun"; }
diff -r "$tmp/job/copy" "$tmp/job/out1" >/dev/null || fail "a rerun wrote different files"
echo "dpmon_0000000000000000_nope" >"$tmp/job/bad.key"
if run_job "$tmp/job/bad.key" "$tmp/job/out2" >/dev/null 2>&1; then fail "the job passed with a bad key"; fi
say "the audit job wrote $packs packs, the same again on a rerun, and fails with a bad key"

# ---- 3b. the backup job against the same server: create, verify, prune, and
# (with restic here) the copy off the machine, restored from that copy and checked.
"$dpctl_bin" --server="$addr" --key_file="$admin" --format=json admin keys create \
  --name="nightly backup" --role=ADMIN --all_councils >"$tmp/job/bkey.json" || fail "backup key"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$tmp/job/bkey.json" \
  >"$tmp/job/backup.key"
chmod 600 "$tmp/job/backup.key"
echo "a restic password for the check" >"$tmp/job/restic.password"
# The job's server has no --backup_dir: a wrapper gives dpctl the directory.
cat >"$tmp/job/dpctl" <<WRAP
#!/usr/bin/env bash
case " \$* " in
  *" backup create"*) exec "$dpctl_bin" "\$@" --to="$tmp/job/backups" ;;
  *" backup "*) exec "$dpctl_bin" "\$@" --dir="$tmp/job/backups" ;;
  *) exec "$dpctl_bin" "\$@" ;;
esac
WRAP
chmod 755 "$tmp/job/dpctl"
run_backup() {
  local key="$1"
  local restic_env=()
  if command -v restic >/dev/null; then
    restic_env=(DPMON_BACKUP_DIR="$tmp/job/backups" DPMON_RESTIC_REPOSITORY="$tmp/job/offsite"
                DPMON_RESTIC_PASSWORD_FILE="$tmp/job/restic.password" XDG_CACHE_HOME="$tmp/job/cache")
  fi
  env DPMON_SERVER="$addr" DPMON_KEY_FILE="$key" DPMON_DPCTL="$tmp/job/dpctl" \
    DPMON_BACKUP_KEEP=2 "${restic_env[@]}" "$here/backup-job.sh"
}
for n in 1 2 3; do
  run_backup "$tmp/job/backup.key" >"$tmp/job/blog$n" 2>&1 ||
    { cat "$tmp/job/blog$n"; fail "backup job run $n"; }
done
kept=$("$dpctl_bin" --server="$addr" --key_file="$admin" admin backup list --dir="$tmp/job/backups" | wc -l)
[ "$kept" -eq 2 ] || fail "the backup job kept $kept backups, not 2"
if run_backup "$tmp/job/bad.key" >/dev/null 2>&1; then fail "the backup job passed with a bad key"; fi
if command -v restic >/dev/null; then
  RESTIC_PASSWORD_FILE="$tmp/job/restic.password" XDG_CACHE_HOME="$tmp/job/cache" \
    restic -r "$tmp/job/offsite" restore latest --target "$tmp/job/fetched" >/dev/null ||
    fail "restic restore"
  "$server_bin" --restore_from="$tmp/job/fetched$tmp/job/backups" --data_dir="$tmp/job/restored" \
    --check >"$tmp/job/check.txt" 2>>"$tmp/server.log" || { cat "$tmp/job/check.txt"; fail "restore of the off-site copy"; }
  grep -q "integrity: 0 problems" "$tmp/job/check.txt" || fail "the restored copy does not check clean"
  say "the backup job created, verified, pruned to 2 and copied off with restic; the copy restores and checks clean"
else
  say "the backup job created, verified and pruned to 2 (restic not here: off-site copy not tried)"
fi

# ---- 4. the container image
# Without Docker this still holds the image to what the binaries load: every
# shared library dpmon-server and dpctl need must come from a package the
# runtime stage installs, from a package one of those depends on, or from
# one debian:12-slim already has.
if command -v ldd >/dev/null && command -v dpkg-query >/dev/null; then
  base="libc6 libgcc-s1 libstdc++6 zlib1g liblzma5 libbz2-1.0 libzstd1"
  listed=$(sed -n '/^FROM debian:12-slim/,/^COPY/p' "$here/container/Dockerfile" |
           grep -oE '\b(lib[a-z0-9.+-]+|zlib1g|tzdata|ca-certificates)\b' | sort -u)
  deps=$(for p in $listed; do dpkg-query -W -f='${Depends}\n' "$p" 2>/dev/null; done |
         tr ',|' '\n\n' | awk '{print $1}' | sed 's/:any$//' | sort -u)
  for bin in "$server_bin" "$dpctl_bin"; do
    for lib in $(ldd "$bin" | awk '/=>/ {print $3}'); do
      real=$(readlink -f "$lib")
      owner=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null ||
              dpkg -S "/usr$real" 2>/dev/null) || fail "no package owns $real"
      pkg=${owner%%:*}
      grep -qxF -- "$pkg" <<<"$(printf '%s\n' $base $listed $deps)" ||
        fail "$(basename "$bin") loads $real from $pkg, which deploy/container/Dockerfile does not install"
    done
  done
  say "the container's runtime packages hold every library the binaries load"
fi
if command -v docker >/dev/null && docker info >/dev/null 2>&1 &&
   docker image inspect debian:12 >/dev/null 2>&1; then
  docker build -q -f "$here/container/Dockerfile" -t dpmon:check "$here/.." >/dev/null ||
    fail "docker build"
  say "container image built"
else
  say "no Docker daemon with debian:12 here: container image not built (skipped)"
fi
say "ok"
