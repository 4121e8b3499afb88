#!/usr/bin/env bash
# End to end on real MNIST: a short KH_TD run on a subset, then the layout of the file it wrote.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/fetch-data.sh data
bash scripts/build.sh build

mkdir -p results
rm -f results/demo.h5  # the demo's own output: start afresh so the script can run again
build/khsweep train --data data/mnist --train_subset 10000 --validation_subset 2000 --hidden 100 --epochs 5 \
  --kh top_down --eps0 0.01 --delta 0.4 --out results/demo.h5

# What the run file holds (layout: docs/run-file.md).
h5ls -r results/demo.h5
