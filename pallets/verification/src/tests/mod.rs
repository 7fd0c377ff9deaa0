//! Unit tests of verification on the mock runtime: every phase, timeout and bad input, and a
//! randomized test that funds are conserved and every invariant holds.

use crate::{mock::*, Agenda, Error, Event, Outcome, Params, Phase, TargetStatus, Verifications};
use cairn_primitives::{
	merkle::{blake2_256, checkpoint_proof, checkpoint_root},
	verification::{reveal_commitment, secret_commitment, witness_step, Siblings},
	Backend, BoundedVec, Computed, Finding, HardwareProfile, Hash256, IsaClass, ResultCommitment,
	Roles,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
};
use pallet_compute_staking::{ComputeProviders, Providers};
use pallet_model_registry::{ModelByHash, Models, Provenance};
use pallet_tasks::{TaskStatus, Tasks};
use sp_runtime::DispatchError;

/// Checkpoints of the mock spec (100 steps, one every 10, plus the initial one).
const CHECKPOINTS: u32 = 11;
/// The target that stands for the final weights.
const FINAL: u32 = CHECKPOINTS;

/// Steps between checkpoints in the mock spec.
const INTERVAL: u32 = 10;

/// Canonical state hash at `step` of the honest run.
fn true_state(step: u32) -> Hash256 {
	blake2_256(&(b"state", step).encode())
}

/// Positions of one step's trace for the mock spec's network.
fn trace_len() -> u32 {
	cairn_primitives::task::step_trace_len(&mlp()).expect("a trainable network")
}

/// Trace value at `position` of honest step `step`: its input state, then the chained
/// intermediates, then its output state.
fn true_trace(step: u32, position: u32) -> Hash256 {
	match position {
		0 => true_state(step),
		p if p == trace_len() => true_state(step + 1),
		p => blake2_256(&(b"trace", step, p).encode()),
	}
}

/// What a verifier reveals for `target` having computed `hash` (and, for a segment, the honest
/// witness).
fn computed(target: u32, hash: Hash256) -> Computed {
	match witness_step(INTERVAL, target) {
		Some(step) if target < FINAL => Computed::Witnessed { hash, witness: true_state(step) },
		_ => Computed::Hash(hash),
	}
}

/// A training run: what honest re-execution gives for each target, and what the solver committed.
#[derive(Clone)]
struct Run {
	truth: Vec<Hash256>,
	committed: Vec<Hash256>,
	/// The (step, trace position) where the solver's run leaves the honest one.
	diverges_at: Option<(u32, u32)>,
}

impl Run {
	/// A run whose every checkpoint and final weights are what re-execution gives.
	fn honest() -> Self {
		let mut truth: Vec<Hash256> = (0..FINAL).map(|i| true_state(i * INTERVAL)).collect();
		truth.push(blake2_256(b"final weights"));
		Run { committed: truth.clone(), truth, diverges_at: None }
	}

	/// A run faked from checkpoint `from` on (and so are its final weights): it leaves the
	/// honest run at trace position 5 of the fourth step of segment `from - 1`.
	fn faked_from(from: u32) -> Self {
		let mut run = Run::honest();
		run.diverges_at = Some(((from - 1) * INTERVAL + 3, 5));
		for i in from..FINAL {
			run.committed[i as usize] = run.claimed_state(i * INTERVAL);
		}
		run.committed[FINAL as usize] = blake2_256(b"faked final weights");
		run
	}

	/// The solver's state hash at `step`.
	fn claimed_state(&self, step: u32) -> Hash256 {
		match self.diverges_at {
			Some((at, _)) if step > at => blake2_256(&(b"faked state", step).encode()),
			_ => true_state(step),
		}
	}

	/// The solver's trace value at `position` of step `step`.
	fn claimed_trace(&self, step: u32, position: u32) -> Hash256 {
		let faked = match self.diverges_at {
			Some((at, from)) => step > at || (step == at && position >= from),
			None => false,
		};
		match position {
			0 => self.claimed_state(step),
			p if p == trace_len() => self.claimed_state(step + 1),
			p if faked => blake2_256(&(b"faked trace", step, p).encode()),
			p => true_trace(step, p),
		}
	}
	fn leaves(&self) -> &[Hash256] {
		&self.committed[..CHECKPOINTS as usize]
	}

	fn commitment(&self) -> ResultCommitment {
		ResultCommitment {
			final_weights_hash: self.committed[FINAL as usize],
			checkpoint_root: checkpoint_root(self.leaves()),
			checkpoint_count: CHECKPOINTS,
			artifacts_uri: BoundedVec::truncate_from(b"http://127.0.0.1:8000/artifacts".to_vec()),
		}
	}

	fn proof(&self, target: u32) -> (Hash256, Siblings) {
		let proof = checkpoint_proof(self.leaves(), target).expect("a checkpoint");
		(proof.leaf, BoundedVec::truncate_from(proof.siblings))
	}

	/// What an honest verifier reveals for `targets`.
	fn findings(&self, targets: &[u32]) -> Vec<Finding> {
		targets
			.iter()
			.map(|&target| Finding {
				computed: computed(target, self.truth[target as usize]),
				leaf: (target < FINAL).then(|| self.proof(target)),
			})
			.collect()
	}
}

fn cpu() -> HardwareProfile {
	HardwareProfile {
		isa: IsaClass::X86_64V3,
		arithmetic: 1,
		backend: Backend::FlexCpu,
		memory_gib: 8,
		gpu: None,
	}
}

fn roles(solver: bool, verifier: bool) -> Roles {
	Roles { solver, verifier, whistleblower: false }
}

/// Registers a provider; a verifier also commits its forced-error secret, when its bond allows.
fn register(who: u64, roles: Roles, hardware: HardwareProfile, bond: Balance) {
	assert_ok!(ComputeStaking::register_provider(
		RuntimeOrigin::signed(who),
		roles,
		hardware,
		bond
	));
	if roles.verifier && ComputeStaking::is_eligible(&who, cairn_primitives::Role::Verifier) {
		assert_ok!(Verification::commit_secret(
			RuntimeOrigin::signed(who),
			secret_commitment(&secret(who))
		));
	}
}

