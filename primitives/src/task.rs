//! Training tasks: what a submitter asks for and what a solver commits to.

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{Architecture, Hash256, ModelId};

/// Longest dataset or artifact URI, in bytes.
pub const MAX_URI_LEN: u32 = 256;
/// Most checkpoints a task may produce (including the initial one).
pub const MAX_CHECKPOINTS: u32 = 1024;
/// Most verifiers a task may ask for.
pub const MAX_VERIFIERS: u8 = 16;
/// Most segments one verifier may be asked to re-execute.
pub const MAX_SEGMENTS_PER_VERIFIER: u8 = 32;
/// Largest inner dimension of a matrix product in training (a layer width or the batch size).
/// Above it, the CPU kernels split products into blocks sized by the machine's caches, so honest
/// machines of one class could compute other bits; tasks stay at or below it.
pub const MAX_EXACT_DIMENSION: u32 = 512;
/// Largest batch a task may use: the batch is the inner dimension of the weight gradients. A
/// transformer's is `batch * context` tokens, so its batch is smaller ([`max_batch_size`]).
pub const MAX_BATCH_SIZE: u32 = MAX_EXACT_DIMENSION;

/// Longest name or license of the model a task produces, in bytes.
pub const MAX_LABEL_LEN: u32 = 64;

/// A URI, bounded by [`MAX_URI_LEN`].
pub type Uri = BoundedVec<u8, ConstU32<MAX_URI_LEN>>;
/// A short label such as a model name or an SPDX license, bounded by [`MAX_LABEL_LEN`].
pub type Label = BoundedVec<u8, ConstU32<MAX_LABEL_LEN>>;

/// Where a task's model starts from.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum ModelInit {
	/// A new network, initialised from `init_seed`.
	Fresh { architecture: Architecture, init_seed: u64 },
	/// Continue training a registered model: the result records it as parent.
	FromRegistry { model: ModelId },
}

/// The training data, fetched off-chain and checked against `hash`.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct DatasetRef {
	/// BLAKE2b-256 of the dataset file.
	pub hash: Hash256,
	/// Size of the dataset file in bytes.
	pub size: u64,
	/// Where the dataset can be downloaded.
	pub uri: Uri,
}

/// Optimizer and its hyper-parameters as IEEE-754 `f32` bit patterns (`f32::to_bits`), so the
/// runtime never handles floats and every party decodes exactly the same numbers.
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
pub enum Optimizer {
	/// Stochastic gradient descent with momentum (`momentum_bits` = 0.0 for none).
	Sgd { learning_rate_bits: u32, momentum_bits: u32 },
	/// Adam.
	Adam { learning_rate_bits: u32, beta1_bits: u32, beta2_bits: u32, epsilon_bits: u32 },
}

/// How to train.
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
pub struct TrainingConfig {
	/// Optimizer and its hyper-parameters.
	pub optimizer: Optimizer,
	/// Samples per step.
	pub batch_size: u32,
	/// Optimizer steps in total; a multiple of `checkpoint_interval`.
	pub steps: u32,
	/// Seed of the order in which samples are drawn.
	pub data_order_seed: u64,
	/// Steps between checkpoints; each span between two checkpoints is one verifiable segment.
	pub checkpoint_interval: u32,
}

/// How the result is checked.
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
pub struct VerificationPolicy {
	/// Verifiers drawn for the task.
	pub verifiers: u8,
	/// Segments each verifier re-executes.
	pub segments_per_verifier: u8,
}

/// Everything a submitter specifies about a training job.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct TaskSpec {
	/// Name under which the trained model is registered.
	pub name: Label,
	/// License of the trained model (an SPDX expression such as `Apache-2.0`).
	pub license: Label,
	/// The model to start from.
	pub model: ModelInit,
	/// The data to train on.
	pub dataset: DatasetRef,
	/// How to train.
	pub training: TrainingConfig,
	/// How the result is verified.
	pub verification: VerificationPolicy,
}

