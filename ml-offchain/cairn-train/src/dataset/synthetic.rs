//! Seeded synthetic datasets in the same format as the real ones, for scale tests and benchmarks.
//!
//! Each class has a prototype: one random value in `0..=255` per feature. A sample picks a class
//! at random and adds independent noise, uniform in `-64..=64`, to every feature of its prototype
//! (clamped to `0..=255`). Every draw comes from one [`SplitMix64`] stream, so the file is a pure
//! function of the parameters.

use super::{DatasetError, Header, HEADER_LEN};
use crate::rng::SplitMix64;

const DOMAIN: &[u8] = b"cairn/synthetic-dataset";
const MAX_VALUE: u8 = 255;
const NOISE: i32 = 64;

/// Parameters of a synthetic dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synthetic {
	/// Seed of every random draw.
	pub seed: u64,
	/// Number of samples.
	pub samples: u32,
	/// Features per sample (at least 1).
	pub features: u32,
	/// Number of classes (1 to 256).
	pub classes: u32,
}

impl Synthetic {
	/// The dataset file's bytes, or an error when `features` is 0 or `classes` is not in
	/// `1..=256`.
	pub fn generate(&self) -> Result<Vec<u8>, DatasetError> {
		if self.features == 0 || !(1..=256).contains(&self.classes) {
			return Err(DatasetError::Malformed(
				"synthetic datasets need features > 0 and 1..=256 classes",
			));
		}
		let features = self.features as usize;
		let mut rng = SplitMix64::derive(DOMAIN, self.seed, 0);
		let prototypes: Vec<u8> = (0..self.classes as usize * features)
			.map(|_| rng.below(u64::from(MAX_VALUE) + 1) as u8)
			.collect();
		let header = Header {
			samples: self.samples,
			features: self.features,
			classes: self.classes,
			max_value: MAX_VALUE,
		};
		let mut bytes = Vec::with_capacity(HEADER_LEN + self.samples as usize * (features + 1));
		bytes.extend_from_slice(&header.encode());
		for _ in 0..self.samples {
			let class = rng.below(u64::from(self.classes)) as usize;
			for &centre in &prototypes[class * features..(class + 1) * features] {
				let noise = rng.below(2 * NOISE as u64 + 1) as i32 - NOISE;
				bytes.push((i32::from(centre) + noise).clamp(0, i32::from(MAX_VALUE)) as u8);
			}
			bytes.push(class as u8);
		}
		Ok(bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::dataset::{dataset_ref, Dataset};
	use cairn_primitives::task::Uri;

	#[test]
	fn generation_is_a_pure_function_of_the_parameters_and_loads() {
		let spec = Synthetic { seed: 5, samples: 120, features: 16, classes: 4 };
		let bytes = spec.generate().unwrap();
		assert_eq!(bytes, spec.generate().unwrap());
		assert_ne!(bytes, Synthetic { seed: 6, ..spec }.generate().unwrap());
		assert!(Synthetic { classes: 0, ..spec }.generate().is_err());
		let data = Dataset::from_bytes(&bytes, &dataset_ref(&bytes, Uri::default())).unwrap();
		assert_eq!(data.header().samples, 120);
		assert_eq!(data.header().classes, 4);
		assert_eq!(data.train_len(), 100);
	}
}
