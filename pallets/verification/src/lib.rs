//! # Verification
//!
//! Checks a solver's committed training run by sampled re-execution and settles the task.
//!
//! When a result is submitted, the task market calls [`pallet_tasks::ResultVerifier`]; `draw_delay`
//! blocks later (randomness the solver could not see when it committed) the verifiers are drawn,
//! stake-weighted, from compute staking's verifier pool in the solver's compute class (ISA class
//! and training-arithmetic version),
//! never the solver or the submitter. Each verifier gets distinct random **targets** (see
//! `cairn_primitives::verification`): checkpoint `j` it recomputes by replaying segment `j - 1`
//! from checkpoint `j - 1`. The first verifier also checks the run's endpoints: checkpoint 0 (the
//! initial model the spec defines), the last checkpoint, and the final weights hash.
//!
//! Verifiers **commit** to the hashes they computed (salted, bound to their account) and then
//! **reveal** them, so none can copy another's answer. The chain compares every revealed hash with
//! the solver's leaf, proven against the committed Merkle root (or with the committed final
//! weights hash): a verdict per target. A verifier that could not fetch what it needed says so;
//! the solver must then post that leaf and its proof within `availability_window` or lose.
//!
//! A round is decided when every finding is in or its window ends. A target is confirmed when
//! the round's verdicts on it agree with the solver. A contradiction is never outvoted: it opens
//! a **dispute** ([`dispute`]), a bisection game between the solver and that verifier over the
//! segment's steps and then one step's trace, down to one operation that a fresh committee of
//! arbiters re-executes; the loser's target is refuted or its check defeated, so one honest
//! verifier suffices and one liar cannot sink an honest solver. Targets left open without a
//! contradiction (a silent verifier, a leaf nobody could fetch) go to a **recheck round** of
//! freshly drawn verifiers. When every target is confirmed the task is
//! accepted: verifiers with correct findings share `verification_fee` of the reward, the solver
//! gets the rest and the model is registered for the submitter. A refuted target rejects it: the
//! solver's bond pays the same share to the verifiers who showed the fault and the rest to the
//! submitter, and the task reopens. Verifiers who revealed a wrong verdict lose `verifier_slash`
//! of their provider bond to the party they wronged; silent ones lose it to the protocol pot.
//!
//! Every phase ends at a block on the [`Agenda`], processed in `on_initialize`, so nothing waits
//! on anyone's goodwill; the task market's verification window stays the last resort.
//!
//! Randomness comes from `Config::Randomness`. The dev and local chains use an insecure source
//! derived from block hashes, which a block author can bias; a public network must use a source
//! no single party controls, such as BABE's VRF output from an epoch ago.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod dispute;
#[cfg(test)]
mod mock;
pub mod sampling;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;
pub mod whistleblowing;

use alloc::vec::Vec;
use cairn_primitives::{
	merkle::{blake2_256, verify_checkpoint, CheckpointProof},
	verification::{reveal_commitment, Siblings, MAX_TARGETS_PER_CHECK},
	Computed, Finding, Hash256, Role, TaskId, Verdict,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		Randomness,
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
use pallet_compute_staking::ComputeProviders;
use pallet_tasks::{ResultVerifier, SubmittedTask, TaskSettlement};
use sampling::{sample_targets, DrawRng};
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, Zero},
	Perbill, SaturatedConversion,
};

