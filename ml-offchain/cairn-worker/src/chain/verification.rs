//! Verification as the worker sees it: the running verifications (drawn verifiers, their
//! targets, commitments and verdicts), and the calls of verifiers and solvers.

use cairn_primitives::{verification::Siblings, ComputeClass, Finding, Hash256, TaskId, Verdict};
use subxt::utils::{AccountId32, Static, H256};
use subxt_signer::sr25519::Keypair;

use super::{api, Chain, Explain};

type Generated = api::runtime_types::pallet_verification::types::Verification;
type GeneratedPhase = api::runtime_types::pallet_verification::types::Phase<u32>;
type GeneratedStatus = api::runtime_types::pallet_verification::types::TargetStatus;
type GeneratedDispute = api::runtime_types::pallet_verification::types::Dispute;
type GeneratedStage = api::runtime_types::pallet_verification::types::DisputeStage;
type GeneratedPoint = api::runtime_types::pallet_verification::types::ArbitrationPoint;
type GeneratedArbitrationPhase = api::runtime_types::pallet_verification::types::ArbitrationPhase;
type GeneratedSubject = api::runtime_types::pallet_verification::types::DisputeSubject;

/// Where a verification is; each phase ends at its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
	Draw {
		at: u32,
	},
	Commit {
		until: u32,
	},
	Reveal {
		until: u32,
	},
	Availability {
		until: u32,
	},
	Decide {
		at: u32,
	},
	Dispute {
		until: u32,
	},
	/// Whistleblowers may challenge the round's witnesses until `until`.
	Challenge {
		until: u32,
	},
}

/// What a dispute's arbiters re-execute, and the solver's value they compare it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArbitrationPoint {
	/// The disputed target itself, computed as a verifier does.
	Target { claimed: Hash256 },
	/// Trace position `position` of training step `step`.
	Trace { step: u32, position: u32, claimed: Hash256 },
}

/// Where a dispute's arbitration is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArbitrationPhase {
	Draw,
	Commit,
	Reveal,
}

/// Where a dispute is (`pallet_verification::DisputeStage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeStage {
	/// Bisecting steps: the state at `lo` is agreed, the solver's state at `hi` disputed.
	Steps { lo: u32, hi: u32 },
	/// Bisecting the trace of step `step`: position `lo` agreed, `hi` disputed.
	Operations { step: u32, lo: u32, hi: u32 },
	/// Pinpointed: a committee re-executes `point`.
	Arbitration { point: ArbitrationPoint, phase: ArbitrationPhase },
}

/// The value a bisection asks for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Midpoint {
	/// The canonical state hash at a step.
	State { step: u32 },
	/// A trace position of a step.
	Trace { step: u32, position: u32 },
}

impl DisputeStage {
	/// The value at the current midpoint of a bisection stage.
	pub fn midpoint(&self) -> Option<Midpoint> {
		match *self {
			DisputeStage::Steps { lo, hi } => Some(Midpoint::State { step: lo + (hi - lo) / 2 }),
			DisputeStage::Operations { step, lo, hi } => {
				Some(Midpoint::Trace { step, position: lo + (hi - lo) / 2 })
			},
			DisputeStage::Arbitration { .. } => None,
		}
	}
}

/// One seat of a dispute's committee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arbiter {
	pub account: AccountId32,
	pub committed: bool,
	pub revealed: bool,
}

/// What a dispute is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisputeSubject {
	/// The solver's leaf, contradicted by a verifier.
	Leaf,
	/// A verifier's witness, challenged by a whistleblower; the verifier defends it.
	Witness,
	/// A verifier's agreement with the solver's leaf, challenged by a whistleblower; the solver
	/// defends the leaf.
	Verdict,
}

impl DisputeSubject {
	fn generated(self) -> GeneratedSubject {
		match self {
			DisputeSubject::Leaf => GeneratedSubject::Leaf,
			DisputeSubject::Witness => GeneratedSubject::Witness,
			DisputeSubject::Verdict => GeneratedSubject::Verdict,
		}
	}

