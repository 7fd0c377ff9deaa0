//! Data types of training tasks.

use cairn_primitives::{ResultCommitment, TaskSpec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

use crate::Config;

/// Balance type of the currency rewards and bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Protocol parameters of the task market, set at genesis and changeable by root.
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
pub struct TaskParams<Balance, BlockNumber> {
	/// Least reward of any task.
	pub min_reward: Balance,
	/// Price floor: least reward per 10^9 floating-point operations of estimated work.
	pub price_per_gigaflop: Balance,
	/// Storage deposit held from the submitter while the task exists; it must cover the
	/// registry deposit of the trained model, which is taken from it at settlement.
	pub task_deposit: Balance,
	/// Share of the reward a solver holds as its bond while it works on the task.
	pub solver_bond_ratio: Perbill,
	/// Blocks a task stays open for claims.
	pub claim_window: BlockNumber,
	/// Blocks a solver has, from its claim, to commit its result.
	pub training_window: BlockNumber,
	/// Blocks verification has, from the commitment, to settle a result (verification extends it
	/// while a round runs); after them the task can be expired: the submitter is refunded and
	/// the solver's bond released, since nothing pays out unverified and nobody was shown at
	/// fault (no verifiers could be drawn).
	pub verification_window: BlockNumber,
	/// Times a task is reopened after solvers miss their deadline before it is refunded.
	pub max_reopens: u8,
}

/// Where a task is in its lifecycle. Settled, rejected, cancelled and refunded tasks are removed.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub enum TaskStatus<AccountId, Balance, BlockNumber> {
	/// Waiting for a solver until block `until`.
	Open { until: BlockNumber },
	/// A solver holds `bond` and must commit by block `deadline`.
	Claimed { solver: AccountId, bond: Balance, deadline: BlockNumber },
	/// The solver committed; verification decides by block `verify_by` (which it extends while
	/// a round runs), after which the task can be expired.
	Submitted {
		solver: AccountId,
		bond: Balance,
		commitment: ResultCommitment,
		verify_by: BlockNumber,
	},
}

/// The status type of a runtime's tasks.
pub type StatusOf<T> =
	TaskStatus<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A training task.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct TaskRecord<T: Config> {
	/// Who posted the task and escrows its reward.
	pub submitter: T::AccountId,
	/// What to train.
	pub spec: TaskSpec,
	/// Paid at settlement: to the solver, minus verification fees.
	pub reward: BalanceOf<T>,
	/// Storage deposit, returned when the task ends.
	pub deposit: BalanceOf<T>,
	/// Estimated floating-point operations, the basis of the price floor.
	pub flops: u128,
	/// Positions of one step's trace of the trained network (its own, or the parent's for a
	/// continuation; `cairn_primitives::task::step_trace_len`): where witnesses and disputes can
	/// reach inside a step. `None` for networks workers do not trace.
	pub trace_len: Option<u32>,
	/// Lifecycle state.
	pub status: StatusOf<T>,
	/// Times the task was reopened after a missed deadline.
	pub reopened: u8,
	/// Block of creation.
	pub created_at: BlockNumberFor<T>,
}

/// A task awaiting verification, as the verification pallet sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedTask<AccountId, Balance> {
	/// Who posted the task.
	pub submitter: AccountId,
	/// Who trained it.
	pub solver: AccountId,
	/// What was to be trained.
	pub spec: TaskSpec,
	/// What the solver committed to.
	pub commitment: ResultCommitment,
	/// Positions of one step's trace of the trained network (see `TaskRecord::trace_len`).
	pub trace_len: Option<u32>,
	/// The escrowed reward.
	pub reward: Balance,
	/// The solver's task bond.
	pub bond: Balance,
}
