//! Witnesses, whistleblower challenges, forced errors, the jackpot and the tax: a lazy verifier
//! is caught and pays the whistleblower, a forced error pays the jackpot and costs the verifier
//! nothing, a wrong challenge costs the whistleblower its bond, and every wrong call fails.

use super::{
	dispute::{
		arbitrate, dispute_of, honest_arbiters, midpoint, resolution, true_midpoint, DispatchResult,
	},
	*,
};
use crate::{DisputeStage, DisputeSubject, Resolution, Secrets};
use cairn_primitives::verification::{forced_error, forced_witness};

const WHISTLEBLOWER: u64 = OUTSIDER;
const SECOND_WHISTLEBLOWER: u64 = 98;
const WHISTLEBLOWER_BOND: Balance = 2_000;
/// What a wrong challenge costs: `CHALLENGE_BOND` of the reward.
const BOND_AT_STAKE: Balance = 280;
/// What catching a forced error wins: `JACKPOT` of the reward.
const JACKPOT_WON: Balance = 5_300;

/// Opens a challenge window after every round, forces errors at `forced_percent`, taxes 5% of
/// rewards for the pot, and registers the whistleblowers.
fn watched(forced_percent: u32) {
	let mut params = verification_params();
	params.challenge_window = WINDOW;
	params.forced_error_rate = Perbill::from_percent(forced_percent);
	params.jackpot_tax = Perbill::from_percent(5);
	assert_ok!(Verification::set_params(RuntimeOrigin::root(), params));
	assert_ok!(Balances::transfer_allow_death(
		RuntimeOrigin::signed(OUTSIDER),
		SECOND_WHISTLEBLOWER,
		ENDOWMENT / 10
	));
	for who in [WHISTLEBLOWER, SECOND_WHISTLEBLOWER] {
		let roles = Roles { solver: false, verifier: false, whistleblower: true };
		register(who, roles, cpu(), WHISTLEBLOWER_BOND);
	}
}

/// Puts `amount` into the pot, as taxes would have.
fn fund_pot(amount: Balance) {
	assert_ok!(Balances::transfer_allow_death(
		RuntimeOrigin::signed(SUBMITTER),
		Verification::pot(),
		amount
	));
}

/// `who` challenges `verifier`'s witness of `target`.
fn challenge(who: u64, task_id: u64, verifier: u64, target: u32) -> DispatchResult {
	challenge_of(who, task_id, verifier, target, DisputeSubject::Witness)
}

fn challenge_of(
	who: u64,
	task_id: u64,
	verifier: u64,
	target: u32,
	subject: DisputeSubject,
) -> DispatchResult {
	Verification::challenge(RuntimeOrigin::signed(who), task_id, verifier, target, subject)
}

/// The first verifier of the round and its first segment target.
fn first_segment(task_id: u64) -> (u64, u32) {
	let (verifier, targets) = assignments(task_id)[0].clone();
	let target = *targets.iter().find(|t| **t > 0 && **t < FINAL).expect("a segment");
	(verifier, target)
}

/// A lazy verifier's findings: the solver's leaves echoed, witnesses made up.
fn lazy_findings(run: &Run, targets: &[u32]) -> Vec<Finding> {
	run.findings(targets)
		.into_iter()
		.zip(targets)
		.map(|(mut finding, target)| {
			if let Some(hash) = finding.computed.hash() {
				if finding.computed.witness().is_some() {
					let witness = blake2_256(&(b"made up", target).encode());
					finding.computed = Computed::Witnessed { hash, witness };
				}
			}
			finding
		})
		.collect()
}

/// An honest verifier's findings, with its forced error where its secret says so.
fn honest_findings(run: &Run, task_id: u64, verifier: u64, targets: &[u32]) -> Vec<Finding> {
	let mut findings = run.findings(targets);
	let witnessed: Vec<usize> = (0..findings.len())
		.filter(|i| findings[*i].computed.witness().is_some())
		.collect();
	let verification = Verifications::<Test>::get(task_id).expect("verifying");
	let rate = verification.forced_error_rate.deconstruct();
	let round = verification.round;
	if let Some(position) =
		forced_error(&secret(verifier), task_id, round, rate, witnessed.len() as u32)
	{
		let finding = &mut findings[witnessed[position as usize]];
		if let Computed::Witnessed { hash, witness } = finding.computed {
			finding.computed = Computed::Witnessed { hash, witness: forced_witness(&witness) };
		}
	}
	findings
}

