//! Training a run to its end with cairn-train, resumable: every checkpoint is stored in the
//! artifact store and appended to the run record, which the caller persists, before training goes
//! on. A run whose record already lists checkpoints continues from the last one, so a run killed
//! at any moment and started again ends with the same checkpoints as one never interrupted.

use std::{
	sync::atomic::{AtomicBool, Ordering},
	time::Instant,
};

use anyhow::{anyhow, bail, Context};
use cairn_primitives::Hash256;
use cairn_train::{
	on_kernel_threads, state_at_step, trace_value, Accuracy, ArtifactStore, Checkpoint, Dataset,
	Job, Parent, Trainer, Weights,
};

use crate::{
	chain::Midpoint,
	metrics,
	record::{hex0x, RunRecord},
};

/// What a finished run produced.
#[derive(Debug)]
pub struct Outcome {
	/// BLAKE2b-256 of the final weights' encoding (stored in the artifact store too): the hash
	/// the trained model is registered under.
	pub weights_hash: Hash256,
	/// Accuracy of the final model on the dataset's held-out samples.
	pub accuracy: Accuracy,
	/// Steps taken by this call (fewer than the spec's when it resumed).
	pub steps_taken: u32,
	/// Training samples per second over those steps (0 when none were taken).
	pub samples_per_second: f64,
}

/// Training stopped because the caller asked it to (see [`train_run`]'s `stop`).
#[derive(Debug)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("training was stopped")
	}
}

impl std::error::Error for Stopped {}

/// Trains `run.spec` on `dataset` from the last checkpoint `run` lists (or from step 0) to the
/// end. Checkpoints at the end of the list that cannot be loaded (missing from the store, or
/// corrupt) are dropped and trained again: training is deterministic, so the run ends the same. Each checkpoint is put in `store`, appended to `run.checkpoints`, and `save(run)` is
/// called before the next step, so a crash loses at most one segment. Progress (step, loss,
/// samples/s) is logged at every checkpoint. When `stop` becomes true, training ends with a
/// [`Stopped`] error at the next step. Blocking: call it from a thread meant for it.
pub fn train_run(
	run: &mut RunRecord,
	dataset: &Dataset,
	store: &ArtifactStore,
	stop: &AtomicBool,
	save: impl FnMut(&RunRecord) -> anyhow::Result<()> + Send,
) -> anyhow::Result<Outcome> {
	let spec = run.spec.clone();
	let parent = run_parent(store, run)?;
	let job = Job::new(&spec, parent.as_ref());
	// The pool's thread logs under the caller's span (the task's, for a solver).
	let span = tracing::Span::current();
	on_kernel_threads(job, || span.in_scope(|| train_job(job, run, dataset, store, stop, save)))
}

