//! Unit tests of the task market on the mock runtime, and a randomized funds-conservation test.

use crate::{
	mock::*, Error, Event, HoldReason, NextTaskId, Params, TaskParams, TaskSettlement, TaskStatus,
	Tasks,
};
use cairn_primitives::{
	merkle::{blake2_256, checkpoint_proof, checkpoint_root, CheckpointProof},
	Architecture, Backend, BoundedVec, HardwareProfile, IsaClass, ModelInit, Optimizer,
	ResultCommitment, Role, Roles, TaskSpec,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use pallet_compute_staking::Providers;
use pallet_model_registry::{Models, Provenance};
use sp_runtime::{BuildStorage, DispatchError};

const REWARD: Balance = 10_000;

fn escrow(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::TaskEscrow.into(), &who)
}

fn bond(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::SolverBond.into(), &who)
}

fn solver_roles() -> Roles {
	Roles { solver: true, verifier: false, whistleblower: false }
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

fn register_solver(who: u64) {
	assert_ok!(ComputeStaking::register_provider(
		RuntimeOrigin::signed(who),
		solver_roles(),
		cpu(),
		MIN_SOLVER_BOND,
	));
}

fn create(who: u64, spec: TaskSpec, reward: Balance) -> frame_support::dispatch::DispatchResult {
	TaskMarket::create_task(RuntimeOrigin::signed(who), spec, reward)
}

/// `owner` registers MLP weights hashing to `hash`, with no lineage.
fn register_mlp(owner: u64, hash: [u8; 32]) {
	assert_ok!(ModelRegistry::register_model(
		RuntimeOrigin::signed(owner),
		hash,
		b"mlp".to_vec(),
		mlp(),
		None,
		None,
		vec![],
		vec![],
	));
}

/// Charlie, a bystander, expires `task_id`.
fn expire(task_id: u64) -> frame_support::dispatch::DispatchResult {
	TaskMarket::expire_task(RuntimeOrigin::signed(CHARLIE), task_id)
}

fn commitment(checkpoints: u32) -> ResultCommitment {
	ResultCommitment {
		final_weights_hash: [5; 32],
		checkpoint_root: [6; 32],
		checkpoint_count: checkpoints,
		artifacts_uri: BoundedVec::truncate_from(b"http://127.0.0.1:8000/artifacts".to_vec()),
	}
}

/// Alice posts the default task, Bob claims it and commits.
fn submitted_task() -> u64 {
	register_solver(BOB);
	assert_ok!(create(ALICE, spec(), REWARD));
	assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
	assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(BOB), 0, commitment(11)));
	0
}

fn check_invariants() {
	TaskMarket::do_try_state().expect("task invariants");
	ComputeStaking::do_try_state().expect("staking invariants");
	ModelRegistry::do_try_state().expect("registry invariants");
}

/// Runs a test, then checks every pallet's invariants and that no funds were minted or burned.
fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		body();
		check_invariants();
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn create_task_holds_reward_and_deposit() {
	test(|| {
		assert_ok!(create(ALICE, spec(), REWARD));
		let task = Tasks::<Test>::get(0).expect("created");
		assert_eq!(task.submitter, ALICE);
		assert_eq!(task.reward, REWARD);
		assert_eq!(task.deposit, TASK_DEPOSIT);
		assert_eq!(task.status, TaskStatus::Open { until: 1 + CLAIM_WINDOW });
		let flops = 6 * u128::from(mlp().parameter_count()) * 32 * 100;
		assert_eq!(task.flops, flops);
		assert_eq!(escrow(ALICE), REWARD + TASK_DEPOSIT);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - REWARD - TASK_DEPOSIT);
		System::assert_last_event(
			Event::TaskCreated {
				task_id: 0,
				submitter: ALICE,
				reward: REWARD,
				flops,
				open_until: 1 + CLAIM_WINDOW,
			}
			.into(),
		);
	});
}

#[test]
fn create_task_rejects_bad_rewards() {
	test(|| {
		assert_noop!(create(ALICE, spec(), 0), Error::<Test>::RewardTooLow);
		assert_noop!(create(ALICE, spec(), MIN_REWARD - 1), Error::<Test>::RewardTooLow);
		// Two hidden layers of 512 (301,066 parameters), batch 512, 1,000 steps: 924.9 GFLOP.
		let mut big = spec();
		big.model = ModelInit::Fresh {
			architecture: Architecture::Mlp(cairn_primitives::Mlp {
				input: 64,
				hidden: BoundedVec::truncate_from(vec![512, 512]),
				output: 10,
				activation: cairn_primitives::Activation::Gelu,
			}),
			init_seed: 1,
		};
		big.training.batch_size = 512;
		big.training.steps = 1_000;
		assert_noop!(create(ALICE, big.clone(), 924), Error::<Test>::RewardBelowPriceFloor);
		assert_ok!(create(ALICE, big, 925));
		assert_noop!(create(DAVE, spec(), MIN_REWARD), Error::<Test>::InsufficientBalance);
	});
}

