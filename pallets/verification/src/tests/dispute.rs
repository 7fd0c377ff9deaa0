//! The dispute game: every round, timeout and bad input, and randomized games that always end,
//! are always won by the honest side and conserve funds.

use super::*;
use crate::{ArbitrationPhase, ArbitrationPoint, DisputeStage, Party, Resolution};
use cairn_primitives::verification::arbitration_commitment;

/// How a challenger answers the solver's midpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Answers {
	/// By honest re-execution.
	Honest,
	/// Disagrees with everything.
	Contrary,
}

pub(super) fn dispute_of(task_id: u64) -> crate::Dispute<Test> {
	Verifications::<Test>::get(task_id)
		.expect("verifying")
		.dispute
		.expect("a dispute")
}

/// The midpoint of a bisection stage.
pub(super) fn midpoint(stage: &DisputeStage) -> u32 {
	match *stage {
		DisputeStage::Steps { lo, hi, .. } | DisputeStage::Operations { lo, hi, .. } => {
			lo + (hi - lo) / 2
		},
		DisputeStage::Arbitration { .. } => panic!("not bisecting"),
	}
}

/// The honest value at the current midpoint.
pub(super) fn true_midpoint(stage: &DisputeStage) -> Hash256 {
	match *stage {
		DisputeStage::Steps { .. } => true_state(midpoint(stage)),
		DisputeStage::Operations { step, .. } => true_trace(step, midpoint(stage)),
		DisputeStage::Arbitration { .. } => panic!("not bisecting"),
	}
}

/// The solver's value at the current midpoint.
fn claimed_midpoint(run: &Run, stage: &DisputeStage) -> Hash256 {
	match *stage {
		DisputeStage::Steps { .. } => run.claimed_state(midpoint(stage)),
		DisputeStage::Operations { step, .. } => run.claimed_trace(step, midpoint(stage)),
		DisputeStage::Arbitration { .. } => panic!("not bisecting"),
	}
}

/// Plays the bisection to its end: the solver posts `run`'s values, the challenger answers as
/// `answers` says. Returns the answered rounds.
fn bisect_to_the_end(task_id: u64, run: &Run, answers: Answers) -> u16 {
	loop {
		let dispute = dispute_of(task_id);
		if matches!(dispute.stage, DisputeStage::Arbitration { .. }) {
			return dispute.rounds;
		}
		assert_ok!(bisect_as(SOLVER, task_id, claimed_midpoint(run, &dispute.stage)));
		let agree = match answers {
			Answers::Honest => dispute_of(task_id).midpoint == Some(true_midpoint(&dispute.stage)),
			Answers::Contrary => false,
		};
		assert_ok!(respond_as(dispute.challenger, task_id, agree));
	}
}

/// What honest re-execution gives at an arbitration point.
fn true_value(run: &Run, target: u32, point: &ArbitrationPoint) -> Hash256 {
	match *point {
		ArbitrationPoint::Target { .. } => run.truth[target as usize],
		ArbitrationPoint::Trace { step, position, .. } => true_trace(step, position),
	}
}

fn arbiter_salt(arbiter: u64) -> Hash256 {
	blake2_256(&(b"arbiter", arbiter).encode())
}

fn arbiter_commitment(task_id: u64, arbiter: u64, computed: &Computed) -> Hash256 {
	let verification = Verifications::<Test>::get(task_id).expect("verifying");
	let dispute = verification.dispute.expect("a dispute");
	arbitration_commitment(
		task_id,
		verification.disputes - 1,
		dispute.attempts - 1,
		&arbiter.encode(),
		computed,
		&arbiter_salt(arbiter),
	)
}

fn arbiter_reveal(task_id: u64, arbiter: u64, computed: Computed) -> DispatchResult {
	Verification::reveal(
		RuntimeOrigin::signed(arbiter),
		task_id,
		BoundedVec::truncate_from(vec![Finding { computed, leaf: None }]),
		arbiter_salt(arbiter),
	)
}

pub(super) type DispatchResult = frame_support::dispatch::DispatchResult;

