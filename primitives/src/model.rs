//! Model architectures: what the worker knows how to build and what the registry records.

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Most hidden layers an [`Mlp`] may have.
pub const MAX_HIDDEN_LAYERS: u32 = 8;
/// Widest layer (input, hidden or output) an [`Mlp`] may have.
pub const MAX_LAYER_WIDTH: u32 = 1 << 16;
/// Longest architecture family name of an [`Architecture::External`] model.
pub const MAX_FAMILY_LEN: u32 = 64;
/// Most convolution blocks a [`Cnn`] may have.
pub const MAX_CONVS: u32 = 4;
/// Most hidden dense layers a [`Cnn`] may have after its convolutions.
pub const MAX_DENSE_HIDDEN: u32 = 2;
/// Most channels of a [`Cnn`]'s input or of any of its feature maps.
pub const MAX_CHANNELS: u32 = 64;
/// Longest side of a [`Cnn`]'s input image.
pub const MAX_IMAGE_SIDE: u32 = 64;
/// Most features a [`Cnn`]'s last feature map may flatten to (the first dense layer's input).
pub const MAX_FLAT_FEATURES: u32 = 4096;
/// Largest vocabulary of a [`Transformer`]: tokens are bytes.
pub const MAX_VOCAB: u32 = 256;
/// Longest context (tokens per sequence) of a [`Transformer`].
pub const MAX_CONTEXT: u32 = 1024;
/// Widest embedding or feed-forward layer of a [`Transformer`].
pub const MAX_MODEL_WIDTH: u32 = 4096;
/// Most attention heads of a [`Transformer`].
pub const MAX_HEADS: u32 = 64;
/// Most blocks of a [`Transformer`].
pub const MAX_BLOCKS: u32 = 16;

/// Non-linearity applied after every hidden layer.
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
pub enum Activation {
	/// `max(0, x)`.
	Relu,
	/// Hyperbolic tangent.
	Tanh,
	/// Gaussian error linear unit.
	Gelu,
}

/// A fully connected network: `input -> hidden[0] -> ... -> output`, with biases.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Mlp {
	/// Features per sample.
	pub input: u32,
	/// Width of each hidden layer, in order.
	pub hidden: BoundedVec<u32, ConstU32<MAX_HIDDEN_LAYERS>>,
	/// Outputs per sample (classes for a classifier).
	pub output: u32,
	/// Non-linearity after each hidden layer.
	pub activation: Activation,
}

/// One convolution block of a [`Cnn`]: a stride-1 convolution with "same" zero padding, the
/// network's activation, then optionally a 2x2 max-pool of stride 2.
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
pub struct Conv {
	/// Output channels.
	pub channels: u32,
	/// Side of the square kernel: 1, 3, 5 or 7.
	pub kernel: u32,
	/// Whether a 2x2 max-pool of stride 2 follows the activation.
	pub pool: bool,
}

/// A convolutional network for images: convolution blocks, then the last feature map flattened
/// (channel-major, as PyTorch's `flatten`) into dense layers `hidden[0] -> ... -> output`. The
/// activation follows every convolution and every dense layer but the last.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Cnn {
	/// Input channels.
	pub channels: u32,
	/// Input image height.
	pub height: u32,
	/// Input image width.
	pub width: u32,
	/// Convolution blocks, from the input up (at least one).
	pub convs: BoundedVec<Conv, ConstU32<MAX_CONVS>>,
	/// Width of each hidden dense layer, in order.
	pub hidden: BoundedVec<u32, ConstU32<MAX_DENSE_HIDDEN>>,
	/// Outputs per sample (classes for a classifier).
	pub output: u32,
	/// Non-linearity after each convolution and hidden dense layer.
	pub activation: Activation,
}

