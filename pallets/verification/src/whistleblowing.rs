//! Whistleblowers and forced errors: who checks the checkers.
//!
//! Every replayed segment's finding carries a **witness**, the state hash in the middle of the
//! segment (`cairn_primitives::verification::witness_step`), which the solver never serves: a
//! verifier that echoes the solver's leaf without replaying cannot know it. After a round's
//! reveals, whistleblowers (bonded providers of the solver's compute class) have
//! `challenge_window` blocks to `challenge` any witness they re-executed and found wrong. Each
//! challenge is settled by the dispute game with the verifier defending its witness
//! ([`DisputeSubject::Witness`]): a whistleblower that loses pays `challenge_bond` of the reward
//! to the verifier; a verifier that loses is defeated (none of its verdicts counts; its targets go
//! to a recheck) and slashed to the whistleblower.
//!
//! Watching must pay even when every verifier is honest, so verifiers make **forced errors**:
//! each commits to a secret before it is drawn, and when
//! `cairn_primitives::verification::forced_error` of the secret, task and round says so, it
//! reveals `forced_witness` of one witness instead of the witness. Only re-execution tells it
//! from a made-up one. Challenged, the verifier reveals its secret (`reveal_secret`): it loses
//! nothing, and the whistleblowers that caught it share `jackpot` of the reward from the pot,
//! which `jackpot_tax` of every settled task fills. A revealed secret is replaced before the
//! verifier is drawn again, and it pays no jackpot to a challenge posted after it became public.
//! The prices are derived in `docs/incentives.md`.

use super::*;
use crate::dispute::DisputeParties;
use cairn_primitives::verification::{forced_error, secret_commitment, witness_step_of};
use frame_support::traits::tokens::{Fortitude, Preservation};

impl<T: Config> Pallet<T> {
	/// The step whose state a verifier of `target` witnesses: segment targets of traced networks.
	pub fn witness_step_of(
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		target: u32,
	) -> Option<u32> {
		witness_step_of(
			task.trace_len,
			task.spec.training.checkpoint_interval,
			task.commitment.checkpoint_count,
			target,
		)
	}

	pub(crate) fn do_commit_secret(who: T::AccountId, commitment: Hash256) -> DispatchResult {
		ensure!(T::Providers::is_eligible(&who, Role::Verifier), Error::<T>::VerifierNotBonded);
		if let Some(current) = Secrets::<T>::get(&who) {
			// A secret in use decides forced errors of open checks: it stays until it is shown.
			ensure!(
				current.revealed_at.is_some()
					|| T::Providers::open_tasks(&who, Role::Verifier) == 0,
				Error::<T>::SecretInUse
			);
			ensure!(
				current.revealed_at.is_none() || current.commitment != commitment,
				Error::<T>::SecretRevealed
			);
		}
		Secrets::<T>::insert(&who, VerifierSecret { commitment, revealed_at: None });
		Self::deposit_event(Event::SecretCommitted { verifier: who });
		Ok(())
	}

	/// Opens the current round's challenge window, once per round and only over witnesses;
	/// whether it did.
	pub(crate) fn open_challenge_window(
		task_id: TaskId,
		verification: &mut Verification<T>,
	) -> Result<bool, DispatchError> {
		let window = Params::<T>::get().challenge_window;
		let round = verification.round;
		let witnessed = verification
			.checks
			.iter()
			.any(|check| check.round == round && !check.witnesses.is_empty());
		if window.is_zero() || !witnessed || verification.watched_round == Some(round) {
			return Ok(false);
		}
		let until = Self::schedule(task_id, Self::now().saturating_add(window))?;
		verification.watched_round = Some(round);
		verification.phase = Phase::Challenge { until };
		T::Tasks::extend_verification(task_id, Self::move_end(until))?;
		Verifications::<T>::insert(task_id, &*verification);
		Self::deposit_event(Event::ChallengeWindowOpened { task_id, round, until });
		Ok(true)
	}

