#!/usr/bin/env bash
# End to end on real MNIST: install, fetch, build, then the demo sweep (12 small runs: CD-1 baseline
# vs KH_TD / KH_BU) on MPI ranks into one HDF5 store, and what the store holds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/fetch-data.sh data
bash scripts/build.sh build

# Open MPI refuses to run as root unless told; containers and CI are root.
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# One rank per core: every rank trains, rank 0 also coordinates between its minibatches. nproc counts
# hardware threads, so Open MPI is told to count them too (as jobs/local.sh does), not to oversubscribe.
ranks=$(nproc)

mkdir -p results
rm -rf results/demo.h5 results/demo.h5.*  # the demo's own store: start afresh so the script can run again
build/khsweep plan sweeps/demo.yaml --list 0
mpirun --use-hwthread-cpus -np "$ranks" build/khsweep run sweeps/demo.yaml --store results/demo.h5
build/khsweep status results/demo.h5
# Seed averages per configuration, with the paper's mean(se) notation.
build/khsweep aggregate results/demo.h5
