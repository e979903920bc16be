#!/usr/bin/env bash
# The main job on the bundled default model: installs what is missing, builds
# ringc in release mode, then checks every bundled model and prints the
# canonical form of the default model (models/llama3-8b.ir).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

swift build -c release --product ringc
ringc=$(swift build -c release --show-bin-path)/ringc
model=${1:-models/llama3-8b.ir}

echo "== ringc check models/*.ir"
"$ringc" check models/*.ir
echo "== ringc print $model"
"$ringc" print "$model"
