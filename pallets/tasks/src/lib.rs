//! # Training tasks
//!
//! The market for training jobs. A submitter posts a [`TaskSpec`] with a reward; reward and a
//! storage deposit are held. An eligible solver (registered in compute staking with the solver
//! role) claims the task, holding a bond proportional to the reward, trains off-chain and commits
//! to its checkpoints before the deadline. Anyone may expire an overdue task: an unclaimed one is
//! refunded; a solver that missed its deadline loses its bond to the submitter and the task
//! reopens (a bounded number of times) or is refunded.
//!
//! Nothing pays out here: a submitted result is handed to verification ([`ResultVerifier`]), which
//! settles it through [`TaskSettlement`]: it pays the solver and the verifiers' fees and registers
//! the trained model for the submitter, or rejects the result, slashing the solver's bond and
//! reopening the task (a bounded number of times) or refunding the submitter. Verification has
//! until the task's `verify_by` block, which it extends while a round runs; past it anyone may
//! expire the task (refund, solver released), the last resort when no verifiers could be drawn.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

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

use cairn_primitives::{
	merkle::{verify_checkpoint, CheckpointProof},
	task::{max_batch_size, step_trace_len, task_flops, trainable},
	Architecture, ModelId, ModelInit, ResultCommitment, Role, SpecError, TaskId, TaskSpec,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use pallet_compute_staking::ComputeProviders;
use pallet_model_registry::{ModelRegistryInterface, NewModel};
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

/// Most accounts one settlement pays from a reward or a slashed bond.
pub const MAX_PAYEES: u32 = 64;

/// Settlement of tasks, driven by verification. Nothing else pays out.
pub trait TaskSettlement<AccountId, Balance, BlockNumber> {
	/// A task whose result awaits verification.
	fn submitted(task: TaskId) -> Option<SubmittedTask<AccountId, Balance>>;

	/// The result is verified: pays each `(account, fee)` from the reward and the rest to the
	/// solver, releases the solver's bond and the deposit, and registers the trained model for
	/// the submitter. At most [`MAX_PAYEES`] fees; a fee that would leave a new account below the
	/// existential deposit goes to the solver instead.
	fn accept(task: TaskId, fees: &[(AccountId, Balance)]) -> Result<ModelId, DispatchError>;

	/// The result is wrong or could not be checked: each `(account, amount)` is paid from the
	/// solver's bond (as far as it goes) and the rest of the bond goes to the submitter; the task
	/// reopens if it may, else the submitter is refunded.
	fn reject(task: TaskId, payouts: &[(AccountId, Balance)]) -> DispatchResult;

	/// Keeps the task from expiring before `until`: a verification round is running.
	fn extend_verification(task: TaskId, until: BlockNumber) -> DispatchResult;

	/// Posts, claims and submits a task through the real calls: benchmark setup. The solver
	/// must be eligible and the submitter funded.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_submitted(
		submitter: AccountId,
		solver: AccountId,
		spec: TaskSpec,
		reward: Balance,
		commitment: ResultCommitment,
	) -> Result<TaskId, DispatchError>;
}

/// Verification as the task market drives it.
pub trait ResultVerifier<AccountId> {
	/// The solver committed the result of `task`: schedule its verification. An error refuses
	/// the submission.
	fn result_submitted(task: TaskId, submitter: &AccountId, solver: &AccountId) -> DispatchResult;

	/// The verification window of `task` lapsed without a settlement: drop its state.
	fn verification_expired(task: TaskId);

	/// Worst-case weight of [`Self::result_submitted`].
	fn result_submitted_weight() -> Weight;

	/// Worst-case weight of [`Self::verification_expired`].
	fn verification_expired_weight() -> Weight;
}

/// No verification: nothing is ever settled (tests of the market alone).
impl<AccountId> ResultVerifier<AccountId> for () {
	fn result_submitted(_: TaskId, _: &AccountId, _: &AccountId) -> DispatchResult {
		Ok(())
	}

	fn verification_expired(_: TaskId) {}

