//! Data types of verification.

use cairn_primitives::{
	task::{MAX_SEGMENTS_PER_VERIFIER, MAX_VERIFIERS},
	verification::MAX_TARGETS_PER_CHECK,
	ComputeClass, Computed, Hash256, Verdict,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

use crate::Config;

/// Most verifiers drawn for one recheck round.
pub const MAX_RECHECK_VERIFIERS: u8 = 7;
/// Most recheck rounds after the sampled round.
pub const MAX_RECHECK_ROUNDS: u8 = 3;
/// Most arbiters of one dispute's committee.
pub const MAX_ARBITERS: u8 = 7;
/// Most whistleblower challenges pending on one verification.
pub const MAX_CHALLENGES: u32 = 16;
/// Most checks of one task over all its rounds.
pub const MAX_CHECKS: u32 =
	MAX_VERIFIERS as u32 + MAX_RECHECK_ROUNDS as u32 * MAX_RECHECK_VERIFIERS as u32;
/// Most targets of one task: every sampled segment and the three fixed targets.
pub const MAX_TARGETS: u32 = MAX_VERIFIERS as u32 * MAX_SEGMENTS_PER_VERIFIER as u32 + 3;

/// Balance type of the currency in which bonds are held.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Protocol parameters of verification, set at genesis and changeable by root.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct VerificationParams<Balance, BlockNumber> {
	/// Blocks from a result's submission to the draw of its verifiers, so that the draw uses
	/// randomness the solver could not see when it committed.
	pub draw_delay: BlockNumber,
	/// Blocks between draw attempts while too few verifiers can be drawn.
	pub redraw_interval: BlockNumber,
	/// Blocks the drawn verifiers have to commit to their findings.
	pub commit_window: BlockNumber,
	/// Blocks the committed verifiers have to reveal them.
	pub reveal_window: BlockNumber,
	/// Blocks the solver has to post a leaf that a verifier could not fetch.
	pub availability_window: BlockNumber,
	/// Verifiers drawn for each recheck round (at most [`MAX_RECHECK_VERIFIERS`]).
	pub recheck_verifiers: u8,
	/// Recheck rounds after the sampled round before verification gives up (1 to
	/// [`MAX_RECHECK_ROUNDS`]: the sampled round alone never refutes).
	pub max_recheck_rounds: u8,
	/// Share of the reward paid to the verifiers for correct findings; on a rejected result the
	/// same share is paid from the solver's bond.
	pub verification_fee: Perbill,
	/// Taken from a verifier's provider bond for a wrong finding or for silence.
	pub verifier_slash: Balance,
	/// Blocks a party to a dispute has for each move; missing it loses the dispute.
	pub move_window: BlockNumber,
	/// Arbiters drawn to re-execute a dispute's pinpointed operation (1 to [`MAX_ARBITERS`]).
	pub arbiters: u8,
	/// Paid to each arbiter of the majority from the losing party's provider bond.
	pub arbiter_fee: Balance,
	/// Blocks after a round's reveals in which whistleblowers may challenge its witnesses (zero:
	/// no challenges).
	pub challenge_window: BlockNumber,
	/// Share of the task's reward a whistleblower loses to the verifier when its challenge
	/// fails.
	pub challenge_bond: Perbill,
	/// Probability that a verifier is due a forced error on a check.
	pub forced_error_rate: Perbill,
	/// Share of the task's reward paid from the pot to the whistleblower that catches a forced
	/// error.
	pub jackpot: Perbill,
	/// Share of the task's reward (of the solver's bond, when rejected) paid into the pot.
	pub jackpot_tax: Perbill,
}

