//! Checkpoint hashes agree between separate processes with different rayon thread counts.
//!
//! The test binary runs itself twice, as `child` with `RAYON_NUM_THREADS=1` and `=2`; the child
//! trains the reference-shaped MLP (64-256-256-10, batch 128, so the matmuls are large enough to
//! be split across threads) and prints its checkpoint hashes.

mod common;

use std::process::Command;

use cairn_primitives::Optimizer;
use common::{checkpoint_hashes, digits, spec};

const CHILD: &str = "CAIRN_TRAIN_HASH_CHILD";
const PREFIX: &str = "checkpoint-hash ";

fn reference_spec() -> cairn_primitives::TaskSpec {
	let (_, reference) = digits();
	spec(&reference, &[256, 256], Optimizer::adam(1e-3), 128, 12, 4)
}

#[test]
fn child() {
	if std::env::var_os(CHILD).is_none() {
		return;
	}
	let (data, _) = digits();
	for hash in checkpoint_hashes(&reference_spec(), &data) {
		println!("{PREFIX}{}", hex::encode(hash));
	}
}

fn hashes_in_a_process(threads: &str) -> Vec<String> {
	let exe = std::env::current_exe().expect("test binary path");
	let output = Command::new(exe)
		.args(["child", "--exact", "--nocapture", "--test-threads=1"])
		.env(CHILD, "1")
		.env("RAYON_NUM_THREADS", threads)
		.output()
		.expect("run the test binary");
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(
		output.status.success(),
		"child failed: {stdout}\n{}",
		String::from_utf8_lossy(&output.stderr)
	);
	// libtest prints `test child ... ` on the line the child's first output continues.
	stdout
		.lines()
		.filter_map(|line| line.split_once(PREFIX))
		.map(|(_, hash)| hash.to_owned())
		.collect()
}

#[test]
fn hashes_agree_across_processes_and_thread_counts() {
	let one = hashes_in_a_process("1");
	let two = hashes_in_a_process("2");
	assert_eq!(one.len() as u32, reference_spec().training.checkpoint_count());
	assert_eq!(one, two);
	let (data, _) = digits();
	let here: Vec<String> =
		checkpoint_hashes(&reference_spec(), &data).iter().map(hex::encode).collect();
	assert_eq!(here, one, "and with this process's thread pool");
}
