"""One run per checkpoint folder, and requeue-safe resumes (docs/runtime.md,
Checkpoints):
1. a second run into the folder of a running one refuses at once with exit
   status 1, naming the folder and the holder's pid, and writes nothing;
   the first run finishes untouched;
2. a run killed with SIGKILL before its first checkpoint and started again
   with --resume (a requeued job) starts from the beginning, says so, takes
   over the dead run's lock and trains to the end;
3. a run killed after a checkpoint and resumed leaves a metrics file with
   each step and epoch record once.

one_writer.py WORKDIR -- TRAINER ARGS...   (ARGS: train options without
--checkpoint, --metrics and --resume)"""
import json
import os
import signal
import subprocess
import sys
import time

work = sys.argv[1]
trainer = sys.argv[sys.argv.index("--") + 1:]


def command(directory, metrics, resume=False):
    return (trainer[:1] + ["train"] + trainer[1:] + ["--checkpoint", directory,
            "--metrics", metrics, "--log-every", "1"] + (["--resume"] if resume else []))


def wait_for(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def holder(directory):
    try:
        with open(os.path.join(directory, ".dreamc.lock")) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def step_records(path):
    try:
        return [r for r in records(path) if r["split"] == "step"]
    except (FileNotFoundError, json.JSONDecodeError):
        return []


# 1. Two runs into one folder.
shared = os.path.join(work, "shared")
first = subprocess.Popen(command(shared, os.path.join(work, "first.jsonl")),
                         stdout=subprocess.DEVNULL)
wait_for(lambda: holder(shared).startswith(f"pid {first.pid} "), "the first run's lock")
second = subprocess.run(command(shared, os.path.join(work, "second.jsonl")),
                        capture_output=True, text=True, timeout=60)
assert first.poll() is None, "the first run ended before the second one was tried"
print(f"second run: exit status {second.returncode}")
print(second.stderr.strip().replace(str(first.pid), "FIRSTPID"))
assert not os.path.exists(os.path.join(work, "second.jsonl")), "the refused run wrote metrics"
print(f"first run: exit status {first.wait()}")
epochs = [r for r in records(os.path.join(work, "first.jsonl")) if r["split"] == "test"]
print(f"first run: {len(epochs)} test records")

# 2. Killed before its first checkpoint, requeued with --resume.
requeued = os.path.join(work, "requeued")
metrics = os.path.join(work, "requeued.jsonl")
run = subprocess.Popen(command(requeued, metrics), stdout=subprocess.DEVNULL)
wait_for(lambda: step_records(metrics), "the first step record")
run.send_signal(signal.SIGKILL)
run.wait()
assert not os.path.exists(os.path.join(requeued, "train.safetensors")), \
    "the run wrote a checkpoint before it was killed: the test did not test a requeue"
again = subprocess.run(command(requeued, metrics, resume=True), capture_output=True,
                       text=True, timeout=300)
print(f"requeued run: exit status {again.returncode}")
print("\n".join(line for line in again.stdout.splitlines() if line.startswith("--resume")))


def unique(path, label):
    rows = records(path)
    steps = [r["step"] for r in rows if r["split"] == "step"]
    splits = [(r["epoch"], r["split"]) for r in rows if r["split"] != "step"]
    assert steps == sorted(set(steps)) and steps[0] == 1, f"{label}: steps {steps}"
    assert len(splits) == len(set(splits)), f"{label}: epoch records {splits}"
    print(f"{label}: {len(steps)} step records, {len(splits)} epoch records, each once")


unique(metrics, "requeued run")

# 3. Killed after a checkpoint, resumed.
resumed = os.path.join(work, "resumed")
metrics = os.path.join(work, "resumed.jsonl")
run = subprocess.Popen(command(resumed, metrics), stdout=subprocess.DEVNULL)
wait_for(lambda: os.path.exists(os.path.join(resumed, "train.safetensors")), "a checkpoint")
seen = len(step_records(metrics))
wait_for(lambda: len(step_records(metrics)) >= seen + 3, "steps after the checkpoint")
run.send_signal(signal.SIGKILL)
run.wait()
again = subprocess.run(command(resumed, metrics, resume=True), capture_output=True,
                       text=True, timeout=300)
print(f"resumed run: exit status {again.returncode}")
unique(metrics, "resumed run")