/// The witnessed target of `verifier`'s forced error in the current round.
fn forced_target(task_id: u64, verifier: u64) -> u32 {
	let verification = Verifications::<Test>::get(task_id).expect("verifying");
	let check = verification
		.checks
		.iter()
		.find(|check| check.verifier == verifier && check.round == verification.round)
		.expect("a check");
	let rate = verification.forced_error_rate.deconstruct();
	let position =
		forced_error(&secret(verifier), task_id, check.round, rate, check.witnesses.len() as u32)
			.expect("forced");
	check.witnesses[position as usize].0
}

/// Every check carries a forced error and the pot holds two jackpots; an honest round of a task
/// is played. The task, its first verifier and the target of that verifier's forced witness.
fn forced_round() -> (u64, u64, u32) {
	watched(100);
	fund_pot(2 * JACKPOT_WON);
	let run = Run::honest();
	let task_id = drawn(&run);
	let verifier = assignments(task_id)[0].0;
	play_round(task_id, |who, targets| honest_findings(&run, task_id, who, targets));
	(task_id, verifier, forced_target(task_id, verifier))
}

fn in_challenge_window(task_id: u64) -> bool {
	matches!(Verifications::<Test>::get(task_id).expect("verifying").phase, Phase::Challenge { .. })
}

/// The defender posts `value_at` each midpoint; the whistleblower answers honestly.
fn defend_witness(task_id: u64, value_at: impl Fn(&DisputeStage) -> Hash256) {
	loop {
		let dispute = dispute_of(task_id);
		if matches!(dispute.stage, DisputeStage::Arbitration { .. }) {
			return;
		}
		assert_ok!(bisect_as(dispute.defender, task_id, value_at(&dispute.stage)));
		let agree = dispute_of(task_id).midpoint == Some(true_midpoint(&dispute.stage));
		assert_ok!(respond_as(dispute.challenger, task_id, agree));
	}
}

#[test]
fn witnesses_are_required_on_segments_and_refused_elsewhere() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let checks = assignments(task_id);
		// The first verifier puts a witness on target 0, the second none on a segment.
		let (first, first_targets) = checks[0].clone();
		let mut extra = run.findings(&first_targets);
		let endpoint = first_targets.iter().position(|t| *t == 0).expect("target 0 comes first");
		extra[endpoint].computed = Computed::Witnessed { hash: run.truth[0], witness: [1; 32] };
		let (second, second_targets) = checks[1].clone();
		let mut bare = run.findings(&second_targets);
		bare[0].computed = Computed::Hash(run.truth[second_targets[0] as usize]);
		assert_ok!(commit(task_id, first, &extra));
		assert_ok!(commit(task_id, second, &bare));
		assert_noop!(reveal(task_id, first, extra), Error::<Test>::WitnessRequired);
		assert_noop!(reveal(task_id, second, bare), Error::<Test>::WitnessRequired);
	});
}

#[test]
fn a_verifier_is_drawn_only_with_a_secret_nobody_knows() {
	test(|| {
		// Three verifiers without a secret, one with a revealed one: one of five is drawable.
		for verifier in &VERIFIERS[..3] {
			Secrets::<Test>::remove(verifier);
		}
		Secrets::<Test>::mutate(VERIFIERS[3], |secret| {
			secret.as_mut().unwrap().revealed_at = Some(1)
		});
		let task_id = submit(&Run::honest());
		advance(DRAW_DELAY);
		assert!(matches!(Verifications::<Test>::get(task_id).unwrap().phase, Phase::Draw { .. }));
		assert_ok!(Verification::commit_secret(RuntimeOrigin::signed(VERIFIERS[3]), [5; 32]));
		finish_phase(task_id);
		let drawn: Vec<u64> = assignments(task_id).into_iter().map(|(who, _)| who).collect();
		assert_eq!(drawn.len(), 2);
		assert!(drawn.contains(&VERIFIERS[3]) && drawn.contains(&VERIFIERS[4]));
		let check = Verifications::<Test>::get(task_id).unwrap().checks[0].clone();
		assert_eq!(check.secret, Some(Secrets::<Test>::get(check.verifier).unwrap().commitment));
	});
}

