#!/usr/bin/env python3
"""The paper's comparisons (issues 7 and 26), run with dreamc's own trainers.

    source scripts/env.sh
    python experiments/sweep.py start     # protocol 2's sweep, in the background
    python experiments/sweep.py status    # what is done, running, left
    python experiments/sweep.py report    # docs/RESULTS.md from experiments/raw/

Every run compiles a network of models/ with dreamc, pre-trains its
encoders where the network has some to pre-train, trains it and writes one
JSON file to experiments/raw/ (network, data, seed, recipe, per-epoch
metrics, wall times, each test example's label and prediction, git
commit). A run whose file exists is done: `run` and
`start` skip it, so a stopped sweep resumes where it stopped (a run cut off
half-way starts again). The protocols (sizes, epochs, widths) are PROTOCOLS
below; docs/RESULTS.md states them.
"""
import argparse
import atexit
import csv
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "experiments" / "raw"
WORK = Path(os.environ.get("DREAMC_SWEEP_WORK", ROOT / "experiments" / "work"))
PID_FILE = WORK / "sweep.pid"
LOG_FILE = WORK / "sweep.log"

# What one run of each modality does, by protocol. A run's file records its
# protocol; the report reads each protocol's runs apart.
#
# Protocol 1 (issue 7): sized so that the whole sweep took about three
# hours on this project's two-core machines. The paper trains 30 epochs at a
# constant rate; stopped after one or two, a constant rate of 0.005 leaves
# the last step's test accuracy to chance, so every run decays its rate to
# zero (cosine) over its few epochs.
#
# Protocol 2 (issue 26): budgets near convergence and the recipes of the
# model files (`preset default`: warm-up, then a cosine decay). The vision
# epochs are not chosen here: a pilot trains the chain at several budgets
# (BUDGETS) and the main runs take the smallest within one point of the
# largest (budget_epochs). Text reads 6,008 glosses, as many training
# glosses as the whole test split holds (--limit caps both).
PROTOCOLS = {
    1: {
        "vision": {
            "data": "fashion_mnist",
            "limit": None,          # all 60,000 training and 10,000 test images
            "epochs": 1,
            "pretrain_epochs": 1,   # the autoencoder, on the same training images
            "schedule": "cosine",   # instead of the recipes' constant rate
            "defines": {"width": 16},
            "threads": 2,
        },
        "text": {
            "data": "wordnet_glosses",
            "limit": 1000,          # the first 1,000 training and test glosses
            "epochs": 2,
            "pretrain_epochs": 1,   # the DreamNets' decoder
            "schedule": "cosine",
            "defines": {},          # the models' own: hidden 128
            "threads": 2,
        },
    },
    2: {
        "vision": {
            "data": "fashion_mnist",
            "limit": None,
            "epochs": None,         # budget_epochs(): from the pilot
            "pretrain_epochs": 2,
            "schedule": None,       # the file's recipe
            "defines": {"width": 32},
            "threads": 2,
        },
        "text": {
            "data": "wordnet_glosses",
            "limit": 6008,          # 6,008 training glosses, the whole test split
            "epochs": 2,
            "pretrain_epochs": 1,
            "schedule": None,
            "defines": {},
            "threads": 2,
        },
    },
}

# Protocol 2's pilot: the chain's test accuracy after each of these budgets
# (epochs of a whole run, the schedule fitted to each).
BUDGETS = (3, 6, 12)

# The paper's connection choices, and the authors' code's, as edits of the
# connection files of models/ (applied to a copy; each must match).
VARIANTS = {
    "unfrozen": [("*_connection.dream", "\n    frozen\n", "\n    trainable\n")],
    "augment": [("resnet_stages.dream", "\n    schedule  cosine\n",
                 "\n    schedule  cosine\n    augment   randaugment\n")],
    "upsample": [("*_connection.dream", "adapter: deconv", "adapter: upsample")],
    "shared": [("*_connection.dream", "share: per_block", "share: shared")],
}