#[test]
fn create_task_rejects_specs_over_bounds_each_with_its_own_error() {
	test(|| {
		let cases: Vec<(fn(&mut TaskSpec), Error<Test>)> = vec![
			(|s| s.name = BoundedVec::new(), Error::<Test>::EmptyModelName),
			(|s| s.training.steps = 105, Error::<Test>::InvalidTrainingConfig),
			(|s| s.training.batch_size = 0, Error::<Test>::InvalidTrainingConfig),
			(
				|s| {
					s.training.steps = 4_000;
					s.training.checkpoint_interval = 2;
				},
				Error::<Test>::TooManyCheckpoints,
			),
			(
				|s| {
					s.training.steps = 20;
					s.training.checkpoint_interval = 1;
				},
				Error::<Test>::SegmentWithoutWitness,
			),
			(|s| s.verification.verifiers = 0, Error::<Test>::InvalidVerificationPolicy),
			(
				|s| s.verification.segments_per_verifier = 200,
				Error::<Test>::InvalidVerificationPolicy,
			),
			(|s| s.dataset.size = 0, Error::<Test>::EmptyDataset),
			(
				|s| {
					s.training.optimizer =
						Optimizer::Sgd { learning_rate_bits: f32::NAN.to_bits(), momentum_bits: 0 }
				},
				Error::<Test>::InvalidOptimizer,
			),
			(
				|s| {
					s.model = ModelInit::Fresh {
						architecture: Architecture::External {
							family: BoundedVec::truncate_from(b"llama".to_vec()),
							parameters: 7,
						},
						init_seed: 0,
					}
				},
				Error::<Test>::InvalidArchitecture,
			),
			(|s| s.model = ModelInit::FromRegistry { model: 99 }, Error::<Test>::UnknownModel),
		];
		for (mutate, error) in cases {
			let mut bad = spec();
			mutate(&mut bad);
			assert_noop!(create(ALICE, bad, REWARD), error);
		}
	});
}

#[test]
fn continuing_a_registered_model_needs_a_trainable_architecture() {
	test(|| {
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(CHARLIE),
			[1; 32],
			b"llama".to_vec(),
			Architecture::External {
				family: BoundedVec::truncate_from(b"llama".to_vec()),
				parameters: 7
			},
			None,
			None,
			vec![],
			vec![],
		));
		register_mlp(CHARLIE, [2; 32]);
		let mut external = spec();
		external.model = ModelInit::FromRegistry { model: 0 };
		assert_noop!(create(ALICE, external, REWARD), Error::<Test>::ModelNotTrainable);
		let mut continued = spec();
		continued.model = ModelInit::FromRegistry { model: 1 };
		assert_ok!(create(ALICE, continued, REWARD));
		// The task records the parent's trace length, which a continuation's spec cannot carry.
		let continued_id = NextTaskId::<Test>::get() - 1;
		let parent_trace = cairn_primitives::task::step_trace_len(&mlp());
		assert!(parent_trace.is_some());
		assert_eq!(Tasks::<Test>::get(continued_id).unwrap().trace_len, parent_trace);
		// A registered MLP wider than training stays exact for is not continued either.
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(CHARLIE),
			[3; 32],
			b"wide".to_vec(),
			Architecture::Mlp(cairn_primitives::Mlp {
				input: 64,
				hidden: BoundedVec::truncate_from(vec![
					cairn_primitives::task::MAX_EXACT_DIMENSION + 1
				]),
				output: 10,
				activation: cairn_primitives::Activation::Relu,
			}),
			None,
			None,
			vec![],
			vec![],
		));
		let mut wide = spec();
		wide.model = ModelInit::FromRegistry { model: 2 };
		assert_noop!(create(ALICE, wide, REWARD), Error::<Test>::ModelNotTrainable);
		// A registered transformer of context 64 is continued in batches of at most 8
		// sequences (512 tokens), which a continuation's spec alone cannot tell.
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(CHARLIE),
			[4; 32],
			b"bytes".to_vec(),
			Architecture::Transformer(cairn_primitives::Transformer {
				vocab: 256,
				context: 64,
				width: 32,
				heads: 2,
				blocks: 1,
				feed_forward: 64,
				activation: cairn_primitives::Activation::Gelu,
			}),
			None,
			None,
			vec![],
			vec![],
		));
		let mut language = spec();
		language.model = ModelInit::FromRegistry { model: 3 };
		language.training.batch_size = 9;
		assert_noop!(create(ALICE, language.clone(), REWARD), Error::<Test>::InvalidTrainingConfig);
		language.training.batch_size = 8;
		assert_ok!(create(ALICE, language, REWARD));
		assert_eq!(Tasks::<Test>::get(NextTaskId::<Test>::get() - 1).unwrap().trace_len, Some(52));
	});
}