/// Blocks after the wanted one in which a full agenda slot is looked for.
const AGENDA_SEARCH: u32 = 8;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of verification.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Currency of bonds, fees and the pot.
		type Currency: Mutate<Self::AccountId>;

		/// Registered providers: the verifier pool, collateral and slashing.
		type Providers: ComputeProviders<Self::AccountId, Balance = BalanceOf<Self>>;

		/// The task market, which settles what verification decides.
		type Tasks: TaskSettlement<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Source of the draws. Insecure sources (block hashes) are for dev and test chains only.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Account of the protocol pot, which receives the slashes of silent verifiers.
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// Most tasks whose phase ends in one block.
		#[pallet::constant]
		type MaxAgendaPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Protocol parameters of verification.
	#[pallet::storage]
	pub type Params<T: Config> =
		StorageValue<_, VerificationParams<BalanceOf<T>, BlockNumberFor<T>>, ValueQuery>;

	/// Verifications in progress, by task.
	#[pallet::storage]
	pub type Verifications<T: Config> = StorageMap<_, Twox64Concat, TaskId, Verification<T>>;

	/// Verifiers' forced-error secret commitments. A verifier is drawn only with a secret that is
	/// not revealed.
	#[pallet::storage]
	pub type Secrets<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		VerifierSecret<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Tasks whose verification phase ends at a block, processed in that block's `on_initialize`.
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<TaskId, T::MaxAgendaPerBlock>,
		ValueQuery,
	>;

	/// Verification's protocol parameters at genesis.
	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Initial protocol parameters.
		pub params: VerificationParams<BalanceOf<T>, BlockNumberFor<T>>,
	}

	/// The least valid parameters: every window one block, one recheck round of one verifier.
	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			let one = BlockNumberFor::<T>::from(1u32);
			GenesisConfig {
				params: VerificationParams {
					draw_delay: one,
					redraw_interval: one,
					commit_window: one,
					reveal_window: one,
					availability_window: one,
					recheck_verifiers: 1,
					max_recheck_rounds: 1,
					verification_fee: Default::default(),
					verifier_slash: Zero::zero(),
					move_window: one,
					arbiters: 1,
					arbiter_fee: Zero::zero(),
					challenge_window: Zero::zero(),
					challenge_bond: Default::default(),
					forced_error_rate: Default::default(),
					jackpot: Default::default(),
					jackpot_tax: Default::default(),
				},
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				Pallet::<T>::params_are_valid(&self.params),
				"verification parameters: a zero window, rechecks or arbiters beyond their limits, or fee \
				 and tax above the reward"
			);
			Params::<T>::put(self.params);
			// The pot exists from genesis, so that any slash can be paid into it.
			let pot = Pallet::<T>::pot();
			if T::Currency::total_balance(&pot).is_zero() {
				let _ = T::Currency::mint_into(&pot, T::Currency::minimum_balance());
			}
		}
	}

	/// Events of verification.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Verifiers were drawn for a round; they commit until `commit_until`.
		VerifiersDrawn {
			task_id: TaskId,
			round: u8,
			verifiers: BoundedVec<
				T::AccountId,
				ConstU32<{ cairn_primitives::task::MAX_VERIFIERS as u32 }>,
			>,
			commit_until: BlockNumberFor<T>,
		},
		/// Too few verifiers could be drawn; the draw is tried again at `retry_at`.
		DrawPostponed { task_id: TaskId, retry_at: BlockNumberFor<T> },
		/// A verifier committed to its findings.
		FindingsCommitted { task_id: TaskId, verifier: T::AccountId },
		/// A verifier revealed its findings; the chain's verdict on each of its targets.
		FindingsRevealed {
			task_id: TaskId,
			verifier: T::AccountId,
			verdicts: BoundedVec<Verdict, ConstU32<MAX_TARGETS_PER_CHECK>>,
		},
		/// Verifiers could not fetch these targets: the solver must post their leaves by `until`.
		AvailabilityChallenged {
			task_id: TaskId,
			targets: BoundedVec<u32, ConstU32<MAX_TARGETS_PER_CHECK>>,
			until: BlockNumberFor<T>,
		},
		/// The solver posted leaves it was asked for.
		LeavesPosted { task_id: TaskId, count: u32 },
		/// A verifier lost part of its bond: for a wrong verdict, or for silence (`silent`).
		VerifierSlashed {
			task_id: TaskId,
			verifier: T::AccountId,
			amount: BalanceOf<T>,
			silent: bool,
		},
		/// A verifier's value contradicts the solver's on `target` (subject `Leaf`), or a
		/// whistleblower challenges a verifier's witness of it (`Witness`): the defender and the
		/// challenger play the dispute game, starting at `stage`.
		DisputeOpened {
			task_id: TaskId,
			target: u32,
			subject: DisputeSubject,
			defender: T::AccountId,
			challenger: T::AccountId,
			stage: DisputeStage,
		},
		/// The defender posted its value at the midpoint: the state hash at `step`, or trace
		/// position `position` of step `step`.
		MidpointPosted { task_id: TaskId, step: u32, position: Option<u32>, value: Hash256 },
		/// The challenger answered the midpoint; the dispute is now at `stage`.
		MidpointAnswered { task_id: TaskId, agree: bool, stage: DisputeStage },
		/// A committee was drawn to re-execute `point`; it commits until `commit_until`.
		ArbitersDrawn {
			task_id: TaskId,
			arbiters: BoundedVec<T::AccountId, ConstU32<{ MAX_ARBITERS as u32 }>>,
			point: ArbitrationPoint,
			commit_until: BlockNumberFor<T>,
		},
		/// A dispute over `target` ended.
		DisputeResolved {
			task_id: TaskId,
			target: u32,
			winner: T::AccountId,
			loser: T::AccountId,
			resolution: Resolution,
		},
		/// A verifier committed to a new forced-error secret.
		SecretCommitted { verifier: T::AccountId },
		/// Whistleblowers may challenge the witnesses of round `round` until `until`.
		ChallengeWindowOpened { task_id: TaskId, round: u8, until: BlockNumberFor<T> },
		/// A whistleblower challenged a verifier's witness of `target`, or its agreement with the
		/// solver's value (`subject`); a dispute settles it.
		WitnessChallenged {
			task_id: TaskId,
			whistleblower: T::AccountId,
			verifier: T::AccountId,
			target: u32,
			subject: DisputeSubject,
		},
		/// The challenged witness was the verifier's forced error: it revealed its secret, and the
		/// whistleblower won `jackpot` from the pot.
		ForcedErrorRevealed {
			task_id: TaskId,
			verifier: T::AccountId,
			whistleblower: T::AccountId,
			jackpot: BalanceOf<T>,
		},
		/// A whistleblower lost its challenge and `amount` of its bond to the defender (the
		/// verifier of a witness, the solver of a verdict).
		WhistleblowerSlashed {
			task_id: TaskId,
			whistleblower: T::AccountId,
			defender: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// Verification ended; the task market settled the task accordingly.
		VerificationConcluded { task_id: TaskId, outcome: Outcome },
		/// Root changed the protocol parameters.
		ParamsUpdated { params: VerificationParams<BalanceOf<T>, BlockNumberFor<T>> },
	}

	/// Errors of verification.
	#[pallet::error]
	pub enum Error<T> {
		/// No verification is running for this task.
		UnknownVerification,
		/// The task is being verified already.
		AlreadyVerifying,
		/// The task has no submitted result.
		TaskNotSubmitted,
		/// The verification is not taking commitments now.
		NotCommitPhase,
		/// The verification is not taking reveals now.
		NotRevealPhase,
		/// The account has no check in the current round of this task.
		NotAssigned,
		/// The verifier committed already.
		AlreadyCommitted,
		/// The verifier did not commit in time, so it cannot reveal.
		NotCommitted,
		/// The verifier revealed already.
		AlreadyRevealed,
		/// The revealed findings and salt do not hash to the commitment.
		CommitmentMismatch,
		/// One finding per assigned target, in order, is needed.
		WrongFindingCount,
		/// The solver's leaf for a target is not known yet: the finding must carry it with its
		/// Merkle proof.
		ProofRequired,
		/// The leaf's Merkle proof does not lead to the committed root (wrong leaf, position or
		/// path length).
		InvalidProof,
		/// The verifier's bond no longer covers the verifier role.
		VerifierNotBonded,
		/// Only the task's solver may post leaves.
		NotSolver,
		/// No leaves are being asked of the solver now.
		NoAvailabilityChallenge,
		/// The leaf was not asked for.
		NotChallenged,
		/// Every agenda slot in reach is full: try again in a later block.
		AgendaFull,
		/// Protocol parameters with a zero window, rechecks or arbiters beyond their limits, or
		/// verification fee and jackpot tax together above the reward.
		InvalidParams,
		/// No dispute is running for this task.
		NoDispute,
		/// Only the solver and the challenging verifier play the dispute.
		NotDisputeParty,
		/// It is not this party's move (or the arbiters are at work).
		NotYourMove,
		/// The move is for another round of the dispute than the current one.
		StaleMove,
		/// Each replayed segment's finding carries a witness (`Computed::Witnessed`), and no other
		/// finding does.
		WitnessRequired,
		/// The verification is not taking challenges now.
		NotChallengePhase,
		/// Only whistleblowers of the solver's compute class whose bond covers one more challenge,
		/// and who are not a party to the task or the challenged verifier, may challenge.
		NotWhistleblower,
		/// The verifier revealed no standing witness (for a `Witness` challenge) or agreement with
		/// a known leaf (for a `Verdict` challenge) on that target in this round; `Leaf` is not
		/// challenged.
		NothingToChallenge,
		/// This whistleblower challenged that witness or verdict already.
		AlreadyChallenged,
		/// The verification holds as many challenges as it can.
		TooManyChallenges,
		/// The secret does not match the commitment the verifier was drawn with.
		SecretMismatch,
		/// The secret does not make the challenged witness a forced error.
		NotForced,
		/// The current secret is not revealed and the verifier has open checks: it stays.
		SecretInUse,
		/// That secret was revealed: anyone could tell its forced errors.
		SecretRevealed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Agenda::<T>::take(now);
			for task_id in &due {
				Self::on_due(*task_id, now);
			}
			T::WeightInfo::on_initialize_empty()
				.saturating_add(Self::phase_end_weight().saturating_mul(due.len() as u64))
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Commit to the findings of your check of `task_id` in the current round:
		/// `cairn_primitives::verification::reveal_commitment` of the hashes you computed and a
		/// secret salt. Drawn verifiers only, during the commit phase. Emits `FindingsCommitted`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::commit())]
		pub fn commit(
			origin: OriginFor<T>,
			task_id: TaskId,
			commitment: Hash256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit(who, task_id, commitment)
		}

		/// Reveal the findings committed to, one per assigned target in order, with the salt.
		/// Where the chain does not know the solver's leaf yet, a computed hash must come with
		/// that leaf and its Merkle proof. During the reveal phase. Emits `FindingsRevealed`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::reveal())]
		pub fn reveal(
			origin: OriginFor<T>,
			task_id: TaskId,
			findings: BoundedVec<Finding, ConstU32<MAX_TARGETS_PER_CHECK>>,
			salt: Hash256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal(who, task_id, findings, salt)
		}

		/// Post the leaves verifiers could not fetch, each with its Merkle proof. The task's
		/// solver only, during an availability challenge. Emits `LeavesPosted`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::post_leaves())]
		pub fn post_leaves(
			origin: OriginFor<T>,
			task_id: TaskId,
			leaves: BoundedVec<(u32, Hash256, Siblings), ConstU32<MAX_TARGETS_PER_CHECK>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_post_leaves(who, task_id, leaves)
		}

		/// Post your value at the running dispute's midpoint: the canonical state hash at its
		/// step, or the trace value at its position (`DisputeStage`). `round` is the dispute's
		/// count of answered rounds, so that a delayed move cannot land on a later midpoint. The
		/// solver only, on its move. Emits `MidpointPosted`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::bisect())]
		pub fn bisect(
			origin: OriginFor<T>,
			task_id: TaskId,
			round: u16,
			value: Hash256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bisect(who, task_id, round, value)
		}

		/// Answer the solver's midpoint of round `round`: `agree` if you computed the same value
		/// there (the dispute moves to the upper half), otherwise the lower half is disputed.
		/// The challenging verifier only, on its move. Emits `MidpointAnswered`, and
		/// `ArbitersDrawn` follows once one operation is pinpointed.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::respond())]
		pub fn respond(
			origin: OriginFor<T>,
			task_id: TaskId,
			round: u16,
			agree: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_respond(who, task_id, round, agree)
		}

		/// Give up the running dispute (the solver: its target is refuted; the challenger: its
		/// check is defeated). Either party, while bisecting. Emits `DisputeResolved`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::concede())]
		pub fn concede(origin: OriginFor<T>, task_id: TaskId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_concede(who, task_id)
		}

		/// Commit to a new forced-error secret
		/// (`cairn_primitives::verification::secret_commitment`): verifiers are drawn only with an
		/// unrevealed secret, which decides on which checks they reveal a wrong witness on purpose.
		/// Replaces the current one only once it was revealed or while no check of yours is open.
		/// Bonded verifiers only. Emits `SecretCommitted`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::commit_secret())]
		pub fn commit_secret(origin: OriginFor<T>, commitment: Hash256) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_secret(who, commitment)
		}

		/// Challenge `verifier`'s result on `target` in the current round, having re-executed it:
		/// its witness (`subject` `Witness`: you found another state at the witness step; the
		/// verifier defends it) or its agreement with the solver's value (`Verdict`: you found
		/// another value; the solver defends it). Settled by the dispute game; a wrong challenge
		/// costs `challenge_bond` of the reward, a right one is paid the verifier's slash (and
		/// rejects the result, for a verdict), or the jackpot if the witness was a forced error.
		/// Bonded whistleblowers of the solver's compute class, during the challenge window.
		/// Emits `WitnessChallenged`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::challenge())]
		pub fn challenge(
			origin: OriginFor<T>,
			task_id: TaskId,
			verifier: T::AccountId,
			target: u32,
			subject: DisputeSubject,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_challenge(who, task_id, verifier, target, subject)
		}

		/// Reveal your forced-error secret to show that the witness a whistleblower challenged was
		/// wrong on purpose: the dispute ends, you lose nothing and the whistleblower wins the
		/// jackpot. The challenged verifier only, while the dispute over its witness is bisecting.
		/// Emits `ForcedErrorRevealed` and `DisputeResolved`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::reveal_secret())]
		pub fn reveal_secret(
			origin: OriginFor<T>,
			task_id: TaskId,
			secret: Hash256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_secret(who, task_id, secret)
		}

		/// Set the protocol parameters. Root only; every window must be non-zero, rechecks and
		/// arbiters within their limits. Emits `ParamsUpdated`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(
			origin: OriginFor<T>,
			params: VerificationParams<BalanceOf<T>, BlockNumberFor<T>>,
		) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(Self::params_are_valid(&params), Error::<T>::InvalidParams);
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsUpdated { params });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Worst case of ending one phase: deciding a round and drawing the next, or counting a
	/// dispute's committee.
	pub fn phase_end_weight() -> Weight {
		T::WeightInfo::decide()
			.saturating_add(T::WeightInfo::draw())
			.max(T::WeightInfo::arbitrate())
	}

	/// The protocol pot's account.
	pub fn pot() -> T::AccountId {
		T::PotId::get().into_account_truncating()
	}

	/// Whether `params` have every window and rechecks within their limits, and leave the
	/// solver part of the reward.
	pub fn params_are_valid(params: &VerificationParams<BalanceOf<T>, BlockNumberFor<T>>) -> bool {
		!params.draw_delay.is_zero()
			&& !params.redraw_interval.is_zero()
			&& !params.commit_window.is_zero()
			&& !params.reveal_window.is_zero()
			&& !params.availability_window.is_zero()
			&& (1..=MAX_RECHECK_VERIFIERS).contains(&params.recheck_verifiers)
			&& (1..=MAX_RECHECK_ROUNDS).contains(&params.max_recheck_rounds)
			&& !params.move_window.is_zero()
			&& (1..=MAX_ARBITERS).contains(&params.arbiters)
			&& params
				.verification_fee
				.deconstruct()
				.saturating_add(params.jackpot_tax.deconstruct())
				<= Perbill::one().deconstruct()
	}

	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// Puts `task_id` on the agenda at `at`, or the first later block with room; returns it.
	fn schedule(task_id: TaskId, at: BlockNumberFor<T>) -> Result<BlockNumberFor<T>, Error<T>> {
		let mut block = at;
		for _ in 0..AGENDA_SEARCH {
			if Agenda::<T>::try_mutate(block, |due| due.try_push(task_id)).is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(1u32.into());
		}
		Err(Error::<T>::AgendaFull)
	}

	/// Ends the current phase before its deadline (every finding is in): moves to `next` at
	/// `at`, freeing the old deadline's agenda slot. Best effort: with the agenda full the phase
	/// simply runs to its deadline, so no call ever fails for want of agenda room.
	fn advance_early(
		task_id: TaskId,
		verification: &mut Verification<T>,
		at: BlockNumberFor<T>,
		next: impl FnOnce(BlockNumberFor<T>) -> Phase<BlockNumberFor<T>>,
	) {
		let old = verification.phase.ends_at();
		if let Ok(at) = Self::schedule(task_id, at) {
			Agenda::<T>::mutate(old, |due| {
				if let Some(position) = due.iter().position(|id| *id == task_id) {
					due.remove(position);
				}
			});
			verification.phase = next(at);
		}
	}

	/// The latest block by which a round drawn now has certainly ended, agenda delays included.
	fn round_end(
		params: &VerificationParams<BalanceOf<T>, BlockNumberFor<T>>,
	) -> BlockNumberFor<T> {
		let slack: BlockNumberFor<T> = (4 * AGENDA_SEARCH + 4).into();
		Self::now()
			.saturating_add(params.commit_window)
			.saturating_add(params.reveal_window)
			.saturating_add(params.availability_window)
			.saturating_add(slack)
	}

	fn find_check(verification: &Verification<T>, who: &T::AccountId) -> Result<usize, Error<T>> {
		verification
			.checks
			.iter()
			.position(|check| check.round == verification.round && check.verifier == *who)
			.ok_or(Error::<T>::NotAssigned)
	}

	fn do_commit(who: T::AccountId, task_id: TaskId, commitment: Hash256) -> DispatchResult {
		let mut verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		if matches!(verification.phase, Phase::Dispute { .. }) {
			ensure!(T::Providers::is_eligible(&who, Role::Verifier), Error::<T>::VerifierNotBonded);
			Self::arbiter_commit(&who, task_id, &mut verification, commitment)?;
			Verifications::<T>::insert(task_id, verification);
			Self::deposit_event(Event::FindingsCommitted { task_id, verifier: who });
			return Ok(());
		}
		ensure!(matches!(verification.phase, Phase::Commit { .. }), Error::<T>::NotCommitPhase);
		let index = Self::find_check(&verification, &who)?;
		let check = &mut verification.checks[index];
		ensure!(check.commitment.is_none(), Error::<T>::AlreadyCommitted);
		ensure!(T::Providers::is_eligible(&who, Role::Verifier), Error::<T>::VerifierNotBonded);
		check.commitment = Some(commitment);
		let round = verification.round;
		let all_committed = verification
			.checks
			.iter()
			.filter(|check| check.round == round)
			.all(|check| check.commitment.is_some());
		if all_committed {
			let at = Self::now().saturating_add(Params::<T>::get().reveal_window);
			Self::advance_early(task_id, &mut verification, at, |until| Phase::Reveal { until });
		}
		Verifications::<T>::insert(task_id, verification);
		Self::deposit_event(Event::FindingsCommitted { task_id, verifier: who });
		Ok(())
	}

	fn do_reveal(
		who: T::AccountId,
		task_id: TaskId,
		findings: BoundedVec<Finding, ConstU32<MAX_TARGETS_PER_CHECK>>,
		salt: Hash256,
	) -> DispatchResult {
		let mut verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		if matches!(verification.phase, Phase::Dispute { .. }) {
			ensure!(T::Providers::is_eligible(&who, Role::Verifier), Error::<T>::VerifierNotBonded);
			let verdict = Self::arbiter_reveal(&who, task_id, &mut verification, &findings, salt)?;
			Verifications::<T>::insert(task_id, verification);
			let verdicts = BoundedVec::truncate_from(alloc::vec![verdict]);
			Self::deposit_event(Event::FindingsRevealed { task_id, verifier: who, verdicts });
			return Ok(());
		}
		ensure!(matches!(verification.phase, Phase::Reveal { .. }), Error::<T>::NotRevealPhase);
		let index = Self::find_check(&verification, &who)?;
		let check = verification.checks[index].clone();
		let commitment = check.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(check.verdicts.is_none(), Error::<T>::AlreadyRevealed);
		ensure!(T::Providers::is_eligible(&who, Role::Verifier), Error::<T>::VerifierNotBonded);
		ensure!(findings.len() == check.targets.len(), Error::<T>::WrongFindingCount);
		let computed: Vec<Computed> =
			findings.iter().map(|finding| finding.computed.clone()).collect();
		ensure!(
			reveal_commitment(task_id, check.round, &who.encode(), &computed, &salt) == commitment,
			Error::<T>::CommitmentMismatch
		);
		let task = T::Tasks::submitted(task_id).ok_or(Error::<T>::TaskNotSubmitted)?;

		let mut verdicts = BoundedVec::new();
		let mut witnesses = BoundedVec::new();
		for (target_index, finding) in check.targets.iter().zip(findings) {
			let witness = finding.computed.witness();
			let computed = finding.computed.hash();
			let witnessed = Self::witness_step_of(&task, *target_index).is_some();
			ensure!(
				computed.is_none() || witness.is_some() == witnessed,
				Error::<T>::WitnessRequired
			);
			if let Some(witness) = witness {
				witnesses
					.try_push((*target_index, witness))
					.map_err(|_| Error::<T>::WrongFindingCount)?;
			}
			let target = Self::target_mut(&mut verification, *target_index)?;
			let verdict = match computed {
				None => {
					target.challenged = target.committed.is_none();
					Verdict::Unavailable
				},
				Some(computed) => {
					let solver_value = match target.committed {
						Some(value) => value,
						None => {
							let (leaf, siblings) = finding.leaf.ok_or(Error::<T>::ProofRequired)?;
							ensure!(
								Self::proves_leaf(&task, target.index, leaf, siblings),
								Error::<T>::InvalidProof
							);
							target.committed = Some(leaf);
							target.challenged = false;
							leaf
						},
					};
					if computed == solver_value {
						Verdict::Agree
					} else {
						Verdict::Disagree
					}
				},
			};
			verdicts.try_push(verdict).map_err(|_| Error::<T>::WrongFindingCount)?;
		}
		verification.checks[index].verdicts = Some(verdicts.clone());
		verification.checks[index].witnesses = witnesses;
		let round = verification.round;
		let all_revealed = verification
			.checks
			.iter()
			.filter(|check| check.round == round && check.commitment.is_some())
			.all(|check| check.verdicts.is_some());
		if all_revealed {
			let at = Self::now().saturating_add(1u32.into());
			Self::advance_early(task_id, &mut verification, at, |at| Phase::Decide { at });
		}
		Verifications::<T>::insert(task_id, verification);
		Self::deposit_event(Event::FindingsRevealed { task_id, verifier: who, verdicts });
		Ok(())
	}

	fn do_post_leaves(
		who: T::AccountId,
		task_id: TaskId,
		leaves: BoundedVec<(u32, Hash256, Siblings), ConstU32<MAX_TARGETS_PER_CHECK>>,
	) -> DispatchResult {
		let mut verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		ensure!(verification.solver == who, Error::<T>::NotSolver);
		ensure!(
			matches!(verification.phase, Phase::Availability { .. }),
			Error::<T>::NoAvailabilityChallenge
		);
		let task = T::Tasks::submitted(task_id).ok_or(Error::<T>::TaskNotSubmitted)?;
		let count = leaves.len() as u32;
		for (index, leaf, siblings) in leaves {
			let target = Self::target_mut(&mut verification, index)?;
			ensure!(target.challenged, Error::<T>::NotChallenged);
			ensure!(Self::proves_leaf(&task, index, leaf, siblings), Error::<T>::InvalidProof);
			target.committed = Some(leaf);
			target.challenged = false;
		}
		if !verification.targets.iter().any(|target| target.challenged) {
			let at = Self::now().saturating_add(1u32.into());
			Self::advance_early(task_id, &mut verification, at, |at| Phase::Decide { at });
		}
		Verifications::<T>::insert(task_id, verification);
		Self::deposit_event(Event::LeavesPosted { task_id, count });
		Ok(())
	}

	fn target_mut(verification: &mut Verification<T>, index: u32) -> Result<&mut Target, Error<T>> {
		let position = verification
			.targets
			.binary_search_by_key(&index, |target| target.index)
			.map_err(|_| Error::<T>::NotChallenged)?;
		Ok(&mut verification.targets[position])
	}

	/// Whether `leaf` with `siblings` is checkpoint `index` under the task's committed root.
	fn proves_leaf(
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		index: u32,
		leaf: Hash256,
		siblings: Siblings,
	) -> bool {
		let proof = CheckpointProof {
			leaf,
			leaf_index: index,
			number_of_leaves: task.commitment.checkpoint_count,
			siblings: siblings.into_inner(),
		};
		index < task.commitment.checkpoint_count
			&& verify_checkpoint(&task.commitment.checkpoint_root, &proof)
	}

	/// Ends the phase of `task_id` that ends at `now`; entries of phases that ended earlier (a
	/// round finished before its deadline) are ignored.
	fn on_due(task_id: TaskId, now: BlockNumberFor<T>) {
		let Some(mut verification) = Verifications::<T>::get(task_id) else { return };
		if verification.phase.ends_at() != now {
			return;
		}
		let result = frame_support::storage::with_storage_layer(|| match verification.phase {
			Phase::Draw { .. } => Self::draw(task_id, &mut verification),
			Phase::Commit { .. } => {
				let round = verification.round;
				let any_committed = verification
					.checks
					.iter()
					.any(|check| check.round == round && check.commitment.is_some());
				if any_committed {
					let window = Params::<T>::get().reveal_window;
					let until = Self::schedule(task_id, now.saturating_add(window))?;
					verification.phase = Phase::Reveal { until };
					Verifications::<T>::insert(task_id, &verification);
					Ok(())
				} else {
					Self::decide(task_id, &mut verification)
				}
			},
			Phase::Reveal { .. } | Phase::Availability { .. } | Phase::Decide { .. } => {
				Self::decide(task_id, &mut verification)
			},
			Phase::Dispute { .. } => Self::dispute_due(task_id, &mut verification, now),
			Phase::Challenge { .. } => Self::decide(task_id, &mut verification),
		});
		if let Err(error) = result {
			// The agenda had no room for the next phase (or state was inconsistent): try this
			// phase's end again in a later block; abandon only if not even that can be scheduled.
			log::warn!(target: "runtime::verification", "task {task_id}: {error:?}; retrying");
			let retry = Self::schedule(task_id, now.saturating_add(1u32.into()));
			match (retry, Verifications::<T>::get(task_id)) {
				(Ok(at), Some(mut verification)) => {
					verification.phase = verification.phase.moved_to(at);
					Verifications::<T>::insert(task_id, verification);
				},
				_ => Self::abandon(task_id),
			}
		}
	}

	/// Draws the verifiers of the next round (round 0 when none ran yet) and assigns targets.
	fn draw(task_id: TaskId, verification: &mut Verification<T>) -> DispatchResult {
		let Some(task) = T::Tasks::submitted(task_id) else {
			Self::abandon(task_id);
			return Ok(());
		};
		let params = Params::<T>::get();
		let first = verification.checks.is_empty();
		let round = if first { 0 } else { verification.round.saturating_add(1) };
		let wanted = if first {
			u32::from(task.spec.verification.verifiers)
		} else {
			u32::from(params.recheck_verifiers)
		};
		let subject = (b"cairn/draw", task_id, round).encode();
		let after = verification.submitted_at;
		let Some((drawn, mut rng)) = Self::draw_verifiers(verification, &subject, wanted, after)
		else {
			let retry_at =
				Self::schedule(task_id, Self::now().saturating_add(params.redraw_interval))?;
			verification.phase = Phase::Draw { at: retry_at };
			Verifications::<T>::insert(task_id, &*verification);
			Self::deposit_event(Event::DrawPostponed { task_id, retry_at });
			return Ok(());
		};

		let assignments = if first {
			sample_targets(
				&mut rng,
				task.commitment.checkpoint_count,
				drawn.len(),
				usize::from(task.spec.verification.segments_per_verifier),
			)
		} else {
			let open: Vec<u32> = verification
				.targets
				.iter()
				.filter(|target| target.status == TargetStatus::Open)
				.map(|target| target.index)
				.take(MAX_TARGETS_PER_CHECK as usize)
				.collect();
			drawn.iter().map(|_| open.clone()).collect()
		};
		if first {
			let count = task.commitment.checkpoint_count;
			let mut indices: Vec<u32> = assignments.iter().flatten().copied().collect();
			indices.sort_unstable();
			indices.dedup();
			let targets = indices.into_iter().map(|index| Target {
				index,
				committed: (index == count).then_some(task.commitment.final_weights_hash),
				challenged: false,
				status: TargetStatus::Open,
			});
			verification.targets = BoundedVec::truncate_from(targets.collect());
		}

		let mut verifiers = BoundedVec::new();
		for (verifier, targets) in drawn.into_iter().zip(assignments) {
			T::Providers::task_opened(&verifier, Role::Verifier)?;
			verification
				.checks
				.try_push(Check {
					verifier: verifier.clone(),
					round,
					targets: BoundedVec::truncate_from(targets),
					commitment: None,
					verdicts: None,
					witnesses: BoundedVec::new(),
					secret: Secrets::<T>::get(&verifier).map(|secret| secret.commitment),
					defeated: false,
					caught_by: None,
				})
				.map_err(|_| Error::<T>::InvalidParams)?;
			let _ = verifiers.try_push(verifier);
		}
		verification.round = round;
		let commit_until =
			Self::schedule(task_id, Self::now().saturating_add(params.commit_window))?;
		verification.phase = Phase::Commit { until: commit_until };
		T::Tasks::extend_verification(task_id, Self::round_end(&params))?;
		Verifications::<T>::insert(task_id, &*verification);
		Self::deposit_event(Event::VerifiersDrawn { task_id, round, verifiers, commit_until });
		Ok(())
	}

	/// Draws `wanted` verifiers, stake-weighted, from the verifier pool of the solver's compute
	/// class, with an unrevealed forced-error secret, never the solver, the submitter or anyone
	/// with a check in this verification or a seat on its committee; with the generator the draw leaves for dealing targets. `None`
	/// while fewer are eligible (a whole draw or none, so that a thin pool cannot hand one
	/// verifier the decision) or while the randomness was fixed at or before block `after`.
	fn draw_verifiers(
		verification: &Verification<T>,
		subject: &[u8],
		wanted: u32,
		after: BlockNumberFor<T>,
	) -> Option<(Vec<T::AccountId>, DrawRng)> {
		let seated = |who: &T::AccountId| Self::seats(verification).any(|seat| seat == who);
		let mut candidates: Vec<(T::AccountId, BalanceOf<T>)> =
			T::Providers::candidates(Role::Verifier, verification.class)
				.into_iter()
				.filter(|(who, _)| {
					*who != verification.solver && *who != verification.submitter && !seated(who)
				})
				.filter(|(who, _)| {
					Secrets::<T>::get(who).is_some_and(|secret| secret.revealed_at.is_none())
				})
				.collect();
		let (random, randomness_block) = T::Randomness::random(subject);
		if (candidates.len() as u32) < wanted || randomness_block <= after {
			return None;
		}
		let mut rng = DrawRng::new(blake2_256(&(random, subject).encode()));
		let mut drawn = Vec::new();
		for _ in 0..wanted {
			let total = candidates
				.iter()
				.fold(0u128, |total, (_, stake)| total.saturating_add((*stake).saturated_into()));
			let mut point = rng.below(total);
			let mut chosen = candidates.len().saturating_sub(1);
			for (position, (_, stake)) in candidates.iter().enumerate() {
				let stake: u128 = (*stake).saturated_into();
				if point < stake {
					chosen = position;
					break;
				}
				point = point.saturating_sub(stake);
			}
			drawn.push(candidates.swap_remove(chosen).0);
		}
		Some((drawn, rng))
	}

	/// Decides the current round: asks the solver for withheld leaves, or settles the targets
	/// by the round's verdicts and concludes or draws a recheck round.
	fn decide(task_id: TaskId, verification: &mut Verification<T>) -> DispatchResult {
		let Some(task) = T::Tasks::submitted(task_id) else {
			Self::abandon(task_id);
			return Ok(());
		};
		let params = Params::<T>::get();
		let challenged: Vec<u32> = verification
			.targets
			.iter()
			.filter(|target| target.challenged)
			.map(|target| target.index)
			.collect();
		if !challenged.is_empty() {
			if matches!(verification.phase, Phase::Availability { .. }) {
				// The solver did not post what it was asked for: those targets are refuted.
				for target in verification.targets.iter_mut().filter(|target| target.challenged) {
					target.status = TargetStatus::Refuted;
				}
				let target = challenged[0];
				return Self::conclude(task_id, verification, &task, Outcome::Rejected { target });
			}
			let until =
				Self::schedule(task_id, Self::now().saturating_add(params.availability_window))?;
			verification.phase = Phase::Availability { until };
			Verifications::<T>::insert(task_id, &*verification);
			Self::deposit_event(Event::AvailabilityChallenged {
				task_id,
				targets: BoundedVec::truncate_from(challenged),
				until,
			});
			return Ok(());
		}

		// Whistleblowers watch the round's witnesses; their challenges are disputed first, since a
		// verifier caught not computing has none of its verdicts counted.
		if Self::open_challenge_window(task_id, verification)?
			|| Self::open_next_challenge(task_id, verification, &task)?
		{
			return Ok(());
		}

		let round = verification.round;
		// The first contradiction not yet disputed: (target, check).
		let mut contradiction = None;
		let checks = &verification.checks;
		for target in verification.targets.iter_mut() {
			if target.status != TargetStatus::Open {
				continue;
			}
			// (agree, disagree, unavailable) among the round's standing verdicts on the target.
			let mut counts = (0u32, 0u32, 0u32);
			for (position, check) in checks.iter().enumerate() {
				if check.round != round || check.defeated {
					continue;
				}
				let Some(verdicts) = &check.verdicts else { continue };
				for (index, verdict) in check.targets.iter().zip(verdicts) {
					if *index == target.index {
						match verdict {
							Verdict::Agree => counts.0 += 1,
							Verdict::Disagree => {
								counts.1 += 1;
								contradiction = contradiction.or(Some((target.index, position)));
							},
							Verdict::Unavailable => counts.2 += 1,
						}
					}
				}
			}
			let (agree, disagree, unavailable) = counts;
			// Every contradiction is disputed before a target is confirmed (its agreements may
			// come from a check that loses a dispute); the sampled round also sends a target
			// some verifier could not compute to a recheck. Once its leaf is known, not having
			// fetched it neither refutes nor confirms anything.
			if contradiction.is_none()
				&& agree > 0 && disagree == 0
				&& (round > 0 || unavailable == 0)
			{
				target.status = TargetStatus::Confirmed;
			}
		}

		if let Some(refuted) = verification
			.targets
			.iter()
			.find(|target| matches!(target.status, TargetStatus::Refuted | TargetStatus::Forfeited))
		{
			let target = refuted.index;
			Self::conclude(task_id, verification, &task, Outcome::Rejected { target })
		} else if let Some((target, check)) = contradiction {
			Self::open_dispute(task_id, verification, &task, target, check)
		} else if verification
			.targets
			.iter()
			.all(|target| target.status == TargetStatus::Confirmed)
		{
			Self::conclude(task_id, verification, &task, Outcome::Accepted)
		} else if round < params.max_recheck_rounds {
			Self::draw(task_id, verification)
		} else {
			Self::conclude(task_id, verification, &task, Outcome::Inconclusive)
		}
	}

	/// Pays and slashes the verifiers by the outcome, closes their tasks, settles the task in
	/// the market and drops the verification.
	fn conclude(
		task_id: TaskId,
		verification: &Verification<T>,
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		outcome: Outcome,
	) -> DispatchResult {
		let params = Params::<T>::get();
		// A target's status, and whether the solver failed to post it when asked.
		let status_of = |index: u32| {
			verification
				.targets
				.binary_search_by_key(&index, |target| target.index)
				.map(|position| {
					let target = &verification.targets[position];
					(target.status, target.challenged)
				})
				.unwrap_or((TargetStatus::Open, false))
		};
		let rejected = matches!(outcome, Outcome::Rejected { .. });
		let mut earners: Vec<(T::AccountId, u32)> = Vec::new();
		for check in &verification.checks {
			let (units, beneficiary) = match &check.verdicts {
				None => (0, Some((Self::pot(), true))),
				// It lost a dispute: to the whistleblower that caught it; else to the solver, or to
				// the pot when the run was rejected anyway, so that a dishonest solver never
				// profits from the challengers it wore down.
				Some(_) if check.defeated => {
					let to = match &check.caught_by {
						Some(whistleblower) => whistleblower.clone(),
						None if rejected => Self::pot(),
						None => verification.solver.clone(),
					};
					(0, Some((to, false)))
				},
				Some(verdicts) => {
					let mut units = 0u32;
					let mut beneficiary = None;
					for (index, verdict) in check.targets.iter().zip(verdicts) {
						match (status_of(*index), verdict) {
							// A rejected run pays only for showing the fault: its other leaves
							// are suspect whoever vouched for them.
							((TargetStatus::Confirmed, _), Verdict::Agree) if !rejected => {
								units += 1
							},
							((TargetStatus::Confirmed, _), Verdict::Disagree) => {
								beneficiary = Some((verification.solver.clone(), false))
							},
							// To the whistleblower that showed the value wrong, else the submitter.
							((TargetStatus::Refuted, _), Verdict::Agree) => {
								let to = check.caught_by.clone();
								let to = to.unwrap_or_else(|| verification.submitter.clone());
								beneficiary = beneficiary.or(Some((to, false)))
							},
							(
								(TargetStatus::Refuted | TargetStatus::Forfeited, _),
								Verdict::Disagree,
							) => units += 1,
							// Unavailable earns only when the solver then failed to post the leaf.
							((TargetStatus::Refuted, true), Verdict::Unavailable) => units += 1,
							_ => {},
						}
					}
					(units, beneficiary)
				},
			};
			let served = beneficiary.is_none() && units > 0;
			match beneficiary {
				Some((to, silent)) => Self::slash_verifier(task_id, &check.verifier, &to, silent),
				None if units > 0 => earners.push((check.verifier.clone(), units)),
				None => {},
			}
			T::Providers::task_closed(&check.verifier, Role::Verifier, served);
		}

		let fee_pool = match outcome {
			Outcome::Accepted => params.verification_fee.mul_floor(task.reward),
			Outcome::Rejected { .. } => {
				params.verification_fee.mul_floor(task.reward).min(task.bond)
			},
			Outcome::Inconclusive => Zero::zero(),
		};
		let units: u32 = earners.iter().map(|(_, units)| *units).sum();
		let per_unit =
			if units == 0 { Zero::zero() } else { fee_pool / BalanceOf::<T>::from(units) };
		let mut fees: Vec<(T::AccountId, BalanceOf<T>)> = earners
			.into_iter()
			.map(|(who, units)| (who, per_unit.saturating_mul(units.into())))
			.collect();
		// The pot's tax, from the reward or from what the bond has left after the fees.
		let tax = match outcome {
			Outcome::Accepted => params.jackpot_tax.mul_floor(task.reward),
			Outcome::Rejected { .. } => params
				.jackpot_tax
				.mul_floor(task.reward)
				.min(task.bond.saturating_sub(fee_pool)),
			Outcome::Inconclusive => Zero::zero(),
		};
		if !tax.is_zero() {
			fees.push((Self::pot(), tax));
		}
		for whistleblower in Self::whistleblowers(verification) {
			T::Providers::task_closed(whistleblower, Role::Whistleblower, false);
		}
		match outcome {
			Outcome::Accepted => T::Tasks::accept(task_id, &fees).map(|_| ())?,
			Outcome::Rejected { .. } => T::Tasks::reject(task_id, &fees)?,
			Outcome::Inconclusive => {},
		}
		Verifications::<T>::remove(task_id);
		Self::deposit_event(Event::VerificationConcluded { task_id, outcome });
		Ok(())
	}

	/// Takes `verifier_slash` from `verifier`'s provider bond to `to` (the pot when `silent`).
	fn slash_verifier(task_id: TaskId, verifier: &T::AccountId, to: &T::AccountId, silent: bool) {
		let amount = T::Providers::slash(verifier, Params::<T>::get().verifier_slash, to)
			.unwrap_or_else(|_| Zero::zero());
		Self::deposit_event(Event::VerifierSlashed {
			task_id,
			verifier: verifier.clone(),
			amount,
			silent,
		});
	}

	/// Every verifier at work on a verification: its checks' and its committee's.
	fn seats(verification: &Verification<T>) -> impl Iterator<Item = &T::AccountId> {
		let arbiters = verification.dispute.iter().flat_map(|dispute| dispute.arbiters.iter());
		verification
			.checks
			.iter()
			.map(|check| &check.verifier)
			.chain(arbiters.map(|arbiter| &arbiter.account))
	}

	/// Drops a verification without settling: its verifiers' and whistleblowers' tasks close
	/// unpaid and unpunished.
	fn abandon(task_id: TaskId) {
		if let Some(verification) = Verifications::<T>::take(task_id) {
			for verifier in Self::seats(&verification) {
				T::Providers::task_closed(verifier, Role::Verifier, false);
			}
			for whistleblower in Self::whistleblowers(&verification) {
				T::Providers::task_closed(whistleblower, Role::Whistleblower, false);
			}
		}
	}

	/// Invariants: every verification's task awaits verification; its phase ends at a block
	/// whose agenda lists it; its targets are sorted and revealed verdicts match the targets;
	/// compute staking counts exactly the checks and seats of running verifications as verifier
	/// tasks, and their challenges as whistleblower tasks; challenges name witnesses that exist.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;

		let mut open: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		let mut watching: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (task_id, verification) in Verifications::<T>::iter() {
			ensure!(T::Tasks::submitted(task_id).is_some(), "verification of an unsubmitted task");
			ensure!(
				Agenda::<T>::get(verification.phase.ends_at()).contains(&task_id),
				"verification phase not on the agenda"
			);
			ensure!(
				verification.targets.windows(2).all(|pair| pair[0].index < pair[1].index),
				"targets not sorted"
			);
			for check in &verification.checks {
				if let Some(verdicts) = &check.verdicts {
					ensure!(verdicts.len() == check.targets.len(), "verdicts differ from targets");
				}
			}
			ensure!(
				verification.dispute.is_some()
					== matches!(verification.phase, Phase::Dispute { .. }),
				"a running dispute and the dispute phase go together"
			);
			for verifier in Self::seats(&verification) {
				*open.entry(verifier.clone()).or_default() += 1;
			}
			for whistleblower in Self::whistleblowers(&verification) {
				*watching.entry(whistleblower.clone()).or_default() += 1;
			}
			for challenge in &verification.challenges {
				let check = verification.checks.get(challenge.check as usize);
				ensure!(
					check.is_some_and(|check| check
						.witnesses
						.iter()
						.any(|(index, _)| *index == challenge.target)),
					"a challenge of a witness that was not revealed"
				);
			}
		}
		for (who, count) in watching {
			ensure!(
				T::Providers::open_tasks(&who, Role::Whistleblower) == count,
				"compute staking's whistleblower task count differs from the challenges"
			);
		}
		for (who, count) in open {
			ensure!(
				T::Providers::open_tasks(&who, Role::Verifier) == count,
				"compute staking's verifier task count differs from the checks"
			);
		}
		Ok(())
	}
}

