#!/usr/bin/env bash
# A stop signal that reaches worker ranks alone (a node-level signal), not the job: each worker's
# run in flight checkpoints and goes back to the queue, the stopped workers get no more runs, and
# the coordinator trains the rest. The job ends with exit 0 only with every run committed, bitwise
# equal to an uninterrupted 1-rank sweep, and /jobs/1/outcome "completed". (Before, every later run
# handed to such a worker came back "interrupted" and was dropped: exit 0, "completed", runs missing.)
# Usage: worker_signal.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init worker_signal "$@"

signal_test_sweep worker-signal "18 short runs; the workers get SIGTERM, the coordinator does not" > sweep.yaml
TOTAL=$SIGNAL_TEST_RUNS

log "reference: uninterrupted sweep on 1 rank"
mpirun_sweep 1 sweep.yaml ref.h5 ref.log
expect_rc 0 "$RC" "reference sweep" ref.log

log "3 ranks; SIGTERM to the two worker ranks only, 2 s after the start"
start_sweep 3 sweep.yaml run.h5 run.log
wait_started run.log
sleep 2
coordinator=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' run.h5.lock)
[[ -n "$coordinator" ]] || fail "no coordinator pid in run.h5.lock"
workers=$(rank_pids "$SWEEP_PID" | grep -vx "$coordinator" || true)
[[ $(wc -w <<< "$workers") == 2 ]] || fail "expected 2 worker ranks besides coordinator $coordinator, found: $workers"
kill -TERM $workers
wait_sweep
show run.log
expect_rc 0 "$RC" "sweep whose workers alone were stopped" run.log
expect_in run.log "stopped on a signal of its own" "the coordinator says a rank stopped on its own"
expect_in run.log "done: $TOTAL/$TOTAL" "every run of the sweep is done"
no_hdf5_diag run.log
check "store valid with all $TOTAL runs" "$STORE_CHECK" valid run.h5 --expect-runs $TOTAL
check "equal to the uninterrupted 1-rank sweep bitwise" "$STORE_CHECK" same ref.h5 run.h5
outcome=$(job_outcome run.h5 1)
[[ "$outcome" == completed ]] || fail "/jobs/1/outcome is '$outcome', expected 'completed'"
ok "all $TOTAL runs committed, bitwise as the reference; /jobs/1/outcome 'completed'"