#[test]
fn cancel_refunds_only_unclaimed_tasks_of_the_submitter() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_noop!(
			TaskMarket::cancel_task(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotSubmitter
		);
		assert_noop!(
			TaskMarket::cancel_task(RuntimeOrigin::signed(ALICE), 7),
			Error::<Test>::UnknownTask
		);
		assert_ok!(TaskMarket::cancel_task(RuntimeOrigin::signed(ALICE), 0));
		assert!(Tasks::<Test>::get(0).is_none());
		System::assert_last_event(Event::TaskCancelled { task_id: 0 }.into());
		assert_eq!(escrow(ALICE), REWARD + TASK_DEPOSIT);
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 1));
		assert_noop!(
			TaskMarket::cancel_task(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::TaskNotOpen
		);
	});
}

#[test]
fn claim_holds_the_solver_bond_and_opens_a_task_in_staking() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		let expected_bond = BOND_RATIO * REWARD;
		assert_eq!(bond(BOB), expected_bond);
		assert_eq!(
			Tasks::<Test>::get(0).unwrap().status,
			TaskStatus::Claimed { solver: BOB, bond: expected_bond, deadline: 1 + TRAINING_WINDOW }
		);
		assert_eq!(Providers::<Test>::get(BOB).unwrap().open_tasks.solver, 1);
		System::assert_last_event(
			Event::TaskClaimed {
				task_id: 0,
				solver: BOB,
				bond: expected_bond,
				deadline: 1 + TRAINING_WINDOW,
			}
			.into(),
		);
		// The open task pins Bob's staking bond.
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(BOB), MIN_SOLVER_BOND),
			pallet_compute_staking::Error::<Test>::BondNeededByOpenTasks
		);
	});
}

#[test]
fn claim_rejects_wrong_calls() {
	test(|| {
		assert_ok!(create(ALICE, spec(), REWARD));
		let claim = |who| TaskMarket::claim_task(RuntimeOrigin::signed(who), 0);
		assert_noop!(claim(BOB), Error::<Test>::NotEligibleSolver);
		// A verifier is not a solver.
		assert_ok!(ComputeStaking::register_provider(
			RuntimeOrigin::signed(CHARLIE),
			Roles { solver: false, verifier: true, whistleblower: false },
			cpu(),
			MIN_SOLVER_BOND,
		));
		assert_noop!(claim(CHARLIE), Error::<Test>::NotEligibleSolver);
		register_solver(ALICE);
		assert_noop!(claim(ALICE), Error::<Test>::SubmitterCannotSolve);
		assert_noop!(
			TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 3),
			Error::<Test>::UnknownTask
		);
		register_solver(BOB);
		assert_ok!(claim(BOB));
		assert_noop!(claim(BOB), Error::<Test>::TaskNotOpen);
		assert_ok!(create(ALICE, spec(), REWARD));
		System::set_block_number(2 + CLAIM_WINDOW);
		assert_noop!(
			TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 1),
			Error::<Test>::ClaimWindowClosed
		);
	});
}

#[test]
fn an_under_bonded_solver_cannot_claim() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		// Root raises the minimum solver bond above Bob's bond.
		let mut params = staking_params();
		params.min_solver_bond = MIN_SOLVER_BOND + 1;
		assert_ok!(ComputeStaking::set_params(RuntimeOrigin::root(), params));
		assert_noop!(
			TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotEligibleSolver
		);
		assert_ok!(ComputeStaking::bond_more(RuntimeOrigin::signed(BOB), 1));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
	});
}

