#!/usr/bin/env bash
# jobs/pbs.sh, stopped before its walltime (khsweep run exits 75), submits itself again with the
# resources this job got, as qstat tells them: a 4-node sweep goes on on 4 nodes, not on the
# script's own #PBS lines. PBS itself is faked: qstat prints a job's Resource_List (with a wrapped
# line, as qstat -f wraps long values), qsub records its arguments, and the "khsweep" mpirun starts
# exits 75 at once. mpirun is real, on a node file of this machine.
# Usage: pbs_resubmit.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/khsweep-pbs-resubmit.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "[pbs_resubmit] FAIL: $*" >&2; [[ -f "$work/log" ]] && sed 's/^/    log: /' "$work/log" >&2; exit 1; }
command -v mpirun > /dev/null || fail "mpirun is not on PATH"

mkdir "$work/bin"
cat > "$work/bin/qstat" << 'EOF'
#!/bin/sh
printf 'Job Id: %s\n    Job_Name = khsweep\n    Resource_List.select = 4:ncpus=32:mpi\n\tprocs=32\n    Resource_List.ncpus = 128\n    Resource_List.walltime = 05:00:00\n' "$2"
EOF
cat > "$work/bin/qsub" << EOF
#!/bin/sh
printf '%s\n' "\$@" > "$work/qsub.args"
echo 2.server
EOF
printf '#!/bin/sh\nexit 75\n' > "$work/khsweep"
chmod +x "$work/bin/qstat" "$work/bin/qsub" "$work/khsweep"
printf 'localhost\nlocalhost\n' > "$work/nodefile"

rc=0
PATH="$work/bin:$PATH" PBS_JOBID=1.server PBS_O_WORKDIR="$repo" PBS_NODEFILE="$work/nodefile" \
  KHSWEEP_SWEEP=sweeps/demo.yaml KHSWEEP_STORE="$work/demo.h5" KHSWEEP_BIN="$work/khsweep" \
  KHSWEEP_DATA_DIR=/nowhere bash "$repo/jobs/pbs.sh" > "$work/log" 2>&1 || rc=$?
[[ $rc == 0 ]] || fail "pbs.sh exited $rc after a stop it should have resubmitted"
grep -q "walltime 18000 s, stop 300 s before it" "$work/log" || fail "pbs.sh did not read the walltime from qstat"
grep -q "resubmitted as 2.server" "$work/log" || fail "pbs.sh did not say it resubmitted"
[[ -f "$work/qsub.args" ]] || fail "qsub was not called"
args=$(tr '\n' ' ' < "$work/qsub.args")
want="-l select=4:ncpus=32:mpiprocs=32 -l walltime=05:00:00 -v KHSWEEP_SWEEP=sweeps/demo.yaml,KHSWEEP_CHAIN=1,KHSWEEP_STORE=$work/demo.h5,KHSWEEP_BIN=$work/khsweep,KHSWEEP_DATA_DIR=/nowhere jobs/pbs.sh "
[[ "$args" == "$want" ]] || fail "qsub got: $args
                       wanted: $want"
echo "[pbs_resubmit] ok: resubmitted with: $args"