/// Draws the committee, has every arbiter commit and reveal what `computed_by` gives it (by its
/// seat in the committee; `None`: silent) and counts the votes. Returns the committee.
pub(super) fn arbitrate(
	task_id: u64,
	computed_by: impl Fn(usize, &ArbitrationPoint) -> Option<Computed>,
) -> Vec<u64> {
	finish_phase(task_id);
	let dispute = dispute_of(task_id);
	let DisputeStage::Arbitration { point, phase: ArbitrationPhase::Commit } = dispute.stage else {
		panic!("no committee drawn: {:?}", dispute.stage)
	};
	let arbiters: Vec<u64> = dispute.arbiters.iter().map(|arbiter| arbiter.account).collect();
	let votes: Vec<(u64, Computed)> = arbiters
		.iter()
		.enumerate()
		.filter_map(|(seat, arbiter)| {
			computed_by(seat, &point).map(|computed| (*arbiter, computed))
		})
		.collect();
	for (arbiter, computed) in &votes {
		let commitment = arbiter_commitment(task_id, *arbiter, computed);
		assert_ok!(Verification::commit(RuntimeOrigin::signed(*arbiter), task_id, commitment));
	}
	// With every commitment in, the reveals have begun already.
	if matches!(
		dispute_of(task_id).stage,
		DisputeStage::Arbitration { phase: ArbitrationPhase::Commit, .. }
	) {
		finish_phase(task_id);
	}
	for (arbiter, computed) in votes {
		assert_ok!(arbiter_reveal(task_id, arbiter, computed));
	}
	finish_phase(task_id);
	arbiters
}

/// Honest arbiters: they compute the true value at the point.
pub(super) fn honest_arbiters(
	run: &Run,
	target: u32,
) -> impl Fn(usize, &ArbitrationPoint) -> Option<Computed> + '_ {
	move |_, point| Some(Computed::Hash(true_value(run, target, point)))
}

pub(super) fn resolution(task_id: u64) -> (u64, u64, Resolution) {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Verification(Event::DisputeResolved {
				task_id: id,
				winner,
				loser,
				resolution,
				..
			}) if id == task_id => Some((winner, loser, resolution)),
			_ => None,
		})
		.expect("a dispute resolved")
}

/// Both verifiers check every segment, so that the first contradiction is on the earliest.
fn overlapping() -> cairn_primitives::TaskSpec {
	let mut spec = spec();
	spec.verification.segments_per_verifier = 10;
	spec
}

#[test]
fn a_faked_run_loses_the_bisection_at_the_operation_where_it_left_the_honest_run() {
	test(|| {
		let run = Run::faked_from(4);
		let task_id = drawn_spec(&run, overlapping());
		let submitter_before = Balances::balance(&SUBMITTER);
		play_round(task_id, |_, targets| run.findings(targets));
		// The earliest contradiction is disputed first: segment 3, steps 30 to 40.
		let dispute = dispute_of(task_id);
		assert_eq!(dispute.target, 4);
		assert_eq!(
			dispute.stage,
			DisputeStage::Steps { lo: 30, hi: 40, lo_hash: None, hi_hash: run.committed[4] }
		);
		let challenger = dispute.challenger;
		let rounds = bisect_to_the_end(task_id, &run, Answers::Honest);
		// ceil(log2 10) step rounds and ceil(log2 12) operation rounds at most.
		assert!(rounds <= 4 + 4, "{rounds} rounds");
		let DisputeStage::Arbitration { point, .. } = dispute_of(task_id).stage else {
			panic!("pinpointed")
		};
		assert_eq!(
			point,
			ArbitrationPoint::Trace {
				step: 33,
				input: Some(true_state(33)),
				position: 5,
				claimed: run.claimed_trace(33, 5),
			}
		);
		let (challenger_bond, challenger_free) =
			(provider_bond(challenger), Balances::balance(&challenger));
		let arbiters = arbitrate(task_id, honest_arbiters(&run, 4));
		assert_eq!(resolution(task_id), (challenger, SOLVER, Resolution::Arbitrated));
		finish_phase(task_id);
		assert!(matches!(concluded(task_id), Outcome::Rejected { target: 4 }));
		// The arbiters were paid by the solver; the challenger lost nothing.
		for arbiter in arbiters {
			assert_eq!(provider_bond(arbiter), VERIFIER_BOND);
			assert_eq!(Providers::<Test>::get(arbiter).unwrap().open_tasks.verifier, 0);
		}
		assert_eq!(provider_bond(challenger), challenger_bond);
		let solver = Providers::<Test>::get(SOLVER).unwrap();
		let bond = Perbill::from_percent(10).mul_floor(REWARD);
		assert_eq!(solver.slashed_total, bond + 3 * ARBITER_FEE);
		// The bond went to the challenger (its fee share) and the submitter (the rest).
		assert!(Balances::balance(&challenger) > challenger_free);
		assert!(Balances::balance(&SUBMITTER) >= submitter_before);
		assert!(matches!(Tasks::<Test>::get(task_id).unwrap().status, TaskStatus::Open { .. }));
	});
}

