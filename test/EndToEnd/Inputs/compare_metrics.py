"""Compares two --metrics files record by record (same epochs and splits, in
order): the losses within a relative tolerance, the accuracies within an
absolute one, the number of examples (samples_per_s * wall_s) exactly.
Prints one line per record; exit status 1 if any differs."""
import argparse
import json
import sys


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def examples(record):
    return round(record["samples_per_s"] * record["wall_s"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("expected")
    parser.add_argument("actual")
    parser.add_argument("--tolerance", type=float, required=True,
                        help="largest relative difference of a loss")
    parser.add_argument("--accuracy-tolerance", type=float, default=0.0,
                        help="largest difference of an accuracy")
    args = parser.parse_args()
    expected, actual = records(args.expected), records(args.actual)
    if [(r["epoch"], r["split"]) for r in expected] != \
            [(r["epoch"], r["split"]) for r in actual]:
        print(f"the records differ: {len(expected)} in {args.expected}, "
              f"{len(actual)} in {args.actual}")
        return 1
    ok = True
    for e, a in zip(expected, actual):
        relative = abs(a["loss"] - e["loss"]) / abs(e["loss"])
        same = relative <= args.tolerance
        same = same and examples(e) == examples(a)
        if "accuracy" in e:
            same = same and abs(a["accuracy"] - e["accuracy"]) <= \
                args.accuracy_tolerance
        ok = ok and same
        print(f"epoch {e['epoch']} {e['split']}: {examples(e)} and "
              f"{examples(a)} examples, loss {e['loss']:.6f} and "
              f"{a['loss']:.6f} {'agree' if same else 'DIFFER'} (relative "
              f"difference {relative:.1e}, tolerance {args.tolerance:.0e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
