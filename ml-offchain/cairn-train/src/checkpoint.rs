//! Checkpoints: the canonical encoding of a training state (see [`crate::encoding`]) and its hash.

use cairn_primitives::{merkle::blake2_256, Hash256};

use crate::encoding::{
	decode_checkpoint, encode_checkpoint, encode_weights, Contents, MalformedCheckpoint,
};

/// A training state at some step: its canonical bytes and their BLAKE2b-256 hash, the leaf a
/// solver commits to in the checkpoint Merkle tree.
#[derive(Clone, PartialEq, Eq)]
pub struct Checkpoint {
	step: u32,
	bytes: Vec<u8>,
	hash: Hash256,
}

impl std::fmt::Debug for Checkpoint {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Checkpoint")
			.field("step", &self.step)
			.field("len", &self.bytes.len())
			.field("hash", &hex::encode(self.hash))
			.finish()
	}
}

impl Checkpoint {
	/// Checks that `bytes` are a well-formed checkpoint encoding (whether they fit a given task is
	/// checked when training resumes from them).
	pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, MalformedCheckpoint> {
		let step = decode_checkpoint(&bytes)?.step;
		Ok(Self { step, hash: blake2_256(&bytes), bytes })
	}

	pub(crate) fn from_contents(contents: &Contents) -> Self {
		let bytes = encode_checkpoint(contents);
		Self { step: contents.step, hash: blake2_256(&bytes), bytes }
	}

	pub(crate) fn contents(&self) -> Result<Contents, MalformedCheckpoint> {
		decode_checkpoint(&self.bytes)
	}

	/// Optimizer steps taken before this state.
	pub fn step(&self) -> u32 {
		self.step
	}

	/// The canonical encoding.
	pub fn bytes(&self) -> &[u8] {
		&self.bytes
	}

	/// The canonical encoding, by value.
	pub fn into_bytes(self) -> Vec<u8> {
		self.bytes
	}

	/// BLAKE2b-256 of the encoding.
	pub fn hash(&self) -> Hash256 {
		self.hash
	}

	/// The weights encoding of this state's parameters (no optimizer state, no step): the bytes a
	/// trained model is registered and served as.
	pub fn weights(&self) -> Result<Vec<u8>, MalformedCheckpoint> {
		let contents = self.contents()?;
		let parameters: Vec<_> =
			contents.tensors.into_iter().filter(|t| !t.name.starts_with("optim.")).collect();
		Ok(encode_weights(&parameters))
	}
}
