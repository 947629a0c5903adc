"""The trainer's data sets, read the trainer's way, for the Python side
(the PyTorch-export test and the benchmark): the same examples, the same
normalisation, the same token ids."""
import csv
import gzip
import os

import numpy as np
import torch

# Fashion-MNIST's pixel mean and deviation, as in runtime/lib/data/Data.cpp.
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530


def fashion_mnist(split, limit):
    """The first `limit` images ([N, 1, 28, 28], normalised) and labels of
    Fashion-MNIST's "train" or "t10k" split."""
    root = os.environ.get("DREAMC_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
    with gzip.open(f"{root}/{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{root}/{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    pixels = torch.tensor(images[:limit], dtype=torch.float32) / 255
    return (pixels - PIXEL_MEAN) / PIXEL_STD, torch.tensor(labels[:limit], dtype=torch.int64)


def wordnet_glosses(split, limit, length, minilm_dir):
    """The first `limit` glosses of "train" or "test" as MiniLM token ids
    ([N, length], [CLS] ... [SEP] then padding) and their classes from 0;
    tokenised by transformers' BertTokenizer, which the trainer's WordPiece
    tokenizer is tested to match."""
    from transformers import BertTokenizer
    tokenizer = BertTokenizer(os.path.join(minilm_dir, "vocab.txt"))
    root = os.path.join(os.environ.get("DREAMC_DATA", os.path.expanduser(
        "~/.local/share/dreamc/data")), "wordnet-glosses")
    rows = list(csv.reader(open(f"{root}/{split}.csv", newline="")))[:limit]
    ids = [tokenizer(r[1] + " " + r[2], max_length=length, truncation=True,
                     padding="max_length")["input_ids"] for r in rows]
    return (torch.tensor(ids, dtype=torch.int64),
            torch.tensor([int(r[0]) - 1 for r in rows]))


def load_module(path):
    """Imports a `dreamc --emit=pytorch` file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