	pub(crate) fn do_challenge(
		who: T::AccountId,
		task_id: TaskId,
		verifier: T::AccountId,
		target: u32,
		subject: DisputeSubject,
	) -> DispatchResult {
		let mut verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		ensure!(
			matches!(verification.phase, Phase::Challenge { .. }),
			Error::<T>::NotChallengePhase
		);
		let outsider =
			who != verification.solver && who != verification.submitter && who != verifier;
		let same_class = T::Providers::hardware(&who).map(|hardware| hardware.class())
			== Some(verification.class);
		let bonded = T::Providers::is_eligible(&who, Role::Whistleblower);
		ensure!(outsider && same_class && bonded, Error::<T>::NotWhistleblower);
		let round = verification.round;
		let known_leaf = verification
			.targets
			.binary_search_by_key(&target, |t| t.index)
			.is_ok_and(|position| verification.targets[position].committed.is_some());
		let challengeable = |check: &Check<T>| match subject {
			DisputeSubject::Witness => check.witnesses.iter().any(|(index, _)| *index == target),
			DisputeSubject::Verdict => known_leaf && check.agrees_on(target),
			DisputeSubject::Leaf => false,
		};
		let check = verification
			.checks
			.iter()
			.position(|check| {
				check.round == round
					&& check.verifier == verifier
					&& !check.defeated
					&& challengeable(check)
			})
			.ok_or(Error::<T>::NothingToChallenge)? as u32;
		ensure!(
			!verification.challenges.iter().any(|challenge| {
				challenge.whistleblower == who
					&& challenge.check == check
					&& challenge.target == target
					&& challenge.subject == subject
			}),
			Error::<T>::AlreadyChallenged
		);
		ensure!(
			(verification.challenges.len() as u32) < MAX_CHALLENGES,
			Error::<T>::TooManyChallenges
		);
		T::Providers::task_opened(&who, Role::Whistleblower)
			.map_err(|_| Error::<T>::NotWhistleblower)?;
		verification
			.challenges
			.try_push(Challenge {
				whistleblower: who.clone(),
				check,
				target,
				subject,
				posted_at: Self::now(),
			})
			.map_err(|_| Error::<T>::TooManyChallenges)?;
		Verifications::<T>::insert(task_id, verification);
		Self::deposit_event(Event::WitnessChallenged {
			task_id,
			whistleblower: who,
			verifier,
			target,
			subject,
		});
		Ok(())
	}

	/// Opens the dispute of the first pending challenge whose check still stands (and, for a
	/// verdict, whose target is still open); the others close unpaid and unpunished. Whether a
	/// dispute was opened.
	pub(crate) fn open_next_challenge(
		task_id: TaskId,
		verification: &mut Verification<T>,
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
	) -> Result<bool, DispatchError> {
		while !verification.challenges.is_empty() {
			let challenge = verification.challenges.remove(0);
			let Some((stage, defender)) = Self::challenged_stage(verification, task, &challenge)
			else {
				T::Providers::task_closed(&challenge.whistleblower, Role::Whistleblower, false);
				continue;
			};
			let parties = DisputeParties {
				target: challenge.target,
				subject: challenge.subject,
				defender,
				challenger: challenge.whistleblower,
				check: challenge.check,
				challenged_at: challenge.posted_at,
			};
			Self::start_dispute(task_id, verification, parties, stage)?;
			return Ok(true);
		}
		Ok(false)
	}

	/// Where the dispute of `challenge` starts, and who defends: from the segment's start to the
	/// witness step, the verifier, for a witness; as a leaf dispute, the solver, for a verdict.
	/// `None` when it is moot: the check was defeated meanwhile, or the challenged verdict's
	/// target is decided.
	fn challenged_stage(
		verification: &Verification<T>,
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		challenge: &Challenge<T>,
	) -> Option<(DisputeStage, T::AccountId)> {
		let check = verification.checks.get(challenge.check as usize)?;
		if check.defeated {
			return None;
		}
		match challenge.subject {
			DisputeSubject::Witness => {
				let (_, witness) =
					check.witnesses.iter().find(|(index, _)| *index == challenge.target)?;
				let step = Self::witness_step_of(task, challenge.target)?;
				let interval = task.spec.training.checkpoint_interval;
				let start = challenge.target.saturating_sub(1).saturating_mul(interval);
				let stage = Self::steps_or_operations(task, start, step, None, *witness);
				Some((stage, check.verifier.clone()))
			},
			DisputeSubject::Verdict => {
				let position = verification
					.targets
					.binary_search_by_key(&challenge.target, |target| target.index)
					.ok()?;
				if verification.targets[position].status != TargetStatus::Open {
					return None;
				}
				let stage = Self::leaf_stage(verification, task, challenge.target).ok()?;
				Some((stage, verification.solver.clone()))
			},
			DisputeSubject::Leaf => None,
		}
	}

