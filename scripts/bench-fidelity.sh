#!/usr/bin/env bash
# How well `ringc simulate` predicts:
#  1. published: every figure of ../shared/reference/benchmarks.md ringc can express (the TokenRing
#     README's A10 steps, ring-flash-attention's 8-GPU rates, Ring Attention's least hidden block,
#     USP's Ulysses × ring grid), published vs predicted and the worst (scripts/fidelity-published.py);
#     validation only: no profile number comes from them;
#  2. measured: `ringc calibrate` on this machine, then predicted vs real `mpirun … ringc run` of one
#     llama2-7b attention layer at S = SEQ (default 4096) for P = 1, 2, 4 (and PS="1 2 4 8 16" on a
#     16-core machine), the median of three runs;
#  3. crossovers: TokenRing vs Ring for MHA on ascend-910b-8 and for GQA 4:1 on h100-sxm-8;
#  4. the overlap scheduler: TokenRing's predicted ms per layer as its pass writes it and after
#     `--profile` (reordered, partials split where the simulator predicts a gain).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
seq=${1:-4096}
swift build -c release --product ringc >/dev/null
ringc=$(swift build -c release --show-bin-path)/ringc
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mpi="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --mca pml ob1"

echo "== 1. published figures"
python3 scripts/fidelity-published.py "$ringc" "$out"

echo "== 2. measured: this machine, llama2-7b attention, S = $seq"
cp profiles/device-profile.xsd "$out/"
$mpi -np 2 "$ringc" calibrate -o "$out/host.xml"
for p in ${PS:-1 2 4}; do
  "$ringc" compile models/llama2-7b-attention.ir --sp "$p" --seq "$seq" -o "$out/h$p.plan" >/dev/null
  predicted=$("$ringc" simulate "$out/h$p.plan" --profile "$out/host.xml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_ms"])')
  runs=""
  for _ in 1 2 3; do
    runs="$runs $(OPENBLAS_NUM_THREADS=1 $mpi -np "$p" "$ringc" run "$out/h$p.plan" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"] * 1000)')"
  done
  python3 -c "
import statistics
p, runs = $predicted, [float(x) for x in '$runs'.split()]
m = statistics.median(runs)
print(f'  P = $p: predicted {p:.0f} ms, measured {m:.0f} ms (median of {\", \".join(f\"{r:.0f}\" for r in runs)}), error {100 * (p / m - 1):+.1f}%')"
done

echo "== 3. crossovers (ms per layer, S = 32768, P = 8)"
for case in "ascend-910b-8 llama2-7b" "h100-sxm-8 llama3-8b"; do
  set -- $case
  "$ringc" compare "models/$2.ir" --sp 8 --seq 32768 --profile "$1" --json | python3 -c '
import json, sys
r = {s["strategy"]: s for s in json.load(sys.stdin)["strategies"]}
t, g = r["tokenring"]["layer_ms"], r["ring-zigzag"]["layer_ms"]
ahead = "tokenring" if t < g else "ring"
print(f"  {sys.argv[1]:14} {sys.argv[2]:10} tokenring {t:.2f}, ring-zigzag {g:.2f}: {ahead} ahead")
' "$1" "$2"
done

echo "== 4. overlap schedule: TokenRing, llama2-7b attention (ms per layer, as written -> scheduled)"
for case in "a10-pcie-4 4 24000" "ascend-910b-8 8 32768" "ascend-910b-8 8 131072" "h100-sxm-8 8 131072"; do
  set -- $case
  "$ringc" compile models/llama2-7b-attention.ir --sp "$2" --seq "$3" -o "$out/w.plan" >/dev/null
  "$ringc" compile models/llama2-7b-attention.ir --sp "$2" --seq "$3" --profile "$1" -o "$out/s.plan" >/dev/null
  written=$("$ringc" simulate "$out/w.plan" --profile "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_ms"])')
  scheduled=$("$ringc" simulate "$out/s.plan" --profile "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_ms"])')
  pieces=$(grep -c 'send.start .*chan = @a.out.p0' "$out/s.plan" || true)
  python3 -c "w, s = $written, $scheduled; print(f'  $1 P = $2 S = $3: {w:.2f} -> {s:.2f} ({100 * (s / w - 1):+.1f}%), $pieces partials split')"
done
