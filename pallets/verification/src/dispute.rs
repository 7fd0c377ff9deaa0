//! The dispute game: when a verifier's revealed value contradicts the solver's, the two bisect
//! the disputed segment's training steps down to one step, then that step's trace (its
//! intermediate tensors in a fixed order, `cairn_primitives::task::step_trace_len`) down to one
//! operation, which a fresh committee of arbiters re-executes.
//!
//! Each bisection round the defender (the solver) posts its value at the midpoint and the
//! challenger agrees or not, halving the disputed range; a party that misses its move's deadline
//! loses, and either may concede. A game over a segment of `s` steps therefore ends after at most
//! `ceil(log2 s) + ceil(log2 k)` rounds (`k` trace positions) and one arbitration, each bounded by
//! its window. Arbiters commit to and reveal what they computed; the defender wins when more of
//! them reproduce its value than do not (an input state it cannot serve counts against it), the
//! challenger in the opposite case, and a tie draws a new committee (at most `max_recheck_rounds`,
//! after which verification is inconclusive). The arbiters of the majority are paid
//! `arbiter_fee` each from the loser's provider bond; the others lose `verifier_slash`, to the
//! winner if they voted against it and to the pot if they were silent.
//!
//! A lost dispute refutes the target (the solver loses the task) or defeats the challenger's
//! check (none of its verdicts counts, and it is slashed when verification concludes); either
//! way the round is decided again, which opens the next dispute or concludes.

use super::*;
use cairn_primitives::verification::arbitration_commitment;

/// Who disputes what: the parts of a dispute fixed when it opens.
pub(crate) struct DisputeParties<AccountId, BlockNumber> {
	pub target: u32,
	pub subject: DisputeSubject,
	pub defender: AccountId,
	pub challenger: AccountId,
	pub check: u32,
	pub challenged_at: BlockNumber,
}

impl<T: Config> Pallet<T> {
	/// Opens the dispute of `check`'s disagreement over `target` and schedules its first step.
	pub(crate) fn open_dispute(
		task_id: TaskId,
		verification: &mut Verification<T>,
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		target: u32,
		check: usize,
	) -> DispatchResult {
		let stage = Self::leaf_stage(verification, task, target)?;
		let parties = DisputeParties {
			target,
			subject: DisputeSubject::Leaf,
			defender: verification.solver.clone(),
			challenger: verification.checks[check].verifier.clone(),
			check: check as u32,
			challenged_at: Self::now(),
		};
		Self::start_dispute(task_id, verification, parties, stage)
	}

	/// Where a dispute over the solver's value of `target` starts.
	pub(crate) fn leaf_stage(
		verification: &Verification<T>,
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		target: u32,
	) -> Result<DisputeStage, Error<T>> {
		let claimed = verification
			.targets
			.binary_search_by_key(&target, |t| t.index)
			.ok()
			.and_then(|position| verification.targets[position].committed)
			.ok_or(Error::<T>::NoDispute)?;
		let count = task.commitment.checkpoint_count;
		Ok(if target == 0 || target >= count || task.trace_len.is_none() {
			// The initial checkpoint and the final weights have no steps to bisect, and a network
			// whose trace workers do not define is arbitrated by replaying the whole segment.
			DisputeStage::Arbitration {
				point: ArbitrationPoint::Target { claimed },
				phase: ArbitrationPhase::Draw,
			}
		} else {
			let interval = task.spec.training.checkpoint_interval;
			let lo = target.saturating_sub(1).saturating_mul(interval);
			let hi = target.saturating_mul(interval);
			Self::steps_or_operations(task, lo, hi, None, claimed)
		})
	}