#[test]
fn a_lazy_verifier_is_caught_by_a_whistleblower_and_pays_it_its_slash() {
	test(|| {
		watched(0);
		let run = Run::honest();
		let task_id = drawn(&run);
		let (lazy, target) = first_segment(task_id);
		let lazy_bond = provider_bond(lazy);
		play_round(task_id, |who, targets| {
			if who == lazy {
				lazy_findings(&run, targets)
			} else {
				run.findings(targets)
			}
		});
		assert!(in_challenge_window(task_id));
		assert_ok!(challenge(WHISTLEBLOWER, task_id, lazy, target));
		let free_before = Balances::balance(&WHISTLEBLOWER);
		finish_phase(task_id);
		let dispute = dispute_of(task_id);
		assert_eq!(dispute.subject, DisputeSubject::Witness);
		assert_eq!((dispute.defender, dispute.challenger), (lazy, WHISTLEBLOWER));
		let start = (target - 1) * INTERVAL;
		assert_eq!(
			dispute.stage,
			DisputeStage::Steps {
				lo: start,
				hi: start + INTERVAL / 2,
				lo_hash: None,
				hi_hash: blake2_256(&(b"made up", target).encode()),
			}
		);
		// It makes up its midpoints too, and loses at the segment's first operation.
		defend_witness(task_id, |stage| blake2_256(&(b"made up", midpoint(stage)).encode()));
		arbitrate(task_id, honest_arbiters(&run, target));
		assert_eq!(resolution(task_id), (WHISTLEBLOWER, lazy, Resolution::Arbitrated));
		let verification = Verifications::<Test>::get(task_id).unwrap();
		let check = verification.checks.iter().find(|check| check.verifier == lazy).unwrap();
		assert!(check.defeated);
		assert_eq!(check.caught_by, Some(WHISTLEBLOWER));
		// Its targets are checked again by fresh verifiers, and the result is accepted.
		finish_phase(task_id);
		play_round(task_id, |_, targets| run.findings(targets));
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert_eq!(provider_bond(lazy), lazy_bond - VERIFIER_SLASH - 3 * ARBITER_FEE);
		assert_eq!(Balances::balance(&WHISTLEBLOWER), free_before + VERIFIER_SLASH);
		let record = Providers::<Test>::get(WHISTLEBLOWER).unwrap();
		assert_eq!(record.open_tasks.whistleblower, 0);
		assert_eq!(provider_bond(WHISTLEBLOWER), WHISTLEBLOWER_BOND);
	});
}

#[test]
fn a_forced_error_pays_the_jackpot_and_costs_the_verifier_nothing() {
	test(|| {
		let (task_id, verifier, target) = forced_round();
		// Two whistleblowers caught it; a third challenge of another witness is settled apart.
		assert_ok!(challenge(WHISTLEBLOWER, task_id, verifier, target));
		assert_ok!(challenge(SECOND_WHISTLEBLOWER, task_id, verifier, target));
		let (bond, free) = (provider_bond(verifier), Balances::balance(&verifier));
		let pot = Balances::balance(&Verification::pot());
		let catchers_free = [WHISTLEBLOWER, SECOND_WHISTLEBLOWER].map(|w| Balances::balance(&w));
		finish_phase(task_id);
		assert_eq!(dispute_of(task_id).defender, verifier);
		// Another verifier's secret, or this one's on an unforced target, proves nothing.
		assert_noop!(
			Verification::reveal_secret(RuntimeOrigin::signed(verifier), task_id, [0; 32]),
			Error::<Test>::SecretMismatch
		);
		assert_noop!(
			Verification::reveal_secret(
				RuntimeOrigin::signed(WHISTLEBLOWER),
				task_id,
				secret(verifier)
			),
			Error::<Test>::NotDisputeParty
		);
		assert_ok!(Verification::reveal_secret(
			RuntimeOrigin::signed(verifier),
			task_id,
			secret(verifier)
		));
		assert_eq!(resolution(task_id), (WHISTLEBLOWER, verifier, Resolution::ForcedError));
		for (whistleblower, before) in
			[WHISTLEBLOWER, SECOND_WHISTLEBLOWER].iter().zip(catchers_free)
		{
			assert_eq!(Balances::balance(whistleblower), before + JACKPOT_WON / 2);
			assert_eq!(Providers::<Test>::get(whistleblower).unwrap().open_tasks.whistleblower, 0);
		}
		assert_eq!(Balances::balance(&Verification::pot()), pot - JACKPOT_WON);
		assert!(Verifications::<Test>::get(task_id).unwrap().challenges.is_empty());
		// The secret is spent: the verifier is not drawn until it commits a new one, which it
		// now may although its check is open.
		let revealed = Secrets::<Test>::get(verifier).unwrap();
		assert!(revealed.revealed_at.is_some());
		assert_noop!(
			Verification::commit_secret(RuntimeOrigin::signed(verifier), revealed.commitment),
			Error::<Test>::SecretRevealed
		);
		assert_ok!(Verification::commit_secret(RuntimeOrigin::signed(verifier), [5; 32]));
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert_eq!(provider_bond(verifier), bond);
		assert!(Balances::balance(&verifier) > free, "its fee is paid");
		// 5% of the reward was taxed into the pot.
		assert_eq!(Balances::balance(&Verification::pot()), pot - JACKPOT_WON + REWARD / 20);
	});
}

