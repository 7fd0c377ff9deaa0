#!/usr/bin/env bash
# Sets up the machine, builds the node and runs the Cairn dev chain at ws://127.0.0.1:9944.
# Extra arguments go to the node, for example `scripts/dev.sh --dev-block-time 1000`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"

"$CAIRN_ROOT/scripts/setup.sh"
step "building cairn-node (the first build takes 15 to 30 minutes on two cores)"
cargo build -p cairn-node
step "starting the dev chain: ws://127.0.0.1:9944"
exec "$CAIRN_NODE" --dev "$@"
