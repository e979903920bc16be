#!/usr/bin/env bash
# Profiles every rank of one `ringc run` with perf and prints, per rank, the share of the timed region
# in BLAS, the attention kernel, the other kernels, MPI, copies, memory management and the rest.
# Not CI. usage: scripts/profile-ranks.sh PLAN P [RINGC]   (RINGC defaults to the release build)
# Samples outside a rank's timed region (input generation, the check) are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
[ $# -ge 2 ] || { echo "usage: scripts/profile-ranks.sh PLAN P [RINGC]" >&2; exit 64; }
plan=$1 ranks=$2
command -v perf >/dev/null || { echo "profile-ranks: perf is not installed (apt-get install linux-perf)" >&2; exit 69; }
if [ $# -ge 3 ]; then ringc=$3; else release_ringc >/dev/null; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"${mpirun_here[@]}" -np "$ranks" \
  sh -c 'exec perf record -q -k mono -F 2000 -o "$0/perf.$OMPI_COMM_WORLD_RANK" -- "$1" run "$2" --json --quiet' \
  "$dir" "$ringc" "$plan" >"$dir/run.json"
python3 scripts/profile-ranks.py "$dir"
