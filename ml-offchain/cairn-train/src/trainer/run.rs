//! Whole runs: training to the end, replaying one segment, evaluating a checkpoint.

use cairn_primitives::TaskSpec;

use super::{Accuracy, TrainError, Trainer};
use crate::{checkpoint::Checkpoint, dataset::Dataset};

/// Trains `spec` on `dataset` to its last step, from `from` or from step 0, calling
/// `on_checkpoint` with every checkpoint in order: at step 0 (only when starting fresh) and after
/// every `checkpoint_interval` steps. Returns the final checkpoint. An error from `on_checkpoint`
/// stops training and is returned.
pub fn train<E: From<TrainError>>(
	spec: &TaskSpec,
	dataset: &Dataset,
	from: Option<&Checkpoint>,
	mut on_checkpoint: impl FnMut(&Checkpoint) -> Result<(), E>,
) -> Result<Checkpoint, E> {
	let interval = spec.training.checkpoint_interval;
	let (mut trainer, mut last) = match from {
		Some(checkpoint) => (Trainer::resume(spec, dataset, checkpoint)?, checkpoint.clone()),
		None => {
			let trainer = Trainer::new(spec, dataset)?;
			let first = trainer.checkpoint()?;
			on_checkpoint(&first)?;
			(trainer, first)
		},
	};
	while !trainer.is_finished() {
		trainer.step()?;
		if trainer.current_step() % interval == 0 {
			last = trainer.checkpoint()?;
			on_checkpoint(&last)?;
		}
	}
	Ok(last)
}

/// Re-executes the segment that starts at `checkpoint` (steps `[i·interval, (i+1)·interval)`) and
/// returns the checkpoint it ends at: a verifier compares its hash with leaf `i + 1`.
pub fn replay_segment(
	spec: &TaskSpec,
	dataset: &Dataset,
	checkpoint: &Checkpoint,
) -> Result<Checkpoint, TrainError> {
	let (step, interval, steps) =
		(checkpoint.step(), spec.training.checkpoint_interval, spec.training.steps);
	if interval == 0 || step % interval != 0 || step >= steps {
		return Err(TrainError::NotASegmentStart { step, interval, steps });
	}
	let mut trainer = Trainer::resume(spec, dataset, checkpoint)?;
	for _ in 0..interval {
		trainer.step()?;
	}
	trainer.checkpoint()
}

/// Held-out accuracy of the model in `checkpoint`.
pub fn evaluate(
	spec: &TaskSpec,
	dataset: &Dataset,
	checkpoint: &Checkpoint,
) -> Result<Accuracy, TrainError> {
	Trainer::resume(spec, dataset, checkpoint)?.evaluate()
}