#[test]
fn claim_needs_free_balance_for_the_bond() {
	test(|| {
		register_solver(BOB);
		let free = Balances::balance(&BOB);
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(BOB), CHARLIE, free - 10));
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_noop!(
			TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn submit_result_checks_solver_deadline_and_checkpoints() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		let submit = |who, c| TaskMarket::submit_result(RuntimeOrigin::signed(who), 0, c);
		assert_noop!(submit(BOB, commitment(11)), Error::<Test>::TaskNotClaimed);
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		assert_noop!(submit(CHARLIE, commitment(11)), Error::<Test>::NotSolver);
		assert_noop!(submit(BOB, commitment(10)), Error::<Test>::CheckpointCountMismatch);
		System::set_block_number(2 + TRAINING_WINDOW);
		assert_noop!(submit(BOB, commitment(11)), Error::<Test>::DeadlinePassed);
		System::set_block_number(1 + TRAINING_WINDOW);
		assert_ok!(submit(BOB, commitment(11)));
		System::assert_last_event(
			Event::ResultSubmitted { task_id: 0, solver: BOB, commitment: commitment(11) }.into(),
		);
		assert_noop!(submit(BOB, commitment(11)), Error::<Test>::TaskNotClaimed);
		// Nothing is paid before verification.
		assert_eq!(Balances::balance(&BOB), ENDOWMENT - MIN_SOLVER_BOND - BOND_RATIO * REWARD);
		assert_eq!(escrow(ALICE), REWARD + TASK_DEPOSIT);
	});
}

#[test]
fn expiry_refunds_unclaimed_tasks_and_punishes_late_solvers() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_noop!(expire(0), Error::<Test>::TaskNotExpired);
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		assert_noop!(expire(0), Error::<Test>::TaskNotExpired);

		// Bob misses his deadline: his bond goes to Alice and the task reopens once.
		System::set_block_number(2 + TRAINING_WINDOW);
		let alice_before = Balances::balance(&ALICE);
		assert_ok!(expire(0));
		let slashed = BOND_RATIO * REWARD;
		assert_eq!(Balances::balance(&ALICE), alice_before + slashed);
		assert_eq!(bond(BOB), 0);
		assert_eq!(Providers::<Test>::get(BOB).unwrap().open_tasks.solver, 0);
		let reopened_until = 2 + TRAINING_WINDOW + CLAIM_WINDOW;
		System::assert_has_event(
			Event::SolverMissedDeadline { task_id: 0, solver: BOB, slashed }.into(),
		);
		System::assert_last_event(
			Event::TaskReopened { task_id: 0, open_until: reopened_until }.into(),
		);

		// He misses again: the task has used its reopenings and is refunded.
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		System::set_block_number(3 + TRAINING_WINDOW * 2);
		assert_ok!(expire(0));
		System::assert_last_event(Event::TaskRefunded { task_id: 0 }.into());
		assert!(Tasks::<Test>::get(0).is_none());
		assert_eq!(escrow(ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT + 2 * slashed);

		// An unclaimed task is refunded after its claim window.
		assert_ok!(create(ALICE, spec(), REWARD));
		System::set_block_number(200);
		assert_ok!(expire(1));
		assert_eq!(escrow(ALICE), 0);
		assert_noop!(expire(1), Error::<Test>::UnknownTask);
	});
}

