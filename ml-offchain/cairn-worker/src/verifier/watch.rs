//! The whistleblower's watch: during a round's challenge window it re-executes the witnesses of
//! the checks it watches (each with probability `--watch`, drawn once per check from a secret
//! seed) and challenges every witness that differs from what re-execution gives. A forced error
//! wins the jackpot; a made-up witness, the lazy verifier's slash; a wrong challenge would lose
//! the challenge bond, which is why it challenges only what it computed.
//!
//! Nothing here needs a record: challenges are on chain, and a restarted whistleblower computes
//! again what it had not challenged yet.

use std::collections::HashMap;

use cairn_primitives::{
	merkle::blake2_256, verification::witness_step_of, ComputeClass, Computed, Hash256, TaskId,
};
use subxt::{ext::codec::Encode, utils::AccountId32};

use super::{fresh_salt, replay, Verifier, RESEND_AFTER};
use crate::{
	chain::{self, Chain, Midpoint, Verification, VerificationPhase},
	hardware,
	record::hex0x,
};

/// What a whistleblower watches and what it found.
pub struct Watching {
	/// Probability of watching a check.
	probability: f64,
	/// Secret seed of the draws, so that verifiers cannot tell which checks are watched.
	seed: Hash256,
	/// This machine's compute class: only its tasks can be re-executed exactly.
	class: ComputeClass,
	/// True witnesses computed, by (task, submission block, target).
	witnesses: HashMap<(TaskId, u32, u32), Hash256>,
	/// Block at which a challenge (task, submission block, check, target) was last sent.
	sent: HashMap<(TaskId, u32, u32, u32), u64>,
}

impl Watching {
	pub fn new(probability: f64) -> anyhow::Result<Self> {
		anyhow::ensure!(
			(0.0..=1.0).contains(&probability),
			"--watch must be a probability from 0 to 1, not {probability}"
		);
		Ok(Watching {
			probability,
			seed: fresh_salt()?,
			class: hardware::detect()?.class(),
			witnesses: HashMap::new(),
			sent: HashMap::new(),
		})
	}

	/// Whether to watch `verifier`'s check of round `round` of a submission.
	fn watches(
		&self,
		task_id: TaskId,
		submitted_at: u32,
		round: u8,
		verifier: &AccountId32,
	) -> bool {
		let draw = blake2_256(&(self.seed, task_id, submitted_at, round, verifier).encode());
		let unit = u64::from_le_bytes(draw[..8].try_into().expect("8 bytes")) as f64;
		unit / (u64::MAX as f64) < self.probability
	}
}

impl Verifier {
	/// Re-executes the witnesses of the watched checks of `verification` while its challenge
	/// window is open, and challenges the wrong ones.
	pub(super) async fn watch(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		now: u64,
	) -> anyhow::Result<()> {
		if !matches!(verification.phase, VerificationPhase::Challenge { .. })
			|| verification.solver == self.me
			|| verification.class != self.watching.class
		{
			return Ok(());
		}
		let (task_id, submitted_at) = (verification.task_id, verification.submitted_at);
		for (position, check) in verification.checks.iter().enumerate() {
			let position = position as u32;
			if check.round != verification.round
				|| check.defeated
				|| check.verifier == self.me
				|| !self.watching.watches(task_id, submitted_at, check.round, &check.verifier)
			{
				continue;
			}
			for &(target, witness) in &check.witnesses {
				let challenged = verification.challenges.iter().any(|challenge| {
					challenge.whistleblower == self.me
						&& challenge.check == position
						&& challenge.target == target
				});
				let key = (task_id, submitted_at, position, target);
				let recently =
					self.watching.sent.get(&key).is_some_and(|at| now <= at + RESEND_AFTER);
				if challenged || recently {
					continue;
				}
				let Some(truth) = self.true_witness(chain, verification, target).await? else {
					continue;
				};
				if truth == witness {
					continue;
				}
				self.watching.sent.insert(key, now);
				tracing::info!(
					task = task_id,
					verifier = %check.verifier,
					target,
					revealed = hex0x(&witness),
					computed = hex0x(&truth),
					"challenging a witness"
				);
				let sent = chain.challenge(&self.signer, task_id, &check.verifier, target).await;
				chain::log_sent(task_id, "challenged", sent)?;
			}
		}
		Ok(())
	}

	/// The state hash at the witness step of `target`'s segment, replayed from the solver's
	/// checkpoint (once per target); `None` while the solver does not serve it.
	async fn true_witness(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		target: u32,
	) -> anyhow::Result<Option<Hash256>> {
		let (task_id, submitted_at) = (verification.task_id, verification.submitted_at);
		if let Some(known) = self.watching.witnesses.get(&(task_id, submitted_at, target)) {
			return Ok(Some(*known));
		}
		let run = self.submitted(chain, task_id).await?;
		let count = run.commitment.checkpoint_count;
		let Some(step) = witness_step_of(&run.spec, count, target) else { return Ok(None) };
		let served = run.served(self, task_id, &[]);
		let point = Midpoint::State { step };
		let computed =
			replay::value_in_segment(&served, &run.spec, &run.dataset, target, point).await?;
		let Computed::Hash(truth) = computed else { return Ok(None) };
		tracing::info!(task = task_id, target, step, witness = hex0x(&truth), "re-executed");
		self.watching.witnesses.insert((task_id, submitted_at, target), truth);
		Ok(Some(truth))
	}
}
