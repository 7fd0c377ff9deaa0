//! Datasets in Cairn's binary format, checked against their on-chain [`DatasetRef`].
//!
//! The format (all integers little-endian; documented for users in `ml-offchain/data/README.md`):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `CAIRNDAT` |
//! | 8 | 4 | format version, `1` |
//! | 12 | 4 | sample count `n` |
//! | 16 | 4 | features per sample `f` |
//! | 20 | 4 | classes `c` (at most 256) |
//! | 24 | 1 | `max_value`: feature values are integers in `0..=max_value` |
//! | 25 | 3 | zero |
//! | 28 | `n * (f + 1)` | per sample: `f` feature bytes, then its label byte (`< c`) |
//!
//! The model sees feature `v` as the `f32` `v / max_value`. The last `n / 6` samples (rounded
//! down) are held out for evaluation; training draws only from the others.
//!
//! A language-model dataset (for the byte-level transformer) is a file of this format whose every
//! sample is a window of `context + 1` consecutive bytes of a text: the first `context` bytes are
//! the features, read as token ids `0..=255` rather than scaled, and the last byte is the label;
//! `classes = 256`, `max_value = 255`. In the files Cairn's converters write, window `i` covers
//! bytes `i * (context + 1) .. (i + 1) * (context + 1)`: windows do not overlap, and the tail
//! that does not fill a window is dropped ([`text::windows`] also cuts overlapping ones). At every position `p` of a window the model predicts the byte at
//! `p + 1` (at the last position, the label). The held-out last sixth is the end of the text.
//! `ml-offchain/data/convert_shakespeare.py` writes one from the works of Shakespeare.

pub mod digits;
pub mod synthetic;
pub mod text;

use std::path::Path;

use cairn_primitives::{merkle::blake2_256, task::Uri, DatasetRef, Hash256};

/// First bytes of every dataset file.
pub const MAGIC: &[u8; 8] = b"CAIRNDAT";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Bytes before the first sample.
pub const HEADER_LEN: usize = 28;

/// Why a dataset cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
	/// The file could not be read.
	#[error("cannot read dataset {path}: {source}")]
	Io {
		/// The file.
		path: String,
		/// The underlying error.
		source: std::io::Error,
	},
	/// The bytes are not the dataset the task names.
	#[error("dataset hash mismatch: expected {}, got {} ({actual_size} bytes, expected {expected_size})", hex::encode(expected), hex::encode(actual))]
	HashMismatch {
		/// `DatasetRef::hash`.
		expected: Hash256,
		/// BLAKE2b-256 of the bytes.
		actual: Hash256,
		/// `DatasetRef::size`.
		expected_size: u64,
		/// Length of the bytes.
		actual_size: u64,
	},
	/// The bytes do not follow the format.
	#[error("malformed dataset: {0}")]
	Malformed(&'static str),
	/// Too few samples for a training split and a held-out split.
	#[error("dataset has {0} samples; at least 6 are needed (one sixth is held out)")]
	TooSmall(u32),
}

/// Shape of a dataset: what the header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
	/// Number of samples.
	pub samples: u32,
	/// Features per sample.
	pub features: u32,
	/// Number of classes; labels are `0..classes`.
	pub classes: u32,
	/// Largest feature value; the model sees `value / max_value`.
	pub max_value: u8,
}

impl Header {
	/// The header's bytes.
	pub fn encode(&self) -> [u8; HEADER_LEN] {
		let mut out = [0u8; HEADER_LEN];
		out[..8].copy_from_slice(MAGIC);
		out[8..12].copy_from_slice(&VERSION.to_le_bytes());
		out[12..16].copy_from_slice(&self.samples.to_le_bytes());
		out[16..20].copy_from_slice(&self.features.to_le_bytes());
		out[20..24].copy_from_slice(&self.classes.to_le_bytes());
		out[24] = self.max_value;
		out
	}

