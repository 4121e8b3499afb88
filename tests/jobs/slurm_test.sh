#!/usr/bin/env bash
# jobs/slurm.sbatch against a real single-node SLURM that this test starts on localhost (Debian
# slurm-wlm + munge; scripts/ci-slurm-deps.sh installs them when missing): submits a sweep that
# needs more than one 1-minute time limit (sized by a short calibration sweep to about a minute of
# training on 2 workers), with --signal=B:USR1@45. SLURM warns the batch shell,
# the script forwards SIGUSR1 to mpirun, the sweep checkpoints, commits and exits 75, the script
# requeues the job; the test lets the requeued job start 3 s later (scontrol update StartTime=now
# instead of SLURM's two-minute requeue delay), and so on until the sweep completes. Checks: the
# job requeued itself at least once and ended COMPLETED with exit 0, the store is valid and
# complete (every run exactly once), no journal or checkpoint is left, /jobs records the
# interrupted and the completed job, no HDF5-DIAG.
# Usage: slurm_test.sh KHSWEEP STORE_CHECK. Needs root; skipped (77) without KHSWEEP_MNIST_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
source "$REPO/tests/runner/lib.sh"
source "$HERE/slurm_lib.sh"

if [[ $(id -u) != 0 ]]; then
  echo "SKIP: the private SLURM cluster runs its daemons as root (SlurmUser=root)"
  exit 77
fi
runner_init slurm_requeue "$@"
T_START=$SECONDS
bash "$REPO/scripts/ci-slurm-deps.sh"
for tool in munged slurmctld slurmd sbatch scontrol squeue sinfo; do
  command -v "$tool" > /dev/null || fail "$tool is not on PATH after scripts/ci-slurm-deps.sh"
done
log "dependencies ready in $((SECONDS - T_START)) s"

JOB_OUT=""
on_exit() {
  local rc=$?
  set +e
  trap - ERR
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    [[ -n "$JOB_OUT" && -f "$JOB_OUT" ]] && { echo "---- job output:"; cat "$JOB_OUT"; }
    slurm_logs
  fi
  slurm_stop || true
  (exit $rc)
  runner_cleanup
}
trap on_exit EXIT

# munged wants every directory on its socket's path searchable by all (mktemp makes WORK 0700).
chmod 755 "$WORK"
T0=$SECONDS
slurm_start "$WORK/slurm"
log "slurmctld + slurmd up, node idle, in $((SECONDS - T0)) s ($(sinfo -V))"

# The sweep must outlast the first 1-minute allocation (SIGUSR1 comes 15-45 s in: SLURM checks
# limits every 30 s or so) and then complete after a requeue or two: 24 runs on 2 workers, with a
# checkpoint every epoch, and as many epochs as make about 60 s of training on this machine by a
# 2-run, 20-epoch sweep on one rank (measured: the job takes 1.4 times longer, with its ranks on 2
# cores and each restart's start-up, and the real sweep's larger runs only make it longer).
WORKERS=$(($(nproc) >= 2 ? 2 : 1))
JOB_DIR=$WORK/slurm/job
mkdir -p "$JOB_DIR"
cat > "$JOB_DIR/calibrate.yaml" << EOF
name: calibrate
fixed: {data: $MNIST, train_subset: 2000, validation_subset: 500, epochs: 20}
grid: {hidden: [48], seed: [1]}
arms:
  - {name: baseline, kh: none}
  - {name: kh, kh: [top_down], eps0: [0.01], delta: [0.4]}
EOF
t0=$(date +%s%N)
"$KHSWEEP" run "$JOB_DIR/calibrate.yaml" --store "$JOB_DIR/calibrate.h5" --quiet > "$JOB_DIR/calibrate.log" 2>&1 ||
  { show "$JOB_DIR/calibrate.log"; fail "the calibration sweep failed"; }
t_ms=$((($(date +%s%N) - t0) / 1000000))
# 12 such pairs of runs at E epochs on W workers: 12 * t * E / 20 / W = 60 s.
EPOCHS=${SLURM_TEST_EPOCHS:-$((100000 * WORKERS / t_ms))}
((EPOCHS >= 20)) || EPOCHS=20
((EPOCHS <= 1000)) || EPOCHS=1000
log "calibration: 2 runs x 20 epochs in $(ms_to_s "$t_ms") s on one rank: $EPOCHS epochs per run"
cat > "$JOB_DIR/requeue.yaml" << EOF
name: requeue
description: 24 runs that outlast a 1-minute SLURM time limit
fixed:
  data: $MNIST
  train_subset: 2000
  validation_subset: 500
  epochs: $EPOCHS
grid:
  hidden: [48, 64]
  seed: [1, 2, 3]
arms:
  - name: baseline
    kh: none
  - name: kh
    kh: [top_down, bottom_up]
    eps0: [0.01]
    delta: [0.4]
  - name: kh_small
    kh: [top_down]
    eps0: [0.02]
    delta: [0.2]
service:
  checkpoint_every: 1
  commit_every_seconds: 1
EOF
TOTAL=24
STORE=$JOB_DIR/requeue.h5
JOB_OUT=$JOB_DIR/job.out
"$KHSWEEP" plan "$JOB_DIR/requeue.yaml" > "$JOB_DIR/plan.txt" || { cat "$JOB_DIR/plan.txt"; fail "khsweep plan"; }
grep -q "$TOTAL runs" "$JOB_DIR/plan.txt" || { cat "$JOB_DIR/plan.txt"; fail "the plan does not list $TOTAL runs"; }