/// What a solver commits to when it has trained.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ResultCommitment {
	/// Hash of the canonical encoding of the final weights.
	pub final_weights_hash: Hash256,
	/// Binary Merkle root over the canonical hashes of every checkpoint, in order.
	pub checkpoint_root: Hash256,
	/// Number of checkpoints under the root, the initial one included.
	pub checkpoint_count: u32,
	/// Where the checkpoints and final weights are served.
	pub artifacts_uri: Uri,
}

/// Why a [`TaskSpec`] is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecError {
	/// The fresh model's architecture is invalid or not trainable by Cairn workers.
	Architecture,
	/// Zero or too large batch, zero steps or interval, or steps not a multiple of the interval.
	Training,
	/// More checkpoints than [`MAX_CHECKPOINTS`].
	TooManyCheckpoints,
	/// No verifiers or segments, or more than the limits.
	Verification,
	/// Empty dataset.
	Dataset,
	/// Empty model name.
	Name,
	/// A learning rate or other hyper-parameter is not a finite, positive number where required.
	Optimizer,
}

impl TrainingConfig {
	/// Checkpoints the task produces: one at step 0 and one after every interval.
	pub fn checkpoint_count(&self) -> u32 {
		self.steps.checked_div(self.checkpoint_interval).unwrap_or(0).saturating_add(1)
	}
}

/// Whether an `f32` bit pattern is a finite number greater than zero.
fn positive_finite(bits: u32) -> bool {
	let exponent = (bits >> 23) & 0xff;
	bits >> 31 == 0 && exponent != 0xff && bits != 0
}

/// Whether an `f32` bit pattern is a finite number in `[0, 1)`.
fn unit_fraction(bits: u32) -> bool {
	// Non-negative floats order like their bit patterns; 0x3f80_0000 is 1.0.
	bits >> 31 == 0 && bits < 0x3f80_0000
}

impl Optimizer {
	/// SGD with the given learning rate and momentum (0.0 for none).
	pub fn sgd(learning_rate: f32, momentum: f32) -> Self {
		Optimizer::Sgd {
			learning_rate_bits: learning_rate.to_bits(),
			momentum_bits: momentum.to_bits(),
		}
	}

	/// Adam with the given learning rate and PyTorch's default betas (0.9, 0.999) and epsilon (1e-8).
	pub fn adam(learning_rate: f32) -> Self {
		Optimizer::Adam {
			learning_rate_bits: learning_rate.to_bits(),
			beta1_bits: 0.9f32.to_bits(),
			beta2_bits: 0.999f32.to_bits(),
			epsilon_bits: 1e-8f32.to_bits(),
		}
	}

	fn validate(&self) -> Result<(), SpecError> {
		let ok = match *self {
			Optimizer::Sgd { learning_rate_bits, momentum_bits } => {
				positive_finite(learning_rate_bits) && unit_fraction(momentum_bits)
			},
			Optimizer::Adam { learning_rate_bits, beta1_bits, beta2_bits, epsilon_bits } => {
				positive_finite(learning_rate_bits)
					&& unit_fraction(beta1_bits)
					&& unit_fraction(beta2_bits)
					&& positive_finite(epsilon_bits)
			},
		};
		if ok {
			Ok(())
		} else {
			Err(SpecError::Optimizer)
		}
	}
}

impl TaskSpec {
	/// Checks everything that does not need chain state (a registered model is checked by the
	/// pallet that knows the registry).
	pub fn validate(&self) -> Result<(), SpecError> {
		if self.name.is_empty() {
			return Err(SpecError::Name);
		}
		if let ModelInit::Fresh { architecture, .. } = &self.model {
			if !trainable(architecture) {
				return Err(SpecError::Architecture);
			}
			if self.training.batch_size > max_batch_size(architecture) {
				return Err(SpecError::Training);
			}
		}
		if self.dataset.size == 0 {
			return Err(SpecError::Dataset);
		}
		let t = &self.training;
		if t.batch_size == 0
			|| t.batch_size > MAX_BATCH_SIZE
			|| t.steps == 0
			|| t.checkpoint_interval == 0
			|| t.steps % t.checkpoint_interval != 0
		{
			return Err(SpecError::Training);
		}
		if t.checkpoint_count() > MAX_CHECKPOINTS {
			return Err(SpecError::TooManyCheckpoints);
		}
		let v = &self.verification;
		if v.verifiers == 0
			|| v.verifiers > MAX_VERIFIERS
			|| v.segments_per_verifier == 0
			|| v.segments_per_verifier > MAX_SEGMENTS_PER_VERIFIER
		{
			return Err(SpecError::Verification);
		}
		t.optimizer.validate()
	}
}

