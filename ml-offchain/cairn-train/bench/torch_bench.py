"""PyTorch CPU baseline for cairn-train's bench example: the same network (the MLP, or with --cnn
the reference CNN 1x28x28-c8k3p-c8k3p-10), optimizer, batch and step count, on the same
Cairn-format dataset file (`bench --dataset-out PATH` writes it) or, without --dataset, on random
data of the same shape. Prints `torch_samples_per_second=...` on stdout.

    python torch_bench.py --steps 500 [--dataset PATH] [--warmup 100] [--batch 128]
                          [--hidden 256,256 | --cnn] [--threads N]
"""

import argparse
import os
import pathlib
import struct
import sys
import time

import torch


def load(path: pathlib.Path):
    """Training inputs (value / max_value) and labels of a Cairn dataset file (the first n - n/6
    samples, as cairn-train trains on)."""
    data = path.read_bytes()
    magic, version, samples, features, classes, max_value = struct.unpack_from("<8sIIIIB", data)
    if magic != b"CAIRNDAT" or version != 1:
        sys.exit(f"{path}: not a Cairn dataset")
    records = torch.frombuffer(bytearray(data[28:]), dtype=torch.uint8).view(samples, features + 1)
    train = samples - samples // 6
    return records[:train, :features].float() / max_value, records[:train, features].long()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--cnn", action="store_true", help="the reference CNN instead of the MLP")
    parser.add_argument("--samples", type=int, default=60_000, help="without --dataset")
    parser.add_argument("--dataset", type=pathlib.Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    if args.cnn:
        features = 784
        model = torch.nn.Sequential(
            torch.nn.Unflatten(1, (1, 28, 28)),
            torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(8 * 7 * 7, 10),
        )
    else:
        features = 64
        widths = [features, *map(int, args.hidden.split(",")), 10]
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = torch.nn.CrossEntropyLoss()
    if args.dataset:
        inputs, labels = load(args.dataset)
    else:
        inputs, labels = torch.rand(args.samples, features), torch.randint(0, 10, (args.samples,))
    generator = torch.Generator().manual_seed(2)

    def step() -> float:
        index = torch.randint(0, len(labels), (args.batch,), generator=generator)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs[index]), labels[index])
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    started = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    elapsed = time.perf_counter() - started

    rate = args.steps * args.batch / elapsed
    print(f"torch {torch.__version__}: {args.threads} threads, {rate:.0f} samples/s "
          f"({1e3 * elapsed / args.steps:.3f} ms/step), final loss {loss:.4f}", file=sys.stderr)
    print(f"torch_samples_per_second={rate:.1f}")


if __name__ == "__main__":
    main()
