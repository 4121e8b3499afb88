#!/usr/bin/env bash
# Installs khsweep's build and test dependencies on Debian bookworm with apt-get.
# A no-op (no apt at all) when everything is already installed, so it is cheap to run every time.
set -euo pipefail

packages=(g++ cmake make pkg-config libeigen3-dev libhdf5-dev hdf5-tools libyaml-cpp-dev
          libboost-test-dev zlib1g-dev libopenmpi-dev openmpi-bin ca-certificates
          gnuplot-nox python3-h5py python3-pandas python3-numpy)  # khsweep plot; the Python store test
# Node.js may come from outside Debian (NodeSource's nodejs bundles its own npm, and Debian's npm
# package conflicts with it): a working command is enough.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

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
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