#[test]
fn accept_pays_solver_and_fees_and_registers_the_verified_model() {
	test(|| {
		let task = submitted_task();
		let bob_before = Balances::balance(&BOB);
		let fees = [(CHARLIE, 300), (POT, 200)];
		let model_id =
			<TaskMarket as TaskSettlement<_, _, _>>::accept(task, &fees).expect("settles");
		assert_eq!(Balances::balance(&BOB), bob_before + REWARD - 500 + BOND_RATIO * REWARD);
		assert_eq!(Balances::balance(&CHARLIE), ENDOWMENT + 300);
		assert_eq!(bond(BOB), 0);
		let record = Models::<Test>::get(model_id).expect("registered");
		assert_eq!(record.owner, ALICE);
		assert_eq!(record.weights_hash, [5; 32]);
		assert_eq!(record.provenance, Provenance::Trained { task });
		assert_eq!(record.dataset, Some([7; 32]));
		assert_eq!(record.architecture, mlp());
		// The task deposit came back; the registry now holds its own deposit.
		assert_eq!(escrow(ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - REWARD - record.deposit);
		assert!(Tasks::<Test>::get(task).is_none());
		assert_eq!(Providers::<Test>::get(BOB).unwrap().tasks_served, 1);
		System::assert_last_event(
			Event::TaskSettled {
				task_id: task,
				solver: BOB,
				solver_payment: REWARD - 500,
				fees: 500,
				model_id,
			}
			.into(),
		);
	});
}

#[test]
fn weights_squatted_before_settlement_end_with_the_submitter() {
	test(|| {
		let task = submitted_task();
		// Anyone can read the committed hash and register it first.
		register_mlp(CHARLIE, [5; 32]);
		let squatter_deposit = Models::<Test>::get(0).unwrap().deposit;
		let bob_before = Balances::balance(&BOB);
		let model_id = <TaskMarket as TaskSettlement<_, _, _>>::accept(task, &[]).expect("settles");
		assert_eq!(model_id, 0);
		let record = Models::<Test>::get(model_id).unwrap();
		assert_eq!((record.owner, record.provenance), (ALICE, Provenance::Trained { task }));
		assert_eq!(record.name.to_vec(), b"digits-mlp".to_vec());
		assert!(Models::<Test>::get(1).is_none());
		assert_eq!(Balances::balance(&BOB), bob_before + REWARD + BOND_RATIO * REWARD);
		// The squatter got its deposit back; Alice holds the record's deposit.
		assert_eq!(Balances::balance(&CHARLIE), ENDOWMENT);
		assert_eq!(Balances::total_balance_on_hold(&CHARLIE), 0);
		assert_eq!(Balances::total_balance_on_hold(&ALICE), record.deposit);
		assert_ne!(record.deposit, squatter_deposit);
		assert!(Tasks::<Test>::get(task).is_none());
	});
}

#[test]
fn weights_of_an_earlier_verified_task_keep_their_record() {
	test(|| {
		let first = submitted_task();
		assert_ok!(<TaskMarket as TaskSettlement<_, _, _>>::accept(first, &[]));
		assert_ok!(create(CHARLIE, spec(), REWARD));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 1));
		assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(BOB), 1, commitment(11)));
		let model_id = <TaskMarket as TaskSettlement<_, _, _>>::accept(1, &[]).expect("settles");
		let record = Models::<Test>::get(model_id).unwrap();
		assert_eq!((record.owner, record.provenance), (ALICE, Provenance::Trained { task: first }));
	});
}

#[test]
fn a_fee_that_cannot_create_its_account_goes_to_the_solver() {
	test(|| {
		let task = submitted_task();
		let nobody = 77;
		let bob_before = Balances::balance(&BOB);
		let fees = [(nobody, ED - 1), (CHARLIE, ED - 1)];
		assert_ok!(<TaskMarket as TaskSettlement<_, _, _>>::accept(task, &fees));
		assert_eq!(Balances::balance(&nobody), 0);
		assert_eq!(Balances::balance(&CHARLIE), ENDOWMENT + ED - 1);
		assert_eq!(Balances::balance(&BOB), bob_before + REWARD - (ED - 1) + BOND_RATIO * REWARD);
	});
}

#[test]
fn settlement_pays_a_bounded_number_of_payees() {
	test(|| {
		let task = submitted_task();
		let fees: Vec<(u64, Balance)> =
			(0..=crate::MAX_PAYEES as u64).map(|i| (100 + i, 1)).collect();
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::accept(task, &fees),
			Error::<Test>::TooManyPayees
		);
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::reject(task, &fees),
			Error::<Test>::TooManyPayees
		);
	});
}

#[test]
fn one_solver_bond_backs_one_claim_per_minimum() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		assert_noop!(
			TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 1),
			pallet_compute_staking::Error::<Test>::InsufficientCollateral
		);
		assert_ok!(ComputeStaking::bond_more(RuntimeOrigin::signed(BOB), MIN_SOLVER_BOND));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 1));
	});
}

#[test]
fn a_solver_with_a_task_open_cannot_switch_roles_to_unbond() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		let verifier = Roles { solver: false, verifier: true, whistleblower: false };
		assert_noop!(
			ComputeStaking::update_profile(RuntimeOrigin::signed(BOB), verifier, cpu()),
			pallet_compute_staking::Error::<Test>::RoleNeededByOpenTasks
		);
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(BOB), 1),
			pallet_compute_staking::Error::<Test>::BondNeededByOpenTasks
		);
	});
}

#[test]
fn verification_extends_the_window_it_needs() {
	test(|| {
		let task = submitted_task();
		let until = 1 + VERIFICATION_WINDOW + 40;
		assert_ok!(<TaskMarket as TaskSettlement<_, _, _>>::extend_verification(task, until));
		// An earlier block never shortens it.
		assert_ok!(<TaskMarket as TaskSettlement<_, _, _>>::extend_verification(task, 2));
		System::set_block_number(until);
		assert_noop!(expire(task), Error::<Test>::TaskNotExpired);
		System::set_block_number(until + 1);
		assert_ok!(expire(task));
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::extend_verification(task, until),
			Error::<Test>::UnknownTask
		);
	});
}