/// Where a task's verification is. Each phase ends at a block on the agenda.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Phase<BlockNumber> {
	/// Verifiers are drawn at block `at`.
	Draw { at: BlockNumber },
	/// The round's verifiers commit until block `until`.
	Commit { until: BlockNumber },
	/// The committed verifiers reveal until block `until`.
	Reveal { until: BlockNumber },
	/// The solver must post the leaves verifiers could not fetch by block `until`.
	Availability { until: BlockNumber },
	/// Every finding is in; the round is decided at block `at`.
	Decide { at: BlockNumber },
	/// A dispute is running; its current step (a move, a draw, a commit or a reveal) times out
	/// no earlier than `until`.
	Dispute { until: BlockNumber },
	/// Whistleblowers may challenge the round's witnesses until block `until`.
	Challenge { until: BlockNumber },
}

impl<BlockNumber: Copy> Phase<BlockNumber> {
	/// The same phase, ending at `at` instead.
	pub fn moved_to(self, at: BlockNumber) -> Self {
		match self {
			Phase::Draw { .. } => Phase::Draw { at },
			Phase::Commit { .. } => Phase::Commit { until: at },
			Phase::Reveal { .. } => Phase::Reveal { until: at },
			Phase::Availability { .. } => Phase::Availability { until: at },
			Phase::Decide { .. } => Phase::Decide { at },
			Phase::Dispute { .. } => Phase::Dispute { until: at },
			Phase::Challenge { .. } => Phase::Challenge { until: at },
		}
	}

	/// The block at which the phase ends.
	pub fn ends_at(&self) -> BlockNumber {
		match *self {
			Phase::Draw { at } | Phase::Decide { at } => at,
			Phase::Commit { until }
			| Phase::Reveal { until }
			| Phase::Availability { until }
			| Phase::Dispute { until }
			| Phase::Challenge { until } => until,
		}
	}
}

/// What verification decided about one target.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum TargetStatus {
	/// Not decided yet.
	Open,
	/// The solver's value was reproduced.
	Confirmed,
	/// The solver's value was shown wrong, or the solver did not post a leaf it was asked for.
	Refuted,
	/// The solver gave up defending its value (it conceded or missed a move): the result is
	/// rejected, but nothing showed the value wrong, so nobody who agreed with it is punished.
	Forfeited,
}

/// Something verifiers recompute: checkpoint `index`, or the final weights when `index` is the
/// checkpoint count (see `cairn_primitives::verification`).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Target {
	/// Checkpoint index, or the checkpoint count for the final weights.
	pub index: u32,
	/// The solver's value, once known on chain: a leaf proven in a reveal or posted by the
	/// solver, or the committed final weights hash.
	pub committed: Option<Hash256>,
	/// A verifier could not fetch it: the solver must post its leaf.
	pub challenged: bool,
	/// What was decided.
	pub status: TargetStatus,
}

/// One verifier's assignment in one round and what it committed and revealed.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Check<T: Config> {
	/// The drawn verifier.
	pub verifier: T::AccountId,
	/// The round it was drawn in (0: the sampled round; then rechecks).
	pub round: u8,
	/// Target indices it recomputes, in the order it reveals them.
	pub targets: BoundedVec<u32, ConstU32<MAX_TARGETS_PER_CHECK>>,
	/// Its commitment (`cairn_primitives::verification::reveal_commitment`).
	pub commitment: Option<Hash256>,
	/// Its verdicts, one per target, once revealed.
	pub verdicts: Option<BoundedVec<Verdict, ConstU32<MAX_TARGETS_PER_CHECK>>>,
	/// Its witnesses, by target, once revealed (segment targets it computed).
	pub witnesses: BoundedVec<(u32, Hash256), ConstU32<MAX_TARGETS_PER_CHECK>>,
	/// The verifier's forced-error secret commitment when it was drawn.
	pub secret: Option<Hash256>,
	/// It lost a dispute over one of its findings: none of its verdicts counts any more.
	pub defeated: bool,
	/// The whistleblower that showed one of its witnesses wrong, which its slash pays.
	pub caught_by: Option<T::AccountId>,
}

impl<T: Config> Check<T> {
	/// Whether the check revealed agreement with the solver's value of `target`.
	pub fn agrees_on(&self, target: u32) -> bool {
		let Some(verdicts) = &self.verdicts else { return false };
		self.targets
			.iter()
			.zip(verdicts)
			.any(|(index, verdict)| *index == target && *verdict == Verdict::Agree)
	}
}

