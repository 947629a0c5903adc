"""docs/RESULTS.md, its plots and the README's headline table, from the raw
results in experiments/raw/ (`python experiments/sweep.py report`).

Every result comes from the JSON files, and every protocol figure from the
sweep's own plan; the only text typed by hand is experiments/notes.md
(what we think explains each reading), which holds no numbers.
"""
import json
import re
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import protocol2  # noqa: E402
from stats import interval95, welch  # noqa: E402
from sweep import CONTROLS, NAMES, PROTOCOLS, RAW, ROOT, plan, run_id  # noqa: E402

# The sections below read protocol 1's runs; protocol2.py reads protocol 2's.
PROTOCOL = PROTOCOLS[1]

DOC = ROOT / "docs" / "RESULTS.md"
PLOTS = ROOT / "docs" / "results"
NOTES = ROOT / "experiments" / "notes.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


class Cell:
    """The runs of one configuration: test accuracies over seeds."""

    def __init__(self, runs):
        self.runs = runs
        self.acc = [100 * r["test_accuracy"] for r in runs]

    @property
    def n(self):
        return len(self.acc)

    @property
    def mean(self):
        return statistics.mean(self.acc) if self.acc else None

    @property
    def std(self):
        return statistics.stdev(self.acc) if self.n > 1 else None

    def text(self):
        if not self.n:
            return "not run yet"
        if self.n == 1:
            return f"{self.mean:.2f}"
        return f"{self.mean:.2f} ± {self.std:.2f}"

    def minutes(self):
        if not self.n:
            return ""
        return f"{statistics.mean(r['wall_s']['total_s'] for r in self.runs) / 60:.1f}"


class Results:
    def __init__(self):
        self.runs = {p.stem: json.loads(p.read_text()) for p in sorted(RAW.glob("*.json"))}

    def cell(self, modality, net, variant=None, extra=None, seeds=(1, 2, 3)):
        ids = [run_id(modality, net, s, variant, extra) for s in seeds]
        return Cell([self.runs[i] for i in ids if i in self.runs])


def verdict(better, worse, noise):
    """The rule every reading uses: a difference counts when it exceeds the
    larger seed-to-seed standard deviation of the two (or of the main
    comparison, for single-seed rows)."""
    if not better.n or not worse.n:
        return "not run yet"
    diff = better.mean - worse.mean
    if noise is None:
        return f"{diff:+.2f} points, no seed-to-seed noise measured yet"
    if abs(diff) <= noise:
        return f"within noise ({diff:+.2f} points, noise {noise:.2f})"
    return ("holds" if diff > 0 else "does not hold") + f" ({diff:+.2f} points, noise {noise:.2f})"


def noise_of(*cells):
    stds = [c.std for c in cells if c.std is not None]
    return max(stds) if stds else None


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(out)


def bar_plot(name, title, labels, cells):
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(labels)), 3.2))
    means = [c.mean or 0 for c in cells]
    errs = [c.std or 0 for c in cells]
    ax.bar(range(len(labels)), means, yerr=errs, capsize=4, color="#4c72b0")
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    done = [m for m, c in zip(means, cells) if c.n]
    if done:
        ax.set_ylim(max(0, min(done) - 10), min(100, max(done) + 5))
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(PLOTS / f"{name}.png", dpi=110)
    plt.close(fig)
    return f"![{title}](results/{name}.png)"


def curve_plot(name, title, series):
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for label, run in series:
        tests = [e for e in run["epochs"] if e["split"] == "test"]
        ax.plot([e["epoch"] for e in tests], [100 * e["accuracy"] for e in tests],
                marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOTS / f"{name}.png", dpi=110)
    plt.close(fig)
    return f"![{title}](results/{name}.png)"


def notes():
    """experiments/notes.md, by `## claim` heading."""
    out, key = {}, None
    if NOTES.exists():
        for line in NOTES.read_text().splitlines():
            if line.startswith("## "):
                key = line[3:].strip()
                out[key] = []
            elif key:
                out[key].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def group_run(group):
    """The first run of a group in the sweep's plan (its protocol, -D)."""
    return next(r for r in plan(1) if r["group"] == group)