#[test]
fn a_wrong_challenge_costs_the_whistleblower_its_bond() {
	test(|| {
		watched(0);
		let run = Run::honest();
		let task_id = drawn(&run);
		let (verifier, target) = first_segment(task_id);
		play_round(task_id, |_, targets| run.findings(targets));
		assert_ok!(challenge(WHISTLEBLOWER, task_id, verifier, target));
		let (bond, free) = (provider_bond(verifier), Balances::balance(&verifier));
		finish_phase(task_id);
		// Nothing to reveal: the witness was not forced.
		assert_noop!(
			Verification::reveal_secret(RuntimeOrigin::signed(verifier), task_id, secret(verifier)),
			Error::<Test>::NotForced
		);
		// The verifier defends with the true states; the blind whistleblower cannot answer.
		let dispute = dispute_of(task_id);
		assert_ok!(bisect_as(verifier, task_id, true_midpoint(&dispute.stage)));
		finish_phase(task_id);
		assert_eq!(resolution(task_id), (verifier, WHISTLEBLOWER, Resolution::TimedOut));
		assert_eq!(provider_bond(WHISTLEBLOWER), WHISTLEBLOWER_BOND - BOND_AT_STAKE);
		assert_eq!(Balances::balance(&verifier), free + BOND_AT_STAKE);
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert_eq!(provider_bond(verifier), bond);
		assert_eq!(Providers::<Test>::get(WHISTLEBLOWER).unwrap().open_tasks.whistleblower, 0);
	});
}

#[test]
fn challenge_rejects_wrong_calls_and_changes_nothing() {
	test(|| {
		watched(0);
		let run = Run::honest();
		let task_id = drawn(&run);
		let (verifier, target) = first_segment(task_id);
		assert_noop!(
			challenge(WHISTLEBLOWER, task_id, verifier, target),
			Error::<Test>::NotChallengePhase
		);
		play_round(task_id, |_, targets| run.findings(targets));
		assert!(in_challenge_window(task_id));
		let other = assignments(task_id)[1].0;
		for who in [SOLVER, SUBMITTER, verifier] {
			assert_noop!(
				challenge(who, task_id, verifier, target),
				Error::<Test>::NotWhistleblower
			);
		}
		// A verifier of the same task may watch another one, if bonded as a whistleblower.
		assert_noop!(challenge(other, task_id, verifier, target), Error::<Test>::NotWhistleblower);
		assert_noop!(
			challenge(WHISTLEBLOWER, task_id, verifier, FINAL),
			Error::<Test>::NothingToChallenge
		);
		assert_noop!(
			challenge(WHISTLEBLOWER, task_id, verifier, 0),
			Error::<Test>::NothingToChallenge
		);
		assert_noop!(
			challenge(WHISTLEBLOWER, task_id, SOLVER, target),
			Error::<Test>::NothingToChallenge
		);
		assert_noop!(
			challenge(WHISTLEBLOWER, task_id + 1, verifier, target),
			Error::<Test>::UnknownVerification
		);
		assert_ok!(challenge(WHISTLEBLOWER, task_id, verifier, target));
		assert_noop!(
			challenge(WHISTLEBLOWER, task_id, verifier, target),
			Error::<Test>::AlreadyChallenged
		);
		// A whistleblower whose bond covers no more challenges.
		assert_ok!(ComputeStaking::unbond(
			RuntimeOrigin::signed(SECOND_WHISTLEBLOWER),
			WHISTLEBLOWER_BOND
		));
		assert_noop!(
			challenge(SECOND_WHISTLEBLOWER, task_id, verifier, target),
			Error::<Test>::NotWhistleblower
		);
		assert_eq!(Providers::<Test>::get(WHISTLEBLOWER).unwrap().open_tasks.whistleblower, 1);
	});
}