	/// Starts a dispute at `stage` and schedules its first step.
	pub(crate) fn start_dispute(
		task_id: TaskId,
		verification: &mut Verification<T>,
		parties: DisputeParties<T::AccountId, BlockNumberFor<T>>,
		stage: DisputeStage,
	) -> DispatchResult {
		let params = Params::<T>::get();
		let wait = match stage {
			DisputeStage::Arbitration { .. } => 1u32.into(),
			_ => params.move_window,
		};
		let deadline = Self::now().saturating_add(wait);
		let until = Self::schedule(task_id, deadline)?;
		let DisputeParties { target, subject, defender, challenger, check, challenged_at } =
			parties;
		verification.disputes = verification.disputes.saturating_add(1);
		verification.dispute = Some(Dispute {
			target,
			subject,
			defender: defender.clone(),
			challenger: challenger.clone(),
			check,
			stage,
			midpoint: None,
			rounds: 0,
			attempts: 0,
			arbiters: BoundedVec::new(),
			deadline,
			challenged_at,
			pinpointed_at: Self::now(),
		});
		verification.phase = Phase::Dispute { until };
		T::Tasks::extend_verification(task_id, Self::move_end(deadline))?;
		Verifications::<T>::insert(task_id, &*verification);
		Self::deposit_event(Event::DisputeOpened {
			task_id,
			target,
			subject,
			defender,
			challenger,
			stage,
		});
		Ok(())
	}

	/// Bisection over the steps `lo..hi`, or over the trace of step `lo` once they are adjacent.
	pub(crate) fn steps_or_operations(
		task: &SubmittedTask<T::AccountId, BalanceOf<T>>,
		lo: u32,
		hi: u32,
		lo_hash: Option<Hash256>,
		hi_hash: Hash256,
	) -> DisputeStage {
		if hi.saturating_sub(lo) > 1 {
			return DisputeStage::Steps { lo, hi, lo_hash, hi_hash };
		}
		// Disputes over networks without a trace go straight to arbitration (`open_dispute`).
		let positions = task.trace_len.unwrap_or(1);
		DisputeStage::Operations {
			step: lo,
			input: lo_hash,
			lo: 0,
			hi: positions,
			hi_value: hi_hash,
		}
	}

	/// The running dispute of `task_id`, checking that `who` is the party to move in `round`.
	fn dispute_move(
		task_id: TaskId,
		who: &T::AccountId,
		party: Party,
		round: u16,
	) -> Result<Verification<T>, DispatchError> {
		let verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		let dispute = verification.dispute.as_ref().ok_or(Error::<T>::NoDispute)?;
		let account = match party {
			Party::Defender => &dispute.defender,
			Party::Challenger => &dispute.challenger,
		};
		ensure!(account == who, Error::<T>::NotDisputeParty);
		ensure!(dispute.to_move() == Some(party), Error::<T>::NotYourMove);
		// A move meant for an earlier round (resent, or delayed) must not answer this one.
		ensure!(dispute.rounds == round, Error::<T>::StaleMove);
		Ok(verification)
	}

	/// The midpoint of the current bisection stage: a step, or a trace position.
	fn midpoint_of(stage: &DisputeStage) -> Option<u32> {
		match *stage {
			DisputeStage::Steps { lo, hi, .. } | DisputeStage::Operations { lo, hi, .. } => {
				Some(lo.saturating_add(hi.saturating_sub(lo) / 2))
			},
			DisputeStage::Arbitration { .. } => None,
		}
	}

	/// Gives the next move `move_window` blocks from now; best effort on a full agenda, where
	/// the old wake-up finds the deadline not reached and sleeps on until it.
	fn next_move(task_id: TaskId, verification: &mut Verification<T>) -> DispatchResult {
		let deadline = Self::now().saturating_add(Params::<T>::get().move_window);
		if let Some(dispute) = verification.dispute.as_mut() {
			dispute.deadline = deadline;
		}
		Self::advance_early(task_id, verification, deadline, |until| Phase::Dispute { until });
		T::Tasks::extend_verification(task_id, Self::move_end(deadline))
	}

