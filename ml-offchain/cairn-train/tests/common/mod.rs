//! Task specs and datasets shared by the integration tests.
#![allow(dead_code)] // each test binary uses part of this module

use cairn_primitives::{
	task::Uri, Activation, Architecture, BoundedVec, Cnn, Conv, DatasetRef, Mlp, ModelInit,
	Optimizer, TaskSpec, TrainingConfig, VerificationPolicy,
};
use cairn_train::{dataset::digits, Checkpoint};

/// The built-in digits and the reference a task names them by.
pub fn digits() -> (cairn_train::Dataset, DatasetRef) {
	(
		digits::load().expect("built-in digits"),
		digits::reference(Uri::truncate_from(b"http://127.0.0.1/digits".to_vec())),
	)
}

/// A task training a `64-hidden-10` ReLU MLP on `dataset`.
pub fn spec(
	dataset: &DatasetRef,
	hidden: &[u32],
	optimizer: Optimizer,
	batch_size: u32,
	steps: u32,
	interval: u32,
) -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"digits".to_vec()),
		license: BoundedVec::truncate_from(b"Apache-2.0".to_vec()),
		model: ModelInit::Fresh {
			architecture: Architecture::Mlp(Mlp {
				input: 64,
				hidden: BoundedVec::truncate_from(hidden.to_vec()),
				output: 10,
				activation: Activation::Relu,
			}),
			init_seed: 42,
		},
		dataset: dataset.clone(),
		training: TrainingConfig {
			optimizer,
			batch_size,
			steps,
			data_order_seed: 7,
			checkpoint_interval: interval,
		},
		verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
	}
}

/// A CNN on `side`x`side` one-channel images with 10 classes: each of `convs` is
/// `(channels, kernel, pool)`, then the dense layers `hidden` and the output.
pub fn cnn(side: u32, convs: &[(u32, u32, bool)], hidden: &[u32]) -> Architecture {
	let convs = convs.iter().map(|&(channels, kernel, pool)| Conv { channels, kernel, pool });
	Architecture::Cnn(Cnn {
		channels: 1,
		height: side,
		width: side,
		convs: BoundedVec::truncate_from(convs.collect()),
		hidden: BoundedVec::truncate_from(hidden.to_vec()),
		output: 10,
		activation: Activation::Relu,
	})
}

/// `spec` training `architecture` instead.
pub fn with_architecture(mut spec: TaskSpec, architecture: Architecture) -> TaskSpec {
	if let ModelInit::Fresh { architecture: a, .. } = &mut spec.model {
		*a = architecture;
	}
	spec
}

/// `spec` with every hidden layer's activation set to `activation`.
pub fn with_activation(mut spec: TaskSpec, activation: Activation) -> TaskSpec {
	if let ModelInit::Fresh { architecture: Architecture::Mlp(mlp), .. } = &mut spec.model {
		mlp.activation = activation;
	}
	spec
}

/// Every checkpoint of a full run, in order.
pub fn checkpoints(spec: &TaskSpec, dataset: &cairn_train::Dataset) -> Vec<Checkpoint> {
	let mut checkpoints = Vec::new();
	cairn_train::train(spec, dataset, None, |c| {
		checkpoints.push(c.clone());
		Ok::<_, cairn_train::TrainError>(())
	})
	.expect("training");
	checkpoints
}

/// Hashes of every checkpoint of a full run, in order.
pub fn checkpoint_hashes(spec: &TaskSpec, dataset: &cairn_train::Dataset) -> Vec<[u8; 32]> {
	checkpoints(spec, dataset).iter().map(Checkpoint::hash).collect()
}

/// The lines a child run of this test binary prints after `prefixes`, one list per prefix: the
/// test named `child` runs alone in a new process with `env` set and `RAYON_NUM_THREADS` at
/// `rayon_threads` (libtest prints `test child ... ` on the line the child's first output
/// continues, hence the split).
pub fn child_lines<const N: usize>(
	env: &str,
	rayon_threads: &str,
	prefixes: [&str; N],
) -> [Vec<String>; N] {
	let exe = std::env::current_exe().expect("test binary path");
	let output = std::process::Command::new(exe)
		.args(["child", "--exact", "--nocapture", "--test-threads=1"])
		.env(env, "1")
		.env("RAYON_NUM_THREADS", rayon_threads)
		.output()
		.expect("run the test binary");
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(
		output.status.success(),
		"child failed: {stdout}\n{}",
		String::from_utf8_lossy(&output.stderr)
	);
	prefixes.map(|prefix| {
		stdout
			.lines()
			.filter_map(|line| line.split_once(prefix))
			.map(|(_, value)| value.to_owned())
			.collect()
	})
}
