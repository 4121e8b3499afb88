#!/usr/bin/env bash
# Installs what the SLURM job-script test (tests/jobs/slurm_test.sh, ctest -L slurm) needs on
# Debian bookworm: slurm-wlm (slurmctld, slurmd, sbatch, ...) and munge. A no-op when they are
# installed, so the test calls it first on every run. Noninteractive; root runs apt-get itself,
# anyone else goes through sudo.
set -euo pipefail

packages=(slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "ci-slurm-deps.sh: slurm-wlm and munge are installed"
  exit 0
fi

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

echo "ci-slurm-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The packages' postinst scripts would start system slurmd/slurmctld/munge services; the test runs
# its own daemons with private configs, so keep the system ones from starting (no-op without systemd).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" > /dev/null
  as_root chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if ((created_policy)); then as_root rm -f "$policy"; fi; }
trap cleanup EXIT
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
