//! Unit tests of compute staking on the mock runtime.

use crate::{
	mock::*, ComputeProviders, Error, Event, HoldReason, OpenTasks, Params, Pools, Providers,
	StakingParams, UnbondingChunk,
};
use cairn_primitives::{ComputeClass, HardwareProfile, IsaClass, Role, Roles};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold, Mutate},
};
use sp_runtime::DispatchError;

fn held(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::ProviderBond.into(), &who)
}

fn register(who: u64, roles: Roles, bond: Balance) -> frame_support::dispatch::DispatchResult {
	ComputeStaking::register_provider(RuntimeOrigin::signed(who), roles, cpu(), bond)
}

/// Runs a test, then checks the pallet's invariants and that no funds were created or destroyed.
fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		body();
		ComputeStaking::do_try_state().expect("invariants hold");
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn register_holds_the_bond_and_records_the_provider() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER));
		let provider = Providers::<Test>::get(ALICE).expect("registered");
		assert_eq!(provider.roles, solver());
		assert_eq!(provider.hardware, cpu());
		assert_eq!(provider.bonded, MIN_SOLVER);
		assert_eq!(provider.open_tasks, OpenTasks::default());
		assert_eq!(held(ALICE), MIN_SOLVER);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - MIN_SOLVER);
		System::assert_last_event(
			Event::ProviderRegistered { provider: ALICE, roles: solver(), bond: MIN_SOLVER }.into(),
		);
		assert!(ComputeStaking::is_eligible(&ALICE, Role::Solver));
		assert!(!ComputeStaking::is_eligible(&ALICE, Role::Verifier));
		assert_eq!(ComputeStaking::hardware(&ALICE), Some(cpu()));
	});
}

#[test]
fn register_rejects_wrong_calls() {
	test(|| {
		let all = Roles { solver: true, verifier: true, whistleblower: true };
		assert_noop!(register(ALICE, Roles::default(), MIN_SOLVER), Error::<Test>::NoRoles);
		assert_noop!(register(ALICE, solver(), MIN_SOLVER - 1), Error::<Test>::BondBelowMinimum);
		// Several roles need the largest of their minimums.
		assert_noop!(register(ALICE, all, MIN_VERIFIER), Error::<Test>::BondBelowMinimum);
		assert_noop!(register(ALICE, solver(), ENDOWMENT + 1), Error::<Test>::InsufficientBalance);
		assert_ok!(register(ALICE, verifier(), MIN_VERIFIER));
		assert_noop!(register(ALICE, solver(), MIN_SOLVER), Error::<Test>::AlreadyRegistered);
		assert_eq!(held(ALICE), MIN_VERIFIER);
	});
}

#[test]
fn bond_more_adds_to_the_active_bond() {
	test(|| {
		assert_noop!(
			ComputeStaking::bond_more(RuntimeOrigin::signed(ALICE), 5),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, solver(), MIN_SOLVER));
		assert_noop!(
			ComputeStaking::bond_more(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			ComputeStaking::bond_more(RuntimeOrigin::signed(ALICE), ENDOWMENT),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(ComputeStaking::bond_more(RuntimeOrigin::signed(ALICE), 250));
		assert_eq!(Providers::<Test>::get(ALICE).unwrap().bonded, MIN_SOLVER + 250);
		assert_eq!(held(ALICE), MIN_SOLVER + 250);
	});
}

#[test]
fn unbond_keeps_funds_held_until_the_delay_passes() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER + 300));
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 300));
		let provider = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!(provider.bonded, MIN_SOLVER);
		assert_eq!(
			provider.unbonding.to_vec(),
			vec![UnbondingChunk { amount: 300, unlock_at: 1 + DELAY }]
		);
		assert_eq!(held(ALICE), MIN_SOLVER + 300);
		assert_noop!(
			ComputeStaking::withdraw_unbonded(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingToWithdraw
		);
		System::set_block_number(1 + DELAY);
		assert_ok!(ComputeStaking::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert_eq!(held(ALICE), MIN_SOLVER);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - MIN_SOLVER);
		System::assert_last_event(Event::Withdrawn { provider: ALICE, amount: 300 }.into());
	});
}

