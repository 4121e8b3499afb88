#!/usr/bin/python3
"""Reads a store written by make_test_store (tests/results/synthetic_store.hpp) with h5py and
pandas, as docs/results.md and docs/store.md tell users to, and checks the columns and values.

usage: /usr/bin/python3 python_store_test.py STORE.h5
Exit 77 (ctest's SKIP_RETURN_CODE) when h5py, pandas or numpy is not installed.
"""
import math
import sys

try:
    import h5py
    import numpy as np
    import pandas as pd
except ImportError as e:
    print(f"SKIPPED: {e} (Debian: apt-get install python3-h5py python3-pandas)")
    sys.exit(77)

# docs/store.md, "/runs columns", in file order.
RUNS_COLUMNS = [
    "id", "status", "sweep", "arm",
    "task", "hidden", "k", "persistent", "init", "learning_rate", "batch_size", "epochs",
    "seed", "label_sampling", "precision", "kh", "eps0", "delta", "S", "l", "p", "R",
    "model", "activation_power", "loss_power", "readout_beta",
    "readout_learning_rate", "readout_epochs", "mhc_learning_rate", "beta", "euler_steps", "dt", "noise",
    "metrics_every", "train_metric_samples",
    "data", "train_subset", "validation_subset", "subset", "subset_seed", "threshold",
    "train_checksum", "validation_checksum", "train_samples", "validation_samples",
    "epochs_trained", "final_val_mse", "min_val_mse", "final_val_cross_entropy",
    "min_val_cross_entropy", "final_val_pll", "final_val_accuracy", "max_val_accuracy",
    "max_val_accuracy_epoch", "final_train_mse", "final_train_accuracy", "receptive_field_overlap",
    "train_seconds_per_epoch", "metric_seconds_per_evaluation", "total_seconds",
    "reason", "host", "rank", "resumed", "job", "committed_at",
]
# docs/store.md, "/run/<id>/curves".
CURVES_COLUMNS = [
    "epoch", "kh_epsilon", "train_seconds", "metric_seconds", "evaluated",
    "train_mse", "train_cross_entropy", "train_pll", "train_accuracy",
    "val_mse", "val_cross_entropy", "val_pll", "val_accuracy", "train_noisy_accuracy", "val_noisy_accuracy",
]
RUNS, EPOCHS = 6, 4  # synthetic_store.hpp


def load(store):
    # --- the example of docs/results.md, verbatim ---
    with h5py.File(store, "r") as f:
        runs = pd.DataFrame(f["runs"][:])
        for column in runs.columns:                     # fixed-length bytes -> str
            if runs[column].dtype == object:
                runs[column] = runs[column].str.decode("utf-8")
        run_id = runs["id"].iloc[0]
        curves = pd.DataFrame(f["run"][run_id]["curves"][:])
    # --- end of the example ---
    return runs, curves


def expected_val_mse(i, e):
    return math.nan if e == 1 else 0.1 * i + 0.01 * e  # epoch 1 is not evaluated


