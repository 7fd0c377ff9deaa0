//! Exactness across CPU models, which verification stands on: the worker's `train` of the widest
//! spec a task may use (layers and batch at `MAX_EXACT_DIMENSION`) gives the same checkpoint root
//! natively and under qemu-user as another x86-64-v3 CPU model (Haswell: other caches, other
//! feature set), and another root as an SSE-only CPU (Nehalem, no FMA) — which is why providers
//! declare their ISA class and verifiers are drawn from the solver's.
//!
//! Needs `qemu-x86_64` (Debian `qemu-user`, installed by `scripts/setup.sh`) and an x86-64 host
//! with AVX2 and FMA.
#![cfg(target_arch = "x86_64")]

use std::process::Command;

use cairn_primitives::task::MAX_EXACT_DIMENSION;

const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits.bin");

/// The root `cairn-worker train` prints for the widest spec, run through `wrapper` if any.
fn root(wrapper: &[&str]) -> String {
	let dir = tempfile::tempdir().expect("a scratch directory");
	let width = MAX_EXACT_DIMENSION.to_string();
	let mlp = format!("64-{width}-{width}-10");
	let worker = env!("CARGO_BIN_EXE_cairn-worker");
	let args = [
		"train",
		"--name",
		"wide",
		"--license",
		"MIT",
		"--mlp",
		&mlp,
		"--activation",
		"relu",
		"--init-seed",
		"3",
		"--dataset-file",
		DIGITS,
		"--learning-rate",
		"0.01",
		"--momentum",
		"0.9",
		"--batch-size",
		&width,
		"--steps",
		"1",
		"--data-order-seed",
		"5",
		"--checkpoint-interval",
		"1",
		"--verifiers",
		"1",
		"--segments",
		"1",
		"--dir",
	];
	let (program, mut command_args) = match wrapper {
		[program, rest @ ..] => (*program, rest.to_vec()),
		[] => (worker, Vec::new()),
	};
	if !wrapper.is_empty() {
		command_args.push(worker);
	}
	let output = Command::new(program)
		.args(&command_args)
		.args(args)
		.arg(dir.path())
		.env("RUST_LOG", "warn")
		.output()
		.unwrap_or_else(|e| {
			panic!("cannot run {program} (install qemu-user: scripts/setup.sh): {e}")
		});
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(
		output.status.success(),
		"{program} failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	stdout
		.lines()
		.find_map(|line| line.strip_prefix("checkpoint root:"))
		.map(|root| root.trim().to_owned())
		.unwrap_or_else(|| panic!("no checkpoint root in: {stdout}"))
}

#[test]
fn the_widest_task_trains_to_the_same_bits_on_another_cpu_model_of_the_class() {
	assert!(
		std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
		"this test compares an x86-64-v3 host with other x86-64-v3 CPU models"
	);
	let native = root(&[]);
	let haswell = root(&["qemu-x86_64", "-cpu", "Haswell"]);
	assert_eq!(native, haswell, "an x86-64-v3 CPU model computed other bits");
	let nehalem = root(&["qemu-x86_64", "-cpu", "Nehalem"]);
	assert_ne!(native, nehalem, "an SSE-only CPU is expected to compute other bits (no FMA)");
}
