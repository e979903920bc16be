#!/usr/bin/env python3
"""ringc beside PyTorch on the same shapes and the same cores, in one run.

Rows, each measured in turn (PyTorch, ringc, PyTorch, ringc, ...) for ROUNDS
rounds (default 3; kernel rows up to KERNEL_ROUNDS, default 7, while the row
has taken under ROW_SECONDS, default 40), the median of the rounds reported. This machine's speed drifts by 10-20 % over seconds (other
tenants of the host), so a row's sides are sampled many times, each in turn:
  kernel   one attention block of n queries against n keys: ringc's attn.block
           kernel (`ringc bench-kernels`) vs
           torch.nn.functional.scaled_dot_product_attention, 1 thread; full and
           causal, MHA and GQA 4:1. Each process reports the median of its runs
           after a warm-up: RUNS (default 5), or as many as fill KERNEL_SECONDS
           (default 0.3 s, from the first round's time), the same for both.
  attn     llama2-7b's attention layer (32 x 128, causal, f32) at S tokens:
           `mpirun -np P ringc run` (its timed region) vs SDPA with P threads.
  decoder  one decoder layer of llama3-8b's shape (RMSNorm, q/k/v/o matmuls,
           RoPE, GQA 32/8 attention, SwiGLU MLP; f32) at S = 2048: ringc vs
           transformers' LlamaDecoderLayer with P threads.
GFLOP/s count the same work for both: 4 * visible pairs * heads * head_dim for
attention (pairs = n^2, or n(n+1)/2 causal), plus 2 * S * weights for the
matmuls. ratio = ringc's rate over PyTorch's (above 1: ringc is faster). Peak
RSS: the PyTorch process, and ringc's largest rank. FULL=1 runs the issue's
whole kernel grid (head_dim 64 and 128, 8 and 32 heads, n = 256 ... 4096).
"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

RINGC = sys.argv[1]
ROUNDS = int(os.environ.get("ROUNDS", "3"))
KERNEL_ROUNDS = int(os.environ.get("KERNEL_ROUNDS", "7"))
RUNS = int(os.environ.get("RUNS", "5"))
KERNEL_SECONDS = float(os.environ.get("KERNEL_SECONDS", "0.3"))
ROW_SECONDS = float(os.environ.get("ROW_SECONDS", "40"))
FULL = os.environ.get("FULL") == "1"
ROWS = os.environ.get("ROWS", "")  # only the rows whose label contains this, e.g. ROWS=layer
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader", "--mca", "pml", "ob1"]
TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def attention_flops(n, heads, head_dim, causal):
    pairs = n * (n + 1) // 2 if causal else n * n
    return 4 * pairs * heads * head_dim


# ---- PyTorch side: each measurement in its own process (threads and peak RSS its own).

TORCH_KERNEL = """
import statistics, sys, time, torch
import torch.nn.functional as F
h, kvh, d, n, causal, threads, runs = map(int, sys.argv[1:8])
torch.set_num_threads(threads)
g = torch.Generator().manual_seed(1)
q, k, v = (torch.randn(1, x, n, d, generator=g) for x in (h, kvh, kvh))
def once():
    F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal), scale=0.1, enable_gqa=kvh != h)
once()
times = []
for _ in range(runs):
    t0 = time.perf_counter(); once(); times.append(time.perf_counter() - t0)
print(statistics.median(times))
"""

TORCH_DECODER = """
import sys, time, torch
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaRotaryEmbedding
s, threads = map(int, sys.argv[1:3])
torch.set_num_threads(threads)
torch.manual_seed(1)
config = LlamaConfig(hidden_size=4096, intermediate_size=14336, num_attention_heads=32, num_key_value_heads=8,
                     head_dim=128, rms_norm_eps=1e-5, rope_theta=500000.0, max_position_embeddings=8192,
                     attn_implementation="sdpa", torch_dtype="float32")
