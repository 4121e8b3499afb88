#!/usr/bin/env bash
# One sweep mixing the three model kinds (a cRBM, KH-bio, the MHC; 2 seeds each) on 3 MPI ranks into
# one store: the store is valid with all 6 runs, `query` and `aggregate` read them through the same
# index table, the KH-bio and MHC runs beat chance, and a KH-bio and an MHC run retrained alone with
# `khsweep train --out` equal the store's copies bit for bit; a store from before the model kinds
# reads as RBM runs and is upgraded by the next sweep.
# Usage: mixed_models.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init mixed_models "$@"

cat > mixed.yaml << EOF
name: mixed
description: RBM, KH-bio and MHC runs in one sweep
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
grid:
  seed: [1, 2]
arms:
  - name: rbm
    task: classification
    hidden: 16
    epochs: 2
  - name: kh_bio
    model: kh_bio
    hidden: 32
    epochs: 10
    eps0: 0.2
    readout_epochs: 5
  - name: mhc
    model: mhc
    epochs: 2
    euler_steps: 10
service:
  checkpoint_every: 1
  commit_every_seconds: 0.5
EOF

log "plan: $("$KHSWEEP" plan mixed.yaml | sed -n 's/^runs: //p') runs"
mpirun_sweep 3 mixed.yaml mixed.h5 sweep.log
show sweep.log
expect_rc 0 "$RC" "mixed sweep on 3 ranks" sweep.log
expect_in sweep.log "done: 6/6 runs" "the mixed sweep reports all runs done"
no_hdf5_diag sweep.log
check "mixed.h5 is valid with exactly 6 runs" "$STORE_CHECK" valid mixed.h5 --expect-runs 6

"$KHSWEEP" query mixed.h5 --columns model,arm,seed,max_val_accuracy --sort model --format csv > query.csv 2> query.err ||
  { show query.err; fail "khsweep query exited $?"; }
show query.csv
for kind in rbm kh_bio mhc; do
  rows=$(awk -F, -v kind="$kind" 'NR > 1 && $1 == kind' query.csv | wc -l)
  [[ $rows == 2 ]] || fail "query lists $rows runs of model $kind, expected 2"
  [[ $kind == rbm ]] && continue  # a 2-epoch cRBM on 1000 images is still near chance: it is here as a neighbour
  # 10 classes: chance is 0.1; even these tiny runs must clearly beat it.
  awk -F, -v kind="$kind" 'NR > 1 && $1 == kind && !($4 > 0.3) { bad = 1 } END { exit bad }' query.csv ||
    fail "a $kind run has max_val_accuracy <= 0.3"
done
ok "query lists 2 runs of each model kind; the KH-bio and MHC runs beat chance"

"$KHSWEEP" query mixed.h5 --where "model=mhc" --columns id,model,beta,euler_steps,hidden --format csv > mhc.csv 2>&1 ||
  { show mhc.csv; fail "khsweep query --where model=mhc exited $?"; }
[[ $(($(wc -l < mhc.csv) - 1)) == 2 ]] || { show mhc.csv; fail "--where model=mhc does not select the 2 MHC runs"; }
ok "query --where model=mhc selects the MHC runs"

"$KHSWEEP" aggregate mixed.h5 --metrics max_val_accuracy > aggregate.log 2>&1 ||
  { show aggregate.log; fail "khsweep aggregate exited $?"; }
show aggregate.log
expect_in aggregate.log "3 groups of 6 runs" "aggregate groups the seeds of each model kind"
check "mixed.h5 is still valid after aggregate" "$STORE_CHECK" valid mixed.h5 --expect-runs 6

# A KH-bio and an MHC run retrained alone give the same bits as the sweep's copies.
id_bio=$(run_id_of mixed.yaml kh_bio seed=2) || fail "no unique kh_bio run seed=2 in the plan"
id_mhc=$(run_id_of mixed.yaml mhc seed=1) || fail "no unique mhc run seed=1 in the plan"
common=(--data "$MNIST" --train_subset 1000 --validation_subset 300)
"$KHSWEEP" train "${common[@]}" --model kh_bio --hidden 32 --epochs 10 --eps0 0.2 --readout_epochs 5 --seed 2 \
  --out bio.h5 > bio.log 2>&1 || { show bio.log; fail "khsweep train (kh_bio) exited $?"; }
