#!/usr/bin/env bash
# Installs what building and testing Cairn needs on a Debian machine: protoc (for sc-network),
# the wasm32v1-none target (for the runtime), Node.js with npm (for the polkadot-js tests) and
# qemu-user (the worker's test of exactness across CPU models).
set -euo pipefail

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v curl >/dev/null || missing+=(curl)
# The worker's exactness test runs it as other CPU models.
[ "$(uname -m)" != x86_64 ] || command -v qemu-x86_64 >/dev/null || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
	echo "==> installing ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32v1-none; then
	echo "==> adding the wasm32v1-none target"
	rustup target add wasm32v1-none
fi
