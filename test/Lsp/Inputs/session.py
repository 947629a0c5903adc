"""A scripted editing session with dream-lsp on the vision DreamNet-3.

Opens models/vision/dreamnet3.dream, edits it into errors and back, and asks
for hover, definitions, completion, inlay hints and symbols, checking the
replies against the file and against dreamc's own plan. Prints what it
found for FileCheck; every check that fails raises.

usage: session.py MODELS_DIR STDLIB_DIR  (dream-lsp and dreamc on PATH)
"""

import json
import pathlib
import re
import subprocess
import sys

from lsp_client import Client, position_of, uri_of

models, stdlib = map(pathlib.Path, sys.argv[1:3])
path = models / "vision" / "dreamnet3.dream"
text = path.read_text()
uri = uri_of(path)


def line_of(file, needle):
    """0-based line of the first line of `file` containing `needle`."""
    lines = pathlib.Path(file).read_text().splitlines()
    return next(i for i, line in enumerate(lines) if needle in line)


def labels(completion):
    return {item["label"] for item in completion["items"]}


def hover(needle, occurrence=1, offset=0, source=None):
    line, character = position_of(source or text, needle, occurrence, offset)
    reply = client.at("textDocument/hover", uri, line, character)
    return reply["contents"]["value"] if reply else None


client = Client(["dream-lsp", "--stdlib", str(stdlib)])
capabilities = client.initialize()["capabilities"]
print("capabilities:", " ".join(sorted(capabilities)))

# Diagnostics: none, then an error with its note, then none again.
assert client.open(uri, text) == [], "the model checks cleanly"
print("open: 0 diagnostics")
typo = text.replace("grid_classifier(classes)", "grid_clasifier(classes)")
[error] = client.change(uri, typo, 2)
line, character = position_of(typo, "grid_clasifier")
assert error["range"] == {
    "start": {"line": line, "character": character},
    "end": {"line": line, "character": character + len("grid_clasifier")}}, error
print("typo: %s at %d:%d-%d; note: %s" % (
    error["message"], line + 1, character + 1,
    error["range"]["end"]["character"] + 1,
    error["relatedInformation"][0]["message"]))
mismatch = text.replace("(h + dreams)", "(h + x)")
[error] = client.change(uri, mismatch, 3)
for note in error["relatedInformation"]:
    start = note["location"]["range"]["start"]
    print("add note: %s at %d:%d" % (
        note["message"], start["line"] + 1, start["character"] + 1))
assert client.change(uri, text, 4) == [], "the fix clears the diagnostics"
print("fixed: 0 diagnostics")

# Hover: shapes, and what a block application and the network cost.
print("hover dreams:", hover("dreams ="))
print("hover x:", hover("x ->"))
block = hover("dream_block(width)")
print("hover dream_block:", block.replace("\n\n", " | "))
network = hover("DreamNet(")
plan = json.loads(subprocess.run(
    ["dreamc", "--emit=plan", "--stdlib", str(stdlib), str(path)],
    check=True, capture_output=True, text=True).stdout)["cost"]
trainable, frozen = (int(n.replace(",", "")) for n in re.search(
    r"parameters: ([\d,]+) trainable, ([\d,]+) frozen", network).groups())
assert (trainable, frozen) == (plan["params_trainable"],
                               plan["params_frozen"]), (network, plan)
print("network parameters equal the plan's: %d trainable, %d frozen" %
      (trainable, frozen))
print("hover sum:", hover("-> sum", offset=3))

# Definitions: a block of an imported file, a std block, an import.
for needle, target, declared in [
        ("dream_block(width)", models / "vision" / "dream_connection.dream",
         "block dream_block"),
        ("conv_norm_relu", stdlib / "vision.dream", "block conv_norm_relu"),
        ("std.vision", stdlib / "vision.dream", None)]:
    line, character = position_of(text, needle)
    [location] = client.at("textDocument/definition", uri, line, character)
    assert location["uri"] == uri_of(target), location
    expected = line_of(target, declared) if declared else 0
    assert location["range"]["start"]["line"] == expected, (location, expected)
    print("definition of %s: %s:%d" % (
        needle.split("(")[0], target.name,
        location["range"]["start"]["line"] + 1))

# Completion in a half-typed line (the file does not parse): stages after
# `->`, then the named arguments of a block, an op and a connection.
for typed, wanted in [("h -> con", {"conv_norm_relu", "conv", "conv1d"}),
                      ("h -> conv_norm_relu(", {"ch", "k"}),
                      ("h -> conv(8, ", {"out", "k", "stride", "pad"}),
                      ("h -> dream(", {"encoder", "adapter", "share"})]:
    edited = text.replace("    return", "    z = " + typed + "\n    return")
    client.change(uri, edited, 5)
    line, character = position_of(edited, typed, offset=len(typed))
    found = labels(client.at("textDocument/completion", uri, line, character))
    assert wanted <= found, (typed, wanted - found)
    print("complete %r: %s" % (typed, " ".join(sorted(wanted))))
client.change(uri, text, 6)

hints = client.request("textDocument/inlayHint", {
    "textDocument": {"uri": uri},
    "range": {"start": {"line": 0, "character": 0},
              "end": {"line": len(text.splitlines()), "character": 0}}})
for hint in hints:
    position = hint["position"]
    assert text.splitlines()[position["line"]][:position["character"]] \
        .rstrip().endswith(")"), hint
    print("inlay %d:%d %s" % (position["line"] + 1, position["character"] + 1,
                              hint["label"]))

symbols = client.request("textDocument/documentSymbol",
                         {"textDocument": {"uri": uri}})
for symbol in symbols:
    print("symbol %s (%s) lines %d-%d: %s" % (
        symbol["name"], symbol["detail"], symbol["range"]["start"]["line"] + 1,
        symbol["range"]["end"]["line"] + 1,
        " ".join(child["name"] for child in symbol.get("children", []))))

print("exit code:", client.shutdown())
