//! The verifier's and whistleblower's side of the dispute game (`pallet_verification::dispute`):
//! as the challenger it answers the defender's midpoints by re-executing the disputed segment; a
//! verifier whose witness is challenged shows its secret if the witness was its forced error and
//! otherwise defends it, posting midpoints re-executed the same way; drawn onto a committee it
//! re-executes the pinpointed point, commits to the value and reveals it.
//!
//! Answers are not recorded: the same value is recomputed after a restart, from the leaves the
//! check proved (so a solver that stops serving its proofs mid-game cannot make the challenger
//! answer blind), and a move names its round, so a resent answer cannot land on a later midpoint.
//! A value that cannot be computed is never answered: the next block tries again. A seat's value
//! and salt are recorded before the commitment is sent ([`ArbitrationRecord`]), like a check's; a
//! seat that cannot fetch what it needs keeps trying until the commit window nearly ends.

use cairn_primitives::{
	verification::{arbitration_commitment, forced_error},
	Computed, Finding, Hash256,
};
use subxt::ext::codec::Encode;

use super::{
	fresh_salt,
	plan::{self, Duty, Part, Sent, Window},
	replay,
	state::{ArbitrationRecord, CheckRecord},
	Verifier, RESEND_AFTER,
};
use crate::{
	chain::{
		log_sent, ArbitrationPhase, ArbitrationPoint, Chain, Dispute, DisputeStage, DisputeSubject,
		Midpoint, Verification, VerificationPhase,
	},
	provider::awaiting,
	record::hex0x,
};

impl Verifier {
	/// Plays this verifier's part in the running dispute of `verification`, if it has one.
	pub(super) async fn play_dispute(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		now: u64,
	) -> anyhow::Result<()> {
		let Some(dispute) = &verification.dispute else { return Ok(()) };
		if dispute.challenger == self.me {
			if let (Some(posted), Some(point)) = (dispute.midpoint, dispute.stage.midpoint()) {
				self.answer(chain, verification, dispute, posted, point, now).await?;
			}
		}
		if dispute.subject == DisputeSubject::Witness && dispute.defender == self.me {
			self.defend_witness(chain, verification, dispute, now).await?;
		}
		let DisputeStage::Arbitration { point, phase } = dispute.stage else { return Ok(()) };
		let Some(seat) = dispute.arbiters.iter().find(|arbiter| arbiter.account == self.me) else {
			return Ok(());
		};
		let window = match phase {
			ArbitrationPhase::Commit => Window::Commit,
			ArbitrationPhase::Reveal => Window::Reveal,
			ArbitrationPhase::Draw => Window::Closed,
		};
		let part = Part { committed: seat.committed, revealed: seat.revealed };
		let attempt = dispute.attempts.saturating_sub(1);
		let (task_id, submitted_at) = (verification.task_id, verification.submitted_at);
		let name = ArbitrationRecord::name_of(task_id, submitted_at, dispute.serial, attempt);
		let record = self.checks.load::<ArbitrationRecord>(&name)?;
		let sent = record
			.as_ref()
			.map(|record| Sent { commit: record.commit_sent_at, reveal: record.reveal_sent_at });
		match (plan::duty(window, part, sent, now), record) {
			(Duty::Compute, _) => {
				let Some(record) = self.arbitrate(chain, verification, dispute, point, now).await?
				else {
					return Ok(());
				};
				self.commit_seat(chain, record, now).await
			},
			(Duty::Commit { .. }, Some(record)) => self.commit_seat(chain, record, now).await,
			(Duty::Reveal { .. }, Some(record)) => self.reveal_seat(chain, record, now).await,
			(Duty::RecordLost, _) => {
				tracing::error!(task = task_id, "committed as an arbiter but the record is gone");
				Ok(())
			},
			_ => Ok(()),
		}
	}

	/// Defends this verifier's challenged witness: reveals the secret when it was the forced
	/// error, else posts each midpoint as re-execution gives it.
	async fn defend_witness(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		dispute: &Dispute,
		now: u64,
	) -> anyhow::Result<()> {
		let task_id = verification.task_id;
		let key = (task_id, dispute.serial, dispute.rounds);
		let Some(point) = dispute.stage.midpoint() else { return Ok(()) };
		if dispute.midpoint.is_some()
			|| awaiting(self.answered.get(&key).copied(), now, RESEND_AFTER)
		{
			return Ok(());
		}
		#[cfg(feature = "dishonest")]
		if self.dishonesty == Some(super::dishonest::Dishonesty::Lazy) {
			tracing::warn!(task = task_id, "a lazy verifier cannot defend its witness");
			return Ok(());
		}
		let check = verification
			.checks
			.get(dispute.check as usize)
			.ok_or_else(|| anyhow::anyhow!("the disputed check is not on chain"))?;
		if let Some(secret) = self.secret_of(check.secret)? {
			let position = check.witnesses.iter().position(|(index, _)| *index == dispute.target);
			let forced = forced_error(
				&secret,
				task_id,
				check.round,
				verification.forced_error_rate,
				check.witnesses.len() as u32,
			);
			if forced.is_some() && forced == position.map(|p| p as u32) {
				self.answered.insert(key, now);
				tracing::info!(task = task_id, target = dispute.target, "showing the forced error");
				let sent = chain.reveal_secret(&self.signer, task_id, secret).await;
				return log_sent(task_id, "secret revealed", sent);
			}
		}
		let round = Some(check.round);
		let Some(value) = self.midpoint_value(chain, verification, dispute, round, point).await?
		else {
			return Ok(());
		};
		self.answered.insert(key, now);
		tracing::info!(task = task_id, ?point, value = hex0x(&value), "defending the witness");
		let sent = chain.bisect(&self.signer, task_id, dispute.rounds, value).await;
		log_sent(task_id, "midpoint posted", sent)
	}