/// Whether Cairn workers train `architecture` bit-exactly: a valid MLP whose every width is at
/// most [`MAX_EXACT_DIMENSION`], a valid transformer whose context, feed-forward width and three
/// times its width (the fused query, key and value) are at most that, or a valid CNN whose flattened features, dense widths and
/// convolutions' inputs per output (`in_channels * kernel²`) are at most that. The one longer
/// reduction of a CNN, a convolution's weight gradient over `batch * height * width` values, is a
/// matrix product of at most [`crate::model::MAX_CHANNELS`] rows by `kernel²` columns, which the
/// CPU kernels block by 512 on every machine (their blocking depends on the cache only for
/// larger outputs).
pub fn trainable(architecture: &Architecture) -> bool {
	let exact = |width: u32| width <= MAX_EXACT_DIMENSION;
	architecture.validate().is_ok()
		&& match architecture {
			Architecture::Mlp(mlp) => mlp.widths().all(exact),
			Architecture::Cnn(cnn) => {
				cnn.flat_features() <= u64::from(MAX_EXACT_DIMENSION)
					&& cnn.hidden.iter().chain([&cnn.output]).all(|&w| exact(w))
					&& cnn.conv_shapes().all(|c| {
						u64::from(c.in_channels) * u64::from(c.kernel * c.kernel)
							<= u64::from(MAX_EXACT_DIMENSION)
					})
			},
			// The fused query-key-value layer's input gradient sums over its 3 * width outputs.
			Architecture::Transformer(net) => {
				exact(net.width.saturating_mul(3)) && exact(net.feed_forward) && exact(net.context)
			},
			Architecture::External { .. } => false,
		}
}

/// Largest batch a task training `architecture` may use: [`MAX_BATCH_SIZE`] samples, but for a
/// transformer as many sequences as fit in [`MAX_EXACT_DIMENSION`] tokens (its weight gradients
/// sum over every token of the batch).
pub fn max_batch_size(architecture: &Architecture) -> u32 {
	match architecture {
		Architecture::Transformer(net) => {
			MAX_EXACT_DIMENSION.checked_div(net.context).unwrap_or_default()
		},
		_ => MAX_BATCH_SIZE,
	}
}

/// Positions of one training step's trace, from its input state (position 0) to its output
/// state (the last position): the range a dispute bisects once it has pinpointed one step. An MLP
/// of `L` linear layers traces, in this order, each layer's linear output and (but the last)
/// its activation, the loss, each layer's weight and bias gradients, each layer's updated weight
/// and bias (`6 * L` tensors), and the output state: `6 * L + 1` positions after the input. A
/// CNN of `C` convolutions (`P` of them pooled) and `D` dense layers traces each convolution's
/// output, activation and (when pooled) pool output, then its dense layers as an MLP's, the loss,
/// the gradients and updated parameters of all `C + D` layers: `2 * C + P + 2 * D - 1 + 1 +
/// 4 * (C + D)` tensors and the output state. A transformer of `B` blocks traces its embedding
/// (tokens plus positions), then in each block the first layer norm's output, the fused
/// query-key-value projection, the attention probabilities, the heads' merged outputs, the
/// attention's output projection, the residual sum, the second layer norm's output, the
/// feed-forward layer's first linear output, its activation, its second linear output and the
/// residual sum (11 per block), then the final layer norm's output and the logits; then the loss
/// and the gradients and updates of its `6 * B + 3` parameter pairs: `11 * B + 3 + 1 + 4 * (6 * B
/// + 3)` tensors and the output state. `None` for architectures workers do not train.
pub fn step_trace_len(architecture: &Architecture) -> Option<u32> {
	if !trainable(architecture) {
		return None;
	}
	match architecture {
		Architecture::Mlp(mlp) => {
			let layers = mlp.hidden.len() as u32 + 1;
			Some(6 * layers + 1)
		},
		Architecture::Cnn(cnn) => {
			let convs = cnn.convs.len() as u32;
			let pools = cnn.convs.iter().filter(|c| c.pool).count() as u32;
			let dense = cnn.hidden.len() as u32 + 1;
			Some(2 * convs + pools + 2 * dense + 4 * (convs + dense) + 1)
		},
		Architecture::Transformer(net) => Some(35 * net.blocks + 17),
		Architecture::External { .. } => None,
	}
}

