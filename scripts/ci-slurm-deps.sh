#!/usr/bin/env bash
# Installs what the SLURM job-script test (tests/jobs/slurm_test.sh, ctest -L slurm) needs on
# Debian bookworm: slurm-wlm (slurmctld, slurmd, sbatch, ...) and munge. A no-op when installed, so
# the test calls it first on every run. The packages would start system slurm and munge services;
# the test runs its own daemons with private configs, so service starts are blocked meanwhile.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/setup.sh" --no-service-start slurm-wlm munge