	/// The latest block by which a move due at `deadline` has certainly been handled and the
	/// round decided again, agenda delays included: the task market's verification window
	/// never cuts a running dispute.
	pub(crate) fn move_end(deadline: BlockNumberFor<T>) -> BlockNumberFor<T> {
		deadline.saturating_add((2 * AGENDA_SEARCH + 2).into())
	}

	pub(crate) fn do_bisect(
		who: T::AccountId,
		task_id: TaskId,
		round: u16,
		value: Hash256,
	) -> DispatchResult {
		let mut verification = Self::dispute_move(task_id, &who, Party::Defender, round)?;
		let dispute = verification.dispute.as_mut().ok_or(Error::<T>::NoDispute)?;
		let at = Self::midpoint_of(&dispute.stage).ok_or(Error::<T>::NotYourMove)?;
		dispute.midpoint = Some(value);
		let stage = dispute.stage;
		Self::next_move(task_id, &mut verification)?;
		Verifications::<T>::insert(task_id, verification);
		let (step, position) = match stage {
			DisputeStage::Operations { step, .. } => (step, Some(at)),
			_ => (at, None),
		};
		Self::deposit_event(Event::MidpointPosted { task_id, step, position, value });
		Ok(())
	}

	pub(crate) fn do_respond(
		who: T::AccountId,
		task_id: TaskId,
		round: u16,
		agree: bool,
	) -> DispatchResult {
		let mut verification = Self::dispute_move(task_id, &who, Party::Challenger, round)?;
		let task = T::Tasks::submitted(task_id).ok_or(Error::<T>::TaskNotSubmitted)?;
		let dispute = verification.dispute.as_mut().ok_or(Error::<T>::NoDispute)?;
		let value = dispute.midpoint.take().ok_or(Error::<T>::NotYourMove)?;
		let mid = Self::midpoint_of(&dispute.stage).ok_or(Error::<T>::NotYourMove)?;
		dispute.rounds = dispute.rounds.saturating_add(1);
		dispute.stage = match dispute.stage {
			DisputeStage::Steps { lo, hi, lo_hash, hi_hash } => {
				if agree {
					Self::steps_or_operations(&task, mid, hi, Some(value), hi_hash)
				} else {
					Self::steps_or_operations(&task, lo, mid, lo_hash, value)
				}
			},
			DisputeStage::Operations { step, input, lo, hi, hi_value } => {
				let (lo, hi, hi_value) = if agree { (mid, hi, hi_value) } else { (lo, mid, value) };
				if hi.saturating_sub(lo) > 1 {
					DisputeStage::Operations { step, input, lo, hi, hi_value }
				} else {
					DisputeStage::Arbitration {
						point: ArbitrationPoint::Trace {
							step,
							input,
							position: hi,
							claimed: hi_value,
						},
						phase: ArbitrationPhase::Draw,
					}
				}
			},
			DisputeStage::Arbitration { .. } => return Err(Error::<T>::NotYourMove.into()),
		};
		let stage = dispute.stage;
		if matches!(stage, DisputeStage::Arbitration { .. }) {
			// Pinpointed: the committee is drawn from the next block on.
			if let Some(dispute) = verification.dispute.as_mut() {
				dispute.deadline = Self::now().saturating_add(1u32.into());
				dispute.pinpointed_at = Self::now();
			}
			let at = Self::now().saturating_add(1u32.into());
			Self::advance_early(task_id, &mut verification, at, |until| Phase::Dispute { until });
		} else {
			Self::next_move(task_id, &mut verification)?;
		}
		Verifications::<T>::insert(task_id, verification);
		Self::deposit_event(Event::MidpointAnswered { task_id, agree, stage });
		Ok(())
	}