	fn decode(bytes: &[u8]) -> Result<Self, DatasetError> {
		let header = bytes
			.get(..HEADER_LEN)
			.ok_or(DatasetError::Malformed("shorter than the header"))?;
		if &header[..8] != MAGIC {
			return Err(DatasetError::Malformed("bad magic (expected CAIRNDAT)"));
		}
		let word = |at: usize| {
			u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
		};
		if word(8) != VERSION {
			return Err(DatasetError::Malformed("unsupported format version"));
		}
		if header[25..] != [0, 0, 0] {
			return Err(DatasetError::Malformed("reserved header bytes are not zero"));
		}
		let header = Header {
			samples: word(12),
			features: word(16),
			classes: word(20),
			max_value: header[24],
		};
		if header.features == 0
			|| header.classes == 0
			|| header.classes > 256
			|| header.max_value == 0
		{
			return Err(DatasetError::Malformed(
				"zero features, zero or more than 256 classes, or max_value 0",
			));
		}
		Ok(header)
	}

	/// Length in bytes of a file with this header, if it fits in memory.
	fn file_len(&self) -> Option<usize> {
		let record = usize::try_from(self.features).ok()?.checked_add(1)?;
		usize::try_from(self.samples).ok()?.checked_mul(record)?.checked_add(HEADER_LEN)
	}
}

/// A dataset whose bytes matched its [`DatasetRef`], decoded for training.
#[derive(Clone, Debug)]
pub struct Dataset {
	header: Header,
	hash: Hash256,
	/// Feature bytes of every sample, row-major `[samples, features]`.
	features: Vec<u8>,
	labels: Vec<u8>,
}

/// A [`DatasetRef`] for `bytes` served at `uri`: what a submitter puts in a task.
pub fn dataset_ref(bytes: &[u8], uri: Uri) -> DatasetRef {
	DatasetRef { hash: blake2_256(bytes), size: bytes.len() as u64, uri }
}

impl Dataset {
	/// Reads the file at `path` and checks it against `expected`.
	pub fn load(path: &Path, expected: &DatasetRef) -> Result<Self, DatasetError> {
		let bytes = std::fs::read(path)
			.map_err(|source| DatasetError::Io { path: path.display().to_string(), source })?;
		Self::from_bytes(&bytes, expected)
	}

	/// Checks `bytes` against `expected` (size and BLAKE2b-256) and decodes them.
	pub fn from_bytes(bytes: &[u8], expected: &DatasetRef) -> Result<Self, DatasetError> {
		let actual = blake2_256(bytes);
		if actual != expected.hash || bytes.len() as u64 != expected.size {
			return Err(DatasetError::HashMismatch {
				expected: expected.hash,
				actual,
				expected_size: expected.size,
				actual_size: bytes.len() as u64,
			});
		}
		Self::decode(bytes, actual)
	}

	fn decode(bytes: &[u8], hash: Hash256) -> Result<Self, DatasetError> {
		let header = Header::decode(bytes)?;
		if header.file_len() != Some(bytes.len()) {
			return Err(DatasetError::Malformed("length does not match the header"));
		}
		if header.samples < 6 {
			return Err(DatasetError::TooSmall(header.samples));
		}
		let features = header.features as usize;
		let mut feature_bytes = Vec::with_capacity(header.samples as usize * features);
		let mut labels = Vec::with_capacity(header.samples as usize);
		for record in bytes[HEADER_LEN..].chunks_exact(features + 1) {
			let (values, label) = record.split_at(features);
			if values.iter().any(|&v| v > header.max_value) {
				return Err(DatasetError::Malformed("a feature value exceeds max_value"));
			}
			if u32::from(label[0]) >= header.classes {
				return Err(DatasetError::Malformed("a label is not below the class count"));
			}
			feature_bytes.extend_from_slice(values);
			labels.push(label[0]);
		}
		Ok(Self { header, hash, features: feature_bytes, labels })
	}

	/// The header: sample count, features, classes, value range.
	pub fn header(&self) -> Header {
		self.header
	}

	/// BLAKE2b-256 of the file the dataset was read from.
	pub fn hash(&self) -> Hash256 {
		self.hash
	}

