#!/usr/bin/env bash
# Regenerates the seed corpus in Fuzz/corpus/<target>/ from the repository:
#   model        models/*.ir and each case of Tests/IRTextTests/Inputs/invalid-model.ir
#   plan         small plans of models/llama2-7b-attention.ir for every strategy at
#                sp 2, 3 and 4, and two whole-model plans
#   profile      profiles/*.xml
#   safetensors  Fuzz/make-safetensors-corpus.py
# Needs a ringc binary: $RINGC, or the debug build (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

ringc=${RINGC:-}
if [ -z "$ringc" ]; then
  swift build --product ringc >&2
  ringc=$(swift build --show-bin-path)/ringc
fi
out=Fuzz/corpus
rm -rf "$out"/{model,plan,profile}
mkdir -p "$out"/{model,plan,profile,safetensors}

cp models/*.ir "$out/model/"
# One seed per '// -----' case of the malformed-model test file.
awk -v dir="$out/model" '
  BEGIN { n = 0; file = sprintf("%s/invalid-%02d.ir", dir, n) }
  /^\/\/ -----/ { close(file); n++; file = sprintf("%s/invalid-%02d.ir", dir, n); next }
  { print > file }' Tests/IRTextTests/Inputs/invalid-model.ir

attn=models/llama2-7b-attention.ir
for strategy in tokenring ring ring-zigzag striped rsa ulysses allgather; do
  "$ringc" compile "$attn" --sp 2 --seq 16 --strategy "$strategy" -o "$out/plan/attn.sp2.$strategy.plan" >/dev/null
done
for strategy in tokenring ring ring-zigzag striped rsa allgather; do
  "$ringc" compile "$attn" --sp 3 --seq 24 --strategy "$strategy" -o "$out/plan/attn.sp3.$strategy.plan" >/dev/null
done
for strategy in ulysses usp:2x2 usp:2x2:tokenring; do
  "$ringc" compile "$attn" --sp 4 --seq 16 --strategy "$strategy" -o "$out/plan/attn.sp4.${strategy//:/-}.plan" >/dev/null
done
"$ringc" compile models/tiny.ir --sp 2 --seq 16 -o "$out/plan/tiny.sp2.tokenring.plan" >/dev/null
"$ringc" compile models/tiny-dit.ir --sp 2 --seq 16 --strategy ulysses -o "$out/plan/tiny-dit.sp2.ulysses.plan" >/dev/null

cp profiles/*.xml "$out/profile/"
python3 Fuzz/make-safetensors-corpus.py

du -sh "$out"/*