	pub(crate) fn do_concede(who: T::AccountId, task_id: TaskId) -> DispatchResult {
		let mut verification =
			Verifications::<T>::get(task_id).ok_or(Error::<T>::UnknownVerification)?;
		let dispute = verification.dispute.as_ref().ok_or(Error::<T>::NoDispute)?;
		let loser = if who == dispute.defender {
			Party::Defender
		} else if who == dispute.challenger {
			Party::Challenger
		} else {
			return Err(Error::<T>::NotDisputeParty.into());
		};
		// Once the arbiters are at work their verdict decides, and pays them.
		ensure!(dispute.to_move().is_some(), Error::<T>::NotYourMove);
		Self::resolve_dispute(task_id, &mut verification, loser, Resolution::Conceded)?;
		Verifications::<T>::insert(task_id, verification);
		Ok(())
	}

	/// Ends the dispute step due now: a missed move loses; a committee is drawn, moves to its
	/// reveals, or is counted.
	pub(crate) fn dispute_due(
		task_id: TaskId,
		verification: &mut Verification<T>,
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		if T::Tasks::submitted(task_id).is_none() {
			Self::abandon(task_id);
			return Ok(());
		}
		let dispute = verification.dispute.as_ref().ok_or(Error::<T>::NoDispute)?;
		if now < dispute.deadline {
			// The last move could not move the wake-up: sleep on until its deadline.
			let until = Self::schedule(task_id, dispute.deadline)?;
			verification.phase = Phase::Dispute { until };
			Verifications::<T>::insert(task_id, &*verification);
			return Ok(());
		}
		match (dispute.to_move(), dispute.stage) {
			(Some(party), _) => {
				Self::resolve_dispute(task_id, verification, party, Resolution::TimedOut)?;
				Verifications::<T>::insert(task_id, &*verification);
				Ok(())
			},
			(None, DisputeStage::Arbitration { phase: ArbitrationPhase::Draw, .. }) => {
				Self::draw_arbiters(task_id, verification)
			},
			(None, DisputeStage::Arbitration { phase: ArbitrationPhase::Commit, point })
				if dispute.arbiters.iter().any(|arbiter| arbiter.commitment.is_some()) =>
			{
				let deadline = now.saturating_add(Params::<T>::get().reveal_window);
				let until = Self::schedule(task_id, deadline)?;
				if let Some(dispute) = verification.dispute.as_mut() {
					dispute.stage =
						DisputeStage::Arbitration { point, phase: ArbitrationPhase::Reveal };
					dispute.deadline = deadline;
				}
				verification.phase = Phase::Dispute { until };
				Verifications::<T>::insert(task_id, &*verification);
				Ok(())
			},
			(None, _) => Self::arbitrate(task_id, verification),
		}
	}

	/// Draws the committee of the running dispute, or postpones the draw while too few fresh
	/// verifiers are eligible.
	fn draw_arbiters(task_id: TaskId, verification: &mut Verification<T>) -> DispatchResult {
		let params = Params::<T>::get();
		let dispute = verification.dispute.as_ref().ok_or(Error::<T>::NoDispute)?;
		let domain = (b"cairn/arbiters", task_id, verification.disputes, dispute.attempts);
		let (wanted, after) = (u32::from(params.arbiters), dispute.pinpointed_at);
		let Some((drawn, _)) = Self::draw_verifiers(verification, &domain.encode(), wanted, after)
		else {
			let deadline = Self::now().saturating_add(params.redraw_interval);
			let until = Self::schedule(task_id, deadline)?;
			if let Some(dispute) = verification.dispute.as_mut() {
				dispute.deadline = deadline;
			}
			verification.phase = Phase::Dispute { until };
			Verifications::<T>::insert(task_id, &*verification);
			Self::deposit_event(Event::DrawPostponed { task_id, retry_at: until });
			return Ok(());
		};
		let mut arbiters = BoundedVec::new();
		for account in &drawn {
			T::Providers::task_opened(account, Role::Verifier)?;
			arbiters
				.try_push(Arbiter { account: account.clone(), commitment: None, computed: None })
				.map_err(|_| Error::<T>::InvalidParams)?;
		}
		let deadline = Self::now().saturating_add(params.commit_window);
		let until = Self::schedule(task_id, deadline)?;
		let dispute = verification.dispute.as_mut().ok_or(Error::<T>::NoDispute)?;
		let DisputeStage::Arbitration { point, .. } = dispute.stage else {
			return Err(Error::<T>::NoDispute.into());
		};
		dispute.stage = DisputeStage::Arbitration { point, phase: ArbitrationPhase::Commit };
		dispute.attempts = dispute.attempts.saturating_add(1);
		dispute.arbiters = arbiters;
		dispute.deadline = deadline;
		verification.phase = Phase::Dispute { until };
		T::Tasks::extend_verification(task_id, Self::round_end(&params))?;
		Verifications::<T>::insert(task_id, &*verification);
		Self::deposit_event(Event::ArbitersDrawn {
			task_id,
			arbiters: BoundedVec::truncate_from(drawn),
			point,
			commit_until: until,
		});
		Ok(())
	}

