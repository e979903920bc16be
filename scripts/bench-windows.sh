#!/usr/bin/env bash
# Sliding windows: what needed-only sending saves. For llama3-8b (GQA 32/8 × 128) at S = SEQ
# (default 131072) on P = SP (default 8) ranks of PROFILE (default h100-sxm-8), every strategy's
# bytes sent per rank and predicted ms per layer, causal and with a window of each of WINDOWS
# (default 4096 32768): the rings skip hidden blocks and stop where no rank needs more; TokenRing
# moves each query chunk only as far as keys it sees; collectives still move everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
seq=${SEQ:-131072}
sp=${SP:-8}
profile=${PROFILE:-h100-sxm-8}

"$ringc" compare models/llama3-8b.ir --sp "$sp" --seq "$seq" --profile "$profile" --json > "$out/causal.json"
for w in ${WINDOWS:-4096 32768}; do
  sed "s/{causal = true}/{causal = true, window = $w}/" models/llama3-8b.ir > "$out/w$w.ir"
  "$ringc" compare "$out/w$w.ir" --sp "$sp" --seq "$seq" --profile "$profile" --json > "$out/w$w.json"
done
python3 - "$out" "$seq" "$sp" "$profile" ${WINDOWS:-4096 32768} <<'EOF'
import json, sys
out, seq, sp, profile, windows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
def rows(path):
    return {s["strategy"]: s for s in json.load(open(path))["strategies"] if s.get("layer_ms") is not None}
causal = rows(f"{out}/causal.json")
print(f"llama3-8b, S = {seq}, P = {sp}, {profile}: MiB sent per rank per layer and ms per layer")
for w in windows:
    windowed = rows(f"{out}/w{w}.json")
    print(f"\nwindow {w}:")
    print(f"  {'strategy':34} {'causal MiB':>11} {'window MiB':>11} {'ratio':>6} {'causal ms':>10} {'window ms':>10}")
    for name, c in causal.items():
        if name not in windowed:
            print(f"  {name:34} {c['bytes_per_rank'] / 2**20:11.1f}  (refuses windows)")
            continue
        x = windowed[name]
        ratio = x["bytes_per_rank"] / c["bytes_per_rank"] if c["bytes_per_rank"] else float("nan")
        print(f"  {name:34} {c['bytes_per_rank'] / 2**20:11.1f} {x['bytes_per_rank'] / 2**20:11.1f} {ratio:6.2f} {c['layer_ms']:10.2f} {x['layer_ms']:10.2f}")
    best = min(windowed.values(), key=lambda s: s["layer_ms"])
    print(f"  fastest with the window: {best['strategy']} ({best['layer_ms']:.2f} ms)")
EOF