#[test]
fn one_lying_verifier_cannot_sink_an_honest_solver() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn_spec(&run, overlapping());
		let liar = assignments(task_id)[1].0;
		let liar_bond = provider_bond(liar);
		play_round(task_id, |who, targets| {
			let mut findings = run.findings(targets);
			if who == liar {
				let five = targets.iter().position(|t| *t == 5).expect("every segment");
				findings[five].computed = computed(5, [0xaa; 32]);
			}
			findings
		});
		assert_eq!(dispute_of(task_id).challenger, liar);
		// The liar disputes every midpoint: the game ends at the first operation of step 40.
		bisect_to_the_end(task_id, &run, Answers::Contrary);
		let DisputeStage::Arbitration { point, .. } = dispute_of(task_id).stage else {
			panic!("pinpointed")
		};
		assert_eq!(
			point,
			ArbitrationPoint::Trace {
				step: 40,
				input: None,
				position: 1,
				claimed: true_trace(40, 1)
			}
		);
		let solver_before = Balances::balance(&SOLVER);
		arbitrate(task_id, honest_arbiters(&run, 5));
		assert_eq!(resolution(task_id), (SOLVER, liar, Resolution::Arbitrated));
		finish_phase(task_id);
		// The other verifier's agreement stands: accepted.
		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert_eq!(provider_bond(liar), liar_bond - VERIFIER_SLASH - 3 * ARBITER_FEE);
		assert!(Balances::balance(&SOLVER) > solver_before + VERIFIER_SLASH);
		let record = Providers::<Test>::get(liar).unwrap();
		assert_eq!(record.open_tasks.verifier, 0);
		assert!(record.slash_count >= 1);
	});
}

#[test]
fn an_accomplice_that_vouches_for_a_faked_run_is_slashed_and_unpaid() {
	test(|| {
		let run = Run::faked_from(2);
		let task_id = drawn_spec(&run, overlapping());
		let accomplice = assignments(task_id)[1].0;
		let (bond, free) = (provider_bond(accomplice), Balances::balance(&accomplice));
		play_round(task_id, |who, targets| {
			if who == accomplice {
				// Echoes the solver's values without computing.
				targets
					.iter()
					.map(|&t| Finding {
						computed: computed(t, run.committed[t as usize]),
						leaf: (t < FINAL).then(|| run.proof(t)),
					})
					.collect()
			} else {
				run.findings(targets)
			}
		});
		bisect_to_the_end(task_id, &run, Answers::Honest);
		arbitrate(task_id, honest_arbiters(&run, 2));
		finish_phase(task_id);
		assert!(matches!(concluded(task_id), Outcome::Rejected { target: 2 }));
		assert_eq!(provider_bond(accomplice), bond - VERIFIER_SLASH);
		assert_eq!(Balances::balance(&accomplice), free);
	});
}

