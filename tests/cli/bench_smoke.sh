#!/usr/bin/env bash
# `khsweep bench` on 1000 real MNIST images: yardsticks, one line per configuration, and the
# targets judged from this run's own ratios (met or NOT met: either is a pass here; the figures
# themselves are for the README, not for a timed test), and the paper's grid searches priced
# (here at M = 16 nothing of them is measured, and the bench says so). Usage: bench_smoke.sh KHSWEEP
set -euo pipefail
[[ -n "${KHSWEEP_MNIST_DIR:-}" ]] || exit 77
# From the repository root, where the paper's sweep files are: the bench prices them.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=$("$1" bench --data "$KHSWEEP_MNIST_DIR" --train-samples 1000 --hidden 16 --k 1,2 --kh none,top_down --repeat 2)
echo "$out"
for expected in "dense-Eigen CD-1 epoch" "reconstruction  none" "classification  top_down" \
                "CD-1 speed-up over dense-Eigen CD-1, M=16" "KH_TD CD-1 / plain CD-1, M=16" \
                "metric phase / training phase, RBM CD-1, M=16" "metric phase / training phase, cRBM CD-1, M=16" \
                "cRBM CD-1 / RBM CD-1, M=16" "largest working memory of one run" \
                "paper-reconstruction-mnist    1488 runs: 1488 in configurations not measured here" \
                "paper-classification-mnist    1488 runs:"; do
  grep -qF "$expected" <<< "$out" || { echo "bench_smoke: no line with '$expected'" >&2; exit 1; }
done
# A bad option is a usage error (exit 2) with the usage text, not a crash.
rc=0
err=$("$1" bench --hidden 0x 2>&1 > /dev/null) || rc=$?
[[ $rc == 2 ]] && grep -q "usage: khsweep bench" <<< "$err" || { echo "bench_smoke: bad option gave exit $rc: $err" >&2; exit 1; }
