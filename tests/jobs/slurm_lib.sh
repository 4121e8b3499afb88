# shellcheck shell=bash
# Helpers of tests/jobs/slurm_test.sh: a private single-node SLURM cluster on localhost (munged,
# slurmctld and slurmd with their own config, sockets, ports, state and logs under one directory).
# Sourced, never run. Needs root (slurmd runs jobs as the submitting user; SlurmUser=root).
#
#   slurm_start DIR        writes DIR/slurm.conf from slurm.conf.in, starts the daemons, waits
#                          until the node is idle; exports SLURM_CONF
#   slurm_stop             stops the daemons (and every job process they started); idempotent
#   slurm_logs             prints the daemons' logs (on failure)

SLURM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SLURM_DIR=""
SLURM_PIDS=()   # munged slurmctld slurmd, started in the foreground mode (-F / -D) in the background

# free_port: an unused TCP port on localhost.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS WHAT COMMAND...: polls the command every 0.2 s until it succeeds.
wait_for() {
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 5; ++i)); do
    "$@" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  slurm_logs
  fail "$what: not within $limit s"
}

slurm_start() {
  SLURM_DIR=$1
  local d=$SLURM_DIR
  # munged insists that every directory on its socket's path is searchable by everyone and that
  # its key is private to the daemon's user.
  mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge"
  mkdir -p "$d/sock"
  chmod 755 "$d/sock"
  chmod 755 "$d"
  chmod 700 "$d/munge"
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  local socket=$d/sock/munge.socket
  munged -F --socket="$socket" --key-file="$d/munge/munge.key" --log-file="$d/log/munged.log" \
      --pid-file="$d/sock/munged.pid" --seed-file="$d/munge/munged.seed" > "$d/log/munged.out" 2>&1 &
  SLURM_PIDS+=($!)
  wait_for 10 "munged answers on $socket" bash -c "munge -S '$socket' -n | unmunge -S '$socket'"

  sed -e "s|@DIR@|$d|g" -e "s|@CPUS@|$(nproc)|" -e "s|@CTLD_PORT@|$(free_port)|" \
      -e "s|@SLURMD_PORT@|$(free_port)|" -e "s|@SOCKET@|$socket|" \
      "$SLURM_LIB_DIR/slurm.conf.in" > "$d/slurm.conf"
  export SLURM_CONF=$d/slurm.conf
  # -i: ignore (absent) state files; -D: stay in the foreground, so the pid is the daemon's.
  slurmctld -D -i -f "$SLURM_CONF" > "$d/log/slurmctld.out" 2>&1 &
  SLURM_PIDS+=($!)
  wait_for 20 "slurmctld answers" scontrol ping
  slurmd -D -N localhost -f "$SLURM_CONF" > "$d/log/slurmd.out" 2>&1 &
  SLURM_PIDS+=($!)
  # shellcheck disable=SC2016  # expanded by the inner bash
  wait_for 30 "the node is idle" bash -c '[[ $(sinfo -h -n localhost -o %t) == idle ]]'
}

slurm_stop() {
  local pid i n
  ((${#SLURM_PIDS[@]} == 0)) && return 0
  # Jobs first: scancel makes slurmd signal (and after KillWait, kill) their processes.
  if scancel --full --quiet --user="$(id -un)" 2> /dev/null; then
    for ((n = 0; n < 75; ++n)); do
      [[ -z "$(squeue -h -o %i 2> /dev/null)" ]] && break
      sleep 0.2
    done
  fi
  # Then the daemons, newest first.
  for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; --i)); do
    pid=${SLURM_PIDS[i]}
    kill -TERM "$pid" 2> /dev/null || continue
    for ((n = 0; n < 50; ++n)); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  SLURM_PIDS=()
  # A job's slurmstepd and processes can outlive the daemons (e.g. when the test fails mid-job):
  # they run in sessions of their own, in the test's directory. End those, by pid; the test's own
  # processes (its session) stay.
  if [[ -n "$SLURM_DIR" ]]; then
    local top p cwd sid own_sid
    top=$(dirname "$SLURM_DIR")
    own_sid=$(ps -o sid= -p $$ | tr -d ' ')
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      cwd=$(readlink "$p/cwd" 2> /dev/null) || continue
      [[ $cwd == "$top"* ]] || continue
      sid=$(ps -o sid= -p "$pid" 2> /dev/null | tr -d ' ') || continue
      [[ -n "$sid" && "$sid" != "$own_sid" ]] || continue
      kill -KILL "$pid" 2> /dev/null || true
    done
  fi
  return 0
}

slurm_logs() {
  local f
  [[ -n "$SLURM_DIR" ]] || return 0
  for f in "$SLURM_DIR"/log/*; do
    [[ -s "$f" ]] || continue
    echo "---- $(basename "$f") (last 40 lines):"
    tail -n 40 "$f"
  done
  echo "----"
}
