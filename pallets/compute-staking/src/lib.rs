//! # Compute staking
//!
//! Compute providers (solvers, verifiers, whistleblowers) register here with the roles they serve,
//! a declared hardware profile and a bond, held with `fungible::MutateHold`. A role needs a
//! minimum active bond. Unbonding moves funds into chunks that stay held, and slashable, for
//! `unbonding_delay` blocks before they can be withdrawn.
//!
//! Collateral scales with the work a provider holds: every open task needs one minimum bond of
//! the role it was taken in ([`StakingParams::collateral`]), so one bond cannot back any number
//! of claims, and neither unbonding nor dropping a role can lower the bond an open task relies on.
//!
//! Other pallets use [`ComputeProviders`]: eligibility by role, hardware, the pool of verifiers
//! and whistleblowers to draw from, open-task accounting, and slashing, which moves at most what
//! is held to a beneficiary (an account or a pot). Slashes of task bonds held by other pallets are
//! recorded here too, so a provider's record shows every slash.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

extern crate alloc;

use alloc::vec::Vec;
use cairn_primitives::{ComputeClass, HardwareProfile, Role, Roles};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{Saturating, Zero};

/// What the task and verification pallets need from compute staking.
pub trait ComputeProviders<AccountId> {
	/// Balance of bonds and slashes.
	type Balance;

	/// Whether `who` serves `role` with at least the role's minimum active bond.
	fn is_eligible(who: &AccountId, role: Role) -> bool;

	/// The hardware `who` declared, if registered.
	fn hardware(who: &AccountId) -> Option<HardwareProfile>;

	/// Tasks `who` has taken on in `role` and not yet closed.
	fn open_tasks(who: &AccountId, role: Role) -> u32;

	/// `who` takes on a task in `role`: its active bond must cover one more task of the role
	/// ([`StakingParams::collateral`]) and stays pinned until the task closes.
	fn task_opened(who: &AccountId, role: Role) -> DispatchResult;

	/// A task `who` held in `role` closed; `served` when it was completed and paid.
	fn task_closed(who: &AccountId, role: Role, served: bool);

	/// Records in `who`'s provider record that `amount` of a task bond held by another pallet was
	/// slashed.
	fn note_slash(who: &AccountId, amount: Self::Balance);

	/// Providers of `role` in compute `class` that are eligible and whose bond covers one more
	/// task of the role, with their active bond (the weight of a stake-weighted draw). At most
	/// `MaxPoolSize` providers are read: only verifiers and whistleblowers are pooled.
	fn candidates(role: Role, class: ComputeClass) -> Vec<(AccountId, Self::Balance)>;

	/// Most providers a pool holds.
	fn pool_capacity() -> u32;

	/// Moves up to `amount` of `who`'s held bond (active first, then unbonding) to
	/// `beneficiary`, never more than is held. Returns what was moved.
	fn slash(
		who: &AccountId,
		amount: Self::Balance,
		beneficiary: &AccountId,
	) -> Result<Self::Balance, DispatchError>;

	/// Funds and registers `who` so that it is eligible for `role`: benchmark setup.
	#[cfg(feature = "runtime-benchmarks")]
	fn make_eligible(who: &AccountId, role: Role);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of compute staking.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Currency in which bonds are held.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason, into which this pallet's reasons convert.
		type RuntimeHoldReason: From<HoldReason>;

		/// Most unbonding chunks a provider may have at once.
		#[pallet::constant]
		type MaxUnbondingChunks: Get<u32>;

		/// Most providers in the pool of one drawn role (verifiers, whistleblowers).
		#[pallet::constant]
		type MaxPoolSize: Get<u32>;

