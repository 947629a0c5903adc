"""Kills a training run with SIGKILL again and again, at random moments and
at the moment a checkpoint is being written, resuming it each time with
--resume, and checks that it ends with exactly the weights, optimiser state
and test loss of an uninterrupted run.

kill_and_resume.py WORKDIR SEED -- TRAINER ARGS...   (ARGS: train options
without --checkpoint)"""
import os
import random
import signal
import subprocess
import sys
import time

from safetensors.numpy import load_file

work, seed = sys.argv[1], int(sys.argv[2])
trainer = sys.argv[sys.argv.index("--") + 1:]
rng = random.Random(seed)


def train(directory, resume=False):
    command = trainer[:1] + ["train"] + trainer[1:] + ["--checkpoint", directory]
    return subprocess.Popen(command + (["--resume"] if resume else []),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def writing(directory, pid):
    """Whether process `pid` is writing a checkpoint (its temporary file
    exists)."""
    return os.path.exists(os.path.join(directory, f"train.safetensors.tmp.{pid}"))


def evaluate(directory):
    options = trainer[1:]
    if "--epochs" in options:
        at = options.index("--epochs")
        options = options[:at] + options[at + 2:]
    command = trainer[:1] + ["eval", "--checkpoint", directory] + options
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    # The loss and accuracy; the speed at the end of the line varies.
    return [line.rsplit(",", 1)[0] for line in out.stdout.splitlines()
            if "test loss" in line]


reference = os.path.join(work, "reference")
assert train(reference).wait() == 0, "the uninterrupted run failed"

run = os.path.join(work, "killed")
checkpoint = os.path.join(run, "train.safetensors")
kills = during_write = 0
while True:
    process = train(run, resume=os.path.exists(checkpoint))
    if kills < 12:
        # Odd attempts: at a random moment; even ones: as soon as the run
        # starts writing its first, second or third checkpoint.
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        target, writes, was_writing = rng.randint(1, 3), 0, False
        while process.poll() is None:
            if kills % 2 and time.monotonic() >= deadline:
                break
            now_writing = writing(run, process.pid)
            writes += now_writing and not was_writing
            was_writing = now_writing
            if not kills % 2 and now_writing and writes == target:
                break
        if process.poll() is None:
            in_write = writing(run, process.pid)
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            during_write += in_write
            continue
    status = process.wait()
    assert status == 0, process.stderr.read().decode()
    break

print(f"{kills} kills, {during_write} while a checkpoint was being written")
left = [n for n in os.listdir(run) if n not in ("train.safetensors", ".dreamc.lock")]
assert not left, f"files left behind: {left}"
assert kills >= 8, "the run ended before it could be killed often enough"
assert during_write >= 1, "no kill landed while a checkpoint was written"

expected, actual = load_file(os.path.join(reference, "train.safetensors")), \
    load_file(checkpoint)
assert expected.keys() == actual.keys(), "the checkpoints hold other tensors"
different = [k for k in expected if not (expected[k] == actual[k]).all()]
assert not different, f"tensors differ after the kills: {different[:5]}"
print(f"{len(expected)} tensors bitwise equal")
ours, theirs = evaluate(run), evaluate(reference)
assert ours == theirs, (ours, theirs)
print("eval equal:", ours[0])