	fn result_submitted_weight() -> Weight {
		Weight::zero()
	}

	fn verification_expired_weight() -> Weight {
		Weight::zero()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the task market.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Currency in which rewards, deposits and bonds are held.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason, into which this pallet's reasons convert.
		type RuntimeHoldReason: From<HoldReason>;

		/// Registered compute providers: who may solve.
		type Providers: ComputeProviders<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The model registry: architectures of models to continue, and trained results.
		type Models: ModelRegistryInterface<Self::AccountId, Balance = BalanceOf<Self>>;

		/// Verification, told of every submitted result.
		type Verifier: ResultVerifier<Self::AccountId>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A submitter's reward and storage deposit for a task.
		TaskEscrow,
		/// A solver's bond on a claimed task.
		SolverBond,
	}

	/// Protocol parameters of the task market.
	#[pallet::storage]
	pub type Params<T: Config> =
		StorageValue<_, TaskParams<BalanceOf<T>, BlockNumberFor<T>>, ValueQuery>;

	/// The id the next task receives.
	#[pallet::storage]
	pub type NextTaskId<T> = StorageValue<_, TaskId, ValueQuery>;

	/// Live tasks by id.
	#[pallet::storage]
	pub type Tasks<T: Config> = StorageMap<_, Twox64Concat, TaskId, TaskRecord<T>>;

