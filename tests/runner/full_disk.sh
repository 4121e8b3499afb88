#!/usr/bin/env bash
# A full disk is the machine's fault, not the runs': checkpoints that cannot be written (a full
# tmpfs under the store's checkpoint directory) make each run go back to the queue, each rank that
# keeps failing is retired, and the job stops with exit 3 and the reason, recording no run as
# failed. Once space is freed, the same command trains every run (0 failed), bitwise equal to a
# sweep that never saw the full disk. (Before, each run was committed as "failed", which is final:
# the rerun skipped them all and printed "0 failed".)
# Needs to mount a tmpfs (root with CAP_SYS_ADMIN); skipped with the reason where it cannot.
# Usage: full_disk.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init full_disk "$@"

mkdir disk
if ! mount -t tmpfs -o size=1m tmpfs disk 2> mount.err; then
  echo "SKIP: cannot mount a small tmpfs for the full disk: $(head -1 mount.err)"
  exit 77
fi
# The mount goes before the work directory is removed, whatever the outcome.
trap 'rc=$?; umount "$WORK/disk" 2> /dev/null || true; (exit $rc); runner_cleanup' EXIT

cat > sweep.yaml << EOF
name: full-disk
description: 4 short runs whose checkpoints land on a full disk
fixed:
  data: $MNIST
  train_subset: 1000
  validation_subset: 200
  epochs: 3
grid:
  hidden: [16, 24]
  seed: [1, 2]
service:
  checkpoint_every: 1
  commit_every_seconds: 1
EOF

log "reference: the sweep on 1 rank, on a disk with room"
mpirun_sweep 1 sweep.yaml ref.h5 ref.log
expect_rc 0 "$RC" "reference sweep" ref.log

dd if=/dev/zero of=disk/filler bs=4k 2> /dev/null || true   # until the tmpfs is full
ln -s "$WORK/disk" run.h5.checkpoints
log "2 ranks, checkpoints on a full disk"
mpirun_sweep 2 sweep.yaml run.h5 full.log
show full.log
expect_rc 3 "$RC" "sweep on a full disk" full.log
expect_in full.log "No space left on device" "the reason is named"
expect_in full.log "gets no more runs" "ranks that keep failing are retired"
expect_in full.log "stopped: 0/4 runs" "the final line says nothing was stored"
no_hdf5_diag full.log
outcome=$(h5dump -a "/jobs/1/outcome" run.h5 | sed -n 's/^ *(0): "\(.*\)"$/\1/p')
[[ "$outcome" == stopped:*"4 of 4 runs missing" ]] || fail "/jobs/1/outcome is '$outcome'"
ok "/jobs/1/outcome: $outcome"
check "no run recorded (failed or otherwise)" "$STORE_CHECK" valid run.h5 --expect-runs 0

log "space freed: the same command trains every run"
rm disk/filler
mpirun_sweep 2 sweep.yaml run.h5 again.log
show again.log
expect_rc 0 "$RC" "rerun after freeing space" again.log
expect_in again.log "done: 4/4 runs in run.h5 (0 failed, 0 diverged)" "every run trained, none failed"
check "equal to the reference bitwise" "$STORE_CHECK" same ref.h5 run.h5