"$KHSWEEP" train "${common[@]}" --model mhc --epochs 2 --euler_steps 10 --seed 1 \
  --out mhc.h5 > mhc.log 2>&1 || { show mhc.log; fail "khsweep train (mhc) exited $?"; }
show mhc.log
no_hdf5_diag bio.log mhc.log
check "khsweep train equals the KH-bio run in mixed.h5" "$STORE_CHECK" same-run bio.h5 mixed.h5 "$id_bio"
check "khsweep train equals the MHC run in mixed.h5" "$STORE_CHECK" same-run mhc.h5 mixed.h5 "$id_mhc"

# A store written before the model kinds (schema 1: no `model` column in /runs and no kind
# attributes in /config, the /runs column `dataset` and the /config names gibbs_steps, kh_eps0, ...)
# stays readable, and the next sweep into it upgrades it in place to schema 2 and appends the new
# kinds' runs.
if /usr/bin/python3 -c "import h5py, numpy" 2> /dev/null; then
  cat > old.yaml << EOF
name: old
fixed: {data: $MNIST, train_subset: 300, validation_subset: 100, epochs: 1}
grid: {hidden: [8, 16]}
EOF
  "$KHSWEEP" run old.yaml --store old.h5 > old.log 2>&1 || { show old.log; fail "khsweep run old.yaml exited $?"; }
  /usr/bin/python3 - old.h5 << 'EOF'
import sys, h5py, numpy as np
added = ["model", "activation_power", "loss_power", "readout_beta", "readout_learning_rate", "readout_epochs",
         "mhc_learning_rate", "beta", "euler_steps", "dt", "noise"]
former_attribute = {"k": "gibbs_steps", "eps0": "kh_eps0", "delta": "kh_delta", "S": "kh_anneal_epochs",
                    "l": "kh_rank", "p": "kh_power", "R": "kh_radius"}
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["schema"] = "khsweep-store/1"
    runs = f["runs"][:]
    kept = [n for n in runs.dtype.names if n not in added]
    old = np.empty(runs.shape, dtype=[("dataset" if n == "data" else n, runs.dtype[n]) for n in kept])
    for n in kept:
        old["dataset" if n == "data" else n] = runs[n]
    del f["runs"]
    f.create_dataset("runs", data=old, maxshape=(None,), chunks=True)
    for run in f["run"].values():
        config = run["config"].attrs
        for a in added:
            del config[a]
        for name, former in former_attribute.items():
            value = config[name]
            del config[name]
            config[former] = value
EOF
  "$KHSWEEP" query old.h5 --columns model,hidden,data --format csv > old.csv 2>&1 || { show old.csv; fail "query of a schema 1 store exited $?"; }
  [[ $(grep -c '^rbm,' old.csv) == 2 ]] || { show old.csv; fail "a schema 1 store's runs do not read as model rbm"; }
  grep -q "$MNIST" old.csv || { show old.csv; fail "a schema 1 store's dataset column does not read as data"; }
  mpirun_sweep 3 mixed.yaml old.h5 upgrade.log
  expect_rc 0 "$RC" "mixed sweep into a pre-kinds store" upgrade.log
  check "the upgraded store is valid with 2 + 6 runs" "$STORE_CHECK" valid old.h5 --expect-runs 8
  "$KHSWEEP" query old.h5 --where "model=rbm" --columns id --format csv > upgraded.csv 2>&1 ||
    { show upgraded.csv; fail "query of the upgraded store exited $?"; }
  [[ $(($(wc -l < upgraded.csv) - 1)) == 4 ]] || { show upgraded.csv; fail "the upgraded store does not hold 4 rbm runs"; }
  /usr/bin/python3 - old.h5 << 'EOF' || fail "the upgraded store does not use one name per parameter"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    schema = f.attrs["schema"]
    assert schema in (b"khsweep-store/2", "khsweep-store/2"), schema
    assert "data" in f["runs"].dtype.names and "dataset" not in f["runs"].dtype.names
    for run in f["run"].values():
        assert "eps0" in run["config"].attrs and "kh_eps0" not in run["config"].attrs, list(run["config"].attrs)
EOF
  ok "a schema 1 store reads as RBM runs, takes a mixed sweep and comes out schema 2"
else
  log "skipping the schema 1 store check: /usr/bin/python3 has no h5py"
fi
