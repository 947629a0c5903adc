"""Evaluates a `dreamc --emit=pytorch` module on the first test examples,
with a trainer's weights, and prints the loss and accuracy in the format of
`trainer eval`, for pytorch-export.test to compare.

usage: run_export.py MODEL.py WEIGHTS.safetensors fashion-mnist N
       run_export.py MODEL.py WEIGHTS.safetensors wordnet-glosses N MINILM_DIR
(the texts are tokenised by transformers' BertTokenizer with MiniLM's
vocabulary, the reference the trainer's tokenizer is tested against)
"""
import csv
import gzip
import importlib.util
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

model_path, weights, data, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spec = importlib.util.spec_from_file_location("exported", model_path)
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)

model = exported.Model()
loaded = exported.load_checkpoint(model, weights)
assert len(loaded) == len(model.state_dict()), "the checkpoint misses tensors"
assert all(not p.requires_grad for n, p in model.named_parameters()
           if any(n == name and not trainable for name, _, _, _, _, trainable, _
                  in exported.PARAMETERS)), "a frozen parameter requires grad"
model.eval()

if data == "fashion-mnist":
    root = os.environ.get("DREAMC_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
    with gzip.open(f"{root}/t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{root}/t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    # The trainer's normalisation: Fashion-MNIST's mean and deviation.
    inputs = (torch.tensor(images[:limit], dtype=torch.float32) / 255 - 0.2860) / 0.3530
    targets = torch.tensor(labels[:limit], dtype=torch.int64)
else:
    from transformers import BertTokenizer
    tokenizer = BertTokenizer(os.path.join(sys.argv[5], "vocab.txt"))
    root = os.path.join(os.environ.get("DREAMC_DATA", os.path.expanduser(
        "~/.local/share/dreamc/data")), "wordnet-glosses")
    rows = list(csv.reader(open(f"{root}/test.csv", newline="")))[:limit]
    length = exported.INPUT_SHAPE[0]
    ids = [tokenizer(r[1] + " " + r[2], max_length=length, truncation=True,
                     padding="max_length")["input_ids"] for r in rows]
    inputs = torch.tensor(ids, dtype=torch.int64)
    targets = torch.tensor([int(r[0]) - 1 for r in rows])

with torch.no_grad():
    logits = model(inputs)
loss = F.cross_entropy(logits, targets).item()
correct = int((logits.argmax(-1) == targets).sum())
print(f"export loss {loss:.4f}, accuracy {100 * correct / len(targets):.2f}% "
      f"({correct} of {len(targets)})")
