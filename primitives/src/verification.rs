//! Verification of a solver's result: what a verifier is asked to reproduce, what it reveals, and
//! the commitment that hides its answer until every verifier has committed.
//!
//! A **target** is something a verifier recomputes and the chain compares with the solver's
//! commitment. For a task with `n` checkpoints, target `j < n` is checkpoint `j` (target 0 from the
//! spec alone, target `j > 0` by replaying segment `j - 1` from checkpoint `j - 1`, steps
//! `(j - 1) * interval` to `j * interval`), compared with leaf `j` of the checkpoint root; target
//! `n` is the canonical hash of the weights in the last checkpoint, compared with the committed
//! `final_weights_hash`. The worker and the runtime both use [`reveal_commitment`].

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{merkle::blake2_256, Hash256, TaskId};

/// Most targets one verifier checks in one round: a full sample and the three fixed targets
/// (the initial checkpoint, the last checkpoint and the final weights).
pub const MAX_TARGETS_PER_CHECK: u32 = crate::task::MAX_SEGMENTS_PER_VERIFIER as u32 + 3;
/// Most siblings of a checkpoint proof: the tree over at most `MAX_CHECKPOINTS` leaves is 10 deep.
pub const MAX_PROOF_SIBLINGS: u32 = 16;

/// Sibling hashes of a checkpoint proof, bounded.
pub type Siblings = BoundedVec<Hash256, ConstU32<MAX_PROOF_SIBLINGS>>;

/// What a verifier found for one target, before the chain compares it with the solver's value.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Computed {
	/// The hash the verifier computed.
	Hash(Hash256),
	/// The solver did not serve what the verifier needed (the starting checkpoint or a proof).
	Unavailable,
}

/// One revealed target: the computed value and, where the chain does not know the solver's leaf
/// yet, the solver's leaf with its Merkle proof (as served by the solver).
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Finding {
	/// What the verifier computed, or that it could not.
	pub computed: Computed,
	/// The solver's leaf for this target and its siblings up to the committed root.
	pub leaf: Option<(Hash256, Siblings)>,
}

/// How a revealed finding compares with the solver's commitment.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Verdict {
	/// The verifier computed the solver's value.
	Agree,
	/// The verifier computed another value.
	Disagree,
	/// The verifier could not compute it: the solver did not serve its checkpoints.
	Unavailable,
}

/// The commitment a verifier posts before revealing: BLAKE2b-256 of the SCALE encoding of the
/// task, the round, the verifier's account (encoded), its computed values in target order and a
/// secret salt. Binding the account stops a verifier from posting a copy of another's commitment.
pub fn reveal_commitment(
	task: TaskId,
	round: u8,
	verifier: &[u8],
	computed: &[Computed],
	salt: &Hash256,
) -> Hash256 {
	blake2_256(&(b"cairn/reveal", task, round, verifier, computed, salt).encode())
}

/// The commitment an arbiter posts before revealing: BLAKE2b-256 of the SCALE encoding of the
/// task, the dispute's serial number within the task's verification, the committee's attempt
/// within the dispute, the arbiter's account (encoded), the value it computed and a secret salt.
/// Its own domain tag keeps it from ever matching a verifier's [`reveal_commitment`].
pub fn arbitration_commitment(
	task: TaskId,
	dispute: u8,
	attempt: u8,
	arbiter: &[u8],
	computed: &Computed,
	salt: &Hash256,
) -> Hash256 {
	blake2_256(&(b"cairn/arbitrate", task, dispute, attempt, arbiter, computed, salt).encode())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_commitment_binds_every_input() {
		let computed = [Computed::Hash([1; 32]), Computed::Unavailable];
		let base = reveal_commitment(3, 0, b"bob", &computed, &[9; 32]);
		assert_ne!(base, reveal_commitment(4, 0, b"bob", &computed, &[9; 32]));
		assert_ne!(base, reveal_commitment(3, 1, b"bob", &computed, &[9; 32]));
		assert_ne!(base, reveal_commitment(3, 0, b"eve", &computed, &[9; 32]));
		assert_ne!(base, reveal_commitment(3, 0, b"bob", &computed[..1], &[9; 32]));
		assert_ne!(base, reveal_commitment(3, 0, b"bob", &computed, &[8; 32]));
		assert_eq!(base, reveal_commitment(3, 0, b"bob", &computed, &[9; 32]));
	}

	#[test]
	fn the_arbitration_commitment_binds_every_input() {
		let computed = Computed::Hash([1; 32]);
		let base = arbitration_commitment(3, 0, 0, b"bob", &computed, &[9; 32]);
		assert_ne!(base, arbitration_commitment(4, 0, 0, b"bob", &computed, &[9; 32]));
		assert_ne!(base, arbitration_commitment(3, 1, 0, b"bob", &computed, &[9; 32]));
		assert_ne!(base, arbitration_commitment(3, 0, 1, b"bob", &computed, &[9; 32]));
		assert_ne!(base, arbitration_commitment(3, 0, 0, b"eve", &computed, &[9; 32]));
		assert_ne!(base, arbitration_commitment(3, 0, 0, b"bob", &Computed::Unavailable, &[9; 32]));
		assert_ne!(base, arbitration_commitment(3, 0, 0, b"bob", &computed, &[8; 32]));
		assert_ne!(base, reveal_commitment(3, 0, b"bob", &[computed.clone()], &[9; 32]));
		assert_eq!(base, arbitration_commitment(3, 0, 0, b"bob", &computed, &[9; 32]));
	}
}
