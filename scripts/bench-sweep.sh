#!/usr/bin/env bash
# The compare sweep: every bundled dense model (MODELS, default llama2-7b llama3-8b llama3-70b
# llama2-7b-attention) × every bundled profile (at all of its devices) × SEQS (default 8K … 1M),
# `ringc compare` on each. Prints, per case, the winner and whether it fits device memory, then the
# totals the simulator must keep: no winner over device memory; where nothing fits, the reason says
# what would; how many winners are ties within the cost model's uncertainty.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
release_ringc >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

models=${MODELS:-"llama2-7b llama3-8b llama3-70b llama2-7b-attention"}
seqs=${SEQS:-"8192 32768 131072 262144 524288 1048576"}
"$ringc" profiles | sed -n 's/^  \([a-z0-9-]*\): \([0-9]*\) × \([0-9]*\) .*/\1 \2 \3/p' > "$out/profiles"
: > "$out/cases"
while read -r profile nodes per; do
  for model in $models; do
    for seq in $seqs; do
      if "$ringc" compare "models/$model.ir" --sp $((nodes * per)) --seq "$seq" --profile "$profile" --json > "$out/case.json" 2> "$out/case.err"; then
        python3 - "$out/case.json" "$profile" "$model" "$seq" >> "$out/cases" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
by = {s["strategy"]: s for s in d["strategies"]}
w = d.get("winner")
fits = w is not None and by.get(w, {}).get("fits", False)
tie = "tie" in (d.get("reason") or "")
print(json.dumps({"case": " ".join(sys.argv[2:]), "winner": w, "fits": fits, "tie": tie, "reason": d.get("reason") or ""}))
EOF
      else
        python3 -c 'import json,sys; print(json.dumps({"case": sys.argv[1], "error": open(sys.argv[2]).read().strip()}))' \
          "$profile $model $seq" "$out/case.err" >> "$out/cases"
      fi
    done
  done
done < "$out/profiles"
python3 - "$out/cases" <<'EOF'
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
for c in cases:
    if "error" in c:
        print(f"  {c['case']:42} error: {(c['error'].splitlines() or ['no message'])[-1]}")
    elif c["winner"] is None:
        print(f"  {c['case']:42} nothing fits: {c['reason'][:150]}")
    else:
        print(f"  {c['case']:42} {c['winner']:32} {'fits' if c['fits'] else 'DOES NOT FIT'}{'  (tie)' if c['tie'] else ''}")
ok = [c for c in cases if "error" not in c]
won = [c for c in ok if c["winner"] is not None]
none = [c for c in ok if c["winner"] is None]
print(f"cases: {len(cases)} ({len(cases) - len(ok)} errors); winners: {len(won)}, "
      f"of which over device memory: {sum(1 for c in won if not c['fits'])}, ties: {sum(1 for c in won if c['tie'])}")
print(f"nothing fits: {len(none)}, of which the reason says what would: "
      f"{sum(1 for c in none if 'would fit' in c['reason'] or 'fit on one device' in c['reason'])}")
EOF
