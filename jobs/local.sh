#!/usr/bin/env bash
# Runs one khsweep sweep file into one store on this machine with mpirun, with a graceful stop:
# Ctrl-C, SIGTERM, SIGUSR1 or the optional time limit make the sweep checkpoint, commit and exit
# with 75; run the same command again to resume.
#
#   jobs/local.sh sweeps/demo.yaml [results/demo.h5]
#   KHSWEEP_RANKS=5 KHSWEEP_TIME=3600 jobs/local.sh sweeps/big.yaml results/big.h5
#   KHSWEEP_UNTIL_DONE=1 KHSWEEP_TIME=600 jobs/local.sh sweeps/demo.yaml   # stop and resume in a loop
#
# Knobs (environment variables; details in jobs/README.md):
#   KHSWEEP_SWEEP / KHSWEEP_STORE  sweep file and store (or the first and second argument)
#   KHSWEEP_BIN    the khsweep binary (default build/khsweep)
#   KHSWEEP_RANKS  MPI ranks (default: one per core, nproc; every rank trains, rank 0 also
#                  coordinates; more than nproc share the cores: mpirun --oversubscribe)
#   KHSWEEP_TIME   seconds after which the sweep is stopped gracefully (default: no limit)
#   KHSWEEP_UNTIL_DONE=1  after a stop by KHSWEEP_TIME, start again until the sweep is complete
#   KHSWEEP_RUN_ARGS  extra arguments for `khsweep run`
# Exit codes: those of `khsweep run` (0 complete, 2 bad sweep file, 3 data or store problem,
# 5 done but some runs threw, 75 stopped: run the same command again to resume).
set -uo pipefail

say() { echo "[local.sh $(date '+%F %T')] $*"; }

sweep=${1:-${KHSWEEP_SWEEP:-}}
store=${2:-${KHSWEEP_STORE:-}}
if [[ -z "$sweep" ]]; then
  echo "usage: jobs/local.sh SWEEP.yaml [STORE.h5]   (knobs: see the header of this script)" >&2
  exit 2
fi
khsweep=${KHSWEEP_BIN:-build/khsweep}
ranks=${KHSWEEP_RANKS:-$(nproc)}
limit=${KHSWEEP_TIME:-}
if [[ ! -x "$khsweep" ]]; then
  say "khsweep binary '$khsweep' is not executable (set KHSWEEP_BIN, or build it: scripts/build.sh build)"
  exit 3
fi
if [[ $(id -u) == 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI counts a machine's cores as its slots; nproc counts hardware threads: let it count those
# too, so that the default one rank per nproc fits. More ranks than that only share the cores
# (each one trains more slowly), which on this one machine is allowed, not refused.
launcher=(mpirun --use-hwthread-cpus)
((ranks > $(nproc))) && launcher+=(--oversubscribe)
# shellcheck disable=SC2206  # word splitting of the knob is intended
cmd=("${launcher[@]}" -np "$ranks" "$khsweep" run "$sweep" ${store:+--store "$store"} ${KHSWEEP_RUN_ARGS:-})

mpirun_pid=""
timer_pid=""
user_stop=""
# SIGTERM or SIGINT to mpirun would make Open MPI kill the ranks: mpirun runs in a session of its
# own (so Ctrl-C reaches only this script) and gets SIGUSR1, the graceful stop, instead.
forward() {
  if [[ $1 == TIMER ]]; then
    say "KHSWEEP_TIME=$limit s reached: asking the sweep to checkpoint, commit and stop"
  else
    user_stop=$1
    say "SIG$1: asking the sweep to checkpoint, commit and stop"
  fi
  [[ -n "$mpirun_pid" ]] && kill -USR1 "$mpirun_pid" 2> /dev/null
}
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward USR1' USR1
trap '[[ -n "$timer_pid" ]] && kill "$timer_pid" 2> /dev/null' EXIT

while :; do
  say "${cmd[*]}${limit:+ (stopping after $limit s)}"
  setsid "${cmd[@]}" &
  mpirun_pid=$!
  [[ -n "$limit" ]] && { sleep "$limit" & timer_pid=$!; }
  while :; do
    done_pid=""
    if [[ -n "$timer_pid" ]]; then
      wait -n -p done_pid "$mpirun_pid" "$timer_pid"
    else
      wait -n -p done_pid "$mpirun_pid"
    fi
    rc=$?
    [[ "${done_pid:-}" == "$mpirun_pid" ]] && break
    if [[ -n "${done_pid:-}" && "${done_pid:-}" == "$timer_pid" ]]; then   # the time limit
      timer_pid=""
      forward TIMER
    fi
    # otherwise a trapped signal interrupted wait: wait on
  done
  mpirun_pid=""
  if [[ -n "$timer_pid" ]]; then
    kill "$timer_pid" 2> /dev/null
    wait "$timer_pid" 2> /dev/null
    timer_pid=""
  fi
  say "mpirun exited with $rc"
  if [[ $rc == 75 && -z "$user_stop" && "${KHSWEEP_UNTIL_DONE:-0}" == 1 ]]; then
    say "stopped by KHSWEEP_TIME: resuming"
    continue
  fi
  [[ $rc == 75 ]] && say "stopped: run the same command again to resume"
  exit "$rc"
done
