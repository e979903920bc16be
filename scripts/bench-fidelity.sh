#!/usr/bin/env bash
# How well `ringc simulate` predicts:
#  1. published: every figure of ../shared/reference/benchmarks.md ringc can express (the TokenRing
#     README's A10 steps, ring-flash-attention's 8-GPU rates, Ring Attention's least hidden block,
#     USP's Ulysses × ring grid, every row of its image), published vs predicted and the worst
#     (scripts/fidelity-published.py);
#     validation only: no profile number comes from them;
#  2. measured: `ringc calibrate` on this machine, then predicted vs real `mpirun … ringc run` of one
#     llama2-7b attention layer for each of STRATEGIES (default tokenring ring-zigzag), SEQS
#     (default 2048 4096 8192) and PS (default 2 4; PS="2 4 8 16" on a 16-core machine), the
#     median of three runs, then the worst error;
#  3. crossovers: TokenRing vs Ring for MHA on ascend-910b-8 and for GQA 4:1 on h100-sxm-8;
#  4. the overlap scheduler: TokenRing's predicted ms per layer as its pass writes it and after
#     `--profile` (reordered, partials split where the simulator predicts a gain).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== 1. published figures"
python3 scripts/fidelity-published.py "$ringc" "$out"

echo "== 2. measured: this machine, llama2-7b attention (predicted vs median of three runs)"
cp profiles/device-profile.xsd "$out/"
"${mpirun_here[@]}" -np 2 "$ringc" calibrate -o "$out/host.xml"
: > "$out/errors"
for strategy in ${STRATEGIES:-tokenring ring-zigzag}; do
  for seq in ${SEQS:-2048 4096 8192}; do
    for p in ${PS:-2 4}; do
      "$ringc" compile models/llama2-7b-attention.ir --sp "$p" --seq "$seq" --strategy "$strategy" -o "$out/h.plan" >/dev/null
      predicted=$("$ringc" simulate "$out/h.plan" --profile "$out/host.xml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_ms"])')
      runs=""
      for _ in 1 2 3; do
        runs="$runs $(OPENBLAS_NUM_THREADS=1 "${mpirun_here[@]}" -np "$p" "$ringc" run "$out/h.plan" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"] * 1000)')"
      done
      python3 -c "
import statistics
p, runs = $predicted, [float(x) for x in '$runs'.split()]
m = statistics.median(runs)
e = 100 * (p / m - 1)
print(f'  {\"$strategy\":12} S = {$seq:5} P = $p: predicted {p:6.0f} ms, measured {m:6.0f} ms ({\", \".join(f\"{r:.0f}\" for r in runs)}), error {e:+.1f}%')
open('$out/errors', 'a').write(f'{e} $strategy S={$seq} P=$p\\n')"
    done
  done
done
python3 -c "
rows = [l.split(' ', 1) for l in open('$out/errors') if l.strip()]
e, case = max(rows, key=lambda r: abs(float(r[0])))
print(f'  worst: {float(e):+.1f}% ({case.strip()}); {sum(abs(float(r[0])) <= 15 for r in rows)} of {len(rows)} within 15%')"

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
