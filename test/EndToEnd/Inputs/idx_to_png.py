"""Writes image INDEX of a gzipped IDX image file as a grayscale PNG:
idx_to_png.py IMAGES.gz INDEX OUT.png (a real Fashion-MNIST image for
`trainer dream --input`)."""
import gzip
import struct
import sys
import zlib

path, index, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = gzip.open(path).read()
count, rows, cols = struct.unpack(">III", data[4:16])
start = 16 + index * rows * cols
pixels = data[start:start + rows * cols]
raw = b"".join(b"\0" + pixels[r * cols:(r + 1) * cols] for r in range(rows))


def chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body)))


with open(out, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)))
    f.write(chunk(b"IDAT", zlib.compress(raw)))
    f.write(chunk(b"IEND", b""))
