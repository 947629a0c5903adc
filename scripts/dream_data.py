"""The trainer's data sets, read the trainer's way, for the Python side
(the PyTorch-export test and the benchmark): the same examples, the same
normalisation, the same token ids."""
import csv
import gzip
import json
import os
import sys
import types

import torch

# Fashion-MNIST's pixel mean and deviation, as in runtime/lib/data/Data.cpp.
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530


def fashion_mnist(split, limit):
    """The first `limit` images ([N, 1, 28, 28], normalised) and labels of
    Fashion-MNIST's "train" or "t10k" split."""
    root = os.environ.get("DREAMC_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
    # torch alone (no numpy): the GPU bundle's Python may have nothing else.
    with gzip.open(f"{root}/{split}-images-idx3-ubyte.gz") as f:
        images = torch.frombuffer(bytearray(f.read()[16:]), dtype=torch.uint8)
    with gzip.open(f"{root}/{split}-labels-idx1-ubyte.gz") as f:
        labels = torch.frombuffer(bytearray(f.read()[8:]), dtype=torch.uint8)
    pixels = images.reshape(-1, 1, 28, 28)[:limit].float() / 255
    return (pixels - PIXEL_MEAN) / PIXEL_STD, labels[:limit].long()


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


def read_safetensors(path):
    """The tensors of a safetensors file (8-byte header length, JSON header,
    then the data), read with torch alone."""
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64,
              "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        data = bytearray(f.read())
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(data[begin:end], dtype=dtypes[entry["dtype"]]) \
            if end > begin else torch.empty(0, dtype=dtypes[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors


def provide_safetensors():
    """Exported modules load checkpoints with `safetensors.torch.load_file`;
    where that package is missing (the GPU machine's Python has torch
    alone), `read_safetensors` stands in for it."""
    try:
        import safetensors.torch  # noqa: F401
    except ImportError:
        package = types.ModuleType("safetensors")
        package.torch = types.ModuleType("safetensors.torch")
        package.torch.load_file = read_safetensors
        sys.modules["safetensors"] = package
        sys.modules["safetensors.torch"] = package.torch


def load_module(path):
    """Imports a `dreamc --emit=pytorch` file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
