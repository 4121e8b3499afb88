#!/usr/bin/env bash
# Ctrl-C (SIGINT to mpirun) mid-epoch costs at most a minibatch. Open MPI 4.1's mpirun answers
# SIGINT (and SIGTERM) by sending each rank's process group SIGCONT at once, SIGTERM a second later
# and SIGKILL another second later (odls_base_sigkill_timeout = 1), and exits 1 whatever the ranks
# do; once it has begun that, no rank's MPI_Finalize returns, so the ranks end by the SIGKILL. In
# a 3-rank sweep of 3 epochs of seconds each:
#   1. SIGINT to mpirun once every run is in epoch 2: within that second every run in flight is
#      checkpointed inside its epoch, 2 or 3 for a rank that ran ahead (each rank says
#      "checkpointed at epoch E of T, batch B of N" with 0 < B < N, and store_check reads the same
#      place from its checkpoint file); a run that ended before the stop reached it is committed;
#      rank 0 records the job interrupted and says so; mpirun exits non-zero;
#   2. the same command resumes to completion, bitwise equal to an uninterrupted sweep, and leaves
#      no checkpoint behind.
# (Before mid-epoch checkpoints, the ranks asked for a stop only between epochs: round 1 killed
# them with their epochs in flight, and the runs restarted from the end of epoch 1.)
# Usage: ctrlc_resume.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init ctrlc_resume "$@"

# 3 runs, one per rank, of 3 epochs of 2000 minibatches (1-3 s per epoch with 3 ranks on 2 cores);
# the runs differ only in their seed, and metrics come only after the last epoch, so that the epochs
# are all training. The ranks do not keep pace exactly (rank 0 also coordinates): a third epoch
# keeps a rank that ran ahead from finishing its run before the stop reaches it.
cat > ctrlc.yaml << EOF
name: ctrlc
description: 3 runs of long epochs for the Ctrl-C test
fixed:
  data: $MNIST
  train_subset: 40000
  validation_subset: 500
  train_metric_samples: 500
  hidden: 600
  batch_size: 20
  epochs: 3
  metrics_every: 3
  kh: bottom_up
  eps0: 0.01
  delta: 0.4
grid:
  seed: [1, 2, 3]
service:
  checkpoint_every: 1
  commit_every_seconds: 1
EOF
TOTAL=3

# check_places LOGFILE IN_FLIGHT: each of the IN_FLIGHT runs in flight at the stop was checkpointed
# inside epoch 2 or 3 (of 3) where its rank said, and its checkpoint file holds that place.
check_places() {
  local said places id epoch batch batches in_flight="$2"
  said=$(sed -n 's/^rank [0-9]*: run \([0-9a-f]*\) checkpointed at epoch \([0-9]*\) of 3, batch \([0-9]*\) of \([0-9]*\)$/\1 \2 \3 \4/p' "$1" | sort)
  [[ -n "$said" && $(wc -l <<< "$said") == "$in_flight" ]] ||
    fail "$1: expected $in_flight lines 'rank R: run ID checkpointed at epoch E of 3, batch B of N', found: ${said:-none}"
  places=$("$STORE_CHECK" checkpoint stop.h5.checkpoints/*.ckpt)
  [[ $(wc -l <<< "$places") == "$in_flight" ]] || fail "expected $in_flight checkpoints, found: $places"
  while read -r id epoch batch batches; do
    ((epoch >= 2 && epoch <= 3 && batch > 0 && batch < batches)) ||
      fail "run $id checkpointed at epoch $epoch, batch $batch of $batches: not inside epoch 2 or 3"
    grep -qx "$id epoch $((epoch - 1)) batch $batch" <<< "$places" ||
      fail "run $id says batch $batch of epoch $epoch, its checkpoint holds: $(grep "^$id " <<< "$places")"
  done <<< "$said"
  ok "each run checkpointed inside its epoch where its rank said: ${said//$'\n'/; }"
}

log "reference: uninterrupted sweep on 3 ranks"
mpirun_sweep 3 ctrlc.yaml ref.h5 ref.log
show ref.log
expect_rc 0 "$RC" "reference sweep" ref.log
check "reference store is valid with $TOTAL runs" "$STORE_CHECK" valid ref.h5 --expect-runs $TOTAL

log "round 1: SIGINT to mpirun in epoch 2"
start_sweep 3 ctrlc.yaml stop.h5 stop1.log
wait_started stop1.log
# Epoch 1's checkpoints (checkpoint_every: 1) mark the start of epoch 2; the ranks get SIGTERM a
# second after the SIGINT, inside it.
for ((i = 0; i < 600; ++i)); do
  (($(checkpoint_count stop.h5) < TOTAL)) || break
  sleep 0.05
done
(($(checkpoint_count stop.h5) == TOTAL)) || { show stop1.log; fail "the runs did not all finish epoch 1 within 30 s"; }
kill -INT "$SWEEP_PID"
wait_sweep
wait_session_gone "$SWEEP_PID"
show stop1.log
no_hdf5_diag stop1.log
((RC != 0)) || fail "mpirun exited 0 after SIGINT"
ok "mpirun exited $RC (Open MPI's own code after SIGINT)"
expect_in stop1.log "stopping on SIGTERM" "rank 0 stopped on the SIGTERM Open MPI sent a second after the SIGINT"
# 3 ranks share 2 cores, so one may be given a core of its own and run ahead: its run can end in
# the second between the SIGINT and the SIGTERM. Such a run is committed; every other is checkpointed.
done_before=$(sed -n "s|.*interrupted: \([0-9]*\)/$TOTAL runs .*|\1|p" stop1.log)
[[ -n "$done_before" ]] || { show stop1.log; fail "rank 0 did not say 'interrupted: D/$TOTAL runs' before Open MPI's SIGKILL"; }
in_flight=$((TOTAL - done_before))
((in_flight >= 1)) || fail "every run ended before the stop reached it: nothing was interrupted"
ok "rank 0 committed and said so before Open MPI's SIGKILL: $done_before of $TOTAL runs had ended, $in_flight in flight"
expect_in stop1.log "; $in_flight runs checkpointed" "every run in flight was checkpointed"
outcome=$(job_outcome stop.h5 1)
[[ "$outcome" == "interrupted by SIGTERM" ]] || fail "/jobs/1/outcome is '$outcome', expected 'interrupted by SIGTERM'"
check "store valid after the stop, with the $done_before runs that ended" "$STORE_CHECK" valid stop.h5 --expect-runs "$done_before"
check_places stop1.log "$in_flight"

log "round 2: the same command resumes to completion"
resume_to_completion 3 ctrlc.yaml stop.h5 ref.h5 $TOTAL
