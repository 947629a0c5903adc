#!/usr/bin/env python3
"""How far the compiled kernels and the reference steps are from float64.

For each model and depth (the network parameter M), compiles a trainer and
runs `trainer check` with several seeds (other parameters and batches);
check takes one training step three ways (compiled kernels, LibTorch
reference steps, reference steps in float64) and prints, over the
gradients, the median relative error ||x - x64|| / ||x64|| of both paths,
the compiled path's worst and the float32 noise (the worst error of
reference computations, docs/runtime.md "Agreement").
Deep networks amplify rounding chaotically (a ReLU whose input is within
rounding of zero takes either branch), so one seed says little; this prints
the geometric means over seeds of the medians, their ratio (compiled over
reference: the compiled path should be no less accurate, a ratio of about
1 or less) and of the worst errors, and how many checks agreed. Used for
docs/codegen.md, "Reductions".

usage: bench/accuracy.py [--models vision/dreamnet3 ...] [--depths 3,10,...]
                         [--widths 8,64] [--batch 16] [--seeds 5]
                         [--memory-budget 256GiB]
(run after `source scripts/env.sh` and a build)
"""
import argparse
import math
import pathlib
import re
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent
dreamc = root / "build" / "compiler" / "dreamc"

ERRORS = re.compile(
    r"^\s+gradients\s+(worst|median) error from float64 (\S+) compiled"
    r"(?: \([^)]*\))?, (\S+) (?:reference|float32 noise)", re.M)
VERDICT = re.compile(r"the compiled kernels (agree|DIFFER)")


def compile_trainer(model, depth, width, workdir, budget):
    trainer = workdir / f"{model.replace('/', '_')}_{depth}_{width}"
    # Text models call their width `hidden`.
    size = "hidden" if model.startswith("text/") else "width"
    subprocess.run([str(dreamc), str(root / "models" / f"{model}.dream"),
                    "-D", f"M={depth}", "-D", f"{size}={width}",
                    "--memory-budget", budget, "-o", str(trainer)],
                   check=True)
    return trainer


def check(trainer, batch, seed):
    """The network's gradient errors: {"median": (compiled, reference),
    "worst": ...} (pre-training objectives, printed after, are left out),
    and the verdict."""
    out = subprocess.run([str(trainer), "check", "--threads", "2",
                          "--batch", str(batch), "--seed", str(seed)],
                         capture_output=True, text=True).stdout
    found = {}
    for kind, compiled, reference in ERRORS.findall(out):
        found.setdefault(kind, (float(compiled), float(reference)))
    verdict = VERDICT.search(out)
    return found, verdict.group(1) if verdict else "no verdict"


def geometric_mean(values):
    values = [max(v, 1e-12) for v in values]
    return math.exp(sum(map(math.log, values)) / len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+",
                        default=["vision/dreamnet3", "text/dreamnet3"])
    parser.add_argument("--depths", default="3,10,20,40,64")
    parser.add_argument("--widths", default="8")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seeds", type=int, default=5)
    # dreamc estimates memory at the recipe's batch; check runs --batch.
    parser.add_argument("--memory-budget", default="256GiB")
    args = parser.parse_args()
    print(f"{'model':18} {'M':>3} {'width':>5}  {'median compiled':>15} "
          f"{'median ref':>10} {'ratio':>5}  {'worst compiled':>14} "
          f"{'worst noise':>11}  checks agreeing")
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            for width in map(int, args.widths.split(",")):
                for depth in map(int, args.depths.split(",")):
                    trainer = compile_trainer(model, depth, width,
                                              pathlib.Path(tmp),
                                              args.memory_budget)
                    runs = [check(trainer, args.batch, seed)
                            for seed in range(1, args.seeds + 1)]
                    means = {}
                    for kind in ("median", "worst"):
                        pairs = [found[kind] for found, _ in runs
                                 if kind in found]
                        means[kind] = [geometric_mean([p[i] for p in pairs])
                                       for i in (0, 1)]
                    median, worst = means["median"], means["worst"]
                    agreeing = sum(v == "agree" for _, v in runs)
                    print(f"{model:18} {depth:>3} {width:>5}  "
                          f"{median[0]:>15.1e} {median[1]:>10.1e} "
                          f"{median[0] / median[1]:>5.2f}  {worst[0]:>14.1e} "
                          f"{worst[1]:>11.1e}  {agreeing} of {len(runs)}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