#[test]
fn unbond_rejects_wrong_calls() {
	test(|| {
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, solver(), MIN_SOLVER + 10));
		let unbond = |amount| ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), amount);
		assert_noop!(unbond(0), Error::<Test>::ZeroAmount);
		assert_noop!(unbond(MIN_SOLVER + 11), Error::<Test>::UnbondExceedsBond);
		// Leaving some bond, but less than the role needs.
		assert_noop!(unbond(11), Error::<Test>::BondBelowMinimum);
		assert_ok!(unbond(3));
		assert_ok!(unbond(3));
		assert_ok!(unbond(3));
		assert_noop!(unbond(1), Error::<Test>::TooManyUnbondingChunks);
	});
}

#[test]
fn open_tasks_pin_the_bond() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER + 100));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Solver));
		assert_eq!(Providers::<Test>::get(ALICE).unwrap().open_tasks.solver, 1);
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), MIN_SOLVER + 100),
			Error::<Test>::BondNeededByOpenTasks
		);
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 101),
			Error::<Test>::BondNeededByOpenTasks
		);
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 100));
		ComputeStaking::task_closed(&ALICE, Role::Solver, true);
		let provider = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!((provider.open_tasks.total(), provider.tasks_served), (0, 1));
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), MIN_SOLVER));
		assert!(!ComputeStaking::is_eligible(&ALICE, Role::Solver));
	});
}

#[test]
fn leaving_releases_everything_and_deregisters() {
	test(|| {
		assert_ok!(register(ALICE, verifier(), MIN_VERIFIER));
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), MIN_VERIFIER));
		System::set_block_number(1 + DELAY);
		assert_ok!(ComputeStaking::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert!(Providers::<Test>::get(ALICE).is_none());
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
		System::assert_last_event(Event::ProviderDeregistered { provider: ALICE }.into());
	});
}

#[test]
fn update_profile_needs_a_bond_covering_the_new_roles() {
	test(|| {
		assert_ok!(register(ALICE, verifier(), MIN_VERIFIER));
		let update =
			|roles| ComputeStaking::update_profile(RuntimeOrigin::signed(ALICE), roles, cpu());
		assert_noop!(update(solver()), Error::<Test>::BondBelowMinimum);
		assert_noop!(update(Roles::default()), Error::<Test>::NoRoles);
		assert_noop!(
			ComputeStaking::update_profile(RuntimeOrigin::signed(BOB), verifier(), cpu()),
			Error::<Test>::NotRegistered
		);
		let both = Roles { solver: false, verifier: true, whistleblower: true };
		assert_ok!(update(both));
		assert_eq!(Providers::<Test>::get(ALICE).unwrap().roles, both);
	});
}

#[test]
fn hardware_stays_as_declared_while_tasks_are_open() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Solver));
		let mut other = cpu();
		other.isa = IsaClass::Aarch64;
		assert_noop!(
			ComputeStaking::update_profile(RuntimeOrigin::signed(ALICE), solver(), other.clone()),
			Error::<Test>::HardwareNeededByOpenTasks
		);
		// Roles may change on the same hardware; the hardware once the task has closed.
		let both = Roles { solver: true, verifier: true, whistleblower: false };
		assert_ok!(ComputeStaking::update_profile(RuntimeOrigin::signed(ALICE), both, cpu()));
		ComputeStaking::task_closed(&ALICE, Role::Solver, true);
		assert_ok!(ComputeStaking::update_profile(
			RuntimeOrigin::signed(ALICE),
			both,
			other.clone()
		));
		assert_eq!(Providers::<Test>::get(ALICE).unwrap().hardware, other);
	});
}

