"""dream-lsp on hostile and half-typed sources: every reply arrives.

Feeds every file under the given directories (the front end's tests, error
tests included) to one server as an editor would while typing: opened
empty, then grown line by line with didChange, asking at each step for
hover, definition, completion, inlay hints and symbols where the text
ends. Then the protocol's own edge cases: positions past the end,
documents never opened, malformed parameters. The server must answer
everything and exit with 0 after shutdown.

usage: hostile.py SCRATCH DIR...  (dream-lsp on PATH; SCRATCH: a directory
for files that the edge cases import)
"""

import pathlib
import sys

from lsp_client import Client

requests = 0


def ask_everything(client, uri, line, character):
    global requests
    for method in ["textDocument/hover", "textDocument/definition",
                   "textDocument/completion"]:
        client.at(method, uri, line, character)
    client.request("textDocument/inlayHint", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0},
                  "end": {"line": line + 1, "character": 0}}})
    client.request("textDocument/documentSymbol",
                   {"textDocument": {"uri": uri}})
    requests += 5


def type_file(client, path):
    """Opens `path` empty and types it in, a line at a time."""
    # What an editor would send: text, with undecodable bytes replaced.
    text = path.read_bytes().decode("utf-8", errors="replace")
    uri = path.resolve().as_uri()
    client.open(uri, "")
    lines = text.splitlines(keepends=True)
    for count in range(1, len(lines) + 1):
        prefix = "".join(lines[:count])
        client.change(uri, prefix, count + 1)
        last = lines[count - 1].rstrip("\r\n")
        ask_everything(client, uri, count - 1, len(last.encode("utf-16-le")) // 2)
        # The middle of the line: inside names and argument lists.
        ask_everything(client, uri, count - 1, len(last) // 2)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    client.diagnostics(uri)  # Closing clears them.
    return len(lines)


def protocol_edge_cases(client, scratch):
    global requests
    # Files on disk are not the editor's: an import may read any bytes.
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "latin1.dream").write_bytes(b"block b { input x // caf\xe9\n return x }\n")
    (scratch / "nul.dream").write_bytes(b"block b {\0}\n")
    importer = (scratch / "importer.dream").resolve().as_uri()
    client.open(importer, 'import "latin1.dream"\nimport "nul.dream"\n'
                'network N { input x : tensor[4]  return x -> b }\n')
    ask_everything(client, importer, 2, 40)
    uri = pathlib.Path("/nonexistent/never-opened.dream").as_uri()
    ask_everything(client, uri, 0, 0)  # Never opened.
    client.open(uri, "network N { input x : tensor[4]  return x }\n")
    for line, character in [(0, 10**6), (10**6, 0), (2**31 - 1, 2**31 - 1)]:
        ask_everything(client, uri, line, character)
    for params in [{}, {"textDocument": {"uri": uri}},
                   {"textDocument": {"uri": 7}, "position": "here"}]:
        try:
            client.request("textDocument/hover", params)
        except RuntimeError:
            pass  # An error reply is an answer.
        requests += 1
    for text in ["(" * 100000, "network N {" + "\0" * 64, "é" * 100000,
                 "block b { input x return x -> " + "b -> " * 5000 + "}"]:
        client.change(uri, text, 2)
        ask_everything(client, uri, 0, len(text) // 2)


client = Client(["dream-lsp"])
client.initialize()
files = lines = 0
for directory in sys.argv[2:]:
    for path in sorted(pathlib.Path(directory).rglob("*")):
        if path.is_file():
            lines += type_file(client, path)
            files += 1
protocol_edge_cases(client, pathlib.Path(sys.argv[1]))
assert client.process.poll() is None, "the server is still running"
print("typed %d files, %d lines; %d requests answered" % (files, lines, requests))
print("exit code:", client.shutdown())