#[test]
fn an_endpoint_is_arbitrated_directly() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let (first, _) = assignments(task_id)[0].clone();
		play_round(task_id, |who, targets| {
			let mut findings = run.findings(targets);
			if who == first {
				// Target 0, the initial checkpoint, comes first.
				findings[0].computed = Computed::Hash([0xaa; 32]);
			}
			findings
		});
		let dispute = dispute_of(task_id);
		assert_eq!(dispute.target, 0);
		assert_eq!(dispute.to_move(), None);
		assert_eq!(
			dispute.stage,
			DisputeStage::Arbitration {
				point: ArbitrationPoint::Target { claimed: run.committed[0] },
				phase: ArbitrationPhase::Draw
			}
		);
		arbitrate(task_id, honest_arbiters(&run, 0));
		assert_eq!(resolution(task_id), (SOLVER, first, Resolution::Arbitrated));
		// Nobody else checked the initial checkpoint: a fresh round does.
		finish_phase(task_id);
		assert_eq!(Verifications::<Test>::get(task_id).unwrap().round, 1);
		play_round(task_id, |_, targets| run.findings(targets));
		assert_eq!(concluded(task_id), Outcome::Accepted);
	});
}

/// Runs a round in which the second verifier contradicts the honest solver on segment 5.
fn contradicted() -> (u64, Run, u64) {
	let run = Run::honest();
	let task_id = drawn_spec(&run, overlapping());
	let liar = assignments(task_id)[1].0;
	play_round(task_id, |who, targets| {
		let mut findings = run.findings(targets);
		if who == liar {
			let five = targets.iter().position(|t| *t == 5).expect("every segment");
			findings[five].computed = computed(5, [0xaa; 32]);
		}
		findings
	});
	(task_id, run, liar)
}

#[test]
fn a_silent_solver_forfeits_its_result_but_nobody_who_agreed_is_punished() {
	test(|| {
		let (task_id, _, liar) = contradicted();
		let agreed = assignments(task_id).into_iter().map(|(who, _)| who).find(|w| *w != liar);
		let agreed = agreed.expect("two verifiers");
		let agreed_bond = provider_bond(agreed);
		finish_phase(task_id);
		assert_eq!(resolution(task_id), (liar, SOLVER, Resolution::TimedOut));
		let verification = Verifications::<Test>::get(task_id).unwrap();
		let five = verification.targets.iter().find(|t| t.index == 5).unwrap();
		assert_eq!(five.status, TargetStatus::Forfeited);
		finish_phase(task_id);
		assert!(matches!(concluded(task_id), Outcome::Rejected { target: 5 }));
		// Giving up shows nothing wrong with the value: its supporter keeps its bond.
		assert_eq!(provider_bond(agreed), agreed_bond);
	});
}

#[test]
fn a_silent_challenger_loses_its_dispute_and_is_slashed() {
	test(|| {
		let (task_id, run, liar) = contradicted();
		let bond = provider_bond(liar);
		let dispute = dispute_of(task_id);
		assert_ok!(bisect_as(SOLVER, task_id, claimed_midpoint(&run, &dispute.stage)));
		// The move gives the challenger a full window from now.
		assert_eq!(dispute_of(task_id).deadline, System::block_number() + WINDOW);
		assert_eq!(dispute_of(task_id).to_move(), Some(Party::Challenger));
		finish_phase(task_id);
		assert_eq!(resolution(task_id), (SOLVER, liar, Resolution::TimedOut));
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert_eq!(provider_bond(liar), bond - VERIFIER_SLASH);
	});
}

#[test]
fn either_party_may_concede() {
	test(|| {
		let (task_id, _, liar) = contradicted();
		assert_ok!(Verification::concede(RuntimeOrigin::signed(liar), task_id));
		assert_eq!(resolution(task_id), (SOLVER, liar, Resolution::Conceded));
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);

		let (task_id, _, liar) = contradicted();
		assert_ok!(Verification::concede(RuntimeOrigin::signed(SOLVER), task_id));
		assert_eq!(resolution(task_id), (liar, SOLVER, Resolution::Conceded));
		finish_phase(task_id);
		assert!(matches!(concluded(task_id), Outcome::Rejected { target: 5 }));
	});
}