#[test]
fn a_secret_in_use_stays_and_only_bonded_verifiers_commit_one() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let verifier = assignments(task_id)[0].0;
		assert_noop!(
			Verification::commit_secret(RuntimeOrigin::signed(verifier), [5; 32]),
			Error::<Test>::SecretInUse
		);
		assert_noop!(
			Verification::commit_secret(RuntimeOrigin::signed(OUTSIDER), [5; 32]),
			Error::<Test>::VerifierNotBonded
		);
		// A verifier without open checks may replace its secret.
		let idle = VERIFIERS.into_iter().find(|v| assignments(task_id).iter().all(|(w, _)| w != v));
		let idle = idle.expect("an idle verifier");
		assert_ok!(Verification::commit_secret(RuntimeOrigin::signed(idle), [5; 32]));
		assert_eq!(Secrets::<Test>::get(idle).unwrap().commitment, [5; 32]);
	});
}

#[test]
fn randomized_witness_games_end_in_time_and_the_honest_side_wins() {
	test(|| {
		watched(0);
		// Deep enough for every challenge the blind whistleblower loses.
		assert_ok!(ComputeStaking::bond_more(RuntimeOrigin::signed(WHISTLEBLOWER), 20_000));
		let mut rng = Lcg(5);
		let mut wins = [0u32; 2];
		for _ in 0..12 {
			let run = Run::honest();
			let task_id = drawn(&run);
			let (verifier, target) = first_segment(task_id);
			// Either a lazy verifier and an honest whistleblower, or the other way round.
			let lazy = rng.below(2) == 0;
			play_round(task_id, |who, targets| {
				if lazy && who == verifier {
					lazy_findings(&run, targets)
				} else {
					run.findings(targets)
				}
			});
			assert_ok!(challenge(WHISTLEBLOWER, task_id, verifier, target));
			finish_phase(task_id);
			// The lazy side makes up its midpoints; the blind whistleblower disputes every one.
			loop {
				let dispute = dispute_of(task_id);
				if matches!(dispute.stage, DisputeStage::Arbitration { .. }) {
					// ceil(log2 5) step rounds and ceil(log2 13) trace rounds at most.
					assert!(dispute.rounds <= 3 + 4, "{} rounds", dispute.rounds);
					break;
				}
				let value = if lazy {
					blake2_256(&(b"made up", midpoint(&dispute.stage)).encode())
				} else {
					true_midpoint(&dispute.stage)
				};
				assert_ok!(bisect_as(verifier, task_id, value));
				let agree = !lazy && rng.below(3) == 0
					|| lazy && dispute_of(task_id).midpoint == Some(true_midpoint(&dispute.stage));
				assert_ok!(respond_as(WHISTLEBLOWER, task_id, agree));
			}
			arbitrate(task_id, honest_arbiters(&run, target));
			let (winner, loser, _) = resolution(task_id);
			let expected = if lazy { (WHISTLEBLOWER, verifier) } else { (verifier, WHISTLEBLOWER) };
			assert_eq!((winner, loser), expected, "lazy: {lazy}");
			wins[usize::from(lazy)] += 1;
			// The round goes on to its end: a recheck of the lazy verifier's targets, if needed.
			while Verifications::<Test>::contains_key(task_id) {
				match Verifications::<Test>::get(task_id).unwrap().phase {
					Phase::Commit { .. } => play_round(task_id, |_, targets| run.findings(targets)),
					_ => finish_phase(task_id),
				}
			}
			assert_eq!(concluded(task_id), Outcome::Accepted);
			check_invariants();
		}
		assert!(wins.iter().all(|count| *count >= 3), "{wins:?}");
	});
}