/// A decoder-only transformer language model over byte tokens (GPT-2's pre-norm layout):
/// token embedding plus learned position embedding, then `blocks` blocks of multi-head causal
/// self-attention and a feed-forward layer, each behind a layer norm and added to its input,
/// then a final layer norm and a linear head to `vocab` logits at every position. It is trained
/// on next-token prediction: a sample is `context` tokens and the one that follows.
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
pub struct Transformer {
	/// Tokens the model reads and predicts: ids `0..vocab` (256 for bytes).
	pub vocab: u32,
	/// Tokens per sequence: the length of the learned position embedding.
	pub context: u32,
	/// Embedding width, divided evenly among the heads.
	pub width: u32,
	/// Attention heads per block.
	pub heads: u32,
	/// Transformer blocks.
	pub blocks: u32,
	/// Width of each block's feed-forward hidden layer.
	pub feed_forward: u32,
	/// Non-linearity of the feed-forward layer (GELU in GPT-2).
	pub activation: Activation,
}

/// Shape of one convolution block of a [`Cnn`], derived from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
	/// Input channels.
	pub in_channels: u32,
	/// Output channels.
	pub out_channels: u32,
	/// Kernel side.
	pub kernel: u32,
	/// Height of the input and of the convolution's output ("same" padding).
	pub height: u32,
	/// Width of the input and of the convolution's output.
	pub width: u32,
	/// Whether a 2x2 max-pool follows.
	pub pool: bool,
}

/// The architecture of a registered model.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Architecture {
	/// A network the Cairn worker can build and train.
	Mlp(Mlp),
	/// A model trained elsewhere, described by its family name (for example `llama`) and size.
	External { family: BoundedVec<u8, ConstU32<MAX_FAMILY_LEN>>, parameters: u64 },
	/// A convolutional network the Cairn worker can build and train (after the first two, so
	/// that they keep their encodings).
	Cnn(Cnn),
	/// A transformer language model the Cairn worker can build and train (last, so that the
	/// other variants keep their encodings).
	Transformer(Transformer),
}

/// Why an [`Architecture`] is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchitectureError {
	/// A layer has width zero or more than [`MAX_LAYER_WIDTH`].
	LayerWidth,
	/// An external model has an empty family name or zero parameters.
	EmptyDescription,
	/// A CNN has no convolution, zero or more than [`MAX_CHANNELS`] channels, an image side of
	/// zero or more than [`MAX_IMAGE_SIDE`], a kernel other than 1, 3, 5 or 7, a pool over an odd
	/// side, or more than [`MAX_FLAT_FEATURES`] flattened features.
	Convolution,
	/// A transformer has a vocabulary outside `2..=`[`MAX_VOCAB`], a context of zero or more than
	/// [`MAX_CONTEXT`], a width or feed-forward width of zero or more than [`MAX_MODEL_WIDTH`],
	/// zero or more than [`MAX_HEADS`] heads, a width the heads do not divide, or zero or more
	/// than [`MAX_BLOCKS`] blocks.
	Transformer,
}

impl Mlp {
	/// Layer widths from input to output.
	pub fn widths(&self) -> impl Iterator<Item = u32> + '_ {
		core::iter::once(self.input)
			.chain(self.hidden.iter().copied())
			.chain(core::iter::once(self.output))
	}

	/// Weights plus biases of every layer (saturating; the bounds keep it far below `u64::MAX`).
	pub fn parameter_count(&self) -> u64 {
		let mut widths = self.widths().map(u64::from);
		let mut previous = widths.next().unwrap_or_default();
		widths.fold(0u64, |total, width| {
			let layer = previous.saturating_mul(width).saturating_add(width);
			previous = width;
			total.saturating_add(layer)
		})
	}
}

/// Weights plus biases of a layer of `fan_in` inputs (per output) and `fan_out` outputs.
fn layer_parameters(fan_in: u64, fan_out: u64) -> u64 {
	fan_in.saturating_mul(fan_out).saturating_add(fan_out)
}

impl Cnn {
	/// Features per sample: `channels * height * width`, channel-major.
	pub fn input_features(&self) -> u64 {
		u64::from(self.channels) * u64::from(self.height) * u64::from(self.width)
	}

