# Helpers of the MPI integration tests (tests/runner/*.sh); sourced, never run.
#
# A test script starts with
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   runner_init NAME "$@"          # args: the khsweep binary, store_check
# and gets: $KHSWEEP, $STORE_CHECK, $MNIST (the data), $WORK (a private temp dir, removed at
# exit together with every sweep the test started in the background).
#
# Sweeps started with start_sweep run in their own session (setsid), so a test can signal or
# kill -9 exactly the processes of one job: mpirun and its ranks, which Open MPI puts in process
# groups of their own, all share mpirun's session.

RUNNER_NAME=""
RUNNER_SESSIONS=()   # session ids of the sweeps started in the background
RUNNER_T0=$SECONDS

log() { echo "[$RUNNER_NAME $((SECONDS - RUNNER_T0))s] $*"; }

fail() {
  echo "[$RUNNER_NAME] FAIL: $*" >&2
  exit 1
}

# runner_init NAME KHSWEEP STORE_CHECK
runner_init() {
  RUNNER_NAME=$1
  KHSWEEP=${2:-}
  STORE_CHECK=${3:-}
  [[ -x "$KHSWEEP" ]] || fail "usage: $0 KHSWEEP_BINARY STORE_CHECK_BINARY (khsweep '$KHSWEEP' is not executable)"
  [[ -x "$STORE_CHECK" ]] || fail "store_check '$STORE_CHECK' is not executable"
  if [[ -z "${KHSWEEP_MNIST_DIR:-}" || ! -f "${KHSWEEP_MNIST_DIR}/train-images-idx3-ubyte" && ! -f "${KHSWEEP_MNIST_DIR}/train-images-idx3-ubyte.gz" ]]; then
    echo "SKIP: KHSWEEP_MNIST_DIR is unset or holds no MNIST (scripts/test.sh sets it to data/mnist)"
    exit 77
  fi
  command -v mpirun > /dev/null || fail "mpirun is not on PATH"
  MNIST=$(cd "$KHSWEEP_MNIST_DIR" && pwd)
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/khsweep-$RUNNER_NAME.XXXXXX")
  trap runner_cleanup EXIT
  # A command that fails under set -e says which and where, rather than ending the test silently.
  set -E
  trap 'echo "[$RUNNER_NAME] FAIL: exit $? from \"$BASH_COMMAND\" at ${BASH_SOURCE[0]##*/}:$LINENO" >&2' ERR
  # Open MPI's session directory and shared-memory files go into $WORK too, so a job killed
  # with -9 leaves nothing behind in /tmp or /dev/shm.
  mkdir -p "$WORK/ompi"
  export TMPDIR="$WORK/ompi"
  export OMPI_MCA_btl_vader_backing_directory="$WORK/ompi"
  if [[ $(id -u) == 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  cd "$WORK"
  log "work dir $WORK, data $MNIST"
}

runner_cleanup() {
  local rc=$? sid
  for sid in "${RUNNER_SESSIONS[@]}"; do
    if pgrep -s "$sid" > /dev/null 2>&1; then
      pkill -KILL -s "$sid" 2> /dev/null || true
    fi
  done
  wait 2> /dev/null || true
  if [[ $rc -ne 0 && -n "${KEEP_WORK:-}" ]]; then
    echo "[$RUNNER_NAME] keeping $WORK (KEEP_WORK is set)"
  else
    rm -rf "$WORK"
  fi
  if [[ $rc -eq 0 ]]; then
    echo "[$RUNNER_NAME] PASS in $((SECONDS - RUNNER_T0)) s"
  elif [[ $rc -ne 77 ]]; then
    echo "[$RUNNER_NAME] FAILED (exit $rc) after $((SECONDS - RUNNER_T0)) s"
  fi
}

# ok WHAT: prints a passed check.
ok() { log "ok: $*"; }

# check WHAT COMMAND...: runs the command; fails the test with its output unless it exits 0.
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    log "ok: $what${out:+ -- ${out//$'\n'/; }}"
  else
    fail "$what: '$*' exited $?: $out"
  fi
}

# expect_rc WANT GOT WHAT [LOGFILE]: fails (showing the log) unless GOT == WANT.
expect_rc() {
  local want=$1 got=$2 what=$3 logfile=${4:-}
  if [[ "$got" != "$want" ]]; then
    [[ -n "$logfile" && -f "$logfile" ]] && { echo "---- $logfile:"; cat "$logfile"; echo "----"; }
    fail "$what: exit code $got, expected $want"
  fi
  log "ok: $what: exit $got"
}

# expect_in FILE TEXT WHAT: fails unless the file contains TEXT (fixed string).
expect_in() {
  local file=$1 text=$2 what=$3
  if ! grep -qF -- "$text" "$file"; then
    echo "---- $file:"; cat "$file"; echo "----"
    fail "$what: '$text' not in $file"
  fi
  log "ok: $what: found '$text'"
}

# show LOGFILE: copies a log into the test's output (so ctest sees e.g. HDF5-DIAG in it).
show() { sed "s|^|    $(basename "$1"): |" "$1"; }

# no_hdf5_diag LOGFILE...: HDF5 must never print its error stack.
no_hdf5_diag() {
  local f
  for f in "$@"; do
    if grep -q "HDF5-DIAG" "$f"; then
      show "$f"
      fail "$f has HDF5-DIAG output"
    fi
  done
}

# The tests start up to 4 ranks on a 2-core machine, hence --oversubscribe (one machine only: a job on
# a cluster starts one rank per core, and jobs/ never oversubscribes unless asked).

# mpirun_sweep NP SWEEP STORE LOGFILE [more run args]: runs a sweep in the foreground; sets RC.
mpirun_sweep() {
  local np=$1 sweep=$2 store=$3 logfile=$4
  shift 4
  RC=0
  mpirun --oversubscribe -np "$np" "$KHSWEEP" run "$sweep" --store "$store" --quiet "$@" > "$logfile" 2>&1 || RC=$?
}

# start_sweep NP SWEEP STORE LOGFILE [more run args]: starts mpirun in a session of its own in the
# background; sets SWEEP_PID (mpirun's pid, which is also the session and process group id).
start_sweep() {
  local np=$1 sweep=$2 store=$3 logfile=$4
  shift 4
  setsid mpirun --oversubscribe -np "$np" "$KHSWEEP" run "$sweep" --store "$store" --quiet "$@" > "$logfile" 2>&1 &
  SWEEP_PID=$!
  RUNNER_SESSIONS+=("$SWEEP_PID")
  # Without job control a background child is no group leader, so setsid makes it a session
  # leader in place and execs mpirun: its pid is the session id. Wait for that to happen, so that
  # the session can be signalled from now on.
  local sid i
  for ((i = 0; i < 200; ++i)); do
    sid=$(ps -o sid= -p "$SWEEP_PID" 2> /dev/null | tr -d ' ' || true)
    [[ -z "$sid" || "$sid" == "$SWEEP_PID" ]] && return 0   # "" : already gone; wait_sweep tells
    sleep 0.01
  done
  fail "setsid forked: the session of $SWEEP_PID is $sid, not its own pid"
}

# wait_sweep: waits for the sweep start_sweep started; sets RC to mpirun's exit code.
wait_sweep() {
  RC=0
  wait "$SWEEP_PID" || RC=$?
}

# rank_pids SID: the pids of the khsweep ranks of a session (mpirun itself excluded: its command
# line starts with "mpirun", not with the khsweep binary).
rank_pids() { pgrep -s "$1" -f "^$KHSWEEP run " || true; }

# wait_session_gone SID [SECONDS]: waits until no process of the session is left.
wait_session_gone() {
  local sid=$1 limit=${2:-10} i
  for ((i = 0; i < limit * 20; ++i)); do
    pgrep -s "$sid" > /dev/null 2>&1 || return 0
    sleep 0.05
  done
  fail "processes of session $sid are still alive after ${limit} s: $(pgrep -a -s "$sid" | tr '\n' ';')"
}

# wait_started LOGFILE [SECONDS]: waits until the sweep logging to LOGFILE has opened its store
# (the coordinator prints "sweep NAME: N runs, ..." once it holds the lock and recorded the job).
# This never reads the store: a reader would hold HDF5's file lock and could get in the way.
wait_started() {
  local logfile=$1 limit=${2:-30} i
  for ((i = 0; i < limit * 20; ++i)); do
    grep -q "^sweep .*: [0-9]* runs, [0-9]* already in" "$logfile" 2> /dev/null && return 0
    if [[ "$(ps -o stat= -p "$SWEEP_PID" 2> /dev/null)" != [^Z]* ]]; then  # gone, or a zombie
      show "$logfile"
      fail "the sweep ended before it started ($logfile)"
    fi
    sleep 0.05
  done
  show "$logfile"
  fail "the sweep logging to $logfile did not start within $limit s"
}

# committed_count STORE: the number in `khsweep status`'s "N runs committed" line.
committed_count() {
  "$KHSWEEP" status "$1" | sed -n 's/^ *\([0-9][0-9]*\) runs committed.*/\1/p'
}

# checkpoint_count STORE: checkpoint files beside the store.
checkpoint_count() {
  local dir="$1.checkpoints"
  if [[ -d "$dir" ]]; then find "$dir" -name '*.ckpt' | wc -l; else echo 0; fi
}

# run_id_of SWEEP ARM KEY=VALUE...: the id `khsweep plan --format csv` lists for the one run of
# ARM whose varying columns have these values.
run_id_of() {
  local sweep=$1 arm=$2
  shift 2
  "$KHSWEEP" plan "$sweep" --format csv | awk -F, -v arm="$arm" -v want="$*" '
    NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; next }
    {
      if ($col["arm"] != arm) next
      n = split(want, pairs, " ")
      for (j = 1; j <= n; ++j) { split(pairs[j], kv, "="); if (!(kv[1] in col) || $col[kv[1]] != kv[2]) next }
      print $col["id"]; found++
    }
    END { if (found != 1) exit 1 }'
}

