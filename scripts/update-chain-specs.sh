#!/usr/bin/env bash
# Regenerates chain-specs/ from the node; node/tests/chain_specs.rs fails when they are stale.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"
cargo build -p cairn-node
"$CAIRN_NODE" build-spec --chain dev --disable-default-bootnode > chain-specs/dev.json
"$CAIRN_NODE" build-spec --chain local --disable-default-bootnode > chain-specs/local.json
echo "chain-specs/dev.json and chain-specs/local.json regenerated"
