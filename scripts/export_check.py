#!/usr/bin/env python3
"""The third computation of a network: its `dreamc --emit=pytorch` module.

`trainer check --dump FILE` writes the network's classification step: the
batch, the parameters and buffers before it, what the compiled path and
the float64 reference steps computed (training loss and logits, gradients,
running statistics after the step, evaluation loss), and per kind of
quantity the float32 noise and the error `check` allowed the compiled
path (docs/runtime.md, "What check dumps"). This script loads the dumped
state into the exported module, runs the same step (forward in training
mode, cross-entropy, backward; then the evaluation loss) in float32 and in
float64 (module.double()), and measures both against the trainer's float64
reference by check's rules:

  error    ||value - float64||_2 / max(||float64||_2, 1e-3 x the largest
           norm of its kind), NaN counted as infinite (Check.cpp,
           relativeError and errorsOf)
  float32  the export is one more float32 computation of the network, so
           it may be as far from float64 as the compiled path may: the
           kind's tolerance or twice the float32 noise ("allowed error of"
           in the dump)
  float64  the same bound scaled by the ratio of the unit roundoffs,
           2^-53 / 2^-24 = 2^-29: a float64 computation amplifies its
           roundings as the float32 one does, each 2^29 times smaller, and
           a ReLU kink flips 2^29 times less often; an op the export
           computes otherwise than the trainer is off by far more

A step that draws random numbers (dropout, masking: "random draws" in the
dump) cannot be reproduced by the module, whose draws come from another
generator; it is not comparable, and said so (exit status 3).

usage: scripts/export_check.py MODEL.py DUMP.safetensors

Prints per precision and kind the worst error and what was allowed, then
"the export agrees with float64" (exit 0) or "the export DIFFERS from
float64" (exit 1).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F
import safetensors
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dream_data  # noqa: E402

# float64 against float32 rounding: the float32 bounds scaled by this.
FLOAT64_SCALE = 2.0 ** -29


def kind_of(name):
    """The kind of a quantity, as Check.cpp's kindOf: its tolerance's scale."""
    if name.startswith("gradient of "):
        return "gradients"
    if name.startswith("after the step, "):
        return "running statistics"
    return name


def load_dump(path):
    """(tensors, metadata) of a `check --dump` file."""
    try:
        with safe_open(path, "pt") as f:
            return {name: f.get_tensor(name) for name in f.keys()}, \
                f.metadata() or {}
    except (OSError, safetensors.SafetensorError) as error:
        sys.exit("export_check.py: cannot read %s (%s): write it with "
                 "`trainer check --dump %s`" % (path, error, path))


def part(tensors, prefix):
    return {name[len(prefix):]: value for name, value in tensors.items()
            if name.startswith(prefix)}


def export_step(exported, tensors, dtype):
    """The dumped step through the exported module in `dtype`: what
    Check.cpp's checkPass records, by the same names."""
    model = exported.Model()
    state = model.state_dict()
    start = part(tensors, "parameters/")
    if set(state) != set(start):
        raise SystemExit("export_check.py: the module's tensors %s and the "
                         "dump's %s differ: MODEL.py and DUMP are of "
                         "different networks" % (sorted(set(state) - set(start)),
                                                 sorted(set(start) - set(state))))
    with torch.no_grad():
        for name, value in state.items():
            value.copy_(start[name])
    model.to(dtype)
    inputs, labels = tensors["inputs"], tensors["labels"]
    if inputs.is_floating_point():
        inputs = inputs.to(dtype)

    model.train()
    logits = model(inputs)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    outcome = {"training loss": loss.detach(), "training logits": logits.detach()}
    for name, param in model.named_parameters():
        if param.grad is not None:
            outcome["gradient of " + name] = param.grad
    for name, buffer in model.named_buffers():
        outcome["after the step, " + name] = buffer.clone()
    model.eval()
    with torch.no_grad():
        outcome["evaluation loss"] = F.cross_entropy(model(inputs), labels)
    return outcome


def errors_of(outcome, exact):
    """Each quantity's relative error from float64, the norm floored at
    1e-3 of the largest norm of its kind (Check.cpp, errorsOf)."""
    largest = {}
    for name, value in exact.items():
        kind = kind_of(name)
        largest[kind] = max(largest.get(kind, 0.0), value.norm().item())
    errors = {}
    for name, value in exact.items():
        got = outcome.get(name)
        if got is None or got.shape != value.shape:
            continue
        norm = max(value.norm().item(), 1e-3 * largest[kind_of(name)], 1e-30)
        error = (got.double() - value).norm().item() / norm
        errors[name] = math.inf if math.isnan(error) else error
    return errors


def compare(precision, outcome, exact, allowed):
    """Prints the worst error of each kind; whether all are allowed."""
    ok = True
    for name in sorted(set(exact) - set(outcome)):
        print("  %s: the export computes no %s" % (precision, name))
        ok = False
    for name in sorted(set(outcome) - set(exact)):
        print("  %s: the export computes a %s the trainer does not" %
              (precision, name))
        ok = False
    errors = errors_of(outcome, exact)
    for name in sorted(set(exact) & set(outcome) - set(errors)):
        print("  %s: the export's %s has shape %s, the trainer's %s" %
              (precision, name, tuple(outcome[name].shape),
               tuple(exact[name].shape)))
        ok = False
    worst = {}
    for name, error in errors.items():
        kind = kind_of(name)
        if kind not in worst or error > errors[worst[kind]]:
            worst[kind] = name
    for kind, name in sorted(worst.items()):
        print("  %-7s %-20s worst error from float64 %.1e export (%s), "
              "%.0e allowed" % (precision, kind, errors[name], name,
                                allowed[kind]))
        ok = ok and errors[name] <= allowed[kind]
    return ok


def guarded(when, function, *args):
    """`function(*args)`; an exception of the exported module is its bug,
    stopped with its first line (for smith.py's signature)."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001: whatever the module raises
        lines = str(error).strip().splitlines() or [""]
        sys.exit("export_check.py: the exported module fails %s: %s: %s"
                 % (when, type(error).__name__, lines[0]))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[-2])
    model_path, dump_path = sys.argv[1:]
    tensors, metadata = load_dump(dump_path)
    if metadata.get("random draws") != "no":
        print("not comparable: the step draws random numbers (dropout, "
              "masking), which the export draws from another generator")
        return 3
    exact = part(tensors, "float64/")
    allowed32 = {kind_of(name): float(metadata["allowed error of " +
                                               kind_of(name)])
                 for name in exact}
    allowed64 = {kind: bound * FLOAT64_SCALE for kind, bound in allowed32.items()}
    exported = guarded("loading it", dream_data.load_module, model_path)
    ok = True
    for precision, dtype, allowed in (("float32", torch.float32, allowed32),
                                      ("float64", torch.float64, allowed64)):
        outcome = guarded("in " + precision, export_step, exported, tensors,
                          dtype)
        ok = compare(precision, outcome, exact, allowed) and ok
    print("the export agrees with float64" if ok
          else "the export DIFFERS from float64")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