#[test]
fn set_params_is_root_only_and_refuses_zero_bonds() {
	test(|| {
		let mut new = params();
		new.unbonding_delay = 99;
		assert_noop!(
			ComputeStaking::set_params(RuntimeOrigin::signed(ALICE), new),
			DispatchError::BadOrigin
		);
		for bad in [
			StakingParams { min_solver_bond: 0, ..new },
			StakingParams { min_verifier_bond: 0, ..new },
			StakingParams { min_whistleblower_bond: 0, ..new },
		] {
			assert_noop!(
				ComputeStaking::set_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
		}
		assert_ok!(ComputeStaking::set_params(RuntimeOrigin::root(), new));
		assert_eq!(Params::<Test>::get(), new);
	});
}

#[test]
fn slash_takes_active_bond_first_and_never_more_than_held() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER + 400));
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 400));
		assert_eq!(ComputeStaking::slash(&ALICE, 600, &POT), Ok(600));
		let provider = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!(provider.bonded, MIN_SOLVER - 600);
		assert_eq!(provider.unbonding[0].amount, 400);
		assert_eq!((provider.slash_count, provider.slashed_total), (1, 600));
		assert_eq!(Balances::balance(&POT), 1 + 600);
		System::assert_last_event(
			Event::Slashed { provider: ALICE, amount: 600, beneficiary: POT }.into(),
		);
		// Asking for more than is held moves exactly what is held.
		assert_eq!(ComputeStaking::slash(&ALICE, 10 * ENDOWMENT, &BOB), Ok(MIN_SOLVER - 600 + 400));
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::balance(&BOB), ENDOWMENT + MIN_SOLVER - 200);
		assert!(Providers::<Test>::get(ALICE).unwrap().unbonding.is_empty());
		// A provider slashed to nothing can still leave.
		assert_ok!(ComputeStaking::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert!(Providers::<Test>::get(ALICE).is_none());
		assert_noop!(ComputeStaking::slash(&ALICE, 1, &POT), Error::<Test>::NotRegistered);
	});
}

#[test]
fn try_state_detects_a_hold_mismatch() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER));
		Providers::<Test>::mutate(ALICE, |p| p.as_mut().unwrap().bonded += 1);
		assert!(ComputeStaking::do_try_state().is_err());
	});
}

#[test]
fn collateral_scales_with_open_tasks() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER * 2));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Solver));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Solver));
		// A third task needs a third minimum bond.
		assert_noop!(
			ComputeStaking::task_opened(&ALICE, Role::Solver),
			Error::<Test>::InsufficientCollateral
		);
		// Nothing can be unbonded while two tasks rely on both minimums.
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::BondNeededByOpenTasks
		);
		assert_ok!(ComputeStaking::bond_more(RuntimeOrigin::signed(ALICE), MIN_SOLVER));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Solver));
		assert_eq!(Providers::<Test>::get(ALICE).unwrap().open_tasks.solver, 3);
	});
}

#[test]
fn a_role_with_open_tasks_cannot_be_dropped() {
	test(|| {
		let both = Roles { solver: true, verifier: true, whistleblower: false };
		assert_ok!(register(ALICE, both, MIN_SOLVER + MIN_VERIFIER));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Solver));
		assert_ok!(ComputeStaking::task_opened(&ALICE, Role::Verifier));
		let update =
			|roles| ComputeStaking::update_profile(RuntimeOrigin::signed(ALICE), roles, cpu());
		assert_noop!(update(verifier()), Error::<Test>::RoleNeededByOpenTasks);
		assert_noop!(update(solver()), Error::<Test>::RoleNeededByOpenTasks);
		// Switching to the cheaper role cannot free the solver collateral for unbonding.
		assert_noop!(
			ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::BondNeededByOpenTasks
		);
		ComputeStaking::task_closed(&ALICE, Role::Solver, false);
		assert_ok!(update(verifier()));
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(ALICE), MIN_SOLVER));
	});
}

#[test]
fn task_bond_slashes_show_in_the_provider_record() {
	test(|| {
		assert_ok!(register(ALICE, solver(), MIN_SOLVER));
		ComputeStaking::note_slash(&ALICE, 70);
		assert_ok!(ComputeStaking::slash(&ALICE, 30, &BOB));
		let provider = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!((provider.slash_count, provider.slashed_total), (2, 100));
	});
}

