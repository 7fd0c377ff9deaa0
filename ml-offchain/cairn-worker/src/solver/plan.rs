//! The solver's decisions as pure functions of what it knows at one finalized block: for a task
//! it has a record of, the record's [`Phase`], the task's status on chain, whether it is
//! trained and what the training slot runs ([`next_step`]); when a training run ends, what
//! becomes of the task ([`after_training`]); and whether an open task may be claimed
//! ([`may_claim`]). The loop in [`super`] gathers the facts, applies the step and persists it, so
//! every transition is tested here without a chain.

use super::state::Phase;
use crate::provider::awaiting;

/// Blocks to wait for a sent claim or commitment to show on chain before sending it again or
/// giving it up: both are mortal from the block they are sent at, so after these blocks one that
/// did not land never will.
pub const RESEND_AFTER: u64 = crate::chain::MORTALITY;
/// Blocks before a task that could not be served (dataset unreachable, claim refused) is tried
/// again.
pub const RETRY_AFTER: u64 = 20;
/// Blocks before training that failed (a full disk, a dataset download cut short) is started
/// again: training is deterministic, so it resumes from the last checkpoint that loads.
pub const RETRAIN_AFTER: u64 = 3;

/// A task's status on chain, as it concerns this solver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnChain {
	/// Open for claims.
	Open,
	/// Held by this solver, which must commit by block `deadline` (inclusive).
	Held { deadline: u32 },
	/// This solver's commitment is on chain.
	Committed,
	/// Gone (expired, refunded, settled), or held or committed by someone else.
	Lost,
}

/// What the solver's one training slot is doing, as it concerns a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
	/// Nothing trains.
	Idle,
	/// This task trains.
	This,
	/// Another task trains.
	Other,
}

/// What the solver knows of one task it has an active record of, at one finalized block.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
	pub phase: &'a Phase,
	pub on_chain: OnChain,
	/// The block's number.
	pub now: u64,
	/// Whether the record holds every checkpoint of the run.
	pub trained: bool,
	pub slot: Slot,
	/// Block from which training that failed may start again, if it failed.
	pub retrain_at: Option<u64>,
}

/// What to do for the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
	/// Nothing now; `busy` says whether the task keeps the solver from claiming another.
	Wait { busy: bool },
	/// The commitment is on chain: record the task as submitted.
	RecordCommitted,
	/// Start (or resume) training.
	Train,
	/// Send the commitment, due by `deadline`; `resend` when an earlier one did not land.
	Commit { deadline: u32, resend: bool },
	/// Give the task up, stopping its training first if it runs.
	GiveUp { reason: String },
}

/// The step for one task: a phase to record first, if the chain moved it on, then an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
	pub record: Option<Phase>,
	pub action: Action,
}

impl From<Action> for Step {
	fn from(action: Action) -> Self {
		Step { record: None, action }
	}
}

/// What to do for a task with an active record (claiming, claimed or submitting).
pub fn next_step(facts: Facts<'_>) -> Step {
	let Facts { phase, on_chain, now, trained, slot, retrain_at } = facts;
	match on_chain {
		OnChain::Committed => Action::RecordCommitted.into(),
		OnChain::Held { deadline } if now > u64::from(deadline) => {
			Action::GiveUp { reason: format!("its deadline, block {deadline}, has passed") }.into()
		},
		OnChain::Held { deadline } => {
			let record =
				matches!(phase, Phase::Claiming { .. }).then_some(Phase::Claimed { deadline });
			let action = match phase {
				_ if slot == Slot::This => Action::Wait { busy: true },
				// One task trains at a time; a failed run waits out its pause.
				_ if !trained && (slot == Slot::Other || retrain_at.is_some_and(|at| now < at)) => {
					Action::Wait { busy: true }
				},
				_ if !trained => Action::Train,
				Phase::Submitting { since, .. } if awaiting(Some(*since), now, RESEND_AFTER) => {
					Action::Wait { busy: true }
				},
				Phase::Submitting { .. } => Action::Commit { deadline, resend: true },
				_ => Action::Commit { deadline, resend: false },
			};
			Step { record, action }
		},
		OnChain::Open => match phase {
			Phase::Claiming { since } if awaiting(Some(*since), now, RESEND_AFTER) => {
				Action::Wait { busy: true }.into()
			},
			Phase::Claiming { .. } => {
				Action::GiveUp { reason: "the claim did not land".into() }.into()
			},
			_ => lost(),
		},
		OnChain::Lost => lost(),
	}
}

