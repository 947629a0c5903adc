#!/usr/bin/env python3
"""Peak memory of reading a safetensors file: the trainer's reader against
the Python `safetensors` package, on the packaged all-MiniLM-L6-v2 weights
(about 90 MB), side by side in one run.

Each reader runs in its own process twice, once reading the file and once
reading a file of one small tensor (the same program with almost nothing
to read), and the figure is the difference of their peak resident set
sizes: what reading the file costs, beside LibTorch's or Python's own
footprint. The trainer runs
`info --weights FILE` (it reads every tensor's header and checks its bytes'
place in the file); Python runs `safetensors.safe_open` over every tensor
(`get_tensor`, numpy).

Then the whole load as training does it: the peak RSS of one step of the
text SleepNet-1 (models/, hidden 16), whose frozen encoder gets MiniLM's
weights, on 32 glosses: the reader, the copies into the model, and the
rest of the trainer, as one figure to compare between builds.

usage: bench/weights_memory.py [FILE]   (after `source scripts/env.sh`)
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINER = os.path.join(ROOT, "build", "runtime", "dream-trainer")
PLAN = os.path.join(ROOT, "test", "runtime", "plans", "tiny_conv_plain.json")
PYTHON_READ = """
import sys
from safetensors import safe_open
with safe_open(sys.argv[1], "np") as f:
    for k in f.keys():
        f.get_tensor(k)
"""


def peak_kib(command):
    """Peak RSS of `command` (KiB), run to its end in a child."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"weights_memory.py: {' '.join(command)} failed ({status})")
    return usage.ru_maxrss


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ["DREAMC_MINILM_DIR"], "model.safetensors")
    size = os.path.getsize(path) / 2**20
    quiet = ["--plan", PLAN]
    with tempfile.TemporaryDirectory() as work:
        small = os.path.join(work, "small.safetensors")
        subprocess.run([sys.executable, "-c", "import sys, numpy; from safetensors.numpy "
                        "import save_file; save_file({'x': numpy.zeros(4, numpy.float32)}, "
                        "sys.argv[1])", small], check=True)
        ours = peak_kib([TRAINER, "info", *quiet, "--weights", path]) - \
            peak_kib([TRAINER, "info", *quiet, "--weights", small])
        theirs = peak_kib([sys.executable, "-c", PYTHON_READ, path]) - \
            peak_kib([sys.executable, "-c", PYTHON_READ, small])
    print(f"file: {path} ({size:.1f} MiB)")
    print(f"dream-trainer info --weights: +{ours / 1024:.1f} MiB peak RSS "
          f"({ours / 1024 / size:.2f}x the file)")
    print(f"python safetensors (numpy):   +{theirs / 1024:.1f} MiB peak RSS "
          f"({theirs / 1024 / size:.2f}x the file)")
    print(f"ratio (trainer / python): {ours / max(theirs, 1):.2f}")
    with tempfile.TemporaryDirectory() as work:
        trainer = os.path.join(work, "sn1")
        subprocess.run([os.path.join(ROOT, "build", "compiler", "dreamc"), "-D", "hidden=16",
                        os.path.join(ROOT, "models", "text", "sleepnet1.dream"), "-o", trainer],
                       check=True)
        step = peak_kib([trainer, "train", "--checkpoint", os.path.join(work, "ck"),
                         "--limit", "32", "--batch", "32", "--epochs", "1", "--threads", "2"])
    print(f"text SleepNet-1, one training step with MiniLM loaded: {step / 1024:.1f} MiB peak RSS")


if __name__ == "__main__":
    main()