#[test]
fn a_bribed_verifier_that_vouches_for_a_faked_leaf_is_caught_through_its_verdict() {
	test(|| {
		watched(0);
		// Segment 3 is faked; the bribed verifier replays it (its witness is right) but agrees
		// with the faked leaf.
		let run = Run::faked_from(4);
		// One verifier, the bribed one, on every segment.
		let mut spec = spec();
		spec.verification.verifiers = 1;
		spec.verification.segments_per_verifier = 10;
		let task_id = drawn_spec(&run, spec);
		let (bribed, targets) = assignments(task_id)[0].clone();
		assert!(targets.contains(&4));
		play_round(task_id, |_, targets| {
			let mut findings = run.findings(targets);
			for (finding, target) in findings.iter_mut().zip(targets) {
				let hash = run.committed[*target as usize];
				finding.computed = match finding.computed {
					Computed::Witnessed { witness, .. } => Computed::Witnessed { hash, witness },
					_ => Computed::Hash(hash),
				};
			}
			findings
		});
		// Its witness of segment 3 stands (it is right); its agreement does not.
		assert_ok!(challenge_of(WHISTLEBLOWER, task_id, bribed, 4, DisputeSubject::Verdict));
		assert_noop!(
			challenge_of(WHISTLEBLOWER, task_id, bribed, 4, DisputeSubject::Leaf),
			Error::<Test>::NothingToChallenge
		);
		let free = Balances::balance(&WHISTLEBLOWER);
		finish_phase(task_id);
		let dispute = dispute_of(task_id);
		assert_eq!(dispute.subject, DisputeSubject::Verdict);
		assert_eq!((dispute.defender, dispute.challenger), (SOLVER, WHISTLEBLOWER));
		// The solver defends its run, the whistleblower answers honestly: the faked operation.
		loop {
			let dispute = dispute_of(task_id);
			if matches!(dispute.stage, DisputeStage::Arbitration { .. }) {
				break;
			}
			let value = match dispute.stage {
				DisputeStage::Steps { .. } => run.claimed_state(midpoint(&dispute.stage)),
				DisputeStage::Operations { step, .. } => {
					run.claimed_trace(step, midpoint(&dispute.stage))
				},
				DisputeStage::Arbitration { .. } => unreachable!(),
			};
			assert_ok!(bisect_as(SOLVER, task_id, value));
			let agree = dispute_of(task_id).midpoint == Some(true_midpoint(&dispute.stage));
			assert_ok!(respond_as(WHISTLEBLOWER, task_id, agree));
		}
		arbitrate(task_id, honest_arbiters(&run, 4));
		assert_eq!(resolution(task_id), (WHISTLEBLOWER, SOLVER, Resolution::Arbitrated));
		finish_phase(task_id);
		assert!(matches!(concluded(task_id), Outcome::Rejected { target: 4 }));
		// The bribed verifier's slash went to the whistleblower.
		assert_eq!(Balances::balance(&WHISTLEBLOWER), free + VERIFIER_SLASH);
		assert_eq!(Providers::<Test>::get(WHISTLEBLOWER).unwrap().open_tasks.whistleblower, 0);
	});
}

#[test]
fn a_challenge_of_the_verdict_does_not_share_the_jackpot_of_the_witness() {
	test(|| {
		let (task_id, verifier, target) = forced_round();
		assert_ok!(challenge(WHISTLEBLOWER, task_id, verifier, target));
		// A blind challenge of the verifier's agreement on the same target.
		assert_ok!(challenge_of(
			SECOND_WHISTLEBLOWER,
			task_id,
			verifier,
			target,
			DisputeSubject::Verdict
		));
		let free = Balances::balance(&WHISTLEBLOWER);
		let second_bond = provider_bond(SECOND_WHISTLEBLOWER);
		finish_phase(task_id);
		assert_ok!(Verification::reveal_secret(
			RuntimeOrigin::signed(verifier),
			task_id,
			secret(verifier)
		));
		assert_eq!(Balances::balance(&WHISTLEBLOWER), free + JACKPOT_WON);
		let pending = Verifications::<Test>::get(task_id).unwrap().challenges;
		assert_eq!(pending.len(), 1);
		assert_eq!(pending[0].subject, DisputeSubject::Verdict);
		// Disputed on its own: the solver defends its leaf, the blind whistleblower cannot answer.
		finish_phase(task_id);
		let dispute = dispute_of(task_id);
		assert_eq!((dispute.subject, dispute.defender), (DisputeSubject::Verdict, SOLVER));
		assert_ok!(bisect_as(SOLVER, task_id, true_midpoint(&dispute.stage)));
		finish_phase(task_id);
		assert_eq!(resolution(task_id), (SOLVER, SECOND_WHISTLEBLOWER, Resolution::TimedOut));
		assert_eq!(provider_bond(SECOND_WHISTLEBLOWER), second_bond - BOND_AT_STAKE);
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
	});
}