#[test]
#[should_panic(expected = "task parameters")]
fn genesis_refuses_a_task_deposit_below_the_registry_deposit() {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis");
	let params = TaskParams { task_deposit: 1, ..task_params() };
	crate::GenesisConfig::<Test> { params }
		.assimilate_storage(&mut storage)
		.expect("panics first");
}

#[test]
fn continued_training_records_its_parent() {
	test(|| {
		register_solver(BOB);
		register_mlp(ALICE, [1; 32]);
		let mut continued = spec();
		continued.model = ModelInit::FromRegistry { model: 0 };
		assert_ok!(create(ALICE, continued, REWARD));
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(BOB), 0, commitment(11)));
		let model_id = <TaskMarket as TaskSettlement<_, _, _>>::accept(0, &[]).unwrap();
		assert_eq!(Models::<Test>::get(model_id).unwrap().parent, Some(0));
	});
}

#[test]
fn settlement_rejects_wrong_calls_and_changes_nothing() {
	test(|| {
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::accept(0, &[]),
			Error::<Test>::TaskNotSubmitted
		);
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::reject(0, &[]),
			Error::<Test>::TaskNotSubmitted
		);
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::accept(5, &[]),
			Error::<Test>::UnknownTask
		);
		assert!(<TaskMarket as TaskSettlement<_, _, _>>::submitted(0).is_none());
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(BOB), 0, commitment(11)));
		let submitted = <TaskMarket as TaskSettlement<_, _, _>>::submitted(0).expect("submitted");
		assert_eq!((submitted.submitter, submitted.solver), (ALICE, BOB));
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::accept(0, &[(CHARLIE, REWARD), (POT, 1)]),
			Error::<Test>::FeesExceedReward
		);
		assert_noop!(
			<TaskMarket as TaskSettlement<_, _, _>>::accept(
				0,
				&[(CHARLIE, Balance::MAX), (POT, 2)]
			),
			Error::<Test>::FeesExceedReward
		);
	});
}

#[test]
fn checkpoints_prove_only_against_a_submitted_commitment() {
	test(|| {
		let leaves: Vec<_> = (0..11u8).map(|i| blake2_256(&[i])).collect();
		let proof = |index| checkpoint_proof(&leaves, index).unwrap();
		register_solver(BOB);
		assert_ok!(create(ALICE, spec(), REWARD));
		assert!(!TaskMarket::checkpoint_is_committed(0, &proof(3)), "open task");
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), 0));
		assert!(!TaskMarket::checkpoint_is_committed(0, &proof(3)), "claimed task");
		let committed =
			ResultCommitment { checkpoint_root: checkpoint_root(&leaves), ..commitment(11) };
		assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(BOB), 0, committed));

		for index in 0..11 {
			assert!(TaskMarket::checkpoint_is_committed(0, &proof(index)), "checkpoint {index}");
		}
		let tampered = CheckpointProof { leaf: blake2_256(b"other"), ..proof(4) };
		let moved = CheckpointProof { leaf_index: 5, ..proof(4) };
		let shorter = checkpoint_proof(&leaves[..10], 4).unwrap();
		for (wrong, what) in
			[(tampered, "tampered leaf"), (moved, "moved leaf"), (shorter, "other count")]
		{
			assert!(!TaskMarket::checkpoint_is_committed(0, &wrong), "{what}");
		}
		assert!(!TaskMarket::checkpoint_is_committed(1, &proof(4)), "unknown task");
	});
}

#[test]
fn reject_slashes_the_solver_pays_the_finders_and_reopens_the_task() {
	test(|| {
		let task = submitted_task();
		let bond_amount = BOND_RATIO * REWARD;
		let alice_before = Balances::balance(&ALICE);
		assert_ok!(<TaskMarket as TaskSettlement<_, _, _>>::reject(task, &[(CHARLIE, 300)]));
		assert_eq!(Balances::balance(&CHARLIE), ENDOWMENT + 300);
		assert_eq!(Balances::balance(&ALICE), alice_before + bond_amount - 300);
		assert_eq!(bond(BOB), 0);
		let open_until = 1 + CLAIM_WINDOW;
		assert_eq!(
			Tasks::<Test>::get(task).unwrap().status,
			TaskStatus::Open { until: open_until }
		);
		let provider = Providers::<Test>::get(BOB).unwrap();
		assert_eq!((provider.open_tasks.solver, provider.tasks_served), (0, 0));
		assert_eq!((provider.slash_count, provider.slashed_total), (1, bond_amount));
		System::assert_has_event(
			Event::TaskRejected { task_id: task, solver: BOB, slashed: bond_amount }.into(),
		);
		System::assert_last_event(Event::TaskReopened { task_id: task, open_until }.into());
		// Reopened once (`max_reopens`); a second rejection refunds.
		assert_ok!(TaskMarket::claim_task(RuntimeOrigin::signed(BOB), task));
		assert_ok!(TaskMarket::submit_result(RuntimeOrigin::signed(BOB), task, commitment(11)));
		assert_ok!(<TaskMarket as TaskSettlement<_, _, _>>::reject(task, &[(CHARLIE, u64::MAX)]));
		assert!(Tasks::<Test>::get(task).is_none());
		assert_eq!(Balances::balance(&CHARLIE), ENDOWMENT + 300 + bond_amount);
		assert_eq!(escrow(ALICE), 0);
	});
}

