#!/usr/bin/env python3
"""Prints the exact parameter counts of the public configs in models/configs/ as a Markdown table.

The models are built on the meta device, so no weights are allocated.
Run by hand, from the repository root:
    pip install torch transformers
    python3 scripts/count-hf-params.py
"""

import json
import pathlib

import torch
from transformers import AutoConfig, AutoModelForCausalLM
from transformers.utils import logging

CONFIGS = pathlib.Path(__file__).resolve().parent.parent / "models" / "configs"

# file stem: (Hugging Face repository, published size)
MODELS = {
    "Llama-2-7b-hf": ("meta-llama/Llama-2-7b-hf", "7B"),
    "Meta-Llama-3-8B": ("meta-llama/Meta-Llama-3-8B", "8B"),
    "Llama-3.1-8B": ("meta-llama/Llama-3.1-8B", "8B"),
    "Meta-Llama-3-70B": ("meta-llama/Meta-Llama-3-70B", "70B"),
    "Llama-3.2-1B": ("meta-llama/Llama-3.2-1B", "1B (1.23B)"),
    "Qwen2.5-7B": ("Qwen/Qwen2.5-7B", "7B (7.61B, 6.53B non-embedding)"),
    "Mistral-7B-v0.1": ("mistralai/Mistral-7B-v0.1", "7B (7.3B)"),
}


def counts(path):
    fields = json.loads(path.read_text())
    config = AutoConfig.for_model(**fields)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    embedding = model.get_input_embeddings().weight
    head = model.get_output_embeddings().weight
    tied = head is embedding
    assert tied == config.tie_word_embeddings, path.name
    # parameters() yields a tied tensor once.
    total = sum(p.numel() for p in model.parameters())
    assert total == sum(p.numel() for p in {id(p): p for _, p in model.named_parameters(remove_duplicate=False)}.values())
    head_count = 0 if tied else head.numel()
    return total, embedding.numel(), head_count, total - embedding.numel() - head_count


def billions(n):
    return f"{n / 1e9:.2f}B"


def main():
    logging.set_verbosity_error()
    print("| model | source repository | total parameters | embedding table | lm_head (untied) | without embedding and lm_head | published |")
    print("|---|---|---:|---:|---:|---:|---|")
    for stem, (repo, published) in MODELS.items():
        total, embedding, head, body = counts(CONFIGS / f"{stem}.json")
        print(f"| {stem} | {repo} | {total:,} ({billions(total)}) | {embedding:,} | {head:,} | {body:,} ({billions(body)}) | {published} |")


if __name__ == "__main__":
    main()
