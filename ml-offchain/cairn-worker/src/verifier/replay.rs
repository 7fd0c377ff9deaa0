//! What a verifier computes for its targets (`cairn_primitives::verification`): checkpoint 0 from
//! the spec, checkpoint `j` by replaying segment `j - 1` from the solver's checkpoint `j - 1`
//! (with the segment's witness, the state hash at its middle step), and the final weights from
//! the last checkpoint it recomputed. Everything fetched from the solver is
//! checked: leaves and their proofs against the committed root, checkpoints against their leaves.
//!
//! A start checkpoint the solver committed but that cannot be where the run should be (it does not
//! decode, sits at another step than its position implies, or does not fit the spec) makes the
//! computed value [`INVALID_START`], which every honest verifier computes alike and no real
//! checkpoint hashes to. What the solver does not serve is [`Computed::Unavailable`].

use std::{collections::HashMap, sync::Mutex};

use anyhow::Context;
use cairn_primitives::{
	merkle::{blake2_256, verify_checkpoint, CheckpointProof},
	verification::{witness_step_of, Siblings},
	Computed, Finding, Hash256, ResultCommitment, TaskId,
};
use cairn_train::{
	replay_segment, state_at_step, ArtifactClient, ArtifactStore, Checkpoint, Dataset, Job,
	TrainError, Trainer,
};

use crate::{chain::Midpoint, training::value_at};

/// The value of a target whose start checkpoint is committed but invalid.
pub const INVALID_START: Hash256 = [0; 32];

/// A solver's run as it serves it: leaves with proofs, and checkpoints by hash.
pub struct ServedRun<'a> {
	pub client: ArtifactClient,
	pub store: &'a ArtifactStore,
	/// The solver's artifacts URI, from its commitment.
	pub base: String,
	pub task_id: TaskId,
	pub commitment: &'a ResultCommitment,
	/// Leaves proved so far (or recorded by an earlier check), by index: a checkpoint whose leaf
	/// is known is taken from the local store without asking the solver again.
	pub leaves: Mutex<HashMap<u32, Hash256>>,
}

/// A checkpoint as fetched from the solver, or as recomputed from one.
enum Fetched {
	/// The solver did not serve it (or its leaf).
	Missing,
	/// Committed, but not a checkpoint the run can be at (or start from).
	Invalid,
	Valid(Checkpoint),
}

impl ServedRun<'_> {
	/// The leaves proved so far, by index.
	pub fn proved_leaves(&self) -> Vec<(u32, Hash256)> {
		let leaves = self.leaves.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let mut proved: Vec<(u32, Hash256)> = leaves.iter().map(|(i, h)| (*i, *h)).collect();
		proved.sort_unstable();
		proved
	}

	fn known_leaf(&self, index: u32) -> Option<Hash256> {
		self.leaves
			.lock()
			.unwrap_or_else(|poisoned| poisoned.into_inner())
			.get(&index)
			.copied()
	}

	/// Leaf `index` and its siblings, from the solver, checked against the committed root.
	pub async fn leaf(&self, index: u32) -> Option<(Hash256, Vec<Hash256>)> {
		let url = format!(
			"{}/tasks/{}/checkpoints/{index}/proof",
			self.base.trim_end_matches('/'),
			self.task_id
		);
		let body = match self.client.fetch_unchecked(&url).await {
			Ok(body) => body,
			Err(error) => {
				tracing::warn!(
					task = self.task_id,
					index,
					"the solver does not serve the leaf: {error}"
				);
				return None;
			},
		};
		let served: serde_json::Value = serde_json::from_slice(&body).ok()?;
		let hash = |value: &serde_json::Value| -> Option<Hash256> {
			let text = value.as_str()?;
			hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok()?.try_into().ok()
		};
		let proof = CheckpointProof {
			leaf: hash(&served["leaf"])?,
			leaf_index: index,
			number_of_leaves: self.commitment.checkpoint_count,
			siblings: served["siblings"].as_array()?.iter().map(hash).collect::<Option<_>>()?,
		};
		if !verify_checkpoint(&self.commitment.checkpoint_root, &proof) {
			tracing::warn!(
				task = self.task_id,
				index,
				"the served proof does not match the commitment"
			);
			return None;
		}
		self.leaves
			.lock()
			.unwrap_or_else(|poisoned| poisoned.into_inner())
			.insert(index, proof.leaf);
		Some((proof.leaf, proof.siblings))
	}

	/// Checkpoint `index`, from the local store or the solver, checked against its leaf.
	async fn checkpoint(&self, index: u32) -> Fetched {
		let leaf = match self.known_leaf(index) {
			Some(leaf) => leaf,
			None => match self.leaf(index).await {
				Some((leaf, _)) => leaf,
				None => return Fetched::Missing,
			},
		};
		let bytes = match self.store.get(&leaf) {
			Ok(bytes) => bytes,
			Err(_) => match self.client.fetch_artifact(&self.base, &leaf).await {
				Ok(bytes) => {
					if let Err(error) = self.store.put(&bytes) {
						tracing::warn!("cannot keep a fetched checkpoint: {error}");
					}
					bytes
				},
				Err(error) => {
					tracing::warn!(
						task = self.task_id,
						index,
						"cannot fetch the checkpoint: {error}"
					);
					return Fetched::Missing;
				},
			},
		};
		match Checkpoint::from_bytes(bytes) {
			Ok(checkpoint) => Fetched::Valid(checkpoint),
			Err(_) => Fetched::Invalid,
		}
	}
}

