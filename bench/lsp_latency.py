#!/usr/bin/env python3
"""How long dream-lsp takes to answer an edit.

For every .dream file under models/, opens it in one dream-lsp and sends
--rounds didChange edits (the file's text with a blank line added or
removed, so every edit is a real change); the latency of an edit is the
time from sending it to receiving its publishDiagnostics, which comes after
the whole file and its imports are checked again. Prints each file's median
and the median and maximum over files. The goal is an answer within 100 ms
(docs/editors.md records the numbers).

usage: bench/lsp_latency.py [--server PATH] [--rounds N]
(run after `source scripts/env.sh` and a build)
"""
import argparse
import pathlib
import statistics
import sys
import time

root = pathlib.Path(__file__).resolve().parent.parent
# The tests' client: Content-Length framed JSON-RPC over the server's pipes.
sys.path.insert(0, str(root / "test" / "Lsp" / "Inputs"))
from lsp_client import Client, uri_of  # noqa: E402


def edit_latencies(client, path, rounds):
    text = path.read_text()
    uri = uri_of(path)
    client.open(uri, text)
    latencies = []
    for version in range(2, rounds + 2):
        edited = text + "\n" if version % 2 == 0 else text
        start = time.perf_counter()
        client.change(uri, edited, version)
        latencies.append(time.perf_counter() - start)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    client.diagnostics(uri)
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=str(root / "build" / "compiler" /
                                                "dream-lsp"))
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()

    client = Client([args.server])
    client.initialize()
    medians = {}
    for path in sorted((root / "models").rglob("*.dream")):
        latencies = edit_latencies(client, path, args.rounds)
        medians[path.relative_to(root)] = statistics.median(latencies)
    client.shutdown()

    for path, median in medians.items():
        print("%-45s %7.1f ms" % (path, median * 1000))
    values = list(medians.values())
    slowest = max(medians, key=medians.get)
    print("%d files, %d edits each: median %.1f ms, max %.1f ms (%s)" % (
        len(values), args.rounds, statistics.median(values) * 1000,
        max(values) * 1000, slowest))


if __name__ == "__main__":
    main()