/// The solver and the five verifiers, all on x86-64-v3.
fn register_providers() {
	register(SOLVER, roles(true, false), cpu(), MIN_SOLVER_BOND * 3);
	for verifier in VERIFIERS {
		register(verifier, roles(false, true), cpu(), VERIFIER_BOND);
	}
}

/// The submitter posts the mock spec, the solver claims it and commits `run`.
fn submit(run: &Run) -> u64 {
	submit_spec(run, spec())
}

fn submit_spec(run: &Run, spec: cairn_primitives::TaskSpec) -> u64 {
	let task_id = pallet_tasks::NextTaskId::<Test>::get();
	assert_ok!(TaskMarket::create_task(RuntimeOrigin::signed(SUBMITTER), spec, REWARD));
	assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(SOLVER), task_id));
	assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(SOLVER), task_id, run.commitment()));
	task_id
}

/// Advances to block `to`, running verification's `on_initialize` in every block.
fn run_to(to: u64) {
	while System::block_number() < to {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Verification::on_initialize(next);
	}
}

fn advance(blocks: u64) {
	run_to(System::block_number() + blocks);
}

/// Advances until the task's phase ends (and the agenda has processed it).
fn finish_phase(task_id: u64) {
	let end = Verifications::<Test>::get(task_id).expect("verifying").phase.ends_at();
	run_to(end);
}

/// The current round's checks: verifier and targets.
fn assignments(task_id: u64) -> Vec<(u64, Vec<u32>)> {
	let verification = Verifications::<Test>::get(task_id).expect("verifying");
	verification
		.checks
		.iter()
		.filter(|check| check.round == verification.round)
		.map(|check| (check.verifier, check.targets.to_vec()))
		.collect()
}

/// The forced-error secret `register_providers` commits for a verifier.
fn secret(verifier: u64) -> Hash256 {
	blake2_256(&(b"secret", verifier).encode())
}

fn salt(verifier: u64) -> Hash256 {
	blake2_256(&verifier.to_le_bytes())
}

fn commitment_of(task_id: u64, verifier: u64, findings: &[Finding]) -> Hash256 {
	let round = Verifications::<Test>::get(task_id).expect("verifying").round;
	let computed: Vec<Computed> = findings.iter().map(|finding| finding.computed.clone()).collect();
	reveal_commitment(task_id, round, &codec::Encode::encode(&verifier), &computed, &salt(verifier))
}

fn commit(
	task_id: u64,
	verifier: u64,
	findings: &[Finding],
) -> frame_support::dispatch::DispatchResult {
	Verification::commit(
		RuntimeOrigin::signed(verifier),
		task_id,
		commitment_of(task_id, verifier, findings),
	)
}

fn reveal(
	task_id: u64,
	verifier: u64,
	findings: Vec<Finding>,
) -> frame_support::dispatch::DispatchResult {
	Verification::reveal(
		RuntimeOrigin::signed(verifier),
		task_id,
		BoundedVec::truncate_from(findings),
		salt(verifier),
	)
}

/// Every verifier of the current round commits and reveals what `findings_of` gives it.
fn play_round(task_id: u64, findings_of: impl Fn(u64, &[u32]) -> Vec<Finding>) {
	let round = assignments(task_id);
	for (verifier, targets) in &round {
		assert_ok!(commit(task_id, *verifier, &findings_of(*verifier, targets)));
	}
	for (verifier, targets) in &round {
		assert_ok!(reveal(task_id, *verifier, findings_of(*verifier, targets)));
	}
	finish_phase(task_id);
}

/// Runs to the draw of round 0.
fn drawn(run: &Run) -> u64 {
	drawn_spec(run, spec())
}

fn drawn_spec(run: &Run, spec: cairn_primitives::TaskSpec) -> u64 {
	let task_id = submit_spec(run, spec);
	advance(DRAW_DELAY);
	assert!(matches!(
		Verifications::<Test>::get(task_id).expect("verifying").phase,
		Phase::Commit { .. }
	));
	task_id
}

fn concluded(task_id: u64) -> Outcome {
	System::events()
		.into_iter()
		.find_map(|record| match record.event {
			RuntimeEvent::Verification(Event::VerificationConcluded { task_id: id, outcome })
				if id == task_id =>
			{
				Some(outcome)
			},
			_ => None,
		})
		.expect("verification concluded")
}

fn provider_bond(who: u64) -> Balance {
	Providers::<Test>::get(who).map_or(0, |provider| provider.bonded)
}

fn check_invariants() {
	ComputeStaking::do_try_state().expect("staking invariants");
	TaskMarket::do_try_state().expect("task invariants");
	Verification::do_try_state().expect("verification invariants");
}

/// Runs a test with the providers registered, then checks every invariant and that no funds
/// were created or destroyed.
fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		register_providers();
		let issuance = Balances::total_issuance();
		body();
		check_invariants();
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn an_honest_result_is_accepted_paid_and_registered_for_the_submitter() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let round = assignments(task_id);
		assert_eq!(round.len(), 2);
		let before: Vec<Balance> = round.iter().map(|(who, _)| Balances::balance(who)).collect();
		let solver_before = Balances::balance(&SOLVER);
		play_round(task_id, |_, targets| run.findings(targets));

		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert!(Verifications::<Test>::get(task_id).is_none());
		assert!(Tasks::<Test>::get(task_id).is_none());
		// Every correct finding earns the same share of the fee pool.
		let units: u32 = round.iter().map(|(_, targets)| targets.len() as u32).sum();
		let per_unit = FEE.mul_floor(REWARD) / Balance::from(units);
		for ((verifier, targets), before) in round.iter().zip(before) {
			assert_eq!(Balances::balance(verifier), before + per_unit * targets.len() as Balance);
			let provider = Providers::<Test>::get(verifier).unwrap();
			assert_eq!((provider.open_tasks.verifier, provider.tasks_served), (0, 1));
		}
		let fees = per_unit * Balance::from(units);
		let solver_bond = Perbill::from_percent(10).mul_floor(REWARD);
		assert_eq!(Balances::balance(&SOLVER), solver_before + REWARD - fees + solver_bond);
		let model_id = ModelByHash::<Test>::get(run.committed[FINAL as usize]).expect("registered");
		let model = Models::<Test>::get(model_id).unwrap();
		assert_eq!(model.owner, SUBMITTER);
		assert_eq!(model.provenance, Provenance::Trained { task: task_id });
	});
}