	/// The task market's protocol parameters at genesis.
	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Initial protocol parameters.
		pub params: TaskParams<BalanceOf<T>, BlockNumberFor<T>>,
	}

	/// The least valid parameters: every window one block, the least task deposit.
	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			let one = BlockNumberFor::<T>::from(1u32);
			GenesisConfig {
				params: TaskParams {
					min_reward: 1u32.into(),
					price_per_gigaflop: Zero::zero(),
					task_deposit: T::Models::max_deposit(),
					solver_bond_ratio: Default::default(),
					claim_window: one,
					training_window: one,
					verification_window: one,
					max_reopens: 0,
				},
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				Pallet::<T>::params_are_valid(&self.params),
				"task parameters: a zero minimum reward or window, or a task deposit below the \
				 registry's largest deposit"
			);
			Params::<T>::put(self.params);
		}
	}

	/// Events of the task market.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A task was posted; claims are open until `open_until`.
		TaskCreated {
			task_id: TaskId,
			submitter: T::AccountId,
			reward: BalanceOf<T>,
			flops: u128,
			open_until: BlockNumberFor<T>,
		},
		/// The submitter withdrew an unclaimed task and got its reward and deposit back.
		TaskCancelled { task_id: TaskId },
		/// A solver claimed a task, holding `bond`, and must commit by `deadline`.
		TaskClaimed {
			task_id: TaskId,
			solver: T::AccountId,
			bond: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		},
		/// The solver committed to its result.
		ResultSubmitted { task_id: TaskId, solver: T::AccountId, commitment: ResultCommitment },
		/// A solver missed its deadline; its bond went to the submitter.
		SolverMissedDeadline { task_id: TaskId, solver: T::AccountId, slashed: BalanceOf<T> },
		/// A task is open for claims again until `open_until`.
		TaskReopened { task_id: TaskId, open_until: BlockNumberFor<T> },
		/// A task ended without a result; reward and deposit went back to the submitter.
		TaskRefunded { task_id: TaskId },
		/// Verification did not settle a result within the verification window: the submitter
		/// was refunded and the solver's bond released.
		VerificationTimedOut { task_id: TaskId, solver: T::AccountId },
		/// A verified task paid out and its model was registered.
		TaskSettled {
			task_id: TaskId,
			solver: T::AccountId,
			solver_payment: BalanceOf<T>,
			fees: BalanceOf<T>,
			model_id: ModelId,
		},
		/// A task's result was rejected; the solver lost its bond of `slashed`, paid to the
		/// verifiers who showed the fault and the rest to the submitter.
		TaskRejected { task_id: TaskId, solver: T::AccountId, slashed: BalanceOf<T> },
		/// Verification runs until `verify_by`: the task cannot expire before.
		VerificationExtended { task_id: TaskId, verify_by: BlockNumberFor<T> },
		/// Root changed the protocol parameters.
		ParamsUpdated { params: TaskParams<BalanceOf<T>, BlockNumberFor<T>> },
	}

	/// Errors of the task market.
	#[pallet::error]
	pub enum Error<T> {
		/// The reward is zero or below the minimum reward.
		RewardTooLow,
		/// The reward is below the price floor for the task's estimated work.
		RewardBelowPriceFloor,
		/// The model name is empty.
		EmptyModelName,
		/// The fresh model's architecture is invalid or is not one Cairn workers train (an MLP whose
		/// widths are at most `MAX_EXACT_DIMENSION`).
		InvalidArchitecture,
		/// Batch size, steps or checkpoint interval are zero, too large (the batch at most
		/// `MAX_EXACT_DIMENSION` samples, a transformer's at most `MAX_EXACT_DIMENSION` tokens),
		/// or do not divide.
		InvalidTrainingConfig,
		/// The task would produce more checkpoints than allowed.
		TooManyCheckpoints,
		/// The checkpoint interval is below 2: every segment needs a step inside it, whose state
		/// verifiers witness to show that they replayed it.
		SegmentWithoutWitness,
		/// The verification policy asks for no or too many verifiers or segments.
		InvalidVerificationPolicy,
		/// The dataset is empty.
		EmptyDataset,
		/// An optimizer hyper-parameter is not a valid number.
		InvalidOptimizer,
		/// The model to continue training is not registered.
		UnknownModel,
		/// The model to continue training has an architecture Cairn workers cannot train (an
		/// external model, or a layer wider than `MAX_EXACT_DIMENSION`).
		ModelNotTrainable,
		/// The free balance cannot cover the reward and deposit, or the solver's bond.
		InsufficientBalance,
		/// No task has this id.
		UnknownTask,
		/// Only the task's submitter may do this.
		NotSubmitter,
		/// The task is not open for claims.
		TaskNotOpen,
		/// The claim window has closed: the task can only be expired.
		ClaimWindowClosed,
		/// Submitters cannot solve their own tasks.
		SubmitterCannotSolve,
		/// The account is not a solver with the minimum bond.
		NotEligibleSolver,
		/// The task is not claimed.
		TaskNotClaimed,
		/// Only the solver that claimed the task may do this.
		NotSolver,
		/// The deadline to commit has passed.
		DeadlinePassed,
		/// The commitment's checkpoint count differs from what the spec produces.
		CheckpointCountMismatch,
		/// The task is not past its claim window, its solver's deadline or its verification
		/// window.
		TaskNotExpired,
		/// The task has no submitted result.
		TaskNotSubmitted,
		/// The verification fees add up to more than the reward.
		FeesExceedReward,
		/// Task ids are exhausted.
		TaskIdOverflow,
		/// More payees than one settlement pays.
		TooManyPayees,
		/// Protocol parameters with a zero minimum reward or window, or a task deposit that does
		/// not cover the registry's largest model deposit.
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
		/// Post a training task, holding `reward` plus the task deposit. The reward must reach
		/// the minimum and the price floor for the estimated work. Emits `TaskCreated`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_task())]
		pub fn create_task(
			origin: OriginFor<T>,
			spec: TaskSpec,
			reward: BalanceOf<T>,
		) -> DispatchResult {
			let submitter = ensure_signed(origin)?;
			Self::do_create(submitter, spec, reward).map(|_| ())
		}

		/// Withdraw an unclaimed task; reward and deposit return. Submitter only.
		/// Emits `TaskCancelled`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel_task())]
		pub fn cancel_task(origin: OriginFor<T>, task_id: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel(who, task_id)
		}

		/// Claim an open task as a solver, holding the solver bond. Emits `TaskClaimed`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::claim_task())]
		pub fn claim_task(origin: OriginFor<T>, task_id: TaskId) -> DispatchResult {
			let solver = ensure_signed(origin)?;
			Self::do_claim(solver, task_id)
		}

		/// Commit to the trained result before the deadline. Claiming solver only. Verification
		/// starts. Emits `ResultSubmitted`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::submit_result()
			.saturating_add(T::Verifier::result_submitted_weight()))]
		pub fn submit_result(
			origin: OriginFor<T>,
			task_id: TaskId,
			commitment: ResultCommitment,
		) -> DispatchResult {
			let solver = ensure_signed(origin)?;
			Self::do_submit(solver, task_id, commitment)
		}

		/// Expire an overdue task; anyone may call. Emits `TaskRefunded` (claim window over),
		/// `SolverMissedDeadline` followed by `TaskReopened` or `TaskRefunded` (training deadline
		/// over), or `VerificationTimedOut` (verification window over).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::expire_task()
			.saturating_add(T::Verifier::verification_expired_weight()))]
		pub fn expire_task(origin: OriginFor<T>, task_id: TaskId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_expire(task_id)
		}

		/// Set the protocol parameters. Root only; the minimum reward and every window must be
		/// non-zero and the task deposit must cover the registry's largest model deposit. Emits
		/// `ParamsUpdated`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(
			origin: OriginFor<T>,
			params: TaskParams<BalanceOf<T>, BlockNumberFor<T>>,
		) -> DispatchResult {
			ensure_root(origin)?;
			Self::do_set_params(params)
		}
	}
}