/// A whistleblower's challenge of a verifier's witness or agreement, awaiting its dispute.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Challenge<T: Config> {
	/// The challenging whistleblower.
	pub whistleblower: T::AccountId,
	/// Position of the challenged check in the verification's checks.
	pub check: u32,
	/// The target whose witness or verdict is challenged.
	pub target: u32,
	/// What is challenged: the witness (`Witness`) or the agreement (`Verdict`).
	pub subject: DisputeSubject,
	/// Block of the challenge: a jackpot is paid only if the verifier's secret was not public
	/// yet.
	pub posted_at: BlockNumberFor<T>,
}

/// A verifier's forced-error secret, committed before it is drawn.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct VerifierSecret<BlockNumber> {
	/// `cairn_primitives::verification::secret_commitment` of the secret.
	pub commitment: Hash256,
	/// Block at which the secret was revealed; a revealed secret is replaced before the verifier
	/// is drawn again.
	pub revealed_at: Option<BlockNumber>,
}

/// The verification of one submitted task.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Verification<T: Config> {
	/// Who posted the task.
	pub submitter: T::AccountId,
	/// Who trained it.
	pub solver: T::AccountId,
	/// The solver's compute class (ISA and arithmetic version), which every verifier shares.
	pub class: ComputeClass,
	/// Block of the commitment: the draw waits for randomness from a later block.
	pub submitted_at: BlockNumberFor<T>,
	/// The current round: 0 for the sampled round, then rechecks.
	pub round: u8,
	/// Where the verification is.
	pub phase: Phase<BlockNumberFor<T>>,
	/// Every target drawn so far, ordered by index.
	pub targets: BoundedVec<Target, ConstU32<MAX_TARGETS>>,
	/// Every check of every round.
	pub checks: BoundedVec<Check<T>, ConstU32<MAX_CHECKS>>,
	/// Disputes opened so far; the running one's serial number is this count minus one.
	pub disputes: u8,
	/// The running dispute, if any.
	pub dispute: Option<Dispute<T>>,
	/// Whistleblower challenges awaiting their dispute, in the order posted.
	pub challenges: BoundedVec<Challenge<T>, ConstU32<MAX_CHALLENGES>>,
	/// The last round whose challenge window was opened.
	pub watched_round: Option<u8>,
	/// `forced_error_rate` when the result was submitted, which forced errors are drawn with.
	pub forced_error_rate: Perbill,
}

/// A party to a dispute.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Party {
	/// The solver defending its committed value, or the verifier defending its witness.
	Defender,
	/// The verifier whose finding contradicts the solver's, or the whistleblower challenging a
	/// witness.
	Challenger,
}

/// How a dispute was decided.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Resolution {
	/// The loser conceded.
	Conceded,
	/// The loser missed its move's deadline.
	TimedOut,
	/// The arbiters' majority decided.
	Arbitrated,
	/// The challenged witness was the verifier's forced error: it revealed its secret.
	ForcedError,
}

/// What a dispute is about.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum DisputeSubject {
	/// The solver's committed value of the target, contradicted by a verifier.
	Leaf,
	/// A verifier's witness of the target's segment, challenged by a whistleblower: the verifier
	/// defends it.
	Witness,
	/// A verifier's agreement with the solver's value of the target, challenged by a
	/// whistleblower: the solver defends its value.
	Verdict,
}

/// What a dispute's arbiters re-execute, and the defender's value they compare it with.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum ArbitrationPoint {
	/// The disputed target itself, computed as a verifier does (the initial checkpoint, or the
	/// final weights of the last checkpoint: nothing to bisect), against `claimed`.
	Target { claimed: Hash256 },
	/// Trace position `position` (`cairn_primitives::task::step_trace_len`) of training step
	/// `step`, executed from the state whose canonical hash is `input` (`None`: the checkpoint
	/// that starts the disputed target's segment), against `claimed`.
	Trace { step: u32, input: Option<Hash256>, position: u32, claimed: Hash256 },
}

