#!/usr/bin/env python3
"""Writes the tiny Hugging Face checkpoints under Tests/Fixtures/hf/.

Each case directory holds config.json and model.safetensors (or shards and
model.safetensors.index.json) as save_pretrained writes them in float32,
ids.npy (int64 [24] token ids) and logits.npy (float32 [24, vocab]: the
*ForCausalLM logits on those ids, eager attention, eval mode, no cache).

Run by hand, from the repository root:
    pip install torch transformers safetensors numpy
    python3 scripts/make-hf-fixtures.py
"""

import copy
import math
import pathlib
import shutil

import numpy as np
import torch
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
)
from transformers.utils import logging

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "hf"
SEQ = 24
PREFIX = 13
KEPT_FILES = {"config.json", "model.safetensors", "model.safetensors.index.json", "ids.npy", "logits.npy"}

COMMON = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    rope_theta=10000.0,
    max_position_embeddings=512,
    tie_word_embeddings=False,
)

LLAMA3_SCALING = {
    "rope_type": "llama3",
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    # Small enough that, for head_dim 16 and theta 10000, the high, medium and
    # low frequency bands all occur (asserted in check_llama3_bands).
    "original_max_position_embeddings": 64,
}


def llama_gqa_config():
    return LlamaConfig(**COMMON, vocab_size=256, num_attention_heads=4, num_key_value_heads=2,
                       rope_scaling=dict(LLAMA3_SCALING))


def llama_tied_config():
    return LlamaConfig(**{**COMMON, "tie_word_embeddings": True}, vocab_size=192, num_attention_heads=4,
                       num_key_value_heads=4, head_dim=32, attention_bias=True, mlp_bias=True,
                       rms_norm_eps=1e-5, rope_scaling={"rope_type": "linear", "factor": 2.0})


def qwen2_config():
    return Qwen2Config(**COMMON, vocab_size=200, num_attention_heads=4, num_key_value_heads=2,
                       use_sliding_window=False)


def qwen3_config():
    return Qwen3Config(**COMMON, vocab_size=160, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                       use_sliding_window=False)


def mistral_config():
    return MistralConfig(**COMMON, vocab_size=128, num_attention_heads=4, num_key_value_heads=2, sliding_window=5)


