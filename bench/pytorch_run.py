"""One side of the benchmark: an exported module (`dreamc --emit=pytorch`)
trained and run in PyTorch, eager or under torch.compile, on the examples
the trainer used, starting from the trainer's weights. Prints one JSON
object: samples/s for training and inference, the timed epoch's mean
training loss, compile seconds, peak RSS. Used by bench/run.py and by the
GPU bundle's run.sh (scripts/gpu-bundle.sh), which runs it on a GPU.

usage: pytorch_run.py MODEL.py CHECKPOINT fashion-mnist|wordnet-glosses
                      SAMPLES BATCH THREADS eager|compile
                      [--device cpu|cuda] [--minilm MINILM_DIR]
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
import dream_data  # noqa: E402

parser = argparse.ArgumentParser()
for name in ["path", "checkpoint", "data"]:
    parser.add_argument(name)
for name in ["samples", "batch", "threads"]:
    parser.add_argument(name, type=int)
parser.add_argument("mode", choices=["eager", "compile"])
parser.add_argument("--device", default="cpu")
parser.add_argument("--minilm")
args = parser.parse_args()
samples, batch, device = args.samples, args.batch, torch.device(args.device)
torch.set_num_threads(args.threads)
torch.manual_seed(0)
dream_data.provide_safetensors()
exported = dream_data.load_module(args.path)
model = exported.Model()
exported.load_checkpoint(model, args.checkpoint)
model.to(device)
if args.data == "fashion-mnist":
    train = dream_data.fashion_mnist("train", samples)
    test = dream_data.fashion_mnist("t10k", samples)
else:
    length = exported.INPUT_SHAPE[0]
    train = dream_data.wordnet_glosses("train", samples, length, args.minilm)
    test = dream_data.wordnet_glosses("test", samples, length, args.minilm)
train = [t.to(device) for t in train]
test = [t.to(device) for t in test]

# The paper's optimizer, as the trainers' recipes give it.
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                             lr=0.005, betas=(0.9, 0.999), eps=1e-5)
run = torch.compile(model) if args.mode == "compile" else model


def finish():
    """Waits for the queued GPU work, so that the clock covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_epoch():
    """One epoch; returns the mean loss over its examples (one host sync,
    at the end, as the losses are summed on the device)."""
    run.train()
    total = torch.zeros((), device=device)
    for i in range(0, samples, batch):
        optimizer.zero_grad(set_to_none=True)
        labels = train[1][i:i + batch]
        loss = F.cross_entropy(run(train[0][i:i + batch]), labels)
        loss.backward()
        optimizer.step()
        total += loss.detach() * labels.numel()
    return total.item() / samples


def infer():
    run.eval()
    with torch.no_grad():
        for i in range(0, samples, batch):
            run(test[0][i:i + batch])
    finish()


compile_s = 0.0
if args.mode == "compile" or device.type == "cuda":
    # A first, untimed pass: compilation happens on the first call in each
    # mode (reported apart from the throughput), and on a GPU so do CUDA's
    # and cuDNN's set-up in either mode.
    start = time.perf_counter()
    train_epoch()
    infer()
    compile_s = time.perf_counter() - start if args.mode == "compile" else 0.0
start = time.perf_counter()
train_loss = train_epoch()
train_s = time.perf_counter() - start
start = time.perf_counter()
infer()
infer_s = time.perf_counter() - start
print(json.dumps({
    "train_samples_per_s": samples / train_s,
    "infer_samples_per_s": samples / infer_s,
    "train_loss": train_loss,
    "compile_s": compile_s,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
