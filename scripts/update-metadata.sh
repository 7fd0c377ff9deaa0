#!/usr/bin/env bash
# Regenerates ml-offchain/artifacts/metadata.scale, the runtime metadata from which cairn-worker's
# subxt API is generated at compile time. Starts the already built node (`$CAIRN_NODE`, see env.sh;
# build it first with `cargo build -p cairn-node`) as `--dev --tmp` on free loopback ports, fetches
# the metadata over HTTP JSON-RPC, writes it and stops the node.
#
# The metadata is the newest stable version the runtime offers (`Metadata_metadata_versions`, then
# `Metadata_metadata_at_version`): the version subxt itself fetches at run time. (`state_getMetadata`
# returns V14, which lacks the runtime APIs.) ml-offchain/cairn-worker/tests/metadata.rs fetches it
# the same way and fails when the file is stale.
set -euo pipefail
source "$(dirname "$0")/env.sh"

out="$CAIRN_ROOT/ml-offchain/artifacts/metadata.scale"

if [ ! -x "$CAIRN_NODE" ]; then
	echo "cairn-node not found at $CAIRN_NODE: build it (cargo build -p cairn-node) or set CAIRN_NODE" >&2
	exit 1
fi

# Two distinct free loopback ports: JSON-RPC and p2p.
read -r rpc_port p2p_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')

work="$(mktemp -d -t cairn-metadata.XXXXXX)"
"$CAIRN_NODE" --dev --tmp --rpc-port "$rpc_port" --port "$p2p_port" --no-prometheus --no-telemetry \
	>"$work/node.log" 2>&1 &
node_pid=$!
cleanup() {
	kill "$node_pid" 2>/dev/null || true
	wait "$node_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Calls JSON-RPC method $1 with the JSON array $2 as parameters; prints the response.
rpc() {
	curl -sS --fail --max-time 30 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "http://127.0.0.1:$rpc_port"
}

# Up to a minute for the RPC server to answer.
for attempt in $(seq 120); do
	if rpc system_health '[]' >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$node_pid" 2>/dev/null || [ "$attempt" = 120 ]; then
		echo "cairn-node's RPC server did not answer on port $rpc_port; the node's last lines:" >&2
		tail -n 20 "$work/node.log" >&2
		exit 1
	fi
	sleep 0.5
done

rpc state_call '["Metadata_metadata_versions", "0x"]' >"$work/versions.json"
# The newest stable version (u32::MAX marks the unstable one), SCALE-encoded as a little-endian u32.
version_arg="$(python3 - "$work/versions.json" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))
if "result" not in reply:
    sys.exit("Metadata_metadata_versions failed: %s" % reply.get("error"))
raw = bytes.fromhex(reply["result"][2:])
# Vec<u32>: a compact length (one byte below 64 entries), then the versions.
count = raw[0] >> 2
versions = [int.from_bytes(raw[1 + 4 * i:5 + 4 * i], "little") for i in range(count)]
stable = [v for v in versions if v != 0xFFFFFFFF]
if not stable:
    sys.exit("the runtime offers no stable metadata version: %s" % versions)
print("0x" + max(stable).to_bytes(4, "little").hex())
PY
)"

rpc state_call "[\"Metadata_metadata_at_version\", \"$version_arg\"]" >"$work/metadata.json"
mkdir -p "$(dirname "$out")"
python3 - "$work/metadata.json" "$out" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))
if "result" not in reply:
    sys.exit("Metadata_metadata_at_version failed: %s" % reply.get("error"))
raw = bytes.fromhex(reply["result"][2:])
# Option<Vec<u8>>: 0x01, a compact length, then the metadata bytes.
if raw[:1] != b"\x01":
    sys.exit("the runtime returned no metadata for the version it offered")
mode = raw[1] & 3
if mode == 3:
    sys.exit("metadata longer than 1 GiB")
width = 1 << mode
length = int.from_bytes(raw[1:1 + width], "little") >> 2
body = raw[1 + width:]
if len(body) != length or body[:4] != b"meta":
    sys.exit("malformed metadata: %d bytes for a declared %d" % (len(body), length))
with open(sys.argv[2], "wb") as f:
    f.write(body)
print("%s: metadata V%d, %d bytes" % (sys.argv[2], body[4], len(body)))
PY