NTASKS=$WORKERS
JOB=$(sbatch --parsable --chdir="$JOB_DIR" --ntasks="$NTASKS" --time=1 --signal=B:USR1@45 \
          --output="$JOB_OUT" --export="ALL,KHSWEEP_BIN=$KHSWEEP" \
          "$REPO/jobs/slurm.sbatch" requeue.yaml "$STORE")
T_SUBMIT=$SECONDS
log "submitted job $JOB: $NTASKS tasks (as many ranks, all training), --time=1 --signal=B:USR1@45"

# Polls the job until it ends; a requeued job waits for its BeginTime (about 2 minutes later):
# start it 3 s after the requeue instead.
state="" restarts=0 last="" pending_since=""
while :; do
  ((SECONDS - T_SUBMIT < ${SLURM_TEST_LIMIT:-480})) || fail "job $JOB not done after ${SLURM_TEST_LIMIT:-480} s (state $state)"
  info=$(scontrol -o show job "$JOB") || fail "scontrol show job $JOB failed"
  state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<< "$info")
  reason=$(sed -n 's/.* Reason=\([^ ]*\).*/\1/p' <<< "$info")
  restarts=$(sed -n 's/.* Restarts=\([0-9]*\).*/\1/p' <<< "$info")
  if [[ "$state/$reason/$restarts" != "$last" ]]; then
    log "job $JOB: $state ($reason), restarts $restarts"
    last="$state/$reason/$restarts"
  fi
  case $state in
    COMPLETED) break ;;
    PENDING)
      # Not at once: slurmd revokes the credential of the job it just killed for the requeue, and
      # refuses a start of the same job id within that second ("Killing non-startable batch
      # JobId=1: Job credential revoked", and the job ends FAILED): that is SLURM's reason for the
      # delay. A few seconds are enough.
      if [[ $reason == BeginTime ]]; then
        if [[ -z "$pending_since" ]]; then
          pending_since=$SECONDS
        elif ((SECONDS - pending_since >= 3)); then
          scontrol update JobId="$JOB" StartTime=now
          log "job $JOB requeued: StartTime=now"
          pending_since=""
        fi
      fi
      ;;
    RUNNING | CONFIGURING | COMPLETING | REQUEUED | REQUEUE_HOLD | REQUEUE_FED) ;;
    *) fail "job $JOB ended $state ($reason): $info" ;;
  esac
  sleep 1
done
T_JOB=$((SECONDS - T_SUBMIT))
log "job $JOB COMPLETED after $T_JOB s, $restarts restarts"
show "$JOB_OUT"

exit_code=$(sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' <<< "$info")
[[ $exit_code == 0:0 ]] || fail "job $JOB ExitCode=$exit_code, expected 0:0"
((restarts >= 1)) || fail "job $JOB was never requeued (Restarts=$restarts): the time limit did not interrupt the sweep"
ok "job $JOB COMPLETED with ExitCode 0:0 after $restarts requeues"
no_hdf5_diag "$JOB_OUT"
stops=$(grep -c "got SIGUSR1" "$JOB_OUT" || true)
requeues=$(grep -c "requeueing job $JOB" "$JOB_OUT" || true)
interrupted=$(grep -c "^interrupted: " "$JOB_OUT" || true)
starts=$(grep -c "\] start (restart" "$JOB_OUT" || true)
((stops >= 1 && requeues == restarts && interrupted == restarts && starts == restarts + 1)) ||
  fail "job output: $stops SIGUSR1, $requeues requeues, $interrupted 'interrupted:' lines, $starts starts; SLURM counts $restarts restarts"
expect_in "$JOB_OUT" "mpirun exited with 75" "the stopped sweep exited 75"
expect_in "$JOB_OUT" "sweep complete" "the last run of the script completed the sweep"

check "store valid with exactly $TOTAL runs" "$STORE_CHECK" valid "$STORE" --expect-runs $TOTAL
committed=$(committed_count "$STORE")
[[ $committed == "$TOTAL" ]] || fail "khsweep status: $committed runs committed, expected $TOTAL"
ok "khsweep status: $committed runs committed"
[[ ! -e $STORE.journal ]] || fail "journal left beside the store"
[[ $(checkpoint_count "$STORE") == 0 ]] || fail "checkpoints left behind: $(ls "$STORE.checkpoints")"
# /jobs/1 .. /jobs/N: every job but the last interrupted by SIGUSR1, the last completed.
job_outcome() { h5dump -a "/jobs/$1/outcome" "$STORE" | sed -n 's/^ *(0): "\(.*\)"$/\1/p'; }
for ((n = 1; n <= restarts; ++n)); do
  outcome=$(job_outcome $n)
  [[ $outcome == "interrupted by SIGUSR1" ]] || fail "/jobs/$n/outcome is '$outcome', expected 'interrupted by SIGUSR1'"
done
outcome=$(job_outcome $((restarts + 1)))
[[ $outcome == completed ]] || fail "/jobs/$((restarts + 1))/outcome is '$outcome', expected 'completed'"
ok "/jobs/1..$restarts interrupted by SIGUSR1, /jobs/$((restarts + 1)) completed"
log "timings: cluster start $((T_SUBMIT - T0)) s, job (with $restarts requeues) $T_JOB s, total $((SECONDS - T_START)) s"