	/// What re-execution gives at `point` of the disputed segment, from the leaves this
	/// verifier's check of `round` proved (so that a solver that stops serving its proofs cannot
	/// make it answer blind); `None`, logged, while it cannot be computed.
	async fn midpoint_value(
		&self,
		chain: &Chain,
		verification: &Verification,
		dispute: &Dispute,
		round: Option<u8>,
		point: Midpoint,
	) -> anyhow::Result<Option<Hash256>> {
		let task_id = verification.task_id;
		let proved = match round {
			Some(round) => {
				let name = CheckRecord::name_of(task_id, verification.submitted_at, round);
				self.checks.load::<CheckRecord>(&name)?.map(|record| record.leaves)
			},
			None => None,
		};
		let run = self.submitted(chain, task_id).await?;
		let served = run.served(self, task_id, &proved.unwrap_or_default());
		let computed =
			replay::value_in_segment(&served, run.job(), &run.dataset, dispute.target, point)
				.await?;
		let Computed::Hash(value) = computed else {
			tracing::warn!(task = task_id, ?point, "cannot compute the midpoint yet; retrying");
			return Ok(None);
		};
		Ok(Some(value))
	}

	/// Agrees with the defender's value at the midpoint if re-execution gives the same.
	async fn answer(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		dispute: &Dispute,
		posted: Hash256,
		point: Midpoint,
		now: u64,
	) -> anyhow::Result<()> {
		let task_id = verification.task_id;
		let key = (task_id, dispute.serial, dispute.rounds);
		if awaiting(self.answered.get(&key).copied(), now, RESEND_AFTER) {
			return Ok(());
		}
		let round = verification.check_of(&self.me).map(|check| check.round);
		let Some(value) = self.midpoint_value(chain, verification, dispute, round, point).await?
		else {
			return Ok(());
		};
		let agree = value == posted;
		self.answered.insert(key, now);
		tracing::info!(task = task_id, ?point, posted = hex0x(&posted), agree, "answering");
		let sent = chain.respond(&self.signer, task_id, dispute.rounds, agree).await;
		log_sent(task_id, "answered", sent)
	}

	/// Re-executes the arbitration point and records the value with a fresh salt; `None` while
	/// the input cannot be fetched and the window is not about to close.
	async fn arbitrate(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		dispute: &Dispute,
		point: ArbitrationPoint,
		now: u64,
	) -> anyhow::Result<Option<ArbitrationRecord>> {
		let task_id = verification.task_id;
		let target = dispute.target;
		let run = self.submitted(chain, task_id).await?;
		let served = run.served(self, task_id, &[]);
		let computed = match point {
			ArbitrationPoint::Target { .. } => {
				replay::target_value(&served, run.job(), &run.dataset, target).await?
			},
			ArbitrationPoint::Trace { step, position, .. } => {
				let point = Midpoint::Trace { step, position };
				replay::value_in_segment(&served, run.job(), &run.dataset, target, point).await?
			},
		};
		// What the solver does not serve counts against it: say so only when the window is
		// about to close, in case the fetch was a passing fault.
		let closing = match verification.phase {
			VerificationPhase::Dispute { until } => now + 2 >= u64::from(until),
			_ => true,
		};
		if computed == Computed::Unavailable && !closing {
			tracing::warn!(task = task_id, ?point, "cannot fetch the input yet; retrying");
			return Ok(None);
		}
		tracing::info!(task = task_id, ?point, ?computed, "arbitrated");
		let record = ArbitrationRecord {
			task_id,
			submitted_at: verification.submitted_at,
			dispute: dispute.serial,
			attempt: dispute.attempts.saturating_sub(1),
			computed,
			salt: fresh_salt()?,
			commit_sent_at: None,
			reveal_sent_at: None,
		};
		self.checks.save(&record)?;
		Ok(Some(record))
	}

	/// Commits to the value of a seat's `record`, noting first when it was sent.
	async fn commit_seat(
		&mut self,
		chain: &Chain,
		mut record: ArbitrationRecord,
		now: u64,
	) -> anyhow::Result<()> {
		let task_id = record.task_id;
		record.commit_sent_at = Some(now);
		self.checks.save(&record)?;
		let commitment = arbitration_commitment(
			task_id,
			record.dispute,
			record.attempt,
			&self.me.encode(),
			&record.computed,
			&record.salt,
		);
		tracing::info!(task = task_id, dispute = record.dispute, "committing as an arbiter");
		let sent = chain.commit_findings(&self.signer, task_id, commitment).await;
		log_sent(task_id, "arbiter committed", sent)
	}

	/// Reveals what a seat's `record` says was committed, noting first when it was sent.
	async fn reveal_seat(
		&mut self,
		chain: &Chain,
		mut record: ArbitrationRecord,
		now: u64,
	) -> anyhow::Result<()> {
		let task_id = record.task_id;
		record.reveal_sent_at = Some(now);
		self.checks.save(&record)?;
		let finding = Finding { computed: record.computed.clone(), leaf: None };
		tracing::info!(task = task_id, dispute = record.dispute, "revealing as an arbiter");
		let sent = chain.reveal_findings(&self.signer, task_id, vec![finding], record.salt).await;
		log_sent(task_id, "arbiter revealed", sent)
	}
}
