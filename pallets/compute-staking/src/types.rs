//! Data types of compute staking.

use cairn_primitives::{HardwareProfile, Role, Roles};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::traits::{Saturating, Zero};

use crate::Config;

/// Balance type of the currency bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Protocol parameters of staking, set at genesis and changeable by root.
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
pub struct StakingParams<Balance, BlockNumber> {
	/// Least active bond of a solver.
	pub min_solver_bond: Balance,
	/// Least active bond of a verifier.
	pub min_verifier_bond: Balance,
	/// Least active bond of a whistleblower.
	pub min_whistleblower_bond: Balance,
	/// Blocks between `unbond` and the funds becoming withdrawable (slashable meanwhile).
	pub unbonding_delay: BlockNumber,
}

impl<Balance: Copy + Ord + Zero, BlockNumber> StakingParams<Balance, BlockNumber> {
	/// Least active bond of one role.
	pub fn min_bond(&self, role: Role) -> Balance {
		match role {
			Role::Solver => self.min_solver_bond,
			Role::Verifier => self.min_verifier_bond,
			Role::Whistleblower => self.min_whistleblower_bond,
		}
	}

	/// Least active bond that covers every role in `roles`.
	pub fn required_bond(&self, roles: &Roles) -> Balance {
		roles.iter().map(|role| self.min_bond(role)).max().unwrap_or_else(Zero::zero)
	}
}

/// Funds leaving the bond; withdrawable from `unlock_at`.
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
pub struct UnbondingChunk<Balance, BlockNumber> {
	/// Amount leaving the bond.
	pub amount: Balance,
	/// First block at which it can be withdrawn.
	pub unlock_at: BlockNumber,
}

/// A registered compute provider.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Provider<T: Config> {
	/// Roles the provider serves.
	pub roles: Roles,
	/// Declared hardware.
	pub hardware: HardwareProfile,
	/// Active bond: counts towards eligibility.
	pub bonded: BalanceOf<T>,
	/// Bond on its way out: still held and slashable until withdrawn.
	pub unbonding:
		BoundedVec<UnbondingChunk<BalanceOf<T>, BlockNumberFor<T>>, T::MaxUnbondingChunks>,
	/// Tasks the provider has taken on and not finished.
	pub open_tasks: u32,
	/// Tasks the provider finished and was paid for.
	pub tasks_served: u32,
	/// Times the provider was slashed.
	pub slash_count: u32,
	/// Everything slashed from the provider so far.
	pub slashed_total: BalanceOf<T>,
	/// Block of registration.
	pub registered_at: BlockNumberFor<T>,
}

impl<T: Config> Provider<T> {
	/// Everything held for this provider: the active bond plus the unbonding chunks.
	pub fn total_held(&self) -> BalanceOf<T> {
		self.unbonding
			.iter()
			.fold(self.bonded, |total, chunk| total.saturating_add(chunk.amount))
	}
}