impl<T: Config> From<SpecError> for Error<T> {
	fn from(error: SpecError) -> Self {
		match error {
			SpecError::Architecture => Error::<T>::InvalidArchitecture,
			SpecError::Training => Error::<T>::InvalidTrainingConfig,
			SpecError::TooManyCheckpoints => Error::<T>::TooManyCheckpoints,
			SpecError::Verification => Error::<T>::InvalidVerificationPolicy,
			SpecError::Dataset => Error::<T>::EmptyDataset,
			SpecError::Name => Error::<T>::EmptyModelName,
			SpecError::Optimizer => Error::<T>::InvalidOptimizer,
		}
	}
}

impl<T: Config> Pallet<T> {
	fn escrow() -> T::RuntimeHoldReason {
		HoldReason::TaskEscrow.into()
	}

	fn solver_bond() -> T::RuntimeHoldReason {
		HoldReason::SolverBond.into()
	}

	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// The architecture a spec trains: its own, or that of the registered model it continues.
	fn architecture_of(spec: &TaskSpec) -> Result<Architecture, Error<T>> {
		match &spec.model {
			ModelInit::Fresh { architecture, .. } => Ok(architecture.clone()),
			ModelInit::FromRegistry { model } => {
				let architecture =
					T::Models::architecture(*model).ok_or(Error::<T>::UnknownModel)?;
				ensure!(trainable(&architecture), Error::<T>::ModelNotTrainable);
				Ok(architecture)
			},
		}
	}

	/// Posts a task; returns its id.
	pub fn do_create(
		submitter: T::AccountId,
		spec: TaskSpec,
		reward: BalanceOf<T>,
	) -> Result<TaskId, DispatchError> {
		spec.validate().map_err(Error::<T>::from)?;
		ensure!(spec.training.checkpoint_interval >= 2, Error::<T>::SegmentWithoutWitness);
		let architecture = Self::architecture_of(&spec)?;
		// A continuation's batch is checked against the architecture it inherits.
		ensure!(
			spec.training.batch_size <= max_batch_size(&architecture),
			Error::<T>::InvalidTrainingConfig
		);
		let params = Params::<T>::get();
		ensure!(!reward.is_zero() && reward >= params.min_reward, Error::<T>::RewardTooLow);
		let flops = task_flops(&architecture, &spec.training);
		let gigaflops: BalanceOf<T> = flops.div_ceil(1_000_000_000).saturated_into();
		ensure!(
			reward >= params.price_per_gigaflop.saturating_mul(gigaflops),
			Error::<T>::RewardBelowPriceFloor
		);

		let task_id = NextTaskId::<T>::get();
		let next_id = task_id.checked_add(1).ok_or(Error::<T>::TaskIdOverflow)?;
		T::Currency::hold(&Self::escrow(), &submitter, reward.saturating_add(params.task_deposit))
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let open_until = Self::now().saturating_add(params.claim_window);
		Tasks::<T>::insert(
			task_id,
			TaskRecord::<T> {
				submitter: submitter.clone(),
				spec,
				reward,
				deposit: params.task_deposit,
				flops,
				trace_len: step_trace_len(&architecture),
				status: TaskStatus::Open { until: open_until },
				reopened: 0,
				created_at: Self::now(),
			},
		);
		NextTaskId::<T>::put(next_id);
		Self::deposit_event(Event::TaskCreated { task_id, submitter, reward, flops, open_until });
		Ok(task_id)
	}