	/// Every convolution block's shape, from the input up (a pool over an odd side rounds down;
	/// [`Architecture::validate`] refuses it).
	pub fn conv_shapes(&self) -> impl Iterator<Item = ConvShape> + '_ {
		let start = (self.channels, self.height, self.width);
		self.convs.iter().scan(start, |(channels, height, width), conv| {
			let shape = ConvShape {
				in_channels: *channels,
				out_channels: conv.channels,
				kernel: conv.kernel,
				height: *height,
				width: *width,
				pool: conv.pool,
			};
			let divisor = if conv.pool { 2 } else { 1 };
			(*channels, *height, *width) = (conv.channels, *height / divisor, *width / divisor);
			Some(shape)
		})
	}

	/// Features of the last feature map, flattened: the first dense layer's input.
	pub fn flat_features(&self) -> u64 {
		self.conv_shapes().last().map_or(self.input_features(), |c| {
			let divisor = if c.pool { 4 } else { 1 };
			u64::from(c.out_channels) * u64::from(c.height) * u64::from(c.width) / divisor
		})
	}

	/// Dense layer widths, from the flattened features to the output.
	pub fn dense_widths(&self) -> impl Iterator<Item = u64> + '_ {
		core::iter::once(self.flat_features())
			.chain(self.hidden.iter().map(|&w| u64::from(w)))
			.chain(core::iter::once(u64::from(self.output)))
	}

	/// `(inputs per output, outputs per position, positions)` of every convolution, then of every
	/// dense layer (one position).
	fn layer_costs(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
		let convs = self.conv_shapes().map(|c| {
			let per_output = u64::from(c.in_channels) * u64::from(c.kernel) * u64::from(c.kernel);
			let positions = u64::from(c.height) * u64::from(c.width);
			(per_output, u64::from(c.out_channels), positions)
		});
		let dense = self.dense_widths().zip(self.dense_widths().skip(1));
		convs.chain(dense.map(|(fan_in, fan_out)| (fan_in, fan_out, 1)))
	}

	/// Weights plus biases of every convolution and dense layer (saturating).
	pub fn parameter_count(&self) -> u64 {
		self.layer_costs().fold(0u64, |total, (fan_in, fan_out, _)| {
			total.saturating_add(layer_parameters(fan_in, fan_out))
		})
	}

	/// Multiply-adds of one sample's forward pass, a bias add counted as one (saturating).
	pub fn forward_multiply_adds(&self) -> u64 {
		self.layer_costs().fold(0u64, |total, (fan_in, fan_out, positions)| {
			total.saturating_add(layer_parameters(fan_in, fan_out).saturating_mul(positions))
		})
	}

	/// The bounds of [`Architecture::validate`] for a CNN.
	fn validate(&self) -> Result<(), ArchitectureError> {
		let channels = 1..=MAX_CHANNELS;
		let side = 1..=MAX_IMAGE_SIDE;
		let shapes_ok = self.conv_shapes().all(|c| {
			channels.contains(&c.out_channels)
				&& [1, 3, 5, 7].contains(&c.kernel)
				&& (!c.pool || (c.height % 2 == 0 && c.width % 2 == 0))
		});
		if self.convs.is_empty()
			|| !channels.contains(&self.channels)
			|| !side.contains(&self.height)
			|| !side.contains(&self.width)
			|| !shapes_ok
			|| self.flat_features() > u64::from(MAX_FLAT_FEATURES)
		{
			return Err(ArchitectureError::Convolution);
		}
		let dense = self.hidden.iter().chain(core::iter::once(&self.output));
		if dense.into_iter().all(|w| (1..=MAX_LAYER_WIDTH).contains(w)) {
			Ok(())
		} else {
			Err(ArchitectureError::LayerWidth)
		}
	}
}

impl Transformer {
	/// Width of each attention head.
	pub fn head_width(&self) -> u32 {
		self.width.checked_div(self.heads).unwrap_or_default()
	}

	/// Parameters of one block: two layer norms (scale and shift), the fused query-key-value
	/// projection, the attention output projection and the feed-forward layer's two linears.
	fn block_parameters(&self) -> u64 {
		let (d, f) = (u64::from(self.width), u64::from(self.feed_forward));
		let norms = 4 * d;
		let attention = layer_parameters(d, 3 * d).saturating_add(layer_parameters(d, d));
		let feed_forward = layer_parameters(d, f).saturating_add(layer_parameters(f, d));
		norms.saturating_add(attention).saturating_add(feed_forward)
	}

