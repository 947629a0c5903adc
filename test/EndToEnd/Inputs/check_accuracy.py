"""Fails unless the last test-split accuracy in a metrics file exceeds the
threshold given; prints the metrics it read."""
import json
import sys

path, threshold = sys.argv[1], float(sys.argv[2])
rows = [json.loads(line) for line in open(path) if line.strip()]
for row in rows:
    if row["split"] == "step":  # --log-every's records
        assert set(row) >= {"step", "epoch", "loss", "lr", "grad_norm"}, row
    else:
        assert set(row) >= {"epoch", "split", "loss", "accuracy", "samples_per_s", "wall_s"}, row
    print(row)
test = [row for row in rows if row["split"] == "test"]
assert test, "no test split in the metrics"
accuracy = test[-1]["accuracy"]
assert accuracy > threshold, f"test accuracy {accuracy:.4f} is not above {threshold}"
print(f"test accuracy {accuracy:.4f} > {threshold}")
