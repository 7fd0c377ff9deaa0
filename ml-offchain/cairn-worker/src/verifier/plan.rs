//! The verifier's and whistleblower's decisions as pure functions, the same shape as the
//! solver's: a check of its own and a seat on a dispute's committee are both commit-reveal
//! duties, and what to do for one at a finalized block follows from the window the chain is in,
//! what the chain shows of this verifier's part, and what its record says it sent ([`duty`]); what
//! a whistleblower challenges in a watched check follows from what the verifier revealed and what
//! re-execution gives ([`challenges`]). The loops in [`super`] gather the facts and act.

use cairn_primitives::{Computed, Hash256};

use crate::{chain::DisputeSubject, provider::awaiting};

/// Blocks to wait for a sent extrinsic to show on chain before sending it again.
pub const RESEND_AFTER: u64 = 3;

/// The window a commit-reveal duty is in on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
	/// Commitments are taken.
	Commit,
	/// Reveals are taken.
	Reveal,
	/// Neither (the round moved on, or the duty is not this verifier's).
	Closed,
}

/// What the chain shows of this verifier's part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
	pub committed: bool,
	pub revealed: bool,
}

/// What the record says was sent, and when; `None` when there is no record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
	pub commit: Option<u64>,
	pub reveal: Option<u64>,
}

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duty {
	/// Nothing now.
	Wait,
	/// Compute the findings and record them with a fresh salt, then commit.
	Compute,
	/// Send the recorded commitment; `resend` when an earlier one did not land.
	Commit { resend: bool },
	/// Reveal what the record says was committed; `resend` when an earlier reveal did not land.
	Reveal { resend: bool },
	/// Committed on chain, but the record of what was committed is gone: nothing can be revealed.
	RecordLost,
}

/// The duty at block `now` in `window`, given this verifier's `part` on chain and what its
/// `record` says was sent.
pub fn duty(window: Window, part: Part, record: Option<Sent>, now: u64) -> Duty {
	match (window, record) {
		(Window::Commit, _) if part.committed => Duty::Wait,
		(Window::Commit, None) => Duty::Compute,
		(Window::Commit, Some(sent)) if awaiting(sent.commit, now, RESEND_AFTER) => Duty::Wait,
		(Window::Commit, Some(sent)) => Duty::Commit { resend: sent.commit.is_some() },
		(Window::Reveal, _) if !part.committed || part.revealed => Duty::Wait,
		(Window::Reveal, None) => Duty::RecordLost,
		(Window::Reveal, Some(sent)) if awaiting(sent.reveal, now, RESEND_AFTER) => Duty::Wait,
		(Window::Reveal, Some(sent)) => Duty::Reveal { resend: sent.reveal.is_some() },
		(Window::Closed, _) => Duty::Wait,
	}
}