	fn of(generated: GeneratedSubject) -> Self {
		match generated {
			GeneratedSubject::Leaf => DisputeSubject::Leaf,
			GeneratedSubject::Witness => DisputeSubject::Witness,
			GeneratedSubject::Verdict => DisputeSubject::Verdict,
		}
	}
}

/// A running dispute: the solver against a challenging verifier over a leaf, or a verifier
/// against a whistleblower over a witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
	/// Serial number of the dispute within its verification (bound into arbiters' commitments).
	pub serial: u8,
	/// The disputed target.
	pub target: u32,
	pub subject: DisputeSubject,
	/// Position of the verifier's check in the verification's checks.
	pub check: u32,
	pub defender: AccountId32,
	pub challenger: AccountId32,
	pub stage: DisputeStage,
	/// The solver's value at the midpoint, awaiting the challenger's answer.
	pub midpoint: Option<Hash256>,
	/// Answered rounds so far.
	pub rounds: u16,
	/// Committees drawn so far (the current one's attempt is this minus one).
	pub attempts: u8,
	pub arbiters: Vec<Arbiter>,
}

/// A target: checkpoint `index`, or the final weights when `index` is the checkpoint count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
	pub index: u32,
	/// The solver's value, once known on chain.
	pub committed: Option<Hash256>,
	/// A verifier could not fetch it: the solver must post its leaf.
	pub challenged: bool,
	/// `open`, `confirmed`, `refuted` or `forfeited`.
	pub status: &'static str,
}

/// One verifier's check in one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
	pub verifier: AccountId32,
	pub round: u8,
	pub targets: Vec<u32>,
	pub committed: bool,
	pub verdicts: Option<Vec<Verdict>>,
	/// Revealed witnesses, by target.
	pub witnesses: Vec<(u32, Hash256)>,
	/// The commitment of the forced-error secret the verifier was drawn with.
	pub secret: Option<Hash256>,
	/// It lost a dispute: none of its verdicts counts.
	pub defeated: bool,
}

/// A whistleblower's pending challenge of a verifier's witness or agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
	pub whistleblower: AccountId32,
	/// Position of the challenged check in the verification's checks.
	pub check: u32,
	pub target: u32,
	pub subject: DisputeSubject,
}

/// A running verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
	pub task_id: TaskId,
	pub solver: AccountId32,
	/// Block of the result's commitment: tells this submission from an earlier one of the same
	/// task (a rejected task reopens and is submitted again).
	pub submitted_at: u32,
	pub round: u8,
	pub phase: Phase,
	pub targets: Vec<Target>,
	pub checks: Vec<Check>,
	pub dispute: Option<Dispute>,
	/// Pending whistleblower challenges, in the order posted.
	pub challenges: Vec<Challenge>,
	/// The forced-error rate of this verification, in parts per billion.
	pub forced_error_rate: u32,
	/// The solver's compute class, which every verifier and whistleblower shares.
	pub class: ComputeClass,
}

impl Verification {
	/// The check of `who` in the current round, if it was drawn.
	pub fn check_of(&self, who: &AccountId32) -> Option<&Check> {
		self.checks
			.iter()
			.find(|check| check.round == self.round && check.verifier == *who)
	}
}