fn lost() -> Step {
	Action::GiveUp { reason: "the task is no longer claimed by this solver".into() }.into()
}

/// How a training run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrainingEnd {
	/// Every checkpoint is recorded.
	Trained,
	/// Training stopped because it was asked to.
	Stopped,
	/// Training failed: `error`.
	Failed { error: String },
}

/// What becomes of a task when its training ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterTraining {
	/// Nothing to record: the next block commits it.
	Commit,
	/// Train again from block `at`; the task stays held.
	Retrain { at: u64 },
	/// Record the task given up: `reason`.
	Abandon { reason: String },
}

/// What becomes of a task whose training ended as `ended` at block `now`, when `abandon` says
/// why the solver stopped it, if it did. A failure while the task is held is retried, never
/// abandoned: the chain would slash the bond all the same, and a fault may pass.
pub fn after_training(ended: TrainingEnd, abandon: Option<String>, now: u64) -> AfterTraining {
	match (ended, abandon) {
		(_, Some(reason)) => AfterTraining::Abandon { reason },
		(TrainingEnd::Trained, None) => AfterTraining::Commit,
		(TrainingEnd::Failed { .. }, None) => AfterTraining::Retrain { at: now + RETRAIN_AFTER },
		(TrainingEnd::Stopped, None) => {
			AfterTraining::Abandon { reason: "training was stopped".into() }
		},
	}
}

/// Whether an open task, claimable until block `until`, may be claimed at block `now` by a
/// solver with record `known` of it, unless it posted the task or refuses it for now.
pub fn may_claim(
	until: u32,
	now: u64,
	own_task: bool,
	refused: bool,
	known: Option<&Phase>,
) -> bool {
	// The claim lands in a later block, which must not be past the window.
	u64::from(until) > now
		&& !own_task
		&& !refused
		// Only a task given up before may be claimed again (after it reopened).
		&& known.is_none_or(|phase| matches!(phase, Phase::Abandoned { .. }))
}

#[cfg(test)]
mod tests {
	use super::*;

	const NOW: u64 = 100;

