#!/usr/bin/env python3
"""The benchmark: dreamc's trainers against PyTorch on the same networks,
side by side in one run on this machine.

For vision SleepNet-3 and DreamNet-3 (Fashion-MNIST, the model files'
width 64), the vision DreamNet-3 of the sweep (docs/RESULTS.md: width 32,
`-D width=32` for both dreamc and the export) and text DreamNet-3 (WordNet
glosses), each at two batch sizes (32 and 128 for vision; 32 and 64 for
text, whose plan counts 11 times vision DreamNet-3's activation bytes per
sample, so that 128 would need some 12 GB by its estimate), each as
(a) the compiled trainer, (b) the trainer with --reference, (c) the
exported module (`dreamc --emit=pytorch`) in PyTorch eager and (d) under
torch.compile, all with the same thread count and starting from the same
weights: training and inference samples/s and peak RSS; plus dreamc's
compile time for every network in models/ and the machine's
matrix-multiply GFLOP/s. Against that rate each variant's achieved
fraction of peak is shown, for inference from the plan's
`flops_per_sample` and for training from its `train_flops_per_sample`
(forward and backward, docs/plan.md "Cost"). Writes bench/results.json and
regenerates docs/PERFORMANCE.md from it; `--doc-only` also reads a
results.json of the earlier form (one batch per model, no training
FLOPs) and shows `-` where it lacks a figure.

Each model's four variants run in --rounds interleaved rounds (compiled,
reference, eager, compile, then again), and each figure is the best of its
rounds: a slow spell of the shared machine then hits every variant alike
instead of one. results.json keeps every round.

usage: bench/run.py [--samples N] [--threads N] [--rounds N] [--models a,b]
                    [--compile-runs N] [--doc-only]
(run after `source scripts/env.sh` and a build; the README says how)
"""
import argparse
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("DREAMC_BUILD", os.path.join(ROOT, "build"))
DREAMC = os.path.join(BUILD, "compiler", "dreamc")

# name: (model file, data set, dreamc defines, batch sizes)
MODELS = {
    "vision-sleepnet3": ("models/vision/sleepnet3.dream", "fashion-mnist", [], [32, 128]),
    "vision-dreamnet3": ("models/vision/dreamnet3.dream", "fashion-mnist", [], [32, 128]),
    "vision-dreamnet3-w32": ("models/vision/dreamnet3.dream", "fashion-mnist",
                             ["width=32"], [32, 128]),
    "text-dreamnet3": ("models/text/dreamnet3.dream", "wordnet-glosses", [], [32, 64]),
}
VARIANTS = ["compiled", "reference", "eager", "compile"]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed:\n{result.stderr}")
    return result


def matmul_gflops(threads):
    """Best of 20 float32 1024x1024 matrix products, in GFLOP/s."""
    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * 1024 ** 3 / best / 1e9


def trainer_run(trainer, work, args, samples, batch, reference):
    """Trains one epoch on `samples` examples and evaluates on as many."""
    metrics = os.path.join(work, "reference.jsonl" if reference else "compiled.jsonl")
    command = ["/usr/bin/time", "-f", "%M", trainer, "train", "--checkpoint",
               os.path.join(work, "ck"), "--limit", str(samples), "--epochs", "1",
               "--batch", str(batch), "--threads", str(args.threads), "--metrics", metrics]
    result = run(command + (["--reference"] if reference else []),
                 env=dict(os.environ, OMP_WAIT_POLICY="passive"))
    lines = [json.loads(line) for line in open(metrics)]
    split = {line["split"]: line for line in lines}
    return {"train_samples_per_s": split["train"]["samples_per_s"],
            "infer_samples_per_s": split["test"]["samples_per_s"],
            "peak_rss_mb": int(result.stderr.strip().splitlines()[-1]) / 1024}


