//! The 8x8 handwritten digits (1,797 samples, 64 features with values 0..=16, 10 classes), built
//! into the crate. Source, license and format: `ml-offchain/data/README.md`; the file is
//! `ml-offchain/data/digits.bin`, reproduced by `ml-offchain/data/convert_digits.py`.

use cairn_primitives::{task::Uri, DatasetRef};

use super::{dataset_ref, Dataset, DatasetError};

/// The dataset file's bytes.
pub const BYTES: &[u8] = include_bytes!("../../../data/digits.bin");

/// BLAKE2b-256 of [`BYTES`], as published in `ml-offchain/data/README.md`.
pub const HASH_HEX: &str = "494d77efc6a0e10271e13b0979866ce6786f9b63989239b5cdf04390e318e193";

/// The reference a task names the digits by, when they are served at `uri`.
pub fn reference(uri: Uri) -> DatasetRef {
	dataset_ref(BYTES, uri)
}

/// The digits, decoded.
pub fn load() -> Result<Dataset, DatasetError> {
	Dataset::from_bytes(BYTES, &reference(Uri::default()))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_built_in_file_is_the_published_one() {
		assert_eq!(hex::encode(reference(Uri::default()).hash), HASH_HEX);
		let digits = load().unwrap();
		let header = digits.header();
		assert_eq!(
			(header.samples, header.features, header.classes, header.max_value),
			(1797, 64, 10, 16)
		);
		assert_eq!(digits.train_len(), 1498);
		assert_eq!(digits.held_out().len(), 299);
		// The first sample of scikit-learn's digits is a 0.
		assert_eq!(digits.label(0), 0);
	}
}