impl<T: Config> ResultVerifier<T::AccountId> for Pallet<T> {
	fn result_submitted(
		task_id: TaskId,
		submitter: &T::AccountId,
		solver: &T::AccountId,
	) -> DispatchResult {
		ensure!(!Verifications::<T>::contains_key(task_id), Error::<T>::AlreadyVerifying);
		let class = T::Providers::hardware(solver)
			.map(|hardware| hardware.class())
			.ok_or(Error::<T>::NotSolver)?;
		// Any block from `draw_delay` on will do: look further than one search for room.
		let earliest = Self::now().saturating_add(Params::<T>::get().draw_delay);
		let at = (0..4u32)
			.find_map(|i| {
				Self::schedule(task_id, earliest.saturating_add((i * AGENDA_SEARCH).into())).ok()
			})
			.ok_or(Error::<T>::AgendaFull)?;
		Verifications::<T>::insert(
			task_id,
			Verification::<T> {
				submitter: submitter.clone(),
				solver: solver.clone(),
				class,
				submitted_at: Self::now(),
				round: 0,
				phase: Phase::Draw { at },
				targets: BoundedVec::new(),
				checks: BoundedVec::new(),
				disputes: 0,
				dispute: None,
				challenges: BoundedVec::new(),
				watched_round: None,
				forced_error_rate: Params::<T>::get().forced_error_rate,
			},
		);
		Ok(())
	}

	fn verification_expired(task_id: TaskId) {
		Self::abandon(task_id);
	}

	fn result_submitted_weight() -> Weight {
		T::WeightInfo::result_submitted()
	}

	fn verification_expired_weight() -> Weight {
		T::WeightInfo::verification_expired()
	}
}