# Display names of the networks of models/.
NAMES = {
    "resnet": "ResNet-3 (chain baseline)", "lstm2": "LSTM-2", "lstm3": "LSTM-3 (chain baseline)",
    "lstm4": "LSTM-4", "wordcnn": "WordCNN", "minilm": "MiniLM fine-tuned",
    "resnet_stages": "ResNet-stages",
    **{f"sleepnet{m}": f"SleepNet-{m}" for m in range(1, 5)},
    **{f"dreamnet{m}": f"DreamNet-{m}" for m in range(1, 5)},
    "sleepnet3_random": "SleepNet-3, frozen random encoder",
    "sleepnet3_identity": "SleepNet-3, identity for the encoder",
    "sleepnet3_beside_skip": "SleepNet-3, connection beside the skip",
    "dreamnet3_random": "DreamNet-3, frozen random autoencoder",
    "minilm_frozen": "MiniLM frozen, on the input",
}

# The controls of the main comparison (models/vision/*_random.dream,
# *_identity.dream, *_beside_skip.dream), each against the network it
# controls; and the chain at the width that gives it as many trainable
# parameters as that network (matched_width).
CONTROLS = {"sleepnet3": ["sleepnet3_random", "sleepnet3_identity", "sleepnet3_beside_skip"],
            "dreamnet3": ["dreamnet3_random"]}


def trainable_parameters(path, defines):
    """The trainable parameter count of the network in `path` (its plan)."""
    dreamc = ROOT / "build" / "compiler" / "dreamc"
    args = [a for k, v in defines.items() for a in ("-D", f"{k}={v}")]
    plan = subprocess.run([str(dreamc), *args, "--emit=plan", str(path)], check=True,
                          capture_output=True, text=True).stdout
    count = 0
    for p in json.loads(plan)["params"]:
        if p["trainable"] and not p["buffer"]:
            size = 1
            for d in p["shape"]:
                size *= d
            count += size
    return count


def matched_width(net, defines):
    """The width of the ResNet chain whose trainable parameters come closest
    to those of `net` (vision) with `defines`: the chain's count grows with
    its width, so a bisection finds the first width at or above the target,
    and the closer of it and the one before wins."""
    target = trainable_parameters(ROOT / "models" / "vision" / f"{net}.dream", defines)
    chain = ROOT / "models" / "vision" / "resnet.dream"

    def count(width):
        return trainable_parameters(chain, {**defines, "width": width})

    low, high = 1, 256
    while low < high:
        middle = (low + high) // 2
        if count(middle) < target:
            low = middle + 1
        else:
            high = middle
    return min((low - 1, low), key=lambda w: abs(count(w) - target) if w >= 1 else target)


def run_id(modality, net, seed, variant=None, extra=None, version=1):
    parts = ([f"v{version}"] if version > 1 else []) + [modality, net] + \
        ([variant] if variant else []) + ([extra] if extra else [])
    return "-".join(parts) + f"-s{seed}"


class Plan:
    """The runs of one protocol, most important first."""

    def __init__(self, version):
        self.version, self.runs = version, []

    def add(self, modality, net, seed=1, variant=None, defines=None, group="", extra=None,
            protocol=None):
        proto = PROTOCOLS[self.version][modality]
        self.runs.append({
            "id": run_id(modality, net, seed, variant, extra, self.version),
            "modality": modality, "net": net, "seed": seed, "variant": variant,
            "defines": {**proto["defines"], **(defines or {})},
            "protocol": {**proto, **(protocol or {}), "version": self.version},
            "group": group,
        })


def plan(version=2):
    return {1: plan_v1, 2: plan_v2}[version]()


