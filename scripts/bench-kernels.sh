#!/usr/bin/env bash
# Attention block kernel vs cblas_sgemm, GFLOP/s on one core and on two
# (target: the kernel at ≥ 60% of sgemm's rate at head_dim 128, block ≥ 512).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
release_ringc >/dev/null
cores=$(nproc)
for threads in 1 2; do
  [ "$threads" -le "$cores" ] || continue
  "$ringc" bench-kernels --threads "$threads" --head-dim 128 --heads 8 --blocks 256 512 1024
done