#[test]
fn an_unverified_result_expires_after_the_verification_window() {
	test(|| {
		let task = submitted_task();
		let bob_before = Balances::balance(&BOB);
		let submitted_at = System::block_number();
		System::set_block_number(submitted_at + VERIFICATION_WINDOW);
		assert_noop!(expire(task), Error::<Test>::TaskNotExpired);
		System::set_block_number(submitted_at + VERIFICATION_WINDOW + 1);
		assert_ok!(expire(task));
		System::assert_last_event(
			Event::VerificationTimedOut { task_id: task, solver: BOB }.into(),
		);
		// Nobody is paid and nobody is slashed: Alice and Bob have all their funds back.
		assert!(Tasks::<Test>::get(task).is_none());
		assert_eq!((escrow(ALICE), bond(BOB)), (0, 0));
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
		assert_eq!(Balances::balance(&BOB), bob_before + BOND_RATIO * REWARD);
		let provider = Providers::<Test>::get(BOB).unwrap();
		assert_eq!(
			(provider.open_tasks.solver, provider.tasks_served, provider.slash_count),
			(0, 0, 0)
		);
		assert_noop!(expire(task), Error::<Test>::UnknownTask);
	});
}

#[test]
fn set_params_is_root_only_and_refuses_zero_windows() {
	test(|| {
		let mut params = task_params();
		params.max_reopens = 5;
		assert_noop!(
			TaskMarket::set_params(RuntimeOrigin::signed(ALICE), params),
			DispatchError::BadOrigin
		);
		let zeroed: [fn(&mut TaskParams<Balance, u64>); 5] = [
			|p| p.min_reward = 0,
			|p| p.claim_window = 0,
			|p| p.training_window = 0,
			|p| p.verification_window = 0,
			|p| p.task_deposit = 1,
		];
		for zero in zeroed {
			let mut bad = params;
			zero(&mut bad);
			assert_noop!(
				TaskMarket::set_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
		}
		assert_ok!(TaskMarket::set_params(RuntimeOrigin::root(), params));
		assert_eq!(Params::<Test>::get(), params);
	});
}

#[test]
fn try_state_detects_an_escrow_mismatch() {
	new_test_ext().execute_with(|| {
		assert_ok!(create(ALICE, spec(), REWARD));
		Tasks::<Test>::mutate(0, |t| t.as_mut().unwrap().reward += 1);
		assert!(TaskMarket::do_try_state().is_err());
	});
}

#[test]
fn try_state_detects_an_open_task_count_mismatch() {
	new_test_ext().execute_with(|| {
		submitted_task();
		assert_ok!(TaskMarket::do_try_state());
		<ComputeStaking as pallet_compute_staking::ComputeProviders<_>>::task_closed(
			&BOB,
			Role::Solver,
			false,
		);
		assert!(TaskMarket::do_try_state().is_err());
	});
}

/// Thousands of random calls across staking, tasks, settlement and the registry, from a fixed
/// seed, steered to live tasks: no call panics, total issuance never changes (slashes move funds,
/// they never burn or mint), every hold matches the records after every call, and every kind of
/// call succeeds often enough to have been exercised.
#[test]
fn randomized_calls_conserve_funds_and_keep_holds_consistent() {
	new_test_ext().execute_with(|| {
		let accounts = [ALICE, BOB, CHARLIE, DAVE, POT];
		let issuance = Balances::total_issuance();
		let mut rng = XorShift(0x5eed_cafe_f00d_d00d);
		let mut successes: std::collections::BTreeMap<&str, u32> = Default::default();
		for _ in 0..10_000 {
			let who = accounts[rng.below(accounts.len() as u64) as usize];
			let other = accounts[rng.below(accounts.len() as u64) as usize];
			let call = rng.below(15);
			// Mostly a live task in the state the call needs, sometimes any id.
			let wanted = |status: &TaskStatus<u64, Balance, u64>| match call {
				6 | 7 | 8 => matches!(status, TaskStatus::Open { .. }),
				9 => matches!(status, TaskStatus::Claimed { .. }),
				11 | 12 => matches!(status, TaskStatus::Submitted { .. }),
				_ => true,
			};
			let live: Vec<u64> = Tasks::<Test>::iter()
				.filter(|(_, t)| wanted(&t.status))
				.map(|(id, _)| id)
				.collect();
			let task = if live.is_empty() || rng.below(5) == 0 {
				rng.below(NextTaskId::<Test>::get() + 2)
			} else {
				live[rng.below(live.len() as u64) as usize]
			};
			// Calls on a task come from the party that may make them, most of the time.
			let (submitter, solver) = Tasks::<Test>::get(task).map_or((who, who), |t| {
				let solver = match t.status {
					TaskStatus::Claimed { solver, .. } | TaskStatus::Submitted { solver, .. } => {
						solver
					},
					TaskStatus::Open { .. } => who,
				};
				(t.submitter, solver)
			});
			let steer =
				|party: u64, rng: &mut XorShift| if rng.below(4) == 0 { who } else { party };
			let amount = [0, 1, 99, 500, 1_000, 2_500, 40_000][rng.below(7) as usize];
			let (kind, result) = match call {
				0 => (
					"register",
					ComputeStaking::register_provider(
						RuntimeOrigin::signed(who),
						Roles {
							solver: rng.below(3) != 0,
							verifier: rng.below(2) == 0,
							whistleblower: false,
						},
						cpu(),
						[MIN_SOLVER_BOND, MIN_SOLVER_BOND * 3, 1][rng.below(3) as usize],
					),
				),
				1 => ("bond_more", ComputeStaking::bond_more(RuntimeOrigin::signed(who), amount)),
				2 => ("unbond", ComputeStaking::unbond(RuntimeOrigin::signed(who), amount)),
				3 => ("withdraw", ComputeStaking::withdraw_unbonded(RuntimeOrigin::signed(who))),
				4 | 5 => {
					let mut s = spec();
					s.training.steps = [100, 100, 10, 105][rng.below(4) as usize];
					("create", create(who, s, [REWARD, REWARD, 10][rng.below(3) as usize]))
				},
				6 => (
					"cancel",
					TaskMarket::cancel_task(
						RuntimeOrigin::signed(steer(submitter, &mut rng)),
						task,
					),
				),
				7 | 8 => ("claim", TaskMarket::claim_task(RuntimeOrigin::signed(who), task)),
				9 => (
					"submit",
					TaskMarket::submit_result(
						RuntimeOrigin::signed(steer(solver, &mut rng)),
						task,
						commitment([11, 11, 10][rng.below(3) as usize]),
					),
				),
				10 => ("expire", TaskMarket::expire_task(RuntimeOrigin::signed(who), task)),
				11 => (
					"accept",
					<TaskMarket as TaskSettlement<_, _, _>>::accept(
						task,
						&[(other, amount.min(REWARD / 2))],
					)
					.map(|_| ()),
				),
				12 => (
					"reject",
					<TaskMarket as TaskSettlement<_, _, _>>::reject(task, &[(other, amount)]),
				),
				_ => {
					System::set_block_number(System::block_number() + rng.below(8));
					("wait", Ok(()))
				},
			};
			if result.is_ok() {
				*successes.entry(kind).or_default() += 1;
			}
			assert_eq!(Balances::total_issuance(), issuance);
			check_invariants();
		}
		println!("successes per call kind: {successes:?}");
		for (kind, least) in [
			("register", 4),
			("bond_more", 10),
			("unbond", 10),
			("withdraw", 10),
			("create", 10),
			("cancel", 10),
			("claim", 10),
			("submit", 10),
			("expire", 10),
			("accept", 10),
			("reject", 10),
		] {
			assert!(successes.get(kind).copied().unwrap_or(0) >= least, "{kind}: {successes:?}");
		}
	});
}

/// A small deterministic generator, so the randomized test replays exactly.
struct XorShift(u64);

impl XorShift {
	fn below(&mut self, bound: u64) -> u64 {
		self.0 ^= self.0 << 13;
		self.0 ^= self.0 >> 7;
		self.0 ^= self.0 << 17;
		self.0 % bound
	}
}
