#!/usr/bin/env bash
# Sweep throughput on this machine (issue 10, item 7), from a built tree and fetched MNIST:
#   1. 8 equal runs (M = 100, CD-1, 3 epochs on all of MNIST) on 1 rank, then on 2 ranks:
#      the ratio of wall times (start-up included) is the speed-up in runs per hour;
#   2. 1000 tiny runs (M = 100, 1 epoch on 200 images) on 2 ranks: runs committed per second,
#      a floor on the coordinator's commit rate (the ranks also train them).
# Usage: scripts/sweep-throughput.sh [BUILD_DIR]   (run from anywhere; prints its figures)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
khsweep=$(cd "${1:-$repo/build}" && pwd)/khsweep
[[ -x "$khsweep" ]] || { echo "sweep-throughput: no khsweep in ${1:-$repo/build}: bash scripts/build.sh" >&2; exit 2; }
export KHSWEEP_DATA_DIR=${KHSWEEP_DATA_DIR:-$repo/data}
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > equal.yaml << 'YAML'
name: equal
fixed: {data: mnist, epochs: 3, hidden: 100}
grid: {seed: [1, 2, 3, 4, 5, 6, 7, 8]}
YAML
{
  echo "name: tiny"
  echo "fixed: {data: mnist, train_subset: 200, validation_subset: 100, epochs: 1, hidden: 100}"
  echo "grid: {seed: [$(seq -s ', ' 1 1000)]}"
  echo "service: {commit_every_seconds: 1}"
} > tiny.yaml

seconds_of() {  # seconds_of NP SWEEP STORE: wall time of one sweep
  local start end
  start=$(date +%s%N)
  mpirun --use-hwthread-cpus -np "$1" "$khsweep" run "$2" --store "$3" --quiet > "$3.log" 2>&1 ||
    { cat "$3.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
one=$(seconds_of 1 equal.yaml one.h5)
two=$(seconds_of 2 equal.yaml two.h5)
awk -v a="$one" -v b="$two" 'BEGIN { printf "8 equal runs: 1 rank %.2f s, 2 ranks %.2f s: %.2fx the runs per hour\n", a / 1000, b / 1000, a / b }'
tiny=$(seconds_of 2 tiny.yaml tiny.h5)
awk -v t="$tiny" 'BEGIN { printf "1000 tiny runs on 2 ranks: %.2f s, %.0f runs committed per second\n", t / 1000, 1000 / (t / 1000) }'
