#!/usr/bin/env bash
# The topology-aware strategies beside the others: `ringc compare` on each
# bundled NVSwitch and Ascend full-mesh profile (one node and four), for
# Llama-2-7B (MHA) and Llama-3-8B (GQA 4:1) at S = 32K, 128K and 1M, with
# --sp the profile's device count. Per row: predicted ms per layer of the
# best of each family (TokenRing, pass-Q, TASP, TokenRing over TASP's rings,
# and on four nodes both over TASP's per-node rings, tasp:node8; ring-zigzag,
# Ulysses, USP, LoongTrain), the winner, and TASP / ring-zigzag (the faster
# TASP), TokenRing / pass-Q and TokenRing-over-TASP / TokenRing as speed
# ratios (> 1: the first is faster).
#   scripts/bench-topology.sh [SEQ …]      default: 32768 131072 1048576
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
seqs=("$@")
[ ${#seqs[@]} -gt 0 ] || seqs=(32768 131072 1048576)
release_ringc >/dev/null

printf "%-16s %-10s %8s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s  %-34s %7s %7s %7s\n" \
  profile model S tokenring passq tasp tr:tasp tasp:n8 tr:tasp:n8 zigzag ulysses "best usp" "best lt" winner tasp/zz tr/pq tr:t/tr
for profile in h100-sxm-8 h100-sxm-8x4 ascend-910b-8 ascend-910b-8x4; do
  case $profile in *x4) sp=32 ;; *) sp=8 ;; esac
  for model in llama2-7b llama3-8b; do
    for seq in "${seqs[@]}"; do
      "$ringc" compare "models/$model.ir" --sp "$sp" --seq "$seq" --profile "$profile" --json | python3 -c '
import json, sys
profile, model, seq = sys.argv[1:4]
r = json.load(sys.stdin)
rows = {x["strategy"]: x["layer_ms"] for x in r["strategies"] if "layer_ms" in x}
def best(prefix):
    v = [t for s, t in rows.items() if s.startswith(prefix)]
    return min(v) if v else float("nan")
nan = float("nan")
cells = [rows.get("tokenring", nan), rows.get("passq", nan), rows.get("tasp", nan), rows.get("tokenring:tasp", nan),
         rows.get("tasp:node8", nan), rows.get("tokenring:tasp:node8", nan),
         rows.get("ring-zigzag", nan), rows.get("ulysses", nan), best("usp:"), best("loongtrain:")]
tasp = min((c for c in (cells[2], cells[4]) if c == c), default=nan)
trtasp = min((c for c in (cells[3], cells[5]) if c == c), default=nan)
winner = r["winner"] or "none fits"
ratio = lambda a, b: a / b if b == b and a == a and b > 0 else float("nan")
print(f"{profile:16s} {model:10s} {int(seq) // 1024:7d}K " + " ".join(f"{c:9.2f}" for c in cells)
      + f"  {winner:34s} {ratio(cells[6], tasp):7.3f} {ratio(cells[1], cells[0]):7.3f} {ratio(cells[0], trtasp):7.3f}")
' "$profile" "$model" "$seq"
    done
  done
done
