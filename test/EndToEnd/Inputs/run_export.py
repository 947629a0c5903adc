"""Evaluates a `dreamc --emit=pytorch` module on the first test examples,
with a trainer's weights, and prints the loss and accuracy in the format of
`trainer eval`, for pytorch-export.test to compare.

usage: run_export.py MODEL.py WEIGHTS.safetensors fashion-mnist N
       run_export.py MODEL.py WEIGHTS.safetensors wordnet-glosses N MINILM_DIR
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import dream_data  # noqa: E402

model_path, weights, data, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
exported = dream_data.load_module(model_path)
model = exported.Model()
loaded = exported.load_checkpoint(model, weights)
assert len(loaded) == len(model.state_dict()), "the checkpoint misses tensors"
frozen = {name for name, _, _, _, _, trainable, _ in exported.PARAMETERS if not trainable}
assert all(not p.requires_grad for n, p in model.named_parameters() if n in frozen), \
    "a frozen parameter requires grad"
model.eval()

if data == "fashion-mnist":
    inputs, targets = dream_data.fashion_mnist("t10k", limit)
else:
    inputs, targets = dream_data.wordnet_glosses("test", limit, exported.INPUT_SHAPE[0],
                                                 sys.argv[5])
with torch.no_grad():
    logits = model(inputs)
loss = F.cross_entropy(logits, targets).item()
correct = int((logits.argmax(-1) == targets).sum())
print(f"export loss {loss:.4f}, accuracy {100 * correct / len(targets):.2f}% "
      f"({correct} of {len(targets)})")
