#!/usr/bin/env bash
# PBS (PBS Pro / OpenPBS; Torque with the commented resource line) batch script: runs one khsweep
# sweep file into one store with mpirun, stops it gracefully before the walltime runs out, submits
# itself again to resume, and so on until the sweep is complete.
#
#   qsub -v KHSWEEP_SWEEP=sweeps/demo.yaml,KHSWEEP_STORE=results/demo.h5 jobs/pbs.sh
#   qsub -l walltime=12:00:00 -l select=2:ncpus=32:mpiprocs=32 \
#        -v KHSWEEP_SWEEP=sweeps/big.yaml,KHSWEEP_STORE=results/big.h5 jobs/pbs.sh
#
# Knobs (details in jobs/README.md): the #PBS lines below or qsub's -l options (nodes, cores,
# walltime), and environment variables passed with qsub -v NAME=VALUE,...:
#   KHSWEEP_SWEEP    sweep file (required; relative to the directory qsub ran in)
#   KHSWEEP_STORE    store (default: khsweep's results/<sweep name>.h5)
#   KHSWEEP_BIN      the khsweep binary (default build/khsweep)
#   KHSWEEP_RANKS    MPI ranks (default: the lines of $PBS_NODEFILE, one per slot)
#   KHSWEEP_WARN     seconds before the end of the walltime at which the sweep is stopped (default 300)
#   KHSWEEP_WALLTIME the walltime in seconds, when `qstat -f` cannot tell (default: asked from qstat)
#   KHSWEEP_MAX_REQUEUES  stop resubmitting after this many resubmissions (default 20)
#   KHSWEEP_JOB_SCRIPT    the script to resubmit (default jobs/pbs.sh; PBS runs a copy of it)
#   KHSWEEP_LAUNCHER_ARGS / KHSWEEP_RUN_ARGS  extra arguments for mpirun / `khsweep run`
#                    (e.g. KHSWEEP_LAUNCHER_ARGS=--oversubscribe to allow more ranks than slots)
#   KHSWEEP_DATA_DIR where named datasets such as mnist live (read by khsweep; default data/)
# The resubmitted job gets all of these, and HDF5_USE_FILE_LOCKING, again.
#
# PBS sends no early warning: it sends SIGTERM to every process of the job at the walltime (which
# would make mpirun kill the ranks: nothing committed is lost, but runs restart from their last
# checkpoint). So this script keeps its own timer: KHSWEEP_WARN seconds before the walltime it sends
# SIGUSR1 to mpirun (Open MPI forwards it to the ranks), the ranks checkpoint, commit and exit with
# 75, and the script submits itself again with the same knobs (qrerun needs operator rights on many
# sites; a new job does not). Exit codes: 0 complete; otherwise khsweep run's (2 bad sweep file,
# 3 data or store problem, 5 done but some runs threw, 75 stopped and not resubmitted).
#
#PBS -N khsweep
#PBS -l select=1:ncpus=4:mpiprocs=4
##PBS -l nodes=1:ppn=4            (Torque)
#PBS -l walltime=04:00:00
#PBS -j oe
#PBS -r y

set -uo pipefail

say() { echo "[pbs.sh $(date '+%F %T') job ${PBS_JOBID:-?}] $*"; }

cd "${PBS_O_WORKDIR:-.}" || exit 3
sweep=${KHSWEEP_SWEEP:-${1:-}}
store=${KHSWEEP_STORE:-${2:-}}
if [[ -z "$sweep" ]]; then
  say "usage: qsub -v KHSWEEP_SWEEP=SWEEP.yaml[,KHSWEEP_STORE=STORE.h5] jobs/pbs.sh"
  exit 2
fi
khsweep=${KHSWEEP_BIN:-build/khsweep}
if [[ -n "${PBS_NODEFILE:-}" && -r "$PBS_NODEFILE" ]]; then
  slots=$(wc -l < "$PBS_NODEFILE")
else
  slots=$(nproc)
fi
ranks=${KHSWEEP_RANKS:-$slots}
warn=${KHSWEEP_WARN:-300}
chain=${KHSWEEP_CHAIN:-0}
max_requeues=${KHSWEEP_MAX_REQUEUES:-20}
script=${KHSWEEP_JOB_SCRIPT:-jobs/pbs.sh}
if [[ ! -x "$khsweep" ]]; then
  say "khsweep binary '$khsweep' is not executable (set KHSWEEP_BIN)"
  exit 3
fi

# This job's resources as qstat tells them ("Resource_List.NAME = VALUE" lines; continuation lines,
# which start with a tab, joined first), for the walltime and for the job that resubmits it.
job_info=""
[[ -n "${PBS_JOBID:-}" ]] && job_info=$(qstat -f "$PBS_JOBID" 2> /dev/null | sed -e ':a' -e 'N;s/\n\t//;ta' -e 'P;D' || true)
resource() { printf '%s\n' "$job_info" | sed -n "s/^ *Resource_List\.$1 = //p" | head -n 1; }

