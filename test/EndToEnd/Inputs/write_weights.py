"""Writes safetensors files the way other tools do, for weights.test.

reference/: tensors of several dtypes by the `safetensors` package;
bert/ and vit-mae/: tiny models built offline from a config by
`transformers` and saved in the hub layout (model.safetensors);
hostile/: damaged files, one per kind of damage. Prints what each file
holds, for FileCheck to compare with the trainer's summary.
"""
import json
import os
import struct
import sys

import torch
from safetensors.torch import save_file

out = sys.argv[1]
torch.manual_seed(0)


def describe(name, tensors):
    elements = sum(t.numel() for t in tensors.values())
    print(f"{name}: {len(tensors)} tensors, {elements:,} elements")


os.makedirs(f"{out}/reference", exist_ok=True)
reference = {
    "a.weight": torch.randn(3, 4),
    "b.half": torch.randn(5).half(),
    "c.ids": torch.arange(6, dtype=torch.int64).reshape(2, 3),
    "d.bytes": torch.zeros(7, dtype=torch.uint8),
}
save_file(reference, f"{out}/reference/w.safetensors", metadata={"k": "v"})
describe("reference", reference)

from transformers import BertConfig, BertModel, ViTMAEConfig, ViTMAEModel

bert = BertModel(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=64,
                            max_position_embeddings=40))
bert.save_pretrained(f"{out}/bert")

mae = ViTMAEModel(ViTMAEConfig(image_size=28, patch_size=4, num_channels=1,
                               hidden_size=32, num_hidden_layers=2,
                               num_attention_heads=2, intermediate_size=64))
mae.save_pretrained(f"{out}/vit-mae")
# What the hub files hold (non-persistent buffers are left out).
from safetensors import safe_open
for model in ["bert", "vit-mae"]:
    with safe_open(f"{out}/{model}/model.safetensors", "pt") as f:
        describe(model, {k: f.get_tensor(k) for k in f.keys()})

# Damaged files, each from a valid one.
os.makedirs(f"{out}/hostile", exist_ok=True)
good = open(f"{out}/reference/w.safetensors", "rb").read()
(length,) = struct.unpack("<Q", good[:8])
header = json.loads(good[8:8 + length])
data = good[8 + length:]


def write(name, raw):
    with open(f"{out}/hostile/{name}.safetensors", "wb") as f:
        f.write(raw)


def with_header(name, change):
    h = json.loads(json.dumps(header))
    change(h)
    text = json.dumps(h).encode()
    write(name, struct.pack("<Q", len(text)) + text + data)


write("huge-header", struct.pack("<Q", 1 << 62) + good[8:])
write("header-past-end", struct.pack("<Q", len(good)) + good[8:])
write("not-json", struct.pack("<Q", 5) + b"{oops" + data)
write("truncated", good[:-10])
write("empty", b"")
with_header("offset-past-end", lambda h: h["a.weight"].update(
    data_offsets=[0, len(data) + 48]))
with_header("negative-offset", lambda h: h["a.weight"].update(
    data_offsets=[-8, 40]))
with_header("shape-mismatch", lambda h: h["a.weight"].update(shape=[3, 5]))
with_header("overflowing-shape", lambda h: h["a.weight"].update(
    shape=[1 << 40, 1 << 40, 1 << 40]))
with_header("unknown-dtype", lambda h: h["a.weight"].update(dtype="F7"))

# The byte ranges must tile the data: the second tensor (in data order)
# moved 2 bytes back overlaps the first; the last moved 8 bytes on leaves a
# gap; data past the last tensor is refused too.
order = sorted((n for n in header if n != "__metadata__"),
               key=lambda n: header[n]["data_offsets"])
second, last = order[1], order[-1]
with_header("overlapping", lambda h: h[second].update(
    data_offsets=[o - 2 for o in h[second]["data_offsets"]]))
start = header[last]["data_offsets"][0]
h = json.loads(json.dumps(header))
h[last]["data_offsets"] = [o + 8 for o in h[last]["data_offsets"]]
text = json.dumps(h).encode()
write("gap", struct.pack("<Q", len(text)) + text + data[:start] + bytes(8) + data[start:])
write("trailing", good + bytes(8))
with_header("backwards", lambda h: h[last].update(
    data_offsets=list(reversed(h[last]["data_offsets"]))))