	fn do_cancel(who: T::AccountId, task_id: TaskId) -> DispatchResult {
		let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
		ensure!(task.submitter == who, Error::<T>::NotSubmitter);
		ensure!(matches!(task.status, TaskStatus::Open { .. }), Error::<T>::TaskNotOpen);
		Self::refund(task_id, &task)?;
		Self::deposit_event(Event::TaskCancelled { task_id });
		Ok(())
	}

	fn do_claim(solver: T::AccountId, task_id: TaskId) -> DispatchResult {
		let mut task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
		let TaskStatus::Open { until } = task.status else {
			return Err(Error::<T>::TaskNotOpen.into());
		};
		ensure!(Self::now() <= until, Error::<T>::ClaimWindowClosed);
		ensure!(solver != task.submitter, Error::<T>::SubmitterCannotSolve);
		ensure!(T::Providers::is_eligible(&solver, Role::Solver), Error::<T>::NotEligibleSolver);
		let params = Params::<T>::get();
		let bond = params.solver_bond_ratio.mul_floor(task.reward);
		T::Currency::hold(&Self::solver_bond(), &solver, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		T::Providers::task_opened(&solver, Role::Solver)?;
		let deadline = Self::now().saturating_add(params.training_window);
		task.status = TaskStatus::Claimed { solver: solver.clone(), bond, deadline };
		Tasks::<T>::insert(task_id, task);
		Self::deposit_event(Event::TaskClaimed { task_id, solver, bond, deadline });
		Ok(())
	}

	fn do_submit(
		who: T::AccountId,
		task_id: TaskId,
		commitment: ResultCommitment,
	) -> DispatchResult {
		let mut task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
		let TaskStatus::Claimed { solver, bond, deadline } = task.status.clone() else {
			return Err(Error::<T>::TaskNotClaimed.into());
		};
		ensure!(solver == who, Error::<T>::NotSolver);
		ensure!(Self::now() <= deadline, Error::<T>::DeadlinePassed);
		ensure!(
			commitment.checkpoint_count == task.spec.training.checkpoint_count(),
			Error::<T>::CheckpointCountMismatch
		);
		let verify_by = Self::now().saturating_add(Params::<T>::get().verification_window);
		T::Verifier::result_submitted(task_id, &task.submitter, &solver)?;
		task.status = TaskStatus::Submitted {
			solver: solver.clone(),
			bond,
			commitment: commitment.clone(),
			verify_by,
		};
		Tasks::<T>::insert(task_id, task);
		Self::deposit_event(Event::ResultSubmitted { task_id, solver, commitment });
		Ok(())
	}

	/// Whether `params` have a minimum reward, every window, and a task deposit that covers the
	/// largest deposit the registry takes for a trained model (taken from it at settlement).
	pub fn params_are_valid(params: &TaskParams<BalanceOf<T>, BlockNumberFor<T>>) -> bool {
		!params.min_reward.is_zero()
			&& !params.claim_window.is_zero()
			&& !params.training_window.is_zero()
			&& !params.verification_window.is_zero()
			&& params.task_deposit >= T::Models::max_deposit()
	}

	fn do_set_params(params: TaskParams<BalanceOf<T>, BlockNumberFor<T>>) -> DispatchResult {
		ensure!(Self::params_are_valid(&params), Error::<T>::InvalidParams);
		Params::<T>::put(params);
		Self::deposit_event(Event::ParamsUpdated { params });
		Ok(())
	}

	fn do_expire(task_id: TaskId) -> DispatchResult {
		let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
		let now = Self::now();
		match task.status.clone() {
			TaskStatus::Open { until } if now > until => {
				Self::refund(task_id, &task)?;
				Self::deposit_event(Event::TaskRefunded { task_id });
			},
			TaskStatus::Claimed { solver, bond, deadline } if now > deadline => {
				let slashed = Self::slash_solver(&solver, bond, &[], &task.submitter)?;
				Self::deposit_event(Event::SolverMissedDeadline { task_id, solver, slashed });
				Self::reopen_or_refund(task_id, task)?;
			},
			TaskStatus::Submitted { solver, bond, verify_by, .. } if now > verify_by => {
				Self::release_solver(&solver, bond, false)?;
				Self::refund(task_id, &task)?;
				T::Verifier::verification_expired(task_id);
				Self::deposit_event(Event::VerificationTimedOut { task_id, solver });
			},
			_ => return Err(Error::<T>::TaskNotExpired.into()),
		}
		Ok(())
	}

	/// Reopens a task whose solver failed, or refunds it once it was reopened `max_reopens`
	/// times.
	fn reopen_or_refund(task_id: TaskId, mut task: TaskRecord<T>) -> DispatchResult {
		let params = Params::<T>::get();
		if task.reopened < params.max_reopens {
			let open_until = Self::now().saturating_add(params.claim_window);
			task.reopened = task.reopened.saturating_add(1);
			task.status = TaskStatus::Open { until: open_until };
			Tasks::<T>::insert(task_id, task);
			Self::deposit_event(Event::TaskReopened { task_id, open_until });
		} else {
			Self::refund(task_id, &task)?;
			Self::deposit_event(Event::TaskRefunded { task_id });
		}
		Ok(())
	}

	/// Moves `amount` of `from`'s funds held for `reason` to `to`, or to `fallback` when `to`
	/// does not exist and `amount` is below the existential deposit (it could not be created).
	fn pay_from_hold(
		reason: &T::RuntimeHoldReason,
		from: &T::AccountId,
		to: &T::AccountId,
		fallback: &T::AccountId,
		amount: BalanceOf<T>,
		fortitude: Fortitude,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		let payee = if T::Currency::total_balance(to).is_zero()
			&& amount < T::Currency::minimum_balance()
		{
			fallback
		} else {
			to
		};
		T::Currency::transfer_on_hold(
			reason,
			from,
			payee,
			amount,
			Precision::Exact,
			Restriction::Free,
			fortitude,
		)?;
		Ok(())
	}

	/// Slashes a failed solver's task bond: each payout as far as the bond goes, the rest to
	/// `rest_to`; closes the task in compute staking and records the slash there.
	fn slash_solver(
		solver: &T::AccountId,
		bond: BalanceOf<T>,
		payouts: &[(T::AccountId, BalanceOf<T>)],
		rest_to: &T::AccountId,
	) -> Result<BalanceOf<T>, DispatchError> {
		ensure!(payouts.len() <= MAX_PAYEES as usize, Error::<T>::TooManyPayees);
		let reason = Self::solver_bond();
		let mut left = bond;
		for (payee, amount) in payouts {
			let amount = (*amount).min(left);
			Self::pay_from_hold(&reason, solver, payee, rest_to, amount, Fortitude::Force)?;
			left = left.saturating_sub(amount);
		}
		Self::pay_from_hold(&reason, solver, rest_to, rest_to, left, Fortitude::Force)?;
		T::Providers::task_closed(solver, Role::Solver, false);
		T::Providers::note_slash(solver, bond);
		Ok(bond)
	}

	/// Returns the solver's bond and closes the task in staking; `served` when it was paid.
	fn release_solver(solver: &T::AccountId, bond: BalanceOf<T>, served: bool) -> DispatchResult {
		T::Currency::release(&Self::solver_bond(), solver, bond, Precision::Exact)?;
		T::Providers::task_closed(solver, Role::Solver, served);
		Ok(())
	}

	/// Returns reward and deposit to the submitter and removes the task.
	fn refund(task_id: TaskId, task: &TaskRecord<T>) -> DispatchResult {
		T::Currency::release(
			&Self::escrow(),
			&task.submitter,
			task.reward.saturating_add(task.deposit),
			Precision::Exact,
		)?;
		Tasks::<T>::remove(task_id);
		Ok(())
	}

	/// The solver, bond and commitment of a submitted task.
	fn submitted_parts(
		task: &TaskRecord<T>,
	) -> Result<(T::AccountId, BalanceOf<T>, ResultCommitment), Error<T>> {
		match &task.status {
			TaskStatus::Submitted { solver, bond, commitment, .. } => {
				Ok((solver.clone(), *bond, commitment.clone()))
			},
			_ => Err(Error::<T>::TaskNotSubmitted),
		}
	}

	/// Whether `proof` shows a checkpoint of the run task `task_id`'s solver committed to: the
	/// task is submitted, the proof covers the committed checkpoint count, and its leaf is under
	/// the committed root. Verifiers check every checkpoint they fetch with this.
	pub fn checkpoint_is_committed(task_id: TaskId, proof: &CheckpointProof) -> bool {
		let Some(task) = Tasks::<T>::get(task_id) else { return false };
		let Ok((_, _, commitment)) = Self::submitted_parts(&task) else { return false };
		proof.number_of_leaves == commitment.checkpoint_count
			&& verify_checkpoint(&commitment.checkpoint_root, proof)
	}

	fn do_accept(
		task_id: TaskId,
		fees: &[(T::AccountId, BalanceOf<T>)],
	) -> Result<ModelId, DispatchError> {
		let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
		let (solver, bond, commitment) = Self::submitted_parts(&task)?;
		ensure!(fees.len() <= MAX_PAYEES as usize, Error::<T>::TooManyPayees);
		let total_fees = fees
			.iter()
			.try_fold(BalanceOf::<T>::zero(), |total, (_, fee)| total.checked_add(fee))
			.filter(|total| *total <= task.reward)
			.ok_or(Error::<T>::FeesExceedReward)?;
		let pay = |to: &T::AccountId, amount: BalanceOf<T>| {
			let escrow = Self::escrow();
			Self::pay_from_hold(&escrow, &task.submitter, to, &solver, amount, Fortitude::Force)
		};
		for (verifier, fee) in fees {
			pay(verifier, *fee)?;
		}
		let solver_payment = task.reward.saturating_sub(total_fees);
		pay(&solver, solver_payment)?;
		T::Currency::release(&Self::escrow(), &task.submitter, task.deposit, Precision::Exact)?;
		Self::release_solver(&solver, bond, true)?;

		let architecture = Self::architecture_of(&task.spec)?;
		let parent = match task.spec.model {
			ModelInit::FromRegistry { model } => Some(model),
			ModelInit::Fresh { .. } => None,
		};
		let model = NewModel {
			weights_hash: commitment.final_weights_hash,
			name: task.spec.name.to_vec(),
			architecture,
			parent,
			dataset: Some(task.spec.dataset.hash),
			metadata_uri: commitment.artifacts_uri.to_vec(),
			license: task.spec.license.to_vec(),
		};
		let model_id = T::Models::register_trained(task.submitter.clone(), model, task_id)?;
		Tasks::<T>::remove(task_id);
		Self::deposit_event(Event::TaskSettled {
			task_id,
			solver,
			solver_payment,
			fees: total_fees,
			model_id,
		});
		Ok(model_id)
	}

	fn do_reject(task_id: TaskId, payouts: &[(T::AccountId, BalanceOf<T>)]) -> DispatchResult {
		let task = Tasks::<T>::get(task_id).ok_or(Error::<T>::UnknownTask)?;
		let (solver, bond, _) = Self::submitted_parts(&task)?;
		let slashed = Self::slash_solver(&solver, bond, payouts, &task.submitter)?;
		Self::deposit_event(Event::TaskRejected { task_id, solver, slashed });
		Self::reopen_or_refund(task_id, task)
	}

	fn do_extend_verification(task_id: TaskId, until: BlockNumberFor<T>) -> DispatchResult {
		Tasks::<T>::try_mutate(task_id, |maybe| {
			let task = maybe.as_mut().ok_or(Error::<T>::UnknownTask)?;
			let TaskStatus::Submitted { verify_by, .. } = &mut task.status else {
				return Err(Error::<T>::TaskNotSubmitted.into());
			};
			if until > *verify_by {
				*verify_by = until;
				Self::deposit_event(Event::VerificationExtended { task_id, verify_by: until });
			}
			Ok(())
		})
	}

	/// Invariants: ids are below `NextTaskId`; each submitter's escrow hold is the sum of reward
	/// and deposit of its tasks; each solver's bond hold is the sum of its claimed and submitted
	/// tasks' bonds, and compute staking counts exactly those tasks as its open tasks.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;

		let next_id = NextTaskId::<T>::get();
		let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut bonds: BTreeMap<T::AccountId, (BalanceOf<T>, u32)> = BTreeMap::new();
		for (task_id, task) in Tasks::<T>::iter() {
			ensure!(task_id < next_id, "task id not below NextTaskId");
			let held = escrow.entry(task.submitter.clone()).or_insert_with(Zero::zero);
			*held = held.saturating_add(task.reward).saturating_add(task.deposit);
			if let TaskStatus::Claimed { solver, bond, .. }
			| TaskStatus::Submitted { solver, bond, .. } = task.status
			{
				let (held, count) = bonds.entry(solver).or_insert_with(|| (Zero::zero(), 0));
				*held = held.saturating_add(bond);
				*count = count.saturating_add(1);
			}
		}
		for (who, total) in escrow {
			ensure!(
				T::Currency::balance_on_hold(&Self::escrow(), &who) == total,
				"escrow hold differs from the submitter's tasks"
			);
		}
		for (who, (total, count)) in bonds {
			ensure!(
				T::Currency::balance_on_hold(&Self::solver_bond(), &who) == total,
				"solver bond hold differs from the solver's tasks"
			);
			ensure!(
				T::Providers::open_tasks(&who, Role::Solver) == count,
				"compute staking's open-task count differs from the solver's tasks"
			);
		}
		Ok(())
	}
}

