//! The chain specs in `chain-specs/` are the ones the node generates: a stale copy fails here.
//! Regenerate them with `scripts/update-chain-specs.sh`.
//!
//! Genesis, properties and boot settings must match byte for byte. The runtime wasm must match in
//! what it exposes (runtime version and full metadata) rather than in its bytes: cargo hashes the
//! absolute paths of the runtime's path dependencies into symbol names, so two checkouts at
//! different paths build wasm that differs in layout only.

use sc_executor::WasmExecutor;
use sc_executor_common::runtime_blob::RuntimeBlob;
use serde_json::Value;
use std::{path::PathBuf, process::Command};

/// The JSON pointer of the runtime code inside a (non-raw) chain spec.
const CODE: &str = "/genesis/runtimeGenesis/code";

fn generated(chain: &str) -> Value {
	let output = Command::new(env!("CARGO_BIN_EXE_cairn-node"))
		.args(["build-spec", "--chain", chain, "--disable-default-bootnode"])
		.output()
		.expect("cairn-node runs");
	assert!(
		output.status.success(),
		"build-spec failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	serde_json::from_slice(&output.stdout).expect("the spec is JSON")
}

/// Removes the runtime code from a spec and returns it as bytes.
fn take_code(spec: &mut Value) -> Vec<u8> {
	let code = spec
		.pointer_mut(CODE)
		.map(Value::take)
		.expect("the spec holds the runtime code");
	sp_core::bytes::from_hex(code.as_str().expect("the code is a hex string"))
		.expect("the code is valid hex")
}

/// What a runtime exposes to the outside: its version and its metadata, as the runtime returns them.
fn interface(code: &[u8]) -> (Vec<u8>, Vec<u8>) {
	let executor = WasmExecutor::<sp_io::SubstrateHostFunctions>::builder().build();
	let call = |export: &str| {
		let blob = RuntimeBlob::uncompress_if_needed(code).expect("the code is a wasm runtime");
		let mut externalities = sp_io::TestExternalities::default();
		executor
			.uncached_call(blob, &mut externalities.ext(), false, export, &[])
			.unwrap_or_else(|e| panic!("{export} fails: {e}"))
	};
	(call("Core_version"), call("Metadata_metadata"))
}

fn assert_current(chain: &str, file: &str) {
	let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../chain-specs").join(file);
	let stale =
		|| format!("{} is stale: run scripts/update-chain-specs.sh and commit it", path.display());
	let text = std::fs::read_to_string(&path)
		.unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
	let mut committed: Value = serde_json::from_str(&text).expect("the committed spec is JSON");
	let mut current = generated(chain);
	let (committed_code, current_code) = (take_code(&mut committed), take_code(&mut current));
	assert!(committed == current, "{}: genesis or settings differ", stale());
	let (committed_version, committed_metadata) = interface(&committed_code);
	let (current_version, current_metadata) = interface(&current_code);
	assert!(committed_version == current_version, "{}: runtime version differs", stale());
	assert!(committed_metadata == current_metadata, "{}: runtime metadata differs", stale());
}

#[test]
fn dev_chain_spec_is_current() {
	assert_current("dev", "dev.json");
}

#[test]
fn local_chain_spec_is_current() {
	assert_current("local", "local.json");
}