def bench_model(name, args):
    source, data, defines, batches = MODELS[name]
    work = tempfile.mkdtemp(prefix=f"dreamc-bench-{name}-")
    trainer = os.path.join(work, "trainer")
    dreamc = [DREAMC, os.path.join(ROOT, source)] + [
        flag for define in defines for flag in ["-D", define]]
    start = time.perf_counter()
    run(dreamc + ["-o", trainer])
    compile_s = time.perf_counter() - start
    run(dreamc + ["--emit=pytorch", "-o", os.path.join(work, "model.py")])
    cost = json.loads(run(dreamc + ["--emit=plan"]).stdout)["cost"]
    # The frozen encoders' weights (not timed); the compiled run's
    # checkpoint then seeds the other three, so all start alike.
    run([trainer, "pretrain", "--checkpoint", os.path.join(work, "ck"), "--limit", "128",
         "--epochs", "1", "--threads", str(args.threads)])
    checkpoint = os.path.join(work, "ck", "train.safetensors")
    runs = {str(batch): bench_batch(trainer, work, checkpoint, data, batch, args)
            for batch in batches}
    print(f"bench: {name} done", file=sys.stderr)
    return {"source": source, "data": data, "defines": defines, "dreamc_s": compile_s,
            "flops_per_sample": cost["flops_per_sample"],
            "train_flops_per_sample": cost["train_flops_per_sample"], "batches": runs}


def bench_batch(trainer, work, checkpoint, data, batch, args):
    """The four variants at one batch size, in interleaved rounds."""
    def pytorch_run(mode):
        command = [sys.executable, os.path.join(ROOT, "bench", "pytorch_run.py"),
                   os.path.join(work, "model.py"), checkpoint, data, str(args.samples),
                   str(batch), str(args.threads), mode]
        if data == "wordnet-glosses":
            command += ["--minilm", os.environ["DREAMC_MINILM_DIR"]]
        return json.loads(run(command).stdout.strip().splitlines()[-1])

    measure = {
        "compiled": lambda: trainer_run(trainer, work, args, args.samples, batch, False),
        "reference": lambda: trainer_run(trainer, work, args, args.samples, batch, True),
        "eager": lambda: pytorch_run("eager"),
        "compile": lambda: pytorch_run("compile"),
    }
    rounds = [{variant: measure[variant]() for variant in VARIANTS}
              for _ in range(args.rounds)]
    return {"rounds": rounds,
            "results": {variant: best_of([r[variant] for r in rounds])
                        for variant in VARIANTS}}


def best_of(runs):
    """The best of a variant's rounds: the highest samples/s, and the lowest
    peak RSS and torch.compile warm-up."""
    best = {key: max(r[key] for r in runs)
            for key in ["train_samples_per_s", "infer_samples_per_s"]}
    for key in ["peak_rss_mb", "compile_s"]:
        if key in runs[0]:
            best[key] = min(r[key] for r in runs)
    return best


def compile_times(runs):
    """Seconds from .dream to trainer (`dreamc model.dream -o trainer`,
    the defaults) for every file in models/ that declares a network, `runs`
    times each, sorted."""
    work = tempfile.mkdtemp(prefix="dreamc-bench-compile-")
    times = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "models", "*", "*.dream"))):
        # The others are pieces the networks import.
        if not re.search(r"^network ", open(path).read(), re.M):
            continue
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            run([DREAMC, path, "-o", os.path.join(work, "trainer")])
            seconds.append(time.perf_counter() - start)
        times[os.path.relpath(path, ROOT)] = sorted(seconds)
    print("bench: compile times done", file=sys.stderr)
    return times


def batch_runs(model):
    """A model's runs by batch size; a results.json of the earlier form
    holds one batch's at the model's top level."""
    return model.get("batches") or {str(model["batch"]): model}


def percent_of_peak(samples_per_s, flops_per_sample, gflops):
    """The achieved share of the matrix-multiply rate, as table text; `-`
    where results.json lacks the FLOPs."""
    if flops_per_sample is None:
        return "-"
    return f"{100 * samples_per_s * flops_per_sample / (gflops * 1e9):.1f}"