#[test]
fn dispute_calls_reject_wrong_callers_and_moves_and_change_nothing() {
	test(|| {
		let honest = Run::honest();
		let honest_task = drawn(&honest);
		assert_noop!(bisect_as(SOLVER, honest_task, [1; 32]), Error::<Test>::NoDispute);
		assert_noop!(respond_as(SOLVER, 77, true), Error::<Test>::UnknownVerification);
		assert_noop!(
			Verification::concede(RuntimeOrigin::signed(SOLVER), honest_task),
			Error::<Test>::NoDispute
		);
		play_round(honest_task, |_, targets| honest.findings(targets));
		assert_eq!(concluded(honest_task), Outcome::Accepted);
		let (task_id, run, liar) = contradicted();
		let stage = dispute_of(task_id).stage;
		// A move names the round it answers.
		assert_noop!(
			Verification::bisect(RuntimeOrigin::signed(SOLVER), task_id, 1, [1; 32]),
			Error::<Test>::StaleMove
		);
		// The challenger answers only a posted midpoint, and only the solver posts one.
		assert_noop!(respond_as(liar, task_id, false), Error::<Test>::NotYourMove);
		assert_noop!(bisect_as(liar, task_id, [1; 32]), Error::<Test>::NotDisputeParty);
		assert_noop!(bisect_as(OUTSIDER, task_id, [1; 32]), Error::<Test>::NotDisputeParty);
		assert_noop!(
			Verification::concede(RuntimeOrigin::signed(OUTSIDER), task_id),
			Error::<Test>::NotDisputeParty
		);
		assert_ok!(bisect_as(SOLVER, task_id, claimed_midpoint(&run, &stage)));
		assert_noop!(bisect_as(SOLVER, task_id, [1; 32]), Error::<Test>::NotYourMove);
		assert_noop!(respond_as(SOLVER, task_id, true), Error::<Test>::NotDisputeParty);
		assert_ok!(respond_as(liar, task_id, false));
		// Once pinpointed, only the arbiters act.
		bisect_to_the_end(task_id, &run, Answers::Contrary);
		assert_noop!(
			Verification::concede(RuntimeOrigin::signed(SOLVER), task_id),
			Error::<Test>::NotYourMove
		);
		finish_phase(task_id);
		let arbiters: Vec<u64> =
			dispute_of(task_id).arbiters.iter().map(|arbiter| arbiter.account).collect();
		let computed = Computed::Hash(true_trace(40, 1));
		assert_noop!(
			Verification::commit(RuntimeOrigin::signed(liar), task_id, [1; 32]),
			Error::<Test>::NotAssigned
		);
		assert_noop!(
			arbiter_reveal(task_id, arbiters[0], computed.clone()),
			Error::<Test>::NotRevealPhase
		);
		let commitment = arbiter_commitment(task_id, arbiters[0], &computed);
		assert_ok!(Verification::commit(RuntimeOrigin::signed(arbiters[0]), task_id, commitment));
		assert_noop!(
			Verification::commit(RuntimeOrigin::signed(arbiters[0]), task_id, commitment),
			Error::<Test>::AlreadyCommitted
		);
		finish_phase(task_id);
		assert_noop!(
			arbiter_reveal(task_id, arbiters[0], Computed::Hash([3; 32])),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			Verification::reveal(
				RuntimeOrigin::signed(arbiters[0]),
				task_id,
				BoundedVec::truncate_from(vec![
					Finding { computed: computed.clone(), leaf: None };
					2
				]),
				arbiter_salt(arbiters[0]),
			),
			Error::<Test>::WrongFindingCount
		);
		assert_noop!(
			arbiter_reveal(task_id, arbiters[1], computed.clone()),
			Error::<Test>::NotCommitted
		);
		assert_ok!(arbiter_reveal(task_id, arbiters[0], computed.clone()));
		assert_noop!(
			arbiter_reveal(task_id, arbiters[0], computed),
			Error::<Test>::AlreadyRevealed
		);
		// One vote for the solver, two silent: the solver wins; the silent pay the pot.
		let pot = Balances::balance(&Verification::pot());
		finish_phase(task_id);
		assert_eq!(resolution(task_id), (SOLVER, liar, Resolution::Arbitrated));
		assert_eq!(Balances::balance(&Verification::pot()), pot + 2 * VERIFIER_SLASH);
	});
}

/// A committee of three without a majority on segment 5: one reproduces the value, one does not,
/// one is silent.
fn split_committee(run: &Run) -> impl Fn(usize, &ArbitrationPoint) -> Option<Computed> + '_ {
	move |seat, point| match seat {
		0 => Some(Computed::Hash(true_value(run, 5, point))),
		1 => Some(Computed::Hash([0x77; 32])),
		_ => None,
	}
}

