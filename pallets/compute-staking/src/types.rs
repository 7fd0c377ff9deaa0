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

impl<Balance: Copy + Ord + Zero + Saturating + From<u32>, BlockNumber>
	StakingParams<Balance, BlockNumber>
{
	/// Least active bond of a provider serving `roles` with `open` tasks: the roles' minimum, and
	/// one role minimum for every open task of that role, so collateral scales with the work held.
	pub fn collateral(&self, roles: &Roles, open: &OpenTasks) -> Balance {
		let held = [Role::Solver, Role::Verifier, Role::Whistleblower].into_iter().fold(
			Balance::zero(),
			|total, role| {
				total.saturating_add(self.min_bond(role).saturating_mul(open.of(role).into()))
			},
		);
		held.max(self.required_bond(roles))
	}
}

/// Tasks a provider has taken on and not yet closed, by the role it took them in.
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
)]
pub struct OpenTasks {
	/// Claimed or submitted tasks it trains.
	pub solver: u32,
	/// Tasks whose results it verifies.
	pub verifier: u32,
	/// Challenges it has open.
	pub whistleblower: u32,
}

impl OpenTasks {
	/// Open tasks in `role`.
	pub fn of(&self, role: Role) -> u32 {
		match role {
			Role::Solver => self.solver,
			Role::Verifier => self.verifier,
			Role::Whistleblower => self.whistleblower,
		}
	}

	/// The counter of `role`.
	pub fn of_mut(&mut self, role: Role) -> &mut u32 {
		match role {
			Role::Solver => &mut self.solver,
			Role::Verifier => &mut self.verifier,
			Role::Whistleblower => &mut self.whistleblower,
		}
	}

	/// Open tasks in every role.
	pub fn total(&self) -> u32 {
		self.solver.saturating_add(self.verifier).saturating_add(self.whistleblower)
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
	/// Tasks the provider has taken on and not finished, by role.
	pub open_tasks: OpenTasks,
	/// Tasks the provider finished and was paid for.
	pub tasks_served: u32,
	/// Times the provider was slashed, from its provider bond or a task bond.
	pub slash_count: u32,
	/// Everything slashed from the provider so far, provider and task bonds alike.
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
