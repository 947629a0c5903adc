"""Starts a two-rank data-parallel run of a trainer, sends a signal to rank 1
once the run's first checkpoint exists, and reports how the run ended: its
exit status, whether that came within a bound, and its stderr.

  launcher:   one `trainer ... --nproc 2`; the signal goes to the rank whose
              pid the launcher printed; the launcher's status is reported.
  standalone: two trainers started with RANK/WORLD_SIZE/MASTER_PORT, as on
              two machines; rank 0's status is reported.

usage: kill_rank.py launcher|standalone KILL|STOP SECONDS CHECKPOINT -- TRAINER ARGS...
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time


def wait_for(path, seconds=60):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"no checkpoint at {path} after {seconds} s")
        time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_launcher(command):
    run = subprocess.Popen(command + ["--nproc", "2"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    first = run.stderr.readline()
    pids = re.search(r"\(pids (\d+) (\d+)\)", first)
    if not pids:
        sys.exit(f"the launcher did not name its ranks' pids: {first!r}")
    return run, int(pids.group(2)), [first], []


def start_standalone(command):
    env = dict(os.environ, WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
               MASTER_PORT=str(free_port()))
    ranks = [subprocess.Popen(command, env=dict(env, RANK=str(rank)),
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
             for rank in (0, 1)]
    return ranks[0], ranks[1].pid, [], [ranks[1]]


def main():
    mode, signame, bound, checkpoint = sys.argv[1:5]
    command = sys.argv[sys.argv.index("--") + 1:]
    start = start_launcher if mode == "launcher" else start_standalone
    run, victim, stderr, others = start(command)
    wait_for(checkpoint)
    os.kill(victim, getattr(signal, "SIG" + signame))
    killed = time.monotonic()
    try:
        _, rest = run.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        run.kill()
        _, rest = run.communicate()
    seconds = time.monotonic() - killed
    for other in others:
        other.kill()
        other.communicate()
    print(f"exit {run.returncode}")
    within = "within" if seconds <= float(bound) else "NOT within"
    print(f"ended {within} {bound} s of the signal")
    sys.stdout.write("".join(stderr) + rest)


if __name__ == "__main__":
    main()
