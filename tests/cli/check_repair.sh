#!/usr/bin/env bash
# The story of a store whose index and run groups fell out of step, end to end on a tiny real
# sweep (one process, no mpirun): `khsweep run` and the readers refuse it and name the fix,
# `khsweep check` names every damaged run, `khsweep check --repair` mends it, and the next
# `khsweep run` retrains only the run that lost its group. Usage: check_repair.sh KHSWEEP DAMAGE_STORE
set -euo pipefail
[[ -n "${KHSWEEP_MNIST_DIR:-}" ]] || exit 77
khsweep=$1 damage=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/khsweep-check-repair.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "check_repair: $*" >&2; exit 1; }

cat > tiny.yaml << YAML
name: tiny
fixed: {data: $KHSWEEP_MNIST_DIR, train_subset: 200, validation_subset: 100, epochs: 1}
grid: {hidden: [8], seed: [1, 2, 3]}
arms:
  - {name: baseline, kh: none}
YAML
"$khsweep" run tiny.yaml --store s.h5 --quiet > run1.log 2>&1 || { cat run1.log; fail "the first run failed"; }
"$khsweep" check s.h5 > check1.log || { cat check1.log; fail "check of a sound store did not exit 0"; }
ids_in() { "$khsweep" query "$1" --columns id --format csv | tail -n +2 | tr -d '\r'; }
mapfile -t ids < <(ids_in s.h5)
((${#ids[@]} == 3)) || fail "expected 3 runs, got ${ids[*]}"
lost=${ids[0]} unlisted=${ids[1]}

"$damage" remove s.h5 "run/$lost"        # a row without its group: the run is lost
"$damage" drop-row s.h5 "$unlisted"      # a group without its row: the run is there, unlisted

# Every command refuses at once (no retraining, no minute of failed commits, no dead job) and
# names the fix.
for cmd in "run tiny.yaml --store s.h5 --quiet" "status s.h5" "query s.h5"; do
  rc=0
  $khsweep $cmd > refused.log 2>&1 || rc=$?
  [[ $rc == 3 ]] || { cat refused.log; fail "'khsweep $cmd' exited $rc, expected 3"; }
  grep -qF "disagree on 2 runs" refused.log && grep -qF "run \`khsweep check --repair s.h5\`" refused.log ||
    { cat refused.log; fail "'khsweep $cmd' did not name the problem and its fix"; }
done
rc=0
"$khsweep" check s.h5 > check2.log || rc=$?
[[ $rc == 3 ]] || { cat check2.log; fail "check of a damaged store exited $rc, expected 3"; }
grep -q "^$lost: " check2.log && grep -q "^$unlisted: " check2.log && grep -q "^s.h5: 2 problems" check2.log ||
  { cat check2.log; fail "check did not name both runs"; }

"$khsweep" check --repair s.h5 > repair.log || { cat repair.log; fail "check --repair failed"; }
cat repair.log
grep -q "^s.h5: sound" repair.log || fail "the repaired store is not sound"

# Only the lost run is trained again; the unlisted one is committed already.
"$khsweep" run tiny.yaml --store s.h5 > run2.log 2>&1 || { cat run2.log; fail "the run after the repair failed"; }
grep -q "^sweep tiny: 3 runs, 2 already in" run2.log || { cat run2.log; fail "the run after the repair retrained more than the lost run"; }
"$khsweep" check s.h5 > check3.log || { cat check3.log; fail "the store is not sound after the next run"; }
n=$(ids_in s.h5 | sort | tr '\n' ' ')
[[ "$n" == "$(printf '%s\n' "${ids[@]}" | sort | tr '\n' ' ')" ]] || fail "the store holds '$n' after the rerun"
echo "check_repair: PASS"
