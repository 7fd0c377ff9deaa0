"""PyTorch CPU baseline for cairn-train's bench example: the same network (the MLP, with --cnn
the reference CNN 1x28x28-c8k3p-c8k3p-10, or with --transformer the byte-level transformer),
optimizer, batch and step count, on the same Cairn-format dataset file (`bench --dataset-out PATH`
writes it) or, without --dataset, on random data of the same shape. Prints
`torch_samples_per_second=...` on stdout, and for the transformer also
`torch_tokens_per_second=...` (samples are sequences of --context tokens).

    python torch_bench.py --steps 500 [--dataset PATH] [--warmup 100] [--batch 128]
                          [--hidden 256,256 | --cnn] [--threads N]
    python torch_bench.py --transformer --steps 500 [--dataset PATH] [--batch 8] [--context T]
                          [--width 64] [--heads 4] [--layers 2] [--ff 256]
                          [--attention sdpa|manual] [--threads N]

The transformer is Cairn's, in shape: pre-LayerNorm, GPT-2 style. Token (256 x d) plus learned
position (T x d) embeddings; per block x += Wo(attention(LN1(x))) + bo, then
x += W2(GELU(W1(LN2(x)) + b1)) + b2 with exact (erf) GELU; attention projects to q, k, v with one
d -> 3d linear layer (q the first d outputs, k the next, v the last), splits each into h heads of
d / h, and applies a causal softmax(q k^T / sqrt(d / h)) v; then a final LayerNorm and a d -> 256
head. LayerNorm eps 1e-5. The loss is the mean cross-entropy over every position of every
sequence against the next byte. The dataset is a language-model dataset (see
ml-offchain/data/README.md): each sample a window of context + 1 bytes, the first context bytes
the input, the window shifted by one the targets. The default attention is
F.scaled_dot_product_attention with is_causal=True (the fused flash-attention CPU kernel, faster
than --attention manual: explicit matmuls, masked fill and softmax).
"""

import argparse
import os
import pathlib
import struct
import sys
import time

import torch
import torch.nn.functional as F


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