	fn facts(phase: &Phase, on_chain: OnChain) -> Facts<'_> {
		Facts { phase, on_chain, now: NOW, trained: false, slot: Slot::Idle, retrain_at: None }
	}

	fn give_up(reason: &str) -> Step {
		Action::GiveUp { reason: reason.into() }.into()
	}

	const CLAIMING: Phase = Phase::Claiming { since: NOW - 2 };
	const CLAIMED: Phase = Phase::Claimed { deadline: 150 };
	const SUBMITTING: Phase = Phase::Submitting { deadline: 150, since: NOW - 2 };
	const HELD: OnChain = OnChain::Held { deadline: 150 };

	#[test]
	fn a_claim_is_confirmed_once_the_chain_shows_it_held() {
		for (slot, trained, action) in [
			(Slot::Idle, false, Action::Train),
			(Slot::Other, false, Action::Wait { busy: true }),
			(Slot::Idle, true, Action::Commit { deadline: 150, resend: false }),
		] {
			let step = next_step(Facts { slot, trained, ..facts(&CLAIMING, HELD) });
			assert_eq!(step, Step { record: Some(CLAIMED), action });
		}
	}

	#[test]
	fn a_claim_that_does_not_land_is_awaited_then_given_up() {
		let waiting = next_step(facts(&CLAIMING, OnChain::Open));
		assert_eq!(waiting, Action::Wait { busy: true }.into());
		let late = Phase::Claiming { since: NOW - RESEND_AFTER - 1 };
		assert_eq!(next_step(facts(&late, OnChain::Open)), give_up("the claim did not land"));
		// Claimed by another solver meanwhile.
		assert_eq!(
			next_step(facts(&CLAIMING, OnChain::Lost)),
			give_up("the task is no longer claimed by this solver")
		);
	}

	#[test]
	fn a_held_task_trains_until_trained_then_commits() {
		assert_eq!(next_step(facts(&CLAIMED, HELD)), Action::Train.into());
		let training = Facts { slot: Slot::This, ..facts(&CLAIMED, HELD) };
		assert_eq!(next_step(training), Action::Wait { busy: true }.into());
		let trained = Facts { trained: true, ..facts(&CLAIMED, HELD) };
		assert_eq!(next_step(trained), Action::Commit { deadline: 150, resend: false }.into());
		// A trained task is committed while another trains.
		let other = Facts { trained: true, slot: Slot::Other, ..facts(&CLAIMED, HELD) };
		assert_eq!(next_step(other), Action::Commit { deadline: 150, resend: false }.into());
	}

	#[test]
	fn failed_training_waits_then_trains_again() {
		let failed = Facts { retrain_at: Some(NOW + 1), ..facts(&CLAIMED, HELD) };
		assert_eq!(next_step(failed), Action::Wait { busy: true }.into());
		let due = Facts { retrain_at: Some(NOW), ..facts(&CLAIMED, HELD) };
		assert_eq!(next_step(due), Action::Train.into());
	}

	#[test]
	fn a_commitment_is_sent_again_only_when_it_did_not_land_in_time() {
		let trained = |phase| Facts { trained: true, ..facts(phase, HELD) };
		assert_eq!(next_step(trained(&SUBMITTING)), Action::Wait { busy: true }.into());
		let late = Phase::Submitting { deadline: 150, since: NOW - RESEND_AFTER - 1 };
		assert_eq!(
			next_step(trained(&late)),
			Action::Commit { deadline: 150, resend: true }.into()
		);
		let on_chain = next_step(Facts { trained: true, ..facts(&SUBMITTING, OnChain::Committed) });
		assert_eq!(on_chain, Action::RecordCommitted.into());
	}

	#[test]
	fn a_task_past_its_deadline_or_lost_is_given_up_whatever_its_phase() {
		let past = OnChain::Held { deadline: (NOW - 1) as u32 };
		for phase in [&CLAIMING, &CLAIMED, &SUBMITTING] {
			for slot in [Slot::Idle, Slot::This] {
				assert_eq!(
					next_step(Facts { slot, ..facts(phase, past) }),
					give_up(&format!("its deadline, block {}, has passed", NOW - 1))
				);
				let lost = give_up("the task is no longer claimed by this solver");
				assert_eq!(next_step(Facts { slot, ..facts(phase, OnChain::Lost) }), lost);
			}
		}
		// Reopened after this solver's claim expired.
		assert_eq!(
			next_step(facts(&CLAIMED, OnChain::Open)),
			give_up("the task is no longer claimed by this solver")
		);
		// The deadline block itself still counts.
		let last = OnChain::Held { deadline: NOW as u32 };
		assert_eq!(next_step(facts(&CLAIMED, last)), Action::Train.into());
	}

	#[test]
	fn training_that_fails_is_retried_and_only_a_stop_abandons() {
		assert_eq!(after_training(TrainingEnd::Trained, None, NOW), AfterTraining::Commit);
		let failed = TrainingEnd::Failed { error: "No space left on device".into() };
		assert_eq!(
			after_training(failed.clone(), None, NOW),
			AfterTraining::Retrain { at: NOW + RETRAIN_AFTER }
		);
		for ended in [TrainingEnd::Trained, TrainingEnd::Stopped, failed] {
			assert_eq!(
				after_training(ended, Some("deadline passed".into()), NOW),
				AfterTraining::Abandon { reason: "deadline passed".into() }
			);
		}
		assert_eq!(
			after_training(TrainingEnd::Stopped, None, NOW),
			AfterTraining::Abandon { reason: "training was stopped".into() }
		);
	}

	#[test]
	fn open_tasks_are_claimed_in_their_window_unless_skipped_or_already_held() {
		assert!(may_claim(101, NOW, false, false, None));
		assert!(!may_claim(100, NOW, false, false, None), "the claim would land past the window");
		assert!(!may_claim(101, NOW, true, false, None), "a solver does not serve its own task");
		assert!(!may_claim(101, NOW, false, true, None));
		let abandoned = Phase::Abandoned { reason: "deadline".into() };
		assert!(may_claim(101, NOW, false, false, Some(&abandoned)));
		let submitted = Phase::Submitted { block: "0x01".into() };
		for phase in [CLAIMING, CLAIMED, SUBMITTING, submitted] {
			assert!(!may_claim(101, NOW, false, false, Some(&phase)));
		}
	}
}
