#!/usr/bin/env bash
# kill -9 of a whole 3-rank job (mpirun and every rank, as a node failure or a scheduler's hard
# kill would), at a random moment, at least 10 times in a row on one store. After every kill:
# the store is readable (`khsweep status` says an interrupted commit is pending and exits 3 without
# writing; `khsweep recover` rolls it back; then status exits 0), h5dump -H
# reads it, store_check finds it consistent (no partial run), and no run committed before is
# lost. Then the same command resumes to completion, and the store is bitwise the same as an
# uninterrupted 2-rank sweep's.
# Usage: kill_resume.sh KHSWEEP STORE_CHECK   (env KILL_SEED: the seed of the kill times; KILL_ROUNDS)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init kill_resume "$@"

ROUNDS=${KILL_ROUNDS:-10}
SEED=${KILL_SEED:-$(( ($$ * 7919 + $(date +%s)) % 32768 ))}
RANDOM=$SEED
log "kill times drawn with seed $SEED (rerun with KILL_SEED=$SEED to repeat them)"

# 40 runs of about 1 s each (40 s on one rank): long enough for the 10 kills to land
# mid-sweep, mid-run and (every third round) mid-commit; a round adds a few runs. (Sized for the
# lane-kernel trainer of issue 10 and three training ranks: 3000 images x 8 epochs, as before,
# let whole sweeps finish between kills, and 6000 x 12 left only 5 of 10 kills mid-sweep in CI.)
cat > kill.yaml << EOF
name: kill
description: 40 short runs for the kill -9 test
fixed:
  data: $MNIST
  train_subset: 6000
  validation_subset: 500
  epochs: 24
grid:
  hidden: [24, 32]
  seed: [1, 2, 3, 4]
arms:
  - name: baseline
    kh: none
  - name: kh
    kh: [top_down, bottom_up]
    eps0: [0.01, 0.02]
    delta: [0.4]
service:
  checkpoint_every: 1
  commit_every_seconds: 0.5
EOF
TOTAL=40

log "reference: uninterrupted sweep on 2 ranks"
mpirun_sweep 2 kill.yaml ref.h5 ref.log
show ref.log
expect_rc 0 "$RC" "reference sweep" ref.log
check "reference store is valid with $TOTAL runs" "$STORE_CHECK" valid ref.h5 --expect-runs $TOTAL

