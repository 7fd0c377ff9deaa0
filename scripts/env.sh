# Shared settings of the project's scripts; sourced, not run.
# One cargo target directory per workspace, outside the clone, so that builds survive between runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cairn-target}"
# The wasm builder looks for Cargo.lock above the target directory unless told where it is.
export WASM_BUILD_WORKSPACE_HINT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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
