#!/usr/bin/env python3
"""Writes the bundled linear-attention and hybrid models (models/README.md).

linear-llama3-8b: Meta-Llama-3-8B's shapes (models/configs/Meta-Llama-3-8B.json)
with linear attention in every layer, as LASP-2's Linear-Llama3 (arXiv 2502.07563)
replaces softmax attention by linear attention; hybrid-llama3-8b: the same with
one softmax layer every four (the paper's "1/4 hybrid"). The tiny versions are
small shapes for tests, with decay and feature maps exercised.

    python3 scripts/make-linear-models.py   # rewrites models/*linear*.ir, models/*hybrid*.ir
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "models"


def layer_ops(p, dt, kind, lin):
    """One decoder block's ops, weights suffixed by p."""
    w, h, kvh, d, f = dt["width"], dt["heads"], dt["kv"], dt["hd"], dt["ffn"]
    t = dt["dtype"]
    attn = (
        f"%a{p} = attention %qr{p}, %kr{p}, %vh{p} {{causal = true}} : {t}[S,{h},{d}]"
        if kind == "softmax"
        else f"%a{p} = linear_attention %qr{p}, %kr{p}, %vh{p} {{{lin}}} : {t}[S,{h},{d}]"
    )
    return [
        f"%h{p} = rmsnorm %x{p}, @attn_norm{p} {{eps = 1e-05}} : {t}[S,{w}]",
        f"%q{p} = matmul %h{p}, @wq{p} : {t}[S,{h * d}]",
        f"%k{p} = matmul %h{p}, @wk{p} : {t}[S,{kvh * d}]",
        f"%v{p} = matmul %h{p}, @wv{p} : {t}[S,{kvh * d}]",
        f"%qh{p} = reshape %q{p} : {t}[S,{h},{d}]",
        f"%kh{p} = reshape %k{p} : {t}[S,{kvh},{d}]",
        f"%vh{p} = reshape %v{p} : {t}[S,{kvh},{d}]",
        f"%qr{p} = rope %qh{p}, %pos {{theta = {dt['theta']}}} : {t}[S,{h},{d}]",
        f"%kr{p} = rope %kh{p}, %pos {{theta = {dt['theta']}}} : {t}[S,{kvh},{d}]",
        attn,
        f"%af{p} = reshape %a{p} : {t}[S,{h * d}]",
        f"%o{p} = matmul %af{p}, @wo{p} : {t}[S,{w}]",
        f"%x1{p} = add %x{p}, %o{p} : {t}[S,{w}]",
        f"%h2{p} = rmsnorm %x1{p}, @mlp_norm{p} {{eps = 1e-05}} : {t}[S,{w}]",
        f"%g{p} = matmul %h2{p}, @w_gate{p} : {t}[S,{f}]",
        f"%u{p} = matmul %h2{p}, @w_up{p} : {t}[S,{f}]",
        f"%gu{p} = swiglu %g{p}, %u{p} : {t}[S,{f}]",
        f"%dn{p} = matmul %gu{p}, @w_down{p} : {t}[S,{w}]",
        f"%y{p} = add %x1{p}, %dn{p} : {t}[S,{w}]",
    ]


def weights(p, dt):
    w, h, kvh, d, f, t = dt["width"], dt["heads"], dt["kv"], dt["hd"], dt["ffn"], dt["dtype"]
    return [
        f"weight @attn_norm{p} : {t}[{w}]",
        f"weight @wq{p} : {t}[{w},{h * d}]",
        f"weight @wk{p} : {t}[{w},{kvh * d}]",
        f"weight @wv{p} : {t}[{w},{kvh * d}]",
        f"weight @wo{p} : {t}[{h * d},{w}]",
        f"weight @mlp_norm{p} : {t}[{w}]",
        f"weight @w_gate{p} : {t}[{w},{f}]",
        f"weight @w_up{p} : {t}[{w},{f}]",
        f"weight @w_down{p} : {t}[{f},{w}]",
    ]


