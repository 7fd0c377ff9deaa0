//! Benchmarks of the model registry (frame-benchmarking v2), each at its worst case.

use super::*;
use alloc::vec;
use cairn_primitives::{model::MAX_HIDDEN_LAYERS, Activation, BoundedVec, Mlp};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Inspect;
use frame_system::RawOrigin;

fn max_bytes(len: u32) -> Vec<u8> {
	vec![b'x'; len as usize]
}

/// The largest architecture a call can carry.
fn widest_architecture() -> Architecture {
	Architecture::Mlp(Mlp {
		input: 784,
		hidden: BoundedVec::truncate_from(vec![1024; MAX_HIDDEN_LAYERS as usize]),
		output: 10,
		activation: Activation::Gelu,
	})
}

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let largest = Pallet::<T>::deposit_for(
		T::MaxNameLen::get() as usize,
		T::MaxUriLen::get() as usize,
		T::MaxLicenseLen::get() as usize,
	);
	let amount = largest
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

/// Registers a model with fields of the given lengths and returns its id.
fn registered<T: Config>(owner: &T::AccountId, seed: u8, uri_len: u32) -> ModelId {
	let model = NewModel {
		weights_hash: [seed; 32],
		name: max_bytes(T::MaxNameLen::get()),
		architecture: widest_architecture(),
		parent: None,
		dataset: Some([seed; 32]),
		metadata_uri: max_bytes(uri_len),
		license: vec![],
	};
	Pallet::<T>::do_register(owner.clone(), model, Provenance::Uploaded).expect("funded")
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model() {
		let caller = funded::<T>("caller");
		let parent = registered::<T>(&caller, 1, 0);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			[2u8; 32],
			max_bytes(T::MaxNameLen::get()),
			widest_architecture(),
			Some(parent),
			Some([3u8; 32]),
			max_bytes(T::MaxUriLen::get()),
			max_bytes(T::MaxLicenseLen::get()),
		);

		assert_eq!(ModelByHash::<T>::get([2u8; 32]), Some(parent + 1));
	}

	#[benchmark]
	fn update_metadata() {
		let caller = funded::<T>("caller");
		let model_id = registered::<T>(&caller, 1, 0);

		// Growing the deposit is the more expensive direction.
		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			model_id,
			max_bytes(T::MaxUriLen::get()),
			max_bytes(T::MaxLicenseLen::get()),
		);

		let record = Models::<T>::get(model_id).expect("registered");
		assert_eq!(record.metadata_uri.len() as u32, T::MaxUriLen::get());
	}

	#[benchmark]
	fn transfer_model() {
		let caller = funded::<T>("caller");
		let receiver = funded::<T>("receiver");
		let model_id = registered::<T>(&caller, 1, T::MaxUriLen::get());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), model_id, receiver.clone());

		assert_eq!(Models::<T>::get(model_id).expect("registered").owner, receiver);
	}

	#[benchmark]
	fn deprecate_model() {
		let caller = funded::<T>("caller");
		let model_id = registered::<T>(&caller, 1, T::MaxUriLen::get());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), model_id);

		assert!(Models::<T>::get(model_id).expect("registered").deprecated);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
