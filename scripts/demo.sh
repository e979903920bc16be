#!/usr/bin/env bash
# The main job on the bundled default model: installs what is missing, builds
# ringc in release mode, checks every bundled model, then compiles the
# default model (models/llama3-8b.ir) with TokenRing for 8 ranks at 128K
# tokens, verifies the plan and prints its statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift build -c release --product ringc
ringc=$(swift build -c release --show-bin-path)/ringc
model=${1:-models/llama3-8b.ir}

plan=$(mktemp -d)/model.sp8.plan
echo "== ringc check models/*.ir"
"$ringc" check models/*.ir
echo "== ringc compile $model --sp 8 --seq 131072"
"$ringc" compile "$model" --sp 8 --seq 131072 -o "$plan"
echo "== ringc verify"
"$ringc" verify "$plan"
echo "== ringc stats"
"$ringc" stats "$plan"
