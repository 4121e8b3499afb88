#!/usr/bin/env bash
# The dataset is held once per node, not once per rank: a 3-rank sweep on all of MNIST (47 MB of
# training pixels, 8 MB of validation pixels), sampled while it trains. Every rank must read the
# images from one shared segment (RssShmem about 55 MB) and hold far less than a copy of them
# privately (RssAnon under 30 MB: weights, buffers, the labels); the store must then equal the
# same sweep on one rank, bitwise.
# Usage: shared_data.sh KHSWEEP STORE_CHECK
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runner_init shared_data "$@"
cat > full.yaml << EOF
name: full
description: all of MNIST, so that a private copy per rank would show
fixed:
  data: $MNIST
  epochs: 2
grid:
  hidden: [16]
  seed: [1, 2, 3, 4]
service:
  checkpoint_every: 1
EOF
start_sweep 3 full.yaml shared.h5 shared.log
wait_started shared.log
# Judged per rank by its smallest private memory while the shared segment is mapped: a rank may
# briefly hold both while the node's leader copies its own load into the segment, but a rank that
# kept a private copy would never drop below the data's 55 MB.
declare -A least_private
samples=0
while [[ "$(ps -o stat= -p "$SWEEP_PID" 2> /dev/null)" == [^Z]* ]]; do
  for pid in $(rank_pids "$SWEEP_PID"); do
    status=$(cat "/proc/$pid/status" 2> /dev/null) || continue
    anon=$(awk '/^RssAnon:/ {print $2}' <<< "$status")
    shmem=$(awk '/^RssShmem:/ {print $2}' <<< "$status")
    [[ -n "$anon" && -n "$shmem" ]] || continue
    ((shmem > 50000)) || continue  # before the segment is mapped: nothing to judge yet
    samples=$((samples + 1))
    if [[ -z "${least_private[$pid]:-}" ]] || ((anon < least_private[$pid])); then least_private[$pid]=$anon; fi
  done
  sleep 0.2
done
wait_sweep
show shared.log
expect_rc 0 "$RC" "3-rank sweep on shared data" shared.log
((${#least_private[@]} == 3)) || fail "saw the shared segment in ${#least_private[@]} ranks, expected 3"
for pid in "${!least_private[@]}"; do
  ((least_private[$pid] < 30000)) ||
    fail "rank pid $pid never held less than ${least_private[$pid]} kB privately beside the shared data: a private copy"
done
((samples >= 3)) || fail "only $samples memory samples of ranks with the shared data mapped"
ok "$samples samples: every rank read MNIST from one shared segment, none kept a private copy (least private kB: ${least_private[*]})"
mpirun_sweep 1 full.yaml alone.h5 alone.log
expect_rc 0 "$RC" "1-rank sweep" alone.log
check "shared-data store equals the 1-rank store bitwise" "$STORE_CHECK" same alone.h5 shared.h5