use sp_runtime::Perbill;

#[test]
fn a_continued_model_is_witnessed_and_accepted_like_a_fresh_one() {
	test(|| {
		// The parent: the mock spec's own network, registered by hand; the result names it.
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(SUBMITTER),
			[9; 32],
			b"parent".to_vec(),
			mlp(),
			None,
			None,
			vec![],
			vec![],
		));
		let parent = pallet_model_registry::NextModelId::<Test>::get() - 1;
		let mut continued = spec();
		continued.model = cairn_primitives::ModelInit::FromRegistry { model: parent };
		let run = Run::honest();
		let task_id = drawn_spec(&run, continued);
		// Segments carry witnesses of the parent's network, as for a fresh one (a spec that
		// continues a model does not name its network: the task records its trace length).
		play_round(task_id, |_, targets| run.findings(targets));
		assert_eq!(concluded(task_id), Outcome::Accepted);
		let model_id = ModelByHash::<Test>::get(run.committed[FINAL as usize]).expect("registered");
		assert_eq!(Models::<Test>::get(model_id).unwrap().parent, Some(parent));
	});
}

#[test]
fn the_draw_takes_staked_verifiers_of_the_solvers_class_never_the_parties() {
	new_test_ext().execute_with(|| {
		// The submitter and the solver also verify; one verifier runs on another class.
		register(SOLVER, roles(true, true), cpu(), MIN_SOLVER_BOND * 3);
		register(SUBMITTER, roles(false, true), cpu(), VERIFIER_BOND);
		let arm = HardwareProfile { isa: IsaClass::Aarch64, ..cpu() };
		register(VERIFIERS[0], roles(false, true), arm, VERIFIER_BOND);
		register(VERIFIERS[1], roles(false, true), cpu(), VERIFIER_BOND);
		register(VERIFIERS[2], roles(false, true), cpu(), VERIFIER_BOND);
		let run = Run::honest();
		for _ in 0..6 {
			let task_id = drawn(&run);
			let mut drawn: Vec<u64> = assignments(task_id).iter().map(|(who, _)| *who).collect();
			drawn.sort();
			assert_eq!(drawn, vec![VERIFIERS[1], VERIFIERS[2]]);
			play_round(task_id, |_, targets| run.findings(targets));
			assert_eq!(concluded(task_id), Outcome::Accepted);
			// The same weights train again: the registry keeps the first record.
			System::reset_events();
		}
		check_invariants();
	});
}

#[test]
fn targets_cover_the_endpoints_and_distinct_segments() {
	test(|| {
		let task_id = drawn(&Run::honest());
		let round = assignments(task_id);
		let (first, second) = (&round[0].1, &round[1].1);
		assert!(first.contains(&0) && first.contains(&(CHECKPOINTS - 1)) && first.contains(&FINAL));
		let segments = |targets: &Vec<u32>| {
			targets
				.iter()
				.copied()
				.filter(|t| (1..CHECKPOINTS).contains(t))
				.collect::<Vec<_>>()
		};
		assert!(segments(second).len() == 2);
		// Four sampled segments out of ten are all different.
		let mut sampled = segments(second);
		sampled.extend(segments(first).into_iter().filter(|t| *t != CHECKPOINTS - 1));
		let before = sampled.len();
		sampled.sort();
		sampled.dedup();
		assert_eq!(sampled.len(), before);
		let verification = Verifications::<Test>::get(task_id).unwrap();
		let final_target = verification.targets.iter().find(|t| t.index == FINAL).unwrap();
		assert_eq!(final_target.committed, Some(Run::honest().committed[FINAL as usize]));
	});
}

/// The leaves, with their proofs, of `run` that the verification of `task_id` asks of the solver.
fn challenged_leaves(task_id: u64, run: &Run) -> Vec<(u32, Hash256, Siblings)> {
	let verification = Verifications::<Test>::get(task_id).expect("verifying");
	verification
		.targets
		.iter()
		.filter(|t| t.challenged)
		.map(|t| {
			let (leaf, siblings) = run.proof(t.index);
			(t.index, leaf, siblings)
		})
		.collect()
}

/// What a verifier reveals when the solver served nothing.
fn unavailable(targets: &[u32]) -> Vec<Finding> {
	targets
		.iter()
		.map(|_| Finding { computed: Computed::Unavailable, leaf: None })
		.collect()
}

#[test]
fn a_solver_that_withholds_its_checkpoints_loses() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		play_round(task_id, |_, targets| unavailable(targets));
		let verification = Verifications::<Test>::get(task_id).unwrap();
		assert!(matches!(verification.phase, Phase::Availability { .. }));
		// The final weights are committed on chain, so they are never asked for.
		assert!(verification.targets.iter().all(|t| t.challenged == (t.index != FINAL)));
		finish_phase(task_id);
		assert!(matches!(concluded(task_id), Outcome::Rejected { .. }));
		assert!(matches!(Tasks::<Test>::get(task_id).unwrap().status, TaskStatus::Open { .. }));
		assert_eq!(Providers::<Test>::get(SOLVER).unwrap().slash_count, 1);
	});
}