	/// Token and position embeddings, every block, the final layer norm and the head
	/// (saturating).
	pub fn parameter_count(&self) -> u64 {
		let (v, t, d) = (u64::from(self.vocab), u64::from(self.context), u64::from(self.width));
		let embeddings = v.saturating_add(t).saturating_mul(d);
		let blocks = self.block_parameters().saturating_mul(u64::from(self.blocks));
		embeddings
			.saturating_add(blocks)
			.saturating_add(2 * d)
			.saturating_add(layer_parameters(d, v))
	}

	/// Multiply-adds of one sequence's forward pass: at each of its `context` positions, every
	/// block's linear layers (a bias add counted as one) and attention over all `context`
	/// positions (scores, then the weighted values; the causal mask is applied, not skipped),
	/// then the head. Embedding lookups and layer norms are not counted (saturating).
	pub fn forward_multiply_adds(&self) -> u64 {
		let (t, d) = (u64::from(self.context), u64::from(self.width));
		let linears = self
			.block_parameters()
			.saturating_sub(4 * d)
			.saturating_add(t.saturating_mul(d).saturating_mul(2));
		let per_position = linears
			.saturating_mul(u64::from(self.blocks))
			.saturating_add(layer_parameters(d, u64::from(self.vocab)));
		per_position.saturating_mul(t)
	}

	/// The bounds of [`Architecture::validate`] for a transformer.
	fn validate(&self) -> Result<(), ArchitectureError> {
		let width = 1..=MAX_MODEL_WIDTH;
		if (2..=MAX_VOCAB).contains(&self.vocab)
			&& (1..=MAX_CONTEXT).contains(&self.context)
			&& width.contains(&self.width)
			&& width.contains(&self.feed_forward)
			&& (1..=MAX_HEADS).contains(&self.heads)
			&& self.width % self.heads == 0
			&& (1..=MAX_BLOCKS).contains(&self.blocks)
		{
			Ok(())
		} else {
			Err(ArchitectureError::Transformer)
		}
	}
}

impl Architecture {
	/// Checks the limits that the SCALE bounds alone do not express.
	pub fn validate(&self) -> Result<(), ArchitectureError> {
		match self {
			Architecture::Mlp(mlp) => {
				if mlp.widths().all(|w| (1..=MAX_LAYER_WIDTH).contains(&w)) {
					Ok(())
				} else {
					Err(ArchitectureError::LayerWidth)
				}
			},
			Architecture::External { family, parameters } => {
				if family.is_empty() || *parameters == 0 {
					Err(ArchitectureError::EmptyDescription)
				} else {
					Ok(())
				}
			},
			Architecture::Cnn(cnn) => cnn.validate(),
			Architecture::Transformer(transformer) => transformer.validate(),
		}
	}

	/// Number of trainable parameters.
	pub fn parameter_count(&self) -> u64 {
		match self {
			Architecture::Mlp(mlp) => mlp.parameter_count(),
			Architecture::External { parameters, .. } => *parameters,
			Architecture::Cnn(cnn) => cnn.parameter_count(),
			Architecture::Transformer(transformer) => transformer.parameter_count(),
		}
	}

