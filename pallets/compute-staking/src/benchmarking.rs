//! Benchmarks of compute staking (frame-benchmarking v2), each at its worst case.

use super::*;
use cairn_primitives::{Backend, IsaClass};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Inspect;
use frame_system::RawOrigin;
use sp_runtime::traits::One;

fn all_roles() -> Roles {
	Roles { solver: true, verifier: true, whistleblower: true }
}

/// The largest hardware profile a call can carry.
fn gpu_profile<T: Config>() -> HardwareProfile {
	HardwareProfile {
		isa: IsaClass::X86_64V3,
		arithmetic: T::ArithmeticVersion::get(),
		backend: Backend::Cuda,
		memory_gib: 80,
		gpu: Some(BoundedVec::truncate_from(
			[b'g'; cairn_primitives::provider::MAX_GPU_NAME_LEN as usize].to_vec(),
		)),
	}
}

fn required<T: Config>() -> BalanceOf<T> {
	Params::<T>::get()
		.required_bond(&all_roles())
		.max(T::Currency::minimum_balance())
}

/// A funded account able to bond ten times what every role needs.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let amount = required::<T>()
		.saturating_mul(20u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

/// Fills every pool but one place with other accounts: joining or leaving then walks the most.
fn fill_pools<T: Config>() {
	for role in Pallet::<T>::POOLED {
		let members =
			(1..T::MaxPoolSize::get()).map(|i| account("member", i, 0)).collect::<Vec<_>>();
		Pools::<T>::insert(role, BoundedVec::truncate_from(members));
	}
}

fn registered<T: Config>(name: &'static str) -> T::AccountId {
	let who = funded::<T>(name);
	let bond = required::<T>().saturating_mul(2u32.into());
	Pallet::<T>::do_register(who.clone(), all_roles(), gpu_profile::<T>(), bond).expect("funded");
	who
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_provider() {
		let who = funded::<T>("provider");
		let bond = required::<T>();
		fill_pools::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), all_roles(), gpu_profile::<T>(), bond);

		assert!(Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn update_profile() {
		let who = funded::<T>("provider");
		let solver = Roles { solver: true, verifier: false, whistleblower: false };
		let bond = required::<T>().saturating_mul(2u32.into());
		Pallet::<T>::do_register(who.clone(), solver, gpu_profile::<T>(), bond).expect("funded");
		// With a task open the hardware and the collateral are compared too; joining both pools,
		// nearly full, is the most pool work.
		Pallet::<T>::task_opened(&who, Role::Solver).expect("registered");
		fill_pools::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), all_roles(), gpu_profile::<T>());

		assert_eq!(Providers::<T>::get(&who).expect("registered").roles, all_roles());
	}

	#[benchmark]
	fn bond_more() {
		let who = registered::<T>("provider");

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), required::<T>());

		assert_eq!(
			Providers::<T>::get(&who).expect("registered").bonded,
			required::<T>().saturating_mul(3u32.into())
		);
	}

	#[benchmark]
	fn unbond() {
		let who = registered::<T>("provider");
		// Fill all but one chunk: pushing into a nearly full vector is the worst case.
		for _ in 1..T::MaxUnbondingChunks::get() {
			Pallet::<T>::do_unbond(who.clone(), One::one()).expect("bond covers it");
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), One::one());

		let provider = Providers::<T>::get(&who).expect("registered");
		assert_eq!(provider.unbonding.len() as u32, T::MaxUnbondingChunks::get());
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let who = registered::<T>("provider");
		// Full pools with the provider last: leaving walks every member.
		fill_pools::<T>();
		for role in Pallet::<T>::POOLED {
			Pools::<T>::mutate(role, |pool| pool.try_push(who.clone()).expect("one place left"));
		}
		// Every chunk slot in use, all matured: the most chunks this call walks through.
		for _ in 1..T::MaxUnbondingChunks::get() {
			Pallet::<T>::do_unbond(who.clone(), One::one()).expect("bond covers it");
		}
		let bonded = Providers::<T>::get(&who).expect("registered").bonded;
		Pallet::<T>::do_unbond(who.clone(), bonded).expect("no open tasks");
		assert_eq!(
			Providers::<T>::get(&who).expect("registered").unbonding.len() as u32,
			T::MaxUnbondingChunks::get()
		);
		let delay = Params::<T>::get().unbonding_delay;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(delay),
		);

		// Releasing everything also deregisters: the most work this call does.
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_params() {
		let params = Params::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Root, params);

		assert_eq!(Params::<T>::get(), params);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