def protocol_text():
    v, t = PROTOCOL["vision"], PROTOCOL["text"]
    best, bridge = group_run("best"), group_run("bridge")
    return (
        f"- **Vision:** Fashion-MNIST, all its training and test images; "
        f"width {v['defines']['width']}; {v['epochs']} epoch of training after "
        f"{v['pretrain_epochs']} epoch of encoder pre-training on the same images "
        f"(the networks of models/vision as they are, with the recipes of their files). The "
        f"best-accuracy run: width {best['defines']['width']}, "
        f"{best['protocol']['epochs']} epochs.\n"
        f"- **Text:** the WordNet gloss set, the first {t['limit']:,} training and {t['limit']:,} "
        f"test glosses of its fixed split; {t['epochs']} epochs with the recipes of "
        f"the networks' files, the DreamNets' decoder pre-trained for {t['pretrain_epochs']} "
        f"epoch first. The bridge comparison: the first {bridge['protocol']['limit']:,} "
        f"glosses, {bridge['protocol']['epochs']} epoch (a differentiable bridge multiplies by "
        f"the whole vocabulary in the backward pass).\n"
        f"- **Schedule:** every run's learning rate decays to zero along a cosine "
        f"(`--schedule {v['schedule']}`); the paper keeps it constant over 30 epochs, but "
        f"stopped after one or two, a constant rate leaves the last step's test accuracy to "
        f"chance. Otherwise the recipes are those of the network files (the paper's Adam "
        f"for all but fine-tuned MiniLM), as each run's recipe line below shows.\n"
        f"- Each run compiles its network with dreamc (fused regions as compiled kernels), "
        f"2 threads, seeds as listed. Why these sizes: the whole sweep is meant to fit in about "
        f"three hours of a two-core machine; networks this far from convergence compare how "
        f"fast they learn as much as where they end. Run times are as measured, often while "
        f"builds and tests shared the machine, so compare them only roughly.")