	/// An arbiter's commitment to what it computed, during the committee's commit phase.
	pub(crate) fn arbiter_commit(
		who: &T::AccountId,
		task_id: TaskId,
		verification: &mut Verification<T>,
		commitment: Hash256,
	) -> DispatchResult {
		let dispute = verification.dispute.as_mut().ok_or(Error::<T>::NotCommitPhase)?;
		ensure!(
			matches!(
				dispute.stage,
				DisputeStage::Arbitration { phase: ArbitrationPhase::Commit, .. }
			),
			Error::<T>::NotCommitPhase
		);
		let arbiter = dispute
			.arbiters
			.iter_mut()
			.find(|arbiter| arbiter.account == *who)
			.ok_or(Error::<T>::NotAssigned)?;
		ensure!(arbiter.commitment.is_none(), Error::<T>::AlreadyCommitted);
		arbiter.commitment = Some(commitment);
		if dispute.arbiters.iter().all(|arbiter| arbiter.commitment.is_some()) {
			let deadline = Self::now().saturating_add(Params::<T>::get().reveal_window);
			if let DisputeStage::Arbitration { point, .. } = dispute.stage {
				dispute.stage =
					DisputeStage::Arbitration { point, phase: ArbitrationPhase::Reveal };
			}
			dispute.deadline = deadline;
			Self::advance_early(task_id, verification, deadline, |until| Phase::Dispute { until });
		}
		Ok(())
	}

	/// An arbiter's reveal: exactly one finding, what it computed at the arbitration point.
	pub(crate) fn arbiter_reveal(
		who: &T::AccountId,
		task_id: TaskId,
		verification: &mut Verification<T>,
		findings: &[Finding],
		salt: Hash256,
	) -> Result<Verdict, DispatchError> {
		let serial = verification.disputes.saturating_sub(1);
		let dispute = verification.dispute.as_mut().ok_or(Error::<T>::NotRevealPhase)?;
		let DisputeStage::Arbitration { point, phase: ArbitrationPhase::Reveal } = dispute.stage
		else {
			return Err(Error::<T>::NotRevealPhase.into());
		};
		let attempt = dispute.attempts.saturating_sub(1);
		let arbiter = dispute
			.arbiters
			.iter_mut()
			.find(|arbiter| arbiter.account == *who)
			.ok_or(Error::<T>::NotAssigned)?;
		let commitment = arbiter.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(arbiter.computed.is_none(), Error::<T>::AlreadyRevealed);
		let [finding] = findings else { return Err(Error::<T>::WrongFindingCount.into()) };
		ensure!(
			arbitration_commitment(
				task_id,
				serial,
				attempt,
				&who.encode(),
				&finding.computed,
				&salt
			) == commitment,
			Error::<T>::CommitmentMismatch
		);
		arbiter.computed = Some(finding.computed.clone());
		let verdict = Self::arbiter_verdict(&point, &finding.computed);
		if dispute
			.arbiters
			.iter()
			.filter(|arbiter| arbiter.commitment.is_some())
			.all(|arbiter| arbiter.computed.is_some())
		{
			let at = Self::now().saturating_add(1u32.into());
			dispute.deadline = at;
			Self::advance_early(task_id, verification, at, |until| Phase::Dispute { until });
		}
		Ok(verdict)
	}

