# Shared settings of the project's scripts; sourced, not run.
# One cargo target directory per workspace, outside the clone, so that builds survive between runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}"
# The wasm builder looks for Cargo.lock above the target directory unless told where it is.
export WASM_BUILD_WORKSPACE_HINT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The runtime wasm embeds source paths (in panic locations); map them to fixed names so that no
# local path ends up on chain.
export WASM_BUILD_RUSTFLAGS="--remap-path-prefix=$WASM_BUILD_WORKSPACE_HINT=/cairn --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src=/registry"
export CAIRN_WORKER_TARGET_DIR="${CAIRN_WORKER_TARGET_DIR:-$HOME/.cache/cairn-worker-target}"
export CAIRN_NODE="${CAIRN_NODE:-$CARGO_TARGET_DIR/debug/cairn-node}"
export CAIRN_WORKER="${CAIRN_WORKER:-$CAIRN_WORKER_TARGET_DIR/debug/cairn-worker}"
CAIRN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CAIRN_ROOT

# Prints a step header and how long the previous step took.
step() {
	local now
	now=$(date +%s)
	if [ -n "${STEP_STARTED:-}" ]; then
		echo "    ($((now - STEP_STARTED)) s)"
	fi
	STEP_STARTED=$now
	echo "==> $*"
}

# Starts `cairn-node --dev --tmp` on free loopback ports in the background and waits (up to a
# minute) for its RPC server. Sets DEV_NODE_PID, DEV_NODE_RPC_PORT and DEV_NODE_LOG; stop it with
# stop_dev_node. Extra arguments go to the node.
start_dev_node() {
	if [ ! -x "$CAIRN_NODE" ]; then
		echo "cairn-node not found at $CAIRN_NODE: build it (cargo build -p cairn-node) or set CAIRN_NODE" >&2
		return 1
	fi
	local p2p_port
	read -r DEV_NODE_RPC_PORT p2p_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')
	DEV_NODE_LOG="$(mktemp -t cairn-dev-node.XXXXXX.log)"
	"$CAIRN_NODE" --dev --tmp --rpc-port "$DEV_NODE_RPC_PORT" --port "$p2p_port" \
		--no-prometheus --no-telemetry "$@" >"$DEV_NODE_LOG" 2>&1 &
	DEV_NODE_PID=$!
	local attempt
	for attempt in $(seq 120); do
		if dev_node_rpc system_health '[]' >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$DEV_NODE_PID" 2>/dev/null || [ "$attempt" = 120 ]; then
			echo "cairn-node's RPC server did not answer on port $DEV_NODE_RPC_PORT; its last lines:" >&2
			tail -n 20 "$DEV_NODE_LOG" >&2
			stop_dev_node
			return 1
		fi
		sleep 0.5
	done
}

# Calls JSON-RPC method $1 with the JSON array $2 as parameters on the dev node; prints the reply.
dev_node_rpc() {
	curl -sS --fail --max-time 30 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" \
		"http://127.0.0.1:$DEV_NODE_RPC_PORT"
}

# Stops the node start_dev_node started and removes its log.
stop_dev_node() {
	if [ -n "${DEV_NODE_PID:-}" ]; then
		kill "$DEV_NODE_PID" 2>/dev/null || true
		wait "$DEV_NODE_PID" 2>/dev/null || true
		rm -f "$DEV_NODE_LOG"
		DEV_NODE_PID=
	fi
}