def main(store):
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    runs, curves = load(store)
    check(list(runs.columns) == RUNS_COLUMNS, f"/runs columns: {list(runs.columns)}")
    check(len(runs) == RUNS + 1, f"{len(runs)} rows, expected {RUNS + 1}")
    ids = [f"{i + 1:016x}" for i in range(RUNS)] + ["00000000000000ff"]
    check(list(runs["id"]) == ids, f"ids {list(runs['id'])}")
    check(list(runs["status"]) == ["completed"] * RUNS + ["failed"], f"statuses {list(runs['status'])}")
    check(set(runs["arm"]) == {"small", "large"}, f"arms {set(runs['arm'])}")
    check(runs["reason"].iloc[-1] == "synthetic failure", f"reason {runs['reason'].iloc[-1]!r}")
    check(all(isinstance(v, str) for v in runs["data"]), "data did not decode to str")
    check(list(runs["hidden"]) == [8, 8, 8, 16, 16, 16, 8], f"hidden {list(runs['hidden'])}")
    check(list(runs["seed"]) == [1, 2, 3, 1, 2, 3, 99], f"seed {list(runs['seed'])}")
    # --- docs/results.md, seed statistics ---
    done = runs[runs["status"].isin(["completed", "diverged"])]
    summary = done.groupby(["kh", "hidden"])["min_val_mse"].agg(["count", "mean", "sem"])
    # ---
    check(list(summary["count"]) == [3, 3], f"groupby counts {list(summary['count'])}")
    # hidden=8 is runs 0-2, min_val_mse 0.1 * i (epoch 0): mean 0.1, sem 0.1 / sqrt(3)
    check(abs(summary.loc[("none", 8), "mean"] - 0.1) < 1e-12, f"mean {summary.loc[('none', 8), 'mean']}")
    check(abs(summary.loc[("none", 8), "sem"] - 0.1 / math.sqrt(3)) < 1e-12, "sem")

    check(list(curves.columns) == CURVES_COLUMNS, f"curves columns: {list(curves.columns)}")
    with h5py.File(store, "r") as f:
        for i in range(RUNS):
            c = pd.DataFrame(f["run"][ids[i]]["curves"][:])
            check(list(c["epoch"]) == list(range(EPOCHS)), f"run {i}: epochs {list(c['epoch'])}")
            check(list(c["evaluated"]) == [1, 0, 1, 1], f"run {i}: evaluated {list(c['evaluated'])}")
            want = np.array([expected_val_mse(i, e) for e in range(EPOCHS)])
            # The C++ side computed the same double expressions: equal bit for bit.
            check(np.array_equal(c["val_mse"].to_numpy(), want, equal_nan=True),
                  f"run {i}: val_mse {list(c['val_mse'])}, expected {list(want)}")
            check(c["val_accuracy"].isna().all(), f"run {i}: val_accuracy should be NaN (not measured)")
        check("ff" not in [k[-2:] for k in f["run"].keys()], "the failed run has a /run group")
    # --- docs/results.md, the aggregates: one row per group, one column per parameter ---
    with h5py.File(store, "r") as f:
        groups = pd.DataFrame(f["aggregates/groups"][:])
    for column in groups.columns[groups.dtypes == object]:
        groups[column] = groups[column].str.decode("utf-8")
    # ---
    for column in ["key", "hidden", "kh", "eps0", "delta", "task", "train_checksum", "min_val_mse_mean"]:
        check(column in groups.columns, f"/aggregates/groups has no column {column}: {list(groups.columns)}")
    check("seed" not in groups.columns, "/aggregates/groups has a seed column")
    check(sorted(groups["hidden"]) == [8.0, 16.0], f"aggregate hidden {list(groups['hidden'])}")
    check(groups["eps0"].isna().all(), "a baseline's eps0 is not NaN in /aggregates/groups")
    # KH settings of baselines are NaN, so grouping by them needs dropna=False (docs/results.md).
    by = groups.groupby(["kh", "eps0", "hidden"], dropna=False)["min_val_mse_mean"].first()
    check(len(by) == 2, f"groupby with dropna=False gives {len(by)} groups, expected 2")
    check(len(groups.groupby(["kh", "eps0"])["n"].first()) == 0, "groupby without dropna=False kept NaN keys")
    small = groups.set_index("hidden").loc[8.0]
    check(abs(small["min_val_mse_mean"] - summary.loc[("none", 8), "mean"]) < 1e-12,
          f"aggregate mean {small['min_val_mse_mean']} differs from pandas' {summary.loc[('none', 8), 'mean']}")
    final = runs.set_index("id").loc[ids[4], "final_val_mse"]
    check(final == expected_val_mse(4, EPOCHS - 1), f"final_val_mse of run 4: {final}")

    for failure in failures:
        print("FAIL:", failure)
    if failures:
        return 1
    print(f"ok: {len(runs)} index rows with {len(RUNS_COLUMNS)} columns, curves of {RUNS} runs")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