fn convert(task_id: TaskId, generated: Generated) -> Verification {
	let phase = match generated.phase {
		GeneratedPhase::Draw { at } => Phase::Draw { at },
		GeneratedPhase::Commit { until } => Phase::Commit { until },
		GeneratedPhase::Reveal { until } => Phase::Reveal { until },
		GeneratedPhase::Availability { until } => Phase::Availability { until },
		GeneratedPhase::Decide { at } => Phase::Decide { at },
		GeneratedPhase::Dispute { until } => Phase::Dispute { until },
		GeneratedPhase::Challenge { until } => Phase::Challenge { until },
	};
	let serial = generated.disputes.saturating_sub(1);
	let dispute = generated.dispute.map(|dispute| convert_dispute(serial, dispute));
	Verification {
		task_id,
		solver: generated.solver,
		submitted_at: generated.submitted_at,
		round: generated.round,
		phase,
		targets: generated
			.targets
			.0
			.into_iter()
			.map(|target| Target {
				index: target.index,
				committed: target.committed,
				challenged: target.challenged,
				status: match target.status {
					GeneratedStatus::Open => "open",
					GeneratedStatus::Confirmed => "confirmed",
					GeneratedStatus::Refuted => "refuted",
					GeneratedStatus::Forfeited => "forfeited",
				},
			})
			.collect(),
		checks: generated
			.checks
			.0
			.into_iter()
			.map(|check| Check {
				verifier: check.verifier,
				round: check.round,
				targets: check.targets.0,
				committed: check.commitment.is_some(),
				verdicts: check
					.verdicts
					.map(|verdicts| verdicts.0.into_iter().map(|verdict| verdict.0).collect()),
				witnesses: check.witnesses.0,
				secret: check.secret,
				defeated: check.defeated,
			})
			.collect(),
		dispute,
		challenges: generated
			.challenges
			.0
			.into_iter()
			.map(|challenge| Challenge {
				whistleblower: challenge.whistleblower,
				check: challenge.check,
				target: challenge.target,
				subject: DisputeSubject::of(challenge.subject),
			})
			.collect(),
		forced_error_rate: generated.forced_error_rate.0,
		class: generated.class.0,
	}
}

fn convert_dispute(serial: u8, generated: GeneratedDispute) -> Dispute {
	let stage = match generated.stage {
		GeneratedStage::Steps { lo, hi, .. } => DisputeStage::Steps { lo, hi },
		GeneratedStage::Operations { step, lo, hi, .. } => {
			DisputeStage::Operations { step, lo, hi }
		},
		GeneratedStage::Arbitration { point, phase } => DisputeStage::Arbitration {
			point: match point {
				GeneratedPoint::Target { claimed } => ArbitrationPoint::Target { claimed },
				GeneratedPoint::Trace { step, position, claimed, .. } => {
					ArbitrationPoint::Trace { step, position, claimed }
				},
			},
			phase: match phase {
				GeneratedArbitrationPhase::Draw => ArbitrationPhase::Draw,
				GeneratedArbitrationPhase::Commit => ArbitrationPhase::Commit,
				GeneratedArbitrationPhase::Reveal => ArbitrationPhase::Reveal,
			},
		},
	};
	Dispute {
		serial,
		target: generated.target,
		subject: DisputeSubject::of(generated.subject),
		check: generated.check,
		defender: generated.defender,
		challenger: generated.challenger,
		stage,
		midpoint: generated.midpoint,
		rounds: generated.rounds,
		attempts: generated.attempts,
		arbiters: generated
			.arbiters
			.0
			.into_iter()
			.map(|arbiter| Arbiter {
				account: arbiter.account,
				committed: arbiter.commitment.is_some(),
				revealed: arbiter.computed.is_some(),
			})
			.collect(),
	}
}

impl Chain {
	/// Every running verification at block `hash` (a finalized block), by increasing task id.
	pub async fn verifications_at(&self, hash: H256) -> anyhow::Result<Vec<Verification>> {
		let at = self
			.client
			.at_block(hash)
			.await
			.explain(format!("cannot read block {hash:?}"))?;
		let mut verifications = Vec::new();
		let mut entries = at
			.storage()
			.iter(api::storage().verification().verifications(), ())
			.await
			.explain("cannot iterate over Verification.Verifications")?;
		while let Some(entry) = entries.next().await {
			let entry = entry.explain("cannot read a Verification.Verifications entry")?;
			let (task_id,) =
				entry.key().and_then(|key| key.decode()).explain("cannot decode a task id")?;
			let generated = entry
				.value()
				.decode()
				.explain(format!("cannot decode the verification of task {task_id}"))?;
			verifications.push(convert(task_id, generated));
		}
		verifications.sort_by_key(|verification| verification.task_id);
		Ok(verifications)
	}