def plan_v1():
    """Protocol 1: the three-seed main comparison, the best vision networks,
    then the number of blocks, the baselines, the ablations."""
    p = Plan(1)
    main = {"vision": ["resnet", "sleepnet3", "dreamnet3"],
            "text": ["lstm3", "sleepnet3", "dreamnet3"]}
    for seed in (1, 2, 3):
        for modality, nets in main.items():
            for net in nets:
                p.add(modality, net, seed, group="main")
    # The best accuracy: a network that shrinks as it widens, trained longer.
    p.add("vision", "resnet_stages", defines={"width": 32}, group="best",
          protocol={"epochs": 6})
    for modality in ("vision", "text"):
        for kind in ("sleepnet", "dreamnet"):
            for m in (1, 2, 4):
                p.add(modality, f"{kind}{m}", group="blocks")
    # Controls: is it the pre-training or the capacity? Three seeds each.
    for seed in (1, 2, 3):
        add_controls(p, seed)
    for net in ("lstm2", "lstm4", "wordcnn"):
        p.add("text", net, group="baselines")
    p.add("text", "minilm", group="baselines")
    for net in ("sleepnet3", "dreamnet3"):
        p.add("vision", net, variant="unfrozen", group="frozen")
    p.add("text", "sleepnet3", variant="unfrozen", group="frozen")
    # A differentiable bridge multiplies by the whole vocabulary in the
    # backward pass: a smaller protocol for all three bridges.
    for bridge in ("argmax", "soft", "straight_through"):
        p.add("text", "sleepnet1", defines={"bridge": bridge}, group="bridge", extra=bridge,
              protocol={"limit": 500, "epochs": 1})
    # The adapter choice changes a network only where the connection must
    # change the spatial size: the vision DreamNets keep 28x28, and with
    # `upsample` their plan is byte for byte the one with `deconv`.
    p.add("vision", "sleepnet3", variant="upsample", group="connections")
    for net in ("sleepnet3", "dreamnet3"):
        p.add("vision", net, variant="shared", group="connections")
    p.add("text", "sleepnet3", variant="shared", group="connections")
    return p.runs


def add_controls(p, seed):
    """The controls of CONTROLS and the parameter-matched chains, one seed."""
    defines = PROTOCOLS[p.version]["vision"]["defines"]
    for net, controls in CONTROLS.items():
        for control in controls:
            p.add("vision", control, seed, group="controls")
        p.add("vision", "resnet", seed, defines={"width": matched_width(net, defines)},
              group="controls", extra=f"matched-{net}")


def budget_epochs():
    """Protocol 2's vision epochs: the smallest pilot budget whose test
    accuracy is within one point of the largest budget's; None until every
    pilot run is done."""
    accuracy = {}
    for epochs in BUDGETS:
        f = RAW / f"{run_id('vision', 'resnet', 1, extra=f'budget{epochs}', version=2)}.json"
        if not f.exists():
            return None
        accuracy[epochs] = json.loads(f.read_text())["test_accuracy"]
    plateau = accuracy[max(BUDGETS)]
    return min(e for e in BUDGETS if accuracy[e] >= plateau - 0.01)


def plan_v2():
    """Protocol 2 (issue 26), most important first: the pilot that fixes the
    vision budget, the main comparison on five seeds, the controls on three,
    text on five, the bridges and the frozen-MiniLM baseline on three, the
    best vision network, then the ablations on three. A vision run planned
    before the pilot ends has no epochs yet: it waits (`waiting`)."""
    p = Plan(2)
    for epochs in BUDGETS:
        p.add("vision", "resnet", group="budget", extra=f"budget{epochs}",
              protocol={"epochs": epochs})
    epochs = budget_epochs()
    vision = {"epochs": epochs}
    for seed in range(1, 6):
        for net in ("resnet", "sleepnet3", "dreamnet3"):
            p.add("vision", net, seed, group="main", protocol=vision)
    for seed in range(1, 4):
        start = len(p.runs)
        add_controls(p, seed)
        for run in p.runs[start:]:
            run["protocol"]["epochs"] = epochs
    for seed in range(1, 6):
        for net in ("lstm3", "sleepnet3", "dreamnet3"):
            p.add("text", net, seed, group="main")
    # The paper's bridge (argmax, the main runs') against the straight-through
    # one, and MiniLM frozen on the input tokens: what the connections must beat.
    for seed in range(1, 4):
        p.add("text", "sleepnet3", seed, defines={"bridge": "straight_through"},
              group="bridge", extra="straight_through")
        p.add("text", "minilm_frozen", seed, group="baselines")
    # The best accuracy: the network that shrinks as it widens, with
    # RandAugment and a longer decaying schedule.
    p.add("vision", "resnet_stages", variant="augment", defines={"width": 32}, group="best",
          protocol={"epochs": 20})
    for seed in range(1, 4):
        for net in ("sleepnet3", "dreamnet3"):
            p.add("vision", net, seed, variant="unfrozen", group="frozen", protocol=vision)
    return p.runs