		/// The training-arithmetic version providers must declare (`cairn_train::ARITHMETIC_VERSION`
		/// of the worker release the network runs): a version of one's own would make a compute
		/// class only one's own verifiers are drawn from.
		#[pallet::constant]
		type ArithmeticVersion: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond, active or unbonding.
		ProviderBond,
	}

	/// Protocol parameters: minimum bonds per role and the unbonding delay.
	#[pallet::storage]
	pub type Params<T: Config> =
		StorageValue<_, StakingParams<BalanceOf<T>, BlockNumberFor<T>>, ValueQuery>;

	/// Registered providers.
	#[pallet::storage]
	pub type Providers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Provider<T>>;

	/// Providers serving a drawn role (verifier or whistleblower), from which verification draws.
	#[pallet::storage]
	pub type Pools<T: Config> =
		StorageMap<_, Twox64Concat, Role, BoundedVec<T::AccountId, T::MaxPoolSize>, ValueQuery>;

	/// The provider staking's protocol parameters at genesis.
	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Initial protocol parameters.
		pub params: StakingParams<BalanceOf<T>, BlockNumberFor<T>>,
	}

	/// The least valid parameters: a bond of one unit for every role, no unbonding delay.
	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			let one: BalanceOf<T> = 1u32.into();
			GenesisConfig {
				params: StakingParams {
					min_solver_bond: one,
					min_verifier_bond: one,
					min_whistleblower_bond: one,
					unbonding_delay: Zero::zero(),
				},
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				Pallet::<T>::params_are_valid(&self.params),
				"staking parameters: a zero minimum bond"
			);
			Params::<T>::put(self.params);
		}
	}

	/// Events of compute staking.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered with its roles and an initial bond.
		ProviderRegistered { provider: T::AccountId, roles: Roles, bond: BalanceOf<T> },
		/// A provider changed its roles or hardware.
		ProfileUpdated { provider: T::AccountId, roles: Roles },
		/// A provider added to its active bond.
		Bonded { provider: T::AccountId, amount: BalanceOf<T> },
		/// Part of a bond started unbonding; withdrawable from `unlock_at`.
		Unbonding { provider: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// Unbonded funds were released to the provider.
		Withdrawn { provider: T::AccountId, amount: BalanceOf<T> },
		/// A provider left: nothing is bonded or held any more.
		ProviderDeregistered { provider: T::AccountId },
		/// Part of a provider's bond went to `beneficiary`.
		Slashed { provider: T::AccountId, amount: BalanceOf<T>, beneficiary: T::AccountId },
		/// Root changed the protocol parameters.
		ParamsUpdated { params: StakingParams<BalanceOf<T>, BlockNumberFor<T>> },
	}

	/// Errors of compute staking.
	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a registered provider.
		AlreadyRegistered,
		/// The account is not a registered provider.
		NotRegistered,
		/// At least one role is needed.
		NoRoles,
		/// The bond is below the minimum of the requested roles.
		BondBelowMinimum,
		/// The account's free balance cannot cover the bond.
		InsufficientBalance,
		/// The amount must be greater than zero.
		ZeroAmount,
		/// More than the active bond was asked to unbond.
		UnbondExceedsBond,
		/// The provider has open tasks: its active bond must keep covering its roles.
		BondNeededByOpenTasks,
		/// Too many unbonding chunks: withdraw matured ones first.
		TooManyUnbondingChunks,
		/// No unbonding chunk has matured yet.
		NothingToWithdraw,
		/// Open-task counter overflow.
		TooManyOpenTasks,
		/// The provider has open tasks, which were claimed on its declared hardware.
		HardwareNeededByOpenTasks,
		/// The hardware profile declares another training-arithmetic version than the network's.
		UnsupportedArithmetic,
		/// The provider has open tasks in a role it tried to drop.
		RoleNeededByOpenTasks,
		/// The active bond does not cover another task: bond more or finish open tasks first.
		InsufficientCollateral,
		/// The pool of verifiers or whistleblowers is full.
		PoolFull,
		/// Protocol parameters with a zero minimum bond.
		InvalidParams,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register as a compute provider serving `roles` on `hardware`, holding `bond`, which
		/// must cover the largest minimum bond among the roles. Emits `ProviderRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_provider())]
		pub fn register_provider(
			origin: OriginFor<T>,
			roles: Roles,
			hardware: HardwareProfile,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, roles, hardware, bond)
		}

		/// Change roles and hardware; the active bond must cover the new roles and the open tasks,
		/// a role with open tasks cannot be dropped, and the hardware stays as declared while tasks
		/// are open. Emits `ProfileUpdated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_profile())]
		pub fn update_profile(
			origin: OriginFor<T>,
			roles: Roles,
			hardware: HardwareProfile,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_profile(who, roles, hardware)
		}

		/// Add `amount` to the active bond. Emits `Bonded`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bond_more())]
		pub fn bond_more(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_more(who, amount)
		}

		/// Start unbonding `amount` of the active bond. What remains must cover the roles and one
		/// role minimum per open task, or be zero when no task is open. Emits `Unbonding`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(who, amount)
		}

		/// Release every matured unbonding chunk. A provider left with nothing held and no open
		/// task is deregistered. Emits `Withdrawn` (and `ProviderDeregistered`).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(who)
		}

		/// Set the protocol parameters. Root only; every minimum bond must be non-zero. Emits
		/// `ParamsUpdated`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(
			origin: OriginFor<T>,
			params: StakingParams<BalanceOf<T>, BlockNumberFor<T>>,
		) -> DispatchResult {
			ensure_root(origin)?;
			Self::do_set_params(params)
		}
	}
}

