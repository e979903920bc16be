#!/usr/bin/env bash
# Strong scaling of one Llama-2-7B-shaped causal attention layer (32 heads ×
# 128) under mpirun: time, parallel efficiency and exposed-communication share.
#   scripts/bench-scaling.sh [SEQ] [P …]      default: 32768 and P = 1 2 4 8
# Run it on a machine with at least max(P) cores (each rank is bound to one;
# with more ranks than cores they share, which is no longer a scaling figure).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
seq=${1:-32768}
shift || true
ranks=("$@")
[ ${#ranks[@]} -gt 0 ] || ranks=(1 2 4 8)
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

printf "model llama2-7b-attention, S = %s, %s cores\n" "$seq" "$(nproc)"
printf "%4s %10s %11s %16s\n" P "seconds" "efficiency" "exposed comm %"
base=""
for p in "${ranks[@]}"; do
  "$ringc" compile models/llama2-7b-attention.ir --sp "$p" --seq "$seq" -o "$out/p$p.plan" >/dev/null
  # One core per rank where there are enough; oversubscribed ranks float.
  bind=core
  [ "$p" -le "$(nproc)" ] || bind=none
  json=$(OPENBLAS_NUM_THREADS=1 "${mpirun_here[@]}" --bind-to "$bind" \
    -np "$p" "$ringc" run "$out/p$p.plan" --json)
  read -r seconds exposed < <(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
share = max(x["exposed_seconds"] for x in r["per_rank"]) / r["seconds"] * 100 if r["seconds"] else 0
print(r["seconds"], share)' "$json")
  base=${base:-$(python3 -c "print($seconds * $p)")}
  efficiency=$(python3 -c "print(f'{$base / ($p * $seconds) * 100:.1f}%')")
  printf "%4d %10.3f %11s %15.1f%%\n" "$p" "$seconds" "$efficiency" "$exposed"
done
