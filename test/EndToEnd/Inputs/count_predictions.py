"""Reads an `eval --predictions` CSV and prints its row count, how many rows
are correct, and whether its labels are Fashion-MNIST's first test labels,
in order, for eval-predictions.test."""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import dream_data  # noqa: E402

with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
assert [int(r["index"]) for r in rows] == list(range(len(rows))), "indices out of order"
correct = sum(r["label"] == r["predicted"] for r in rows)
_, targets = dream_data.fashion_mnist("t10k", len(rows))
same = [int(r["label"]) for r in rows] == targets.tolist()
print(f"{len(rows)} rows, {correct} correct, labels "
      f"{'are' if same else 'are NOT'} the test set's")