#[test]
fn pools_follow_roles_and_draw_only_eligible_candidates() {
	test(|| {
		let both = Roles { solver: true, verifier: true, whistleblower: false };
		assert_ok!(register(ALICE, both, MIN_SOLVER));
		assert_ok!(register(BOB, verifier(), MIN_VERIFIER * 2));
		assert_eq!(Pools::<Test>::get(Role::Verifier).to_vec(), vec![ALICE, BOB]);
		assert!(Pools::<Test>::get(Role::Whistleblower).is_empty());
		assert_eq!(
			ComputeStaking::candidates(Role::Verifier, cpu().class()),
			vec![(ALICE, MIN_SOLVER), (BOB, MIN_VERIFIER * 2)]
		);
		assert!(ComputeStaking::candidates(
			Role::Verifier,
			ComputeClass { isa: IsaClass::Aarch64, arithmetic: 1 }
		)
		.is_empty());
		// Another version of the training arithmetic computes other bits: not drawn either.
		assert!(ComputeStaking::candidates(
			Role::Verifier,
			ComputeClass { isa: IsaClass::X86_64V3, arithmetic: 2 }
		)
		.is_empty());
		// Bob's bond covers two verifications, not three.
		assert_ok!(ComputeStaking::task_opened(&BOB, Role::Verifier));
		assert_ok!(ComputeStaking::task_opened(&BOB, Role::Verifier));
		assert_eq!(
			ComputeStaking::candidates(Role::Verifier, cpu().class()),
			vec![(ALICE, MIN_SOLVER)]
		);
		ComputeStaking::task_closed(&BOB, Role::Verifier, true);
		ComputeStaking::task_closed(&BOB, Role::Verifier, true);
		assert_ok!(ComputeStaking::update_profile(RuntimeOrigin::signed(ALICE), solver(), cpu()));
		assert_eq!(Pools::<Test>::get(Role::Verifier).to_vec(), vec![BOB]);
		assert_ok!(ComputeStaking::unbond(RuntimeOrigin::signed(BOB), MIN_VERIFIER * 2));
		System::set_block_number(1 + DELAY);
		assert_ok!(ComputeStaking::withdraw_unbonded(RuntimeOrigin::signed(BOB)));
		assert!(Pools::<Test>::get(Role::Verifier).is_empty());
	});
}

#[test]
fn a_full_pool_refuses_new_members() {
	new_test_ext().execute_with(|| {
		for who in 10..14u64 {
			Balances::set_balance(&who, ENDOWMENT);
			assert_ok!(register(who, verifier(), MIN_VERIFIER));
		}
		Balances::set_balance(&20, ENDOWMENT);
		let issuance = Balances::total_issuance();
		assert_noop!(register(20, verifier(), MIN_VERIFIER), Error::<Test>::PoolFull);
		assert_eq!(Balances::total_issuance(), issuance);
		ComputeStaking::do_try_state().expect("invariants hold");
	});
}

#[test]
fn try_state_detects_a_pool_out_of_step_with_roles() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(ALICE, verifier(), MIN_VERIFIER));
		Pools::<Test>::remove(Role::Verifier);
		assert!(ComputeStaking::do_try_state().is_err());
	});
}

#[test]
fn another_training_arithmetic_than_the_networks_is_refused() {
	test(|| {
		let mine = HardwareProfile { arithmetic: 2, ..cpu() };
		assert_noop!(
			ComputeStaking::register_provider(
				RuntimeOrigin::signed(ALICE),
				verifier(),
				mine.clone(),
				MIN_VERIFIER
			),
			Error::<Test>::UnsupportedArithmetic
		);
		assert_ok!(register(ALICE, verifier(), MIN_VERIFIER));
		assert_noop!(
			ComputeStaking::update_profile(RuntimeOrigin::signed(ALICE), verifier(), mine),
			Error::<Test>::UnsupportedArithmetic
		);
	});
}