# --- running ---------------------------------------------------------------

def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def toolchain():
    """Builds dreamc and installs it into a folder of its own, so that a
    rebuild of build/ during a long sweep does not change the compiler
    under it."""
    subprocess.run([str(ROOT / "scripts" / "build.sh"), "dreamc", "dreamrt", "dreamrt_main"],
                   check=True, stdout=subprocess.DEVNULL)
    # Named after the commit and, in a tree with changes, after them too:
    # an edited compiler gets a toolchain of its own.
    commit = git("rev-parse", "--short", "HEAD")
    changes = git("diff", "HEAD", "--", "compiler", "runtime", "stdlib", "CMakeLists.txt")
    if changes:
        commit += "-dirty-" + hashlib.sha256(changes.encode()).hexdigest()[:8]
    prefix = WORK / f"toolchain-{commit}"
    if not (prefix / "bin" / "dreamc").exists():
        build = Path(os.environ.get("DREAMC_BUILD", ROOT / "build"))
        tmp = prefix.with_name(prefix.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["cmake", "--install", str(build), "--prefix", str(tmp)],
                       check=True, stdout=subprocess.DEVNULL)
        tmp.rename(prefix)
    return prefix / "bin" / "dreamc"


def model_dir(run):
    """models/<modality>, or a copy with the run's variant edits applied."""
    src = ROOT / "models" / run["modality"]
    if not run["variant"]:
        return src
    dst = WORK / "variants" / run["variant"] / run["modality"]
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    for pattern, old, new in VARIANTS[run["variant"]]:
        edited = 0
        for f in dst.glob(pattern):
            text = f.read_text()
            edited += text.count(old)
            f.write_text(text.replace(old, new))
        if not edited:
            sys.exit(f"sweep: variant {run['variant']}: {old!r} is not in {src}/{pattern}")
    return dst


def network_file(run):
    if run["net"] == "minilm":
        return ROOT / "experiments" / "networks" / "minilm_finetune.dream"
    if run["net"] == "minilm_frozen":
        return ROOT / "experiments" / "networks" / "minilm_frozen.dream"
    return model_dir(run) / f"{run['net']}.dream"


def needs_pretrain(run):
    return run["net"].startswith("dreamnet") or (
        run["modality"] == "vision" and run["net"].startswith("sleepnet"))


def execute(cmd, cwd, logf):
    """Runs one command, its output to the run's log; returns (seconds, stdout)."""
    logf.write("$ " + " ".join(map(str, cmd)) + "\n")
    logf.flush()
    start = time.monotonic()
    proc = subprocess.run(list(map(str, cmd)), cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "OMP_WAIT_POLICY": "passive"})
    logf.write(proc.stdout + proc.stderr)
    logf.flush()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return time.monotonic() - start, proc.stdout


def read_metrics(path):
    """The trainer's epoch records (not --log-every's step records); a resumed
    run may repeat an epoch: keep the last."""
    rows = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["split"] != "step":
                rows[(row["epoch"], row["split"])] = row
    return sorted(rows.values(), key=lambda r: (r["epoch"], r["split"] != "train"))


