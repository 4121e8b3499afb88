#!/usr/bin/env bash
# `khsweep bench` on 1000 real MNIST images: yardsticks, one line per configuration, and the
# targets judged from this run's own ratios (met or NOT met: either is a pass here; the figures
# themselves are for the README, not for a timed test). Usage: bench_smoke.sh KHSWEEP
set -euo pipefail
[[ -n "${KHSWEEP_MNIST_DIR:-}" ]] || exit 77
out=$("$1" bench --data "$KHSWEEP_MNIST_DIR" --train-samples 1000 --hidden 16 --k 1,2 --kh none,top_down)
echo "$out"
for expected in "dense-Eigen CD-1 epoch" "reconstruction  none" "classification  top_down" \
                "CD-1 speed-up over dense-Eigen CD-1, M=16" "KH_TD CD-1 / plain CD-1, M=16" \
                "cRBM CD-1 / RBM CD-1, M=16" "largest working memory of one run"; do
  grep -qF "$expected" <<< "$out" || { echo "bench_smoke: no line with '$expected'" >&2; exit 1; }
done
# A bad option is a usage error (exit 2) with the usage text, not a crash.
rc=0
err=$("$1" bench --hidden 0x 2>&1 > /dev/null) || rc=$?
[[ $rc == 2 ]] && grep -q "usage: khsweep bench" <<< "$err" || { echo "bench_smoke: bad option gave exit $rc: $err" >&2; exit 1; }