# job_attribute STORE N NAME: the attribute NAME of /jobs/N (a text without its quotes).
job_attribute() {
  h5dump -a "/jobs/$2/$3" "$1" | sed -n 's/^ *(0): //p' | sed 's/^"\(.*\)"$/\1/'
}

# job_outcome STORE N: the outcome attribute of /jobs/N.
job_outcome() { job_attribute "$1" "$2" outcome; }

# resume_to_completion NP SWEEP STORE REFERENCE TOTAL: runs the stopped sweep's command again
# (logging to resume.log); it must exit 0, leave a valid store of exactly TOTAL runs, bitwise equal
# to the uninterrupted sweep's store REFERENCE, and no checkpoint behind.
resume_to_completion() {
  local np=$1 sweep=$2 store=$3 reference=$4 total=$5
  mpirun_sweep "$np" "$sweep" "$store" resume.log
  show resume.log
  expect_rc 0 "$RC" "resumed sweep" resume.log
  no_hdf5_diag resume.log
  check "resumed store is valid with exactly $total runs" "$STORE_CHECK" valid "$store" --expect-runs "$total"
  check "stopped and resumed equals the uninterrupted sweep bitwise" "$STORE_CHECK" same "$reference" "$store"
  [[ $(checkpoint_count "$store") == 0 ]] || fail "checkpoints left behind by the completed sweep: $(ls "$store.checkpoints")"
  ok "no checkpoint left behind"
}

# ms_to_s MS: "1.234"
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# signal_test_sweep NAME DESCRIPTION: prints the sweep the signal tests (sigterm_resume,
# worker_signal) stop mid-way. 18 runs of about 1.2 s: on one rank the sweep takes about 20 s,
# and each stop comes after 2 s.
# The runs must stay long enough for that when training gets faster: 2000 images x 8 epochs was
# enough before the lane kernels (issue 10), and then the whole sweep could finish inside 2 s; with
# both ranks training, round 2's remaining runs must also outlast its 2 s.
SIGNAL_TEST_RUNS=18
signal_test_sweep() {
  cat << EOF
name: $1
description: $2
fixed:
  data: $MNIST
  train_subset: 6000
  validation_subset: 500
  epochs: 20
grid:
  hidden: [24, 32]
  seed: [1, 2, 3]
arms:
  - name: baseline
    kh: none
  - name: kh
    kh: [top_down, bottom_up]
    eps0: [0.01]
    delta: [0.4]
service:
  checkpoint_every: 1
  commit_every_seconds: 1
EOF
}
