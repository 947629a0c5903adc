"""Turns the result lines of experiments/default_recipe*.sh into their raw
file: `KEY VALUE KEY VALUE ... test accuracy X%` per run, plus the command,
the commit, the machine, the network and the protocol.

    recipe_raw.py RESULTS OUT COMMIT COMMAND NETWORK PROTOCOL

COMMIT is the code the runs were made with (`git describe --dirty` when
they started).
"""
import json
import os
import platform
import sys

results, out, commit, command, network, protocol = sys.argv[1:]
runs = []
for line in open(results):
    words = line.replace("%", "").split()
    at = words.index("test")
    run = dict(zip(words[0:at:2], words[1:at:2]))
    run["seed"] = int(run["seed"])
    run["test_accuracy"] = float(words[at + 2])
    runs.append(run)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), platform.machine())
with open(out + ".tmp", "w") as f:
    json.dump({"command": command, "commit": commit,
               "machine": f"{os.cpu_count()} cores, {cpu}", "network": network,
               "protocol": protocol, "runs": runs}, f, indent=1)
os.replace(out + ".tmp", out)
print(f"wrote {out}")