impl<T: Config> TaskSettlement<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn submitted(task_id: TaskId) -> Option<SubmittedTask<T::AccountId, BalanceOf<T>>> {
		let task = Tasks::<T>::get(task_id)?;
		let (solver, bond, commitment) = Self::submitted_parts(&task).ok()?;
		Some(SubmittedTask {
			submitter: task.submitter,
			solver,
			spec: task.spec,
			commitment,
			trace_len: task.trace_len,
			reward: task.reward,
			bond,
		})
	}

	fn accept(
		task_id: TaskId,
		fees: &[(T::AccountId, BalanceOf<T>)],
	) -> Result<ModelId, DispatchError> {
		frame_support::storage::with_storage_layer(|| Self::do_accept(task_id, fees))
	}

	fn reject(task_id: TaskId, payouts: &[(T::AccountId, BalanceOf<T>)]) -> DispatchResult {
		frame_support::storage::with_storage_layer(|| Self::do_reject(task_id, payouts))
	}

	fn extend_verification(task_id: TaskId, until: BlockNumberFor<T>) -> DispatchResult {
		Self::do_extend_verification(task_id, until)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_submitted(
		submitter: T::AccountId,
		solver: T::AccountId,
		spec: TaskSpec,
		reward: BalanceOf<T>,
		commitment: ResultCommitment,
	) -> Result<TaskId, DispatchError> {
		let task_id = Self::do_create(submitter, spec, reward)?;
		Self::do_claim(solver.clone(), task_id)?;
		Self::do_submit(solver, task_id, commitment)?;
		Ok(task_id)
	}
}
