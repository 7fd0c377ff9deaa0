//! What the solver takes on: before claiming, a task is refused when its declared dataset is
//! larger than the provider allows (`--max-dataset-bytes`), when training it would not fit in
//! half the memory this machine has available, or when this machine, at the training throughput
//! it measured at start ([`Throughput`]), would need more than half the training window for it. So a task posted to exhaust solvers cannot crash one, and none is claimed that
//! would cost the bond at the deadline. Checked from the spec alone, before anything is fetched.

use std::{fmt, time::Instant};

use anyhow::Context;
use cairn_primitives::{
	task::task_flops, Activation, Architecture, BoundedVec, DatasetRef, Mlp, ModelInit, Optimizer,
	TaskSpec, TrainingConfig, VerificationPolicy,
};
use cairn_train::{dataset_ref, Dataset, Synthetic, Trainer};

/// Training may take at most this share of the window: the rest absorbs a slower patch of the
/// machine, downloads, checkpoints and the commitment.
const WINDOW_SHARE: f64 = 0.5;

/// Bounds a task must fit.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Largest dataset the provider downloads and holds, in bytes.
	pub max_dataset_bytes: u64,
	/// Memory training may use, in bytes.
	pub memory_bytes: u64,
	/// How fast this machine trains.
	pub throughput: Throughput,
	/// Seconds from a claim to its training deadline.
	pub window_seconds: f64,
}

/// Why a task is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
	DatasetTooLarge { declared: u64, limit: u64 },
	OutOfMemory { needed: u64, available: u64 },
	TooSlow { seconds: u64, window: u64 },
}

impl fmt::Display for Refusal {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Refusal::DatasetTooLarge { declared, limit } => {
				write!(
					f,
					"its dataset declares {declared} bytes, above --max-dataset-bytes {limit}"
				)
			},
			Refusal::OutOfMemory { needed, available } => write!(
				f,
				"training it needs about {needed} bytes of memory, {available} are available to it"
			),
			Refusal::TooSlow { seconds, window } => write!(
				f,
				"training it takes about {seconds} s here, more than half the {window} s training \
				 window"
			),
		}
	}
}

impl std::error::Error for Refusal {}

/// Whether the task of `spec` fits `limits`.
pub fn check(spec: &TaskSpec, architecture: &Architecture, limits: &Limits) -> Result<(), Refusal> {
	let declared = spec.dataset.size;
	if declared > limits.max_dataset_bytes {
		return Err(Refusal::DatasetTooLarge { declared, limit: limits.max_dataset_bytes });
	}
	let needed = training_memory(spec, architecture);
	if needed > limits.memory_bytes {
		return Err(Refusal::OutOfMemory { needed, available: limits.memory_bytes });
	}
	let seconds = limits.throughput.seconds(spec, architecture);
	if seconds > limits.window_seconds * WINDOW_SHARE {
		let window = limits.window_seconds as u64;
		return Err(Refusal::TooSlow { seconds: seconds.ceil() as u64, window });
	}
	Ok(())
}

/// An upper estimate of the memory training `spec` takes: the dataset twice (its file and its
/// decoded samples), every parameter four times (weights, gradients and up to two optimizer
/// moments) and every activation of a batch three times (forward, backward, slack), in `f32`s. A
/// CNN's activations are its input and, per convolution, its output, activation and pool output
/// (counted at full size), then its dense layers' outputs.
fn training_memory(spec: &TaskSpec, architecture: &Architecture) -> u64 {
	let dataset = spec.dataset.size.saturating_mul(2);
	let per_sample: u64 = match architecture {
		Architecture::Mlp(mlp) => mlp.widths().map(u64::from).sum(),
		Architecture::Cnn(cnn) => {
			let maps = cnn
				.conv_shapes()
				.map(|c| 3 * u64::from(c.out_channels) * u64::from(c.height) * u64::from(c.width));
			cnn.input_features() + maps.sum::<u64>() + cnn.dense_widths().sum::<u64>()
		},
		// At each position: every block's 11 traced tensors (8 of width d, 2 of the feed-forward
		// width, the attention probabilities over the context), the embedding, the final norm's
		// output and the logits.
		Architecture::Transformer(net) => {
			let (t, d, f) =
				(u64::from(net.context), u64::from(net.width), u64::from(net.feed_forward));
			let block = 8 * d + 2 * f + u64::from(net.heads) * t;
			t * (u64::from(net.blocks) * block + 2 * d + u64::from(net.vocab))
		},
		// Not trained by this worker: nothing of the model to hold.
		Architecture::External { .. } => return dataset,
	};
	let parameters = architecture.parameter_count().saturating_mul(4);
	let activations =
		u64::from(spec.training.batch_size).saturating_mul(per_sample).saturating_mul(3);
	dataset.saturating_add(parameters.saturating_add(activations).saturating_mul(4))
}