def main():
    res = Results()
    runs = plan(1)
    done = sum(1 for r in runs if r["id"] in res.runs)
    runs2 = plan(2)
    done2 = sum(1 for r in runs2 if r["id"] in res.runs)
    notes_by = notes()
    md = ["# Results: the paper's comparisons, reproduced with dreamc", "",
          "Generated by `python experiments/sweep.py report` from the raw results in "
          "`experiments/raw/` (one JSON file per run); do not edit by hand. Two sweeps: "
          f"protocol 2 (issue 26; {done2} of its {len(runs2)} runs done, in progress) and "
          f"protocol 1 (the first, issue 7; {done} of its {len(runs)} runs done). Rows whose "
          "runs are not done say `not run yet`. Test accuracy in %, mean ± standard deviation "
          "over seeds where there are several.", ""]
    md += protocol2.section(res.runs)
    md += ["## Protocol 1 (the first sweep)", "", protocol_text(), ""]
    md += default_recipe_section()
    main_nets = {m: [r["net"] for r in runs
                     if r["group"] == "main" and r["seed"] == 1 and r["modality"] == m]
                 for m in ("vision", "text")}
    main_cells = {m: [res.cell(m, n) for n in nets] for m, nets in main_nets.items()}
    noise = {m: noise_of(*cells) for m, cells in main_cells.items()}

    # 1. The headline comparison.
    rows = [[m, NAMES[n], c.text(), c.n, c.minutes()]
            for m, nets in main_nets.items() for n, c in zip(nets, main_cells[m])]
    headline = table(["data", "network", "test accuracy", "seeds", "minutes per run"], rows)
    md += ["## 1. Chain, SleepNet, DreamNet (3 seeds)", "", headline, ""]
    for m in main_nets:
        md.append(bar_plot(f"main-{m}", f"{m}: chain vs SleepNet-3 vs DreamNet-3",
                           [NAMES[n] for n in main_nets[m]], main_cells[m]))
    md.append("")
    md += ["**Claim: DreamNet beats SleepNet beats the plain chain.**", ""]
    for m in main_nets:
        base, sleep, dream = main_cells[m]
        md.append(f"- {m}: SleepNet-3 over the chain: {verdict(sleep, base, noise[m])}; "
                  f"DreamNet-3 over SleepNet-3: {verdict(dream, sleep, noise[m])}; "
                  f"DreamNet-3 over the chain: {verdict(dream, base, noise[m])}.")
    md += ["", notes_by.get("main", ""), ""]

    # 2. The best vision network.
    best = [(r["net"], res.cell("vision", r["net"], seeds=(1,)))
            for r in runs if r["group"] == "best"]
    md += ["## 2. The best vision network", "",
           table(["network", "test accuracy", "minutes"],
                 [[NAMES[n], c.text(), c.minutes()] for n, c in best]), ""]
    series = [(NAMES[n], c.runs[0]) for n, c in best if c.n]
    if series:
        md.append(curve_plot("best-vision", "Fashion-MNIST, test accuracy per epoch", series))
    top = max((c.mean for _, c in best if c.n), default=None)
    md += ["", "The issue's bar is 92% for the best vision network: "
           + ("not run yet." if top is None else
              f"the best here reaches {top:.2f}%, which "
              + ("meets it." if top >= 92 else "falls short of it.")), "",
           notes_by.get("best", ""), ""]

    # 3. Number of blocks.
    md += ["## 3. The number of blocks", ""]
    for m in ("vision", "text"):
        rows, cells, labels = [], [], []
        for kind in ("sleepnet", "dreamnet"):
            for k in range(1, 5):
                c = res.cell(m, f"{kind}{k}", seeds=(1,))
                rows.append([NAMES[f"{kind}{k}"], c.text(), c.minutes()])
                cells.append(c)
                labels.append(NAMES[f"{kind}{k}"])
        md += [f"**{m}** (seed 1)", "", table(["network", "test accuracy", "minutes"], rows), "",
               bar_plot(f"blocks-{m}", f"{m}: 1 to 4 blocks (seed 1)", labels, cells), ""]
        for kind, part in (("SleepNet", cells[:4]), ("DreamNet", cells[4:])):
            md.append(f"- {m}, {kind}-4 over {kind}-1: {verdict(part[3], part[0], noise[m])}.")
        md.append("")
    md += ["**Claim: more blocks help.** Read with the noise of section 1: one seed each.", "",
           notes_by.get("blocks", ""), ""]

    # 4. Text baselines and the strong reference.
    nets = ["lstm2", "lstm3", "lstm4", "wordcnn", "sleepnet3", "dreamnet3", "minilm"]
    cells = [res.cell("text", n, seeds=(1,)) for n in nets]
    md += ["## 4. Text baselines and fine-tuned MiniLM (seed 1)", "",
           table(["network", "test accuracy", "minutes"],
                 [[NAMES[n], c.text(), c.minutes()] for n, c in zip(nets, cells)]), "",
           bar_plot("text-baselines", "text: baselines, SleepNet-3, DreamNet-3, fine-tuned MiniLM",
                    [NAMES[n] for n in nets], cells), "",
           f"- DreamNet-3 over fine-tuned MiniLM: {verdict(cells[5], cells[6], noise['text'])}.",
           f"- DreamNet-3 over WordCNN: {verdict(cells[5], cells[3], noise['text'])}.", "",
           notes_by.get("baselines", ""), ""]

    # 5.-7. Ablations, each against the same network's seed-1 run.
    def ablation(title, key, rows_spec, claim):
        nonlocal md
        rows, lines, bars = [], [], {}
        for m, net, variant, extra, label in rows_spec:
            ref = res.cell(m, net, extra=(extra[0] if extra else None), seeds=(1,))
            alt = res.cell(m, net, variant, extra[1] if extra else None, seeds=(1,))
            rows.append([m, NAMES[net], ref.text(), alt.text()])
            lines.append(f"- {m} {NAMES[net]}: {claim} — {verdict(ref, alt, noise[m])}"
                         f" ({label}).")
            bars[f"{m} {NAMES[net]}: " + (extra[0] if extra else "paper")] = ref
            bars[f"{m} {NAMES[net]}: " + (extra[1] if extra else variant)] = alt
        md += [f"## {title}", "", table(["data", "network", "paper's choice", "alternative"], rows),
               "", bar_plot(f"ablation-{key}", title.split(". ", 1)[1], list(bars),
                            list(bars.values())),
               "", *lines, "", notes_by.get(key, ""), ""]

    ablation("5. Frozen vs unfrozen encoders (seed 1)", "frozen",
             [("vision", "sleepnet3", "unfrozen", None, "alternative: encoder trainable"),
              ("vision", "dreamnet3", "unfrozen", None, "alternative: autoencoder trainable"),
              ("text", "sleepnet3", "unfrozen", None, "alternative: MiniLM trainable")],
             "frozen beats unfrozen")
    ablation("6. The text bridge: argmax vs differentiable (SleepNet-1, 500 glosses, seed 1)",
             "bridge",
             [("text", "sleepnet1", None, ("argmax", "soft"), "alternative: soft"),
              ("text", "sleepnet1", None, ("argmax", "straight_through"),
               "alternative: straight_through")],
             "the paper's argmax beats the differentiable bridge")
    ablation("7. The paper's connections vs the authors' code's (seed 1)", "connections",
             [("vision", "sleepnet3", "upsample", None, "alternative: upsample + 1×1 adapter"),
              ("vision", "sleepnet3", "shared", None, "alternative: one shared connection"),
              ("vision", "dreamnet3", "shared", None, "alternative: one shared connection"),
              ("text", "sleepnet3", "shared", None, "alternative: one shared connection")],
             "the paper's choice beats the code's")

    md += controls_section(res)
    md += ["## All runs", "", "Each run's recipe as its trainer printed it.", "",
           table(["run", "test accuracy", "minutes", "recipe", "commit"],
                 [[i, f"{100 * r['test_accuracy']:.2f}", f"{r['wall_s']['total_s'] / 60:.1f}",
                   r["recipe"].split(": ", 1)[-1], r["git_commit"][:10]]
                  for i, r in sorted(res.runs.items())]), ""]
    md += ["## How to reproduce", "",
           "```sh\nsource scripts/env.sh\npython experiments/sweep.py start    # background; "
           "resumes where it stopped\npython experiments/sweep.py status\n"
           "python experiments/sweep.py report   # this page\n```", "",
           "Each raw file records its network file, `-D` values, variant edits, seed, protocol, "
           "the trainer's recipe line, per-epoch metrics, wall times, machine and git commit."]
    DOC.write_text(re.sub(r"\n{3,}", "\n\n", "\n".join(md)) + "\n")
    update_readme(headline, done, len(runs))
    print(f"wrote {DOC.relative_to(ROOT)} ({done} of {len(runs)} runs) and {PLOTS.relative_to(ROOT)}/")


