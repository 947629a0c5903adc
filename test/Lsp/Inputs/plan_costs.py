"""The parameters dream-lsp shows on a network's name are the plan's.

For every network under MODELS_DIR, hovers over its name and compares the
trainable and frozen parameter counts with `dreamc --emit=plan`'s cost:
the hover counts from the checked program (dream/Sema/Cost.h), the plan
from the lowered IR, so this checks one against the other. FLOPs differ
by design (the plan leaves out ops fused into kernels) and are only
required to be within 5%.

usage: plan_costs.py MODELS_DIR  (dream-lsp and dreamc on PATH)
"""

import json
import pathlib
import re
import subprocess
import sys

from lsp_client import Client, position_of, uri_of

UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

client = Client(["dream-lsp"])
client.initialize()
checked = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.dream")):
    text = path.read_text()
    network = re.search(r"^network (\w+)", text, re.M)
    if not network:
        continue
    uri = uri_of(path)
    assert client.open(uri, text) == [], path
    line, character = position_of(text, network.group(0), offset=8)
    hover = client.at("textDocument/hover", uri, line, character)
    trainable, frozen, flops, unit = re.search(
        r"parameters: ([\d,]+) trainable, ([\d,]+) frozen; ([\d.,]+) (\w?)FLOPs",
        hover["contents"]["value"]).groups()
    shown = (int(trainable.replace(",", "")), int(frozen.replace(",", "")))
    plan = json.loads(subprocess.run(["dreamc", "--emit=plan", str(path)],
                                     check=True, capture_output=True,
                                     text=True).stdout)["cost"]
    assert shown == (plan["params_trainable"], plan["params_frozen"]), (
        path, shown, plan)
    flops = float(flops.replace(",", "")) * UNITS[unit]
    assert abs(flops - plan["flops_per_sample"]) <= 0.05 * plan[
        "flops_per_sample"], (path, flops, plan["flops_per_sample"])
    print("%s: %d trainable, %d frozen" % ((path.name,) + shown))
    checked += 1
print("%d networks: parameters equal the plan's" % checked)
client.shutdown()
