"""One side of the benchmark: an exported module (`dreamc --emit=pytorch`)
trained and run in PyTorch, eager or under torch.compile, on the examples
the trainer used, starting from the trainer's weights. Prints one JSON
object: samples/s for training and inference, compile seconds, peak RSS.

usage: pytorch_run.py MODEL.py CHECKPOINT fashion-mnist|wordnet-glosses
                      SAMPLES BATCH THREADS eager|compile [MINILM_DIR]
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
import dream_data  # noqa: E402

path, checkpoint, data, samples, batch, threads, mode = sys.argv[1:8]
samples, batch, threads = int(samples), int(batch), int(threads)
torch.set_num_threads(threads)
torch.manual_seed(0)
exported = dream_data.load_module(path)
model = exported.Model()
exported.load_checkpoint(model, checkpoint)
if data == "fashion-mnist":
    train = dream_data.fashion_mnist("train", samples)
    test = dream_data.fashion_mnist("t10k", samples)
else:
    length = exported.INPUT_SHAPE[0]
    train = dream_data.wordnet_glosses("train", samples, length, sys.argv[8])
    test = dream_data.wordnet_glosses("test", samples, length, sys.argv[8])

# The paper's optimizer, as the trainers' recipes give it.
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                             lr=0.005, betas=(0.9, 0.999), eps=1e-5)
run = torch.compile(model) if mode == "compile" else model


def train_epoch():
    run.train()
    for i in range(0, samples, batch):
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(run(train[0][i:i + batch]), train[1][i:i + batch])
        loss.backward()
        optimizer.step()


def infer():
    run.eval()
    with torch.no_grad():
        for i in range(0, samples, batch):
            run(test[0][i:i + batch])


compile_s = 0.0
if mode == "compile":
    # Compilation happens on the first call in each mode; it is reported
    # apart from the throughput.
    start = time.perf_counter()
    train_epoch()
    infer()
    compile_s = time.perf_counter() - start
start = time.perf_counter()
train_epoch()
train_s = time.perf_counter() - start
start = time.perf_counter()
infer()
infer_s = time.perf_counter() - start
print(json.dumps({
    "train_samples_per_s": samples / train_s,
    "infer_samples_per_s": samples / infer_s,
    "compile_s": compile_s,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
