#!/usr/bin/env bash
# Configures and builds khsweep (Release). Usage: scripts/build.sh [BUILD_DIR] [CMAKE_ARGS...]
# BUILD_DIR defaults to build/ at the repository root; extra arguments go to the configure step
# (e.g. -DKHSWEEP_NATIVE=OFF).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=${1:-build}
if (($# > 0)); then shift; fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$(nproc)"
