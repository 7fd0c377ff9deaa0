#!/usr/bin/env bash
# Benchmarks Cairn's pallets in the real wasm runtime and regenerates their weights.rs files.
# Usage: scripts/bench-weights.sh [pallet_name ...]   (default: every Cairn pallet)
# Builds a release node with `--features runtime-benchmarks` in its own target directory, so the
# normal build stays cached (cold: about 55 minutes on 2 cores). Prints each benchmark's figures.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"
export CARGO_TARGET_DIR="${CAIRN_BENCH_TARGET_DIR:-$HOME/.cache/cairn-bench-target}"
# frame-benchmarking-cli's storage test runtime is only for `benchmark storage`, which Cairn does
# not run; its wasm build also cannot find itself in this workspace.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1

pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=(pallet_model_registry pallet_compute_staking pallet_tasks pallet_verification)

cargo build --release -p cairn-node --features runtime-benchmarks
for pallet in "${pallets[@]}"; do
	dir="pallets/$(echo "${pallet#pallet_}" | tr _ -)"
	"$CARGO_TARGET_DIR/release/cairn-node" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps 50 \
		--repeat 20 \
		--wasm-execution compiled \
		--template scripts/pallet-weight-template.hbs \
		--output "$dir/src/weights.rs"
done
