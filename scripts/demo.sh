#!/usr/bin/env bash
# The main job on the bundled default model: installs what is missing, builds
# ringc in release mode, checks every bundled model, then compiles the
# default model (models/llama3-8b.ir) with TokenRing for 8 ranks at 128K
# tokens, verifies the plan, prints its statistics and its predicted time on an
# HGX H100, compares every strategy there, and runs the tiny model for real
# under mpirun against the dense reference.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

release_ringc
model=${1:-models/llama3-8b.ir}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plan=$work/model.sp8.plan
echo "== ringc check models/*.ir"
"$ringc" check models/*.ir
echo "== ringc compile $model --sp 8 --seq 131072"
"$ringc" compile "$model" --sp 8 --seq 131072 -o "$plan"
echo "== ringc verify"
"$ringc" verify "$plan"
echo "== ringc stats"
"$ringc" stats "$plan"
echo "== ringc simulate --profile h100-sxm-8"
"$ringc" simulate "$plan" --profile h100-sxm-8
echo "== ringc compare $model --sp 8 --seq 131072 --profile h100-sxm-8"
"$ringc" compare "$model" --sp 8 --seq 131072 --profile h100-sxm-8
echo "== mpirun -np 4 ringc run (models/tiny.ir) --check"
"$ringc" compile models/tiny.ir --sp 4 -o "$plan.tiny"
"${mpirun_here[@]}" -np 4 "$ringc" run "$plan.tiny" --check
