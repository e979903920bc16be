#!/usr/bin/env bash
# Packed documents: what each strategy sends and how long it takes when attention stays inside
# documents. llama3-8b (GQA 32/8 × 128) at S = SEQ (default 131072) on P = SP (default 8) ranks of
# PROFILE (default h100-sxm-8), documents of long-tailed lengths (a fixed seed: many short, a few
# long, as packed training data is). Per strategy and layout: bytes sent per rank and predicted ms
# per layer without needed-only sending (plain causal passing: every block travels as the causal
# plan sends it) and with it (hidden blocks skipped, K/V or query runs moved only as far as ranks
# that see them, all-gather restricted to the needed runs), and the attention work of the busiest
# over the idlest rank. The document-balancing layouts (document-zigzag: per-document head-tail;
# document-greedy: chunks dealt by work) are the "after" rows of tokenring, ring and allgather; the
# winner of `compare` (the cost model's choice among all of them) closes the table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
seq=${SEQ:-131072}
sp=${SP:-8}
profile=${PROFILE:-h100-sxm-8}

documents=$(python3 -c "
import random
random.seed(14)
s, bounds = $seq, [0]
while bounds[-1] < s:
    length = max(1, int(random.paretovariate(1.2) * 512))
    bounds.append(min(s, bounds[-1] + length))
print(','.join(map(str, bounds)))")
echo "documents: $(echo "$documents" | tr ',' '\n' | wc -l | awk '{print $1 - 1}') over $seq tokens; longest $(python3 -c "b=[$documents]; print(max(y - x for x, y in zip(b, b[1:])))")"
"$ringc" compare models/llama3-8b.ir --sp "$sp" --seq "$seq" --profile "$profile" --json > "$out/causal.json"
"$ringc" compare models/llama3-8b.ir --sp "$sp" --seq "$seq" --profile "$profile" --documents "$documents" --json > "$out/documents.json"
for row in tokenring: ring: ring-zigzag: allgather: ulysses: \
  tokenring:document-zigzag tokenring:document-greedy ring:document-zigzag ring:document-greedy \
  allgather:document-zigzag allgather:document-greedy; do
  s=${row%%:*} layout=${row#*:}
  "$ringc" compile models/llama3-8b.ir --sp "$sp" --seq "$seq" --strategy "$s" --documents "$documents" \
    ${layout:+--layout "$layout"} -o "$out/$s.$layout.plan" >/dev/null
  "$ringc" stats "$out/$s.$layout.plan" --json > "$out/$s.$layout.stats.json"
done
python3 - "$out" "$seq" "$sp" "$profile" <<'PY'
import json, os, sys
out, seq, sp, profile = sys.argv[1:]
def rows(path):
    report = json.load(open(path))
    return {(s["strategy"], s.get("layout") or ""): s for s in report["strategies"] if s.get("layer_ms") is not None}, report
causal, _ = rows(f"{out}/causal.json")
docs, report = rows(f"{out}/documents.json")
print(f"llama3-8b, S = {seq}, P = {sp}, {profile}: MiB sent per rank per layer, ms per layer, attention work max/min per rank")
print(f"  {'strategy (layout)':34} {'all-sent MiB':>12} {'needed MiB':>10} {'ratio':>6} {'causal ms':>10} {'docs ms':>8} {'work max/min':>13}")
for (name, layout), d in sorted(docs.items(), key=lambda kv: (kv[0][1] != "", kv[1]["layer_ms"])):
    c = causal.get((name, ""))
    if c is None:
        continue
    imbalance = ""
    path = f"{out}/{name}.{layout}.stats.json"
    if os.path.exists(path):
        layer = json.load(open(path))["layers"][0]
        work = [r["attention_flops"] for r in layer["ranks"]]
        imbalance = f"{max(work) / max(1, min(work)):13.2f}"
    ratio = d["bytes_per_rank"] / c["bytes_per_rank"] if c["bytes_per_rank"] else float("nan")
    label = name + (f" ({layout})" if layout else "")
    print(f"  {label:34} {c['bytes_per_rank'] / 2**20:12.1f} {d['bytes_per_rank'] / 2**20:10.1f} {ratio:6.2f} {c['layer_ms']:10.2f} {d['layer_ms']:8.2f} {imbalance}")
for (name, layout), c in causal.items():
    if (name, "") not in docs:
        print(f"  {name:34} {c['bytes_per_rank'] / 2**20:12.1f}  (refuses document masks)")
print(f"  winner with the documents: {report['winner']}")
PY
