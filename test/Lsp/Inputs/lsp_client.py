"""A small Language Server Protocol client for the dream-lsp tests.

Speaks JSON-RPC with Content-Length framing to a server on its stdin and
stdout. A reader thread queues every message, so that a test waits for a
reply or a notification with a time limit instead of hanging when the
server dies or stays silent.
"""

import json
import pathlib
import queue
import subprocess
import threading

TIMEOUT = 60  # seconds for any one reply


class ServerGone(Exception):
    """The server closed its output or stopped answering."""


class Client:
    def __init__(self, command):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.messages = queue.Queue()
        self.pending = []  # messages read while waiting for another
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def _send(self, message):
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _take(self, wanted):
        """The first message, kept or new, for which `wanted` is true."""
        for message in self.pending:
            if wanted(message):
                self.pending.remove(message)
                return message
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise ServerGone("no reply within %d s" % TIMEOUT)
            if message is None:
                raise ServerGone("the server closed its output")
            if wanted(message):
                return message
            self.pending.append(message)

    def request(self, method, params=None):
        """Sends a request and returns its reply's result; raises on an
        error reply."""
        self.next_id += 1
        ident = self.next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method,
                    "params": params})
        reply = self._take(lambda m: m.get("id") == ident and "method" not in m)
        if "error" in reply:
            raise RuntimeError("%s failed: %s" % (method, reply["error"]))
        return reply.get("result")

    def notify(self, method, params=None):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def notification(self, method):
        """The params of the next notification `method`."""
        return self._take(lambda m: m.get("method") == method)["params"]

    # Conveniences for documents.

    def initialize(self):
        result = self.request("initialize", {
            "processId": None, "rootUri": None, "capabilities": {}})
        self.notify("initialized", {})
        return result

    def open(self, uri, text, version=1):
        """Opens a document and returns its published diagnostics."""
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "dream", "version": version,
            "text": text}})
        return self.diagnostics(uri)

    def change(self, uri, text, version):
        """Replaces a document's text and returns its diagnostics."""
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text}]})
        return self.diagnostics(uri)

    def diagnostics(self, uri):
        while True:
            params = self.notification("textDocument/publishDiagnostics")
            if params["uri"] == uri:
                return params["diagnostics"]

    def at(self, method, uri, line, character, **extra):
        params = {"textDocument": {"uri": uri},
                  "position": {"line": line, "character": character}}
        params.update(extra)
        return self.request(method, params)

    def shutdown(self):
        """shutdown, then exit; returns the server's exit code."""
        self.request("shutdown")
        self.notify("exit")
        self.process.stdin.close()
        return self.process.wait(timeout=TIMEOUT)


def uri_of(path):
    return pathlib.Path(path).resolve().as_uri()


def position_of(text, needle, occurrence=1, offset=0):
    """(line, character) of the `occurrence`-th `needle` in `text`, plus
    `offset` characters; lines and characters from 0 (ASCII text)."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)
