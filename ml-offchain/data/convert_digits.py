#!/usr/bin/env python3
"""Reproduce digits.bin: the 8x8 handwritten digits from the scikit-learn wheel, in Cairn's
dataset format (see README.md beside this script).

    python3 convert_digits.py                 # downloads the pinned scikit-learn wheel with pip
    python3 convert_digits.py --wheel PATH    # or reads a wheel you already have

Writes digits.bin next to this script and prints its size and BLAKE2b-256 hash. Only the
standard library is used (plus `pip download` when no wheel is given).
"""

import argparse
import gzip
import hashlib
import pathlib
import struct
import subprocess
import sys
import tempfile
import zipfile

SKLEARN = "scikit-learn==1.9.1"
MEMBER = "sklearn/datasets/data/digits.csv.gz"
MAGIC = b"CAIRNDAT"
VERSION = 1
FEATURES = 64
CLASSES = 10
MAX_VALUE = 16
SAMPLES = 1797


def download_wheel(directory: pathlib.Path) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", SKLEARN, "--no-deps", "--only-binary=:all:",
         "-d", str(directory)],
        check=True,
    )
    wheels = sorted(directory.glob("scikit_learn-*.whl"))
    if not wheels:
        sys.exit("pip download produced no scikit-learn wheel")
    return wheels[0]


def rows(wheel: pathlib.Path):
    with zipfile.ZipFile(wheel) as archive:
        text = gzip.decompress(archive.read(MEMBER)).decode("ascii")
    for number, line in enumerate(text.strip().splitlines(), start=1):
        values = [int(float(field)) for field in line.split(",")]
        if len(values) != FEATURES + 1:
            sys.exit(f"line {number}: {len(values)} fields, expected {FEATURES + 1}")
        *pixels, label = values
        if not all(0 <= p <= MAX_VALUE for p in pixels) or not 0 <= label < CLASSES:
            sys.exit(f"line {number}: value out of range")
        yield pixels, label


def encode(samples) -> bytes:
    header = MAGIC + struct.pack("<IIIIB3x", VERSION, len(samples), FEATURES, CLASSES, MAX_VALUE)
    body = b"".join(bytes(pixels) + bytes([label]) for pixels, label in samples)
    return header + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=pathlib.Path, help="a scikit-learn wheel to read")
    parser.add_argument("--out", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent / "digits.bin")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(pathlib.Path(tmp))
        samples = list(rows(wheel))
    if len(samples) != SAMPLES:
        sys.exit(f"{len(samples)} samples, expected {SAMPLES}")

    data = encode(samples)
    args.out.write_bytes(data)
    digest = hashlib.blake2b(data, digest_size=32).hexdigest()
    print(f"{args.out}: {len(data)} bytes, blake2b-256 {digest}")


if __name__ == "__main__":
    main()
