#!/usr/bin/env bash
# Linear attention: the chunked kernel (linattn.intra) next to cblas_sgemm on
# one core, then LASP-2 against LASP-1 on one Llama-2-7B-shaped causal linear
# attention layer (32 heads × 128, decay per head) under mpirun at P = 2 and 4:
# seconds, exposed communication, and LASP-1 / LASP-2.
#   scripts/bench-linear.sh [SEQ]      default: 32768
# Each rank is bound to a core where there are enough; with more ranks than
# cores they share (the figures then include that contention).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
seq=${1:-32768}
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$ringc" bench-kernels --threads 1 --head-dim 128 --heads 8 --blocks 512 --linear-tokens 4096 16384

# The attention-only layer of models/llama2-7b-attention.ir, made linear.
decay=$(python3 -c 'print(", ".join(str(round(1 - 2 ** -(5 + h / 8), 6)) for h in range(32)))')
sed "s/attention %q, %k, %v {causal = true}/linear_attention %q, %k, %v {causal = true, decay = [$decay]}/" \
  models/llama2-7b-attention.ir >"$out/linear-layer.ir"
grep -q linear_attention "$out/linear-layer.ir"

printf "\nlinear attention layer (32 heads × 128, causal, decayed), S = %s, %s cores\n" "$seq" "$(nproc)"
printf "%4s %8s %10s %12s %12s\n" P strategy seconds "exposed ms" "vs lasp2"
for p in 2 4; do
  bind=core
  [ "$p" -le "$(nproc)" ] || bind=none
  base=""
  for s in lasp2 lasp1; do
    "$ringc" compile "$out/linear-layer.ir" --sp "$p" --seq "$seq" --strategy "$s" -o "$out/$s.$p.plan" >/dev/null
    json=$(OPENBLAS_NUM_THREADS=1 "${mpirun_here[@]}" --bind-to "$bind" \
      -np "$p" "$ringc" run "$out/$s.$p.plan" --json)
    read -r seconds exposed < <(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(r["seconds"], max(x["exposed_seconds"] for x in r["per_rank"]) * 1e3)' "$json")
    base=${base:-$seconds}
    printf "%4d %8s %10.3f %12.2f %11.2fx\n" "$p" "$s" "$seconds" "$exposed" "$(python3 -c "print($seconds / $base)")"
  done
done