/// How fast this machine trains: a cost per step (the framework's overhead, which dominates
/// tiny networks) and a rate of floating-point operations (as `cairn_primitives::task::task_flops`
/// counts them), measured together at start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throughput {
	pub seconds_per_step: f64,
	pub flops_per_second: f64,
}

impl Throughput {
	/// Seconds to train `spec` of `architecture` here.
	pub fn seconds(&self, spec: &TaskSpec, architecture: &Architecture) -> f64 {
		let steps = f64::from(spec.training.steps);
		let flops = task_flops(architecture, &spec.training) as f64;
		steps * self.seconds_per_step + flops / self.flops_per_second
	}

	/// Measures it: a network of one hidden unit (almost nothing but overhead), then a
	/// mid-sized MLP, on a synthetic dataset; well under a second in a release build.
	pub fn measure() -> anyhow::Result<Self> {
		let bytes = Synthetic { seed: 1, samples: 2048, features: 64, classes: 10 }.generate()?;
		let reference = dataset_ref(&bytes, BoundedVec::new());
		let dataset = Dataset::from_bytes(&bytes, &reference)?;
		let tiny = calibration_spec(reference.clone(), 1, 1, 50);
		let seconds_per_step = timed(&tiny, &dataset)? / 50.0;
		let mid = calibration_spec(reference, 256, 64, 20);
		let ModelInit::Fresh { architecture, .. } = &mid.model else { unreachable!("an MLP") };
		let compute = (timed(&mid, &dataset)? - 20.0 * seconds_per_step).max(1e-6);
		let flops_per_second = task_flops(architecture, &mid.training) as f64 / compute;
		Ok(Throughput { seconds_per_step, flops_per_second })
	}
}

/// Seconds to train `spec` on `dataset` here.
fn timed(spec: &TaskSpec, dataset: &Dataset) -> anyhow::Result<f64> {
	let mut trainer = Trainer::new(spec, dataset).context("cannot build the calibration run")?;
	let started = Instant::now();
	while !trainer.is_finished() {
		trainer.step().context("cannot train the calibration run")?;
	}
	Ok(started.elapsed().as_secs_f64())
}