# The walltime in seconds: the knob, or qstat's Resource_List.walltime (HH:MM:SS).
walltime=${KHSWEEP_WALLTIME:-}
if [[ -z "$walltime" && -n "$job_info" ]]; then
  hms=$(resource walltime)
  if [[ $hms =~ ^([0-9]+):([0-9]+):([0-9]+)$ ]]; then
    walltime=$((10#${BASH_REMATCH[1]} * 3600 + 10#${BASH_REMATCH[2]} * 60 + 10#${BASH_REMATCH[3]}))
  fi
fi
if [[ -n "$walltime" ]] && ((walltime - warn - SECONDS < 30)); then
  say "walltime $walltime s leaves less than 30 s before the stop at KHSWEEP_WARN=$warn s: lower KHSWEEP_WARN"
  exit 2
fi

if [[ $(id -u) == 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# The slots: one per line of the node file; without one (outside PBS), this machine's hardware
# threads, as nproc counts them. No --oversubscribe: more ranks than slots are refused, not piled
# onto the allocation's cores (on purpose, KHSWEEP_LAUNCHER_ARGS=--oversubscribe).
if [[ -n "${PBS_NODEFILE:-}" && -r "$PBS_NODEFILE" ]]; then
  placement=(--hostfile "$PBS_NODEFILE")
else
  placement=(--use-hwthread-cpus)
fi
# shellcheck disable=SC2206  # word splitting of the extra-argument knobs is intended
cmd=(mpirun -np "$ranks" "${placement[@]}" ${KHSWEEP_LAUNCHER_ARGS:-}
     "$khsweep" run "$sweep" ${store:+--store "$store"} ${KHSWEEP_RUN_ARGS:-})

mpirun_pid=""
timer_pid=""
stop_reason=""
forward() {
  stop_reason=$1
  say "$1: asking the sweep to checkpoint, commit and stop (SIGUSR1 to mpirun)"
  [[ -n "$mpirun_pid" ]] && kill -USR1 "$mpirun_pid" 2> /dev/null
}
trap 'forward SIGTERM' TERM
trap 'forward SIGUSR1' USR1
trap 'forward SIGINT' INT

say "start (resubmission $chain): ${cmd[*]}; walltime ${walltime:-unknown} s, stop $warn s before it"
"${cmd[@]}" &
mpirun_pid=$!
if [[ -n "$walltime" ]]; then
  sleep $((walltime - warn - SECONDS)) &
  timer_pid=$!
fi
while :; do
  done_pid=""
  if [[ -n "$timer_pid" ]]; then
    wait -n -p done_pid "$mpirun_pid" "$timer_pid"
  else
    wait -n -p done_pid "$mpirun_pid"
  fi
  rc=$?
  [[ "${done_pid:-}" == "$mpirun_pid" ]] && break
  if [[ -n "${done_pid:-}" && "${done_pid:-}" == "$timer_pid" ]]; then
    timer_pid=""
    forward "walltime - $warn s"
  fi
done
[[ -n "$timer_pid" ]] && kill "$timer_pid" 2> /dev/null
say "mpirun exited with $rc"

case $rc in
  0)
    say "sweep complete"
    exit 0
    ;;
  75)
    if ((chain >= max_requeues)); then
      say "stopped, not resubmitted: already resubmitted $chain times (KHSWEEP_MAX_REQUEUES=$max_requeues)"
      exit 75
    fi
    # Every knob above, and what khsweep itself reads (where named datasets live; HDF5's switch
    # for file systems without locks), since the new job starts from qsub's environment.
    vars="KHSWEEP_SWEEP=$sweep,KHSWEEP_CHAIN=$((chain + 1))"
    for knob in KHSWEEP_STORE KHSWEEP_BIN KHSWEEP_RANKS KHSWEEP_WARN KHSWEEP_WALLTIME \
                KHSWEEP_MAX_REQUEUES KHSWEEP_JOB_SCRIPT KHSWEEP_LAUNCHER_ARGS KHSWEEP_RUN_ARGS \
                KHSWEEP_DATA_DIR HDF5_USE_FILE_LOCKING; do
      [[ -n "${!knob:-}" ]] && vars+=",$knob=${!knob}"
    done
    # The resources this job got (select or Torque's nodes, walltime), so that the next job runs on
    # as many nodes and cores as this one, not on the #PBS lines of the script.
    resources=()
    for name in select nodes walltime; do
      value=$(resource "$name")
      [[ -n "$value" ]] && resources+=(-l "$name=$value")
    done
    if next=$(qsub "${resources[@]}" -v "$vars" "$script"); then
      say "stopped ($stop_reason); resubmitted as $next to resume"
      exit 0
    fi
    say "qsub failed: submit the same command again to resume"
    exit 75
    ;;
  *)
    exit "$rc"
    ;;
esac
