#!/usr/bin/env bash
# How well `khsweep plan` predicts this machine: plans a small sweep of the kinds of runs the
# papers' grids hold (RBM and cRBM, M = 100 and 300, CD-1 and CD-3, without KH and with KH_TD and
# KH_BU), trains it on one process, and prints the plan's estimate beside the measured training and
# metric time of every run (the store's total_seconds) and in all, as measured/planned ratios.
# The cost model's constants (src/sweep/cost.cpp) come from `khsweep bench`; this checks them on
# whole runs, data loading and start-up aside.
# Usage: scripts/cost-check.sh [BUILD_DIR]   (run from anywhere; needs MNIST in data/ or $KHSWEEP_DATA_DIR)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
khsweep=$(cd "${1:-$repo/build}" && pwd)/khsweep
[[ -x "$khsweep" ]] || { echo "cost-check: no khsweep in ${1:-$repo/build}: bash scripts/build.sh" >&2; exit 2; }
export KHSWEEP_DATA_DIR=${KHSWEEP_DATA_DIR:-$repo/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > check.yaml << 'YAML'
name: cost-check
fixed: {data: mnist, train_subset: 20000, validation_subset: 2000, epochs: 3, seed: 1}
grid: {task: [reconstruction, classification], hidden: [100, 300], k: [1, 3]}
arms:
  - {name: baseline, kh: none}
  - {name: kh, kh: [top_down, bottom_up], eps0: 0.01, delta: 0.3}
YAML

"$khsweep" plan check.yaml --list all --format csv > plan.csv
"$khsweep" plan check.yaml | grep -E "^runs:|estimated cost"
start=$(date +%s.%N)
"$khsweep" run check.yaml --store check.h5 --quiet > run.log
end=$(date +%s.%N)
"$khsweep" query check.h5 --columns id,total_seconds --format csv > measured.csv

# Both lists by run id: planned minutes (plan's est_min, the last column) and measured seconds.
awk -F, -v wall="$(echo "$end - $start" | bc)" '
  FNR == 1 { next }
  NR == FNR { planned[$2] = $NF * 60; next }
  { measured[$1] = $2 }
  END {
    printf "%-16s %10s %10s %9s\n", "run", "planned s", "measured s", "meas/plan"
    worst = 1
    for (id in measured) {
      p = planned[id]; m = measured[id]; tp += p; tm += m
      r = m / p; if (r < lo || lo == "") lo = r; if (r > hi) hi = r
      printf "%-16s %10.2f %10.2f %9.2f\n", id, p, m, r
    }
    printf "all %d runs: planned %.1f s, measured %.1f s of training and metrics (%.1f s of wall time, data loading and start-up included): measured/planned %.2f (runs from %.2f to %.2f)\n", length(measured), tp, tm, wall, tm / tp, lo, hi
  }' plan.csv measured.csv
