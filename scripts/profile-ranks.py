#!/usr/bin/env python3
"""Where each rank's timed region goes: reads the per-rank `perf record -k mono`
files and the run's JSON report written by scripts/profile-ranks.sh, keeps only
the samples inside that rank's timed region (`timed_region_monotonic`), and
prints the share of cycles per category, then the top symbols of the rest.

usage: profile-ranks.py DIR   (DIR holds perf.N and run.json)
"""
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

# (category, test on (dso, symbol)); the first that matches wins.
CATEGORIES = [
    ("BLAS (sgemm)", lambda d, s: "openblas" in d),
    ("attention kernel", lambda d, s: re.search(r"BlockAttention|AttentionMerge|ringc_panel|ringc_pack_key|exp_sum|max_avx|__expf|__logf|__log1pf", s) is not None),
    ("other kernels", lambda d, s: re.search(r"Kernels|RMSNorm|RoPE|Rotary|SiLU|Softmax|Elementwise|Activation", s) is not None),
    # The kernel's side of a single-copy (CMA) message is a copy between address spaces.
    ("communication (MPI)", lambda d, s: re.search(r"libmpi|libopen-pal|libopen-rte|mca_|libucx|libuc[pst]", d) is not None
     or re.search(r"_copy_to_iter|_copy_from_iter|process_vm", s) is not None),
    ("copies (memcpy/memmove)", lambda d, s: re.search(r"memcpy|memmove|copy_user|copy_page", s) is not None),
    ("memory (faults, zeroing, malloc)", lambda d, s: re.search(r"clear_page|page_fault|memset|malloc|free|mmap|munmap|brk|do_anonymous|alloc_pages|zap_|_int_", s) is not None),
    ("Swift runtime (ARC, metadata)", lambda d, s: "libswiftCore" in d or re.search(r"swift_(retain|release|bridge|allocObject|dealloc|getGeneric|beginAccess|endAccess)", s) is not None),
    ("kernel, other", lambda d, s: d.startswith("[kernel")),
]


def samples(perf_file):
    out = subprocess.run(
        ["perf", "script", "-i", str(perf_file), "-F", "time,period,ip,sym,dso", "--no-demangle"],
        capture_output=True, text=True, check=True).stdout
    pattern = re.compile(r"^\s*([0-9.]+):\s+(\d+)\s+[0-9a-f]+\s+(\S+).*\((.*)\)\s*$")
    for line in out.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        t, period, sym, dso = float(m.group(1)), int(m.group(2)), m.group(3) or "[unknown]", m.group(4)
        yield t, period, sym, dso


def main():
    root = Path(sys.argv[1])
    report = json.loads((root / "run.json").read_text())
    ranks = report["per_rank"]
    total = Counter()
    rest = Counter()
    for r in ranks:
        lo, hi = r["timed_region_monotonic"]
        cats = Counter()
        for t, period, sym, dso in samples(root / f"perf.{r['rank']}"):
            if not lo <= t <= hi:
                continue
            name = next((c for c, test in CATEGORIES if test(dso, sym)), "ringc, other (interpreter, slicing)")
            cats[name] += period
            if name.startswith("ringc, other") or name.startswith("kernel, other"):
                rest[(Path(dso).name, sym[:90])] += period
        total.update(cats)
        whole = sum(cats.values()) or 1
        print(f"rank {r['rank']}: timed region {hi - lo:.3f} s, compute {r['compute_seconds']:.3f} s, communication {r['communication_seconds']:.3f} s")
        for name, v in cats.most_common():
            print(f"  {100 * v / whole:5.1f} %  {name}")
    whole = sum(total.values()) or 1
    print("all ranks:")
    for name, v in total.most_common():
        print(f"  {100 * v / whole:5.1f} %  {name}")
    print("top symbols outside the named categories:")
    for (dso, sym), v in rest.most_common(12):
        print(f"  {100 * v / whole:5.1f} %  {dso}  {sym}")


if __name__ == "__main__":
    main()
