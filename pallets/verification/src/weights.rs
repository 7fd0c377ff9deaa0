
//! Weights for `pallet_verification`.
//!
//! Provisional: conservative estimates from the storage each call and hook touches in its worst
//! case (ParityDB read and write weights) and a generous execution time, until
//! `scripts/bench-weights.sh pallet_verification` replaces them with benchmarked figures.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_verification`.
pub trait WeightInfo {
	fn commit() -> Weight;
	fn reveal() -> Weight;
	fn post_leaves() -> Weight;
	fn set_params() -> Weight;
	fn on_initialize_empty() -> Weight;
	fn draw() -> Weight;
	fn decide() -> Weight;
	fn result_submitted() -> Weight;
	fn verification_expired() -> Weight;
}

/// Weights for `pallet_verification` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn commit() -> Weight {
		Weight::from_parts(400_000_000, 40_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn reveal() -> Weight {
		Weight::from_parts(2_000_000_000, 40_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn post_leaves() -> Weight {
		Weight::from_parts(2_000_000_000, 40_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(50_000_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn on_initialize_empty() -> Weight {
		Weight::from_parts(10_000_000, 1_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn draw() -> Weight {
		Weight::from_parts(30_000_000_000, 400_000)
			.saturating_add(T::DbWeight::get().reads(280_u64))
			.saturating_add(T::DbWeight::get().writes(25_u64))
	}
	fn decide() -> Weight {
		Weight::from_parts(30_000_000_000, 400_000)
			.saturating_add(T::DbWeight::get().reads(200_u64))
			.saturating_add(T::DbWeight::get().writes(200_u64))
	}
	fn result_submitted() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(11_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn verification_expired() -> Weight {
		Weight::from_parts(2_000_000_000, 40_000)
			.saturating_add(T::DbWeight::get().reads(40_u64))
			.saturating_add(T::DbWeight::get().writes(40_u64))
	}
}

// For tests: the same figures with RocksDB weights.
impl WeightInfo for () {
	fn commit() -> Weight { Weight::from_parts(400_000_000, 40_000) }
	fn reveal() -> Weight { Weight::from_parts(2_000_000_000, 40_000) }
	fn post_leaves() -> Weight { Weight::from_parts(2_000_000_000, 40_000) }
	fn set_params() -> Weight { Weight::from_parts(50_000_000, 0) }
	fn on_initialize_empty() -> Weight { Weight::from_parts(10_000_000, 1_000) }
	fn draw() -> Weight { Weight::from_parts(30_000_000_000, 400_000) }
	fn decide() -> Weight { Weight::from_parts(30_000_000_000, 400_000) }
	fn result_submitted() -> Weight { Weight::from_parts(100_000_000, 10_000) }
	fn verification_expired() -> Weight { Weight::from_parts(2_000_000_000, 40_000) }
}