	/// Multiply-adds of one sample's forward pass: every parameter once for a network that uses
	/// each weight once per sample (an MLP, an external model's estimate), every parameter at
	/// every output position for a convolution, every linear parameter and the attention at
	/// every position of a transformer's sequence.
	pub fn forward_multiply_adds(&self) -> u64 {
		match self {
			Architecture::Cnn(cnn) => cnn.forward_multiply_adds(),
			Architecture::Transformer(transformer) => transformer.forward_multiply_adds(),
			_ => self.parameter_count(),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn mlp(input: u32, hidden: &[u32], output: u32) -> Architecture {
		Architecture::Mlp(Mlp {
			input,
			hidden: BoundedVec::truncate_from(hidden.to_vec()),
			output,
			activation: Activation::Relu,
		})
	}

	#[test]
	fn mlp_parameter_count_counts_weights_and_biases() {
		// 64*32+32 + 32*10+10
		assert_eq!(mlp(64, &[32], 10).parameter_count(), 2080 + 330);
		assert_eq!(mlp(4, &[], 2).parameter_count(), 10);
	}

	#[test]
	fn validate_rejects_zero_and_oversized_layers() {
		assert_eq!(mlp(64, &[256, 256], 10).validate(), Ok(()));
		assert_eq!(mlp(0, &[8], 10).validate(), Err(ArchitectureError::LayerWidth));
		assert_eq!(mlp(8, &[0], 10).validate(), Err(ArchitectureError::LayerWidth));
		assert_eq!(
			mlp(8, &[MAX_LAYER_WIDTH + 1], 10).validate(),
			Err(ArchitectureError::LayerWidth)
		);
	}

	fn cnn(convs: &[(u32, u32, bool)], hidden: &[u32]) -> Cnn {
		Cnn {
			channels: 1,
			height: 28,
			width: 28,
			convs: BoundedVec::truncate_from(
				convs
					.iter()
					.map(|&(channels, kernel, pool)| Conv { channels, kernel, pool })
					.collect(),
			),
			hidden: BoundedVec::truncate_from(hidden.to_vec()),
			output: 10,
			activation: Activation::Relu,
		}
	}

	#[test]
	fn cnn_counts_follow_the_feature_maps() {
		let net = cnn(&[(8, 3, true), (16, 3, true)], &[]);
		let shapes: Vec<_> = net.conv_shapes().map(|c| (c.in_channels, c.height)).collect();
		assert_eq!(shapes, [(1, 28), (8, 14)]);
		assert_eq!(net.input_features(), 784);
		assert_eq!(net.flat_features(), 16 * 7 * 7);
		// 8·1·9+8, 16·8·9+16, 784·10+10.
		assert_eq!(Architecture::Cnn(net.clone()).parameter_count(), 80 + 1168 + 7850);
		assert_eq!(net.forward_multiply_adds(), 80 * 784 + 1168 * 196 + 7850);
		let hidden = cnn(&[(4, 5, false)], &[32]);
		assert_eq!(hidden.flat_features(), 4 * 28 * 28);
		assert_eq!(hidden.dense_widths().collect::<Vec<_>>(), [3136, 32, 10]);
		assert_eq!(hidden.parameter_count(), (4 * 25 + 4) + (3136 * 32 + 32) + (32 * 10 + 10));
	}

	#[test]
	fn cnn_validation_bounds_every_dimension() {
		let valid = |net: Cnn| Architecture::Cnn(net).validate();
		assert_eq!(valid(cnn(&[(8, 3, true), (16, 3, true)], &[64])), Ok(()));
		assert_eq!(valid(cnn(&[(64, 7, true), (16, 1, true)], &[])), Ok(()));
		let convolution = Err(ArchitectureError::Convolution);
		assert_eq!(valid(cnn(&[], &[])), convolution, "no convolution");
		assert_eq!(valid(cnn(&[(0, 3, false)], &[])), convolution);
		assert_eq!(valid(cnn(&[(MAX_CHANNELS + 1, 3, true)], &[])), convolution);
		for kernel in [0, 2, 4, 9] {
			assert_eq!(valid(cnn(&[(8, kernel, true)], &[])), convolution, "kernel {kernel}");
		}
		// 28 -> 14 -> 7, then a pool over 7 rows.
		assert_eq!(valid(cnn(&[(8, 3, true), (8, 3, true), (8, 3, true)], &[])), convolution);
		// 8·28·28 = 6272 flattened features.
		assert_eq!(valid(cnn(&[(8, 3, false)], &[])), convolution);
		for (channels, height, width) in [(0, 28, 28), (MAX_CHANNELS + 1, 28, 28), (1, 0, 28)] {
			let net = Cnn { channels, height, width, ..cnn(&[(4, 3, true)], &[]) };
			assert_eq!(valid(net), convolution, "{channels}x{height}x{width}");
		}
		let tall = Cnn { height: MAX_IMAGE_SIDE + 2, ..cnn(&[(1, 3, true)], &[]) };
		assert_eq!(valid(tall), convolution);
		let layer = Err(ArchitectureError::LayerWidth);
		assert_eq!(valid(cnn(&[(8, 3, true), (16, 3, true)], &[0])), layer);
		let no_output = Cnn { output: 0, ..cnn(&[(8, 3, true), (16, 3, true)], &[]) };
		assert_eq!(valid(no_output), layer);
	}

	#[test]
	fn adding_cnns_keeps_the_other_encodings() {
		// Pinned before `Architecture::Cnn` existed: variant 0, input, hidden, output, activation.
		let bytes = mlp(64, &[32], 10).encode();
		assert_eq!(bytes, [0, 64, 0, 0, 0, 4, 32, 0, 0, 0, 10, 0, 0, 0, 0]);
		let external = Architecture::External {
			family: BoundedVec::truncate_from(b"x".to_vec()),
			parameters: 1,
		};
		assert_eq!(external.encode(), [1, 4, b'x', 1, 0, 0, 0, 0, 0, 0, 0]);
		let net = Architecture::Cnn(cnn(&[(8, 3, true)], &[]));
		assert_eq!(net.encode()[0], 2);
		assert_eq!(Architecture::decode(&mut &net.encode()[..]), Ok(net));
	}

	fn transformer() -> Transformer {
		Transformer {
			vocab: 256,
			context: 64,
			width: 64,
			heads: 4,
			blocks: 2,
			feed_forward: 256,
			activation: Activation::Gelu,
		}
	}

	#[test]
	fn transformer_counts_embeddings_blocks_and_head() {
		let net = transformer();
		// Per block: norms 4·64, qkv 64·192+192, output 64·64+64, up 64·256+256, down 256·64+64.
		let block = 256 + 12_480 + 4_160 + 16_640 + 16_448;
		assert_eq!(net.parameter_count(), (256 + 64) * 64 + 2 * block + 128 + 16_640);
		// At each of 64 positions: the blocks' linears and attention (2·64·64), then the head
		// 64·256+256.
		let per_position = 2 * (block - 256 + 2 * 64 * 64) + 16_640;
		assert_eq!(Architecture::Transformer(net).forward_multiply_adds(), 64 * per_position);
		assert_eq!(net.head_width(), 16);
	}

	#[test]
	fn validate_bounds_transformers() {
		let valid = |net: Transformer| Architecture::Transformer(net).validate();
		assert_eq!(valid(transformer()), Ok(()));
		let bad = ArchitectureError::Transformer;
		assert_eq!(valid(Transformer { vocab: 1, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { vocab: MAX_VOCAB + 1, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { context: 0, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { context: MAX_CONTEXT + 1, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { heads: 0, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { heads: 3, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { width: 0, heads: 1, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { feed_forward: 0, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { blocks: 0, ..transformer() }), Err(bad));
		assert_eq!(valid(Transformer { blocks: MAX_BLOCKS + 1, ..transformer() }), Err(bad));
		let widest =
			Transformer { width: MAX_MODEL_WIDTH, feed_forward: MAX_MODEL_WIDTH, ..transformer() };
		assert_eq!(valid(widest), Ok(()));
		assert_eq!(valid(Transformer { feed_forward: MAX_MODEL_WIDTH + 1, ..widest }), Err(bad));
	}

	#[test]
	fn adding_transformers_keeps_the_other_encodings() {
		let net = Architecture::Transformer(transformer());
		assert_eq!(net.encode()[0], 3);
		assert_eq!(Architecture::decode(&mut &net.encode()[..]), Ok(net));
		assert_eq!(Architecture::Cnn(cnn(&[(8, 3, true)], &[])).encode()[0], 2);
	}

	#[test]
	fn validate_rejects_empty_external_descriptions() {
		let family = BoundedVec::truncate_from(b"llama".to_vec());
		let ok = Architecture::External { family: family.clone(), parameters: 7 };
		assert_eq!(ok.validate(), Ok(()));
		let no_params = Architecture::External { family, parameters: 0 };
		assert_eq!(no_params.validate(), Err(ArchitectureError::EmptyDescription));
		let no_name = Architecture::External { family: BoundedVec::new(), parameters: 7 };
		assert_eq!(no_name.validate(), Err(ArchitectureError::EmptyDescription));
	}
}
