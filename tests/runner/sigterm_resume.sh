#!/usr/bin/env bash
# Graceful stops of a 2-rank sweep and its resumption:
#   1. SIGUSR1 to mpirun (which forwards it to the ranks): exit 75, "interrupted: ..." line, the
#      store valid with fewer than all runs, one checkpoint per run reported checkpointed;
#   2. the same command again, then SIGTERM to the khsweep processes themselves: exit 75 again;
#   3. the same command again: exit 0, every run exactly once, bitwise the same as an
#      uninterrupted 1-rank sweep, no checkpoint left; /jobs records each job's outcome.
# Usage: sigterm_resume.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init sigterm_resume "$@"

signal_test_sweep stop "18 short runs for the signal test" > stop.yaml
TOTAL=$SIGNAL_TEST_RUNS

log "reference: uninterrupted sweep on 1 rank"
mpirun_sweep 1 stop.yaml ref.h5 ref.log
show ref.log
expect_rc 0 "$RC" "reference sweep" ref.log
check "reference store is valid with $TOTAL runs" "$STORE_CHECK" valid ref.h5 --expect-runs $TOTAL

# stopped_round N HOW: checks a sweep stopped by a signal; sets DONE to its committed runs.
stopped_round() {
  local n=$1 how=$2 logfile=stop$1.log
  show "$logfile"
  expect_rc 75 "$RC" "sweep stopped by $how" "$logfile"
  expect_in "$logfile" "interrupted: " "the sweep stopped by $how says so"
  no_hdf5_diag "$logfile"
  check "store valid after the stop by $how" "$STORE_CHECK" valid stop.h5
  DONE=$("$STORE_CHECK" ids stop.h5 | wc -l)
  ((DONE < TOTAL)) || fail "the sweep stopped by $how had already committed all $TOTAL runs: stop came too late"
  local reported
  reported=$(sed -n 's/^interrupted: \([0-9]*\)\/.*/\1/p' "$logfile")
  [[ "$reported" == "$DONE" ]] || fail "the interrupted line says $reported runs are in the store, store_check counts $DONE"
  [[ ! -e stop.h5.journal ]] || fail "journal left behind by a graceful stop"
  local outcome
  outcome=$(job_outcome stop.h5 "$n")
  [[ "$outcome" == "interrupted by $3" ]] || fail "/jobs/$n/outcome is '$outcome', expected 'interrupted by $3'"
  log "ok: $how: $DONE/$TOTAL committed, $(checkpoint_count stop.h5) checkpoints kept, /jobs/$n/outcome '$outcome'"
  # The stop should reach only the runs in flight; a run handed out after the signal arrived
  # would cost an extra epoch and checkpoint: fail if more runs were checkpointed than were running.
  local running stopped
  running=$(sed -n 's/^stopping on .*; \([0-9]*\) running runs checkpoint and stop.*/\1/p' "$logfile")
  stopped=$(sed -n 's/.*; \([0-9]*\) runs checkpointed.*/\1/p' "$logfile")
  if [[ -n "$running" && -n "$stopped" ]] && ((stopped > running)); then
    fail "$running runs were running at the stop but $stopped were checkpointed:" \
        "the coordinator handed out runs after the stop signal"
  fi
}

# A signal that lands in a run's last epoch lets that run finish (correctly: nothing is left to
# checkpoint), so with 20-epoch runs about 1 round in 20 has no run in flight to checkpoint. Retry
# such a round on a fresh store, so the checkpoint path is always exercised.
for attempt in 1 2 3; do
  # Runs take near-constant time on a quiet machine, so a fixed delay would hit the same epoch of
  # the same run on every attempt: shift it by about a third of a run each time.
  delay=$(awk -v a="$attempt" -v r="$RANDOM" 'BEGIN { printf "%.2f", 1.7 + 0.3 * a + (r % 20) / 100 }')
  log "round 1 (attempt $attempt): SIGUSR1 to mpirun $delay s after the sweep started"
  rm -rf stop.h5 stop.h5.*
  start_sweep 2 stop.yaml stop.h5 stop1.log
  wait_started stop1.log
  sleep "$delay"
  kill -USR1 "$SWEEP_PID"
  wait_sweep
  stopped_round 1 "SIGUSR1 to mpirun" SIGUSR1
  first=$DONE
  # On a fresh store every checkpoint belongs to a run this job stopped.
  checkpointed=$(sed -n 's/.*; \([0-9]*\) runs checkpointed.*/\1/p' stop1.log)
  [[ "$checkpointed" == "$(checkpoint_count stop.h5)" ]] ||
    fail "the sweep reports $checkpointed runs checkpointed, but there are $(checkpoint_count stop.h5) checkpoint files"
  ((checkpointed >= 1)) && break
  log "the signal landed in the last epoch of the run in flight, which finished instead: again"
done
((checkpointed >= 1)) || fail "in 3 attempts no run was in flight when SIGUSR1 arrived"
ok "$checkpointed runs checkpointed, as many checkpoint files"

log "round 2: SIGTERM to the khsweep processes (not mpirun) 2 s after the sweep started"
start_sweep 2 stop.yaml stop.h5 stop2.log
wait_started stop2.log
expect_in stop2.log "$first already in stop.h5" "the second job finds the first job's runs"
sleep 2
ranks=$(rank_pids "$SWEEP_PID")
[[ $(wc -w <<< "$ranks") == 2 ]] || fail "expected 2 khsweep ranks in session $SWEEP_PID, found: $ranks"
kill -TERM $ranks
wait_sweep
stopped_round 2 "SIGTERM to the ranks" SIGTERM
((DONE >= first)) || fail "runs lost: $first committed after round 1, $DONE after round 2"

log "round 3: the same command resumes to completion"
resume_to_completion 2 stop.yaml stop.h5 ref.h5 $TOTAL
outcome=$(job_outcome stop.h5 3)
[[ "$outcome" == completed ]] || fail "/jobs/3/outcome is '$outcome', expected 'completed'"
ok "/jobs/3/outcome 'completed'"