#[test]
fn a_split_committee_leaves_verification_inconclusive_after_the_last_attempt() {
	test(|| {
		let (task_id, run, _) = contradicted();
		bisect_to_the_end(task_id, &run, Answers::Contrary);
		// One agrees, one disagrees, one is silent: no majority, and the mock allows one
		// committee.
		let committee = arbitrate(task_id, split_committee(&run));
		assert_eq!(concluded(task_id), Outcome::Inconclusive);
		assert!(Verifications::<Test>::get(task_id).is_none());
		// A tie wrongs nobody: only the silent arbiter pays.
		for (seat, arbiter) in committee.into_iter().enumerate() {
			let expected = if seat == 2 { VERIFIER_BOND - VERIFIER_SLASH } else { VERIFIER_BOND };
			assert_eq!(provider_bond(arbiter), expected);
			assert_eq!(Providers::<Test>::get(arbiter).unwrap().open_tasks.verifier, 0);
		}
	});
}

#[test]
fn a_split_committee_is_replaced_while_attempts_remain() {
	test(|| {
		let mut params = Params::<Test>::get();
		params.max_recheck_rounds = 2;
		Params::<Test>::put(params);
		let (task_id, run, liar) = contradicted();
		bisect_to_the_end(task_id, &run, Answers::Contrary);
		let first = arbitrate(task_id, split_committee(&run));
		let dispute = dispute_of(task_id);
		assert_eq!(dispute.attempts, 1);
		assert!(dispute.arbiters.is_empty());
		// The second committee may seat the first one's arbiters again; its majority decides.
		let second = arbitrate(task_id, honest_arbiters(&run, 5));
		assert_eq!(resolution(task_id), (SOLVER, liar, Resolution::Arbitrated));
		assert_eq!((first.len(), second.len()), (3, 3));
	});
}

#[test]
fn a_committee_waits_for_enough_fresh_arbiters() {
	new_test_ext().execute_with(|| {
		register(SOLVER, roles(true, false), cpu(), MIN_SOLVER_BOND * 3);
		for verifier in &VERIFIERS[..3] {
			register(*verifier, roles(false, true), cpu(), VERIFIER_BOND);
		}
		let (task_id, run, _) = contradicted();
		bisect_to_the_end(task_id, &run, Answers::Contrary);
		// One fresh verifier is left, three arbiters are wanted: no single arbiter decides.
		finish_phase(task_id);
		let dispute = dispute_of(task_id);
		assert!(dispute.arbiters.is_empty());
		assert!(matches!(
			dispute.stage,
			DisputeStage::Arbitration { phase: ArbitrationPhase::Draw, .. }
		));
		register(VERIFIERS[3], roles(false, true), cpu(), VERIFIER_BOND);
		register(VERIFIERS[4], roles(false, true), cpu(), VERIFIER_BOND);
		arbitrate(task_id, honest_arbiters(&run, 5));
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
		check_invariants();
	});
}

#[test]
fn a_running_dispute_holds_the_verification_window() {
	test(|| {
		let (task_id, run, liar) = contradicted();
		// Moves keep coming, each just inside its window, well past the window at submission.
		for _ in 0..4 {
			let stage = dispute_of(task_id).stage;
			advance(WINDOW - 1);
			assert_ok!(bisect_as(SOLVER, task_id, claimed_midpoint(&run, &stage)));
			advance(WINDOW - 1);
			assert_ok!(respond_as(liar, task_id, false));
		}
		assert!(System::block_number() > 1 + VERIFICATION_WINDOW);
		assert_noop!(
			TaskMarket::expire_task(RuntimeOrigin::signed(OUTSIDER), task_id),
			pallet_tasks::Error::<Test>::TaskNotExpired
		);
	});
}

