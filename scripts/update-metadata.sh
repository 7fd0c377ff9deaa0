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

work="$(mktemp -d -t cairn-metadata.XXXXXX)"
cleanup() {
	stop_dev_node
	rm -rf "$work"
}
trap cleanup EXIT
start_dev_node

dev_node_rpc state_call '["Metadata_metadata_versions", "0x"]' >"$work/versions.json"
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

dev_node_rpc state_call "[\"Metadata_metadata_at_version\", \"$version_arg\"]" >"$work/metadata.json"
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