def randomize(model, seed):
    """Weights with unit-scale activations, sharp-enough attention, non-zero biases, norms around 1."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.3 * noise)
            elif name.endswith("embed_tokens.weight"):
                p.copy_(noise)
            else:
                gain = 2.0 if name.endswith(("q_proj.weight", "k_proj.weight")) else 1.0
                p.copy_(gain * noise / math.sqrt(p.shape[1]))


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.from_numpy(ids)[None], use_cache=False).logits[0].float().numpy()


def variant(model, cls, edit):
    """The same weights under a config changed by edit, for checking that a feature matters."""
    config = copy.deepcopy(model.config)
    edit(config)
    other = cls(config).eval()
    other.load_state_dict(model.state_dict())
    return other


def without_bias(model, cls, suffixes):
    other = variant(model, cls, lambda c: None)
    with torch.no_grad():
        for name, p in other.named_parameters():
            if name.endswith(".bias") and any(s in name for s in suffixes):
                p.zero_()
    return other


def with_unit_norms(model, cls, suffixes):
    other = variant(model, cls, lambda c: None)
    with torch.no_grad():
        for name, p in other.named_parameters():
            if any(name.endswith(s) for s in suffixes):
                p.fill_(1.0)
    return other


def assert_differs(what, a, b, threshold=0.05):
    diff = float(np.abs(a - b).max())
    assert diff > threshold, f"{what}: logits change by only {diff}"
    print(f"  {what}: max |Δlogit| = {diff:.3f}")


def check_llama3_bands(config):
    s = config.rope_parameters
    head_dim = config.head_dim
    inv_freq = [1.0 / s["rope_theta"] ** (2 * i / head_dim) for i in range(head_dim // 2)]
    wavelengths = [2 * math.pi / f for f in inv_freq]
    high_wl = s["original_max_position_embeddings"] / s["high_freq_factor"]
    low_wl = s["original_max_position_embeddings"] / s["low_freq_factor"]
    bands = ["high" if w < high_wl else "low" if w > low_wl else "medium" for w in wavelengths]
    assert {"high", "medium", "low"} <= set(bands), bands
    print("  llama3 bands:", ", ".join(f"{w:.1f}:{b}" for w, b in zip(wavelengths, bands)))


def check_sliding_rule(model):
    """Key j gets attention weight from query i iff 0 <= i - j < window, in every layer and head."""
    window = model.config.sliding_window
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(model.ids)[None], use_cache=False, output_attentions=True)
    i, j = np.indices((SEQ, SEQ))
    visible = (0 <= i - j) & (i - j < window)
    for layer in out.attentions:
        for head in layer[0].numpy():
            assert np.array_equal(head > 0, visible)


def checks_llama_gqa(model, base):
    check_llama3_bands(model.config)
    plain = variant(model, LlamaForCausalLM, lambda c: setattr(c, "rope_parameters", {"rope_type": "default", "rope_theta": 10000.0}))
    assert_differs("llama3 scaling vs none", base, logits_of(plain, model.ids))


def checks_llama_tied(model, base):
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    plain = variant(model, LlamaForCausalLM, lambda c: setattr(c, "rope_parameters", {"rope_type": "default", "rope_theta": 10000.0}))
    assert_differs("linear scaling vs none", base, logits_of(plain, model.ids))
    assert_differs("attention biases zeroed", base, logits_of(without_bias(model, LlamaForCausalLM, ["self_attn"]), model.ids))
    assert_differs("o_proj bias zeroed", base, logits_of(without_bias(model, LlamaForCausalLM, ["o_proj"]), model.ids))
    assert_differs("mlp biases zeroed", base, logits_of(without_bias(model, LlamaForCausalLM, ["mlp"]), model.ids))


def checks_qwen2(model, base):
    assert model.config.sliding_window is None
    assert_differs("q/k/v biases zeroed", base, logits_of(without_bias(model, Qwen2ForCausalLM, ["self_attn"]), model.ids))


def checks_qwen3(model, base):
    assert_differs("q_norm/k_norm set to ones", base,
                   logits_of(with_unit_norms(model, Qwen3ForCausalLM, ["q_norm.weight", "k_norm.weight"]), model.ids))


def checks_mistral(model, base):
    check_sliding_rule(model)
    assert_differs("sliding window 5 vs none", base,
                   logits_of(variant(model, MistralForCausalLM, lambda c: setattr(c, "sliding_window", None)), model.ids))
    assert_differs("sliding window 5 vs 6", base,
                   logits_of(variant(model, MistralForCausalLM, lambda c: setattr(c, "sliding_window", 6)), model.ids))


CASES = [
    # name, model class, config, seed, checks
    ("llama-gqa", LlamaForCausalLM, llama_gqa_config, 1, checks_llama_gqa),
    ("llama-tied", LlamaForCausalLM, llama_tied_config, 2, checks_llama_tied),
    ("qwen2", Qwen2ForCausalLM, qwen2_config, 3, checks_qwen2),
    ("qwen3", Qwen3ForCausalLM, qwen3_config, 4, checks_qwen3),
    ("mistral", MistralForCausalLM, mistral_config, 5, checks_mistral),
]


def build(cls, config, seed):
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = cls(config).eval()
    randomize(model, seed)
    model.ids = np.random.default_rng(seed).integers(0, config.vocab_size, size=SEQ, dtype=np.int64)
    return model


def check_logits(name, model, logits):
    assert np.isfinite(logits).all(), f"{name}: non-finite logits"
    std = float(logits.std())
    assert 0.3 < std < 30, f"{name}: logit std {std}"
    prefix = logits_of(model, model.ids[:PREFIX])
    assert np.allclose(prefix, logits[:PREFIX], atol=1e-5, rtol=0), f"{name}: prefix logits differ"
    exact = np.array_equal(prefix, logits[:PREFIX])
    print(f"  logit std {std:.3f}, prefix {PREFIX} rows {'bitwise equal' if exact else 'equal to 1e-5'}")


def save(name, model, logits, **save_args):
    out = ROOT / name
    if out.exists():
        shutil.rmtree(out)
    model.save_pretrained(out, safe_serialization=True, **save_args)
    np.save(out / "ids.npy", model.ids)
    np.save(out / "logits.npy", logits)
    for f in out.iterdir():
        if f.name not in KEPT_FILES and not f.name.startswith("model-"):
            f.unlink()
    reloaded = AutoModelForCausalLM.from_pretrained(out, attn_implementation="eager", dtype=torch.float32).eval()
    assert np.array_equal(logits_of(reloaded, model.ids), logits), f"{name}: reloaded checkpoint differs"
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"  {name}: {size / 1024:.0f} KiB ({', '.join(sorted(f.name for f in out.iterdir()))})")
    return size


def main():
    logging.disable_progress_bar()
    torch.use_deterministic_algorithms(True)
    ROOT.mkdir(parents=True, exist_ok=True)
    total = 0
    gqa = None
    for name, cls, make_config, seed, checks in CASES:
        print(name)
        model = build(cls, make_config(), seed)
        logits = logits_of(model, model.ids)
        check_logits(name, model, logits)
        checks(model, logits)
        total += save(name, model, logits)
        if name == "llama-gqa":
            gqa = (model, logits)
    print("llama-sharded")
    model, logits = gqa
    total += save("llama-sharded", model, logits, max_shard_size="100KB")
    shards = list((ROOT / "llama-sharded").glob("model-*.safetensors"))
    assert len(shards) >= 3, f"only {len(shards)} shards"
    print(f"total: {total / 1024:.0f} KiB")
    assert total < 3 * 1024 * 1024


if __name__ == "__main__":
    main()