/// [`train_run`] of `job`, on the calling thread's pool.
fn train_job(
	job: Job<'_>,
	run: &mut RunRecord,
	dataset: &Dataset,
	store: &ArtifactStore,
	stop: &AtomicBool,
	mut save: impl FnMut(&RunRecord) -> anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
	let training = job.spec().training;
	let count = training.checkpoint_count();
	let resume_from = loop {
		let Some(&hash) = run.checkpoints.last() else { break None };
		match load_checkpoint(store, &hash) {
			Ok(checkpoint) => break Some((hash, checkpoint)),
			Err(error) => {
				tracing::warn!(
					checkpoint = run.checkpoints.len() - 1,
					"cannot load the last checkpoint, training it again: {error:#}"
				);
				run.checkpoints.pop();
			},
		}
	};
	let mut trainer = match resume_from {
		Some((hash, checkpoint)) => {
			let expected =
				(run.checkpoints.len() as u64 - 1) * u64::from(training.checkpoint_interval);
			if u64::from(checkpoint.step()) != expected {
				bail!(
					"checkpoint {} is at step {}, but it is checkpoint {} of the run (step {expected})",
					hex0x(&hash),
					checkpoint.step(),
					run.checkpoints.len() - 1
				);
			}
			tracing::info!(
				step = checkpoint.step(),
				checkpoint = run.checkpoints.len() - 1,
				"resuming"
			);
			Trainer::resume(job, dataset, &checkpoint)?
		},
		None => {
			let trainer = Trainer::new(job, dataset)?;
			record_checkpoint(run, store, &trainer.checkpoint()?)?;
			save(run)?;
			trainer
		},
	};

	let started = Instant::now();
	let first_step = trainer.current_step();
	let mut segment_started = Instant::now();
	let mut segment_loss = 0f64;
	let mut segment_steps = 0u32;
	while !trainer.is_finished() {
		if stop.load(Ordering::Relaxed) {
			return Err(Stopped.into());
		}
		segment_loss += f64::from(trainer.step()?);
		segment_steps += 1;
		let step = trainer.current_step();
		if step % training.checkpoint_interval == 0 {
			let checkpoint = trainer.checkpoint()?;
			record_checkpoint(run, store, &checkpoint)?;
			save(run)?;
			let seconds = segment_started.elapsed().as_secs_f64();
			let samples_per_second =
				rate(u64::from(segment_steps) * u64::from(training.batch_size), seconds);
			metrics::trained(segment_steps, samples_per_second);
			tracing::info!(
				checkpoint = format!("{}/{}", run.checkpoints.len() - 1, count - 1),
				step,
				loss = format!("{:.4}", segment_loss / f64::from(segment_steps)),
				samples_per_s = format!("{samples_per_second:.0}"),
				hash = hex0x(&checkpoint.hash()),
				"checkpoint"
			);
			segment_started = Instant::now();
			segment_loss = 0.0;
			segment_steps = 0;
		}
	}
	let steps_taken = trainer.current_step() - first_step;
	let samples_per_second = rate(
		u64::from(steps_taken) * u64::from(training.batch_size),
		started.elapsed().as_secs_f64(),
	);

	let last = trainer.checkpoint()?;
	if run.checkpoints.last() != Some(&last.hash()) || !run.is_complete() {
		bail!("the run ended without its final checkpoint recorded: this is a bug");
	}
	let weights = last.weights()?;
	let weights_hash = store.put(&weights).context("cannot store the final weights")?;
	Ok(Outcome { weights_hash, accuracy: trainer.evaluate()?, steps_taken, samples_per_second })
}

/// Checkpoint `hash` from `store`, checked against its hash.
pub fn load_checkpoint(store: &ArtifactStore, hash: &Hash256) -> anyhow::Result<Checkpoint> {
	let bytes = store
		.get(hash)
		.with_context(|| format!("cannot load checkpoint {}", hex0x(hash)))?;
	Checkpoint::from_bytes(bytes).map_err(|e| anyhow!("checkpoint {}: {e}", hex0x(hash)))
}

/// The parent `run` continues, if any, from its weights in `store`.
pub fn run_parent(store: &ArtifactStore, run: &RunRecord) -> anyhow::Result<Option<Parent>> {
	let Some(parent) = &run.parent else { return Ok(None) };
	let bytes = store
		.get(&parent.weights)
		.with_context(|| format!("cannot load the parent's weights {}", hex0x(&parent.weights)))?;
	let weights = Weights::from_canonical(&bytes)?;
	Ok(Some(Parent::new(&parent.architecture, weights)?))
}

/// Stores `checkpoint` and appends its hash to `run`.
fn record_checkpoint(
	run: &mut RunRecord,
	store: &ArtifactStore,
	checkpoint: &Checkpoint,
) -> anyhow::Result<()> {
	let hash = store.put(checkpoint.bytes()).context("cannot store a checkpoint")?;
	run.checkpoints.push(hash);
	Ok(())
}

/// `count / seconds`, 0 for an empty interval.
fn rate(count: u64, seconds: f64) -> f64 {
	if seconds > 0.0 {
		count as f64 / seconds
	} else {
		0.0
	}
}

/// The value at `point` of a run whose state at `point`'s step is reached from `start`: the
/// canonical state hash at a step, or a trace position of a step (`cairn_train::trace`). What a
/// solver posts, a challenger compares and an arbiter reveals in a dispute.
pub fn value_at(
	job: Job<'_>,
	dataset: &Dataset,
	start: &Checkpoint,
	point: Midpoint,
) -> anyhow::Result<Hash256> {
	let step = match point {
		Midpoint::State { step } | Midpoint::Trace { step, .. } => step,
	};
	let state = tokio::task::block_in_place(|| state_at_step(job, dataset, start, step))
		.with_context(|| format!("cannot reach step {step}"))?;
	match point {
		Midpoint::State { .. } => Ok(state.hash()),
		Midpoint::Trace { position, .. } => {
			tokio::task::block_in_place(|| trace_value(job, dataset, &state, position))
				.with_context(|| format!("cannot trace step {step} to position {position}"))
		},
	}
}
