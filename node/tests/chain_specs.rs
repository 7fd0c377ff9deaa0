//! The chain specs in `chain-specs/` are the ones the node generates: a stale copy fails here.
//! Regenerate them with `scripts/update-chain-specs.sh`.

use std::{path::PathBuf, process::Command};

fn generated(chain: &str) -> String {
	let output = Command::new(env!("CARGO_BIN_EXE_cairn-node"))
		.args(["build-spec", "--chain", chain, "--disable-default-bootnode"])
		.output()
		.expect("cairn-node runs");
	assert!(
		output.status.success(),
		"build-spec failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	String::from_utf8(output.stdout).expect("the spec is UTF-8 JSON")
}

fn assert_current(chain: &str, file: &str) {
	let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../chain-specs").join(file);
	let committed = std::fs::read_to_string(&path)
		.unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
	assert!(
		committed == generated(chain),
		"{} is stale: run scripts/update-chain-specs.sh and commit the result",
		path.display()
	);
}

#[test]
fn dev_chain_spec_is_current() {
	assert_current("dev", "dev.json");
}

#[test]
fn local_chain_spec_is_current() {
	assert_current("local", "local.json");
}
