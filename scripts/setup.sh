#!/usr/bin/env bash
# Installs khsweep's build and test dependencies on Debian bookworm with apt-get.
# A no-op (no apt at all) when everything is already installed, so it is cheap to run every time.
#   setup.sh [--no-service-start] [EXTRA_PACKAGE...]
# Extra packages are installed the same way (scripts/ci-slurm-deps.sh adds slurm-wlm and munge);
# --no-service-start keeps their postinst scripts from starting system services.
set -euo pipefail

no_service_start=0
extra=()
for arg in "$@"; do
  case $arg in
    --no-service-start) no_service_start=1 ;;
    -*) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
    *) extra+=("$arg") ;;
  esac
done

packages=(g++ cmake make pkg-config libeigen3-dev libhdf5-dev hdf5-tools libyaml-cpp-dev
          libboost-test-dev zlib1g-dev libopenmpi-dev openmpi-bin ca-certificates
          gnuplot-nox python3-h5py python3-pandas python3-numpy)  # khsweep plot; the Python store test
# Node.js may come from outside Debian (NodeSource's nodejs bundles its own npm, and Debian's npm
# package conflicts with it): a working command is enough.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
packages+=(${extra[@]+"${extra[@]}"})

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup.sh: all dependencies are installed"
  exit 0
fi

# Root runs apt-get directly; anyone else goes through sudo.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

echo "setup.sh: installing ${missing[*]}"
if ((no_service_start)) && [[ ! -e /usr/sbin/policy-rc.d ]]; then
  # Debian's convention: a policy-rc.d exiting 101 forbids service starts during the install.
  printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d > /dev/null
  as_root chmod 755 /usr/sbin/policy-rc.d
  trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
