#!/usr/bin/env bash
# A real-shaped checkpoint end to end: random bf16 weights of Llama-3.2-1B's
# shape (models/configs/Llama-3.2-1B.json, written once by
# scripts/make-random-checkpoint.py into .build-bench/), `ringc import`,
# `compile --sp P`, then `mpirun -np P ringc run --weights DIR --input ids.npy
# --output last.npy --output-rows S-1:S` (the last token's logits).
# Prints the run time and, per rank, the peak resident memory split into
# file-backed pages (the mapped checkpoint, shared by the ranks through the
# page cache) and anonymous ones (activations, the f32 copy of the weight in
# use), each beside the checkpoint's size.
#   scripts/bench-checkpoint.sh [SEQ] [P] [STRATEGY]   default: 4096 2 tokenring
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
seq=${1:-4096}
p=${2:-2}
strategy=${3:-tokenring}
release_ringc >/dev/null
ckpt=.build-bench/llama-3.2-1b-bf16
[ -f "$ckpt/model.safetensors" ] || python3 scripts/make-random-checkpoint.py models/configs/Llama-3.2-1B.json "$ckpt" bfloat16
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

python3 -c '
import numpy as np, sys
np.save(sys.argv[1], np.random.default_rng(0).integers(0, int(sys.argv[3]), size=int(sys.argv[2]), dtype=np.int64))' \
  "$out/ids.npy" "$seq" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$ckpt/config.json")"
"$ringc" import "$ckpt" -o "$out/model.ir"
"$ringc" compile "$out/model.ir" --sp "$p" --seq "$seq" --strategy "$strategy" -o "$out/plan.ir" >/dev/null

# Peak of each rank's VmRSS, RssFile and RssAnon (KiB), sampled every 0.2 s.
sample() {
  while sleep 0.2; do
    for pid in $(pgrep -f "^$ringc run $out/plan.ir" || true); do
      awk -v pid="$pid" '/^(VmRSS|RssFile|RssAnon):/ { printf "%s %s %s\n", pid, $1, $2 }' "/proc/$pid/status" 2>/dev/null || true
    done
  done >>"$out/samples"
}
sample &
sampler=$!
OPENBLAS_NUM_THREADS=1 "${mpirun_here[@]}" -np "$p" \
  "$ringc" run "$out/plan.ir" --weights "$ckpt" --input "$out/ids.npy" --output "$out/last.npy" \
  --output-rows "$((seq - 1)):$seq" --quiet --json >"$out/report.json"
kill "$sampler"
wait "$sampler" 2>/dev/null || true

python3 - "$out" "$ckpt" "$seq" "$p" "$strategy" <<'EOF'
import json, os, sys
import numpy as np
out, ckpt, seq, p, strategy = sys.argv[1:]
report = json.load(open(f"{out}/report.json"))
size = sum(os.path.getsize(os.path.join(ckpt, f)) for f in os.listdir(ckpt) if f.endswith(".safetensors"))
peaks = {}
for line in open(f"{out}/samples"):
    pid, key, kib = line.split()
    peaks.setdefault(pid, {}).setdefault(key.rstrip(":"), 0)
    peaks[pid][key.rstrip(":")] = max(peaks[pid][key.rstrip(":")], int(kib) * 1024)
logits = np.load(f"{out}/last.npy")
gib = 2**30
print(f"Llama-3.2-1B shape, random bf16 weights ({size / gib:.2f} GiB), S = {seq}, P = {p}, {strategy}, {os.cpu_count()} cores")
print(f"run: {report['seconds']:.2f} s; output {logits.shape} (the last token's logits), finite: {bool(np.isfinite(logits).all())}")
print(f"{'rank pid':>10} {'peak RSS GiB':>13} {'file GiB':>9} {'anon GiB':>9} {'RSS / checkpoint':>17}")
for pid, v in sorted(peaks.items()):
    print(f"{pid:>10} {v.get('VmRSS', 0) / gib:13.2f} {v.get('RssFile', 0) / gib:9.2f} {v.get('RssAnon', 0) / gib:9.2f} {v.get('VmRSS', 0) / size:17.2f}")
total_anon = sum(v.get('RssAnon', 0) for v in peaks.values())
print(f"all ranks: anonymous {total_anon / gib:.2f} GiB; the checkpoint is mapped once in the page cache, not copied per rank")
EOF
