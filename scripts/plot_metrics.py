#!/usr/bin/env python3
"""Training curves of a trainer's --metrics file, as one PNG.

    python scripts/plot_metrics.py METRICS.jsonl CURVES.png

Three panels: the training loss of the "step" records (--log-every) and the
epoch losses of every split; the accuracy of every split per epoch; the
learning rate of the step records. Records of pre-training (they carry an
"encoder") are left out. Writes CURVES.png atomically; exits 1 with a
message naming the file when the metrics cannot be read or hold no record.
"""
import json
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_records(path):
    records = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not a JSON record ({error.msg})")
            if "encoder" not in record:
                records.append(record)
    if not records:
        raise ValueError(f"{path}: no training record (run `train --metrics {path}`)")
    return records


def plot(records, out):
    steps = [r for r in records if r.get("split") == "step"]
    epochs = [r for r in records if r.get("split") != "step"]
    per_epoch = max(1, max((r["step"] / r["epoch"] for r in steps), default=1))
    fig, (loss_ax, acc_ax, lr_ax) = plt.subplots(1, 3, figsize=(13, 3.6))
    if steps:
        loss_ax.plot([r["step"] / per_epoch for r in steps], [r["loss"] for r in steps],
                     color="0.6", label="train (steps)")
        lr_ax.plot([r["step"] / per_epoch for r in steps], [r["lr"] for r in steps])
    for split in dict.fromkeys(r["split"] for r in epochs):
        rows = [r for r in epochs if r["split"] == split]
        x = [r["epoch"] for r in rows]
        loss_ax.plot(x, [r["loss"] for r in rows], "o-", label=split)
        if all("accuracy" in r for r in rows):
            acc_ax.plot(x, [100 * r["accuracy"] for r in rows], "o-", label=split)
    loss_ax.set(title="loss", xlabel="epoch")
    acc_ax.set(title="accuracy (%)", xlabel="epoch")
    lr_ax.set(title="learning rate", xlabel="epoch")
    if not steps:
        lr_ax.text(0.5, 0.5, "no step records\n(--log-every)", ha="center",
                   transform=lr_ax.transAxes)
    for ax in (loss_ax, acc_ax):
        ax.legend()
    fig.tight_layout()
    tmp = out.with_name(out.name + ".tmp")
    fig.savefig(tmp, format="png", dpi=90)
    os.replace(tmp, out)


def main(argv):
    if len(argv) != 3:
        print("usage: " + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        plot(read_records(argv[1]), Path(argv[2]))
    except (OSError, ValueError, KeyError) as error:
        print(f"plot_metrics.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
