//! Whole runs: training to the end, replaying one segment, reaching any step, evaluating a
//! checkpoint.

use super::{on_kernel_threads, Accuracy, Job, TrainError, Trainer};
use crate::{checkpoint::Checkpoint, dataset::Dataset};

/// Trains `spec` on `dataset` to its last step, from `from` or from step 0, calling
/// `on_checkpoint` with every checkpoint in order: at step 0 (only when starting fresh) and after
/// every `checkpoint_interval` steps. Returns the final checkpoint. An error from `on_checkpoint`
/// stops training and is returned.
pub fn train<'a, E: From<TrainError> + Send>(
	job: impl Into<Job<'a>>,
	dataset: &'a Dataset,
	from: Option<&Checkpoint>,
	on_checkpoint: impl FnMut(&Checkpoint) -> Result<(), E> + Send,
) -> Result<Checkpoint, E> {
	let job = job.into();
	on_kernel_threads(job, || train_on(job, dataset, from, on_checkpoint))
}

fn train_on<E: From<TrainError>>(
	job: Job<'_>,
	dataset: &Dataset,
	from: Option<&Checkpoint>,
	mut on_checkpoint: impl FnMut(&Checkpoint) -> Result<(), E>,
) -> Result<Checkpoint, E> {
	let interval = job.spec().training.checkpoint_interval;
	let (mut trainer, mut last) = match from {
		Some(checkpoint) => (Trainer::resume(job, dataset, checkpoint)?, checkpoint.clone()),
		None => {
			let trainer = Trainer::new(job, dataset)?;
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
pub fn replay_segment<'a>(
	job: impl Into<Job<'a>>,
	dataset: &'a Dataset,
	checkpoint: &Checkpoint,
) -> Result<Checkpoint, TrainError> {
	let job = job.into();
	let training = &job.spec().training;
	let (step, interval, steps) = (checkpoint.step(), training.checkpoint_interval, training.steps);
	if interval == 0 || step % interval != 0 || step >= steps {
		return Err(TrainError::NotASegmentStart { step, interval, steps });
	}
	state_at_step(job, dataset, checkpoint, step.saturating_add(interval))
}

/// The state of the run at `step`, trained from `from` (a state of the same run at or before
/// `step`): the checkpoint the training loop would take there, whether or not `step` ends a
/// segment. A dispute's parties post its hash at the steps they bisect over. Fails with
/// [`TrainError::StepOutOfRange`] when `step` is before `from` or past the task's last step.
pub fn state_at_step<'a>(
	job: impl Into<Job<'a>>,
	dataset: &'a Dataset,
	from: &Checkpoint,
	step: u32,
) -> Result<Checkpoint, TrainError> {
	let job = job.into();
	on_kernel_threads(job, || {
		let mut trainer = Trainer::resume(job, dataset, from)?;
		let (start, steps) = (from.step(), job.spec().training.steps);
		if step < start || step > steps {
			return Err(TrainError::StepOutOfRange { step, from: start, steps });
		}
		while trainer.current_step() < step {
			trainer.step()?;
		}
		trainer.checkpoint()
	})
}

/// Held-out accuracy of the model in `checkpoint`.
pub fn evaluate<'a>(
	job: impl Into<Job<'a>>,
	dataset: &'a Dataset,
	checkpoint: &Checkpoint,
) -> Result<Accuracy, TrainError> {
	Trainer::resume(job, dataset, checkpoint)?.evaluate()
}
