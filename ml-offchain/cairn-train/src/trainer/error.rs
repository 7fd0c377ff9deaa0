//! Errors of training, replay and evaluation.

use cairn_primitives::{Backend, SpecError};
use thiserror::Error;

use crate::{encoding::MalformedCheckpoint, weights::WeightsError};

/// Why training, replay or evaluation cannot proceed.
#[derive(Debug, Error)]
pub enum TrainError {
	/// The spec does not pass `TaskSpec::validate`.
	#[error("invalid task spec: {0:?}")]
	Spec(SpecError),
	/// The model is not an MLP, a CNN or a transformer, the architectures trained so far.
	#[error("only MLP, CNN and transformer models can be trained")]
	Unsupported,
	/// The spec continues a registered model, whose weights were not given.
	#[error("the task continues registered model {0}: its weights are needed")]
	ParentRequired(u64),
	/// The parent's weights are malformed or of another architecture.
	#[error(transparent)]
	Weights(#[from] WeightsError),
	/// The dataset is not the one the spec names.
	#[error("the dataset is not the one the task names (hash {})", hex::encode(.0))]
	WrongDataset([u8; 32]),
	/// The model's input or output width does not fit the dataset.
	#[error("the model maps {input} inputs to {output} outputs; the dataset has {features} features and {classes} classes")]
	DatasetShape {
		/// `Mlp::input`.
		input: u32,
		/// `Mlp::output`.
		output: u32,
		/// Features per sample in the dataset.
		features: u32,
		/// Classes in the dataset.
		classes: u32,
	},
	/// A transformer's dataset has token ids (feature values up to `max_value`) outside its
	/// vocabulary.
	#[error("the dataset's tokens go up to {max_value}; the model's vocabulary is {vocab}")]
	Vocabulary {
		/// `Transformer::vocab`.
		vocab: u32,
		/// The dataset's largest feature value.
		max_value: u8,
	},
	/// The checkpoint bytes are not a checkpoint.
	#[error(transparent)]
	Malformed(#[from] MalformedCheckpoint),
	/// The checkpoint is well formed but is not a state of this task.
	#[error("checkpoint does not fit the task: {0}")]
	Mismatch(String),
	/// Every step of the task has been taken.
	#[error("the task's {0} steps are done")]
	Finished(u32),
	/// A state was asked for at a step the run cannot reach from the given checkpoint.
	#[error("step {step} is outside the run from the checkpoint at step {from} to the task's last step {steps}")]
	StepOutOfRange {
		/// The step asked for.
		step: u32,
		/// The checkpoint's step.
		from: u32,
		/// The task's steps.
		steps: u32,
	},
	/// A step's trace has no such position.
	#[error("trace position {position} is past the step's last position {last}")]
	TracePosition {
		/// The position asked for.
		position: u32,
		/// The trace's last position (`step_trace_len` of the architecture).
		last: u32,
	},
	/// A segment must start at a multiple of the checkpoint interval.
	#[error("step {step} does not start a segment (interval {interval}, {steps} steps)")]
	NotASegmentStart {
		/// The checkpoint's step.
		step: u32,
		/// The task's checkpoint interval.
		interval: u32,
		/// The task's steps.
		steps: u32,
	},
	/// The backend was not built into this binary (see the crate's cargo features).
	#[error("backend {0:?} is not built into this binary")]
	BackendNotBuilt(Backend),
	/// The tensor backend failed.
	#[error("tensor backend: {0}")]
	Backend(String),
}

/// A tensor backend failure as a [`TrainError`].
pub(super) fn backend_error(error: impl std::fmt::Display) -> TrainError {
	TrainError::Backend(error.to_string())
}