layer = LlamaDecoderLayer(config, layer_idx=0).eval()
rotary = LlamaRotaryEmbedding(config)
x = torch.randn(1, s, 4096)
positions = torch.arange(s).unsqueeze(0)
with torch.no_grad():
    t0 = time.perf_counter()
    embeddings = rotary(x, positions)
    out = layer(x, attention_mask=None, position_ids=positions, position_embeddings=embeddings)
    print(time.perf_counter() - t0)
"""

TORCH_ATTENTION_LAYER = """
import sys, time, torch
import torch.nn.functional as F
s, threads = map(int, sys.argv[1:3])
torch.set_num_threads(threads)
g = torch.Generator().manual_seed(1)
q, k, v = (torch.randn(1, 32, s, 128, generator=g) for _ in range(3))
t0 = time.perf_counter()
F.scaled_dot_product_attention(q, k, v, is_causal=True)
print(time.perf_counter() - t0)
"""


def measured(command):
    """(stdout, peak RSS in KiB over the processes /usr/bin/time wrapped)."""
    r = subprocess.run(command, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(command)}\n{r.stderr[-2000:]}")
    rss = [int(line.split()[1]) for line in r.stderr.splitlines() if line.startswith("peak_rss_kb ")]
    return r.stdout, max(rss) if rss else None


def timed(command):
    return (([TIME, "-f", "peak_rss_kb %M"] if TIME else []) + command)


def torch_run(script, *args):
    out, rss = measured(timed([sys.executable, "-c", script] + [str(a) for a in args]))
    return float(out.strip().splitlines()[-1]), rss


# ---- ringc side.

def ringc_kernel(h, kvh, d, n, causal, runs):
    out, _ = measured([RINGC, "bench-kernels", "--json", "--threads", "1", "--heads", str(h), "--kv-heads", str(kvh),
                       "--head-dim", str(d), "--blocks", str(n), "--runs", str(runs)] + (["--causal"] if causal else []))
    return json.loads(out)["rows"][0]["seconds"], None


def ringc_plan(model, s, p, work):
    plan = os.path.join(work, f"{os.path.basename(model)}.{s}.{p}.plan")
    if not os.path.exists(plan):
        subprocess.run([RINGC, "compile", model, "--sp", str(p), "--seq", str(s), "-o", plan], check=True, capture_output=True)
    return plan


def ringc_layer(plan, p):
    out, rss = measured(MPIRUN + ["-np", str(p)] + timed([RINGC, "run", plan, "--json", "--quiet"]))
    return json.loads(out)["seconds"], rss


def f32_model(source, path, decoder_only=False):
    """The bundled model in f32 (ringc computes in f32; the wire dtype follows the declared one)."""
    text = open(os.path.join(ROOT, source)).read().replace("bf16", "f32")
    if decoder_only:
        # One decoder layer: @main takes hidden states and repeats @layer once.
        start = text.index("  graph @main(")
        text = text[:start] + (
            "  graph @main(%x: f32[S,4096]) -> f32[S,4096] {\n"
            "    %h = repeat @layer, %x {count = 1} : f32[S,4096]\n"
            "    return %h\n  }\n}\n")
        kept = [line for line in text.splitlines()
                if not any(w in line for w in ("weight @embed ", "weight @final_norm ", "weight @lm_head "))]
        text = "\n".join(kept) + "\n"
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    work = tempfile.mkdtemp()
    rows = []  # (label, flops, torch runner, ringc runner, kernel row); a kernel row's runners take a run count
    if FULL:
        shapes = [(h, h, d) for h in (8, 32) for d in (64, 128)] + [(32, 8, 128), (32, 8, 64)]
        sizes = [256, 512, 1024, 2048, 4096]
    else:
        shapes = [(8, 8, 128), (8, 8, 64), (32, 8, 128)]
        sizes = [256, 512, 1024, 2048]
    for h, kvh, d in shapes:
        for n in sizes:
            if not FULL and (h, d) != (8, 128) and n not in (1024,):
                continue
            for causal in (False, True):
                label = f"kernel {h}{'/' + str(kvh) if kvh != h else ''}x{d} n={n}{' causal' if causal else ''}"
                rows.append((label, attention_flops(n, h, d, causal),
                             lambda runs, h=h, kvh=kvh, d=d, n=n, c=causal: torch_run(TORCH_KERNEL, h, kvh, d, n, int(c), 1, runs),
                             lambda runs, h=h, kvh=kvh, d=d, n=n, c=causal: ringc_kernel(h, kvh, d, n, c, runs), True))
    attention = f32_model("models/llama2-7b-attention.ir", os.path.join(work, "attention.ir"))
    for s, p in [(4096, 1), (8192, 1), (4096, 2), (8192, 2)]:
        plan = ringc_plan(attention, s, p, work)
        rows.append((f"attn layer S={s} P={p} / {p} thread{'s' if p > 1 else ''}", attention_flops(s, 32, 128, True),
                     lambda s=s, p=p: torch_run(TORCH_ATTENTION_LAYER, s, p), lambda plan=plan, p=p: ringc_layer(plan, p), False))
    decoder = f32_model("models/llama3-8b.ir", os.path.join(work, "decoder.ir"), decoder_only=True)
    s = 2048
    weights = 4096 * 4096 * 2 + 4096 * 1024 * 2 + 3 * 4096 * 14336
    for p in (1, 2):
        plan = ringc_plan(decoder, s, p, work)
        rows.append((f"decoder layer S={s} P={p} / {p} thread{'s' if p > 1 else ''}",
                     2 * s * weights + attention_flops(s, 32, 128, True),
                     lambda p=p: torch_run(TORCH_DECODER, s, p), lambda plan=plan, p=p: ringc_layer(plan, p), False))

    rows = [row for row in rows if ROWS in row[0]]
    print(f"PyTorch and ringc in turn, medians of {ROUNDS} rounds (kernel rows up to {KERNEL_ROUNDS} within {ROW_SECONDS:g} s;"
          f" each process the median of at least {RUNS} runs filling {KERNEL_SECONDS:g} s, after a warm-up).")
    print(f"{'row':40} {'PyTorch s':>10} {'GFLOP/s':>8} {'ringc s':>10} {'GFLOP/s':>8} {'ratio':>6} {'RSS MiB torch/ringc':>20}")
    ratios = []
    for label, flops, torch_side, ringc_side, kernel in rows:
        t, r, rss_t, rss_r = [], [], [], []
        runs, started = RUNS, time.monotonic()
        # A kernel row takes more rounds while they are short (under ROW_SECONDS in all).
        while len(t) < ROUNDS or (kernel and len(t) < KERNEL_ROUNDS and time.monotonic() - started < ROW_SECONDS):
            a, ra = torch_side(runs) if kernel else torch_side()
            b, rb = ringc_side(runs) if kernel else ringc_side()
            if kernel and not t:
                runs = max(RUNS, math.ceil(KERNEL_SECONDS / max(1e-6, min(a, b))))
            t.append(a); r.append(b)
            rss_t.append(ra or 0); rss_r.append(rb or 0)
        tm, rm = statistics.median(t), statistics.median(r)
        ratio = tm / rm
        ratios.append(ratio)
        rss = f"{max(rss_t) / 1024:.0f}/{max(rss_r) / 1024:.0f}" if max(rss_r) else ""
        print(f"{label:40} {tm:10.4f} {flops / tm / 1e9:8.1f} {rm:10.4f} {flops / rm / 1e9:8.1f} {ratio:6.2f} {rss:>20}", flush=True)
    print(f"rows at or above 1.0x: {sum(x >= 1 for x in ratios)} of {len(ratios)}; lowest ratio {min(ratios):.2f}")


if __name__ == "__main__":
    main()
