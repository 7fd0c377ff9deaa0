//! Checkpoint hashes and step traces agree between separate processes, and training is
//! single-threaded.
//!
//! The test binary runs itself twice as `child`: the child trains the reference-shaped MLP
//! (64-256-256-10, batch 128), prints its checkpoint hashes, how many threads the process had
//! before and after training, and the trace of the run's first step. burn is built without the
//! features that bring burn-flex's and gemm's thread pools, so training starts no thread and
//! `RAYON_NUM_THREADS` has nothing to act on; the two children are run with different values of
//! it all the same, so that a build that did start pools would be compared across thread counts.

mod common;

use std::process::Command;

use cairn_primitives::Optimizer;
use cairn_train::{step_trace, Trainer};
use common::{checkpoint_hashes, digits, spec};

const CHILD: &str = "CAIRN_TRAIN_HASH_CHILD";
const PREFIX: &str = "checkpoint-hash ";
const TRACE: &str = "trace-value ";
const THREADS: &str = "threads ";

fn reference_spec() -> cairn_primitives::TaskSpec {
	let (_, reference) = digits();
	spec(&reference, &[256, 256], Optimizer::adam(1e-3), 128, 12, 4)
}

/// The trace of the reference run's first step, in hex.
fn first_step_trace() -> Vec<String> {
	let (data, _) = digits();
	let spec = reference_spec();
	let start = Trainer::new(&spec, &data).unwrap().checkpoint().unwrap();
	step_trace(&spec, &data, &start).unwrap().iter().map(hex::encode).collect()
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
	for value in first_step_trace() {
		println!("{TRACE}{value}");
	}
}

/// What a child printed.
struct Child {
	/// Checkpoint hashes, in hex.
	hashes: Vec<String>,
	/// The trace of the first step, in hex.
	trace: Vec<String>,
	/// Thread counts before and after training.
	threads: String,
}

/// Runs the child with `RAYON_NUM_THREADS` set to `rayon_threads`.
fn run_child(rayon_threads: &str) -> Child {
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
	Child { hashes: find(PREFIX), trace: find(TRACE), threads: find(THREADS).concat() }
}

#[test]
fn hashes_and_traces_agree_across_processes() {
	let (one, two) = (run_child("1"), run_child("2"));
	assert_eq!(one.hashes.len() as u32, reference_spec().training.checkpoint_count());
	assert_eq!(one.hashes, two.hashes);
	// Three linear layers: 6 · 3 positions after the input.
	assert_eq!(one.trace.len(), 20);
	assert_eq!(one.trace, two.trace);
	let (data, _) = digits();
	let here: Vec<String> =
		checkpoint_hashes(&reference_spec(), &data).iter().map(hex::encode).collect();
	assert_eq!(here, one.hashes, "and in this process");
	assert_eq!(first_step_trace(), one.trace, "and in this process");
}

#[test]
fn training_starts_no_thread() {
	let threads = run_child("2").threads;
	let counts: Vec<&str> = threads.split(' ').collect();
	assert_eq!(counts.len(), 2, "thread counts: {threads:?}");
	assert_eq!(counts[0], counts[1], "training started threads (before, after): {threads:?}");
}
