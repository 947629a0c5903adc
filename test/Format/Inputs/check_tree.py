"""Checks dream-format against the project's own .dream files.

1. Every file of stdlib/, models/ and examples/ is already formatted
   (dream-format --check).
2. Each file, its layout destroyed (indentation and the spaces around
   punctuation removed), formats back to itself byte for byte.
3. Every network of models/ compiled from the destroyed-and-formatted copy
   (with the copy's stdlib) has the plan of the original, source locations
   aside.

Prints one line per failure and a summary per step, for FileCheck.
"""
import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys

TREES = ["stdlib", "models", "examples"]
PUNCTUATION = re.compile(r"\s*([,:=(){}\[\]+*/-]|->)\s*")


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

    for tree in TREES:
        shutil.copytree(args.root / tree, args.work / tree)
    for f in files:
        (args.work / f).write_text(destroy((args.root / f).read_text()))
    subprocess.run([args.dream_format, "-i"] + [str(args.work / f) for f in files], check=True)
    restored = 0
    for f in files:
        if (args.work / f).read_text() == (args.root / f).read_text():
            restored += 1
        else:
            print(f"not restored: {f}")
    print(f"restored {restored} of {len(files)} files")

    networks = [f for f in files if f.parts[0] == "models"
                and re.search(r"^network ", (args.root / f).read_text(), re.M)]
    same = 0
    for f in networks:
        if plan(args.dreamc, args.work / f, args.work / "stdlib") == \
                plan(args.dreamc, args.root / f, args.root / "stdlib"):
            same += 1
        else:
            print(f"plan differs: {f}")
    print(f"same plan for {same} of {len(networks)} networks")


if __name__ == "__main__":
    main()