/// What a whistleblower challenges of one target of a watched check: the verifier's revealed
/// `witness` when re-execution's witness differs, and its agreement with the solver's leaf
/// (`agreed`, the leaf it agreed with) when re-execution's hash differs. Nothing is challenged on
/// a value re-execution does not give.
pub fn challenges(
	witness: Option<Hash256>,
	agreed: Option<Hash256>,
	truth: &Computed,
) -> Vec<DisputeSubject> {
	let differs = |claimed: Option<Hash256>, true_value: Option<Hash256>| {
		claimed
			.zip(true_value)
			.is_some_and(|(claimed, true_value)| claimed != true_value)
	};
	[
		(differs(witness, truth.witness()), DisputeSubject::Witness),
		(differs(agreed, truth.hash()), DisputeSubject::Verdict),
	]
	.into_iter()
	.filter_map(|(wrong, subject)| wrong.then_some(subject))
	.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	const NOW: u64 = 40;
	const NOTHING: Part = Part { committed: false, revealed: false };
	const COMMITTED: Part = Part { committed: true, revealed: false };
	const REVEALED: Part = Part { committed: true, revealed: true };

	fn sent(commit: Option<u64>, reveal: Option<u64>) -> Option<Sent> {
		Some(Sent { commit, reveal })
	}

	#[test]
	fn a_check_is_computed_once_then_committed() {
		assert_eq!(duty(Window::Commit, NOTHING, None, NOW), Duty::Compute);
		// Computed and recorded, but the commitment was not sent (a crash in between).
		assert_eq!(
			duty(Window::Commit, NOTHING, sent(None, None), NOW),
			Duty::Commit { resend: false }
		);
	}

	#[test]
	fn a_commitment_is_sent_again_only_when_it_did_not_land_in_time() {
		let recent = sent(Some(NOW - RESEND_AFTER), None);
		assert_eq!(duty(Window::Commit, NOTHING, recent, NOW), Duty::Wait);
		let late = sent(Some(NOW - RESEND_AFTER - 1), None);
		assert_eq!(duty(Window::Commit, NOTHING, late, NOW), Duty::Commit { resend: true });
		// On chain: nothing more to send, whatever the record says.
		for record in [None, recent, late] {
			assert_eq!(duty(Window::Commit, COMMITTED, record, NOW), Duty::Wait);
		}
	}

	#[test]
	fn what_was_committed_is_revealed_once_from_the_record() {
		let committed = sent(Some(NOW - 10), None);
		assert_eq!(duty(Window::Reveal, COMMITTED, committed, NOW), Duty::Reveal { resend: false });
		let recent = sent(Some(NOW - 10), Some(NOW - 1));
		assert_eq!(duty(Window::Reveal, COMMITTED, recent, NOW), Duty::Wait);
		let late = sent(Some(NOW - 10), Some(NOW - RESEND_AFTER - 1));
		assert_eq!(duty(Window::Reveal, COMMITTED, late, NOW), Duty::Reveal { resend: true });
		assert_eq!(duty(Window::Reveal, REVEALED, late, NOW), Duty::Wait);
		assert_eq!(duty(Window::Reveal, COMMITTED, None, NOW), Duty::RecordLost);
	}

	#[test]
	fn nothing_is_sent_out_of_its_window() {
		// Not committed in time: there is nothing to reveal.
		assert_eq!(duty(Window::Reveal, NOTHING, None, NOW), Duty::Wait);
		assert_eq!(duty(Window::Reveal, NOTHING, sent(Some(NOW - 9), None), NOW), Duty::Wait);
		for part in [NOTHING, COMMITTED, REVEALED] {
			for record in [None, sent(None, None), sent(Some(1), Some(2))] {
				assert_eq!(duty(Window::Closed, part, record, NOW), Duty::Wait);
			}
		}
	}

	#[test]
	fn a_whistleblower_challenges_only_what_re_execution_contradicts() {
		let (leaf, witness) = ([1; 32], [2; 32]);
		let truth = Computed::Witnessed { hash: leaf, witness };
		assert_eq!(challenges(Some(witness), Some(leaf), &truth), vec![]);
		assert_eq!(challenges(Some([9; 32]), Some(leaf), &truth), vec![DisputeSubject::Witness]);
		assert_eq!(challenges(Some(witness), Some([9; 32]), &truth), vec![DisputeSubject::Verdict]);
		assert_eq!(
			challenges(Some([9; 32]), Some([8; 32]), &truth),
			vec![DisputeSubject::Witness, DisputeSubject::Verdict]
		);
		// No witness revealed, or the verifier disagreed: nothing of that subject to challenge.
		assert_eq!(challenges(None, None, &truth), vec![]);
		// An endpoint has no witness: only an agreement with a wrong leaf is challenged.
		let endpoint = Computed::Hash(leaf);
		assert_eq!(challenges(Some([9; 32]), Some(leaf), &endpoint), vec![]);
		assert_eq!(challenges(None, Some([9; 32]), &endpoint), vec![DisputeSubject::Verdict]);
		assert_eq!(challenges(Some(witness), Some([9; 32]), &Computed::Unavailable), vec![]);
	}
}