	/// The commitment of `who`'s forced-error secret at block `hash`, and whether it was revealed.
	pub async fn secret_of(
		&self,
		hash: H256,
		who: &AccountId32,
	) -> anyhow::Result<Option<(Hash256, bool)>> {
		let at = self
			.client
			.at_block(hash)
			.await
			.explain(format!("cannot read block {hash:?}"))?;
		let secret = at
			.storage()
			.try_fetch(api::storage().verification().secrets(), (*who,))
			.await
			.explain("cannot read Verification.Secrets")?;
		let Some(secret) = secret else { return Ok(None) };
		let secret = secret.decode().explain("cannot decode a forced-error secret")?;
		Ok(Some((secret.commitment, secret.revealed_at.is_some())))
	}

	/// Commits to a new forced-error secret (`cairn_primitives::verification::secret_commitment`).
	pub async fn commit_secret(
		&self,
		signer: &Keypair,
		commitment: Hash256,
	) -> anyhow::Result<H256> {
		let call = api::transactions().verification().commit_secret(commitment);
		Ok(self.submit(signer, &call, "commit_secret").await?.0)
	}

	/// Challenges `verifier`'s witness of `target`, or its agreement with the solver's value, in
	/// the running round of `task_id`.
	pub async fn challenge(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		verifier: &AccountId32,
		target: u32,
		subject: DisputeSubject,
	) -> anyhow::Result<H256> {
		let call = api::transactions().verification().challenge(
			task_id,
			*verifier,
			target,
			subject.generated(),
		);
		Ok(self.submit(signer, &call, "challenge").await?.0)
	}

	/// Reveals the forced-error secret to show a challenged witness was a forced error.
	pub async fn reveal_secret(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		secret: Hash256,
	) -> anyhow::Result<H256> {
		let call = api::transactions().verification().reveal_secret(task_id, secret);
		Ok(self.submit(signer, &call, "reveal_secret").await?.0)
	}

	/// Commits to findings for `task_id` (see `cairn_primitives::verification`).
	pub async fn commit_findings(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		commitment: Hash256,
	) -> anyhow::Result<H256> {
		let call = api::transactions().verification().commit(task_id, commitment);
		Ok(self.submit(signer, &call, "commit").await?.0)
	}

	/// Reveals the findings committed to for `task_id`, with the salt.
	pub async fn reveal_findings(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		findings: Vec<Finding>,
		salt: Hash256,
	) -> anyhow::Result<H256> {
		let findings = api::runtime_types::bounded_collections::bounded_vec::BoundedVec(
			findings.into_iter().map(Static).collect(),
		);
		let call = api::transactions().verification().reveal(task_id, findings, salt);
		Ok(self.submit(signer, &call, "reveal").await?.0)
	}

	/// Posts the solver's value at the midpoint of round `round` of the running dispute.
	pub async fn bisect(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		round: u16,
		value: Hash256,
	) -> anyhow::Result<H256> {
		let call = api::transactions().verification().bisect(task_id, round, value);
		Ok(self.submit(signer, &call, "bisect").await?.0)
	}

	/// Answers the solver's midpoint of round `round` in the running dispute (challenger only).
	pub async fn respond(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		round: u16,
		agree: bool,
	) -> anyhow::Result<H256> {
		let call = api::transactions().verification().respond(task_id, round, agree);
		Ok(self.submit(signer, &call, "respond").await?.0)
	}

	/// Posts leaves a verifier could not fetch, each with its Merkle proof (solver only).
	pub async fn post_leaves(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		leaves: Vec<(u32, Hash256, Siblings)>,
	) -> anyhow::Result<H256> {
		let leaves = api::runtime_types::bounded_collections::bounded_vec::BoundedVec(
			leaves
				.into_iter()
				.map(|(index, leaf, siblings)| {
					(
						index,
						leaf,
						api::runtime_types::bounded_collections::bounded_vec::BoundedVec(
							siblings.into_inner(),
						),
					)
				})
				.collect(),
		);
		let call = api::transactions().verification().post_leaves(task_id, leaves);
		Ok(self.submit(signer, &call, "post_leaves").await?.0)
	}
}
