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
	/// The hash the verifier computed (the endpoints: checkpoint 0 and the final weights; and an
	/// arbiter's value).
	Hash(Hash256),
	/// The solver did not serve what the verifier needed (the starting checkpoint or a proof).
	Unavailable,
	/// A replayed segment's last checkpoint hash and its **witness**: the canonical state hash at
	/// [`witness_step`], which the solver never serves, so that only a verifier that replayed the
	/// segment knows it (or, when it is due a forced error, [`forced_witness`] of it).
	Witnessed { hash: Hash256, witness: Hash256 },
}

impl Computed {
	/// The computed hash, if the verifier computed one.
	pub fn hash(&self) -> Option<Hash256> {
		match self {
			Computed::Hash(hash) | Computed::Witnessed { hash, .. } => Some(*hash),
			Computed::Unavailable => None,
		}
	}

	/// The witness, if the finding carries one.
	pub fn witness(&self) -> Option<Hash256> {
		match self {
			Computed::Witnessed { witness, .. } => Some(*witness),
			_ => None,
		}
	}
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

/// The training step whose state a verifier of target `target` witnesses: the middle of its
/// segment, steps `(target - 1) * interval` to `target * interval`. `None` for target 0 (nothing is
/// replayed) and for one-step segments (no state inside them), which the task market refuses.
pub fn witness_step(interval: u32, target: u32) -> Option<u32> {
	if interval < 2 || target == 0 {
		return None;
	}
	target.checked_sub(1)?.checked_mul(interval)?.checked_add(interval / 2)
}

/// The witness step of target `target` of a run committed with `checkpoint_count` checkpoints,
/// every `interval` steps, of a network whose step trace has `trace_len` positions
/// ([`crate::task::step_trace_len`] of the trained architecture, the parent's for a continuation):
/// segment targets of networks workers trace (whose disputes can bisect down to one operation),
/// none for the endpoints.
pub fn witness_step_of(
	trace_len: Option<u32>,
	interval: u32,
	checkpoint_count: u32,
	target: u32,
) -> Option<u32> {
	if trace_len.is_none() || target >= checkpoint_count {
		return None;
	}
	witness_step(interval, target)
}

/// The commitment to a verifier's forced-error secret, registered before it is drawn.
pub fn secret_commitment(secret: &Hash256) -> Hash256 {
	blake2_256(&(b"cairn/secret", secret).encode())
}

/// Which of a check's `witnessed` witnesses (by position among the check's witnessed targets)
/// its verifier must get wrong on purpose, if any: drawn from its secret, so nobody else can tell
/// before the verifier reveals the secret, and from the task and round, so the verifier cannot
/// choose. Due with probability `rate_ppb` parts per billion.
pub fn forced_error(
	secret: &Hash256,
	task: TaskId,
	round: u8,
	rate_ppb: u32,
	witnessed: u32,
) -> Option<u32> {
	let draw = blake2_256(&(b"cairn/forced", secret, task, round).encode());
	let unit = u64::from(u32::from_le_bytes([draw[0], draw[1], draw[2], draw[3]]));
	let due = (unit * 1_000_000_000) >> 32 < u64::from(rate_ppb);
	let position = u32::from_le_bytes([draw[4], draw[5], draw[6], draw[7]]);
	(due && witnessed > 0).then(|| position % witnessed)
}

/// The wrong witness a verifier due a forced error reveals instead of `witness`: unpredictable
/// without the true witness, so only re-execution tells it from a made-up one.
pub fn forced_witness(witness: &Hash256) -> Hash256 {
	blake2_256(&(b"cairn/forced-witness", witness).encode())
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
	fn the_witness_is_the_middle_of_the_segment() {
		assert_eq!(witness_step(10, 1), Some(5));
		assert_eq!(witness_step(10, 3), Some(25));
		assert_eq!(witness_step(3, 2), Some(4));
		assert_eq!(witness_step(2, 1), Some(1));
		assert_eq!(witness_step(1, 1), None);
		assert_eq!(witness_step(10, 0), None);
		assert_eq!(witness_step(u32::MAX, 3), None);
	}

	#[test]
	fn forced_errors_come_at_the_rate_and_spread_over_the_witnesses() {
		let mut due = 0;
		let mut positions = [0u32; 4];
		for task in 0..20_000u64 {
			if let Some(position) = forced_error(&[7; 32], task, 0, 100_000_000, 4) {
				due += 1;
				positions[position as usize] += 1;
			}
		}
		// 10% of 20,000: 2,000 with a standard deviation of about 42.
		assert!((1_800..2_200).contains(&due), "{due} forced errors");
		assert!(positions.iter().all(|&count| count > 400), "{positions:?}");
		assert_eq!(forced_error(&[7; 32], 1, 0, 1_000_000_000, 0), None);
		assert!((0..100).all(|task| forced_error(&[7; 32], task, 0, 0, 4).is_none()));
		assert!((0..100).all(|task| forced_error(&[7; 32], task, 0, 1_000_000_000, 4).is_some()));
		let draws = |secret: Hash256, round: u8| -> Vec<Option<u32>> {
			(0..64).map(|task| forced_error(&secret, task, round, 500_000_000, 4)).collect()
		};
		assert_ne!(draws([7; 32], 0), draws([8; 32], 0));
		assert_ne!(draws([7; 32], 0), draws([7; 32], 1));
	}

	#[test]
	fn secrets_and_forced_witnesses_have_their_own_domains() {
		assert_ne!(secret_commitment(&[1; 32]), secret_commitment(&[2; 32]));
		assert_ne!(forced_witness(&[1; 32]), [1; 32]);
		assert_ne!(forced_witness(&[1; 32]), secret_commitment(&[1; 32]));
		let witnessed = Computed::Witnessed { hash: [1; 32], witness: [2; 32] };
		assert_eq!((witnessed.hash(), witnessed.witness()), (Some([1; 32]), Some([2; 32])));
		assert_eq!(
			(Computed::Hash([1; 32]).hash(), Computed::Hash([1; 32]).witness()),
			(Some([1; 32]), None)
		);
		assert_eq!(Computed::Unavailable.hash(), None);
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