#[test]
fn a_solver_that_posts_the_withheld_leaves_is_rechecked_and_paid() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		play_round(task_id, |_, targets| unavailable(targets));
		let challenged: Vec<u32> = Verifications::<Test>::get(task_id)
			.unwrap()
			.targets
			.iter()
			.filter(|t| t.challenged)
			.map(|t| t.index)
			.collect();
		let post = |targets: &[u32]| {
			BoundedVec::truncate_from(
				targets.iter().map(|&t| (t, run.proof(t).0, run.proof(t).1)).collect::<Vec<_>>(),
			)
		};
		// Bad posts change nothing.
		assert_noop!(
			Verification::post_leaves(RuntimeOrigin::signed(OUTSIDER), task_id, post(&challenged)),
			Error::<Test>::NotSolver
		);
		let mut forged = run.proof(challenged[0]);
		forged.0 = [0x55; 32];
		assert_noop!(
			Verification::post_leaves(
				RuntimeOrigin::signed(SOLVER),
				task_id,
				BoundedVec::truncate_from(vec![(challenged[0], forged.0, forged.1)])
			),
			Error::<Test>::InvalidProof
		);
		let unasked = (0..CHECKPOINTS).find(|t| !challenged.contains(t)).expect("one not asked");
		assert_noop!(
			Verification::post_leaves(RuntimeOrigin::signed(SOLVER), task_id, post(&[unasked])),
			Error::<Test>::NotChallenged
		);
		assert_ok!(Verification::post_leaves(
			RuntimeOrigin::signed(SOLVER),
			task_id,
			post(&challenged)
		));
		finish_phase(task_id);
		// Unavailable is not agreement: a recheck round decides.
		assert_eq!(Verifications::<Test>::get(task_id).unwrap().round, 1);
		play_round(task_id, |_, targets| run.findings(targets));
		assert_eq!(concluded(task_id), Outcome::Accepted);
	});
}

#[test]
fn silent_verifiers_are_slashed_to_the_pot_and_replaced() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let round = assignments(task_id);
		let (silent, speaker) = (round[0].0, round[1].0);
		let pot_before = Balances::balance(&Verification::pot());
		assert_ok!(commit(task_id, speaker, &run.findings(&round[1].1)));
		finish_phase(task_id);
		assert!(matches!(Verifications::<Test>::get(task_id).unwrap().phase, Phase::Reveal { .. }));
		assert_noop!(
			commit(task_id, silent, &run.findings(&round[0].1)),
			Error::<Test>::NotCommitPhase
		);
		assert_ok!(reveal(task_id, speaker, run.findings(&round[1].1)));
		finish_phase(task_id);
		// The silent verifier's targets (and nothing confirmed) go to a recheck round.
		let verification = Verifications::<Test>::get(task_id).unwrap();
		assert_eq!(verification.round, 1);
		for target in &verification.targets {
			let confirmed =
				round[1].1.contains(&target.index) && !round[0].1.contains(&target.index);
			assert_eq!(
				target.status == TargetStatus::Confirmed,
				confirmed,
				"target {}",
				target.index
			);
		}
		play_round(task_id, |_, targets| run.findings(targets));
		assert_eq!(concluded(task_id), Outcome::Accepted);
		assert_eq!(provider_bond(silent), VERIFIER_BOND - VERIFIER_SLASH);
		assert_eq!(Balances::balance(&Verification::pot()), pot_before + VERIFIER_SLASH);
	});
}

#[test]
fn a_round_where_nobody_commits_is_rechecked_then_inconclusive() {
	test(|| {
		let task_id = drawn(&Run::honest());
		finish_phase(task_id);
		assert_eq!(Verifications::<Test>::get(task_id).unwrap().round, 1);
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Inconclusive);
		// Nobody settled: the task expires at the end of its window, refunded and released.
		let TaskStatus::Submitted { verify_by, .. } = Tasks::<Test>::get(task_id).unwrap().status
		else {
			panic!("still submitted")
		};
		assert_noop!(
			TaskMarket::expire_task(RuntimeOrigin::signed(OUTSIDER), task_id),
			pallet_tasks::Error::<Test>::TaskNotExpired
		);
		run_to(verify_by + 1);
		assert_ok!(TaskMarket::expire_task(RuntimeOrigin::signed(OUTSIDER), task_id));
		assert!(Tasks::<Test>::get(task_id).is_none());
		// All five verifiers were silent.
		for verifier in VERIFIERS {
			assert_eq!(provider_bond(verifier), VERIFIER_BOND - VERIFIER_SLASH);
		}
	});
}

#[test]
fn without_verifiers_the_draw_waits_and_the_window_refunds() {
	new_test_ext().execute_with(|| {
		register(SOLVER, roles(true, false), cpu(), MIN_SOLVER_BOND * 3);
		register(VERIFIERS[0], roles(false, true), cpu(), VERIFIER_BOND);
		let task_id = submit(&Run::honest());
		advance(DRAW_DELAY);
		assert!(matches!(Verifications::<Test>::get(task_id).unwrap().phase, Phase::Draw { .. }));
		assert!(System::events().iter().any(|record| matches!(
			record.event,
			RuntimeEvent::Verification(Event::DrawPostponed { .. })
		)));
		advance(VERIFICATION_WINDOW);
		let submitter_before = Balances::balance(&SUBMITTER);
		assert_ok!(TaskMarket::expire_task(RuntimeOrigin::signed(OUTSIDER), task_id));
		assert!(Verifications::<Test>::get(task_id).is_none());
		assert_eq!(Balances::balance(&SUBMITTER), submitter_before + REWARD + TASK_DEPOSIT);
		assert_eq!(Providers::<Test>::get(SOLVER).unwrap().slash_count, 0);
		advance(10);
		check_invariants();
	});
}

#[test]
fn a_running_round_holds_the_verification_window() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		// Past the window the task was given at submission, the drawn round still holds it.
		System::set_block_number(1 + VERIFICATION_WINDOW + 1);
		assert_noop!(
			TaskMarket::expire_task(RuntimeOrigin::signed(SOLVER), task_id),
			pallet_tasks::Error::<Test>::TaskNotExpired
		);
		assert!(Verifications::<Test>::get(task_id).is_some());
	});
}

