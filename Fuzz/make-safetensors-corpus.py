#!/usr/bin/env python3
"""Writes the safetensors seed corpus, Fuzz/corpus/safetensors/*.safetensors.

The format, written by hand (no safetensors package needed): an 8-byte
little-endian header length, a JSON header {name: {dtype, shape,
data_offsets}} (offsets relative to the end of the header, padded with spaces
to a multiple of 8 as the reference writer does), then the raw data.
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "safetensors")


def bf16(a):
    """float32 → bfloat16 bytes (truncated, as numpy has no bfloat16)."""
    return (np.asarray(a, dtype="<f4").view("<u4") >> 16).astype("<u2").tobytes()


def encode(tensors, metadata=None, pad=True):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(shape, seed):
    return ("F32", shape, np.random.default_rng(seed).standard_normal(shape).astype("<f4").tobytes())


def f16(shape, seed):
    return ("F16", shape, np.random.default_rng(seed).standard_normal(shape).astype("<f2").tobytes())


def b16(shape, seed):
    return ("BF16", shape, bf16(np.random.default_rng(seed).standard_normal(shape)))


SEEDS = {
    "f32-matrix": {"wq": f32((4, 4), 1)},
    "f16-vector": {"norm": f16((8,), 2)},
    "bf16-matrix": {"wo": b16((2, 8), 3)},
    "scalar": {"scale": f32((), 4)},
    "empty-tensor": {"none": f32((0, 4), 5)},
    "layers": {
        "layers.0.wq": f32((4, 2), 6),
        "layers.0.wk": f16((4, 2), 7),
        "layers.1.wq": b16((4, 2), 8),
        "embed": f32((3,), 9),
    },
    "unsupported-dtype": {"ids": ("I64", (2,), np.arange(2, dtype="<i8").tobytes())},
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, tensors in SEEDS.items():
        with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
            f.write(encode(tensors))
    with open(os.path.join(OUT, "metadata-unpadded.safetensors"), "wb") as f:
        f.write(encode({"w": f32((2, 2), 10)}, metadata={"format": "pt"}, pad=False))


if __name__ == "__main__":
    main()
