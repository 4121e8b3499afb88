#!/usr/bin/env bash
# Mistakes caught before anything runs, through mpirun on 2 ranks: one sweep file per class of
# mistake exits 2 (3 for unusable data: an empty directory, a named dataset that is absent or whose
# file does not match its catalogue checksum) with a message naming the file and the line (or the
# data file and the fix; 3 too for a run too big for memory), and no store file appears (neither the store nor its .lock, .journal,
# .progress or .checkpoints). Then a second coordinator on a store whose lock is held exits 3 with
# "in use" and leaves the first sweep (12 runs on `data: mnist`, about 6 s on one worker) alone,
# which completes with exit 0.
# Usage: bad_sweeps.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init bad_sweeps "$@"

mkdir -p empty_data

# bad CASE WANT_RC TEXT...: runs bad_CASE.yaml into bad_CASE.h5; checks the exit code, that every
# TEXT is in the output, and that no store file was created.
bad() {
  local name=$1 want=$2
  shift 2
  local sweep=bad_$name.yaml store=bad_$name.h5 logfile=bad_$name.log
  mpirun_sweep 2 "$sweep" "$store" "$logfile"
  show "$logfile"
  expect_rc "$want" "$RC" "$name" "$logfile"
  local text
  for text in "$@"; do
    grep -qF -- "$text" "$logfile" || fail "$name: '$text' is not in the output"
  done
  no_hdf5_diag "$logfile"
  local f
  for f in "$store" "$store.lock" "$store.journal" "$store.progress" "$store.checkpoints"; do
    [[ ! -e "$f" ]] || fail "$name: $f was created although nothing should run"
  done
  ok "$name: exit $RC, expected message, no store file created"
}

# sweep_file NAME: writes bad_NAME.yaml from stdin (line numbers in the checks refer to it).
sweep_file() { cat > "bad_$1.yaml"; }

sweep_file unknown_key << EOF
name: bad
fixed:
  data: $MNIST
  train_subst: 1000
  validation_subset: 300
  epochs: 3
grid:
  hidden: [16]
EOF
bad unknown_key 2 "khsweep run: bad_unknown_key.yaml:4: " "train_subst" "did you mean 'train_subset'"

sweep_file wrong_type << EOF
name: bad
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
  epochs: 3
  hidden: sixteen
EOF
bad wrong_type 2 "khsweep run: bad_wrong_type.yaml:7: " "'hidden'" "sixteen"

sweep_file zero_hidden << EOF
name: bad
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
  epochs: 3
grid:
  hidden: [16, 0]
EOF
bad zero_hidden 2 "khsweep run: bad_zero_hidden.yaml:8: " "'hidden'" "got 0"

sweep_file negative_epochs << EOF
name: bad
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
  epochs: -2
EOF
bad negative_epochs 2 "khsweep run: bad_negative_epochs.yaml:6: " "'epochs'" "-2"

sweep_file yaml_syntax << EOF
name: bad
fixed:
  data: $MNIST
  train_subset: 1000
