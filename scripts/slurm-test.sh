#!/usr/bin/env bash
# slurm-test.sh: a real Slurm cluster on this machine runs a genlab sweep
# (issue 14). It installs Debian's slurm-wlm and munge when missing, starts
# munged, slurmctld and two slurmd nodes (n1, n2: two NodeNames on
# localhost with their own ports; proctrack/linuxproc, task/none, no
# cgroups, no systemd), and then:
#   1. submits the script printed by `toy2d -emit slurm` for a 6-task sweep
#      (quick preset, pure-Go build: -tags purego), and meanwhile runs the
#      same sweep locally;
#   2. the fault drill: cancels one array element mid-training (scancel);
#   3. -collect names it missing and prints the --array list; that list is
#      submitted twice at once (the task lock lets one train, the other waits
#      and skips), and the task resumes from its checkpoint (meta.json
#      attempt 2, result.json resumed_from > 0);
#   4. -collect passes, and summary.csv equals the local run's in every
#      column except the timings and resumed_from;
#   5. every experiment binary prints a Slurm script and a Kubernetes
#      manifest, and refuses -emit slurm -task 0 with exit 2.
# The daemons are stopped by their own pids at the end, pass or fail. Runs as
# root with no standard input; rerunning it is safe (a cluster it left
# running is stopped first). Needs: go, apt-get (or slurm installed),
# python3 (the summary comparison).
#
#   sh scripts/slurm-test.sh            # .ci/run calls it after make test
#   SLURM_TEST_DIR=/tmp/x STEPS=4000 scripts/slurm-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
W=${SLURM_TEST_DIR:-/tmp/genlab-slurm-test}
STEPS=${STEPS:-4000}             # training steps per task: long enough to cancel one mid-way
PORT=${SLURM_TEST_PORT:-16917}   # slurmctld; the nodes use PORT+1 and PORT+2
EXP=toy2d
SWEEP=(-preset quick -seeds 0-5 -steps "$STEPS" -threads 1)

