#!/usr/bin/env bash
# Compile-time benchmark: `ringc compile models/llama3-70b.ir --seq 1048576`
# at P = 8, 64, 256 (release build), median of 3 runs each, and the growth
# exponent between P = 64 and 256 (2 means time ∝ P²).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A t
printf "%6s %10s %12s %12s\n" P "median s" "plan bytes" "messages/layer"
for p in 8 64 256; do
  times=()
  for run in 1 2 3; do
    start=$(date +%s.%N)
    summary=$("$ringc" compile models/llama3-70b.ir --sp "$p" --seq 1048576 -o "$out/plan")
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  t[$p]=$(printf "%s\n" "${times[@]}" | median)
  messages=$(echo "$summary" | sed -n 's/.*per attention layer \([0-9]*\) messages.*/\1/p')
  printf "%6d %10.3f %12d %12d\n" "$p" "${t[$p]}" "$(stat -c %s "$out/plan")" "$messages"
done
echo "growth exponent 64→256: $(echo "l(${t[256]} / ${t[64]}) / l(4)" | bc -l | cut -c1-4)  (target ≤ 2; P = 64 target < 1 s)"

# The overlap scheduler simulates up to 15 candidate orders (on all cores at once) and splits: its cost on top.
printf "with --profile h100-sxm-8x4 (scheduled):\n%6s %10s %14s\n" P "median s" "messages/layer"
for p in 8 32; do
  times=()
  for run in 1 2 3; do
    start=$(date +%s.%N)
    summary=$("$ringc" compile models/llama3-70b.ir --sp "$p" --seq 1048576 --profile h100-sxm-8x4 -o "$out/plan")
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  messages=$(echo "$summary" | sed -n 's/.*per attention layer \([0-9]*\) messages.*/\1/p')
  printf "%6d %10.3f %14d\n" "$p" "$(printf "%s\n" "${times[@]}" | median)" "$messages"
done

# The scheduler at the scale the simulator issue names (target ≤ 2 s), median of 5.
times=()
for run in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$ringc" compile models/llama2-7b-attention.ir --sp 64 --seq 1048576 --profile h100-sxm-8x8 -o "$out/plan" >/dev/null
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc -l)")
done
printf "llama2-7b-attention, sp 64, S = 1M, --profile h100-sxm-8x8: %.2f s, median of %s (target ≤ 2 s)\n" \
  "$(printf "%s\n" "${times[@]}" | median)" "$(printf "%.2f " "${times[@]}")"

# Striped layouts list every stripe: one width after another at S = 65536, P = 8 (target ≤ 1 s each).
printf "striped:W, llama2-7b attention, S = 65536, P = 8:\n%6s %10s %12s\n" W "s" "plan bytes"
for w in 1 2 4 8 16 32 64 128; do
  start=$(date +%s.%N)
  "$ringc" compile models/llama2-7b-attention.ir --sp 8 --seq 65536 --strategy "striped:$w" -o "$out/plan" >/dev/null
  end=$(date +%s.%N)
  printf "%6d %10.3f %12d\n" "$w" "$(echo "$end - $start" | bc -l)" "$(stat -c %s "$out/plan")"
done

# Packed documents under document-greedy: many runs per rank, each forwarded only as far as it is
# seen (the 79 long-tailed documents of bench-documents.sh), llama3-8b at S = 131072, median of 3.
documents=$(python3 -c "
import random
random.seed(14)
s, bounds = 131072, [0]
while bounds[-1] < s:
    bounds.append(min(s, bounds[-1] + max(1, int(random.paretovariate(1.2) * 512))))
print(','.join(map(str, bounds)))")
printf "packed documents, document-greedy, llama3-8b, S = 131072:\n%6s %10s %10s %12s\n" P strategy "median s" "plan bytes"
declare -A d
for p in 32 128; do
  for s in ring tokenring; do
    times=()
    for run in 1 2 3; do
      start=$(date +%s.%N)
      "$ringc" compile models/llama3-8b.ir --sp "$p" --seq 131072 --strategy "$s" --layout document-greedy --documents "$documents" -o "$out/plan" >/dev/null
      end=$(date +%s.%N)
      times+=("$(echo "$end - $start" | bc -l)")
    done
    d[$p$s]=$(printf "%s\n" "${times[@]}" | median)
    printf "%6d %10s %10.3f %12d\n" "$p" "$s" "${d[$p$s]}" "$(stat -c %s "$out/plan")"
  done
done
echo "growth exponent 32→128, ring: $(echo "l(${d[128ring]} / ${d[32ring]}) / l(4)" | bc -l | cut -c1-4)  (the plan holds P² blocks: 2 is the floor)"

# Many short documents under document-zigzag: 4096 documents of 16 tokens at S = 65536, P = 8, each
# cut in 2P one-token chunks, so a rank holds thousands of runs (visibility is searched, not tested
# pair by pair). One run each.
short="$out/short.npy"
python3 -c "
import numpy as np, sys
np.save(sys.argv[1], np.arange(0, 65537, 16, dtype=np.int32))" "$short"
printf "4096 short documents, document-zigzag, tiny, S = 65536, P = 8:\n%10s %10s %12s\n" strategy seconds "plan bytes"
for s in ring tokenring allgather; do
  start=$(date +%s.%N)
  "$ringc" compile models/tiny.ir --sp 8 --seq 65536 --strategy "$s" --layout document-zigzag --documents "$short" -o "$out/plan" >/dev/null
  end=$(date +%s.%N)
  printf "%10s %10.3f %12d\n" "$s" "$(echo "$end - $start" | bc -l)" "$(stat -c %s "$out/plan")"
done
