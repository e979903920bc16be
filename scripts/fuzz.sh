#!/usr/bin/env bash
# Coverage-guided fuzzing of ringc's input readers (a benchmark, not CI).
#
#   scripts/fuzz.sh [-n RUNS] [TARGET...]
#
# Builds the libFuzzer harnesses of Fuzz/ (Fuzz/README.md) with
# -sanitize=fuzzer,address into .build-fuzz, then runs each TARGET (model,
# plan, profile, safetensors; default all) for RUNS executions (default
# 1000000, or $FUZZ_RUNS), one after another. Each starts from its seeds in
# Fuzz/corpus/TARGET plus what earlier runs added in .build-fuzz/corpus/TARGET.
# Per target it prints the executions done, exec/s, libFuzzer's final
# coverage (cov: edges, ft: features) and whether it found a crash, leak,
# timeout or out-of-memory; the input that caused it is kept in
# .build-fuzz/artifacts/TARGET/, the log in .build-fuzz/logs/TARGET.log.
# Extra libFuzzer flags go in $FUZZ_FLAGS (e.g. FUZZ_FLAGS=-seed=1).
# Exits 1 if any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

runs=${FUZZ_RUNS:-1000000}
if [ "${1:-}" = "-n" ]; then runs=$2; shift 2; fi
targets=("$@")
((${#targets[@]})) || targets=(model plan profile safetensors)

build=.build-fuzz
swift build -c release --package-path Fuzz --build-path "$build" -Xswiftc -sanitize=fuzzer,address >&2
bin=$(swift build -c release --package-path Fuzz --build-path "$build" --show-bin-path)

# Per target: its executable, the longest input, its dictionary.
declare -A exe=([model]=FuzzModel [plan]=FuzzPlan [profile]=FuzzProfile [safetensors]=FuzzSafeTensors)
declare -A maxlen=([model]=8192 [plan]=8192 [profile]=4096 [safetensors]=1024)
declare -A dict=([model]=ir [plan]=ir [profile]=profile [safetensors]=safetensors)

# A trap goes to libFuzzer's handler (which saves the input), not to the
# Swift runtime's backtracer, which hangs under AddressSanitizer.
export SWIFT_BACKTRACE=enable=no

found=0
rows=()
for t in "${targets[@]}"; do
  [ -n "${exe[$t]:-}" ] || { echo "fuzz: unknown target '$t' (model, plan, profile, safetensors)" >&2; exit 64; }
  corpus=$build/corpus/$t artifacts=$build/artifacts/$t log=$build/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  echo "fuzz: $t, $runs executions (log: $log)" >&2
  status=0
  # shellcheck disable=SC2086
  "$bin/${exe[$t]}" -runs="$runs" -max_len="${maxlen[$t]}" -timeout=10 -rss_limit_mb=2048 \
    -dict="Fuzz/dict/${dict[$t]}.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    ${FUZZ_FLAGS:-} "$corpus" "Fuzz/corpus/$t" >"$log" 2>&1 || status=$?

  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if grep -q 'ERROR: libFuzzer: timeout' "$log"; then result="timeout"
  elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then result="out of memory"
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then result="leak"
  elif grep -qE 'ERROR: (AddressSanitizer|libFuzzer)' "$log"; then result="crash"
  elif ((status != 0)); then result="failed (exit $status)"
  else result="clean"
  fi
  if [ "$result" != clean ]; then
    found=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result+="${artifact:+: $artifact}"
  fi
  rows+=("$(printf '%-12s %10s %8s %7s %8s  %s' "$t" "${executed:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$result")")
done

printf '%-12s %10s %8s %7s %8s  %s\n' target executions exec/s cov ft result
printf '%s\n' "${rows[@]}"
exit $found