def write_doc(report, path):
    gflops = report["machine"]["matmul_gflops"]
    lines = [
        "# Performance",
        "",
        "Generated by `bench/run.py` from `bench/results.json` "
        f"({report['date']}, commit {report['commit']}); do not edit by hand.",
        "",
        f"Machine: {report['machine']['cores']} cores, {report['threads']} threads "
        f"for every variant, torch {report['machine']['torch']}; float32 matrix "
        f"multiply {gflops:.1f} GFLOP/s (1024x1024, best of 20). Each variant "
        f"trains one epoch on the first {report['samples']} training examples and "
        f"evaluates {report['samples']} test examples, from the same weights, "
        f"in {report['rounds']} interleaved rounds; the tables show the best of "
        "them. "
        "Ratios are against PyTorch eager on the exported module (higher is "
        "better for samples/s, lower for memory). `% peak`: the compiler's FLOPs "
        "per sample (the plan's cost: `train_flops_per_sample`, the forward and "
        "backward pass of a training step, for training; `flops_per_sample`, the "
        "forward pass, for inference; docs/plan.md) times samples/s, over the "
        "matrix-multiply rate; `-` where results.json has no such count.",
        "",
        "| model | batch | variant | train samples/s | vs eager | infer samples/s "
        "| vs eager | peak RSS MB | vs eager | % peak (training) | % peak (inference) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, model in report["models"].items():
        for batch, runs in batch_runs(model).items():
            eager = runs["results"]["eager"]
            for variant in VARIANTS:
                r = runs["results"][variant]
                train_peak = percent_of_peak(r["train_samples_per_s"],
                                             model.get("train_flops_per_sample"), gflops)
                infer_peak = percent_of_peak(r["infer_samples_per_s"],
                                             model["flops_per_sample"], gflops)
                lines.append(
                    f"| {name} | {batch} | {variant} | {r['train_samples_per_s']:.1f} | "
                    f"{r['train_samples_per_s'] / eager['train_samples_per_s']:.2f}x | "
                    f"{r['infer_samples_per_s']:.1f} | "
                    f"{r['infer_samples_per_s'] / eager['infer_samples_per_s']:.2f}x | "
                    f"{r['peak_rss_mb']:.0f} | "
                    f"{r['peak_rss_mb'] / eager['peak_rss_mb']:.2f}x | "
                    f"{train_peak} | {infer_peak} |")
    lines += ["", "| model | dreamc to trainer (s) | torch.compile warm-up (s), by batch "
              "| FLOPs/sample | training FLOPs/sample |", "| --- | --- | --- | --- | --- |"]
    for name, model in report["models"].items():
        warmups = ", ".join(f"{runs['results']['compile']['compile_s']:.1f} ({batch})"
                            for batch, runs in batch_runs(model).items())
        train_flops = model.get("train_flops_per_sample")
        lines.append(f"| {name} | {model['dreamc_s']:.1f} | {warmups} | "
                     f"{model['flops_per_sample']:,} | "
                     f"{'-' if train_flops is None else f'{train_flops:,}'} |")
    times = report["compile_s"]
    slowest = max(times.values(), key=min)
    lines += ["", f"dreamc from `.dream` to trainer for every network in models/ "
              f"({len(next(iter(times.values())))} runs each; the goal is under 2 s): "
              f"the slowest took {min(slowest):.2f} s at best and "
              f"{statistics.median(slowest):.2f} s in the median; "
              f"{sum(min(t) < 2 for t in times.values())} of {len(times)} models "
              "compiled in under 2 s at best, "
              f"{sum(statistics.median(t) < 2 for t in times.values())} in the median.",
              "", "| model | best (s) | median (s) | slowest (s) |", "| --- | --- | --- | --- |"]
    for source, seconds in times.items():
        lines.append(f"| {source} | {min(seconds):.2f} | {statistics.median(seconds):.2f} | "
                     f"{max(seconds):.2f} |")
    lines += ["", open(os.path.join(ROOT, "bench", "ANALYSIS.md")).read().rstrip(), ""]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines))
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=2,
                        help="interleaved runs of each variant; the best counts")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--compile-runs", type=int, default=3,
                        help="times each model in models/ is compiled")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    parser.add_argument("--doc-only", action="store_true",
                        help="regenerate the doc from --out without measuring")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.doc_only:
        write_doc(json.load(open(args.out)), args.doc)
        return
    report = {
        "date": datetime.date.today().isoformat(),
        "commit": run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip(),
        "samples": args.samples, "threads": args.threads, "rounds": args.rounds,
        "machine": {"cores": os.cpu_count(), "torch": torch.__version__,
                    "matmul_gflops": matmul_gflops(args.threads)},
        "compile_s": compile_times(args.compile_runs),
        "models": {name: bench_model(name, args) for name in args.models.split(",")},
    }
    with open(args.out + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
    os.replace(args.out + ".tmp", args.out)
    write_doc(report, args.doc)
    print(f"bench: wrote {args.out} and {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