/// The findings for `targets` of the run `served` commits to: for each, what re-execution gives
/// and the solver's leaf with its proof (none for the final weights, whose value is on chain).
pub async fn findings(
	served: &ServedRun<'_>,
	job: Job<'_>,
	dataset: &Dataset,
	targets: &[u32],
) -> anyhow::Result<Vec<Finding>> {
	let count = served.commitment.checkpoint_count;
	let mut recomputed: HashMap<u32, (Fetched, Option<Hash256>)> = HashMap::new();
	let mut findings = Vec::with_capacity(targets.len());
	for &target in targets {
		let leaf = if target < count { served.leaf(target).await } else { None };
		let computed = if target < count && leaf.is_none() {
			Computed::Unavailable
		} else {
			// The final weights are those of the last checkpoint.
			let position = target.min(count.saturating_sub(1));
			if let std::collections::hash_map::Entry::Vacant(slot) = recomputed.entry(position) {
				let witness_step = witness_of(job, count, position);
				slot.insert(recompute(served, job, dataset, position, witness_step).await?);
			}
			let (checkpoint, witness) = &recomputed[&position];
			let computed = match (checkpoint, target == count) {
				(Fetched::Missing, _) => Computed::Unavailable,
				(Fetched::Invalid, _) => Computed::Hash(INVALID_START),
				(Fetched::Valid(checkpoint), false) => Computed::Hash(checkpoint.hash()),
				(Fetched::Valid(checkpoint), true) => match checkpoint.weights() {
					Ok(weights) => Computed::Hash(blake2_256(&weights)),
					Err(_) => Computed::Hash(INVALID_START),
				},
			};
			// A segment that cannot start has no state inside it either: every honest verifier
			// witnesses the same placeholder.
			match (computed, witness_of(job, count, target)) {
				(Computed::Hash(hash), Some(_)) => {
					Computed::Witnessed { hash, witness: witness.unwrap_or(INVALID_START) }
				},
				(computed, _) => computed,
			}
		};
		let leaf = leaf.map(|(leaf, siblings)| (leaf, Siblings::truncate_from(siblings)));
		findings.push(Finding { computed, leaf });
	}
	Ok(findings)
}

/// The witness step of `target` of `job`'s run of `count` checkpoints, as the chain requires it.
pub fn witness_of(job: Job<'_>, count: u32, target: u32) -> Option<u32> {
	witness_step_of(job.trace_len(), job.spec().training.checkpoint_interval, count, target)
}

