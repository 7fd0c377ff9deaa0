#!/usr/bin/env bash
# Training throughput of cairn-train (burn 0.22, `flex` CPU backend) against PyTorch CPU on the
# reference MLP (64-256-256-10, ReLU, Adam 1e-3, batch 128, the same synthetic data for both),
# with WORKLOAD=cnn the reference CNN of the Fashion-MNIST workload (1x28x28-c8k3p-c8k3p-10), or
# with WORKLOAD=transformer the reference byte-level transformer (context 64, width 64, 4 heads,
# 2 layers, feed-forward 256; batch 8 sequences, 512 tokens a step; also reported in tokens/s),
# plus the cost of a checkpoint (canonical encoding + BLAKE2b-256) as a share of training time.
#
#   scripts/bench-training.sh            # STEPS=500 timed steps after 100 warm-up steps
#   STEPS=1000 THREADS=1 scripts/bench-training.sh
#   WORKLOAD=cnn scripts/bench-training.sh
#   WORKLOAD=transformer scripts/bench-training.sh
#
# STEPS + 100 must be a multiple of INTERVAL (default 100). THREADS (default: every core) is
# given to both rayon and PyTorch. PyTorch is installed once into a virtualenv under ~/.cache
# (TORCH_VENV): the CPU-only wheel index first, else the PyPI wheel, which also brings the CUDA
# libraries (about 5 GB). Figures are only comparable on an otherwise idle machine: the script
# prints the load average before and after.
set -euo pipefail

steps=${STEPS:-500}
case ${WORKLOAD:-mlp} in
mlp) network=() ;;
cnn) network=(--cnn) ;;
# Both benches default to the reference shape; the batch (sequences) is given explicitly.
transformer) network=(--transformer --batch 8) ;;
*) echo "WORKLOAD must be mlp, cnn or transformer" >&2 && exit 2 ;;
esac
interval=${INTERVAL:-100}
threads=${THREADS:-$(nproc)}
venv=${TORCH_VENV:-$HOME/.cache/cairn-torch-venv}
# PyTorch's OpenMP threads spin while they wait for each other; when another process holds a core
# (as on a shared build machine) a 2-thread matmul measured 50 times slower than with 1 thread.
# PASSIVE makes them sleep instead, as rayon's threads do.
omp_wait=${OMP_WAIT_POLICY:-PASSIVE}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The worker workspace's target directory (see scripts/env.sh).
export CARGO_TARGET_DIR=${CAIRN_WORKER_TARGET_DIR:-$HOME/.cache/cairn-worker-target}

echo "== building the bench example (release)" >&2
(cd "$root/ml-offchain" && cargo build --locked --release -p cairn-train --example bench >&2)

if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
	echo "== installing PyTorch into $venv" >&2
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --retries 0 --timeout 20 torch \
		--index-url https://download.pytorch.org/whl/cpu >&2 ||
		"$venv/bin/pip" install --quiet torch >&2
fi

value() { sed -n "s/^$1=//p" <<<"$2"; }

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
data=$(mktemp)
trap 'rm -f "$data"' EXIT
burn=$(RAYON_NUM_THREADS=$threads "$CARGO_TARGET_DIR/release/examples/bench" \
	--steps "$steps" --interval "$interval" --warmup 100 --dataset-out "$data" "${network[@]}")
torch=$(OMP_WAIT_POLICY=$omp_wait "$venv/bin/python" -W ignore \
	"$root/ml-offchain/cairn-train/bench/torch_bench.py" --steps "$steps" --warmup 100 --threads "$threads" --dataset "$data" "${network[@]}")
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

burn_rate=$(value burn_samples_per_second "$burn")
torch_rate=$(value torch_samples_per_second "$torch")
share=$(value checkpoint_share "$burn")
echo "threads:                   $threads (PyTorch OMP_WAIT_POLICY=$omp_wait)"
echo "burn (flex) samples/s:     $burn_rate"
echo "torch (CPU) samples/s:     $torch_rate"
if [ "${WORKLOAD:-mlp}" = transformer ]; then
	# Tokens per step: batch x context (512 for the reference shape).
	echo "burn (flex) tokens/s:      $(value burn_tokens_per_second "$burn")"
	echo "torch (CPU) tokens/s:      $(value torch_tokens_per_second "$torch")"
fi
echo "burn/torch ratio:          $(python3 -c "print(f'{$burn_rate / $torch_rate:.2f}')")"
echo "checkpoint + hash:         $(value checkpoint_ms "$burn") ms for $(value checkpoint_bytes "$burn") bytes, every $interval steps"
echo "checkpoint share of time:  $(python3 -c "print(f'{100 * $share:.2f}%')")"