impl<T: Config> Pallet<T> {
	fn reason() -> T::RuntimeHoldReason {
		HoldReason::ProviderBond.into()
	}

	fn do_register(
		who: T::AccountId,
		roles: Roles,
		hardware: HardwareProfile,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(!roles.is_empty(), Error::<T>::NoRoles);
		ensure!(
			hardware.arithmetic == T::ArithmeticVersion::get(),
			Error::<T>::UnsupportedArithmetic
		);
		ensure!(bond >= Params::<T>::get().required_bond(&roles), Error::<T>::BondBelowMinimum);
		ensure!(!bond.is_zero(), Error::<T>::ZeroAmount);
		Self::join_pools(&who, &Roles::default(), &roles)?;
		T::Currency::hold(&Self::reason(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Providers::<T>::insert(
			&who,
			Provider::<T> {
				roles,
				hardware,
				bonded: bond,
				unbonding: BoundedVec::new(),
				open_tasks: OpenTasks::default(),
				tasks_served: 0,
				slash_count: 0,
				slashed_total: Zero::zero(),
				registered_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		Self::deposit_event(Event::ProviderRegistered { provider: who, roles, bond });
		Ok(())
	}

	/// Whether every role has a minimum bond.
	pub fn params_are_valid(params: &StakingParams<BalanceOf<T>, BlockNumberFor<T>>) -> bool {
		!params.min_solver_bond.is_zero()
			&& !params.min_verifier_bond.is_zero()
			&& !params.min_whistleblower_bond.is_zero()
	}

	fn do_set_params(params: StakingParams<BalanceOf<T>, BlockNumberFor<T>>) -> DispatchResult {
		ensure!(Self::params_are_valid(&params), Error::<T>::InvalidParams);
		Params::<T>::put(params);
		Self::deposit_event(Event::ParamsUpdated { params });
		Ok(())
	}

	fn do_update_profile(
		who: T::AccountId,
		roles: Roles,
		hardware: HardwareProfile,
	) -> DispatchResult {
		ensure!(!roles.is_empty(), Error::<T>::NoRoles);
		ensure!(
			hardware.arithmetic == T::ArithmeticVersion::get(),
			Error::<T>::UnsupportedArithmetic
		);
		Providers::<T>::try_mutate(&who, |maybe| {
			let provider = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				[Role::Solver, Role::Verifier, Role::Whistleblower]
					.into_iter()
					.all(|role| roles.contains(role) || provider.open_tasks.of(role) == 0),
				Error::<T>::RoleNeededByOpenTasks
			);
			ensure!(
				provider.bonded >= Params::<T>::get().collateral(&roles, &provider.open_tasks),
				Error::<T>::BondBelowMinimum
			);
			// Verifiers are matched to the solver's compute class, so it holds until tasks close.
			ensure!(
				provider.open_tasks.total() == 0 || provider.hardware == hardware,
				Error::<T>::HardwareNeededByOpenTasks
			);
			Self::join_pools(&who, &provider.roles, &roles)?;
			provider.roles = roles;
			provider.hardware = hardware;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::ProfileUpdated { provider: who, roles });
		Ok(())
	}

	fn do_bond_more(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		Providers::<T>::try_mutate(&who, |maybe| {
			let provider = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			T::Currency::hold(&Self::reason(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			provider.bonded = provider.bonded.saturating_add(amount);
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::Bonded { provider: who, amount });
		Ok(())
	}

	fn do_unbond(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let unlock_at = frame_system::Pallet::<T>::block_number()
			.saturating_add(Params::<T>::get().unbonding_delay);
		Providers::<T>::try_mutate(&who, |maybe| {
			let provider = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(amount <= provider.bonded, Error::<T>::UnbondExceedsBond);
			let remaining = provider.bonded.saturating_sub(amount);
			let params = Params::<T>::get();
			let required = params.required_bond(&provider.roles);
			if provider.open_tasks.total() > 0 {
				ensure!(
					remaining >= params.collateral(&provider.roles, &provider.open_tasks),
					Error::<T>::BondNeededByOpenTasks
				);
			} else {
				ensure!(remaining.is_zero() || remaining >= required, Error::<T>::BondBelowMinimum);
			}
			provider
				.unbonding
				.try_push(UnbondingChunk { amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnbondingChunks)?;
			provider.bonded = remaining;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::Unbonding { provider: who, amount, unlock_at });
		Ok(())
	}

	fn do_withdraw(who: T::AccountId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let matured = provider
			.unbonding
			.iter()
			.filter(|chunk| chunk.unlock_at <= now)
			.fold(BalanceOf::<T>::zero(), |total, chunk| total.saturating_add(chunk.amount));
		provider.unbonding.retain(|chunk| chunk.unlock_at > now);
		let leaving = provider.total_held().is_zero() && provider.open_tasks.total() == 0;
		// A provider slashed down to nothing may still leave.
		ensure!(!matured.is_zero() || leaving, Error::<T>::NothingToWithdraw);
		if !matured.is_zero() {
			T::Currency::release(&Self::reason(), &who, matured, Precision::Exact)?;
			Self::deposit_event(Event::Withdrawn { provider: who.clone(), amount: matured });
		}
		if leaving {
			Self::join_pools(&who, &provider.roles, &Roles::default())?;
			Providers::<T>::remove(&who);
			Self::deposit_event(Event::ProviderDeregistered { provider: who });
		} else {
			Providers::<T>::insert(&who, provider);
		}
		Ok(())
	}

	/// The roles whose providers are pooled for draws.
	const POOLED: [Role; 2] = [Role::Verifier, Role::Whistleblower];

	/// Moves `who` between pools as its roles change from `old` to `new`.
	fn join_pools(who: &T::AccountId, old: &Roles, new: &Roles) -> DispatchResult {
		for role in Self::POOLED {
			match (old.contains(role), new.contains(role)) {
				(false, true) => Pools::<T>::try_mutate(role, |pool| {
					pool.try_push(who.clone()).map_err(|_| Error::<T>::PoolFull)
				})?,
				(true, false) => {
					Pools::<T>::mutate(role, |pool| pool.retain(|member| member != who))
				},
				_ => {},
			}
		}
		Ok(())
	}

	/// Invariants: each provider's hold equals its active bond plus unbonding chunks; every
	/// provider has roles; the pools hold exactly the providers serving their role, once each.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut pooled = [0usize; 2];
		for (who, provider) in Providers::<T>::iter() {
			ensure!(
				T::Currency::balance_on_hold(&Self::reason(), &who) == provider.total_held(),
				"held bond differs from the provider record"
			);
			ensure!(!provider.roles.is_empty(), "provider without roles");
			for (count, role) in pooled.iter_mut().zip(Self::POOLED) {
				if provider.roles.contains(role) {
					*count += 1;
					ensure!(
						Pools::<T>::get(role).iter().filter(|member| **member == who).count() == 1,
						"a provider is not in its role's pool exactly once"
					);
				}
			}
		}
		for (count, role) in pooled.into_iter().zip(Self::POOLED) {
			ensure!(Pools::<T>::get(role).len() == count, "a pool holds a non-member");
		}
		Ok(())
	}
}

impl<T: Config> ComputeProviders<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn is_eligible(who: &T::AccountId, role: Role) -> bool {
		Providers::<T>::get(who).is_some_and(|provider| {
			provider.roles.contains(role) && provider.bonded >= Params::<T>::get().min_bond(role)
		})
	}

	fn hardware(who: &T::AccountId) -> Option<HardwareProfile> {
		Providers::<T>::get(who).map(|provider| provider.hardware)
	}

	fn open_tasks(who: &T::AccountId, role: Role) -> u32 {
		Providers::<T>::get(who).map_or(0, |provider| provider.open_tasks.of(role))
	}

	fn task_opened(who: &T::AccountId, role: Role) -> DispatchResult {
		Providers::<T>::try_mutate(who, |maybe| {
			let provider = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			let mut open = provider.open_tasks;
			let count = open.of_mut(role);
			*count = count.checked_add(1).ok_or(Error::<T>::TooManyOpenTasks)?;
			ensure!(
				provider.bonded >= Params::<T>::get().collateral(&provider.roles, &open),
				Error::<T>::InsufficientCollateral
			);
			provider.open_tasks = open;
			Ok(())
		})
	}

	fn task_closed(who: &T::AccountId, role: Role, served: bool) {
		Providers::<T>::mutate(who, |maybe| {
			if let Some(provider) = maybe.as_mut() {
				let count = provider.open_tasks.of_mut(role);
				*count = count.saturating_sub(1);
				if served {
					provider.tasks_served = provider.tasks_served.saturating_add(1);
				}
			}
		});
	}

	fn note_slash(who: &T::AccountId, amount: BalanceOf<T>) {
		Providers::<T>::mutate(who, |maybe| {
			if let Some(provider) = maybe.as_mut() {
				provider.slash_count = provider.slash_count.saturating_add(1);
				provider.slashed_total = provider.slashed_total.saturating_add(amount);
			}
		});
	}

	fn pool_capacity() -> u32 {
		T::MaxPoolSize::get()
	}

	fn candidates(role: Role, class: ComputeClass) -> Vec<(T::AccountId, BalanceOf<T>)> {
		let params = Params::<T>::get();
		Pools::<T>::get(role)
			.into_iter()
			.filter_map(|who| {
				let provider = Providers::<T>::get(&who)?;
				let mut open = provider.open_tasks;
				let count = open.of_mut(role);
				*count = count.saturating_add(1);
				let eligible = provider.roles.contains(role)
					&& provider.hardware.class() == class
					&& provider.bonded >= params.collateral(&provider.roles, &open);
				eligible.then_some((who, provider.bonded))
			})
			.collect()
	}

	fn slash(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		beneficiary: &T::AccountId,
	) -> Result<BalanceOf<T>, DispatchError> {
		let mut provider = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let amount = amount.min(provider.total_held());
		if amount.is_zero() {
			return Ok(amount);
		}
		T::Currency::transfer_on_hold(
			&Self::reason(),
			who,
			beneficiary,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		)?;
		// Take from the active bond first, then from the newest unbonding chunks.
		let from_bond = amount.min(provider.bonded);
		provider.bonded = provider.bonded.saturating_sub(from_bond);
		let mut rest = amount.saturating_sub(from_bond);
		for chunk in provider.unbonding.iter_mut().rev() {
			let taken = rest.min(chunk.amount);
			chunk.amount = chunk.amount.saturating_sub(taken);
			rest = rest.saturating_sub(taken);
		}
		provider.unbonding.retain(|chunk| !chunk.amount.is_zero());
		Providers::<T>::insert(who, provider);
		Self::note_slash(who, amount);
		Self::deposit_event(Event::Slashed {
			provider: who.clone(),
			amount,
			beneficiary: beneficiary.clone(),
		});
		Ok(amount)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn make_eligible(who: &T::AccountId, role: Role) {
		let roles = Roles {
			solver: role == Role::Solver,
			verifier: role == Role::Verifier,
			whistleblower: role == Role::Whistleblower,
		};
		// Collateral for a few open tasks at once.
		let bond = Params::<T>::get()
			.min_bond(role)
			.max(<T::Currency as frame_support::traits::fungible::Inspect<_>>::minimum_balance())
			.saturating_mul(4u32.into());
		let existing = <T::Currency as frame_support::traits::fungible::Inspect<_>>::balance(who);
		T::Currency::set_balance(who, existing.saturating_add(bond.saturating_mul(2u32.into())));
		let hardware = HardwareProfile {
			isa: cairn_primitives::IsaClass::X86_64V3,
			arithmetic: T::ArithmeticVersion::get(),
			backend: cairn_primitives::Backend::FlexCpu,
			memory_gib: 16,
			gpu: None,
		};
		Self::do_register(who.clone(), roles, hardware, bond).expect("funded above");
	}
}