/// Checkpoint `position` as an honest run has it: from the spec for 0, else by replaying the
/// segment from the solver's previous checkpoint, which must sit at the step its position implies;
/// with the state hash at `witness_step` on the way.
async fn recompute(
	served: &ServedRun<'_>,
	job: Job<'_>,
	dataset: &Dataset,
	position: u32,
	witness_step: Option<u32>,
) -> anyhow::Result<(Fetched, Option<Hash256>)> {
	if position == 0 {
		let initial = tokio::task::block_in_place(|| Trainer::new(job, dataset)?.checkpoint());
		return match initial {
			Ok(initial) => Ok((Fetched::Valid(initial), None)),
			// A continued run whose parent's weights nobody served cannot be checked at its start.
			Err(TrainError::ParentRequired(_)) => Ok((Fetched::Missing, None)),
			Err(error) => Err(error).context("cannot build the spec's initial model"),
		};
	}
	let start = match segment_start(served, job, position).await {
		Fetched::Valid(checkpoint) => checkpoint,
		other => return Ok((other, None)),
	};
	let replayed = tokio::task::block_in_place(|| match witness_step {
		Some(step) => {
			// Trained on from the middle: bit for bit the state a replay from the start reaches.
			let middle = state_at_step(job, dataset, &start, step)?;
			let end = start.step().saturating_add(job.spec().training.checkpoint_interval);
			Ok((state_at_step(job, dataset, &middle, end)?, Some(middle.hash())))
		},
		None => replay_segment(job, dataset, &start).map(|end| (end, None)),
	});
	Ok(match replayed {
		Ok((checkpoint, witness)) => (Fetched::Valid(checkpoint), witness),
		Err(_) => (Fetched::Invalid, None),
	})
}

/// The solver's checkpoint that starts the segment ending at checkpoint `target`, which must sit
/// at the step its position implies.
async fn segment_start(served: &ServedRun<'_>, job: Job<'_>, target: u32) -> Fetched {
	let index = target.saturating_sub(1);
	match served.checkpoint(index).await {
		Fetched::Valid(start)
			if u64::from(start.step())
				== u64::from(index) * u64::from(job.spec().training.checkpoint_interval) =>
		{
			Fetched::Valid(start)
		},
		Fetched::Valid(_) => Fetched::Invalid,
		other => other,
	}
}

/// What honest re-execution gives at `point` inside the segment that ends at checkpoint
/// `target`, replayed from the solver's checkpoint `target - 1`: [`Computed::Unavailable`] when
/// the solver does not serve it, [`INVALID_START`] when the run cannot start there.
pub async fn value_in_segment(
	served: &ServedRun<'_>,
	job: Job<'_>,
	dataset: &Dataset,
	target: u32,
	point: Midpoint,
) -> anyhow::Result<Computed> {
	let start = match segment_start(served, job, target).await {
		Fetched::Valid(checkpoint) => checkpoint,
		Fetched::Missing => return Ok(Computed::Unavailable),
		Fetched::Invalid => return Ok(Computed::Hash(INVALID_START)),
	};
	Ok(match value_at(job, dataset, &start, point) {
		Ok(value) => Computed::Hash(value),
		// The served start does not fit the spec: as for a segment that cannot start.
		Err(_) => Computed::Hash(INVALID_START),
	})
}

/// What honest re-execution gives for verification target `target` itself, as an arbiter of a
/// dispute over it computes it: checkpoint 0 from the spec alone, anything else as a check does.
pub async fn target_value(
	served: &ServedRun<'_>,
	job: Job<'_>,
	dataset: &Dataset,
	target: u32,
) -> anyhow::Result<Computed> {
	if target == 0 {
		return Ok(match recompute(served, job, dataset, 0, None).await?.0 {
			Fetched::Valid(initial) => Computed::Hash(initial.hash()),
			Fetched::Missing => Computed::Unavailable,
			Fetched::Invalid => Computed::Hash(INVALID_START),
		});
	}
	let findings = findings(served, job, dataset, &[target]).await?;
	Ok(findings
		.into_iter()
		.next()
		.map_or(Computed::Unavailable, |finding| finding.computed))
}
