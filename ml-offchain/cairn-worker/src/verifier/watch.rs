//! The whistleblower's watch: during a round's challenge window it re-executes the targets of the
//! checks it watches (each with probability `--watch`, drawn once per check from a secret seed)
//! and challenges every witness that differs from what re-execution gives (a forced error wins
//! the jackpot, a made-up witness the lazy verifier's slash) and every agreement with a solver's
//! value that re-execution contradicts (the solver defends it; a bribed verifier's slash). A
//! wrong challenge would lose the challenge bond, which is why it challenges only what it
//! computed.
//!
//! Nothing here needs a record: challenges are on chain, and a restarted whistleblower computes
//! again what it had not challenged yet.

use std::collections::HashMap;

use cairn_primitives::{merkle::blake2_256, ComputeClass, Computed, Hash256, TaskId, Verdict};
use subxt::{ext::codec::Encode, utils::AccountId32};

use super::{fresh_salt, plan, replay, Verifier, RESEND_AFTER};
use crate::{
	chain::{self, Chain, DisputeSubject, Verification, VerificationPhase},
	hardware,
	provider::awaiting,
};

/// What a whistleblower watches and what it found.
pub struct Watching {
	/// Probability of watching a check.
	probability: f64,
	/// Secret seed of the draws, so that verifiers cannot tell which checks are watched.
	seed: Hash256,
	/// This machine's compute class: only its tasks can be re-executed exactly.
	class: ComputeClass,
	/// What re-execution gave, by (task, submission block, target).
	values: HashMap<(TaskId, u32, u32), Computed>,
	/// Block at which a challenge (task, submission block, check, target, subject) was last sent.
	sent: HashMap<(TaskId, u32, u32, u32, DisputeSubject), u64>,
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
			values: HashMap::new(),
			sent: HashMap::new(),
		})
	}

	/// Forgets what it found of submissions no longer being verified.
	pub fn forget_ended(&mut self, verifications: &[Verification]) {
		let running = |task_id: TaskId, submitted_at: u32| {
			verifications
				.iter()
				.any(|v| (v.task_id, v.submitted_at) == (task_id, submitted_at))
		};
		self.values
			.retain(|(task_id, submitted_at, _), _| running(*task_id, *submitted_at));
		self.sent
			.retain(|(task_id, submitted_at, ..), _| running(*task_id, *submitted_at));
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
	/// Re-executes the targets of the watched checks of `verification` while its challenge
	/// window is open, and challenges every witness and every agreement that re-execution
	/// contradicts.
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
			if check.round != verification.round
				|| check.defeated
				|| check.verifier == self.me
				|| !self.watching.watches(task_id, submitted_at, check.round, &check.verifier)
			{
				continue;
			}
			let verdicts = check.verdicts.clone().unwrap_or_default();
			for (&target, verdict) in check.targets.iter().zip(verdicts) {
				let witness = check.witnesses.iter().find(|(index, _)| *index == target);
				let leaf = verification
					.targets
					.iter()
					.find(|known| known.index == target)
					.and_then(|known| known.committed);
				let agreed = (verdict == Verdict::Agree).then_some(leaf).flatten();
				if witness.is_none() && agreed.is_none() {
					continue;
				}
				let Some(truth) = self.true_value(chain, verification, target).await? else {
					continue;
				};
				let revealed = witness.map(|(_, revealed)| *revealed);
				for subject in plan::challenges(revealed, agreed, &truth) {
					let challenge = (position as u32, target, subject);
					self.challenge(chain, verification, &check.verifier, challenge, now).await?;
				}
			}
		}
		Ok(())
	}

	/// Challenges `verifier`'s check `(position, target, subject)`, unless this whistleblower
	/// did already (on chain, or sent within the last blocks).
	async fn challenge(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		verifier: &AccountId32,
		(position, target, subject): (u32, u32, DisputeSubject),
		now: u64,
	) -> anyhow::Result<()> {
		let task_id = verification.task_id;
		let on_chain = verification.challenges.iter().any(|challenge| {
			challenge.whistleblower == self.me
				&& (challenge.check, challenge.target, challenge.subject)
					== (position, target, subject)
		});
		let key = (task_id, verification.submitted_at, position, target, subject);
		let recently = awaiting(self.watching.sent.get(&key).copied(), now, RESEND_AFTER);
		if on_chain || recently {
			return Ok(());
		}
		self.watching.sent.insert(key, now);
		tracing::info!(task = task_id, %verifier, target, ?subject, "challenging");
		let sent = chain.challenge(&self.signer, task_id, verifier, target, subject).await;
		chain::log_sent(task_id, "challenged", sent)
	}

	/// What re-execution gives for `target` of the watched run, witness included (once per
	/// target); `None` while the solver does not serve what it needs.
	async fn true_value(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		target: u32,
	) -> anyhow::Result<Option<Computed>> {
		let key = (verification.task_id, verification.submitted_at, target);
		if let Some(known) = self.watching.values.get(&key) {
			return Ok(Some(known.clone()));
		}
		let task_id = verification.task_id;
		let run = self.submitted(chain, task_id).await?;
		let served = run.served(self, task_id, &[]);
		let findings = replay::findings(&served, run.job(), &run.dataset, &[target]).await?;
		let Some(computed) = findings.into_iter().next().map(|finding| finding.computed) else {
			return Ok(None);
		};
		if computed == Computed::Unavailable {
			return Ok(None);
		}
		tracing::info!(task = task_id, target, ?computed, "re-executed");
		self.watching.values.insert(key, computed.clone());
		Ok(Some(computed))
	}
}
