#!/usr/bin/env bash
# One sweep of 12 tiny runs (baseline in double precision, KH_TD and KH_BU cRBMs in float) on 1, 2
# and 3 MPI ranks into three stores: each store is valid and holds the 12 runs exactly once, the
# three are bitwise the same (results do not depend on the rank count or on which rank trained a
# run), a fourth store written without mpirun (no MPI at all) is the same again, and two runs
# retrained alone with `khsweep train --out` equal the stores' copies.
# A negative control checks that store_check does see a one-bit change of a weight.
# Usage: sweep_ranks.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init sweep_ranks "$@"

cat > ranks.yaml << EOF
name: ranks
description: 12 tiny runs for the rank-count independence test
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
  epochs: 4
grid:
  hidden: [16, 32]
  seed: [1, 2]
arms:
  - name: baseline
    kh: none
    precision: double
  - name: kh
    task: classification
    kh: [top_down, bottom_up]
    eps0: [0.01]
    delta: [0.4]
service:
  checkpoint_every: 1
  commit_every_seconds: 0.5
EOF

log "plan: $("$KHSWEEP" plan ranks.yaml | sed -n 's/^runs: //p') runs"
for np in 1 2 3; do
  log "sweep on $np rank(s) into np$np.h5"
  mpirun_sweep "$np" ranks.yaml np$np.h5 np$np.log
  show np$np.log
  expect_rc 0 "$RC" "sweep on $np rank(s)" np$np.log
  expect_in np$np.log "done: 12/12 runs" "sweep on $np rank(s) reports all runs done"
  no_hdf5_diag np$np.log
  check "np$np.h5 is valid with exactly 12 runs" "$STORE_CHECK" valid np$np.h5 --expect-runs 12
  [[ ! -e np$np.h5.journal ]] || fail "np$np.h5.journal left behind by a completed sweep"
  [[ $(checkpoint_count np$np.h5) == 0 ]] || fail "checkpoints left behind by a completed sweep: $(ls np$np.h5.checkpoints)"
done

check "1 rank and 2 ranks give the same store" "$STORE_CHECK" same np1.h5 np2.h5
check "1 rank and 3 ranks give the same store" "$STORE_CHECK" same np1.h5 np3.h5
check "2 ranks and 3 ranks give the same store" "$STORE_CHECK" same np2.h5 np3.h5

# Without mpirun, `khsweep run` trains in its one process and never starts MPI: the same store.
log "sweep without mpirun into alone.h5"
RC=0
"$KHSWEEP" run ranks.yaml --store alone.h5 --quiet > alone.log 2>&1 || RC=$?
show alone.log
expect_rc 0 "$RC" "sweep without mpirun" alone.log
mpi_version=$(job_attribute alone.h5 1 mpi_version)
[[ "$mpi_version" == "none (one process, without mpirun)" ]] || fail "/jobs/1/mpi_version of a run without mpirun is '$mpi_version'"
check "without mpirun and with 3 ranks give the same store" "$STORE_CHECK" same alone.h5 np3.h5

# A second run of the same command finds everything committed and trains nothing.
mpirun_sweep 2 ranks.yaml np2.h5 again.log
expect_rc 0 "$RC" "re-running a complete sweep" again.log
expect_in again.log "12 already in np2.h5" "a complete sweep is recognised as such"
check "np2.h5 still holds exactly 12 runs" "$STORE_CHECK" valid np2.h5 --expect-runs 12
check "np2.h5 unchanged by the no-op rerun" "$STORE_CHECK" same np1.h5 np2.h5

# Two runs retrained alone, one per arm (double-precision RBM, float cRBM with KH_BU).
id_base=$(run_id_of ranks.yaml baseline hidden=32 seed=2) || fail "no unique baseline run hidden=32 seed=2 in the plan"
id_kh=$(run_id_of ranks.yaml kh hidden=16 seed=1 kh=bottom_up) || fail "no unique kh run hidden=16 seed=1 kh=bottom_up in the plan"
log "retraining baseline run $id_base and KH run $id_kh alone"
check "the plan's ids are in the store" "$STORE_CHECK" contains np1.h5 "$id_base" "$id_kh"
common=(--data "$MNIST" --train_subset 1000 --validation_subset 300 --epochs 4)
"$KHSWEEP" train "${common[@]}" --hidden 32 --seed 2 --kh none --precision double --out base.h5 > base.log 2>&1 ||
  { show base.log; fail "khsweep train (baseline) exited $?"; }
"$KHSWEEP" train "${common[@]}" --hidden 16 --seed 1 --task classification --kh bottom_up --eps0 0.01 --delta 0.4 \
  --out kh.h5 > kh.log 2>&1 || { show kh.log; fail "khsweep train (kh) exited $?"; }
no_hdf5_diag base.log kh.log
for np in 1 3; do
  check "khsweep train equals the baseline run in np$np.h5" "$STORE_CHECK" same-run base.h5 np$np.h5 "$id_base"
  check "khsweep train equals the KH run in np$np.h5" "$STORE_CHECK" same-run kh.h5 np$np.h5 "$id_kh"
done

# Negative control: flip the lowest bit of one weight of the run file; store_check must notice.
offset=$(h5dump -p -H -d /params/W kh.h5 | sed -n 's/^ *OFFSET \([0-9][0-9]*\).*/\1/p')
[[ -n "$offset" ]] || fail "cannot find the storage offset of /params/W in kh.h5"
byte_at=$((offset + 4 * 100))   # element 100, its least significant byte (little endian)
old=$(od -An -tu1 -j "$byte_at" -N1 kh.h5 | tr -d ' ')
printf "\\x$(printf %02x $((old ^ 1)))" | dd of=kh.h5 bs=1 seek="$byte_at" conv=notrunc status=none
if out=$("$STORE_CHECK" same-run kh.h5 np1.h5 "$id_kh" 2>&1); then
  fail "store_check same-run missed a flipped bit in params/W: $out"
fi
[[ "$out" == *"params/W differs"* ]] || fail "store_check same-run failed for another reason than params/W: $out"
ok "negative control: a one-bit change of W is reported ($out)"
