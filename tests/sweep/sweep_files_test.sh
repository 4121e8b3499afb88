#!/usr/bin/env bash
# Every sweep file in sweeps/ must pass `khsweep plan` (exit 0), wherever this test runs:
#   - `data: mnist` is $KHSWEEP_MNIST_DIR (the test is skipped, 77, without it), found by name
#     through KHSWEEP_DATA_DIR and checked against khsweep's catalogue;
#   - `data: fashion-mnist` likewise from the repository's data/fashion-mnist, else Debian's
#     /usr/share/datasets/fashion-mnist; without either, it is rewritten to a tiny fake IDX directory;
#   - any data path (data/kmnist, ...) is read from the repository when its four IDX files are
#     there, else rewritten to the same tiny fake directory.
# Each file is planned as a temporary copy with its data rewritten where needed, from a scratch
# directory, so its structure (keys, values, arms, cross-parameter checks, run count) is checked everywhere.
# Also: a file's `name:` is its file name, and a file whose header states "khsweep plan ... N runs"
# states the count plan finds.
#
# Usage: bash sweep_files_test.sh path/to/khsweep
set -euo pipefail

khsweep=${1:?usage: sweep_files_test.sh path/to/khsweep}
khsweep=$(cd "$(dirname "$khsweep")" && pwd)/$(basename "$khsweep")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [[ -z ${KHSWEEP_MNIST_DIR:-} ]]; then
  echo "sweep_files_test: KHSWEEP_MNIST_DIR is not set; skipped"
  exit 77
fi
mnist_dir=$(cd "$KHSWEEP_MNIST_DIR" && pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

idx_names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# is_idx_dir DIR: the four IDX files are there, each raw or .gz.
is_idx_dir() {
  local name
  for name in "${idx_names[@]}"; do
    [[ -e $1/$name || -e $1/$name.gz ]] || return 1
  done
}

# be32 N: N as 4 big-endian bytes, as printf escapes.
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((($1 >> 24) & 255)) $((($1 >> 16) & 255)) $((($1 >> 8) & 255)) $(($1 & 255)); }

# fake_idx DIR TRAIN TEST: a tiny MNIST-format set (28x28 images, labels 0..9), raw.
fake_idx() {
  local dir=$1 set n i
  mkdir -p "$dir"
  for set in train t10k; do
    if [[ $set == train ]]; then n=$2; else n=$3; fi
    {
      printf '\x00\x00\x08\x03'
      printf '%b' "$(be32 "$n")$(be32 28)$(be32 28)"
      # Pixels 0, 64, 128, 192 in turn: about half of them are 1 after binarisation at 127.
      printf '\x00\x40\x80\xc0' >"$dir/.pixels"
      while (($(wc -c <"$dir/.pixels") < n * 784)); do
        cat "$dir/.pixels" "$dir/.pixels" >"$dir/.pixels2"
        mv "$dir/.pixels2" "$dir/.pixels"
      done
      head -c $((n * 784)) "$dir/.pixels"
      rm -f "$dir/.pixels"
    } >"$dir/$set-images-idx3-ubyte"
    {
      printf '\x00\x00\x08\x01'
      printf '%b' "$(be32 "$n")"
      for ((i = 0; i < n; i++)); do printf '%b' "\\x0$((i % 10))"; done
    } >"$dir/$set-labels-idx1-ubyte"
  done
}

fake_dir=$scratch/fake-idx
fake_idx "$fake_dir" 40 20

fashion_dir=
for candidate in "$repo/data/fashion-mnist" /usr/share/datasets/fashion-mnist; do
  if is_idx_dir "$candidate"; then
    fashion_dir=$candidate
    break
  fi
done

# The named datasets, where `khsweep plan` looks for them (KHSWEEP_DATA_DIR).
datasets=$scratch/datasets
mkdir -p "$datasets"
ln -s "$mnist_dir" "$datasets/mnist"
[[ -z $fashion_dir ]] || ln -s "$fashion_dir" "$datasets/fashion-mnist"

# data_for VALUE: what this test plans a sweep file's data VALUE as; prints "VALUE_OR_DIR|what".
data_for() {
  case $1 in
    mnist) echo "mnist|KHSWEEP_MNIST_DIR, checked" ;;
    fashion-mnist)
      if [[ -n $fashion_dir ]]; then echo "fashion-mnist|$fashion_dir, checked"; else echo "$fake_dir|fake IDX"; fi
      ;;
    *)
      if [[ $1 == /* ]] && is_idx_dir "$1"; then
        echo "$1|$1"
      elif is_idx_dir "$repo/$1"; then
        echo "$repo/$1|$repo/$1"
      else
        echo "$fake_dir|fake IDX, $1 is absent"
      fi
      ;;
  esac
}

# data_paths FILE: the values of every `data:` key (a scalar or a [list]), one a line.
data_paths() {
  sed -n 's/#.*//; s/^[[:space:]]*-\{0,1\}[[:space:]]*data:[[:space:]]*//p' "$1" |
    tr -d '[]"'"'" | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' | sort -u
}

failures=0
checked=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

shopt -s nullglob
files=("$repo"/sweeps/*.yaml)
((${#files[@]} > 0)) || {
  echo "no sweep files in $repo/sweeps"
  exit 1
}

for file in "${files[@]}"; do
  base=$(basename "$file" .yaml)
  copy=$scratch/$base.yaml
  cp "$file" "$copy"
  sources=()
  while IFS= read -r path; do
    [[ -n $path ]] || continue
    IFS='|' read -r dir what <<<"$(data_for "$path")"
    sources+=("$path <- $what")
    [[ $dir != "$path" ]] || continue
    # Rewrite the path where it is a value (not in comments): `data: PATH`, or inside a [list].
    escaped=$(printf '%s' "$path" | sed 's/[.[\*^$/]/\\&/g')
    sed -i "/^[[:space:]]*#/! s/\\([[:space:]:,[]\\)$escaped\\([[:space:]],]\\|\$\\)/\\1${dir//\//\\/}\\2/g" "$copy"
  done < <(data_paths "$file")

  checked=$((checked + 1))
  failures_before=$failures
  if ! out=$(cd "$scratch" && KHSWEEP_DATA_DIR=$datasets "$khsweep" plan "$copy" --list 0 2>&1); then
    fail "$base.yaml: khsweep plan failed (data: ${sources[*]:-none}):"
    while IFS= read -r line; do echo "    $line"; done <<<"$out"
    continue
  fi
  runs=$(sed -n 's/^runs: \([0-9]*\).*/\1/p' <<<"$out")
  cost=$(sed -n 's/^estimated cost: \([0-9.]* core-hours\).*/\1/p' <<<"$out")

  name=$(sed -n 's/^name:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$file" | head -n 1)
  [[ $name == "$base" ]] || fail "$base.yaml: name is '$name', expected the file name '$base'"

  # A header that states plan's run count must state the current one.
  stated=$(sed -n '/^#/!q; s/^#.*khsweep plan.*->[[:space:]]*\([0-9][0-9]*\) runs.*/\1/p; s/^#[[:space:]]*\([0-9][0-9]*\) runs (.*/\1/p' "$file" | head -n 1)
  if [[ -n $stated && $stated != "$runs" ]]; then
    fail "$base.yaml: the header says $stated runs, khsweep plan finds $runs"
  fi
  ((failures == failures_before)) || continue
  printf 'ok   %-36s %7s runs  %s  (data: %s)\n' "$base.yaml" "$runs" "${cost:-?}" "${sources[*]:-none}"
done

echo "$checked sweep files planned, $failures failed"
((failures == 0))