def recipe_runs(name, key):
    """experiments/raw/recipe/NAME.json and its test accuracies by
    (run[key], preset); (None, {}) where it does not exist yet."""
    path = RAW / "recipe" / f"{name}.json"
    if not path.exists():
        return None, {}
    raw = json.loads(path.read_text())
    acc = {}
    for r in raw["runs"]:
        acc.setdefault((r[key], r["preset"]), []).append(r["test_accuracy"])
    return raw, acc


def summary_row(label, preset, values):
    """label, preset, mean ± std, the 95% interval and the count of `values`."""
    ci = interval95(values)
    return [label, preset,
            f"{statistics.mean(values):.2f} ± "
            f"{statistics.stdev(values) if len(values) > 1 else 0:.2f}",
            f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "—", len(values)]


def default_recipe_section():
    """The measurement behind `preset default` and `grid_classifier`, from
    experiments/raw/recipe/default-recipe.json (experiments/default_recipe.sh)."""
    md = ["## 0. The default recipe and the vision head", ""]
    raw, acc = recipe_runs("default-recipe", "head")
    if raw is None:
        return md + ["Not run yet: `experiments/default_recipe.sh`.", ""]
    rows = [summary_row(f"`{'grid_classifier' if head == 'grid' else 'classifier'}`",
                        preset, values)
            for (head, preset), values in sorted(acc.items())]
    md += [f"The main job's setting: {raw['network']}; {raw['protocol']}. "
           f"`{raw['command']}` at {raw['commit']} on {raw['machine']}. "
           "Test accuracy in %, mean ± standard deviation over seeds, and the 95% "
           "confidence interval of the mean.", "",
           table(["head", "preset", "test accuracy", "95% interval", "seeds"], rows), ""]
    for label, better, worse in (
            ("the default recipe over the paper's (grid head)",
             ("grid", "default"), ("grid", "paper")),
            ("the default recipe over the paper's (global-pool head)",
             ("pool", "default"), ("pool", "paper")),
            ("the grid head over the global-pool head (default recipe)",
             ("grid", "default"), ("pool", "default"))):
        if better not in acc or worse not in acc:
            continue
        test = welch(acc[better], acc[worse])
        diff = statistics.mean(acc[better]) - statistics.mean(acc[worse])
        if test is None:
            md.append(f"- {label}: {diff:+.2f} points; too few seeds for a test.")
            continue
        shown = "shown" if test[1] < 0.05 and diff > 0 else "not shown"
        md.append(f"- {label}: {diff:+.2f} points, Welch's t = {test[0]:.2f}, "
                  f"p = {test[1]:.2g}: {shown} at the 5% level.")
    md += ["", "The sweep's runs below predate both changes: they trained the global-pool head "
           "with the paper's optimizer and a cosine decay (their commits are in the table of all "
           "runs).", ""]
    return md + default_recipe_text()