#[test]
fn committed_weights_registered_first_by_a_squatter_end_with_the_submitter() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let weights = run.committed[FINAL as usize];
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(OUTSIDER),
			weights,
			b"mine".to_vec(),
			mlp(),
			None,
			None,
			vec![],
			vec![],
		));
		let squatter_free = Balances::balance(&OUTSIDER);
		play_round(task_id, |_, targets| run.findings(targets));
		assert_eq!(concluded(task_id), Outcome::Accepted);
		let model = Models::<Test>::get(ModelByHash::<Test>::get(weights).unwrap()).unwrap();
		assert_eq!(model.owner, SUBMITTER);
		assert_eq!(model.provenance, Provenance::Trained { task: task_id });
		assert_eq!(model.name.to_vec(), b"digits-mlp".to_vec());
		assert!(Balances::balance(&OUTSIDER) > squatter_free);
		assert_eq!(
			Balances::balance_on_hold(
				&pallet_model_registry::HoldReason::ModelDeposit.into(),
				&OUTSIDER
			),
			0
		);
	});
}

#[test]
fn commit_rejects_wrong_calls_and_changes_nothing() {
	test(|| {
		let run = Run::honest();
		let task_id = submit(&run);
		assert_noop!(
			Verification::commit(RuntimeOrigin::signed(VERIFIERS[0]), task_id, [1; 32]),
			Error::<Test>::NotCommitPhase
		);
		assert_noop!(
			Verification::commit(RuntimeOrigin::signed(VERIFIERS[0]), 77, [1; 32]),
			Error::<Test>::UnknownVerification
		);
		advance(DRAW_DELAY);
		let round = assignments(task_id);
		let outsider =
			VERIFIERS.iter().copied().find(|v| round.iter().all(|(w, _)| w != v)).unwrap();
		assert_noop!(
			Verification::commit(RuntimeOrigin::signed(outsider), task_id, [1; 32]),
			Error::<Test>::NotAssigned
		);
		let (verifier, targets) = &round[0];
		assert_ok!(commit(task_id, *verifier, &run.findings(targets)));
		assert_noop!(
			commit(task_id, *verifier, &run.findings(targets)),
			Error::<Test>::AlreadyCommitted
		);
		// A verifier whose bond was slashed below the minimum meanwhile.
		let (other, other_targets) = &round[1];
		assert_ok!(ComputeStaking::slash(other, VERIFIER_BOND - MIN_VERIFIER_BOND + 1, &OUTSIDER));
		assert_noop!(
			commit(task_id, *other, &run.findings(other_targets)),
			Error::<Test>::VerifierNotBonded
		);
	});
}

#[test]
fn reveal_rejects_wrong_calls_and_changes_nothing() {
	test(|| {
		let run = Run::honest();
		let mut three = spec();
		three.verification.verifiers = 3;
		let task_id = drawn_spec(&run, three);
		let round = assignments(task_id);
		let (verifier, targets) = round[0].clone();
		let findings = run.findings(&targets);
		assert_ok!(commit(task_id, verifier, &findings));
		assert_ok!(commit(task_id, round[2].0, &run.findings(&round[2].1)));
		assert_noop!(reveal(task_id, verifier, findings.clone()), Error::<Test>::NotRevealPhase);
		finish_phase(task_id);
		// The other verifier did not commit in time.
		assert_noop!(
			reveal(task_id, round[1].0, run.findings(&round[1].1)),
			Error::<Test>::NotCommitted
		);
		assert_noop!(reveal(task_id, OUTSIDER, findings.clone()), Error::<Test>::NotAssigned);
		assert_noop!(
			reveal(task_id, verifier, findings[1..].to_vec()),
			Error::<Test>::WrongFindingCount
		);
		// Other findings than committed, or another salt.
		let mut other = findings.clone();
		other[0].computed = Computed::Hash([3; 32]);
		assert_noop!(reveal(task_id, verifier, other), Error::<Test>::CommitmentMismatch);
		assert_noop!(
			Verification::reveal(
				RuntimeOrigin::signed(verifier),
				task_id,
				BoundedVec::truncate_from(findings.clone()),
				[0; 32]
			),
			Error::<Test>::CommitmentMismatch
		);
		// A proof for the wrong leaf, one with a wrong path length, and none at all.
		let first_leaf = targets.iter().position(|t| *t < FINAL).unwrap();
		let mut wrong_leaf = findings.clone();
		wrong_leaf[first_leaf].leaf = Some(run.proof(targets[first_leaf] + 1));
		assert_noop!(reveal(task_id, verifier, wrong_leaf), Error::<Test>::InvalidProof);
		let mut short = findings.clone();
		let (leaf, mut siblings) = run.proof(targets[first_leaf]);
		siblings.pop();
		short[first_leaf].leaf = Some((leaf, siblings));
		assert_noop!(reveal(task_id, verifier, short), Error::<Test>::InvalidProof);
		let mut missing = findings.clone();
		missing[first_leaf].leaf = None;
		assert_noop!(reveal(task_id, verifier, missing), Error::<Test>::ProofRequired);
		assert_ok!(reveal(task_id, verifier, findings.clone()));
		assert_noop!(reveal(task_id, verifier, findings), Error::<Test>::AlreadyRevealed);
	});
}

#[test]
fn post_leaves_needs_an_availability_challenge() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let leaf = run.proof(1);
		assert_noop!(
			Verification::post_leaves(
				RuntimeOrigin::signed(SOLVER),
				task_id,
				BoundedVec::truncate_from(vec![(1, leaf.0, leaf.1)])
			),
			Error::<Test>::NoAvailabilityChallenge
		);
	});
}

