#!/usr/bin/env python3
"""Differential campaign over random networks (dream-smith).

For each seed, dream-smith writes a network that Sema accepts; dreamc
compiles it into a trainer, and `trainer check` runs one step through the
compiled kernels and through their reference steps. Where they agree, the
network's `dreamc --emit=pytorch` module is the third computation:
scripts/export_check.py runs the step `check --dump` wrote through it, in
float32 and float64, against the trainer's float64 reference (--no-export:
not). A finding is:

  generator bug  dream-smith wrote a network that Sema rejects
  crash          dreamc ends other than with exit 0, or exit 1 with a located
                 `file:line:col: error:`: a signal, an assertion, a timeout,
                 an unlocated error, a verifier's dump of an op; or the
                 trainer's `check` ends without printing a verdict
  disagreement   `check` says the compiled kernels DIFFER
  export disagreement
                 export_check.py says the export DIFFERS (or the exported
                 module fails: a crash of export_check)

A failure of a bug already reported (whose shrunk network is in a
regression test) is counted as known, not as a finding. --known FILE
(test/Smith/known-failures.txt) names such bugs by the failure's signature
(the stage, how it ended and its first message, numbers left out), or by a
rewrite, `rewrite OLD NEW`: a failure that goes away when every op OLD of
the network becomes NEW is that bug (the network is judged again).

Counted apart and printed, not findings: a network dreamc refuses with a
located error (a later stage's limit, such as the memory budget; worth a
look, since Sema let it through); one without fused kernels, which `check`
has nothing to compare in (it says so, exit status 2); one whose losses
are not finite or pass 1e6 (unstable: random networks may blow up, and
then the two paths cannot be compared; a NaN may still be a bug). Of the
export oracle: a network whose export dreamc refuses with a located error,
and one whose step draws random numbers (dropout, masking), which the
export draws from another generator (export not comparable).

Each failing network is kept in --keep; the first of each signature is
shrunk (a greedy reducer over its declarations, statements, stages and
arguments) to a smaller network that fails the same way.

usage: scripts/smith.py --seeds A:B [--keep DIR] [--jobs N] [--known FILE]
                          [--no-export]
       scripts/smith.py --shrink FILE.dream   (writes FILE.shrunk.dream)

Prints one line per finding and a summary; exits 1 on any finding.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCATED = re.compile(r"^\S[^\n]*:\d+:\d+: error: ", re.M)

# One trainer at a time per job, on one thread: the campaign shares the
# machine.
ENV = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive")


class Outcome:
    """What happened to one network: `kind` is ok, refused, unchecked,
    unstable, known, crash, disagreement or generator; `signature` tells
    two failures apart while shrinking; `detail` is what the tools
    printed."""

    def __init__(self, kind, signature="", detail=""):
        self.kind, self.signature, self.detail = kind, signature, detail

    def failed(self):
        return self.kind in FINDINGS


FINDINGS = ("crash", "disagreement", "export disagreement", "generator")


def run(command, timeout):
    """(exit status, stdout, stderr); status None after a timeout."""
    try:
        done = subprocess.run(["nice"] + command, capture_output=True,
                              text=True, errors="replace", timeout=timeout,
                              env=ENV)
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        return None, "", "timed out after %d s" % timeout


def normalise(line):
    """A message without the paths and numbers that differ between a
    network and its shrunk version."""
    line = re.sub(r"\S*/", "", line)
    return re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", line).strip()


def first_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "(nothing printed)"


def crash(stage, status, err):
    """A crash of `stage`, named by how it ended."""
    if status is None:
        how = "timeout"
    elif status < 0:
        how = "signal %d" % -status
    else:
        how = "exit %d" % status
    message = first_line(err)
    return Outcome("crash", "%s %s: %s" % (stage, how, normalise(message)),
                   "%s ended with %s: %s" % (stage, how, err.strip()))


# `check`'s line per kind of quantity (Check.cpp, checkObjective).
WORST = re.compile(r"^\s+(?P<kind>.+?)\s+worst error from float64 "
                   r"(?P<error>\S+) compiled \((?P<name>.*)\), \S+ float32 "
                   r"noise, (?P<allowed>\S+) allowed$", re.M)


def apart(pattern, out):
    """The quantities of `pattern`'s lines whose error passes what is
    allowed, by kind and op: `gradients layernorm_N.bias` (the op and
    tensor, without the blocks around it)."""
    found = set()
    for line in pattern.finditer(out):
        if not float(line["error"]) <= float(line["allowed"]):
            name = re.sub(r"^(gradient of |after the step, )", "", line["name"])
            tensor = ".".join(name.split(".")[-2:])
            found.add(" ".join(filter(None, (line.groupdict().get("precision"),
                                              line["kind"],
                                              normalise(tensor)))))
    return ", ".join(sorted(found)) or "none listed"


def disagreement_signature(out):
    """Which quantities `check` found apart, and of which op. A difference
    that is not a number is on no such line."""
    return "disagreement: " + apart(WORST, out)


LOSSES = re.compile(r"loss (\S+) compiled, (\S+) reference")


def finite_losses(out):
    """Whether every loss `check` printed is a number of a sane size: a
    random network may blow up (a loss of 4e17, a NaN), and then its two
    paths cannot be compared."""
    for pair in LOSSES.findall(out):
        for loss in pair:
            try:
                if not abs(float(loss)) < 1e6:
                    return False
            except ValueError:
                return False
    return True


# export_check.py's line per precision and kind of quantity.
EXPORT_WORST = re.compile(r"^\s+(?P<precision>float\d+)\s+(?P<kind>.+?)\s+"
                          r"worst error from float64 (?P<error>\S+) export "
                          r"\((?P<name>.*)\), (?P<allowed>\S+) allowed$", re.M)
# Its lines for a quantity the export lacks, adds or shapes otherwise.
EXPORT_UNLIKE = re.compile(r"^\s+(float\d+: the export.*)$", re.M)


def export_signature(out):
    """Which quantities the export has apart from float64, in which
    precision and of which op, like disagreement_signature."""
    unlike = sorted({normalise(line) for line in EXPORT_UNLIKE.findall(out)})
    listed = apart(EXPORT_WORST, out)
    if listed != "none listed" or not unlike:
        unlike.append(listed)
    return "export disagreement: " + ", ".join(unlike)


def compile_network(network, output, tools, timeout, emit=()):
    """dreamc on `network`: None when it wrote `output`, else the Outcome
    (refused with a located error, or a crash of `stage`)."""
    status, _, err = run([tools["dreamc"], "-j", "1", *emit, network,
                          "-o", output], timeout)
    # An op's dump ("see current operation") is the dialect's verifier
    # speaking: an internal error, even where it is located.
    internal = "see current operation" in err
    if status == 1 and LOCATED.search(err) and not internal:
        message = LOCATED.search(err)
        line = err[message.start():].splitlines()[0]
        return Outcome("refused", "refused: " + normalise(line), err.strip())
    if status != 0:
        return crash(" ".join(["dreamc", *emit]), status, err)
    return None


def judge(network, work, tools, timeout):
    """Compiles `network` into a trainer in `work` and checks it, and its
    PyTorch export where tools["export"] is set."""
    trainer = os.path.join(work, "trainer")
    failed = compile_network(network, trainer, tools, timeout)
    if failed:
        return failed
    dump = os.path.join(work, "check.safetensors")
    dumping = ["--dump", dump] if tools.get("export") else []
    status, out, err = run([trainer, "check", "--threads", "1", "--batch", "4",
                            *dumping], timeout)
    if "DIFFER" in out and not finite_losses(out):
        return Outcome("unstable", "unstable", out.strip())
    if "DIFFER" in out:
        return Outcome("disagreement", disagreement_signature(out), out.strip())
    if status == 2 and "so it needs a trainer compiled by dreamc" in err:
        return Outcome("unchecked", "unchecked", err.strip())
    if status != 0 or "agree with the reference steps" not in out:
        return crash("trainer check", status, err or out)
    return judge_export(network, dump, work, tools, timeout) if dumping \
        else Outcome("ok")


def dump_metadata(path):
    """The metadata of a safetensors file (an 8-byte little-endian header
    length, then a JSON header), read without torch."""
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(length)).get("__metadata__", {})


def judge_export(network, dump, work, tools, timeout):
    """The step `check` dumped through the network's PyTorch export. A step
    with random draws is left out here, before torch starts (a second or
    more a network), as export_check.py would leave it out."""
    if dump_metadata(dump).get("random draws") != "no":
        return Outcome("random", "random")
    module = os.path.join(work, "model.py")
    failed = compile_network(network, module, tools, timeout,
                             emit=("--emit=pytorch",))
    if failed:
        if failed.kind == "refused":
            failed.kind = "no export"
        return failed
    status, out, err = run([*tools["export"], module, dump], timeout)
    if status == 0 and "the export agrees" in out:
        return Outcome("ok")
    if status == 3 and "not comparable" in out:
        return Outcome("random", "random", out.strip())
    if status == 1 and "the export DIFFERS" in out:
        return Outcome("export disagreement", export_signature(out),
                       out.strip())
    stopped = crash("export_check", status, err or out)
    stopped.kind = "export disagreement"
    return stopped


#===--- Shrinking ------------------------------------------------------===#

DECLARATION = re.compile(r"(import|block|encoder|autoencoder|train)\b")
# ` -> stage` that ends a run of stages: followed by another, a bracket
# closing around the pipe, or the end of the line.
STAGE = re.compile(r" -> (repeat\(\d+\) )?[\w.]+(\([^()]*\))?(?= -> |\)|$)")


def declarations(lines):
    """(first, last) line indices of each top-level declaration and import."""
    spans, start = [], None
    for i, line in enumerate(lines):
        if start is None and re.match(DECLARATION, line):
            if line.startswith("import"):
                spans.append((i, i))
                continue
            start = i
        if start is not None and line.startswith("}"):
            spans.append((start, i))
            start = None
    return spans


def drop_declaration(lines, i):
    spans = declarations(lines)
    if i >= len(spans):
        return None
    first, last = spans[i]
    return lines[:first] + lines[last + 1:]


def statements(lines):
    """Indices of the body lines a reducer may touch: lets and emits."""
    return [i for i, line in enumerate(lines)
            if re.match(r"    (\w+ = |emit )", line)]


def drop_statement(lines, i):
    body = statements(lines)
    if i >= len(body):
        return None
    return lines[:body[i]] + lines[body[i] + 1:]


def bypass(lines, i):
    """Removes let `NAME = SOURCE ...` and reads SOURCE where NAME was read
    below it, up to the end of its body."""
    body = statements(lines)
    if i >= len(body):
        return None
    at = body[i]
    match = re.match(r"    (\w+) = \(?(\w+)\b", lines[at])
    if not match or match.group(2) == "collect":
        return None
    name, source = match.groups()
    result = lines[:at]
    for j in range(at + 1, len(lines)):
        line = lines[j]
        if line.startswith("}"):
            result += lines[j:]
            break
        result.append(re.sub(r"\b%s\b" % name, source, line))
    return result


def stage_edits(lines):
    """Every way of removing one ` -> stage` that ends a run of stages."""
    edits = []
    for at, line in enumerate(lines):
        for match in STAGE.finditer(line):
            edits.append((at, match.start(), match.end(), ""))
    return edits


def argument_edits(lines):
    """Every named argument, and every repeat count above 1 (halved)."""
    edits = []
    for at, line in enumerate(lines):
        for match in re.finditer(r", \w+: [^,()]+(?=[,)])", line):
            edits.append((at, match.start(), match.end(), ""))
        for match in re.finditer(r"repeat\((\d+)\)", line):
            count = int(match.group(1))
            if count > 1:
                edits.append((at, match.start(), match.end(),
                              "repeat(%d)" % (count // 2)))
    return edits


def apply_edit(edits):
    def edit(lines, i):
        found = edits(lines)
        if i >= len(found):
            return None
        at, start, end, text = found[i]
        line = lines[at]
        return lines[:at] + [line[:start] + text + line[end:]] + lines[at + 1:]
    return edit


REDUCTIONS = [drop_declaration, bypass, drop_statement,
              apply_edit(stage_edits), apply_edit(argument_edits)]


def shrink(text, fails, budget):
    """A smaller text for which `fails` still holds: each reduction tried at
    each place, kept where the failure stays, until a round changes nothing
    or `budget` tries are spent."""
    lines = text.splitlines()
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for reduce in REDUCTIONS:
            i = 0
            while tries < budget:
                candidate = reduce(lines, i)
                if candidate is None:
                    break
                tries += 1
                if candidate != lines and fails("\n".join(candidate) + "\n"):
                    lines, changed = candidate, True
                else:
                    i += 1
    return "\n".join(lines) + "\n"


#===--- The campaign ---------------------------------------------------===#

def campaign_seed(seed, tools, args):
    """Generates, judges and (if it fails) keeps and shrinks one network."""
    with tempfile.TemporaryDirectory(prefix="smith-") as work:
        status, _, err = run([tools["dream-smith"], "--seed", str(seed),
                              "-o", work], args.timeout)
        network = os.path.join(work, "smith-%d.dream" % seed)
        if status == 1 and "generator bug" in err:
            outcome = Outcome("generator", "generator", err.strip())
        elif status != 0:
            outcome = crash("dream-smith", status, err)
        else:
            outcome = judge(network, work, tools, args.timeout)
        known = outcome.failed() and known_as(network, outcome, work, tools,
                                              args)
        if known:
            outcome.kind, outcome.signature = "known", known
        if outcome.failed():
            keep(seed, network, outcome, tools, args)
        return seed, outcome


SHRUNK = set()
SHRUNK_LOCK = threading.Lock()


def first_of_its_kind(signature):
    """Whether no other network of the campaign failed this way yet: only
    the first is shrunk, as the others would most likely shrink to it."""
    with SHRUNK_LOCK:
        new = signature not in SHRUNK
        SHRUNK.add(signature)
        return new


def keep(seed, network, outcome, tools, args):
    """Copies the failing network and its log to --keep, with a shrunk copy
    of the first crash or disagreement of each signature."""
    os.makedirs(args.keep, exist_ok=True)
    stem = os.path.join(args.keep, "smith-%d" % seed)
    if os.path.exists(network):
        shutil.copy(network, stem + ".dream")
    with open(stem + ".log", "w") as log:
        log.write(outcome.detail + "\n")
    if outcome.kind == "generator" or args.shrink_budget == 0 or \
            not first_of_its_kind(outcome.signature):
        return
    with tempfile.TemporaryDirectory(prefix="smith-shrink-") as work:
        def fails(text):
            candidate = os.path.join(work, "smith-%d.dream" % seed)
            with open(candidate, "w") as f:
                f.write(text)
            again = judge(candidate, work, tools, args.timeout)
            return again.signature == outcome.signature
        with open(network) as f:
            shrunk = shrink(f.read(), fails, args.shrink_budget)
    with open(stem + ".shrunk.dream", "w") as f:
        f.write(shrunk)


def shrink_file(path, tools, args):
    """Judges one network and, if it fails, writes a shrunk copy beside it."""
    if not os.path.isfile(path):
        sys.exit("smith.py: cannot read '%s'" % path)
    with tempfile.TemporaryDirectory(prefix="smith-") as work:
        outcome = judge(path, work, tools, args.timeout)
        print("%s: %s" % (path, outcome.signature or outcome.kind))
        if not outcome.failed():
            return 0

        def fails(text):
            candidate = os.path.join(work, os.path.basename(path))
            with open(candidate, "w") as f:
                f.write(text)
            return judge(candidate, work, tools, args.timeout).signature == \
                outcome.signature
        with open(path) as f:
            shrunk = shrink(f.read(), fails, args.shrink_budget)
    target = re.sub(r"\.dream$", "", path) + ".shrunk.dream"
    with open(target, "w") as f:
        f.write(shrunk)
    print("shrunk to %d lines: %s" % (len(shrunk.splitlines()), target))
    return 1


def parse_seeds(text):
    first, _, last = text.partition(":")
    if not first.isdigit() or not last.isdigit() or int(last) <= int(first):
        sys.exit("smith.py: --seeds takes A:B with A < B (seeds A to B-1), "
                 "not '%s'" % text)
    return range(int(first), int(last))


def read_known(path):
    """The signatures and the rewrites (OLD, NEW) of a --known file."""
    signatures, rewrites = set(), []
    if not path:
        return signatures, rewrites
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            if words[0] == "rewrite" and len(words) == 3:
                rewrites.append((words[1], words[2]))
            else:
                signatures.add(line)
    return signatures, rewrites


def known_as(network, outcome, work, tools, args):
    """How the failure of `network` is known, or None: its signature is
    listed, or it goes away under a listed rewrite."""
    if outcome.signature in args.known_signatures:
        return outcome.signature
    with open(network) as f:
        text = f.read()
    for old, new in args.known_rewrites:
        pattern = r"\b%s\b" % re.escape(old)
        if not re.search(pattern, text):
            continue
        rewritten = os.path.join(work, "rewritten.dream")
        with open(rewritten, "w") as f:
            f.write(re.sub(pattern, new, text))
        if not judge(rewritten, work, tools, args.timeout).failed():
            return "%s, gone with %s for %s" % (outcome.signature, new, old)
    return None


def tools_in(build, export):
    tools = {name: os.path.join(build, "compiler", name)
             for name in ("dreamc", "dream-smith")}
    for name, path in tools.items():
        if not os.access(path, os.X_OK):
            sys.exit("smith.py: no %s in %s/compiler: build it with "
                     "scripts/build.sh (dreamc, dream-smith and the runtime)"
                     % (name, build))
    if export:
        status, _, err = run([sys.executable, "-c",
                              "import torch, safetensors"], 120)
        if status != 0:
            sys.exit("smith.py: the export oracle runs the exported module "
                     "with torch and safetensors, which %s cannot import "
                     "(%s): run `source scripts/env.sh` first, or give "
                     "--no-export" % (sys.executable, first_line(err)))
        tools["export"] = [sys.executable,
                           os.path.join(ROOT, "scripts", "export_check.py")]
    return tools


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", help="A:B, the seeds A to B-1")
    parser.add_argument("--shrink", metavar="FILE",
                        help="shrink this failing network instead")
    parser.add_argument("--keep", default=os.path.join(ROOT, "build", "smith"),
                        help="where failing networks go (default build/smith)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="networks at once (default 1)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="the build folder (default build)")
    parser.add_argument("--timeout", type=int, default=300,
                        help="seconds a tool may run (default 300)")
    parser.add_argument("--known",
                        help="a file of known failures' signatures, one a line")
    parser.add_argument("--shrink-budget", type=int, default=400,
                        help="networks tried while shrinking one (0: none)")
    parser.add_argument("--no-export", dest="export", action="store_false",
                        help="leave out the third computation, the network's "
                        "PyTorch export")
    args = parser.parse_args()
    tools = tools_in(args.build, args.export)
    if args.shrink:
        return shrink_file(args.shrink, tools, args)
    if not args.seeds:
        parser.error("give --seeds A:B, or --shrink FILE")
    seeds = parse_seeds(args.seeds)
    args.keep = os.path.abspath(args.keep)
    args.known_signatures, args.known_rewrites = read_known(args.known)

    start = time.time()
    counts = {}
    with concurrent.futures.ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        for seed, outcome in pool.map(
                lambda s: campaign_seed(s, tools, args), seeds):
            counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
            if outcome.failed():
                print("seed %d: %s: %s (kept in %s/smith-%d.*)\n  signature: %s"
                      % (seed, outcome.kind, first_line(outcome.detail),
                         args.keep, seed, outcome.signature), flush=True)
            elif outcome.kind == "known":
                print("seed %d: known: %s" % (seed, outcome.signature),
                      flush=True)
            elif outcome.kind == "unstable":
                print("seed %d: unstable: %s" % (
                    seed, LOSSES.search(outcome.detail).group(0)), flush=True)
            elif outcome.kind in ("refused", "no export"):
                # Not a finding, but what Sema let through and a later
                # stage refused is worth a look.
                print("seed %d: %s: %s" % (seed, outcome.kind,
                                           first_line(outcome.detail)),
                      flush=True)
    print("smith: %d networks, %d crashes, %d disagreements, "
          "%d generator bugs, %d export disagreements, "
          "%d known failures, %d refused with a located error, %d without "
          "kernels to check, %d unstable; export: %d compared, %d not "
          "comparable (random draws), %d refused; %.1f s" % (
              len(seeds), counts.get("crash", 0), counts.get("disagreement", 0),
              counts.get("generator", 0), counts.get("export disagreement", 0),
              counts.get("known", 0),
              counts.get("refused", 0), counts.get("unchecked", 0),
              counts.get("unstable", 0),
              counts.get("ok", 0) + counts.get("export disagreement", 0)
              if args.export else 0,
              counts.get("random", 0), counts.get("no export", 0),
              time.time() - start))
    return 1 if any(counts.get(kind) for kind in FINDINGS) else 0


if __name__ == "__main__":
    sys.exit(main())