def default_recipe_text():
    """The same comparison of recipes on the text chain and SleepNet, from
    experiments/raw/recipe/default-recipe-text.json
    (experiments/default_recipe_text.sh)."""
    raw, acc = recipe_runs("default-recipe-text", "net")
    if raw is None:
        return ["On text: not run yet (`experiments/default_recipe_text.sh`).", ""]
    rows = [summary_row(f"text {NAMES[net]}", preset, values)
            for (net, preset), values in sorted(acc.items())]
    md = [f"On text: {raw['protocol']}. `{raw['command']}` at {raw['commit']} on "
          f"{raw['machine']}.", "",
          table(["network", "recipe", "test accuracy", "95% interval", "seeds"], rows), ""]
    for net in sorted({n for n, _ in acc}):
        better, worse = acc.get((net, "default")), acc.get((net, "paper"))
        if not better or not worse:
            continue
        diff = statistics.mean(better) - statistics.mean(worse)
        test = welch(better, worse)
        if test is None:
            md.append(f"- text {NAMES[net]}, the default recipe over the paper's: "
                      f"{diff:+.2f} points; too few seeds for a test.")
            continue
        shown = "shown" if test[1] < 0.05 else "not shown"
        md.append(f"- text {NAMES[net]}, the default recipe against the paper's: {diff:+.2f} "
                  f"points, Welch's t = {test[0]:.2f}, p = {test[1]:.2g}: a difference "
                  f"{shown} at the 5% level.")
    return md + [""]


def controls_section(res):
    """Section 8: each network of the main comparison against its controls
    (sweep.CONTROLS) and against the chain with as many trainable
    parameters, 3 seeds each, with Welch's test."""
    md = ["## 8. Controls: the pre-training, or the capacity? (3 seeds)", "",
          "Each network against the same network with a frozen *random* encoder "
          "(`weights \"random\"`), with the identity in place of the encoder, with its "
          "connection beside a residual skip, and against the ResNet chain at the width "
          "that gives it as many trainable parameters (`models/vision/*_random.dream`, "
          "`*_identity.dream`, `*_beside_skip.dream`; experiments/sweep.py, CONTROLS). "
          "Compare runs of the same models only: the networks' rows come from the runs of "
          "section 1, which predate the grid head and the default recipe (section 0), so a "
          "verdict needs them run again beside their controls.", ""]
    rows, lines = [], []
    for net, controls in CONTROLS.items():
        base = res.cell("vision", net)
        others = [(NAMES[c], res.cell("vision", c)) for c in controls]
        others.append(("ResNet-3 with as many trainable parameters",
                       res.cell("vision", "resnet", extra=f"matched-{net}")))
        for label, cell in others:
            rows.append([NAMES[net], base.text(), label, cell.text()])
            accuracies = [[100 * r["test_accuracy"] for r in c.runs] for c in (base, cell)]
            test = welch(*accuracies)
            if test is None:
                lines.append(f"- {NAMES[net]} against {label}: not run yet.")
                continue
            diff = statistics.mean(accuracies[0]) - statistics.mean(accuracies[1])
            shown = "shown" if test[1] < 0.05 else "not shown"
            lines.append(f"- {NAMES[net]} against {label}: {diff:+.2f} points, Welch's t = "
                         f"{test[0]:.2f}, p = {test[1]:.2g}: a difference {shown} at the 5% level.")
    return md + [table(["network", "test accuracy", "control", "control's test accuracy"],
                       rows), "", *lines, ""]


def update_readme(headline, done, total):
    text = README.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"report: README.md has no {BEGIN} ... {END} section")
    block = (f"{BEGIN}\n{headline}\n\nFrom [docs/RESULTS.md](docs/RESULTS.md) ({done} of {total} "
             f"runs of the sweep done), which gives the protocol and every comparison.\n{END}")
    README.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text,
                             flags=re.S))


if __name__ == "__main__":
    main()