#[test]
fn set_params_is_root_only_and_refuses_bad_parameters() {
	test(|| {
		let mut params = verification_params();
		params.commit_window = 9;
		assert_noop!(
			Verification::set_params(RuntimeOrigin::signed(SUBMITTER), params),
			DispatchError::BadOrigin
		);
		for bad in [
			crate::VerificationParams { reveal_window: 0, ..params },
			crate::VerificationParams { recheck_verifiers: 0, ..params },
			crate::VerificationParams {
				recheck_verifiers: crate::MAX_RECHECK_VERIFIERS + 1,
				..params
			},
			crate::VerificationParams {
				max_recheck_rounds: crate::MAX_RECHECK_ROUNDS + 1,
				..params
			},
		] {
			assert_noop!(
				Verification::set_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
		}
		assert_ok!(Verification::set_params(RuntimeOrigin::root(), params));
		assert_eq!(Params::<Test>::get(), params);
	});
}

#[test]
fn try_state_detects_a_phase_missing_from_the_agenda() {
	new_test_ext().execute_with(|| {
		register_providers();
		let task_id = drawn(&Run::honest());
		check_invariants();
		let end = Verifications::<Test>::get(task_id).unwrap().phase.ends_at();
		Agenda::<Test>::remove(end);
		assert!(Verification::do_try_state().is_err());
	});
}

#[test]
fn a_verifier_with_checks_open_cannot_leave_its_role() {
	test(|| {
		let task_id = drawn(&Run::honest());
		let (verifier, _) = assignments(task_id)[0].clone();
		assert_noop!(
			ComputeStaking::update_profile(
				RuntimeOrigin::signed(verifier),
				roles(true, false),
				cpu()
			),
			pallet_compute_staking::Error::<Test>::RoleNeededByOpenTasks
		);
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(verifier), VERIFIER_BOND),
			pallet_compute_staking::Error::<Test>::BondNeededByOpenTasks
		);
		assert_eq!(ComputeStaking::open_tasks(&verifier, cairn_primitives::Role::Verifier), 1);
	});
}

/// A seeded random number generator for the randomized test.
struct Lcg(u64);

impl Lcg {
	fn below(&mut self, bound: u64) -> u64 {
		self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
		(self.0 >> 33) % bound.max(1)
	}
}

/// Verifications in `phase`-like state: ids of tasks whose verification matches.
fn verifying(matches: impl Fn(&Phase<u64>) -> bool) -> Vec<u64> {
	Verifications::<Test>::iter()
		.filter(|(_, v)| matches(&v.phase))
		.map(|(id, _)| id)
		.collect()
}

