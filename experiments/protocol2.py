"""The part of docs/RESULTS.md that protocol 2 (issue 26) produces: budgets
near convergence, five seeds for the main comparison, three for each
control, with intervals, Welch's tests and paired McNemar tests. Rows whose
runs are not done say so; verdicts come from the tests alone."""
import re
import statistics

from stats import difference_interval95, interval95, mcnemar, welch
from sweep import BUDGETS, CONTROLS, NAMES, PROTOCOLS, budget_epochs, run_id

MAIN = {"vision": ["resnet", "sleepnet3", "dreamnet3"],
        "text": ["lstm3", "sleepnet3", "dreamnet3"]}
FIVE, THREE = range(1, 6), range(1, 4)


class Runs:
    """The done runs of one configuration of protocol 2, by seed."""

    def __init__(self, raw, modality, net, seeds, variant=None, extra=None):
        self.name = NAMES[net]
        self.by_seed = {s: raw[i] for s in seeds
                        if (i := run_id(modality, net, s, variant, extra, 2)) in raw}

    @property
    def acc(self):
        return [100 * r["test_accuracy"] for r in self.by_seed.values()]

    def row(self):
        """mean ± std, 95% interval, seeds, minutes per run, trainable parameters."""
        if not self.by_seed:
            return ["not run yet", "", 0, "", ""]
        acc, runs = self.acc, list(self.by_seed.values())
        ci = interval95(acc)
        spread = f" ± {statistics.stdev(acc):.2f}" if len(acc) > 1 else ""
        minutes = statistics.mean(r["wall_s"]["total_s"] for r in runs) / 60
        params = re.search(r"([\d,]+) trainable", runs[0]["recipe"])
        return [f"{statistics.mean(acc):.2f}{spread}",
                f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "—", len(acc), f"{minutes:.1f}",
                params.group(1) if params else ""]


def compare(a, b):
    """One line: a against b, by Welch's test over seeds, and McNemar's
    paired test seed by seed where both have a seed's predictions."""
    test = welch(a.acc, b.acc)
    if test is None:
        return f"- {a.name} against {b.name}: not enough seeds yet ({len(a.acc)} and {len(b.acc)})."
    diff = statistics.mean(a.acc) - statistics.mean(b.acc)
    lo, hi = difference_interval95(a.acc, b.acc)
    verdict = "shown" if test[1] < 0.05 else "not shown"
    paired = []
    for seed in sorted(set(a.by_seed) & set(b.by_seed)):
        ra, rb = a.by_seed[seed], b.by_seed[seed]
        if "test_predictions" in ra and "test_predictions" in rb:
            only_a, only_b, p = mcnemar(ra["test_labels"], ra["test_predictions"],
                                        rb["test_predictions"])
            paired.append(f"seed {seed}: {only_a} vs {only_b}, p = {p:.2g}")
    mc = ("; McNemar, examples only one of them classifies correctly, "
          + "; ".join(paired)) if paired else ""
    return (f"- {a.name} against {b.name}: {diff:+.2f} points, 95% interval "
            f"[{lo:+.2f}, {hi:+.2f}], Welch's t = {test[0]:.2f}, p = {test[1]:.2g}: "
            f"a difference {verdict} at the 5% level{mc}.")


def table(rows):
    header = ["network", "test accuracy", "95% interval", "seeds", "minutes per run",
              "trainable parameters"]
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(out + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def protocol_text(epochs):
    v, t = PROTOCOLS[2]["vision"], PROTOCOLS[2]["text"]
    return (
        f"- **Vision:** Fashion-MNIST, all 60,000 training and 10,000 test images; width "
        f"{v['defines']['width']}; "
        + (f"{epochs} epochs" if epochs else "epochs fixed by the pilot below (not done yet)")
        + f", after {v['pretrain_epochs']} epochs of encoder pre-training; the recipes of the "
        "model files (`preset default`: Adam, warm-up, then a cosine decay to zero).\n"
        f"- **Text:** the first {t['limit']:,} training glosses and the whole test split "
        f"({t['limit']:,} glosses); {t['epochs']} epochs, the DreamNets' decoder pre-trained "
        f"for {t['pretrain_epochs']} epoch first; the files' recipes.\n"
        "- Every run: compiled with dreamc, 2 threads, nice 10, on this project's 2-core "
        "machine; its test predictions are kept for McNemar's paired test.")


def section(raw):
    epochs = budget_epochs()
    md = ["## Protocol 2: near convergence, with tests (issue 26)", "",
          protocol_text(epochs), ""]
    pilot = [Runs(raw, "vision", "resnet", (1,), extra=f"budget{e}") for e in BUDGETS]
    md += ["### The vision budget", "",
           "The chain (ResNet-3) trained for each budget from scratch, its schedule fitted to "
           "the budget; the main runs take the smallest budget within one point of the "
           "largest.", "",
           "| epochs | test accuracy | minutes |", "| --- | --- | --- |"]
    md += [f"| {e} | {r.row()[0]} | {r.row()[3]} |" for e, r in zip(BUDGETS, pilot)]
    md += ["", f"Chosen: {epochs} epochs." if epochs else "Chosen: not yet.", ""]
    for modality, nets in MAIN.items():
        cells = [Runs(raw, modality, n, FIVE) for n in nets]
        chain, sleep, dream = cells
        md += [f"### Chain, SleepNet-3, DreamNet-3: {modality}", "",
               table([[c.name, *c.row()] for c in cells]), "",
               compare(sleep, chain), compare(dream, sleep), compare(dream, chain), ""]
    md += ["### Controls: the pre-training, or the capacity? (vision)", ""]
    rows, lines = [], []
    for net, controls in CONTROLS.items():
        base = Runs(raw, "vision", net, FIVE)
        others = [Runs(raw, "vision", c, THREE) for c in controls]
        matched = Runs(raw, "vision", "resnet", THREE, extra=f"matched-{net}")
        matched.name = f"ResNet-3 with as many trainable parameters as {NAMES[net]}"
        for other in [*others, matched]:
            rows.append([other.name, *other.row()])
            lines.append(compare(base, other))
    md += [table(rows), "", *lines, ""]
    text = {n: Runs(raw, "text", n, FIVE) for n in MAIN["text"]}
    bridge = Runs(raw, "text", "sleepnet3", THREE, extra="straight_through")
    bridge.name = "SleepNet-3, straight-through bridge"
    frozen_minilm = Runs(raw, "text", "minilm_frozen", THREE)
    md += ["### Text: the bridge, and MiniLM on the input", "",
           table([[c.name, *c.row()] for c in (bridge, frozen_minilm)]), "",
           compare(bridge, text["sleepnet3"]), compare(text["sleepnet3"], frozen_minilm),
           compare(text["dreamnet3"], frozen_minilm), ""]
    md += ["### Frozen against trainable encoders (vision)", ""]
    unfrozen = {n: Runs(raw, "vision", n, THREE, variant="unfrozen") for n in CONTROLS}
    for n, u in unfrozen.items():
        u.name = f"{NAMES[n]}, encoder trainable"
    md += [table([[u.name, *u.row()] for u in unfrozen.values()]), "",
           *[compare(Runs(raw, "vision", n, FIVE), u) for n, u in unfrozen.items()], ""]
    best = Runs(raw, "vision", "resnet_stages", (1,), variant="augment")
    md += ["### The best vision network", "",
           "ResNet-stages at width 32 with RandAugment, 20 epochs (`augment` variant): "
           + (f"{best.row()[0]}% in {best.row()[3]} minutes." if best.acc else "not run yet."),
           ""]
    return md
