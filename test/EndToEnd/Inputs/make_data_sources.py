"""Writes small data sets in the formats `--data` reads (data-sources.test).

usage: make_data_sources.py DIR

DIR/idx: MNIST's IDX layout with 8x8 images of 3 classes (training files
gzipped, test files plain); DIR/images: one folder of 8x8 grey PNGs per
class, no train/test folders; DIR/cifar10: CIFAR-10's binary version
(data_batch_1..5.bin, test_batch.bin) with 3x32x32 images of 10 classes,
DIR/cifar100 the same images in CIFAR-100's (train.bin, test.bin);
DIR/mail: two folders of raw mails (plain, quoted-printable, base64 and
HTML parts); DIR/imdb: the aclImdb layout (train/ and test/, pos/ and neg/,
one review per file). Each class has its own brightness or words, so a
network learns them in a few steps.
"""
import gzip
import os
import struct
import sys
import zlib
import base64

SIDE = 8


def image(label, index):
    """An 8x8 image of class `label`: its brightness, with a little noise."""
    return bytes((60 + 80 * label + (index * 7 + p * 13) % 20) % 256
                 for p in range(SIDE * SIDE))


def idx(dims, data):
    header = struct.pack(">I", 0x0800 | len(dims))
    header += b"".join(struct.pack(">I", d) for d in dims)
    return header + data


def write_idx(root, split, count, opener):
    labels = [i % 3 for i in range(count)]
    pixels = b"".join(image(l, i) for i, l in enumerate(labels))
    with opener(os.path.join(root, split + "-images-idx3-ubyte"), "wb") as f:
        f.write(idx([count, SIDE, SIDE], pixels))
    with opener(os.path.join(root, split + "-labels-idx1-ubyte"), "wb") as f:
        f.write(idx([count], bytes(labels)))


def png(grey, width, height):
    """A grey 8-bit PNG (PNG specification: signature, IHDR, IDAT, IEND)."""
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    rows = b"".join(b"\0" + grey[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


MAILS = {
    "ham": "Meeting about the project budget and the schedule.",
    "spam": "Cheap watches! Buy now, limited offer, click here.",
}


def mail(kind, words, index):
    """A raw mail of one of four encodings."""
    head = f"From: someone{index}@example.org\nSubject: note {index}\n"
    if index % 4 == 0:
        return head + "\n" + words + "\n"
    if index % 4 == 1:
        qp = words.replace("=", "=3D").replace(" ", "=20", 1)
        return head + "Content-Transfer-Encoding: quoted-printable\n\n" + qp + "=\n\n"
    if index % 4 == 2:
        body = base64.b64encode(words.encode()).decode()
        return head + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + body + "\n"
    return (head + 'Content-Type: multipart/alternative; boundary="b"\n\n'
            "--b\nContent-Type: text/html\n\n<p>" + words + "</p>\n--b--\n")


def main(root):
    os.makedirs(os.path.join(root, "idx"))
    write_idx(os.path.join(root, "idx"), "train", 60, gzip.open)
    write_idx(os.path.join(root, "idx"), "t10k", 30, open)
    for label, name in enumerate(["dark", "grey", "light"]):
        folder = os.path.join(root, "images", name)
        os.makedirs(folder)
        for i in range(10):
            with open(os.path.join(folder, f"{i:02}.png"), "wb") as f:
                f.write(png(image(label, i), SIDE, SIDE))
    # CIFAR-10: records of a label byte and 3x32x32 pixels, planes R, G, B;
    # class c is brightness 20 + 23c in its own channel c % 3.
    os.makedirs(os.path.join(root, "cifar10"))
    def cifar(count, offset):
        records = b""
        for i in range(count):
            label = (i + offset) % 10
            planes = [bytes((20 + 23 * label + (i + p) % 7 if c == label % 3 else 10)
                            for p in range(32 * 32)) for c in range(3)]
            records += bytes([label]) + b"".join(planes)
        return records
    for n in range(1, 6):
        with open(os.path.join(root, "cifar10", f"data_batch_{n}.bin"), "wb") as f:
            f.write(cifar(20, n))
    with open(os.path.join(root, "cifar10", "test_batch.bin"), "wb") as f:
        f.write(cifar(20, 0))
    # CIFAR-100: a coarse label byte before the fine one (the class); the
    # same images, classes 0-9 of 100.
    os.makedirs(os.path.join(root, "cifar100"))
    for name, count in (("train.bin", 100), ("test.bin", 20)):
        records = cifar(count, 1 if name == "train.bin" else 0)
        with open(os.path.join(root, "cifar100", name), "wb") as f:
            f.write(b"".join(bytes([19]) + records[i:i + 3073]
                             for i in range(0, len(records), 3073)))
    for split in ("train", "test"):
        for kind, words in (("pos", "a wonderful moving film, great acting"),
                            ("neg", "a dull boring mess, awful script")):
            folder = os.path.join(root, "imdb", split, kind)
            os.makedirs(folder)
            for i in range(8):
                with open(os.path.join(folder, f"{i}_{7 if kind == 'pos' else 2}.txt"), "w") as f:
                    f.write(f"Review {i}: {words}.")
    for kind, words in MAILS.items():
        folder = os.path.join(root, "mail", kind)
        os.makedirs(folder)
        for i in range(10):
            with open(os.path.join(folder, f"{i:02}.eml"), "w") as f:
                f.write(mail(kind, words, i))


if __name__ == "__main__":
    main(sys.argv[1])
