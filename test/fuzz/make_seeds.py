#!/usr/bin/env python3
"""Writes the seed corpora of the reader fuzzers into DIR/<Target>/.

The front end and plan fuzzers are seeded from the repository's .dream
files and plans by scripts/fuzz.sh; the readers' seeds are small valid
(and a few nearly valid) files of each format, in the layouts the tests
use. Standard library only, so that the script runs anywhere.
"""
import gzip
import json
import os
import struct
import sys


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw bytes)."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds(out):
    floats = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    write(out, "f32", safetensors({"w": ("F32", [2, 3], floats)}))
    write(out, "mixed", safetensors({
        "a": ("F64", [2], struct.pack("<2d", 0.5, -1)),
        "b": ("I64", [1, 1], struct.pack("<q", 7)),
        "c": ("BF16", [2], b"\x80\x3f\x00\x40"),
        "d": ("U8", [3], b"abc"),
        "e": ("BOOL", [0], b""),
        "f": ("F16", [], b"\x00\x3c"),
        "g": ("I32", [1], struct.pack("<i", -3)),
    }, {"format": "pt", "step": "12"}))
    write(out, "empty", safetensors({}))


def idx(dims, data):
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + \
        b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def idx_seeds(out):
    # IdxFuzzer reads the expected rank (1 + byte % 3) from the first byte.
    labels = idx([4], [0, 1, 9, 3])
    images = idx([2, 3, 2], range(12))
    write(out, "labels", b"\x00" + labels)
    write(out, "images", b"\x02" + images)
    write(out, "labels.gz", b"\x00" + gzip.compress(labels, mtime=0))
    write(out, "images.gz", b"\x02" + gzip.compress(images, mtime=0))
    write(out, "matrix", b"\x01" + idx([2, 2], [1, 2, 3, 4]))


def csv_seeds(out):
    write(out, "agnews", '"3","Wall St. Bears","Short-sellers, ""bears"", '
          'are back."\n"1","Title","Text\nover two lines"\r\n')
    write(out, "yelp", '"2","Great food"\n"1","Slow ""service"""\n')
    write(out, "plain", "1,a,b\n2,c,d\n")


def mail_seeds(out):
    write(out, "plain", "From: a@b\r\nSubject: hi\r\n\r\nHello\r\nthere\r\n")
    write(out, "qp", "Content-Type: text/plain\nContent-Transfer-Encoding: "
          "quoted-printable\n\ncaf=C3=A9 soft=\nbreak\n")
    write(out, "base64", "Content-Type: text/plain\nContent-Transfer-Encoding:"
          " base64\n\naGVsbG8g\nd29ybGQ=\n")
    write(out, "html", "Content-Type: text/html\n\n<html><style>p{}</style>"
          "<p>A &amp; B&#33;<br>next</p><!-- c --><script>x</script></html>")
    write(out, "multipart",
          'Content-Type: multipart/mixed; boundary="outer"\n\n--outer\n'
          "Content-Type: multipart/alternative; boundary=inner\n\n--inner\n"
          "Content-Type: text/plain\n\nplain version\n--inner\n"
          "Content-Type: text/html\n\n<p>html version</p>\n--inner--\n"
          "--outer\nContent-Type: image/png\nContent-Transfer-Encoding: "
          "base64\n\niVBORw0=\n--outer\nContent-Type: text/plain\n"
          "Content-Disposition: attachment\n\nfile\n--outer--\n")
    write(out, "rfc822", "Content-Type: message/rfc822\n\nSubject: inner\n\n"
          "hello\n")


def tokenizer_seeds(out):
    # A vocabulary, NUL, a text (TokenizerFuzzer.cpp).
    write(out, "pieces", "the\nquick\n##ly\nfox\n##es\n,\n\0The quickly foxes, "
          "jumped!")
    write(out, "unicode", "caf\u00e9\n\u00fcber\n##\u00df\n\0Caf\u00e9 \u00fcber\u00df "
          "\u4e2d\u6587 \U0001F600 e\u0301")
    write(out, "broken", b"a\n##b\n\x00ab \xc3\x28 \xff\xfe \x00\x01\x02 " + b"a" * 300)


def main():
    root = sys.argv[1]
    safetensors_seeds(os.path.join(root, "SafetensorsFuzzer"))
    idx_seeds(os.path.join(root, "IdxFuzzer"))
    csv_seeds(os.path.join(root, "CsvFuzzer"))
    mail_seeds(os.path.join(root, "MailFuzzer"))
    tokenizer_seeds(os.path.join(root, "TokenizerFuzzer"))


if __name__ == "__main__":
    main()
