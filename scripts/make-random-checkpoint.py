#!/usr/bin/env python3
"""A random-weight checkpoint of a Hugging Face config's shape, for benchmarks.

    python3 scripts/make-random-checkpoint.py CONFIG.json OUT_DIR [bfloat16|float16|float32]

Writes OUT_DIR/config.json and OUT_DIR/model.safetensors with the tensor
names and shapes transformers gives the model (built on the meta device, so
nothing of the model's size is allocated twice): matrices ~ N(0, 0.02²),
norm gains 1 + 0.1·N(0, 1), biases 0.02·N(0, 1). Tied LM heads are not
stored, as save_pretrained does. Needs torch, transformers, safetensors.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM


def main():
    config_path, out = sys.argv[1], sys.argv[2]
    dtype = getattr(torch, sys.argv[3] if len(sys.argv) > 3 else "bfloat16")
    config = AutoConfig.from_pretrained(config_path)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    tied = getattr(config, "tie_word_embeddings", False)
    generator = torch.Generator().manual_seed(0)
    tensors = {}
    for name, p in model.named_parameters(remove_duplicate=True):
        if tied and name == "lm_head.weight":
            continue
        if p.dim() >= 2:
            t = torch.randn(p.shape, generator=generator) * 0.02
        elif name.endswith("bias"):
            t = torch.randn(p.shape, generator=generator) * 0.02
        else:
            t = 1 + 0.1 * torch.randn(p.shape, generator=generator)
        tensors[name] = t.to(dtype).contiguous()
    os.makedirs(out, exist_ok=True)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    with open(config_path) as f:
        raw = json.load(f)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(raw, f, indent=2)
    print(f"{out}: {len(tensors)} tensors, {sum(t.numel() for t in tensors.values()):,} parameters, {dtype}")


if __name__ == "__main__":
    main()