: > prev_ids
mid_sweep_kills=0
journal_kills=0
for ((round = 1; round <= ROUNDS; ++round)); do
  ms=$((500 + RANDOM % 2501))   # in this shell: a $(...) subshell would reseed RANDOM
  start_sweep 3 kill.yaml kill.h5 "round$round.log"
  sid=$SWEEP_PID
  if ((round % 3 != 0)); then
    mode="at a random time"
    sleep "$(ms_to_s "$ms")"
  else
    # Every third round aims at a commit: after the random delay, wait for the journal to appear
    # and kill at once, with the shell's builtin kill on pids gathered beforehand.
    mode="at the next commit"
    sleep "$(ms_to_s "$ms")"
    pids=$(pgrep -s "$sid" | tr '\n' ' ' || true)   # none when the job already finished
    deadline=$((SECONDS + 3))
    while [[ ! -e kill.h5.journal ]] && ((SECONDS < deadline)); do :; done
    kill -KILL $pids 2> /dev/null || true
  fi
  pkill -KILL -s "$sid" || true
  wait_sweep 2> /dev/null
  wait_session_gone "$sid"
  no_hdf5_diag "round$round.log"
  # What the kill left on disk: checkpoints of runs in progress, and the journal of a commit it
  # interrupted (it exists only while a commit runs).
  ckpts=$(checkpoint_count kill.h5)
  journal=no
  if [[ -e kill.h5.journal ]]; then
    journal="yes (an interrupted commit)"
    journal_kills=$((journal_kills + 1))
  fi
  if [[ $RC == 0 ]]; then
    outcome="finished before the kill"
  else
    outcome="killed $mode (mpirun exit $RC)"
    mid_sweep_kills=$((mid_sweep_kills + 1))
  fi

  if [[ ! -e kill.h5 ]]; then
    # Killed while the very first transaction created the store: rolled back to no store at all.
    [[ ! -s prev_ids ]] || fail "round $round: kill.h5 vanished although runs were committed before"
    log "round $round: $outcome after $(ms_to_s "$ms")+ s, before the store was created (journal: $journal)"
    continue
  fi
  # `khsweep status` is the read-only look a user takes after a crash. It never writes: with an
  # interrupted commit pending it says so (exit 3) and leaves the journal; `khsweep recover` rolls
  # it back; then status works.
  rc=0
  if [[ -e kill.h5.journal ]]; then
    "$KHSWEEP" status kill.h5 > status.out 2> status.err || rc=$?
    [[ $rc == 3 ]] || { cat status.out status.err; fail "round $round: khsweep status exited $rc with a journal pending, expected 3"; }
    grep -q "an interrupted commit is pending" status.err ||
      { cat status.err; fail "round $round: khsweep status does not say the commit is pending"; }
    [[ -e kill.h5.journal ]] || fail "round $round: khsweep status removed the journal: readers must not write"
    rc=0
    "$KHSWEEP" recover kill.h5 > recover.out 2>&1 || rc=$?
    [[ $rc == 0 ]] || { cat recover.out; fail "round $round: khsweep recover exited $rc"; }
    grep -q "rolled back an interrupted commit" recover.out || { cat recover.out; fail "round $round: recover says: $(cat recover.out)"; }
    rc=0
    if [[ ! -e kill.h5 ]]; then
      # The kill hit the very first commit, which created the store: rolled back to no store at all.
      [[ ! -s prev_ids ]] || fail "round $round: recover removed kill.h5 although runs were committed before"
      log "round $round: $outcome after $(ms_to_s "$ms")+ s, in the commit that created the store (rolled back)"
      continue
    fi
  fi
  "$KHSWEEP" status kill.h5 > status.out 2> status.err || rc=$?
  [[ $rc == 0 ]] || { cat status.out status.err; fail "round $round: khsweep status exited $rc"; }
  [[ ! -s status.err ]] || { cat status.err; fail "round $round: khsweep status wrote to stderr"; }
  [[ ! -e kill.h5.journal ]] || fail "round $round: the journal is still there after khsweep recover"
  h5dump -H kill.h5 > h5dump.out 2>&1 || { tail -n 20 h5dump.out; fail "round $round: h5dump -H kill.h5 failed"; }
  "$STORE_CHECK" valid kill.h5 > valid.out 2>&1 || { cat valid.out; fail "round $round: store_check valid failed after kill -9"; }
  "$STORE_CHECK" ids kill.h5 > ids
  lost=$(comm -23 prev_ids ids)
  [[ -z "$lost" ]] || fail "round $round: committed runs lost after kill -9: $lost"
  committed=$(wc -l < ids)
  log "round $round: $outcome after $(ms_to_s "$ms")+ s; $committed/$TOTAL committed" \
      "(+$((committed - $(wc -l < prev_ids)))); journal at kill: $journal; checkpoints at kill: $ckpts;" \
      "status, h5dump and store_check valid ok, none lost"
  mv ids prev_ids
done
log "$mid_sweep_kills of $ROUNDS kills landed while the job ran, $journal_kills left a journal of an interrupted commit"
((mid_sweep_kills >= ROUNDS / 2)) || fail "only $mid_sweep_kills of $ROUNDS kills landed mid-sweep: the sweep is too short for this machine"

log "resuming to completion on 3 ranks"
resume_to_completion 3 kill.yaml kill.h5 ref.h5 $TOTAL
if [[ -s prev_ids ]]; then
  check "resumed store holds every run committed before" "$STORE_CHECK" contains kill.h5 $(cat prev_ids)
fi
[[ ! -e kill.h5.journal ]] || fail "journal left behind by the completed sweep"
ok "no journal left behind"
