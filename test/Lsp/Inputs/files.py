"""dream-lsp on files other than a single clean network: a block with one
shape per instance, an error inside an imported file, a warning, and a
library file without a network. Prints what it found for FileCheck.

usage: files.py INPUTS_DIR STDLIB_DIR  (dream-lsp on PATH)
"""

import pathlib
import sys

from lsp_client import Client, position_of, uri_of

inputs, stdlib = map(pathlib.Path, sys.argv[1:3])
client = Client(["dream-lsp", "--stdlib", str(stdlib)])
client.initialize()

# One value, two shapes: hover lists them by instance, the hint joins them.
path = inputs / "two-widths.dream"
text, uri = path.read_text(), uri_of(path)
assert client.open(uri, text) == []
line, character = position_of(text, "y =")
hover = client.at("textDocument/hover", uri, line, character)
print("hover y:", hover["contents"]["value"].replace("\n", " "))
hints = client.request("textDocument/inlayHint", {
    "textDocument": {"uri": uri},
    "range": {"start": {"line": 0, "character": 0},
              "end": {"line": 20, "character": 0}}})
for hint in hints:
    print("inlay %d: %s" % (hint["position"]["line"] + 1, hint["label"]))

# An error in an imported file shows at the import, pointing into the file.
path = inputs / "imports-typo.dream"
[error] = client.open(uri_of(path), path.read_text())
start = error["range"]["start"]
print("imported error at %d:%d: %s" % (start["line"] + 1,
                                       start["character"] + 1,
                                       error["message"]))
for note in error["relatedInformation"]:
    where = note["location"]
    print("  related %s:%d: %s" % (where["uri"].rsplit("/", 1)[1],
                                   where["range"]["start"]["line"] + 1,
                                   note["message"]))

# A warning keeps its severity.
unused = "network N { input x : tensor[4]  u = x -> relu  return x }\n"
[warning] = client.open(uri_of(inputs / "unused.dream"), unused)
print("severity %d: %s" % (warning["severity"], warning["message"]))

# A library has no network: nothing to report, its blocks still listed.
vision = stdlib / "vision.dream"
assert client.open(uri_of(vision), vision.read_text()) == []
symbols = client.request("textDocument/documentSymbol",
                         {"textDocument": {"uri": uri_of(vision)}})
print("std.vision: 0 diagnostics; blocks:",
      " ".join(symbol["name"] for symbol in symbols))
# A library block whose encoder is a parameter: its connection's encoder and
# adapters are known at call sites only; hover says so instead of failing.
library = ("block stage(ch: int, enc: encoder) {\n"
           "    input h\n"
           "    s = h -> sleep(enc)\n"
           "    return s\n"
           "}\n")
uri = uri_of(inputs / "library.dream")
assert client.open(uri, library) == []
for word in ["sleep(", "stage("]:
    line, character = position_of(library, word)
    hover = client.at("textDocument/hover", uri, line, character)
    print("library hover %s %s" % (word, hover["contents"]["value"].replace("\n", " ")))
print("exit code:", client.shutdown())
