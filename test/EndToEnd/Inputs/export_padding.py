"""Runs the transformer step of a `dreamc --emit=pytorch` module on token
sequences with padding, one of them all padding, against PyTorch's own
nn.TransformerEncoderLayer given the same parameters (its attention through
scaled_dot_product_attention: the fast path, which gives NaN where a
sequence has no key, is off), and the whole module forward and backward on
all-padding ids. Prints what agrees, for export-all-padding.test.

usage: export_padding.py MODEL.py
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import dream_data  # noqa: E402

exported = dream_data.load_module(sys.argv[1])
torch.manual_seed(0)
model = exported.Model()
tensors = model.tensors()
with torch.no_grad():
    for value in tensors.values():  # Nonzero biases, the attention's too.
        value.normal_(0, 0.5)

prefix = next(name for name in tensors
              if name.endswith("self_attn.in_proj_weight"))[:-len("self_attn.in_proj_weight")]
names = [name for name, *_ in exported.PARAMETERS if name.startswith(prefix)]
params = [tensors[name] for name in names]
width = tensors[prefix + "norm1.weight"].shape[0]
ff = tensors[prefix + "linear1.bias"].shape[0]
layer = nn.TransformerEncoderLayer(width, 2, ff, dropout=0.0, activation="gelu",
                                   batch_first=True)
layer.load_state_dict({name[len(prefix):]: tensors[name] for name in names})
layer.eval()
torch.backends.mha.set_fastpath_enabled(False)

length = exported.INPUT_SHAPE[0]
x = torch.randn(3, length, width)
pad = torch.tensor([[True] * length, [False] + [True] * (length - 1), [False] * length])
with torch.no_grad():
    ours = exported._transformer(x, params, 2, 0.0, False, False, 1e-5, pad)
    theirs = layer(x, src_key_padding_mask=pad)
difference = (ours - theirs).abs().max().item()
print(f"transformer: largest difference from nn.TransformerEncoderLayer {difference:.1e}")
if torch.allclose(ours, theirs, atol=1e-5, rtol=1e-5):
    print("transformer agrees with nn.TransformerEncoderLayer, all-padding sequence included")

ids = torch.zeros(2, length, dtype=torch.long)
model.train()
loss = torch.nn.functional.cross_entropy(model(ids), torch.tensor([0, 1]))
loss.backward()
finite = torch.isfinite(loss) and all(
    torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
print("all-padding ids: loss and gradients finite" if finite else
      f"all-padding ids: loss {loss.item()} or a gradient is not finite")