say() { echo "slurm-test: $*"; }
fail() { echo "slurm-test: FAIL: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

if [ "$(id -u)" != 0 ]; then
  say "SKIPPED: needs root (to install slurm-wlm and munge and run their daemons)"
  exit 0
fi

# --- packages ---------------------------------------------------------------
need=()
for c in slurmctld:slurm-wlm slurmd:slurm-wlm sbatch:slurm-wlm munged:munge python3:python3; do
  command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi
say "$(slurmctld -V), $(munged -V 2>&1 | head -1)"

# --- daemons ------------------------------------------------------------------
# stop_daemons stops what an earlier run of this script (or this run) started,
# by the pids in its pid files, checking each pid's command name first.
stop_daemons() {
  if [ -S "$W/munge/munge.sock" ] && [ -f "$W/slurmctld.pid" ]; then
    SLURM_CONF=$W/slurm.conf scancel --quiet --full -u root 2>/dev/null || true
    for _ in $(seq 20); do
      [ -z "$(SLURM_CONF=$W/slurm.conf squeue -h 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for f in "$W/slurmd-n1.pid:slurmd" "$W/slurmd-n2.pid:slurmd" "$W/slurmctld.pid:slurmctld" "$W/munge/munged.pid:munged"; do
    local pf=${f%%:*} name=${f#*:} pid
    [ -f "$pf" ] || continue
    pid=$(cat "$pf")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
      [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
      echo "slurm-test: stopped $name (pid $pid)"
    fi
    rm -f "$pf"
  done
}
finish() {
  rc=$?
  [ -n "${local_pid:-}" ] && kill "$local_pid" 2>/dev/null || true # the local run, if a failure left it going
  stop_daemons
  if [ $rc = 0 ]; then say "PASS in $(elapsed)"; else
    echo "slurm-test: FAILED (exit $rc) after $(elapsed); logs in $W" >&2
    for f in "$W"/slurmctld.log "$W"/slurmd-n1.log; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done
  fi
  exit $rc
}
stop_daemons
trap finish EXIT
trap 'exit 130' INT TERM
rm -rf "$W"
mkdir -p "$W/munge" "$W/state" "$W/spool" "$W/bin"
chmod 700 "$W/munge"
head -c 1024 /dev/urandom >"$W/munge/munge.key"
chmod 400 "$W/munge/munge.key"
munged --force --key-file="$W/munge/munge.key" --socket="$W/munge/munge.sock" \
  --pid-file="$W/munge/munged.pid" --log-file="$W/munge/munged.log" --seed-file="$W/munge/seed"

cat >"$W/slurm.conf" <<EOF
ClusterName=genlabci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT
AuthType=auth/munge
AuthInfo=socket=$W/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool/%n
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd-%n.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=600
SlurmdTimeout=60
NodeName=n1 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((PORT + 1)) CPUs=1 State=UNKNOWN
NodeName=n2 NodeHostname=localhost NodeAddr=127.0.0.1 Port=$((PORT + 2)) CPUs=1 State=UNKNOWN
PartitionName=ci Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$W/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N n1
slurmd -f "$SLURM_CONF" -N n2
for _ in $(seq 60); do
  [ "$(sinfo -h -t idle -o '%D' 2>/dev/null)" = 2 ] && break
  sleep 0.5
done
[ "$(sinfo -h -t idle -o '%D')" = 2 ] || { sinfo; fail "the two nodes did not come up idle"; }
say "cluster up in $(elapsed): munged $(cat "$W/munge/munged.pid"), slurmctld $(cat "$W/slurmctld.pid"), slurmd n1 $(cat "$W/slurmd-n1.pid"), n2 $(cat "$W/slurmd-n2.pid")"
sinfo -N -o "%N %T %c"

# --- the sweep ----------------------------------------------------------------
go build -tags purego -o "$W/bin/$EXP" "./experiments/$EXP"
BIN=$W/bin/$EXP
"$BIN" "${SWEEP[@]}" -out "$W/slurm-runs" -plan >"$W/plan.jsonl"
n=$(wc -l <"$W/plan.jsonl")
[ "$n" -ge 6 ] || fail "the sweep has $n tasks, want ≥ 6"
key_of() { sed -n "s/.*\"index\":$1,\"key\":\"\([0-9a-f]*\)\".*/\1/p" "$W/plan.jsonl"; }
"$BIN" "${SWEEP[@]}" -out "$W/slurm-runs" -emit slurm -max-running 2 >"$W/sweep.sbatch"
say "emitted $W/sweep.sbatch:"; grep -E '^#SBATCH|^exec' "$W/sweep.sbatch"

( cd "$W" && exec "$BIN" "${SWEEP[@]}" -out "$W/local-runs" >/dev/null 2>"$W/local.log" ) &
local_pid=$!

wait_job() { # wait_job JOBID: until no element of the job is left in the queue
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  squeue; fail "job $1 did not end within 300 s"
}

jid=$(sbatch --parsable "$W/sweep.sbatch")
say "submitted job $jid: array 0-$((n - 1)), at most 2 running"

# The fault drill: cancel a running element once its checkpoint exists.
victim=""
for _ in $(seq 600); do
  for i in $(squeue -h -j "$jid" -t RUNNING -o '%K' 2>/dev/null); do
    d=$W/slurm-runs/$EXP/$(key_of "$i")
    if [ -f "$d/checkpoint.bin" ] && [ ! -f "$d/result.json" ]; then
      scancel "${jid}_$i"
      victim=$i
      say "scancel ${jid}_$i: task $i ($(key_of "$i")) cancelled mid-training, $(grep -c '"step"' "$d/metrics.jsonl" 2>/dev/null || echo 0) metric lines in"
      break 2
    fi
  done
  [ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
  sleep 0.2
done
[ -n "$victim" ] || fail "no element could be caught mid-training (raise STEPS)"
squeue -j "$jid" -o "%i %T %N" || true
wait_job "$jid"
say "job $jid ended at $(elapsed)"

set +e
"$BIN" "${SWEEP[@]}" -out "$W/slurm-runs" -collect >/dev/null 2>"$W/collect1.log"
rc=$?
set -e
cat "$W/collect1.log"
[ $rc = 1 ] || fail "-collect after the cancel: exit $rc, want 1"
list=$(sed -n 's/.*--array=\([0-9,-]*\).*/\1/p' "$W/collect1.log" | head -1)
[ "$list" = "$victim" ] || fail "-collect asks to resubmit --array=$list, want $victim"

# Resubmit twice at once: the lock lets one job train the task, the other waits and skips it.
jid2=$(sbatch --parsable --array="$list" "$W/sweep.sbatch")
jid3=$(sbatch --parsable --array="$list" "$W/sweep.sbatch")
say "resubmitted --array=$list twice: jobs $jid2 and $jid3"
wait_job "$jid2"
wait_job "$jid3"
say "jobs $jid2 and $jid3 ended at $(elapsed)"

"$BIN" "${SWEEP[@]}" -out "$W/slurm-runs" -collect >"$W/collect2.jsonl" 2>"$W/collect2.log" ||
  { cat "$W/collect2.log"; fail "-collect after the resubmission failed"; }
tail -n 1 "$W/collect2.log"
vd=$W/slurm-runs/$EXP/$(key_of "$victim")
attempt=$(sed -n 's/.*"attempt": *\([0-9]*\).*/\1/p' "$vd/meta.json")
resumed=$(sed -n 's/.*"resumed_from": *\([0-9.e+]*\).*/\1/p' "$vd/result.json")
say "task $victim: meta.json attempt $attempt, result.json resumed_from $resumed"
[ "$attempt" = 2 ] || fail "task $victim: attempt $attempt, want 2 (one cancelled run, one resumed run; the duplicate job must not train it)"
[ -n "$resumed" ] && [ "$resumed" != 0 ] || fail "task $victim did not resume from its checkpoint"
awk -v r="$resumed" -v s="$STEPS" 'BEGIN { exit !(r < s) }' ||
  fail "task $victim resumed from step $resumed of $STEPS: it was cancelled after training (raise STEPS)"
grep -h "locked by" "$W/slurm-runs/$EXP/slurm/task-$victim.err" | head -1 | sed 's/^/slurm-test: duplicate job: /' || true
grep -q "finished earlier, skipped" "$W/slurm-runs/$EXP/slurm/task-$victim.err" ||
  fail "the duplicate resubmission of task $victim did not skip it"

say "where the tasks ran (from their logs):"
grep -h "^genlab: " "$W"/slurm-runs/$EXP/slurm/task-*.err | sed 's/ at .*//; s/^/  /'
nodes=$(grep -h "^genlab: " "$W"/slurm-runs/$EXP/slurm/task-*.err | sed -n 's/.* node \([^ ]*\).*/\1/p' | sort -u | tr '\n' ' ')
[ "$(echo $nodes | wc -w)" -ge 2 ] || fail "every task ran on one node ($nodes)"

# --- the comparison with the local run ------------------------------------------
wait "$local_pid" || { cat "$W/local.log"; fail "the local run failed"; }
python3 - "$W/local-runs/$EXP/summary.csv" "$W/slurm-runs/$EXP/summary.csv" <<'EOF'
import csv, sys
def load(p):
    with open(p, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]
(h1, r1), (h2, r2) = load(sys.argv[1]), load(sys.argv[2])
skip = lambda c: "seconds" in c or c == "resumed_from"
if h1 != h2:
    sys.exit("slurm-test: FAIL: summary columns differ:\n  local %s\n  slurm %s" % (h1, h2))
keep = [i for i, c in enumerate(h1) if not skip(c)]
bad = 0
for a, b in zip(r1, r2):
    for i in keep:
        if a[i] != b[i]:
            bad += 1
            print("slurm-test:   task %s: %s local %s, slurm %s" % (a[0], h1[i], a[i], b[i]))
if len(r1) != len(r2) or bad:
    sys.exit("slurm-test: FAIL: summary.csv differs (%d vs %d rows, %d cells)" % (len(r1), len(r2), bad))
print("slurm-test: summary.csv: %d rows x %d columns identical to the local run (%s left out)"
      % (len(r1), len(keep), ", ".join(c for c in h1 if skip(c))))
EOF

# --- every experiment: -emit slurm, -emit k8s, -collect, a bad combination -------------
go build -o "$W/bin/all/" ./experiments/...
for b in "$W"/bin/all/*; do
  e=$(basename "$b")
  o=$W/emit-check
  "$b" -preset quick -out "$o" -emit slurm >"$o.$e.sbatch" 2>"$o.$e.log" || { cat "$o.$e.log"; fail "$e -emit slurm"; }
  grep -q '^#SBATCH --array=0-' "$o.$e.sbatch" || fail "$e -emit slurm printed no --array"
  "$b" -preset quick -out "$o" -emit k8s >"$o.$e.yaml" 2>"$o.$e.log" || { cat "$o.$e.log"; fail "$e -emit k8s"; }
  grep -q '^  completionMode: Indexed' "$o.$e.yaml" || fail "$e -emit k8s printed no Indexed Job"
  set +e
  "$b" -preset quick -out "$o" -collect >/dev/null 2>"$o.$e.log"; rc=$?
  "$b" -preset quick -out "$o" -emit slurm -task 0 >/dev/null 2>"$o.$e.bad"; bad=$?
  set -e
  [ $rc = 1 ] && grep -q -- "--array=0" "$o.$e.log" || { cat "$o.$e.log"; fail "$e -collect of nothing: exit $rc"; }
  [ $bad = 2 ] && [ "$(wc -l <"$o.$e.bad")" = 1 ] || { cat "$o.$e.bad"; fail "$e -emit slurm -task 0: exit $bad"; }
  say "$e: $(grep '^#SBATCH --array' "$o.$e.sbatch"), k8s $(grep '^  completions' "$o.$e.yaml" | tr -d ' '), -collect exit 1, -emit slurm -task 0 exit 2"
done
