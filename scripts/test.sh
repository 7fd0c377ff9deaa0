#!/usr/bin/env bash
# Sets up the machine and runs every test: pallet, runtime and node tests, the worker's tests, and
# the end-to-end polkadot-js tests against real nodes (the dev chain and a two-validator testnet).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"
started=$(date +%s)

step "setup"
"$CAIRN_ROOT/scripts/setup.sh"

step "building cairn-node"
cargo build -p cairn-node

step "chain tests (pallets, primitives, runtime, node)"
cargo test --workspace

step "benchmark tests (every benchmark of every pallet, once, on the mock runtimes)"
SKIP_WASM_BUILD=1 cargo test --features runtime-benchmarks -p pallet-model-registry \
	-p pallet-compute-staking -p pallet-tasks -p pallet-verification

step "worker build and tests (the metadata check against a dev node)"
trap stop_dev_node EXIT
start_dev_node
# One worker build serves every test: with the test-only `dishonest` feature (`run --cheat`), which
# release builds leave off.
(cd ml-offchain && export CARGO_TARGET_DIR="$CAIRN_WORKER_TARGET_DIR" &&
	cargo build --locked --features cairn-worker/dishonest &&
	cargo test --locked --features cairn-worker/dishonest &&
	CAIRN_NODE_WS="ws://127.0.0.1:$DEV_NODE_RPC_PORT" \
		cargo test --locked --features cairn-worker/dishonest --test metadata -- --ignored)
stop_dev_node

step "end-to-end tests (polkadot-js against real nodes)"
(cd tests && npm ci --no-audit --no-fund && npm test)

step "all tests passed in $(( $(date +%s) - started )) s"