#[test]
fn randomized_calls_conserve_funds_and_reach_every_outcome() {
	new_test_ext().execute_with(|| {
		// Bonds deep enough for every slash of the run, so that the pool never runs dry.
		register(SOLVER, roles(true, false), cpu(), MIN_SOLVER_BOND * 20);
		for verifier in VERIFIERS {
			register(verifier, roles(false, true), cpu(), VERIFIER_BOND * 20);
		}
		// A whistleblower watches every round; half the checks carry a forced error, and the
		// pot is taxed and pays jackpots.
		let whistleblower = Roles { solver: false, verifier: false, whistleblower: true };
		register(OUTSIDER, whistleblower, cpu(), VERIFIER_BOND * 20);
		let mut params = verification_params();
		params.challenge_window = WINDOW;
		params.forced_error_rate = Perbill::from_percent(50);
		params.jackpot_tax = Perbill::from_percent(5);
		assert_ok!(Verification::set_params(RuntimeOrigin::root(), params));
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(SUBMITTER),
			Verification::pot(),
			ENDOWMENT / 10
		));
		let issuance = Balances::total_issuance();
		let mut rng = Lcg(7);
		// Every secret committed, by commitment; verifiers replace revealed ones as they go.
		let mut secrets: std::collections::BTreeMap<Hash256, Hash256> =
			VERIFIERS.iter().map(|v| (secret_commitment(&secret(*v)), secret(*v))).collect();
		let mut runs: std::collections::BTreeMap<u64, Run> = Default::default();
		let mut committed: std::collections::BTreeMap<(u64, u8, u64), Vec<Finding>> =
			Default::default();
		let mut successes: std::collections::BTreeMap<&str, u32> = Default::default();
		let mut count = |kind: &'static str, result: frame_support::dispatch::DispatchResult| {
			if result.is_ok() {
				*successes.entry(kind).or_default() += 1;
			}
		};
		let pick =
			|rng: &mut Lcg, ids: &[u64]| ids.get(rng.below(ids.len() as u64) as usize).copied();
		for _ in 0..8_000 {
			let tasks_in = |wanted: fn(&TaskStatus<u64, Balance, u64>) -> bool| -> Vec<u64> {
				Tasks::<Test>::iter()
					.filter(|(_, t)| wanted(&t.status))
					.map(|(id, _)| id)
					.collect()
			};
			match rng.below(18) {
				0 => {
					if Tasks::<Test>::iter().count() < 4 {
						count(
							"create",
							TaskMarket::create_task(
								RuntimeOrigin::signed(SUBMITTER),
								spec(),
								REWARD,
							),
						);
					}
				},
				1 => {
					if let Some(task_id) =
						pick(&mut rng, &tasks_in(|s| matches!(s, TaskStatus::Open { .. })))
					{
						count(
							"claim",
							TaskMarket::claim_task(RuntimeOrigin::signed(SOLVER), task_id),
						);
					}
				},
				2 => {
					if let Some(task_id) =
						pick(&mut rng, &tasks_in(|s| matches!(s, TaskStatus::Claimed { .. })))
					{
						let run = if rng.below(2) == 0 {
							Run::honest()
						} else {
							Run::faked_from(1 + rng.below(9) as u32)
						};
						let result = TaskMarket::submit_result(
							RuntimeOrigin::signed(SOLVER),
							task_id,
							run.commitment(),
						);
						if result.is_ok() {
							runs.insert(task_id, run);
						}
						count("submit", result);
					}
				},
				3..=5 => {
					if let Some(task_id) =
						pick(&mut rng, &verifying(|p| matches!(p, Phase::Commit { .. })))
					{
						let run = runs[&task_id].clone();
						let round = Verifications::<Test>::get(task_id).unwrap().round;
						let checks = assignments(task_id);
						let (verifier, targets) =
							checks[rng.below(checks.len() as u64) as usize].clone();
						let findings = match rng.below(8) {
							0 => unavailable(&targets),
							1 => run
								.findings(&targets)
								.into_iter()
								.zip(&targets)
								.map(|(mut finding, target)| {
									finding.computed = computed(*target, [9; 32]);
									finding
								})
								.collect(),
							_ => run.findings(&targets),
						};
						let result = commit(task_id, verifier, &findings);
						if result.is_ok() {
							committed.insert((task_id, round, verifier), findings);
						}
						count("commit", result);
					}
				},
				6..=8 => {
					if let Some(task_id) =
						pick(&mut rng, &verifying(|p| matches!(p, Phase::Reveal { .. })))
					{
						let round = Verifications::<Test>::get(task_id).unwrap().round;
						let checks = assignments(task_id);
						let (verifier, _) = checks[rng.below(checks.len() as u64) as usize];
						if let Some(findings) = committed.get(&(task_id, round, verifier)) {
							count("reveal", reveal(task_id, verifier, findings.clone()));
						}
					}
				},
				9 => {
					if let Some(task_id) =
						pick(&mut rng, &verifying(|p| matches!(p, Phase::Availability { .. })))
					{
						if rng.below(3) != 0 {
							let leaves = challenged_leaves(task_id, &runs[&task_id]);
							count(
								"post",
								Verification::post_leaves(
									RuntimeOrigin::signed(SOLVER),
									task_id,
									BoundedVec::truncate_from(leaves),
								),
							);
						}
					}
				},
				10 => {
					if let Some(task_id) =
						pick(&mut rng, &Tasks::<Test>::iter_keys().collect::<Vec<_>>())
					{
						count(
							"expire",
							TaskMarket::expire_task(RuntimeOrigin::signed(OUTSIDER), task_id),
						);
					}
				},
				12 | 13 | 15 => {
					if let Some(task_id) =
						pick(&mut rng, &verifying(|p| matches!(p, Phase::Dispute { .. })))
					{
						let dispute = Verifications::<Test>::get(task_id).unwrap().dispute.unwrap();
						let run = &runs[&task_id];
						match dispute.to_move() {
							Some(crate::Party::Defender) if rng.below(3) == 0 => {
								let verification = Verifications::<Test>::get(task_id).unwrap();
								let check = &verification.checks[dispute.check as usize];
								let secret = check.secret.map_or([0; 32], |c| secrets[&c]);
								count(
									"reveal secret",
									Verification::reveal_secret(
										RuntimeOrigin::signed(dispute.defender),
										task_id,
										secret,
									),
								)
							},
							Some(crate::Party::Defender) => {
								let value = match dispute.stage {
									crate::DisputeStage::Steps { lo, hi, .. } => {
										run.claimed_state(lo + (hi - lo) / 2)
									},
									crate::DisputeStage::Operations { step, lo, hi, .. } => {
										run.claimed_trace(step, lo + (hi - lo) / 2)
									},
									crate::DisputeStage::Arbitration { .. } => [0; 32],
								};
								count("bisect", bisect_as(dispute.defender, task_id, value));
							},
							Some(crate::Party::Challenger) => count(
								"respond",
								respond_as(dispute.challenger, task_id, rng.below(2) == 0),
							),
							None => {
								let seats = dispute.arbiters.len() as u64;
								if let (crate::DisputeStage::Arbitration { phase, .. }, true) =
									(dispute.stage, seats > 0)
								{
									let arbiter =
										dispute.arbiters[rng.below(seats) as usize].account;
									// Arbiters split by account: some find the solver right.
									let computed = Computed::Hash([(arbiter % 2) as u8; 32]);
									let salt = salt(arbiter);
									if phase == crate::ArbitrationPhase::Commit {
										let disputes =
											Verifications::<Test>::get(task_id).unwrap().disputes;
										let commitment =
											cairn_primitives::verification::arbitration_commitment(
												task_id,
												disputes - 1,
												dispute.attempts - 1,
												&arbiter.encode(),
												&computed,
												&salt,
											);
										count(
											"arbiter commit",
											Verification::commit(
												RuntimeOrigin::signed(arbiter),
												task_id,
												commitment,
											),
										);
									} else {
										count(
											"arbiter reveal",
											Verification::reveal(
												RuntimeOrigin::signed(arbiter),
												task_id,
												BoundedVec::truncate_from(vec![Finding {
													computed,
													leaf: None,
												}]),
												salt,
											),
										);
									}
								}
							},
						}
					}
				},
				14 => {
					if let Some(task_id) =
						pick(&mut rng, &verifying(|p| matches!(p, Phase::Dispute { .. })))
					{
						if rng.below(4) == 0 {
							let dispute =
								Verifications::<Test>::get(task_id).unwrap().dispute.unwrap();
							let party = if rng.below(2) == 0 { SOLVER } else { dispute.challenger };
							count(
								"concede",
								Verification::concede(RuntimeOrigin::signed(party), task_id),
							);
						}
					}
				},
				11 => {
					if let Some(task_id) =
						pick(&mut rng, &verifying(|p| matches!(p, Phase::Challenge { .. })))
					{
						let verification = Verifications::<Test>::get(task_id).unwrap();
						let rate = verification.forced_error_rate.deconstruct();
						// Every witness, and the forced errors once more: a watcher finds those.
						let witnessed: Vec<(u64, u32)> = verification
							.checks
							.iter()
							.filter(|check| check.round == verification.round)
							.flat_map(|check| {
								let count = check.witnesses.len() as u32;
								let forced = cairn_primitives::verification::forced_error(
									&secrets[&check.secret.expect("drawn with a secret")],
									task_id,
									check.round,
									rate,
									count,
								);
								let forced =
									forced.map(|position| check.witnesses[position as usize]);
								check
									.witnesses
									.iter()
									.chain(forced.iter())
									.map(|(target, _)| (check.verifier, *target))
									.collect::<Vec<_>>()
							})
							.collect();
						// Rarely: every challenge is a dispute to play out.
						if !witnessed.is_empty() && rng.below(4) == 0 {
							let (verifier, target) =
								witnessed[rng.below(witnessed.len() as u64) as usize];
							count(
								"challenge",
								Verification::challenge(
									RuntimeOrigin::signed(OUTSIDER),
									task_id,
									verifier,
									target,
									if rng.below(3) == 0 {
										crate::DisputeSubject::Verdict
									} else {
										crate::DisputeSubject::Witness
									},
								),
							);
						}
					}
				},
				16 => {
					let verifier = VERIFIERS[rng.below(VERIFIERS.len() as u64) as usize];
					let fresh = blake2_256(&(verifier, rng.below(u64::MAX)).encode());
					let result = Verification::commit_secret(
						RuntimeOrigin::signed(verifier),
						secret_commitment(&fresh),
					);
					if result.is_ok() {
						secrets.insert(secret_commitment(&fresh), fresh);
					}
					count("commit secret", result);
				},
				_ => advance(1 + rng.below(2)),
			}
			check_invariants();
			assert_eq!(Balances::total_issuance(), issuance);
		}
		let mut outcomes = [0u32; 3];
		for record in System::events() {
			if let RuntimeEvent::Verification(Event::VerificationConcluded { outcome, .. }) =
				record.event
			{
				outcomes[match outcome {
					Outcome::Accepted => 0,
					Outcome::Rejected { .. } => 1,
					Outcome::Inconclusive => 2,
				}] += 1;
			}
		}
		println!("successes {successes:?}; accepted, rejected, inconclusive: {outcomes:?}");
		for kind in [
			"create",
			"claim",
			"submit",
			"commit",
			"reveal",
			"post",
			"expire",
			"bisect",
			"respond",
			"concede",
			"arbiter commit",
			"arbiter reveal",
			"challenge",
			"reveal secret",
			"commit secret",
		] {
			assert!(successes.get(kind).copied().unwrap_or(0) >= 5, "{kind}: {successes:?}");
		}
		assert!(outcomes.iter().all(|count| *count >= 2), "{outcomes:?}");
	});
}