	pub(crate) fn do_reveal_secret(
		who: T::AccountId,
		task_id: TaskId,
		secret: Hash256,
	) -> DispatchResult {
		let mut verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		let dispute = verification.dispute.as_ref().ok_or(Error::<T>::NoDispute)?;
		ensure!(
			dispute.subject == DisputeSubject::Witness && dispute.defender == who,
			Error::<T>::NotDisputeParty
		);
		// Once the arbiters are at work their verdict decides, and pays them.
		ensure!(dispute.to_move().is_some(), Error::<T>::NotYourMove);
		let check = verification.checks.get(dispute.check as usize).ok_or(Error::<T>::NoDispute)?;
		let commitment = secret_commitment(&secret);
		ensure!(check.secret == Some(commitment), Error::<T>::SecretMismatch);
		let position = check
			.witnesses
			.iter()
			.position(|(index, _)| *index == dispute.target)
			.ok_or(Error::<T>::NothingToChallenge)?;
		let forced = forced_error(
			&secret,
			task_id,
			check.round,
			verification.forced_error_rate.deconstruct(),
			check.witnesses.len() as u32,
		);
		ensure!(forced == Some(position as u32), Error::<T>::NotForced);
		let task = T::Tasks::submitted(task_id).ok_or(Error::<T>::TaskNotSubmitted)?;

		// Everyone who caught the same forced error before the secret was public shares the
		// jackpot; a challenge posted after it could have been blind.
		let exposed_at = match Secrets::<T>::get(&who) {
			Some(record) if record.commitment == commitment => record.revealed_at,
			// Replaced, so revealed at some unknown block before: no jackpot.
			_ => Some(Zero::zero()),
		};
		let (check_index, target) = (dispute.check, dispute.target);
		let mut catchers = alloc::vec![(dispute.challenger.clone(), dispute.challenged_at)];
		// Only challenges of the witness caught it; one of the verdict is disputed on its own.
		verification.challenges.retain(|challenge| {
			let same = challenge.check == check_index
				&& challenge.target == target
				&& challenge.subject == DisputeSubject::Witness;
			if same {
				catchers.push((challenge.whistleblower.clone(), challenge.posted_at));
			}
			!same
		});
		let paid: Vec<T::AccountId> = catchers
			.iter()
			.filter(|(_, posted_at)| exposed_at.is_none_or(|at| *posted_at < at))
			.map(|(whistleblower, _)| whistleblower.clone())
			.collect();
		let jackpot = Params::<T>::get().jackpot.mul_floor(task.reward);
		let share = if paid.is_empty() {
			Zero::zero()
		} else {
			jackpot / BalanceOf::<T>::from(paid.len() as u32)
		};
		for (whistleblower, _) in &catchers {
			let won = if paid.contains(whistleblower) {
				Self::pay_from_pot(whistleblower, share)
			} else {
				Zero::zero()
			};
			T::Providers::task_closed(whistleblower, Role::Whistleblower, true);
			Self::deposit_event(Event::ForcedErrorRevealed {
				task_id,
				verifier: who.clone(),
				whistleblower: whistleblower.clone(),
				jackpot: won,
			});
		}
		if exposed_at.is_none() {
			Secrets::<T>::mutate(&who, |record| {
				if let Some(record) = record {
					record.revealed_at = Some(Self::now());
				}
			});
		}
		let dispute = verification.dispute.take().ok_or(Error::<T>::NoDispute)?;
		Self::decide_next(task_id, &mut verification)?;
		Verifications::<T>::insert(task_id, verification);
		Self::deposit_event(Event::DisputeResolved {
			task_id,
			target,
			winner: dispute.challenger,
			loser: who,
			resolution: Resolution::ForcedError,
		});
		Ok(())
	}

	/// Pays up to `amount` from the pot, keeping it alive; returns what was paid.
	fn pay_from_pot(to: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		let pot = Self::pot();
		let amount = amount.min(T::Currency::reducible_balance(
			&pot,
			Preservation::Preserve,
			Fortitude::Polite,
		));
		T::Currency::transfer(&pot, to, amount, Preservation::Preserve)
			.map_or_else(|_| Zero::zero(), |_| amount)
	}

	/// Takes `challenge_bond` of the reward from a whistleblower that lost to `defender` (the
	/// verifier of a witness, the solver of a verdict).
	pub(crate) fn slash_whistleblower(
		task_id: TaskId,
		whistleblower: &T::AccountId,
		defender: &T::AccountId,
	) {
		let reward = T::Tasks::submitted(task_id).map_or_else(Zero::zero, |task| task.reward);
		let bond = Params::<T>::get().challenge_bond.mul_floor(reward);
		let amount =
			T::Providers::slash(whistleblower, bond, defender).unwrap_or_else(|_| Zero::zero());
		Self::deposit_event(Event::WhistleblowerSlashed {
			task_id,
			whistleblower: whistleblower.clone(),
			defender: defender.clone(),
			amount,
		});
	}

	/// Every whistleblower with a challenge open on a verification: pending, or in its dispute.
	pub(crate) fn whistleblowers(
		verification: &Verification<T>,
	) -> impl Iterator<Item = &T::AccountId> {
		let disputing = verification
			.dispute
			.iter()
			.filter(|dispute| dispute.subject != DisputeSubject::Leaf)
			.map(|dispute| &dispute.challenger);
		verification
			.challenges
			.iter()
			.map(|challenge| &challenge.whistleblower)
			.chain(disputing)
	}
}
