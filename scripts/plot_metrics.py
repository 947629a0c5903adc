#!/usr/bin/env python3
"""Training curves of a trainer's --metrics file, as a PNG and as
TensorBoard event files.

    python scripts/plot_metrics.py METRICS.jsonl [CURVES.png] [--tensorboard LOGDIR]

The PNG has three panels: the training loss of the "step" records
(--log-every) and the epoch losses of every split; the accuracy of every
split per epoch; the learning rate of the step records. LOGDIR gets one
event file (`tensorboard --logdir LOGDIR`) with the step records' loss, lr,
grad_norm and samples_per_s under `step/` at their step, and each split's
loss and accuracy per epoch under `<split>/` at the epoch's last step
(as far as the step records tell it; at the epoch number without them).
Records of pre-training (they carry an "encoder") are left out. The PNG is
written atomically; exits 1 with a message naming the file when the
metrics cannot be read or hold no record.
"""
import argparse
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
    per_epoch = steps_per_epoch(steps)
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


def steps_per_epoch(steps):
    """The steps of one epoch, as the step records show them (1 without)."""
    return max(1, max((r["step"] / r["epoch"] for r in steps), default=1))


def tensorboard(records, logdir):
    # Imported here: the PNG alone needs no TensorBoard.
    from torch.utils.tensorboard import SummaryWriter

    steps = [r for r in records if r["split"] == "step"]
    per_epoch = steps_per_epoch(steps)
    with SummaryWriter(log_dir=str(logdir)) as writer:
        for r in steps:
            for key in ("loss", "lr", "grad_norm", "samples_per_s"):
                if key in r:
                    writer.add_scalar(f"step/{key}", r[key], r["step"])
        for r in records:
            if r["split"] == "step":
                continue
            at = round(r["epoch"] * per_epoch) if steps else r["epoch"]
            for key in ("loss", "accuracy"):
                if key in r:
                    writer.add_scalar(f"{r['split']}/{key}", r[key], at)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="plot_metrics.py",
        description="Training curves of a --metrics file: a PNG and/or TensorBoard events.")
    parser.add_argument("metrics", help="the trainer's --metrics file (JSON lines)")
    parser.add_argument("png", nargs="?", help="the PNG of the curves to write")
    parser.add_argument("--tensorboard", metavar="LOGDIR",
                        help="write TensorBoard event files into LOGDIR")
    args = parser.parse_args(argv[1:])
    if not args.png and not args.tensorboard:
        parser.error("nothing to write: give CURVES.png, --tensorboard LOGDIR or both")
    try:
        records = read_records(args.metrics)
        if args.png:
            plot(records, Path(args.png))
        if args.tensorboard:
            tensorboard(records, Path(args.tensorboard))
    except (OSError, ValueError, KeyError) as error:
        print(f"plot_metrics.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
