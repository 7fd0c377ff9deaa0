//! Checkpoint hashes agree between separate processes, and training is single-threaded.
//!
//! The test binary runs itself twice as `child`: the child trains the reference-shaped MLP
//! (64-256-256-10, batch 128), prints its checkpoint hashes and how many threads the process had
//! before and after training. burn is built without the features that bring burn-flex's and
//! gemm's thread pools, so training starts no thread and `RAYON_NUM_THREADS` has nothing to act
//! on; the two children are run with different values of it all the same, so that a build that
//! did start pools would be compared across thread counts.

mod common;

use std::process::Command;

use cairn_primitives::Optimizer;
use common::{checkpoint_hashes, digits, spec};

const CHILD: &str = "CAIRN_TRAIN_HASH_CHILD";
const PREFIX: &str = "checkpoint-hash ";
const THREADS: &str = "threads ";

fn reference_spec() -> cairn_primitives::TaskSpec {
	let (_, reference) = digits();
	spec(&reference, &[256, 256], Optimizer::adam(1e-3), 128, 12, 4)
}

/// Threads of this process, from procfs.
fn threads() -> usize {
	std::fs::read_dir("/proc/self/task").expect("procfs").count()
}

#[test]
fn child() {
	if std::env::var_os(CHILD).is_none() {
		return;
	}
	let (data, _) = digits();
	let before = threads();
	let hashes = checkpoint_hashes(&reference_spec(), &data);
	println!("{THREADS}{before} {}", threads());
	for hash in hashes {
		println!("{PREFIX}{}", hex::encode(hash));
	}
}

/// The child's checkpoint hashes and its thread counts before and after training.
fn run_child(rayon_threads: &str) -> (Vec<String>, String) {
	let exe = std::env::current_exe().expect("test binary path");
	let output = Command::new(exe)
		.args(["child", "--exact", "--nocapture", "--test-threads=1"])
		.env(CHILD, "1")
		.env("RAYON_NUM_THREADS", rayon_threads)
		.output()
		.expect("run the test binary");
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(
		output.status.success(),
		"child failed: {stdout}\n{}",
		String::from_utf8_lossy(&output.stderr)
	);
	// libtest prints `test child ... ` on the line the child's first output continues.
	let find = |prefix: &str| {
		stdout
			.lines()
			.filter_map(|line| line.split_once(prefix))
			.map(|(_, value)| value.to_owned())
			.collect::<Vec<_>>()
	};
	(find(PREFIX), find(THREADS).concat())
}

#[test]
fn hashes_agree_across_processes() {
	let (one, _) = run_child("1");
	let (two, _) = run_child("2");
	assert_eq!(one.len() as u32, reference_spec().training.checkpoint_count());
	assert_eq!(one, two);
	let (data, _) = digits();
	let here: Vec<String> =
		checkpoint_hashes(&reference_spec(), &data).iter().map(hex::encode).collect();
	assert_eq!(here, one, "and in this process");
}

#[test]
fn training_starts_no_thread() {
	let (_, threads) = run_child("2");
	let counts: Vec<&str> = threads.split(' ').collect();
	assert_eq!(counts.len(), 2, "thread counts: {threads:?}");
	assert_eq!(counts[0], counts[1], "training started threads (before, after): {threads:?}");
}
