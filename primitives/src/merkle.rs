//! Commitments to a solver's checkpoints: a binary Merkle tree over checkpoint hashes, built with
//! polkadot-sdk's `binary-merkle-tree` and BLAKE2b-256. The worker builds roots and proofs with
//! these functions and the runtime checks proofs with them, so both always agree.

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;

use crate::Hash256;

/// BLAKE2b-256 as a `hash_db::Hasher`, the interface `binary-merkle-tree` builds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blake2Hasher;

impl hash_db::Hasher for Blake2Hasher {
	type Out = Hash256;
	type StdHasher = hash256_std_hasher::Hash256StdHasher;
	const LENGTH: usize = 32;

	fn hash(data: &[u8]) -> Hash256 {
		sp_crypto_hashing::blake2_256(data)
	}
}

/// BLAKE2b-256 of `data`: the hash of artifacts, datasets and checkpoint encodings.
pub fn blake2_256(data: &[u8]) -> Hash256 {
	sp_crypto_hashing::blake2_256(data)
}

/// Proof that `leaf` is checkpoint `leaf_index` of `number_of_leaves` under some root.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct CheckpointProof {
	/// Hash of the checkpoint being proved.
	pub leaf: Hash256,
	/// Position of the checkpoint, from 0 (the initial model).
	pub leaf_index: u32,
	/// Checkpoints under the root.
	pub number_of_leaves: u32,
	/// Sibling hashes from the leaf up to, not including, the root.
	pub siblings: Vec<Hash256>,
}

/// Root over checkpoint hashes, in order. The leaves are hashes already and are not rehashed.
pub fn checkpoint_root(leaves: &[Hash256]) -> Hash256 {
	binary_merkle_tree::merkle_root_raw::<Blake2Hasher, _>(leaves.iter().copied())
}

/// Proof of checkpoint `index`, or `None` when there is no such checkpoint.
pub fn checkpoint_proof(leaves: &[Hash256], index: u32) -> Option<CheckpointProof> {
	if index as usize >= leaves.len() {
		return None;
	}
	let proof =
		binary_merkle_tree::merkle_proof_raw::<Blake2Hasher, _>(leaves.iter().copied(), index);
	Some(CheckpointProof {
		leaf: proof.leaf,
		leaf_index: proof.leaf_index,
		number_of_leaves: proof.number_of_leaves,
		siblings: proof.proof,
	})
}

/// Siblings on the path from leaf `index` of `number_of_leaves` to the root. The last node of an
/// odd row is promoted without a sibling, so paths differ in length.
fn path_length(mut index: u32, mut width: u32) -> usize {
	let mut siblings = 0;
	while width > 1 {
		let promoted = index % 2 == 0 && index.saturating_add(1) == width;
		if !promoted {
			siblings += 1;
		}
		index /= 2;
		width = width.div_ceil(2);
	}
	siblings
}

/// Whether `proof` shows its leaf under `root`. A proof with fewer siblings than the leaf's path
/// is refused: it would present an inner node of the tree as a checkpoint.
pub fn verify_checkpoint(root: &Hash256, proof: &CheckpointProof) -> bool {
	proof.siblings.len() == path_length(proof.leaf_index, proof.number_of_leaves)
		&& binary_merkle_tree::verify_proof::<Blake2Hasher, _, _>(
			root,
			proof.siblings.iter().copied(),
			proof.number_of_leaves,
			proof.leaf_index,
			binary_merkle_tree::Leaf::Hash(proof.leaf),
		)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn leaves(n: u8) -> Vec<Hash256> {
		(0..n).map(|i| blake2_256(&[i])).collect()
	}

	#[test]
	fn every_leaf_proves_against_the_root_for_any_tree_size() {
		for n in 1..=17 {
			let leaves = leaves(n);
			let root = checkpoint_root(&leaves);
			for index in 0..n as u32 {
				let proof = checkpoint_proof(&leaves, index).expect("index in range");
				assert_eq!(proof.leaf, leaves[index as usize]);
				assert!(verify_checkpoint(&root, &proof), "leaf {index} of {n}");
			}
			assert!(checkpoint_proof(&leaves, n as u32).is_none());
		}
	}

	#[test]
	fn a_forged_leaf_position_or_root_fails() {
		let leaves = leaves(11);
		let root = checkpoint_root(&leaves);
		let proof = checkpoint_proof(&leaves, 4).unwrap();
		let mut forged = proof.clone();
		forged.leaf = blake2_256(b"not a checkpoint");
		assert!(!verify_checkpoint(&root, &forged));
		let mut moved = proof.clone();
		moved.leaf_index = 5;
		assert!(!verify_checkpoint(&root, &moved));
		let mut out_of_range = proof.clone();
		out_of_range.leaf_index = 11;
		assert!(!verify_checkpoint(&root, &out_of_range));
		assert!(!verify_checkpoint(&checkpoint_root(&leaves[..10]), &proof));
	}

	#[test]
	fn an_inner_node_is_not_a_checkpoint() {
		let leaves = leaves(4);
		let root = checkpoint_root(&leaves);
		let pair = |a: &Hash256, b: &Hash256| blake2_256(&[a.as_slice(), b.as_slice()].concat());
		let inner = CheckpointProof {
			leaf: pair(&leaves[0], &leaves[1]),
			leaf_index: 0,
			number_of_leaves: 4,
			siblings: vec![pair(&leaves[2], &leaves[3])],
		};
		// The upstream check alone accepts it; the path length does not.
		assert!(binary_merkle_tree::verify_proof::<Blake2Hasher, _, _>(
			&root,
			inner.siblings.iter().copied(),
			4,
			0,
			binary_merkle_tree::Leaf::Hash(inner.leaf),
		));
		assert!(!verify_checkpoint(&root, &inner));
	}

	#[test]
	fn the_root_commits_to_order() {
		let mut swapped = leaves(4);
		let root = checkpoint_root(&swapped);
		swapped.swap(1, 2);
		assert_ne!(checkpoint_root(&swapped), root);
	}
}
