#!/usr/bin/env bash
# A sweep on a store without file locks (HDF5_USE_FILE_LOCKING=FALSE, as on a Lustre or NFS mount
# that gives none): `khsweep status` still tells that it runs, from the job's progress file; a
# second `khsweep run`, `khsweep recover` and writing /aggregates are refused while it runs; readers
# beside it never mistake its commits for a dead writer's; once it ends, status says so and a new job
# goes ahead.
# Usage: unlocked_status.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init unlocked_status "$@"
export HDF5_USE_FILE_LOCKING=FALSE

signal_test_sweep unlocked "the signal tests' sweep, on a store without file locks" > unlocked.yaml

start_sweep 2 unlocked.yaml unlocked.h5 unlocked.log
wait_started unlocked.log
seen=""
while [[ "$(ps -o stat= -p "$SWEEP_PID" 2> /dev/null)" == [^Z]* ]]; do
  "$KHSWEEP" status unlocked.h5 > status.out 2> status.err || { cat status.out status.err; fail "status failed beside the sweep"; }
  # Running, and with a run committed, so that aggregate has something to aggregate.
  if grep -q "running, as far as can be told without file locks: khsweep run (pid [0-9]* on host " status.out &&
    ! grep -q "^ *0 runs committed" status.out; then
    seen=yes
    break
  fi
  sleep 0.2
done
[[ -n "$seen" ]] || { cat status.out; fail "no status call told that the sweep runs"; }
ok "status beside the sweep: $(grep running status.out | head -1 | sed 's/^ *//')"

rc=0
"$KHSWEEP" run unlocked.yaml --store unlocked.h5 --quiet > second.log 2>&1 || rc=$?
[[ $rc != 0 ]] || { show second.log; fail "a second job was let into the store of a running one"; }
expect_in second.log "unlocked.h5: the store seems in use by another khsweep run (pid " "the second job"
ok "a second job was refused (exit $rc): $(grep -o 'the store seems in use[^;]*' second.log | head -1)"

rc=0
"$KHSWEEP" recover unlocked.h5 > recover.log 2>&1 || rc=$?
[[ $rc != 0 ]] || { show recover.log; fail "recover went ahead beside a running sweep"; }
expect_in recover.log "judged from its progress file: this file system gives no locks" "recover"
ok "recover was refused (exit $rc)"

rc=0
"$KHSWEEP" aggregate unlocked.h5 > aggregate.log 2>&1 || rc=$?
[[ $rc != 0 ]] || { show aggregate.log; fail "aggregate wrote /aggregates beside a running sweep without locks"; }
expect_in aggregate.log "cannot write /aggregates while a sweep seems to run on it" "aggregate"
"$KHSWEEP" aggregate unlocked.h5 --no-write > aggregate.log 2>&1 || { show aggregate.log; fail "aggregate --no-write failed beside the sweep"; }
ok "aggregate was refused (exit $rc) and aggregate --no-write went ahead"

# Readers beside the job until it ends: a commit in progress is the live job's (its journal is no
# dead writer's), so none may say "an interrupted commit is pending" or fail.
polls=0
while [[ "$(ps -o stat= -p "$SWEEP_PID" 2> /dev/null)" == [^Z]* ]]; do
  polls=$((polls + 1))
  for reader in status query; do
    rc=0
    "$KHSWEEP" "$reader" unlocked.h5 > reader.out 2>&1 || rc=$?
    [[ $rc == 0 ]] || { cat reader.out; fail "khsweep $reader exited $rc beside the sweep without locks (poll $polls)"; }
    ! grep -q "interrupted commit is pending" reader.out || { cat reader.out; fail "khsweep $reader took the live job's commit for a dead writer's"; }
  done
  sleep 0.1
done
ok "$polls polls of status and query beside the sweep: none failed"

wait_sweep
expect_rc 0 "$RC" "the sweep without file locks" unlocked.log
"$KHSWEEP" status unlocked.h5 > status.out
grep -q "$SIGNAL_TEST_RUNS runs committed" status.out || { cat status.out; fail "the finished store does not show $SIGNAL_TEST_RUNS runs"; }
grep -q "no sweep is running on it (as far as can be told without file locks: its last job wrote its progress .* ago and ended)" status.out ||
  { cat status.out; fail "status after the end does not say the job ended"; }
ok "after the end: $(grep 'no sweep' status.out | sed 's/^ *//')"

rc=0
"$KHSWEEP" run unlocked.yaml --store unlocked.h5 --quiet > again.log 2>&1 || rc=$?
expect_rc 0 "$rc" "a new job on the finished store" again.log
ok "a new job on the finished store went ahead"
