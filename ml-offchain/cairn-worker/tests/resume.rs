//! Resuming training: a run interrupted at any point and started again ends with exactly the
//! checkpoints, root and weights of a run never interrupted. Runs the real `cairn-worker train` on
//! the 8x8 digits dataset (`ml-offchain/data/digits.bin`).

use std::{
	path::{Path, PathBuf},
	process::{Command, Output, Stdio},
	time::{Duration, Instant},
};

const WORKER: &str = env!("CARGO_BIN_EXE_cairn-worker");

fn digits() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.bin")
}

/// `cairn-worker train` of a 64-32-10 MLP on the digits into `dir`.
fn train_command(dir: &Path, steps: u32, interval: u32) -> Command {
	let mut command = Command::new(WORKER);
	command
		.args(["train", "--name", "digits", "--mlp", "64-32-10"])
		.args(["--optimizer", "adam", "--learning-rate", "0.01"])
		.args(["--batch-size", "32", "--init-seed", "5", "--data-order-seed", "9"])
		.args(["--steps", &steps.to_string()])
		.args(["--checkpoint-interval", &interval.to_string()])
		.arg("--dataset-file")
		.arg(digits())
		.arg("--dir")
		.arg(dir)
		.env("RUST_LOG", "warn");
	command
}

fn train(dir: &Path, steps: u32, interval: u32) -> Output {
	let output = train_command(dir, steps, interval).output().expect("cairn-worker runs");
	assert!(output.status.success(), "train failed: {}", String::from_utf8_lossy(&output.stderr));
	output
}

/// The record `train` keeps in `dir/run.json`.
fn run_record(dir: &Path) -> serde_json::Value {
	serde_json::from_slice(&std::fs::read(dir.join("run.json")).expect("run.json exists"))
		.expect("run.json is JSON")
}

fn checkpoints(dir: &Path) -> Vec<String> {
	match std::fs::read(dir.join("run.json")) {
		Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
			.ok()
			.and_then(|run| serde_json::from_value(run["checkpoints"].clone()).ok())
			.unwrap_or_default(),
		Err(_) => Vec::new(),
	}
}

/// The first step `train` trained, from its `trained steps: FROM..TO` line: where it resumed.
fn resumed_from(output: &Output) -> u32 {
	String::from_utf8_lossy(&output.stdout)
		.lines()
		.find_map(|line| line.strip_prefix("trained steps:"))
		.and_then(|range| range.trim().split("..").next()?.parse().ok())
		.expect("train prints the steps it trained")
}

/// The `checkpoint root:` and `weights hash:` lines of `train`'s output.
fn summary(output: &Output) -> Vec<String> {
	String::from_utf8_lossy(&output.stdout)
		.lines()
		.filter(|line| line.starts_with("checkpoint root:") || line.starts_with("weights hash:"))
		.map(str::to_owned)
		.collect()
}

#[test]
fn a_run_cut_after_any_checkpoint_resumes_to_the_same_result() {
	let whole = tempfile::tempdir().unwrap();
	let reference = train(whole.path(), 60, 10);
	let expected = run_record(whole.path());
	assert_eq!(checkpoints(whole.path()).len(), 7);
	assert_eq!(resumed_from(&reference), 0);

	for kept in [1, 3, 6] {
		let cut = tempfile::tempdir().unwrap();
		train(cut.path(), 60, 10);
		// What a crash right after checkpoint `kept - 1` leaves: a shorter record (the store may
		// hold more checkpoints; they are simply written again).
		let mut record = run_record(cut.path());
		record["checkpoints"] =
			serde_json::Value::Array(record["checkpoints"].as_array().unwrap()[..kept].to_vec());
		std::fs::write(cut.path().join("run.json"), record.to_string()).unwrap();

		let resumed = train(cut.path(), 60, 10);
		// It went on from its last recorded checkpoint, not from scratch (which would give the
		// same result, only slower).
		assert_eq!(resumed_from(&resumed), (kept as u32 - 1) * 10, "cut after {kept}");
		assert_eq!(run_record(cut.path()), expected, "cut after {kept} checkpoints");
		assert_eq!(summary(&resumed), summary(&reference));
	}
}

#[test]
fn a_checkpoint_lost_from_the_store_is_trained_again() {
	let whole = tempfile::tempdir().unwrap();
	let reference = train(whole.path(), 60, 10);

	let damaged = tempfile::tempdir().unwrap();
	train(damaged.path(), 60, 10);
	// The record lists checkpoints 0 to 3, but checkpoint 3 is corrupt on disk and 2 is gone.
	let mut record = run_record(damaged.path());
	let listed = record["checkpoints"].as_array().unwrap()[..4].to_vec();
	let file = |index: usize| {
		let hash = listed[index].as_str().unwrap().trim_start_matches("0x").to_owned();
		damaged.path().join("artifacts").join(hash)
	};
	std::fs::write(file(3), b"not a checkpoint").unwrap();
	std::fs::remove_file(file(2)).unwrap();
	record["checkpoints"] = serde_json::Value::Array(listed);
	std::fs::write(damaged.path().join("run.json"), record.to_string()).unwrap();

	let resumed = train(damaged.path(), 60, 10);
	assert_eq!(resumed_from(&resumed), 10);
	assert_eq!(checkpoints(damaged.path()), checkpoints(whole.path()));
	assert_eq!(summary(&resumed), summary(&reference));
}

#[test]
fn a_killed_training_resumes_from_its_last_checkpoint() {
	let (steps, interval) = (1500, 100);
	let whole = tempfile::tempdir().unwrap();
	let reference = train(whole.path(), steps, interval);

	let killed = tempfile::tempdir().unwrap();
	let mut child = train_command(killed.path(), steps, interval)
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.unwrap();
	let started = Instant::now();
	while checkpoints(killed.path()).len() < 3 {
		assert!(child.try_wait().unwrap().is_none(), "training ended before it was killed");
		assert!(started.elapsed() < Duration::from_secs(120), "no progress");
		std::thread::sleep(Duration::from_millis(10));
	}
	child.kill().unwrap(); // SIGKILL: no chance to clean up
	child.wait().unwrap();
	let left = checkpoints(killed.path()).len();
	assert!(left < 16, "killed after the last checkpoint ({left}); make the run longer");

	let resumed = train(killed.path(), steps, interval);
	assert_eq!(resumed_from(&resumed), (left as u32 - 1) * interval);
	assert_eq!(checkpoints(killed.path()), checkpoints(whole.path()));
	assert_eq!(summary(&resumed), summary(&reference));
	eprintln!("killed after {left} of 16 checkpoints; resumed to the same root");
}