grid:
  hidden: [16, 32
  seed: [1, 2]
EOF
bad yaml_syntax 2 "YAML syntax error"
grep -qE "khsweep run: bad_yaml_syntax\.yaml:[0-9]+:[0-9]+: YAML syntax error" bad_yaml_syntax.log ||
  fail "yaml_syntax: no FILE:LINE:COLUMN in the message"
ok "yaml_syntax: reported as FILE:LINE:COLUMN"

sweep_file baseline_eps0 << EOF
name: bad
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
  epochs: 3
grid:
  hidden: [16]
arms:
  - name: baseline
    kh: none
    eps0: 0.01
  - name: kh
    kh: [top_down]
    eps0: [0.01]
EOF
bad baseline_eps0 2 "khsweep run: bad_baseline_eps0.yaml:12: " "no effect when kh is none"

sweep_file empty_list << EOF
name: bad
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 300
  epochs: 3
grid:
  hidden: []
EOF
bad empty_list 2 "khsweep run: bad_empty_list.yaml:8: " "empty list"

# Several mistakes at once: every one is reported, each at its line.
sweep_file several << EOF
name: bad
fixed:
  data: $MNIST
  train_subst: 1000
  validation_subset: 300
  epochs: 0
grid:
  hidden: [16, 0]
EOF
bad several 2 "bad_several.yaml:4: " "bad_several.yaml:6: " "bad_several.yaml:8: "

sweep_file missing_data << EOF
name: bad
fixed:
  data: $WORK/no/such/mnist
  train_subset: 1000
  validation_subset: 300
  epochs: 3
EOF
bad missing_data 2 "khsweep run: bad_missing_data.yaml:3: " "no such directory"

# The directory exists but holds no IDX files: the data, not the sweep file, is wrong.
sweep_file empty_data << EOF
name: bad
fixed:
  data: $WORK/empty_data
  train_subset: 1000
  validation_subset: 300
  epochs: 3
EOF
bad empty_data 3 "khsweep run: " "empty_data"

# A named dataset is checked before any rank gets a run: absent, or with a file whose content is not
# the catalogue's (one label changed, still a valid label), it is an input error naming the fix.
mkdir -p no_datasets corrupt/mnist
ln -s "$MNIST"/*-images-idx3-ubyte* "$MNIST"/t10k-labels-idx1-ubyte* corrupt/mnist/
labels=$MNIST/train-labels-idx1-ubyte
[[ -f $labels ]] || labels+=.gz
if [[ $labels == *.gz ]]; then gzip -dc "$labels"; else cat "$labels"; fi > corrupt/mnist/train-labels-idx1-ubyte
printf '\x09' | dd of=corrupt/mnist/train-labels-idx1-ubyte bs=1 seek=8 conv=notrunc status=none
for name in absent_dataset wrong_checksum; do
  printf 'name: bad\nfixed:\n  data: mnist\n  train_subset: 1000\n  epochs: 3\n' | sweep_file "$name"
done
KHSWEEP_DATA_DIR=$WORK/no_datasets bad absent_dataset 3 "khsweep run: $WORK/no_datasets/mnist: no such directory" \
  "bash scripts/fetch-data.sh $WORK/no_datasets"
KHSWEEP_DATA_DIR=$WORK/corrupt bad wrong_checksum 3 \
  "khsweep run: $WORK/corrupt/mnist/train-labels-idx1-ubyte: content SHA-256 " "is not mnist's (expected 65a50cbbf4e9...)" \
  "bash scripts/fetch-data.sh $WORK/corrupt"

# No sweep file at all.
bad missing_file 2 "bad_missing_file.yaml" "cannot read the sweep file"

# A run that cannot fit in memory (KHSWEEP_MEMORY stands in for the machine's): refused before any
# rank trains, naming the run, the memory and the parameter to lower.
printf 'name: bad\nfixed:\n  data: %s\n  train_subset: 1000\n  epochs: 3\ngrid:\n  hidden: [16, 20000]\n' "$MNIST" |
  sweep_file too_big
KHSWEEP_MEMORY=256M bad too_big 3 "khsweep run: bad_too_big.yaml: run #1: needs about " \
  "more than the 256 MiB KHSWEEP_MEMORY allows; lower hidden (now 20000)"

# ---- a second coordinator on a store whose lock is held ----
# Its data is named (`mnist`, found through KHSWEEP_DATA_DIR), so a named dataset is also trained
# end to end: the workers are handed the directory the coordinator checked.
mkdir -p datasets
ln -s "$MNIST" datasets/mnist
export KHSWEEP_DATA_DIR=$WORK/datasets
# Long enough (about 8 s on 2 ranks) for the second coordinator's mpirun to start meanwhile.
cat > busy.yaml << EOF
name: busy
fixed:
  data: mnist
  train_subset: 6000
  validation_subset: 500
  epochs: 20
grid:
  hidden: [16, 32]
  seed: [1, 2, 3, 4, 5, 6]
service:
  checkpoint_every: 1
  commit_every_seconds: 0.5
EOF
start_sweep 2 busy.yaml busy.h5 busy.log
wait_started busy.log
log "first sweep running; starting a second coordinator on busy.h5"
mpirun_sweep 2 busy.yaml busy.h5 second.log
show second.log
[[ "$(ps -o stat= -p "$SWEEP_PID" 2> /dev/null)" == [^Z]* ]] ||
  fail "the first sweep ended before the second coordinator got to the lock: make busy.yaml longer"
expect_rc 3 "$RC" "second coordinator on a held store" second.log
expect_in second.log "in use by another khsweep run" "the second coordinator names the problem"
expect_in second.log "pid " "the second coordinator names the holder"
no_hdf5_diag second.log
wait_sweep
show busy.log
expect_rc 0 "$RC" "first sweep, undisturbed by the second coordinator" busy.log
expect_in busy.log "done: 12/12 runs" "the first sweep did all its runs"
no_hdf5_diag busy.log
out=$("$STORE_CHECK" valid busy.h5 --expect-runs 12) || fail "busy.h5: $out"
[[ "$out" == *", 1 jobs" ]] || fail "the refused coordinator recorded a job: $out"
ok "busy.h5 valid with 12 runs and the one job of the first coordinator ($out)"

# Every rank of a node may hold a run at once: a memory that fits one run and the data, but not
# three runs, refuses a 3-rank job on this one machine before any run trains, and lets one rank go.
cat > mem.yaml << EOF
name: mem
description: runs that fit in memory one at a time
fixed:
  data: $MNIST
  train_subset: 2000
  validation_subset: 500
  epochs: 1
  hidden: 500
grid:
  seed: [1, 2]
EOF
memory=$("$KHSWEEP" plan mem.yaml --list 0 | sed -n 's/^memory: about \([0-9.]*\) MiB for the largest run.*plus \([0-9.]*\) MiB of data per node.*/\1 \2/p')
[[ -n "$memory" ]] || fail "plan printed no memory line for mem.yaml"
read -r run_mib data_mib <<< "$memory"
cap=$(awk -v r="$run_mib" -v d="$data_mib" 'BEGIN { printf "%d", (1.5 * r + d) * 1048576 }')
RC=0
KHSWEEP_MEMORY=$cap mpirun --oversubscribe -np 3 "$KHSWEEP" run mem.yaml --store mem3.h5 --quiet > mem3.log 2>&1 || RC=$?
show mem3.log
expect_rc 3 "$RC" "3 ranks on one node where memory holds one run ($run_mib MiB each, $data_mib MiB of data, cap $cap bytes)" mem3.log
expect_in mem3.log "(3 ranks on one node x " "the refusal counts the node's ranks"
expect_in mem3.log "or start fewer ranks per node" "the refusal says what to do"
[[ ! -e mem3.h5 ]] || fail "the refused job created its store"
RC=0
KHSWEEP_MEMORY=$cap mpirun -np 1 "$KHSWEEP" run mem.yaml --store mem1.h5 --quiet > mem1.log 2>&1 || RC=$?
expect_rc 0 "$RC" "1 rank under the same memory" mem1.log
ok "memory is checked per node: 3 ranks refused, 1 rank ran"
