#!/usr/bin/env bash
# examples/slurm/screener-array.sbatch on a real single-node Slurm: munged,
# slurmctld and slurmd started here on 127.0.0.1 with a configuration made for
# this host, a DICOM archive screened by a 3-task job array; every study is
# processed exactly once, and submitting the array again skips them all.
# Exits 77 (skipped) where Slurm cannot start; SCREENER_REQUIRE_SLURM=1 makes
# that a failure.
set -euo pipefail
bin=$(cd "$1" && pwd) root=$(cd "$2" && pwd)
py=/usr/bin/python3

skip() {
  echo "SKIPPED: $*" >&2
  [ -z "${SCREENER_REQUIRE_SLURM:-}" ] || exit 1
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (slurmd starts jobs as their owner)"
for cmd in munged mungekey slurmctld slurmd sinfo sbatch squeue scancel; do
  command -v "$cmd" > /dev/null || skip "'$cmd' not found (Debian: apt-get install slurm-wlm munge)"
done

# A caller's own Slurm job or sbatch defaults must not leak into the test cluster.
unset "${!SLURM_@}" "${!SBATCH_@}"

work=$(mktemp -d)
pids=() submitted=""
cleanup() {
  # Jobs first: slurmstepd outlives slurmd, and would keep running them.
  if [ -n "$submitted" ]; then
    scancel --quiet --full --user=root 2> /dev/null || true
    for _ in $(seq 20); do [ -z "$(squeue -h 2> /dev/null)" ] && break; sleep 0.5; done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/munge" "$work/slurm/state" "$work/slurm/spool" "$work/logs"
# munged wants the path to its socket searchable by all.
chmod 755 "$work" "$work/munge"

daemon_log() { for f in "$@"; do [ ! -s "$f" ] || { echo "--- $f"; tail -n 15 "$f"; }; done >&2; }

# munge with its own key and socket, so that it never meets a system munged.
mungekey --create --keyfile="$work/munge/munge.key"
munged --foreground --key-file="$work/munge/munge.key" --socket="$work/munge/socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/munged.seed" > "$work/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done
[ -S "$work/munge/socket" ] || { daemon_log "$work"/munge/munged.{out,log}; skip "munged did not start"; }

host=$(hostname -s)
read -r ctld_port slurmd_port < <($py -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
export SLURM_CONF=$work/slurm/slurm.conf
cat > "$SLURM_CONF" << EOF
ClusterName=screener-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/socket
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
MailProg=/bin/true
# No cgroups: containers and CI machines rarely delegate them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# CPUs and memory as configured here, not as slurmd detects them (a container's
# nproc is often below the host's core count).
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -i > "$work/slurm/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$host" > "$work/slurm/slurmd.out" 2>&1 &
pids+=($!)
state="" deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  state=$(sinfo -h -N -n "$host" -o %T 2> /dev/null || true)
  [ "$state" = idle ] && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null || break 2; done
  sleep 0.5
done
if [ "$state" != idle ]; then
  daemon_log "$work"/slurm/slurm{ctld,d}.{out,log}
  skip "Slurm did not come up (node state: '${state:-none}'; daemon logs above)"
fi
echo "slurm: slurmctld :$ctld_port and slurmd :$slurmd_port on $host (127.0.0.1), node idle"

# The archive: 10 small DICOM series, a fraction of a second each; with 10 the
# id hash gives every one of the 3 shards some (5/1/4): a task with an empty
# shard exits 1 today.
"$bin/make_demo_dicom" "$work/data" 10 5 2 64,56,40 6,6,6 > /dev/null
out=$work/out
submit() {
  # Command-line options override the script's #SBATCH defaults (4 CPUs, 16G).
  SCREENER=$bin/screener \
    SCREENER_ARGS="--set resample.target_spacing=[6.0,6.0,6.0] --set patcher.roi=[32,32,16]" \
    timeout 180 sbatch --parsable --wait --array=0-2 --cpus-per-task=1 --mem=512M \
    --output="$work/logs/%A_%a.log" "$root/examples/slurm/screener-array.sbatch" \
    "$root/pipelines/screen.json" "$work/data/dicom" "$out"
}
job=""
fail() {
  echo "FAILED: $*" >&2
  for f in "$work"/logs/"${job:-none}"_*.log; do [ ! -e "$f" ] || { echo "--- $f"; cat "$f"; }; done >&2
  exit 1
}
submitted=1
job=$(submit) || fail "sbatch --wait: exit $? (job ${job:-not submitted})"
for i in 0 1 2; do
  grep -q "studies done, .*summary: $out/run_summary.shard-$i-of-3.json" "$work/logs/${job}_$i.log" \
    || fail "array task $i did not run shard $i of 3"
done
echo "job $job: each of the 3 array tasks ran its own shard"
"$bin/screener" merge-manifests "$out" --output "$out/report.json"

# Every study of the archive in exactly one shard manifest, done, its outputs
# there; each task's summary lists the same studies with the status expected.
check() {
  $py - "$work" "$1" << 'PY'
import collections, json, pathlib, sys
work, expected = pathlib.Path(sys.argv[1]), sys.argv[2]
out = work / "out"
patients = sorted(p.name for p in (work / "data" / "dicom").iterdir())
records, per_shard = [], []
for i in range(3):
    summary = json.loads((out / f"run_summary.shard-{i}-of-3.json").read_text())
    assert summary["shard"] == f"{i}/3", summary["shard"]
    mine = [json.loads(line) for line in (out / f"manifest.shard-{i}-of-3.jsonl").read_text().splitlines()]
    status = {s["id"]: s["status"] for s in summary["studies"]}
    assert set(status.values()) <= {expected}, (i, status)
    assert status.keys() == {r["study"] for r in mine}, (i, status, mine)
    records += mine
    per_shard.append(len(mine))
count = collections.Counter(r["study"] for r in records)
assert all(n == 1 for n in count.values()), f"processed more than once: {count}"
assert sorted(s.split("_")[0] for s in count) == patients, (sorted(count), patients)
for r in records:
    assert r["status"] == "done", r
    for f in r["outputs"]:
        assert (out / f).stat().st_size > 0, f
report = json.loads((out / "report.json").read_text())
assert report["total"] == len(patients) and report["counts"] == {"done": len(patients)}, report
print(f"{len(patients)} studies ({'/'.join(map(str, per_shard))} in shards 0/1/2), each exactly once across "
      f"the shard manifests, {expected} in its task's summary, outputs present; merged report {report['counts']}")
PY
}
check done
cat "$out"/manifest.shard-*.jsonl > "$work/manifests.first"

job=$(submit) || fail "sbatch --wait (again): exit $? (job ${job:-not submitted})"
for i in 0 1 2; do
  grep -Eq "^0 of ([0-9]+) studies done, \1 skipped .*shard-$i-of-3" "$work/logs/${job}_$i.log" \
    || fail "array task $i did not skip every study of shard $i"
done
"$bin/screener" merge-manifests "$out" --output "$out/report.json"
check skipped
cat "$out"/manifest.shard-*.jsonl | cmp -s - "$work/manifests.first" || fail "the manifests changed"
echo "job $job (same array again): every study skipped, manifests unchanged"