/// Randomized games: the solver's run is honest or faked, the challenger honest or contrary,
/// either side may fall silent at a random round, arbiters are honest. Every game ends within
/// its bound, the honest side wins, and funds are conserved (checked by `test`).
#[test]
fn randomized_games_end_in_time_and_the_honest_side_wins() {
	new_test_ext().execute_with(|| {
		// Bonds deep enough for every lost dispute of the run.
		register(SOLVER, roles(true, false), cpu(), MIN_SOLVER_BOND * 10);
		for verifier in VERIFIERS {
			register(verifier, roles(false, true), cpu(), VERIFIER_BOND * 10);
		}
		let issuance = Balances::total_issuance();
		let mut rng = Lcg(11);
		let mut played = [0u32; 4];
		for _ in 0..20 {
			let from = 1 + rng.below(9) as u32;
			let faked = rng.below(2) == 0;
			let run = if faked { Run::faked_from(from) } else { Run::honest() };
			let task_id = drawn_spec(&run, overlapping());
			let (first, second) = (assignments(task_id)[0].0, assignments(task_id)[1].0);
			// The honest verifier of a faked run challenges it; on an honest run, the liar does.
			let challenger = if faked { first } else { second };
			let contrary = rng.below(2) == 0;
			// The challenger: the honest verifier of a faked run, or a liar on an honest one.
			play_round(task_id, |who, targets| {
				let mut findings = run.findings(targets);
				if !faked && who == second {
					let at = targets.iter().position(|t| *t == from).expect("every segment");
					findings[at].computed = computed(from, [0xaa; 32]);
				}
				if faked && who == second {
					// An accomplice agrees with the solver.
					for (finding, t) in findings.iter_mut().zip(targets) {
						finding.computed = computed(*t, run.committed[*t as usize]);
					}
				}
				findings
			});
			let answers = if !faked && contrary { Answers::Contrary } else { Answers::Honest };
			let honest = if faked { Party::Challenger } else { Party::Defender };
			// Half the time the dishonest side stops answering after a few rounds.
			let silent_after = rng.below(8) as u16;
			let silent = (rng.below(2) == 0).then_some(if faked {
				Party::Defender
			} else {
				Party::Challenger
			});
			let start = System::block_number();
			let mut rounds = 0u16;
			let mut went_silent = false;
			while let Some(dispute) = Verifications::<Test>::get(task_id).and_then(|v| v.dispute) {
				let Some(party) = dispute.to_move() else { break };
				if dispute.rounds >= silent_after && Some(party) == silent {
					went_silent = true;
					finish_phase(task_id);
					break;
				}
				match party {
					Party::Defender => {
						assert_ok!(bisect_as(
							SOLVER,
							task_id,
							claimed_midpoint(&run, &dispute.stage)
						));
					},
					Party::Challenger => {
						let agree = answers == Answers::Honest
							&& dispute.midpoint == Some(true_midpoint(&dispute.stage));
						assert_ok!(respond_as(dispute.challenger, task_id, agree));
					},
				}
				rounds += 1;
			}
			if !went_silent {
				arbitrate(task_id, honest_arbiters(&run, from));
			}
			let (winner, loser, _) = resolution(task_id);
			assert_eq!(resolution_challenger(task_id), challenger);
			let honest_account = if honest == Party::Defender { SOLVER } else { challenger };
			assert_eq!(winner, honest_account, "faked {faked}, silent {silent:?}");
			assert_ne!(loser, honest_account);
			// ceil(log2 10) + ceil(log2 12) answered rounds, two moves each.
			assert!(rounds <= 2 * (4 + 4), "{rounds} moves");
			// Each move and the arbitration take at most their windows.
			assert!(System::block_number() - start <= u64::from(rounds + 1) * WINDOW + 4 * WINDOW);
			finish_phase(task_id);
			while Verifications::<Test>::get(task_id).is_some() {
				// A defeated liar leaves the honest verifier's agreement: accepted.
				finish_phase(task_id);
			}
			let outcome = concluded(task_id);
			assert_eq!(matches!(outcome, Outcome::Rejected { .. }), faked, "{outcome:?}");
			played[usize::from(faked) * 2 + usize::from(went_silent)] += 1;
			check_invariants();
			System::reset_events();
		}
		assert!(played.iter().all(|count| *count > 0), "{played:?}");
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

/// The challenger of the last opened dispute.
fn resolution_challenger(task_id: u64) -> u64 {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Verification(Event::DisputeOpened {
				task_id: id, challenger, ..
			}) if id == task_id => Some(challenger),
			_ => None,
		})
		.expect("a dispute opened")
}
