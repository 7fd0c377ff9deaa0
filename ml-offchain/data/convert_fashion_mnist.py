#!/usr/bin/env python3
"""Build fashion-mnist.bin: Zalando's Fashion-MNIST (28x28 grey images of clothing, 10 classes)
from Debian's package dataset-fashion-mnist, in Cairn's dataset format (see README.md beside this
script).

    python3 convert_fashion_mnist.py                  # fetches the package with apt-get download
    python3 convert_fashion_mnist.py --dir DIR        # or reads the four .gz files from DIR
                                                      # (the installed package: /usr/share/datasets/fashion-mnist)
    python3 convert_fashion_mnist.py --samples 1200   # a slice for tests: 1,000 training images
                                                      # and 200 test images

The 60,000 training images come first and the 10,000 test images last, so the rule that holds
out the last n / 6 samples holds out the whole test set (and the last 1,666 training images).
A slice of n samples keeps the first n - n / 6 training images and the first n / 6 test images.
Writes the file (default: fashion-mnist.bin next to this script, or fashion-mnist-<n>.bin for a
slice) and prints its size and BLAKE2b-256 hash. Only the standard library is used (plus
apt-get and dpkg-deb when no directory is given).
"""

import argparse
import gzip
import hashlib
import pathlib
import struct
import subprocess
import sys
import tempfile

PACKAGE = "dataset-fashion-mnist"
PACKAGE_DIR = "usr/share/datasets/fashion-mnist"
MAGIC = b"CAIRNDAT"
VERSION = 1
SIDE = 28
FEATURES = SIDE * SIDE
CLASSES = 10
MAX_VALUE = 255
SPLITS = {"train": 60_000, "t10k": 10_000}


def fetch_package(directory: pathlib.Path) -> pathlib.Path:
    """The package's data directory, unpacked under `directory`."""
    subprocess.run(["apt-get", "download", PACKAGE], cwd=directory, check=True)
    debs = sorted(directory.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        sys.exit(f"apt-get download produced no {PACKAGE} package")
    unpacked = directory / "root"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], check=True)
    return unpacked / PACKAGE_DIR


def read_idx(path: pathlib.Path, magic: int, shape: tuple) -> bytes:
    """The payload of an IDX file of unsigned bytes, checked against its header."""
    data = gzip.decompress(path.read_bytes())
    dims = len(shape)
    header = struct.unpack(f">I{dims}I", data[: 4 * (dims + 1)])
    if header != (magic, *shape):
        sys.exit(f"{path}: header {header}, expected {(magic, *shape)}")
    payload = data[4 * (dims + 1):]
    expected = 1
    for size in shape:
        expected *= size
    if len(payload) != expected:
        sys.exit(f"{path}: {len(payload)} bytes of data, expected {expected}")
    return payload


def split(directory: pathlib.Path, name: str):
    """Images and labels of one split, as (bytes of 784 pixels, label) pairs."""
    count = SPLITS[name]
    images = read_idx(directory / f"{name}-images-idx3-ubyte.gz", 0x803, (count, SIDE, SIDE))
    labels = read_idx(directory / f"{name}-labels-idx1-ubyte.gz", 0x801, (count,))
    if any(label >= CLASSES for label in labels):
        sys.exit(f"{name}: a label is not below {CLASSES}")
    return [(images[i * FEATURES:(i + 1) * FEATURES], labels[i]) for i in range(count)]


def encode(samples) -> bytes:
    header = MAGIC + struct.pack("<IIIIB3x", VERSION, len(samples), FEATURES, CLASSES, MAX_VALUE)
    return header + b"".join(pixels + bytes([label]) for pixels, label in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=pathlib.Path, help="a directory holding the four .gz files")
    parser.add_argument("--samples", type=int, help="write a slice of this many samples")
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    total = sum(SPLITS.values())
    if args.samples is not None and not 6 <= args.samples <= total:
        sys.exit(f"--samples must be between 6 and {total}")

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or fetch_package(pathlib.Path(tmp))
        train, test = split(directory, "train"), split(directory, "t10k")
    if args.samples is None:
        samples = train + test
    else:
        held_out = args.samples // 6
        if held_out > len(test):
            sys.exit(f"a slice of {args.samples} would hold out more than the test set")
        samples = train[: args.samples - held_out] + test[:held_out]
    name = "fashion-mnist.bin" if args.samples is None else f"fashion-mnist-{args.samples}.bin"
    out = args.out or pathlib.Path(__file__).resolve().parent / name

    data = encode(samples)
    out.write_bytes(data)
    digest = hashlib.blake2b(data, digest_size=32).hexdigest()
    print(f"{out}: {len(data)} bytes, {len(samples)} samples, blake2b-256 {digest}")


if __name__ == "__main__":
    main()