	/// Samples training draws from: the first `samples - samples / 6`.
	pub fn train_len(&self) -> usize {
		self.labels.len() - self.labels.len() / 6
	}

	/// Indices of the held-out samples: the last `samples / 6`.
	pub fn held_out(&self) -> std::ops::Range<usize> {
		self.train_len()..self.labels.len()
	}

	/// Model inputs of the samples at `indices`, row-major `[indices.len(), features]`: each
	/// feature `v` as `v / max_value`.
	pub fn gather_inputs(&self, indices: impl IntoIterator<Item = usize>) -> Vec<f32> {
		let scale = f32::from(self.header.max_value);
		indices
			.into_iter()
			.flat_map(|i| self.features(i).iter().map(move |&v| f32::from(v) / scale))
			.collect()
	}

	/// Feature bytes of sample `index`, as in the file: a language model's window of token ids.
	pub fn features(&self, index: usize) -> &[u8] {
		let features = self.header.features as usize;
		&self.features[index * features..(index + 1) * features]
	}

	/// Label of sample `index`.
	pub fn label(&self, index: usize) -> u8 {
		self.labels[index]
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn tiny(samples: u32) -> Vec<u8> {
		let header = Header { samples, features: 2, classes: 3, max_value: 4 };
		let mut bytes = header.encode().to_vec();
		for i in 0..samples {
			bytes.extend_from_slice(&[(i % 5) as u8, 4, (i % 3) as u8]);
		}
		bytes
	}

	fn reference(bytes: &[u8]) -> DatasetRef {
		dataset_ref(bytes, Uri::truncate_from(b"file:tiny".to_vec()))
	}

	#[test]
	fn decodes_and_splits() {
		let bytes = tiny(13);
		let data = Dataset::from_bytes(&bytes, &reference(&bytes)).unwrap();
		assert_eq!(data.header(), Header { samples: 13, features: 2, classes: 3, max_value: 4 });
		assert_eq!(data.train_len(), 11);
		assert_eq!(data.held_out(), 11..13);
		assert_eq!(data.gather_inputs([1, 0]), vec![0.25, 1.0, 0.0, 1.0]);
		assert_eq!(data.features(1), [1, 4]);
		assert_eq!(data.label(2), 2);
	}

	#[test]
	fn a_changed_byte_or_size_is_a_hash_mismatch() {
		let bytes = tiny(13);
		let expected = reference(&bytes);
		let mut changed = bytes.clone();
		changed[HEADER_LEN] ^= 1;
		assert!(matches!(
			Dataset::from_bytes(&changed, &expected),
			Err(DatasetError::HashMismatch { .. })
		));
		let mut wrong_size = expected.clone();
		wrong_size.size += 1;
		assert!(matches!(
			Dataset::from_bytes(&bytes, &wrong_size),
			Err(DatasetError::HashMismatch { .. })
		));
	}

	#[test]
	fn malformed_files_are_rejected() {
		let check = |bytes: Vec<u8>| Dataset::from_bytes(&bytes, &reference(&bytes)).map(|_| ());
		assert!(matches!(check(tiny(5)), Err(DatasetError::TooSmall(5))));
		let mut truncated = tiny(13);
		truncated.pop();
		assert!(matches!(check(truncated), Err(DatasetError::Malformed(_))));
		let mut bad_label = tiny(13);
		bad_label[HEADER_LEN + 2] = 3;
		assert!(matches!(check(bad_label), Err(DatasetError::Malformed(_))));
		let mut bad_value = tiny(13);
		bad_value[HEADER_LEN] = 5;
		assert!(matches!(check(bad_value), Err(DatasetError::Malformed(_))));
		let mut bad_magic = tiny(13);
		bad_magic[0] = b'X';
		assert!(matches!(check(bad_magic), Err(DatasetError::Malformed(_))));
		assert!(matches!(check(vec![1, 2, 3]), Err(DatasetError::Malformed(_))));
	}
}