	/// Whether an arbiter's result reproduces the defender's value at `point`.
	fn arbiter_verdict(point: &ArbitrationPoint, computed: &Computed) -> Verdict {
		let claimed = match point {
			ArbitrationPoint::Target { claimed } | ArbitrationPoint::Trace { claimed, .. } => {
				claimed
			},
		};
		match computed.hash() {
			Some(value) if value == *claimed => Verdict::Agree,
			Some(_) => Verdict::Disagree,
			None => Verdict::Unavailable,
		}
	}

	/// Counts the committee: a majority decides the dispute; a tie draws a new committee, or
	/// leaves verification inconclusive after `max_recheck_rounds` committees.
	fn arbitrate(task_id: TaskId, verification: &mut Verification<T>) -> DispatchResult {
		let dispute = verification.dispute.as_ref().ok_or(Error::<T>::NoDispute)?;
		let DisputeStage::Arbitration { point, .. } = dispute.stage else {
			return Err(Error::<T>::NoDispute.into());
		};
		let (mut for_defender, mut for_challenger) = (0u32, 0u32);
		for arbiter in &dispute.arbiters {
			match arbiter
				.computed
				.as_ref()
				.map(|computed| Self::arbiter_verdict(&point, computed))
			{
				Some(Verdict::Agree) => for_defender += 1,
				// An input the defender could not serve is the defender's fault.
				Some(Verdict::Disagree | Verdict::Unavailable) => for_challenger += 1,
				None => {},
			}
		}
		if for_defender != for_challenger {
			let loser =
				if for_defender > for_challenger { Party::Challenger } else { Party::Defender };
			Self::resolve_dispute(task_id, verification, loser, Resolution::Arbitrated)?;
			Verifications::<T>::insert(task_id, &*verification);
			return Ok(());
		}
		Self::settle_arbiters(task_id, verification, None);
		let params = Params::<T>::get();
		let dispute = verification.dispute.as_mut().ok_or(Error::<T>::NoDispute)?;
		if dispute.attempts >= params.max_recheck_rounds {
			let task = T::Tasks::submitted(task_id).ok_or(Error::<T>::TaskNotSubmitted)?;
			return Self::conclude(task_id, verification, &task, Outcome::Inconclusive);
		}
		// No majority: another committee.
		dispute.stage = DisputeStage::Arbitration { point, phase: ArbitrationPhase::Draw };
		let deadline = Self::now().saturating_add(1u32.into());
		dispute.deadline = deadline;
		let until = Self::schedule(task_id, deadline)?;
		verification.phase = Phase::Dispute { until };
		Verifications::<T>::insert(task_id, &*verification);
		Ok(())
	}

	/// Pays the committee's majority from the loser's bond (`loser` is `None` after a tie, which
	/// pays nobody) and slashes the other arbiters; closes their tasks.
	fn settle_arbiters(task_id: TaskId, verification: &mut Verification<T>, loser: Option<Party>) {
		let params = Params::<T>::get();
		let Some(dispute) = verification.dispute.as_mut() else { return };
		let DisputeStage::Arbitration { point, .. } = dispute.stage else { return };
		let accounts = |party: Party| match party {
			Party::Defender => dispute.defender.clone(),
			Party::Challenger => dispute.challenger.clone(),
		};
		for arbiter in core::mem::take(&mut dispute.arbiters) {
			let verdict = arbiter
				.computed
				.as_ref()
				.map(|computed| Self::arbiter_verdict(&point, computed));
			let sided_with = verdict.map(|verdict| match verdict {
				Verdict::Agree => Party::Defender,
				Verdict::Disagree | Verdict::Unavailable => Party::Challenger,
			});
			let served = match (sided_with, loser) {
				(Some(side), Some(loser)) if side != loser => {
					let _ =
						T::Providers::slash(&accounts(loser), params.arbiter_fee, &arbiter.account);
					true
				},
				// A tie wrongs nobody: only silence is punished.
				(Some(_), None) => false,
				(Some(side), Some(_)) => {
					let winner = accounts(if side == Party::Defender {
						Party::Challenger
					} else {
						Party::Defender
					});
					Self::slash_verifier(task_id, &arbiter.account, &winner, false);
					false
				},
				(None, _) => {
					Self::slash_verifier(task_id, &arbiter.account, &Self::pot(), true);
					false
				},
			};
			T::Providers::task_closed(&arbiter.account, Role::Verifier, served);
		}
	}

