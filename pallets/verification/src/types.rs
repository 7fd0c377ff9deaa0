//! Data types of verification.

use cairn_primitives::{
	task::{MAX_SEGMENTS_PER_VERIFIER, MAX_VERIFIERS},
	verification::MAX_TARGETS_PER_CHECK,
	ComputeClass, Hash256, Verdict,
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
		}
	}

	/// The block at which the phase ends.
	pub fn ends_at(&self) -> BlockNumber {
		match *self {
			Phase::Draw { at } | Phase::Decide { at } => at,
			Phase::Commit { until } | Phase::Reveal { until } | Phase::Availability { until } => {
				until
			},
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
