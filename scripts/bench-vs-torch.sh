#!/usr/bin/env bash
# ringc beside PyTorch (CPU) on the same shapes and cores, in one run: the attention kernel, llama2-7b's
# attention layer at S = 4096 and 8192 on 1 and 2 cores, and one llama3-8b decoder layer at S = 2048
# against transformers' LlamaDecoderLayer; GFLOP/s, the ratio (ringc's rate over PyTorch's) and peak
# RSS per row. Not CI: run it on an idle machine (ROUNDS=3, KERNEL_ROUNDS=7, RUNS=5 by default; FULL=1 for every kernel
# shape; ROWS=layer for only the rows whose label has that word). Needs torch and transformers:
# pip install /opt/wheels/torch-*.whl (or pip install torch) transformers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
if ! python3 -c "import torch, transformers" 2>/dev/null; then
  echo "bench-vs-torch: PyTorch and transformers are not importable; install them with" >&2
  echo "  pip install /opt/wheels/torch-*.whl transformers   (or: pip install torch transformers)" >&2
  exit 69
fi
release_ringc >/dev/null
exec python3 scripts/bench-vs-torch.py "$ringc"