/// Floating-point operations of one training step: about 2 per multiply-add of a sample's forward
/// pass and 4 backward, so `6 * forward_multiply_adds * batch_size` (for an MLP, whose forward
/// pass uses every parameter once, `6 * parameters * batch_size`).
pub fn flops_per_step(architecture: &Architecture, batch_size: u32) -> u128 {
	6u128
		.saturating_mul(u128::from(architecture.forward_multiply_adds()))
		.saturating_mul(u128::from(batch_size))
}

/// Floating-point operations of a whole task: the work estimate behind its price floor.
pub fn task_flops(architecture: &Architecture, training: &TrainingConfig) -> u128 {
	flops_per_step(architecture, training.batch_size).saturating_mul(u128::from(training.steps))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{Activation, Cnn, Conv, Mlp, Transformer};

	fn mlp() -> Architecture {
		Architecture::Mlp(Mlp {
			input: 64,
			hidden: BoundedVec::truncate_from(vec![32]),
			output: 10,
			activation: Activation::Relu,
		})
	}

	fn spec() -> TaskSpec {
		TaskSpec {
			name: BoundedVec::truncate_from(b"digits".to_vec()),
			license: BoundedVec::truncate_from(b"MIT".to_vec()),
			model: ModelInit::Fresh { architecture: mlp(), init_seed: 7 },
			dataset: DatasetRef {
				hash: [1; 32],
				size: 1000,
				uri: BoundedVec::truncate_from(b"http://data".to_vec()),
			},
			training: TrainingConfig {
				optimizer: Optimizer::adam(1e-3),
				batch_size: 32,
				steps: 100,
				data_order_seed: 3,
				checkpoint_interval: 10,
			},
			verification: VerificationPolicy { verifiers: 2, segments_per_verifier: 3 },
		}
	}

	#[test]
	fn a_sound_spec_validates_and_counts_checkpoints() {
		assert_eq!(spec().validate(), Ok(()));
		assert_eq!(spec().training.checkpoint_count(), 11);
	}

	#[test]
	fn bad_training_settings_are_rejected() {
		let mut s = spec();
		s.training.steps = 105;
		assert_eq!(s.validate(), Err(SpecError::Training));
		let mut s = spec();
		s.training.batch_size = 0;
		assert_eq!(s.validate(), Err(SpecError::Training));
		let mut s = spec();
		s.training.checkpoint_interval = 0;
		assert_eq!(s.validate(), Err(SpecError::Training));
		let mut s = spec();
		s.training.steps = MAX_CHECKPOINTS;
		s.training.checkpoint_interval = 1;
		assert_eq!(s.validate(), Err(SpecError::TooManyCheckpoints));
	}

	#[test]
	fn bad_hyper_parameters_are_rejected() {
		for bits in
			[0f32.to_bits(), (-1e-3f32).to_bits(), f32::NAN.to_bits(), f32::INFINITY.to_bits()]
		{
			let mut s = spec();
			s.training.optimizer = Optimizer::Sgd { learning_rate_bits: bits, momentum_bits: 0 };
			assert_eq!(s.validate(), Err(SpecError::Optimizer), "learning rate bits {bits:#x}");
		}
		let mut s = spec();
		s.training.optimizer = Optimizer::sgd(0.1, 1.0);
		assert_eq!(s.validate(), Err(SpecError::Optimizer));
	}

	#[test]
	fn verification_and_dataset_limits_apply() {
		let mut s = spec();
		s.verification.verifiers = 0;
		assert_eq!(s.validate(), Err(SpecError::Verification));
		let mut s = spec();
		s.verification.segments_per_verifier = MAX_SEGMENTS_PER_VERIFIER + 1;
		assert_eq!(s.validate(), Err(SpecError::Verification));
		let mut s = spec();
		s.dataset.size = 0;
		assert_eq!(s.validate(), Err(SpecError::Dataset));
		let mut s = spec();
		s.name = BoundedVec::new();
		assert_eq!(s.validate(), Err(SpecError::Name));
		let mut s = spec();
		s.model = ModelInit::Fresh {
			architecture: Architecture::External {
				family: BoundedVec::truncate_from(b"llama".to_vec()),
				parameters: 7,
			},
			init_seed: 0,
		};
		assert_eq!(s.validate(), Err(SpecError::Architecture));
	}

	#[test]
	fn sizes_where_kernel_blocking_depends_on_the_machine_are_refused() {
		let wide = |width| {
			let mut s = spec();
			s.model = ModelInit::Fresh {
				architecture: Architecture::Mlp(Mlp {
					input: 64,
					hidden: BoundedVec::truncate_from(vec![width]),
					output: 10,
					activation: Activation::Relu,
				}),
				init_seed: 1,
			};
			s
		};
		assert_eq!(wide(MAX_EXACT_DIMENSION).validate(), Ok(()));
		assert_eq!(wide(MAX_EXACT_DIMENSION + 1).validate(), Err(SpecError::Architecture));
		let mut s = spec();
		s.training.batch_size = MAX_EXACT_DIMENSION;
		assert_eq!(s.validate(), Ok(()));
		s.training.batch_size = MAX_EXACT_DIMENSION + 1;
		assert_eq!(s.validate(), Err(SpecError::Training));
	}

	#[test]
	fn flops_scale_with_parameters_batch_and_steps() {
		let params = u128::from(mlp().parameter_count());
		assert_eq!(flops_per_step(&mlp(), 32), 6 * params * 32);
		assert_eq!(task_flops(&mlp(), &spec().training), 6 * params * 32 * 100);
	}

	/// 1x28x28, conv 8 k3 pooled, conv 8 k3 pooled (8x7x7 = 392 features), dense 10.
	fn cnn(hidden: &[u32]) -> Architecture {
		Architecture::Cnn(Cnn {
			channels: 1,
			height: 28,
			width: 28,
			convs: BoundedVec::truncate_from(vec![
				Conv { channels: 8, kernel: 3, pool: true },
				Conv { channels: 8, kernel: 3, pool: true },
			]),
			hidden: BoundedVec::truncate_from(hidden.to_vec()),
			output: 10,
			activation: Activation::Relu,
		})
	}

	#[test]
	fn cnn_flops_count_every_output_position_of_a_convolution() {
		// (1·9+1)·8 at 28·28 positions, (8·9+1)·8 at 14·14, 392·10+10 once.
		let multiply_adds = 80 * 784 + 584 * 196 + 3930;
		assert_eq!(flops_per_step(&cnn(&[]), 32), 6 * multiply_adds * 32);
		assert_eq!(mlp().forward_multiply_adds(), mlp().parameter_count());
	}

	#[test]
	fn cnns_train_exactly_within_the_exact_dimension() {
		assert!(trainable(&cnn(&[])));
		assert!(trainable(&cnn(&[MAX_EXACT_DIMENSION])));
		assert!(!trainable(&cnn(&[MAX_EXACT_DIMENSION + 1])));
		let Architecture::Cnn(mut wide) = cnn(&[]) else { unreachable!() };
		// 16x7x7 = 784 flattened features: the first dense layer's reduction is too long.
		wide.convs[1].channels = 16;
		assert!(!trainable(&Architecture::Cnn(wide.clone())));
		wide.convs[1].channels = 8;
		// 64 channels in, kernel 3: 576 inputs per output.
		wide.convs[0].channels = 64;
		assert!(!trainable(&Architecture::Cnn(wide.clone())));
		wide.convs[1].kernel = 1;
		assert!(trainable(&Architecture::Cnn(wide.clone())));
		wide.convs[0].kernel = 4;
		assert!(!trainable(&Architecture::Cnn(wide)));
	}

	#[test]
	fn a_cnn_step_traces_each_convolution_activation_and_pool() {
		// Convolutions: 2 outputs, 2 activations, 2 pools; dense: 1 output; loss; 3 layers'
		// gradients and updates (12); the output state.
		assert_eq!(step_trace_len(&cnn(&[])), Some(6 + 1 + 1 + 12 + 1));
		// A hidden dense layer adds its output, activation, 2 gradients and 2 updates.
		assert_eq!(step_trace_len(&cnn(&[32])), Some(21 + 6));
		assert_eq!(step_trace_len(&cnn(&[MAX_EXACT_DIMENSION + 1])), None);
	}

	#[test]
	fn a_step_traces_six_positions_per_layer_of_a_trainable_network() {
		// mlp() has one hidden layer: two linear layers.
		assert_eq!(step_trace_len(&mlp()), Some(13));
		let external = Architecture::External {
			family: BoundedVec::truncate_from(b"llama".to_vec()),
			parameters: 7,
		};
		assert_eq!(step_trace_len(&external), None);
	}

	fn transformer(context: u32, width: u32, feed_forward: u32) -> Architecture {
		Architecture::Transformer(Transformer {
			vocab: 256,
			context,
			width,
			heads: 4,
			blocks: 2,
			feed_forward,
			activation: Activation::Gelu,
		})
	}

	#[test]
	fn transformers_train_exactly_within_the_exact_dimension() {
		assert!(trainable(&transformer(64, 64, 256)));
		// 3 * 168 = 504 query, key and value outputs.
		assert!(trainable(&transformer(MAX_EXACT_DIMENSION, 168, 512)));
		assert!(!trainable(&transformer(MAX_EXACT_DIMENSION + 1, 64, 256)));
		assert!(!trainable(&transformer(64, 172, 256)));
		assert!(!trainable(&transformer(64, 64, 513)));
		assert!(!trainable(&transformer(64, 66, 256)), "invalid: 4 heads do not divide 66");
	}

	#[test]
	fn a_transformer_batch_holds_at_most_the_exact_dimension_in_tokens() {
		assert_eq!(max_batch_size(&transformer(64, 64, 256)), 8);
		assert_eq!(max_batch_size(&transformer(100, 64, 256)), 5);
		assert_eq!(max_batch_size(&mlp()), MAX_BATCH_SIZE);
		let mut s = spec();
		s.model = ModelInit::Fresh { architecture: transformer(64, 64, 256), init_seed: 1 };
		s.training.batch_size = 8;
		assert_eq!(s.validate(), Ok(()));
		s.training.batch_size = 9;
		assert_eq!(s.validate(), Err(SpecError::Training));
	}

	#[test]
	fn a_transformer_step_traces_eleven_tensors_a_block() {
		// Embedding; 11 per block; final norm and logits; loss; 15 pairs' gradients and updates
		// (60); the output state.
		assert_eq!(step_trace_len(&transformer(64, 64, 256)), Some(1 + 22 + 2 + 1 + 60 + 1));
		assert_eq!(step_trace_len(&transformer(64, 64, 1024)), None);
		let net = transformer(64, 64, 256);
		assert_eq!(flops_per_step(&net, 8), 6 * u128::from(net.forward_multiply_adds()) * 8);
	}
}
