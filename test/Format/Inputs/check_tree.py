"""Checks dream-format against the project's own .dream files.

1. Every file of stdlib/, models/ and examples/ is already formatted
   (dream-format --check).
2. Each file, its layout destroyed (indentation and the spaces around
   punctuation removed), formats back to itself byte for byte.
3. Each file with comments inserted between its tokens (fixed random
   places: after code, before it, ending a line, on lines of their own)
   formats to a file that is formatted: formatting is idempotent.
4. Every network of models/ compiled from each formatted copy (with the
   copy's stdlib) has the plan of the original, source locations aside.

Prints one line per failure and a summary per step, for FileCheck.
"""
import argparse
import json
import pathlib
import random
import re
import shutil
import subprocess
import sys

TREES = ["stdlib", "models", "examples"]
PUNCTUATION = re.compile(r"\s*(->|[,:=(){}\[\]+*/-])\s*")
BOUNDARY = re.compile(r"\s*(->|[,:=(){}\[\]*])\s*")


def code_and_comment(line):
    """Splits a line at a `//` outside strings."""
    in_string = False
    for i, char in enumerate(line):
        if char == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        if not in_string and line.startswith("//", i):
            return line[:i], line[i:]
    return line, ""


def squeeze(code):
    """Removes the spaces around punctuation outside strings."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', code)
    return "".join(part if part.startswith('"') else PUNCTUATION.sub(r"\1", part)
                   for part in parts)


def comment(code, rng):
    """Comments at random token boundaries outside strings (not around `-`
    and `+`, which numbers such as 1e-5 contain)."""
    def insert(match):
        token, roll = match.group(1), rng.random()
        if roll < 0.15:
            return token + " /* after */ "
        if roll < 0.25:
            return " /* before */" + token
        if roll < 0.35:
            return token + " // ends a line\n"
        if roll < 0.40:
            return token + "\n/* alone */\n"
        return token
    parts = re.split(r'("(?:[^"\\]|\\.)*")', code)
    return "".join(part if part.startswith('"') else BOUNDARY.sub(insert, part)
                   for part in parts)


def commented(text, rng):
    lines = []
    for line in text.splitlines():
        code, trailing = code_and_comment(line)
        lines.append(comment(code, rng) + trailing)
    return "\n".join(lines) + "\n"


def destroy(text):
    """The same tokens with the layout gone (the trees have no block comments)."""
    lines = []
    for line in text.splitlines():
        code, comment = code_and_comment(line.strip())
        lines.append(squeeze(code) + (" " + comment if comment else ""))
    return "\n".join(lines) + "\n"


def plan(dreamc, path, stdlib):
    result = subprocess.run([dreamc, "--emit=plan", "--stdlib", str(stdlib), str(path)],
                            capture_output=True, text=True, check=True)
    return without_locations(json.loads(result.stdout))


def without_locations(value):
    if isinstance(value, dict):
        return {k: without_locations(v) for k, v in value.items() if k not in ("loc", "source")}
    if isinstance(value, list):
        return [without_locations(v) for v in value]
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dream-format", required=True)
    parser.add_argument("--dreamc", required=True)
    parser.add_argument("--root", required=True, type=pathlib.Path)
    parser.add_argument("--work", required=True, type=pathlib.Path)
    args = parser.parse_args()

    files = sorted(p.relative_to(args.root) for tree in TREES
                   for p in (args.root / tree).rglob("*.dream"))
    check = subprocess.run([args.dream_format, "--check"] + [str(args.root / f) for f in files],
                           capture_output=True, text=True)
    sys.stdout.write(check.stdout + check.stderr)
    print(f"checked {len(files)} files, exit status {check.returncode}")

    destroyed, with_comments = args.work / "destroyed", args.work / "commented"
    rng = random.Random(28)
    for copy, rewrite in [(destroyed, destroy),
                          (with_comments, lambda text: commented(text, rng))]:
        for tree in TREES:
            shutil.copytree(args.root / tree, copy / tree)
        for f in files:
            (copy / f).write_text(rewrite((args.root / f).read_text()))
        subprocess.run([args.dream_format, "-i"] + [str(copy / f) for f in files], check=True)

    restored = 0
    for f in files:
        if (destroyed / f).read_text() == (args.root / f).read_text():
            restored += 1
        else:
            print(f"not restored: {f}")
    print(f"restored {restored} of {len(files)} files")

    again = subprocess.run([args.dream_format, "--check"] + [str(with_comments / f) for f in files],
                           capture_output=True, text=True)
    sys.stdout.write(again.stdout + again.stderr)
    print(f"commented and formatted: exit status {again.returncode} from --check")

    networks = [f for f in files if f.parts[0] == "models"
                and re.search(r"^network ", (args.root / f).read_text(), re.M)]
    for copy in [destroyed, with_comments]:
        same = 0
        for f in networks:
            if plan(args.dreamc, copy / f, copy / "stdlib") == \
                    plan(args.dreamc, args.root / f, args.root / "stdlib"):
                same += 1
            else:
                print(f"plan differs: {copy.name}/{f}")
        print(f"{copy.name}: same plan for {same} of {len(networks)} networks")


if __name__ == "__main__":
    main()
