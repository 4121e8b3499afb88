#!/usr/bin/env bash
# A binary built for the build host's CPU (KHSWEEP_NATIVE, the default) refuses at once, with one
# clear line and exit 3, on a CPU that lacks what it was compiled for, instead of dying of SIGILL
# mid-run. The older CPU is an emulated one: qemu-user's x86-64 model of a Nehalem (SSE4.2, no AVX).
# Usage: cpu_check.sh KHSWEEP   (skipped, exit 77, without qemu-x86_64 or for a baseline build)
set -uo pipefail
khsweep=$1
if ! command -v qemu-x86_64 > /dev/null; then
  echo "cpu_check: SKIPPED: qemu-x86_64 is not installed (Debian package qemu-user)"
  exit 77
fi
if ! grep -q "KHSWEEP_NATIVE:BOOL=ON" "$(dirname "$khsweep")/CMakeCache.txt" 2> /dev/null; then
  echo "cpu_check: SKIPPED: not a KHSWEEP_NATIVE build"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/khsweep-cpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$khsweep" version > "$work/native.out" 2>&1 || { cat "$work/native.out"; echo "cpu_check: FAIL: it does not run on the build host"; exit 1; }

rc=0
qemu-x86_64 -cpu Nehalem "$khsweep" version > "$work/old.out" 2> "$work/old.err" || rc=$?
grep -v '^qemu-x86_64: warning' "$work/old.err" > "$work/said" || true
cat "$work/said"
if ! grep -q "avx" "$work/said" && [[ $rc == 0 ]]; then
  echo "cpu_check: SKIPPED: this build uses nothing a Nehalem lacks"
  exit 77
fi
[[ $rc == 3 ]] || { echo "cpu_check: FAIL: exit $rc on an older CPU, expected 3 (132 would be SIGILL)"; exit 1; }
[[ $(wc -l < "$work/said") == 1 ]] || { echo "cpu_check: FAIL: expected one line on stderr"; exit 1; }
grep -q "^khsweep: this binary was built for a CPU with .*avx.*which this CPU lacks" "$work/said" &&
  grep -q "KHSWEEP_NATIVE=OFF" "$work/said" ||
  { echo "cpu_check: FAIL: the line does not name the missing extensions and the way out"; exit 1; }
[[ ! -s "$work/old.out" ]] || { echo "cpu_check: FAIL: it printed on stdout: $(cat "$work/old.out")"; exit 1; }
echo "cpu_check: ok: refused on an emulated Nehalem with exit 3 and one line"
