"""Prints a PNG file's width and height, read from its IHDR chunk."""
import struct
import sys

data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
    sys.exit("not a PNG file: " + sys.argv[1])
width, height = struct.unpack(">II", data[16:24])
print(f"png {width}x{height}")
