//! What the solver takes on: before claiming, a task is refused when its declared dataset is
//! larger than the provider allows (`--max-dataset-bytes`), or when training it would not fit in
//! half the memory this machine has available, so that a task posted to exhaust solvers cannot
//! crash one and cost it its bond at the deadline. Checked from the spec alone, before anything
//! is fetched.

use std::fmt;

use cairn_primitives::{Architecture, ModelInit, TaskSpec};

/// Bounds a task must fit.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Largest dataset the provider downloads and holds, in bytes.
	pub max_dataset_bytes: u64,
	/// Memory training may use, in bytes.
	pub memory_bytes: u64,
}

/// Why a task is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
	DatasetTooLarge { declared: u64, limit: u64 },
	OutOfMemory { needed: u64, available: u64 },
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
		}
	}
}

/// Whether the task of `spec` fits `limits`.
pub fn check(spec: &TaskSpec, limits: &Limits) -> Result<(), Refusal> {
	let declared = spec.dataset.size;
	if declared > limits.max_dataset_bytes {
		return Err(Refusal::DatasetTooLarge { declared, limit: limits.max_dataset_bytes });
	}
	let needed = training_memory(spec);
	if needed > limits.memory_bytes {
		return Err(Refusal::OutOfMemory { needed, available: limits.memory_bytes });
	}
	Ok(())
}

/// An upper estimate of the memory training `spec` takes: the dataset twice (its file and its
/// decoded samples), every parameter four times (weights, gradients and up to two optimizer
/// moments) and every activation of a batch three times (forward, backward, slack), in `f32`s.
fn training_memory(spec: &TaskSpec) -> u64 {
	let dataset = spec.dataset.size.saturating_mul(2);
	let model = match &spec.model {
		ModelInit::Fresh { architecture: Architecture::Mlp(mlp), .. } => {
			let parameters = mlp.parameter_count().saturating_mul(4);
			let widths: u64 = mlp.widths().map(u64::from).sum();
			let activations =
				u64::from(spec.training.batch_size).saturating_mul(widths).saturating_mul(3);
			parameters.saturating_add(activations).saturating_mul(4)
		},
		// Not trained by this worker: nothing of the model to hold.
		_ => 0,
	};
	dataset.saturating_add(model)
}

#[cfg(test)]
mod tests {
	use cairn_primitives::{
		Activation, BoundedVec, DatasetRef, Mlp, Optimizer, TrainingConfig, VerificationPolicy,
	};

	use super::*;

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

	const ROOMY: Limits = Limits { max_dataset_bytes: 1 << 30, memory_bytes: 4 << 30 };

	#[test]
	fn the_digits_task_fits() {
		assert_eq!(check(&spec(vec![32], 1797 * 65), &ROOMY), Ok(()));
	}

	#[test]
	fn a_dataset_declared_too_large_is_refused_before_anything_is_fetched() {
		let huge = spec(vec![32], 200_000_000_000);
		let refusal = check(&huge, &ROOMY).unwrap_err();
		assert_eq!(refusal, Refusal::DatasetTooLarge { declared: 200_000_000_000, limit: 1 << 30 });
		assert!(refusal.to_string().contains("--max-dataset-bytes"));
	}

	#[test]
	fn a_task_that_would_not_fit_in_memory_is_refused() {
		// The widest network validation allows, on a machine with little memory to spare.
		let wide = spec(vec![512; 8], 1 << 20);
		let tight = Limits { max_dataset_bytes: 1 << 30, memory_bytes: 16 << 20 };
		assert!(matches!(check(&wide, &tight), Err(Refusal::OutOfMemory { .. })));
		assert_eq!(check(&wide, &ROOMY), Ok(()));
	}
}
