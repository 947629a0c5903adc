"""The GPU bundle's run (scripts/gpu-bundle.sh; started by run.sh with a
Python that imports torch). For each network of bundle.json, on one
device: `check`; pretraining of its encoders (not timed); two training
epochs with the compiled kernels, two with them and --cuda-graph (each
step replayed as a CUDA graph; --device cuda only, recorded as skipped
on the CPU) and two with --reference, the second of each timed; then the exported module in PyTorch eager and under
torch.compile, on the same device, batch and examples, from the trainer's
weights. Writes OUTDIR/results.json (samples/s of training and inference
per variant, the check verdicts, final losses, the device's name) and
OUTDIR/log.txt (every command, its exit status and its output).

Each step's failure is recorded and the run goes on, so that one short
session on a GPU machine yields every figure that can be had. Exit status:
0 when every step ran and every check agreed, 1 otherwise.

usage: run.sh [--device cuda|cpu] [--threads N] [--batch N] OUTDIR
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
# A step that takes longer has hung; the GPU session is short.
STEP_TIMEOUT_S = 300


class Run:
    """The log and the failures of one run."""

    def __init__(self, out):
        self.log = open(os.path.join(out, "log.txt"), "w")
        self.failures = []

    def note(self, text):
        print(text, file=self.log, flush=True)
        print(text, file=sys.stderr, flush=True)

    def step(self, name, command, env):
        """Runs `command`; returns its CompletedProcess, or None when it
        could not finish (recorded as a failure)."""
        self.note(f"== {name}: {' '.join(command)}")
        start = time.perf_counter()
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True,
                                    timeout=STEP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.failures.append(f"{name}: no result after {STEP_TIMEOUT_S} s")
            self.note(f"-- {name}: stopped after {STEP_TIMEOUT_S} s")
            return None
        print(result.stdout + result.stderr, file=self.log, flush=True)
        self.note(f"-- {name}: exit status {result.returncode} "
                  f"in {time.perf_counter() - start:.1f} s")
        if result.returncode != 0:
            self.failures.append(f"{name}: exit status {result.returncode} "
                                 f"({(result.stderr.strip().splitlines() or [''])[-1]})")
        return result


def trainer_env(run, bundle):
    """The trainers' environment: the bundle's libraries, then this torch's
    (the wheel's libraries find the nvidia-* packages' on their own). The
    bundle's libstdc++ joins them only where the system's is too old for
    the trainers (a trainer then fails to start)."""
    torch_lib = os.path.join(os.path.dirname(torch.__file__), "lib")
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    rest = [env["LD_LIBRARY_PATH"]] if env.get("LD_LIBRARY_PATH") else []
    env["LD_LIBRARY_PATH"] = os.pathsep.join([os.path.join(HERE, "lib"), torch_lib] + rest)
    trainer = os.path.join(HERE, "bin", next(iter(bundle["networks"].values())))
    probe = subprocess.run([trainer, "--version"], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        run.note(f"{trainer} --version failed with the system's libstdc++ "
                 f"({probe.stderr.strip()}): using the bundle's")
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [os.path.join(HERE, "lib"), os.path.join(HERE, "lib", "fallback"), torch_lib] + rest)
    return env


def epoch_record(metrics, split):
    """The last epoch record of `split` in a --metrics file."""
    records = [json.loads(line) for line in open(metrics)]
    return [r for r in records if r.get("split") == split][-1]


def run_network(run, name, net, args, bundle, env):
    trainer = os.path.join(HERE, "bin", net)
    work = os.path.join(args.out, name)
    os.makedirs(work, exist_ok=True)
    checkpoint = os.path.join(work, "checkpoint")
    common = ["--device", args.device, "--threads", str(args.threads)]
    data = ["--data", "idx:" + os.path.join(HERE, "data")]
    result = {"check": None, "variants": {}, "skipped": {}}

    checked = run.step(f"{name} check", [trainer, "check"] + common, env)
    if checked is not None:
        result["check"] = {"verdict": "agrees" if checked.returncode == 0 else "differs",
                           "exit_status": checked.returncode,
                           "report": checked.stdout.strip().splitlines()}
    if run.step(f"{name} pretrain", [trainer, "pretrain", "--checkpoint", checkpoint,
                                     "--limit", str(args.pretrain), "--epochs", "1"]
                + data + common, env) is None:
        return result

    limit = str(bundle["train_examples"])
    variants = [("compiled", []), ("compiled-graph", ["--cuda-graph"]),
                ("reference", ["--reference"])]
    for variant, extra in variants:
        if "--cuda-graph" in extra and args.device != "cuda":
            result["skipped"][variant] = "--cuda-graph needs --device cuda"
            continue
        metrics = os.path.join(work, f"{variant}.jsonl")
        done = run.step(f"{name} train {variant}",
                        [trainer, "train", "--checkpoint", checkpoint, "--limit", limit,
                         "--epochs", "2", "--batch", str(args.batch), "--metrics", metrics]
                        + data + common + extra, env)
        if done is not None and done.returncode == 0:
            train, test = epoch_record(metrics, "train"), epoch_record(metrics, "test")
            result["variants"][variant] = {
                "train_samples_per_s": train["samples_per_s"],
                "infer_samples_per_s": test["samples_per_s"],
                "final_loss": train["loss"], "test_accuracy": test.get("accuracy")}

    weights = os.path.join(checkpoint, "train.safetensors")
    pytorch_env = dict(os.environ, DREAMC_FASHION_MNIST=os.path.join(HERE, "data"))
    for mode in ["eager", "compile"]:
        done = run.step(f"{name} pytorch {mode}",
                        [sys.executable, os.path.join(HERE, "bench", "pytorch_run.py"),
                         os.path.join(HERE, "models", net + ".py"), weights,
                         "fashion-mnist", limit, str(args.batch), str(args.threads), mode,
                         "--device", args.device], pytorch_env)
        if done is not None and done.returncode == 0:
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            result["variants"][mode] = {
                "train_samples_per_s": figures["train_samples_per_s"],
                "infer_samples_per_s": figures["infer_samples_per_s"],
                "final_loss": figures["train_loss"], "compile_s": figures["compile_s"]}
    return result


def check_libraries(run, env, bundle):
    """Every library the trainers need is found, and those the bundle
    carries are taken from it."""
    listing = subprocess.run(["ldd"] + [os.path.join(HERE, "bin", net)
                                        for net in bundle["networks"].values()],
                             env=env, capture_output=True, text=True).stdout
    run.note("libraries:\n" + listing)
    carried = set(os.listdir(os.path.join(HERE, "lib"))) - {"fallback"}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>":
            if parts[2] == "not":
                run.failures.append(f"library {parts[0]} not found")
            elif parts[0] in carried and \
                    os.path.dirname(parts[2]) != os.path.join(HERE, "lib"):
                run.failures.append(f"library {parts[0]} taken from {parts[2]}, "
                                    "not from the bundle")


def summary(report):
    """The results in a few lines, for the log and a reader."""
    lines = [f"device {report['device']}: {report['device_name']}"]
    for name, model in report["models"].items():
        check = model["check"]
        lines.append(f"{name} check: {check['verdict'] if check else 'did not finish'}")
        for variant, r in model["variants"].items():
            lines.append(f"{name} {variant}: train {r['train_samples_per_s']:.1f} "
                         f"samples/s, infer {r['infer_samples_per_s']:.1f} samples/s, "
                         f"final loss {r['final_loss']:.4f}")
        for variant, why in model["skipped"].items():
            lines.append(f"{name} {variant}: skipped ({why})")
    lines.append(f"failures: {len(report['failures'])}")
    return "\n".join(lines)


def device_name(device):
    if device == "cuda":
        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    with open("/proc/cpuinfo") as f:
        return next((line.split(":", 1)[1].strip() for line in f
                     if line.startswith("model name")), "cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--pretrain", type=int, default=1024,
                        help="examples the encoders are pre-trained on")
    parser.add_argument("out", help="the folder results.json and log.txt go to")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    args.out = os.path.abspath(args.out)
    bundle = json.load(open(os.path.join(HERE, "bundle.json")))
    run = Run(args.out)
    env = trainer_env(run, bundle)
    # Decoded data sets are cached next to the results, not in $HOME.
    env["DREAMC_CACHE"] = os.path.join(args.out, "cache")
    check_libraries(run, env, bundle)
    report = {
        "device": args.device, "device_name": device_name(args.device),
        "torch": torch.__version__, "cuda": torch.version.cuda, "bundle": bundle,
        "batch": args.batch, "threads": args.threads,
        "models": {name: run_network(run, name, net, args, bundle, env)
                   for name, net in bundle["networks"].items()},
    }
    report["failures"] = run.failures
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(summary(report), flush=True)
    run.note(f"wrote {os.path.join(args.out, 'results.json')}; "
             f"{len(run.failures)} failures" +
             "".join(f"\n  {failure}" for failure in run.failures))
    checks = [m["check"] for m in report["models"].values()]
    sys.exit(0 if not run.failures and all(c and c["verdict"] == "agrees" for c in checks)
             else 1)


if __name__ == "__main__":
    main()
