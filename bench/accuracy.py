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
rounding of zero takes either branch, and every gradient before it moves),
so one seed says little and a mean over seeds is the few seeds whose kink
either path crossed. This compares the two paths seed by seed: the median
over seeds of the ratio compiled / reference of their median errors, with
a distribution-free 95% interval, and Wilcoxon's signed-rank test of the
log ratios against "the compiled path is less accurate" (one-sided): the
compiled path should be no less accurate, a median ratio of about 1 or
less and no significant test. Also printed: the geometric means over seeds
of each path's median error, how many seeds the compiled path lost, and
how many checks agreed. Used for docs/codegen.md, "Reductions".

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
sys.path.insert(0, str(root / "experiments"))
import stats  # noqa: E402  (the report's statistics, one definition)

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


def summary(runs):
    """One row's statistics over the seeds' median gradient errors."""
    pairs = [found["median"] for found, _ in runs if "median" in found]
    logs = [math.log(max(c, 1e-12) / max(r, 1e-12)) for c, r in pairs]
    ratio = stats.median_interval95([math.exp(v) for v in logs])
    ratio = (f"{ratio[0]:.2f} [{ratio[1][0]:.2f}, {ratio[1][1]:.2f}]"
             if ratio else "fewer than 6 seeds")
    p = stats.wilcoxon_greater(logs)
    compiled, reference = (geometric_mean([q[i] for q in pairs])
                           for i in (0, 1))
    lost = sum(v > 0 for v in logs)
    agreeing = sum(v == "agree" for _, v in runs)
    return (f"{ratio:>30} {'-' if p is None else f'{p:.3f}':>6}  "
            f"{compiled:>8.1e} {reference:>9.1e}  {lost:>4}  "
            f"{agreeing} of {len(runs)}")


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
    print(f"{'model':18} {'M':>3} {'width':>5} {'seeds':>5}  "
          f"{'ratio: median [95% interval]':>30} {'p':>6}  "
          f"{'compiled':>8} {'reference':>9}  {'lost':>4}  agreeing")
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            for width in map(int, args.widths.split(",")):
                for depth in map(int, args.depths.split(",")):
                    trainer = compile_trainer(model, depth, width,
                                              pathlib.Path(tmp),
                                              args.memory_budget)
                    runs = [check(trainer, args.batch, seed)
                            for seed in range(1, args.seeds + 1)]
                    print(f"{model:18} {depth:>3} {width:>5} "
                          f"{len(runs):>5}  {summary(runs)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