/// A calibration run: 64-`width`-`width`-10, Adam, `steps` steps of `batch` samples.
fn calibration_spec(dataset: DatasetRef, width: u32, batch: u32, steps: u32) -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"calibration".to_vec()),
		license: BoundedVec::new(),
		model: ModelInit::Fresh {
			architecture: Architecture::Mlp(Mlp {
				input: 64,
				hidden: BoundedVec::truncate_from(vec![width, width]),
				output: 10,
				activation: Activation::Relu,
			}),
			init_seed: 1,
		},
		dataset,
		training: TrainingConfig {
			optimizer: Optimizer::adam(1e-3),
			batch_size: batch,
			steps,
			data_order_seed: 1,
			checkpoint_interval: steps,
		},
		verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The network a fresh spec trains.
	fn own(spec: &TaskSpec) -> &Architecture {
		let ModelInit::Fresh { architecture, .. } = &spec.model else { unreachable!("fresh") };
		architecture
	}

	fn spec(hidden: Vec<u32>, dataset_size: u64) -> TaskSpec {
		TaskSpec {
			name: BoundedVec::truncate_from(b"t".to_vec()),
			license: BoundedVec::truncate_from(b"MIT".to_vec()),
			model: ModelInit::Fresh {
				architecture: Architecture::Mlp(Mlp {
					input: 64,
					hidden: BoundedVec::truncate_from(hidden),
					output: 10,
					activation: Activation::Relu,
				}),
				init_seed: 1,
			},
			dataset: DatasetRef { hash: [0; 32], size: dataset_size, uri: BoundedVec::new() },
			training: TrainingConfig {
				optimizer: Optimizer::adam(0.01),
				batch_size: 512,
				steps: 10,
				data_order_seed: 1,
				checkpoint_interval: 5,
			},
			verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
		}
	}

	/// A machine that trains 100 GFLOP/s at 100 µs a step, with an hour to train.
	const FAST: Throughput = Throughput { seconds_per_step: 1e-4, flops_per_second: 1e11 };
	const ROOMY: Limits = Limits {
		max_dataset_bytes: 1 << 30,
		memory_bytes: 4 << 30,
		throughput: FAST,
		window_seconds: 3600.0,
	};

	#[test]
	fn the_digits_task_fits() {
		let digits = spec(vec![32], 1797 * 65);
		assert_eq!(check(&digits, own(&digits), &ROOMY), Ok(()));
	}

	#[test]
	fn a_dataset_declared_too_large_is_refused_before_anything_is_fetched() {
		let huge = spec(vec![32], 200_000_000_000);
		let refusal = check(&huge, own(&huge), &ROOMY).unwrap_err();
		assert_eq!(refusal, Refusal::DatasetTooLarge { declared: 200_000_000_000, limit: 1 << 30 });
		assert!(refusal.to_string().contains("--max-dataset-bytes"));
	}

	#[test]
	fn a_task_that_would_not_fit_in_memory_is_refused() {
		// The widest network validation allows, on a machine with little memory to spare.
		let wide = spec(vec![512; 8], 1 << 20);
		let tight = Limits { memory_bytes: 16 << 20, ..ROOMY };
		assert!(matches!(check(&wide, own(&wide), &tight), Err(Refusal::OutOfMemory { .. })));
		assert_eq!(check(&wide, own(&wide), &ROOMY), Ok(()));
	}

	#[test]
	fn a_cnn_needs_memory_for_its_feature_maps() {
		use cairn_primitives::{Cnn, Conv};
		// 1x64x64 -> conv 16 k3, pool -> conv 16 k3, pool -> 4096 -> 10: 43,450 parameters, but
		// per sample 4,096 + 3·16·4,096 + 3·16·1,024 + 4,096 + 10 activations.
		let conv = Conv { channels: 16, kernel: 3, pool: true };
		let cnn = Architecture::Cnn(Cnn {
			channels: 1,
			height: 64,
			width: 64,
			convs: BoundedVec::truncate_from(vec![conv, conv]),
			hidden: BoundedVec::new(),
			output: 10,
			activation: Activation::Relu,
		});
		let task = spec(vec![], 1 << 20);
		let per_sample = 4096 + 3 * 16 * 4096 + 3 * 16 * 1024 + 4096 + 10;
		let model = (cnn.parameter_count() * 4 + 512 * per_sample * 3) * 4;
		assert_eq!(training_memory(&task, &cnn), (2 << 20) + model);
		let tight = Limits { memory_bytes: 1 << 30, ..ROOMY };
		assert!(matches!(check(&task, &cnn, &tight), Err(Refusal::OutOfMemory { .. })));
		assert_eq!(check(&task, &cnn, &ROOMY), Ok(()));
	}

	#[test]
	fn a_task_that_would_not_finish_in_half_the_window_is_refused() {
		// 64-512-10, batch 512, 10 steps: about 2.2e9 FLOPs, and 10 steps' overhead.
		let task = spec(vec![512], 1 << 20);
		let flops = match &task.model {
			ModelInit::Fresh { architecture, .. } => task_flops(architecture, &task.training),
			_ => unreachable!(),
		} as f64;
		let rate =
			|seconds: f64| Throughput { seconds_per_step: 0.1, flops_per_second: flops / seconds };
		// 1 s of overhead and 98 s of arithmetic fit half of 200 s; 1 + 100 do not.
		let fits = Limits { throughput: rate(98.0), window_seconds: 200.0, ..ROOMY };
		assert_eq!(check(&task, own(&task), &fits), Ok(()));
		let slow = Limits { throughput: rate(100.0), ..fits };
		let refusal = check(&task, own(&task), &slow).unwrap_err();
		assert_eq!(refusal, Refusal::TooSlow { seconds: 101, window: 200 });
		assert!(refusal.to_string().contains("half the 200 s training window"), "{refusal}");
	}

	#[test]
	fn a_tiny_network_with_countless_steps_is_refused_for_its_overhead() {
		// One hidden unit, batch 1, four billion steps: few FLOPs, but days of steps.
		let mut task = spec(vec![1], 1 << 20);
		task.training.batch_size = 1;
		task.training.steps = 4_000_000_000;
		task.training.checkpoint_interval = 4_000_000;
		assert!(matches!(check(&task, own(&task), &ROOMY), Err(Refusal::TooSlow { .. })));
	}

	#[test]
	fn this_machine_measures_a_plausible_throughput() {
		let measured = Throughput::measure().unwrap();
		println!(
			"training throughput: {:.1} µs a step, {:.3} GFLOP/s",
			measured.seconds_per_step * 1e6,
			measured.flops_per_second / 1e9
		);
		// Between a very slow machine and far more than any CPU core.
		assert!((1e-7..1.0).contains(&measured.seconds_per_step), "{measured:?}");
		assert!((1e7..1e13).contains(&measured.flops_per_second), "{measured:?}");
	}
}