#[test]
fn unavailable_verdicts_cannot_refute_a_solver_that_posted_its_leaves() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		play_round(task_id, |_, targets| unavailable(targets));
		let challenged = challenged_leaves(task_id, &run);
		assert_ok!(Verification::post_leaves(
			RuntimeOrigin::signed(SOLVER),
			task_id,
			BoundedVec::truncate_from(challenged)
		));
		finish_phase(task_id);
		// Two of three recheckers say they cannot fetch anything; one computes.
		let honest = assignments(task_id)[0].0;
		let free = |who: u64| Balances::balance(&who);
		let lazy: Vec<(u64, Balance)> =
			assignments(task_id).iter().skip(1).map(|(who, _)| (*who, free(*who))).collect();
		play_round(task_id, |who, targets| {
			if who == honest {
				run.findings(targets)
			} else {
				unavailable(targets)
			}
		});
		assert_eq!(concluded(task_id), Outcome::Accepted);
		// Nobody is paid for saying "unavailable" about a run that was served on demand.
		for (who, before) in lazy {
			assert_eq!(free(who), before);
		}
	});
}

#[test]
fn a_full_agenda_fails_no_call_and_the_phase_runs_to_its_deadline() {
	test(|| {
		let run = Run::honest();
		let task_id = drawn(&run);
		let commit_end = Verifications::<Test>::get(task_id).unwrap().phase.ends_at();
		// Every slot in reach of the early reveal phase is taken.
		let from = System::block_number() + WINDOW;
		for block in from..from + 8 {
			Agenda::<Test>::mutate(block, |due| while due.try_push(900).is_ok() {});
		}
		let round = assignments(task_id);
		for (verifier, targets) in &round {
			assert_ok!(commit(task_id, *verifier, &run.findings(targets)));
		}
		// No room for an early reveal phase: the commit phase runs to its deadline instead.
		assert_eq!(
			Verifications::<Test>::get(task_id).unwrap().phase,
			Phase::Commit { until: commit_end }
		);
		for block in from..from + 8 {
			Agenda::<Test>::mutate(block, |due| due.retain(|id| *id != 900));
		}
		finish_phase(task_id);
		assert!(matches!(Verifications::<Test>::get(task_id).unwrap().phase, Phase::Reveal { .. }));
		for (verifier, targets) in &round {
			assert_ok!(reveal(task_id, *verifier, run.findings(targets)));
		}
		finish_phase(task_id);
		assert_eq!(concluded(task_id), Outcome::Accepted);
	});
}

/// `who` posts `value` at the midpoint of the running dispute's current round.
fn bisect_as(who: u64, task_id: u64, value: Hash256) -> frame_support::dispatch::DispatchResult {
	Verification::bisect(RuntimeOrigin::signed(who), task_id, dispute_rounds(task_id), value)
}

/// `who` answers the midpoint of the running dispute's current round.
fn respond_as(who: u64, task_id: u64, agree: bool) -> frame_support::dispatch::DispatchResult {
	Verification::respond(RuntimeOrigin::signed(who), task_id, dispute_rounds(task_id), agree)
}

/// Answered rounds of the running dispute of `task_id` (0 when none runs): what a move names.
fn dispute_rounds(task_id: u64) -> u16 {
	Verifications::<Test>::get(task_id)
		.and_then(|verification| verification.dispute)
		.map_or(0, |dispute| dispute.rounds)
}

mod dispute;
mod whistleblowing;
