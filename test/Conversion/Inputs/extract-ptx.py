"""Prints the PTX that dream-lower-to-gpu left in the gpu.binary ops of the
MLIR read from stdin, so that lit tests can hand it to ptxas.

MLIR prints the text as a string attribute (`assembly = "..."`) in which
backslash is doubled and every unprintable byte or quote is `\\XX` in hex.
"""
import re
import sys


def unescape(text):
    return re.sub(
        r"\\(\\|[0-9A-Fa-f]{2})",
        lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1), 16)),
        text,
    )


def main():
    objects = re.findall(r'assembly = "([^"]*)"', sys.stdin.read())
    if not objects:
        sys.exit("extract-ptx.py: no gpu.object with PTX assembly in the input")
    for text in objects:
        # The text ends with the NUL byte that cuModuleLoadData wants.
        sys.stdout.write(unescape(text).rstrip("\0"))


if __name__ == "__main__":
    main()
