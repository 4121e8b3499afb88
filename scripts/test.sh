#!/usr/bin/env bash
# Installs the dependencies, fetches MNIST, builds, then runs every test with ctest.
# Extra arguments go to ctest, e.g. scripts/test.sh -L quick
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# qemu-user: an older CPU for the cpu_check test; chromium: a browser for the report test
bash scripts/setup.sh qemu-user chromium
bash scripts/fetch-data.sh data
bash scripts/build.sh build

# Tests that need the real data set find it here (and skip without it).
export KHSWEEP_MNIST_DIR="$PWD/data/mnist"
# --no-tests=error: a filter that matches nothing must fail, not pass silently.
ctest --test-dir build --output-on-failure --no-tests=error "$@"
