//! Command-line errors the worker reports before it touches the chain or the network.

use std::process::Command;

const WORKER: &str = env!("CARGO_BIN_EXE_cairn-worker");

/// `cairn-worker run --role solver` with `extra` arguments: its exit status and stderr.
fn run_solver(extra: &[&str]) -> (bool, String) {
	let dir = tempfile::tempdir().unwrap();
	let output = Command::new(WORKER)
		.args(["--url", "ws://127.0.0.1:1", "run", "--role", "solver", "--work-dir"])
		.arg(dir.path())
		.args(["--suri", "//Bob"])
		.args(extra)
		.env("RUST_LOG", "error")
		.output()
		.expect("cairn-worker runs");
	(output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_solver_must_say_where_verifiers_reach_its_artifacts() {
	let (ok, stderr) = run_solver(&[]);
	assert!(!ok);
	assert!(stderr.contains("--public-url is required for --role solver"), "{stderr}");

	let (ok, stderr) = run_solver(&["--public-url", "ftp://example.org/artifacts"]);
	assert!(!ok);
	assert!(stderr.contains("is not an http or https URL"), "{stderr}");
}