def read_predictions(path):
    """The test labels and predictions of `eval --predictions`, each as a
    string of one character per example (classes are 0 to 9 here); paired
    tests compare two runs' predictions example by example."""
    labels, predicted = [], []
    for row in csv.DictReader(open(path, newline="")):
        labels.append(row["label"])
        predicted.append(row["predicted"])
    if any(len(v) > 1 for v in labels + predicted):
        raise RuntimeError(f"{path}: a class past 9; store the predictions as a list")
    return {"test_labels": "".join(labels), "test_predictions": "".join(predicted)}


def one_run(run, dreamc, commit):
    proto = run["protocol"]
    rdir = WORK / "runs" / run["id"]
    shutil.rmtree(rdir, ignore_errors=True)
    rdir.mkdir(parents=True)
    trainer = rdir / "trainer"
    data = ["--threads", proto["threads"], "--data", proto["data"]]
    if proto["limit"]:
        data += ["--limit", proto["limit"]]
    common = [*data, "--seed", run["seed"]]
    defines = [a for k, v in run["defines"].items() for a in ("-D", f"{k}={v}")]
    wall = {}
    with open(rdir / "log.txt", "w") as logf:
        wall["compile_s"], _ = execute([dreamc, "--gpu-chip=none", *defines, network_file(run),
                                        "-o", trainer], rdir, logf)
        if needs_pretrain(run):
            wall["pretrain_s"], _ = execute(
                [trainer, "pretrain", "--checkpoint", "ck", "--epochs", proto["pretrain_epochs"],
                 "--metrics", "pretrain.jsonl", *common], rdir, logf)
        schedule = ["--schedule", proto["schedule"]] if proto["schedule"] else []
        wall["train_s"], out = execute(
            [trainer, "train", "--checkpoint", "ck", "--epochs", proto["epochs"], *schedule,
             "--metrics", "train.jsonl", *common], rdir, logf)
        # Each test example's prediction, for paired tests between networks.
        execute([trainer, "eval", "--checkpoint", "ck", "--predictions", "predictions.csv",
                 *data], rdir, logf)
    epochs = read_metrics(rdir / "train.jsonl")
    tests = [e for e in epochs if e["split"] == "test"]
    if not tests:
        raise RuntimeError("the trainer wrote no test metrics")
    recipe = next((l for l in out.splitlines() if l.startswith("training ")), "")
    return {
        "id": run["id"], "group": run["group"], "modality": run["modality"],
        "network": run["net"], "name": NAMES[run["net"]],
        "file": str(network_file(run).relative_to(ROOT)) if not run["variant"]
        else f"models/{run['modality']}/{run['net']}.dream",
        "variant": run["variant"], "variant_edits": VARIANTS.get(run["variant"], []),
        "defines": run["defines"], "dataset": proto["data"], "seed": run["seed"],
        "protocol": {k: v for k, v in proto.items() if k != "defines"}, "recipe": recipe,
        "pretrain": read_metrics(rdir / "pretrain.jsonl"),
        "epochs": epochs, "test_accuracy": tests[-1]["accuracy"], "test_loss": tests[-1]["loss"],
        **read_predictions(rdir / "predictions.csv"),
        "wall_s": {**wall, "total_s": sum(wall.values())},
        "git_commit": commit, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "processor": cpu_model(), "system": platform.platform()},
    }


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_json(path, obj):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)


def waiting(run):
    """A run whose budget a pilot has not fixed yet."""
    return run["protocol"]["epochs"] is None


def pending(version, only):
    runs = [r for r in plan(version) if not (RAW / f"{r['id']}.json").exists()]
    return [r for r in runs if not only or re.search(only, r["id"])]