	/// Ends the running dispute against `loser`: a solver that loses has its target refuted; a
	/// verifier that loses has its check defeated (to the whistleblower that showed its witness
	/// wrong); a whistleblower that loses pays its bond to the verifier. The round is then
	/// decided again in the next block.
	fn resolve_dispute(
		task_id: TaskId,
		verification: &mut Verification<T>,
		loser: Party,
		resolution: Resolution,
	) -> DispatchResult {
		Self::settle_arbiters(task_id, verification, Some(loser));
		let dispute = verification.dispute.take().ok_or(Error::<T>::NoDispute)?;
		let check = verification.checks.get_mut(dispute.check as usize);
		match (dispute.subject, loser) {
			(DisputeSubject::Leaf | DisputeSubject::Verdict, Party::Defender) => {
				if dispute.subject == DisputeSubject::Verdict {
					// The verifier's agreement pays its slash to the whistleblower.
					if let Some(check) = check {
						check.caught_by = Some(dispute.challenger.clone());
					}
					T::Providers::task_closed(&dispute.challenger, Role::Whistleblower, true);
				}
				if let Ok(position) =
					verification.targets.binary_search_by_key(&dispute.target, |t| t.index)
				{
					verification.targets[position].status = match resolution {
						Resolution::Arbitrated => TargetStatus::Refuted,
						_ => TargetStatus::Forfeited,
					};
				}
			},
			(DisputeSubject::Leaf, Party::Challenger) => {
				if let Some(check) = check {
					check.defeated = true;
				}
			},
			(DisputeSubject::Witness, Party::Defender) => {
				if let Some(check) = check {
					check.defeated = true;
					check.caught_by = Some(dispute.challenger.clone());
				}
				T::Providers::task_closed(&dispute.challenger, Role::Whistleblower, true);
			},
			(DisputeSubject::Witness | DisputeSubject::Verdict, Party::Challenger) => {
				Self::slash_whistleblower(task_id, &dispute.challenger, &dispute.defender);
				T::Providers::task_closed(&dispute.challenger, Role::Whistleblower, false);
			},
		}
		Self::decide_next(task_id, verification)?;
		let (winner, loser) = match loser {
			Party::Defender => (dispute.challenger, dispute.defender),
			Party::Challenger => (dispute.defender, dispute.challenger),
		};
		Self::deposit_event(Event::DisputeResolved {
			task_id,
			target: dispute.target,
			winner,
			loser,
			resolution,
		});
		Ok(())
	}

	/// After a dispute: the round is decided again in the next block.
	pub(crate) fn decide_next(
		task_id: TaskId,
		verification: &mut Verification<T>,
	) -> DispatchResult {
		// Decided again next block. A call (the old wake-up is still ahead) keeps that wake-up
		// when the agenda is full; a due phase end must find a slot or be retried.
		let next = Self::now().saturating_add(1u32.into());
		let old = verification.phase.ends_at();
		if old > Self::now() {
			verification.phase = Phase::Decide { at: old };
			Self::advance_early(task_id, verification, next, |at| Phase::Decide { at });
		} else {
			verification.phase = Phase::Decide { at: Self::schedule(task_id, next)? };
		}
		Ok(())
	}
}