def model(name, header, dt, kinds, repeats, lin, embed):
    """A block of len(kinds) layers ("linear" | "softmax") repeated `repeats` times."""
    t, w = dt["dtype"], dt["width"]
    parts = [str(i) if len(kinds) > 1 else "" for i in range(len(kinds))]
    out = [f"// {line}" if line else "//" for line in header]
    out.append(f"module @{name.replace('-', '_')} {{")
    out.append(f"  dim S = {dt['seq']} {{sequence = true}}  // default context; `--seq N` overrides")
    out.append("")
    if embed:
        out.append(f"  weight @embed : {t}[{dt['vocab']},{w}]")
    for p in parts:
        out += ["  " + x for x in weights(p, dt)]
    out.append(f"  weight @final_norm : {t}[{w}]")
    if embed:
        out.append(f"  weight @lm_head : {t}[{w},{dt['vocab']}]")
    out.append("")
    desc = " + ".join(kinds)
    out.append(f"  // One block: {desc}; each of the {repeats} repeats has its own weights.")
    out.append(f"  graph @block(%x{parts[0]}: {t}[S,{w}]) -> {t}[S,{w}] {{")
    out.append("    %pos = positions : i32[S]")
    for i, (p, kind) in enumerate(zip(parts, kinds)):
        ops = layer_ops(p, dt, kind, lin)
        if i > 0:
            # Layer i reads layer i−1's output where a lone layer reads %x.
            ops = [o.replace(f"%x{p},", f"%y{parts[i - 1]},", 1) if o.startswith((f"%h{p} =", f"%x1{p} =")) else o for o in ops]
        out += ["    " + o for o in ops]
    out.append(f"    return %y{parts[-1]}")
    out.append("  }")
    out.append("")
    if embed:
        out.append(f"  graph @main(%ids: i32[S]) -> {t}[S,{dt['vocab']}] {{")
        out.append(f"    %x = embed %ids, @embed : {t}[S,{w}]")
    else:
        out.append(f"  graph @main(%x: {t}[S,{w}]) -> {t}[S,{w}] {{")
    out.append(f"    %h = repeat @block, %x {{count = {repeats}}} : {t}[S,{w}]")
    out.append(f"    %n = rmsnorm %h, @final_norm {{eps = 1e-05}} : {t}[S,{w}]")
    if embed:
        out.append(f"    %logits = matmul %n, @lm_head : {t}[S,{dt['vocab']}]")
        out.append("    return %logits")
    else:
        out.append("    return %n")
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


LLAMA3_8B = dict(width=4096, heads=32, kv=8, hd=128, ffn=14336, vocab=128256, theta=500000.0, seq=8192, dtype="bf16")
TINY = dict(width=64, heads=4, kv=2, hd=16, ffn=128, vocab=0, theta=10000.0, seq=40, dtype="f32")

BIG_NOTE = [
    "Shapes: Meta-Llama-3-8B (models/configs/Meta-Llama-3-8B.json): vocab 128256, width 4096, GQA 32/8,",
    "  head_dim 128, FFN 14336, RoPE theta 500000, RMSNorm eps 1e-05, bf16; embedding and LM head untied.",
    "Linear attention: basic (identity feature map, no decay, not normalised), causal; its state per kv head",
    "  is f32[128, 128]. Weights have no checkpoint: written by scripts/make-linear-models.py.",
]
TINY_LIN = 'causal = true, decay = [0.9, 0.99]'

FILES = {
    "linear-llama3-8b.ir": model(
        "linear-llama3-8b",
        ["linear-llama3-8b: Llama-3-8B with linear attention in all 32 layers (LASP-2's Linear-Llama3, arXiv",
         "  2502.07563).", *BIG_NOTE], LLAMA3_8B, ["linear"], 32, "causal = true", True),
    "hybrid-llama3-8b.ir": model(
        "hybrid-llama3-8b",
        ["hybrid-llama3-8b: Llama-3-8B with one softmax layer every four (3 linear + 1 softmax, × 8 = 32",
         "  layers; LASP-2H's 1/4 hybrid, arXiv 2502.07563).", *BIG_NOTE], LLAMA3_8B,
        ["linear", "linear", "linear", "softmax"], 8, "causal = true", True),
    "tiny-linear.ir": model(
        "tiny-linear",
        ["tiny-linear: tiny.ir's shapes (width 64, GQA 4/2, head_dim 16, FFN 128) with causal linear attention",
         "  decayed per kv head (λ = 0.9, 0.99), 2 layers; small for tests. Written by scripts/make-linear-models.py."],
        TINY, ["linear"], 2, TINY_LIN, False),
    "tiny-hybrid.ir": model(
        "tiny-hybrid",
        ["tiny-hybrid: tiny.ir's shapes, blocks of linear (decayed, λ = 0.9, 0.99) + softmax attention, 2 blocks",
         "  = 4 layers; small for tests. Written by scripts/make-linear-models.py."],
        TINY, ["linear", "softmax"], 2, TINY_LIN, False),
}

if __name__ == "__main__":
    for name, text in FILES.items():
        (ROOT / name).write_text(text)
        print(f"wrote models/{name}")