/// Where a dispute is. The bisection stages narrow the disputed range by half with every answer:
/// the defender posts its value at the midpoint, the challenger agrees (the upper half is
/// disputed) or not (the lower half is).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum DisputeStage {
	/// Over training steps: both accept the state at step `lo` (`lo_hash`; `None` for the
	/// segment's starting checkpoint), they dispute the defender's state `hi_hash` at step `hi`.
	Steps { lo: u32, hi: u32, lo_hash: Option<Hash256>, hi_hash: Hash256 },
	/// Inside training step `step` from the state `input`: both accept trace position `lo`,
	/// they dispute the defender's value `hi_value` at position `hi`.
	Operations { step: u32, input: Option<Hash256>, lo: u32, hi: u32, hi_value: Hash256 },
	/// Pinpointed: a committee re-executes `point`.
	Arbitration { point: ArbitrationPoint, phase: ArbitrationPhase },
}

/// Where a dispute's arbitration is.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum ArbitrationPhase {
	/// The committee is being drawn.
	Draw,
	/// The arbiters commit to what they computed.
	Commit,
	/// The committed arbiters reveal it.
	Reveal,
}

/// One arbiter of a dispute's committee.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Arbiter<T: Config> {
	/// The drawn verifier.
	pub account: T::AccountId,
	/// Its commitment (`cairn_primitives::verification::arbitration_commitment`).
	pub commitment: Option<Hash256>,
	/// What it computed, once revealed.
	pub computed: Option<Computed>,
}

/// A dispute between the solver and a verifier whose revealed value contradicts the solver's, or
/// between a verifier and a whistleblower that challenges its witness.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Dispute<T: Config> {
	/// The disputed target (checkpoint index, or the checkpoint count for the final weights).
	pub target: u32,
	/// What is disputed: the solver's leaf, or a verifier's witness.
	pub subject: DisputeSubject,
	/// The party defending its value: the solver, or the challenged verifier.
	pub defender: T::AccountId,
	/// The challenging verifier or whistleblower.
	pub challenger: T::AccountId,
	/// Position of the verifier's check in the verification's checks.
	pub check: u32,
	/// Where the dispute is.
	pub stage: DisputeStage,
	/// The defender's value at the current midpoint, awaiting the challenger's answer; `None`
	/// while the defender is to move.
	pub midpoint: Option<Hash256>,
	/// Answered bisection rounds so far.
	pub rounds: u16,
	/// Committees drawn so far (a committee without a majority is replaced, up to
	/// `max_recheck_rounds`).
	pub attempts: u8,
	/// The current committee.
	pub arbiters: BoundedVec<Arbiter<T>, ConstU32<{ MAX_ARBITERS as u32 }>>,
	/// When the current move, draw, commit or reveal times out.
	pub deadline: BlockNumberFor<T>,
	/// Block at which the challenge was posted (a leaf dispute's: when it opened).
	pub challenged_at: BlockNumberFor<T>,
	/// Block at which the point to arbitrate was pinpointed: the committee's draw uses
	/// randomness from after it, so neither party could see the committee when it moved.
	pub pinpointed_at: BlockNumberFor<T>,
}

impl<T: Config> Dispute<T> {
	/// The party whose move it is during bisection; `None` during arbitration.
	pub fn to_move(&self) -> Option<Party> {
		match (self.stage, self.midpoint) {
			(DisputeStage::Arbitration { .. }, _) => None,
			(_, None) => Some(Party::Defender),
			(_, Some(_)) => Some(Party::Challenger),
		}
	}
}

/// How a verification ended.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Outcome {
	/// Every target was reproduced: the solver is paid and the model registered.
	Accepted,
	/// A target was shown wrong or withheld: the solver is slashed.
	Rejected {
		/// The first refuted target.
		target: u32,
	},
	/// No decision within the recheck rounds: nobody but silent or wrong verifiers is punished,
	/// and the task expires at the end of its verification window.
	Inconclusive,
}