def load_windows(path: pathlib.Path):
    """The training windows (the first n - n/6) of a Cairn language-model dataset file, as a
    [windows, context + 1] tensor of byte values."""
    data = path.read_bytes()
    magic, version, samples, features, classes, max_value = struct.unpack_from("<8sIIIIB", data)
    if magic != b"CAIRNDAT" or version != 1:
        sys.exit(f"{path}: not a Cairn dataset")
    if classes != 256 or max_value != 255:
        sys.exit(f"{path}: not a language-model dataset (classes {classes}, max_value {max_value})")
    records = torch.frombuffer(bytearray(data[28:]), dtype=torch.uint8).view(samples, features + 1)
    return records[: samples - samples // 6].long()


class Block(torch.nn.Module):
    """One pre-LayerNorm transformer block: causal self-attention, then a GELU feed-forward."""

    def __init__(self, width: int, heads: int, ff: int, attention: str, context: int):
        super().__init__()
        self.heads, self.attention = heads, attention
        self.ln1 = torch.nn.LayerNorm(width, eps=1e-5)
        self.qkv = torch.nn.Linear(width, 3 * width)
        self.out = torch.nn.Linear(width, width)
        self.ln2 = torch.nn.LayerNorm(width, eps=1e-5)
        self.ff1 = torch.nn.Linear(width, ff)
        self.gelu = torch.nn.GELU(approximate="none")
        self.ff2 = torch.nn.Linear(ff, width)
        above = torch.ones(context, context, dtype=torch.bool).triu(1)
        self.register_buffer("mask", above, persistent=False)

    def forward(self, x):
        batch, length, width = x.shape
        head = width // self.heads
        # [batch, length, 3d] -> three [batch, heads, length, d / h]
        q, k, v = (
            t.view(batch, length, self.heads, head).transpose(1, 2)
            for t in self.qkv(self.ln1(x)).split(width, dim=-1)
        )
        if self.attention == "sdpa":
            ctx = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = (q @ k.transpose(-2, -1)) * head ** -0.5
            scores = scores.masked_fill(self.mask[:length, :length], float("-inf"))
            ctx = scores.softmax(dim=-1) @ v
        x = x + self.out(ctx.transpose(1, 2).reshape(batch, length, width))
        return x + self.ff2(self.gelu(self.ff1(self.ln2(x))))


class Transformer(torch.nn.Module):
    """Byte-level decoder-only transformer: ids [batch, T] -> logits [batch, T, 256]."""

    def __init__(self, context: int, width: int, heads: int, layers: int, ff: int,
                 attention: str, vocab: int = 256):
        super().__init__()
        if width % heads:
            sys.exit("--width must be a multiple of --heads")
        self.tokens = torch.nn.Embedding(vocab, width)
        self.positions = torch.nn.Embedding(context, width)
        self.blocks = torch.nn.ModuleList(
            Block(width, heads, ff, attention, context) for _ in range(layers))
        self.ln = torch.nn.LayerNorm(width, eps=1e-5)
        self.head = torch.nn.Linear(width, vocab)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions.weight[: ids.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--batch", type=int, help="samples (sequences) per step: 128, or 8 "
                        "with --transformer")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--cnn", action="store_true", help="the reference CNN instead of the MLP")
    parser.add_argument("--transformer", action="store_true",
                        help="the byte-level transformer instead of the MLP")
    parser.add_argument("--context", type=int, help="transformer: tokens per sequence (default: "
                        "the dataset's window length minus one, else 64)")
    parser.add_argument("--width", type=int, default=64, help="transformer: model width d")
    parser.add_argument("--heads", type=int, default=4, help="transformer: attention heads")
    parser.add_argument("--layers", type=int, default=2, help="transformer: blocks")
    parser.add_argument("--ff", type=int, default=256, help="transformer: feed-forward width")
    parser.add_argument("--attention", choices=["sdpa", "manual"], default="sdpa",
                        help="transformer: fused causal attention or explicit matmuls")
    parser.add_argument("--samples", type=int, default=60_000, help="without --dataset")
    parser.add_argument("--dataset", type=pathlib.Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    if args.batch is None:
        args.batch = 8 if args.transformer else 128
    windows = load_windows(args.dataset) if args.transformer and args.dataset else None
    if args.context is None:
        args.context = 64 if windows is None else windows.shape[1] - 1

    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    if args.transformer:
        model = Transformer(args.context, args.width, args.heads, args.layers, args.ff,
                            args.attention)
    elif args.cnn:
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
    if args.transformer:
        if windows is not None:
            if windows.shape[1] != args.context + 1:
                sys.exit(f"{args.dataset}: windows of {windows.shape[1]} bytes, "
                         f"expected --context + 1 = {args.context + 1}")
        else:
            windows = torch.randint(0, 256, (args.samples, args.context + 1))
        # Inputs are the first T bytes of a window, targets the window shifted by one.
        inputs, labels = windows[:, :-1], windows[:, 1:]
    elif args.dataset:
        inputs, labels = load(args.dataset)
    else:
        inputs, labels = torch.rand(args.samples, features), torch.randint(0, 10, (args.samples,))
    generator = torch.Generator().manual_seed(2)

    def step() -> float:
        index = torch.randint(0, len(labels), (args.batch,), generator=generator)
        optimizer.zero_grad(set_to_none=True)
        output = model(inputs[index])
        # The transformer's [batch, T, 256] logits: one prediction per position.
        loss = loss_fn(output.reshape(-1, output.shape[-1]), labels[index].reshape(-1))
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
    tokens = f", {rate * args.context:.0f} tokens/s" if args.transformer else ""
    if args.transformer:
        parameters = sum(p.numel() for p in model.parameters())
        print(f"transformer T={args.context} d={args.width} h={args.heads} L={args.layers} "
              f"f={args.ff} ({parameters} parameters), batch {args.batch}, "
              f"{args.attention} attention", file=sys.stderr)
    print(f"torch {torch.__version__}: {args.threads} threads, {rate:.0f} samples/s{tokens} "
          f"({1e3 * elapsed / args.steps:.3f} ms/step), final loss {loss:.4f}", file=sys.stderr)
    print(f"torch_samples_per_second={rate:.1f}")
    if args.transformer:
        print(f"torch_tokens_per_second={rate * args.context:.1f}")


if __name__ == "__main__":
    main()