def cmd_run(args):
    for var in ("DREAMC_FASHION_MNIST", "DREAMC_WORDNET_GLOSSES", "DREAMC_MINILM_DIR"):
        if not os.environ.get(var):
            sys.exit(f"sweep: ${var} is not set: run `source scripts/env.sh` first")
    RAW.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    dreamc = toolchain()
    commit = git("rev-parse", "HEAD") + ("-dirty" if git("status", "--porcelain", "--", "compiler",
                                                        "runtime", "stdlib", "models") else "")
    # Below the machine's other work: the sweep runs for hours beside it.
    os.nice(10)
    if os.environ.get("DREAMC_SWEEP_BACKGROUND"):  # `start` wrote our pid
        atexit.register(lambda: PID_FILE.unlink(missing_ok=True))
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `stop`
    failed = set()
    # Planned again after every run: a pilot's result fixes the budget of
    # the runs that wait for it.
    while todo := [r for r in pending(args.protocol, args.only)
                   if not waiting(r) and r["id"] not in failed]:
        run = todo[0]
        log(f"{run['id']} ({len(todo) - 1} more ready after it), dreamc {dreamc}")
        try:
            result = one_run(run, dreamc, commit)
        except (RuntimeError, OSError) as e:
            failed.add(run["id"])
            log(f"  failed: {e} (log: {WORK / 'runs' / run['id'] / 'log.txt'})")
            continue
        write_json(RAW / f"{run['id']}.json", result)
        log(f"  test accuracy {100 * result['test_accuracy']:.2f}%, {result['wall_s']['total_s']:.0f} s")
    left = pending(args.protocol, args.only)
    if left:
        log(f"{len(left)} runs not done ({len(failed)} failed, the others wait for them)")
    return 1 if failed else 0


def running_pid():
    """The pid of the background sweep, if it still runs (a pid file left by
    a sweep that ended may name another process by now)."""
    try:
        pid = int(PID_FILE.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if any(arg.endswith(b"sweep.py") for arg in cmdline) else None


def cmd_start(args):
    if running_pid():
        sys.exit(f"sweep: already running (pid {running_pid()}); `status` shows its progress")
    WORK.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "run", "--protocol", str(args.protocol)] + \
        (["--only", args.only] if args.only else [])
    with open(LOG_FILE, "a") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "DREAMC_SWEEP_BACKGROUND": "1"})
    PID_FILE.write_text(str(proc.pid))
    print(f"sweep: started (pid {proc.pid}); log {LOG_FILE}")


def cmd_stop(args):
    pid = running_pid()
    if not pid:
        sys.exit("sweep: not running")
    os.killpg(pid, signal.SIGTERM)
    print(f"sweep: stopped pid {pid}; `start` resumes with the runs not yet done")


def cmd_status(args):
    runs = plan(args.protocol)
    done = [r for r in runs if (RAW / f"{r['id']}.json").exists()]
    pid = running_pid()
    print(f"{len(done)} of {len(runs)} runs done; " + (f"running (pid {pid})" if pid else "not running"))
    for r in runs:
        f = RAW / f"{r['id']}.json"
        if f.exists():
            d = json.loads(f.read_text())
            print(f"  done  {r['id']:40s} {100 * d['test_accuracy']:6.2f}%  {d['wall_s']['total_s']:6.0f} s")
        else:
            print(f"  {'wait' if waiting(r) else 'todo'}  {r['id']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn, help_ in (("run", cmd_run, "run the runs not yet done, in the foreground"),
                            ("start", cmd_start, "the same in the background (log: experiments/work/sweep.log)"),
                            ("stop", cmd_stop, "stop a background sweep"),
                            ("status", cmd_status, "list the runs, done or not")):
        p = sub.add_parser(name, help=help_)
        p.set_defaults(fn=fn)
        p.add_argument("--protocol", type=int, choices=sorted(PROTOCOLS), default=2,
                       help="which protocol's runs (default 2; docs/RESULTS.md states both)")
        if name in ("run", "start"):
            p.add_argument("--only", metavar="REGEX", help="only the runs whose id matches")
    p = sub.add_parser("report", help="write docs/RESULTS.md and its plots from experiments/raw/")
    p.set_defaults(fn=lambda a: __import__("report").main())
    args = ap.parse_args()
    sys.exit(args.fn(args) or 0)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
