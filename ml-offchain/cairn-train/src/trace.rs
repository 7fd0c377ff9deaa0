//! The trace of one training step: what a dispute bisects once it has pinpointed the step.
//!
//! A dispute over a segment first bisects over its steps (the parties post checkpoint hashes at
//! steps), then, inside the one step whose input both accept and whose output they dispute, over
//! the positions of that step's trace; arbiters re-execute the step from the agreed input state
//! and check the value at one position. These are protocol rules: every party must compute the
//! same values.
//!
//! The trace of the step taken from state `S` has the positions `0..=K`, where
//! `K = cairn_primitives::task::step_trace_len(architecture)` (`6·L + 1` for an MLP of `L`
//! linear layers, `6·(C + D) + P + 1` for a CNN of `C` convolutions, `P` of them pooled,
//! and `D` dense layers, `35·B + 17` for a transformer of `B` blocks):
//!
//! * position 0 is `S`'s checkpoint hash;
//! * positions 1 to `K − 1` are the links of a hash chain over the tensors the step computes,
//!   in this order:
//!   1. for a CNN, for each convolution from the input up, its output (`[batch, out, h, w]`),
//!      its activation output and, when pooled, the max-pool's output (`[batch, out, h/2, w/2]`);
//!      then, for each linear layer from the input up (an MLP's or a CNN's dense layers), its
//!      linear output `x·W + b` (`[batch, out]`), then, but for the last layer, its activation
//!      output; for a transformer, the embedding sum (`[batch, context, width]`), then for each
//!      block its first layer norm's output, the fused query-key-value projection, the
//!      attention probabilities (`[batch, heads, context, context]`), the heads' merged
//!      outputs, the attention's output projection, the residual sum, the second layer norm's
//!      output, the feed-forward layer's first linear output, its activation, its second
//!      linear output and the residual sum, then the final layer norm's output and the logits
//!      (each `[batch, context, columns]` but the probabilities; see
//!      `crate::model::transformer`);
//!   2. the loss (the batch's mean cross-entropy, over every position of a transformer's
//!      windows, shape `[1]`);
//!   3. for each parameter pair in canonical order (see `crate::model`; convolutions first),
//!      the gradient of its first tensor (a weight), then of its second (a bias), in the
//!      tensors' canonical shapes (a convolution's weight `[out, in, k, k]`, a transformer's
//!      position embedding `[context, width]`);
//!   4. for each pair, its first tensor, then its second, after the optimizer's update.
//!
//!   With `c₀ = S.hash()` and `hₖ` the [tensor hash](tensor_hash) of the `k`-th tensor, link `k`
//!   is `cₖ = BLAKE2b-256("cairn/trace" ‖ cₖ₋₁ ‖ hₖ)`: `K − 1` links, one per tensor;
//! * position `K` is the checkpoint hash of the output state, the one the training loop reaches
//!   one step after `S`.
//!
//! The tensors are the ones training computes, bit for bit: the forward pass records them as it
//! runs, the gradients are autodiff's, the updated parameters the optimizer's, and the step runs
//! on the same batch (a function of the step, see [`crate::batches`]). Tracing reads them back to
//! the host and changes no value of the step.

use std::iter;

use cairn_primitives::{merkle::blake2_256, Hash256};

use crate::{
	checkpoint::Checkpoint,
	dataset::Dataset,
	trainer::{Job, TrainError, Trainer},
};

const TENSOR_DOMAIN: &[u8] = b"cairn/tensor";
const TRACE_DOMAIN: &[u8] = b"cairn/trace";

/// The canonical hash of a tensor: BLAKE2b-256 of `"cairn/tensor"`, the rank as `u32`, every
/// dimension as `u32`, then the values in row-major order as their IEEE-754 binary32 bit
/// patterns, `u32` each, all little-endian. The rank makes the encoding unambiguous: no two
/// shapes with their values encode alike.
pub fn tensor_hash(shape: &[usize], values: &[f32]) -> Hash256 {
	let mut bytes = Vec::with_capacity(TENSOR_DOMAIN.len() + 4 * (1 + shape.len() + values.len()));
	bytes.extend_from_slice(TENSOR_DOMAIN);
	bytes.extend_from_slice(&(shape.len() as u32).to_le_bytes());
	for &dim in shape {
		bytes.extend_from_slice(&(dim as u32).to_le_bytes());
	}
	for value in values {
		bytes.extend_from_slice(&value.to_bits().to_le_bytes());
	}
	blake2_256(&bytes)
}

/// The link after `previous` for a tensor of hash `tensor`.
fn link(previous: &Hash256, tensor: &Hash256) -> Hash256 {
	blake2_256(&[TRACE_DOMAIN, previous, tensor].concat())
}

/// The trace of the step the training of `spec` on `dataset` takes from `state` (see the module
/// documentation): `K + 1` values, position `p` at index `p`. Fails as [`Trainer::resume`] does
/// when `state` is not a state of this task, and with [`TrainError::Finished`] when `state` is
/// the last one.
pub fn step_trace<'a>(
	job: impl Into<Job<'a>>,
	dataset: &'a Dataset,
	state: &Checkpoint,
) -> Result<Vec<Hash256>, TrainError> {
	let mut trainer = Trainer::resume(job, dataset, state)?;
	let tensors = trainer.traced_step()?;
	let output = trainer.checkpoint()?.hash();
	let links = tensors.iter().scan(state.hash(), |chain, (shape, values)| {
		*chain = link(chain, &tensor_hash(shape, values));
		Some(*chain)
	});
	Ok(iter::once(state.hash()).chain(links).chain(iter::once(output)).collect())
}

/// Position `position` of the trace of the step from `state` (see [`step_trace`]), what an
/// arbiter checks; [`TrainError::TracePosition`] past the last position.
pub fn trace_value<'a>(
	job: impl Into<Job<'a>>,
	dataset: &'a Dataset,
	state: &Checkpoint,
	position: u32,
) -> Result<Hash256, TrainError> {
	let trace = step_trace(job, dataset, state)?;
	let last = trace.len() as u32 - 1;
	trace
		.get(position as usize)
		.copied()
		.ok_or(TrainError::TracePosition { position, last })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_tensor_hash_is_the_documented_encoding() {
		let mut expected = b"cairn/tensor".to_vec();
		for word in [2u32, 1, 2, 1.5f32.to_bits(), (-0.0f32).to_bits()] {
			expected.extend_from_slice(&word.to_le_bytes());
		}
		assert_eq!(tensor_hash(&[1, 2], &[1.5, -0.0]), blake2_256(&expected));
	}

	#[test]
	fn the_tensor_hash_tells_shapes_and_bit_patterns_apart() {
		let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
		let hashes = [
			tensor_hash(&[6], &values),
			tensor_hash(&[2, 3], &values),
			tensor_hash(&[3, 2], &values),
			tensor_hash(&[1, 6], &values),
		];
		for (i, a) in hashes.iter().enumerate() {
			for b in &hashes[i + 1..] {
				assert_ne!(a, b);
			}
		}
		assert_ne!(tensor_hash(&[1], &[0.0]), tensor_hash(&[1], &[-0.0]));
	}

	#[test]
	fn a_link_is_the_documented_hash() {
		let mut expected = b"cairn/trace".to_vec();
		expected.extend_from_slice(&[1; 32]);
		expected.extend_from_slice(&[2; 32]);
		assert_eq!(link(&[1; 32], &[2; 32]), blake2_256(&expected));
	}
}
