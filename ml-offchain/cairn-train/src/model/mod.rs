//! The network of a task spec (an MLP, a CNN or a transformer) as burn tensors: deterministic
//! initialisation, forward pass and gradients of the cross-entropy loss. The training forward pass
//! can hand out its intermediate tensors, so that a step's trace (see [`crate::trace`]) holds the
//! values training computes.
//!
//! Parameters come in pairs of two tensors (a layer's weight and bias), in canonical order. An MLP
//! has `layers.{i}.weight` with shape `[in, out]` (row-major, so a layer computes `x · W + b`) and
//! `layers.{i}.bias` with shape `[out]`, for `i` from the input layer up. A CNN has
//! `convs.{i}.weight` `[out, in, k, k]` (PyTorch's `Conv2d` layout) and `convs.{i}.bias` `[out]`
//! for each convolution, then `dense.{j}.weight` `[in, out]` and `dense.{j}.bias` for each dense
//! layer. The activation follows every layer but the last. A transformer (see [`transformer`])
//! has the token and position embeddings `embed.tokens` `[vocab, width]` and `embed.positions`
//! `[context, width]` as its first pair, then per block `i` the pairs `blocks.{i}.norm1`,
//! `blocks.{i}.attention.qkv` (`[width, 3·width]`), `blocks.{i}.attention.output`,
//! `blocks.{i}.norm2`, `blocks.{i}.feed_forward.up` (`[width, feed_forward]`) and
//! `blocks.{i}.feed_forward.down`, each a `.weight` and a `.bias` (a layer norm's are `[width]`),
//! then `norm` and `head` (`[width, vocab]`): `6 · blocks + 3` pairs.
//!
//! Initial values are Kaiming-uniform as in burn's and PyTorch's linear and convolution layers:
//! uniform in `[-1/√fan_in, 1/√fan_in)` for weights and biases, where `fan_in` is a linear
//! layer's `in` and a convolution's `in · k · k`; both embedding tables use `fan_in = width`. A
//! layer norm starts at weight 1 and bias 0 and draws nothing. Counting pairs `i` from the first
//! in canonical order (an MLP's layers from the input up, a CNN's convolutions first), the pair's
//! first tensor comes from its own stream `("cairn/init", init_seed, 2i)` and its second from
//! `2i + 1`, drawn in row-major order of its canonical shape as `(2u - 1) / √fan_in` with `u`
//! from [`SplitMix64::unit_f32`].

pub(crate) mod transformer;

use burn::tensor::{
	activation,
	loss::cross_entropy_with_logits,
	module::{conv2d, linear, max_pool2d},
	ops::{ConvOptions, MaxPoolOptions},
	Device, Int, Tensor, TensorData,
};
use cairn_primitives::{Activation, Architecture, Cnn, Mlp, Transformer};

use crate::{rng::SplitMix64, weights::Weights};

const INIT_DOMAIN: &[u8] = b"cairn/init";

/// One pair of parameters, or any per-parameter quantity of the same shapes (gradients,
/// optimizer moments), held as a matrix and a vector so that optimizers and checkpoints treat
/// every pair alike. The first tensor is held as its canonical shape's first dimension by the
/// rest (a convolution's weight `[out, in · k · k]`, a layer norm's weight `[width, 1]`), the
/// second flat (the position embedding `[context · width]`).
#[derive(Clone, Debug)]
pub(crate) struct Layer {
	/// The first tensor: a weight, or the token embedding.
	pub weight: Tensor<2>,
	/// The second tensor: a bias, or the position embedding.
	pub bias: Tensor<1>,
}

impl Layer {
	/// The pair of `shape` with the row-major values `first` and `second`, on `device`.
	pub fn from_values(
		shape: &LayerShape,
		first: Vec<f32>,
		second: Vec<f32>,
		device: &Device,
	) -> Self {
		Self {
			weight: Tensor::from_data(TensorData::new(first, shape.matrix()), device),
			bias: Tensor::from_data(TensorData::new(second, [shape.flat()]), device),
		}
	}
}

/// A network workers train, from a task's architecture.
#[derive(Clone, Debug)]
pub(crate) enum Network {
	/// A fully connected network.
	Mlp(Mlp),
	/// Convolutions, then dense layers.
	Cnn(Cnn),
	/// A decoder-only transformer language model.
	Transformer(Transformer),
}

/// How a pair of parameters starts (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Init {
	/// Both tensors uniform in `[-1/√fan_in, 1/√fan_in)`.
	Uniform {
		/// Inputs each output sums over (the embedding width for embeddings).
		fan_in: usize,
	},
	/// A layer norm's: weight 1, bias 0.
	Norm,
}

/// A pair's canonical parameter names and shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayerShape {
	/// Canonical names of the first and the second tensor: `{prefix}.weight` and
	/// `{prefix}.bias`, or `embed.tokens` and `embed.positions`.
	pub names: [String; 2],
	/// Canonical shapes of the first and the second tensor: for instance `[in, out]` and
	/// `[out]`, `[out, in, k, k]` and `[out]`, `[vocab, width]` and `[context, width]`.
	pub shapes: [Vec<usize>; 2],
	/// Initial values.
	pub init: Init,
	/// Multiply-adds per sample of the pair's matrix product (0 when it has none): a layer's
	/// weights times the positions it is applied at.
	pub multiply_adds: usize,
}

impl LayerShape {
	/// Shape the first tensor is held in: its canonical shape's first dimension by the rest.
	pub fn matrix(&self) -> [usize; 2] {
		[self.shapes[0][0], self.shapes[0][1..].iter().product()]
	}

	/// Length of the second tensor, which is held flat.
	pub fn flat(&self) -> usize {
		self.shapes[1].iter().product()
	}

	/// A pair named `{prefix}.weight` and `{prefix}.bias`, for `outputs` outputs.
	fn weight_and_bias(
		prefix: &str,
		weight: Vec<usize>,
		outputs: usize,
		init: Init,
		multiply_adds: usize,
	) -> Self {
		Self {
			names: [format!("{prefix}.weight"), format!("{prefix}.bias")],
			shapes: [weight, vec![outputs]],
			init,
			multiply_adds,
		}
	}

	/// A linear layer's, applied at `positions` positions per sample: weight `[fan_in, outputs]`.
	fn linear(prefix: &str, fan_in: usize, outputs: usize, positions: usize) -> Self {
		let multiply_adds = positions * fan_in * outputs;
		Self::weight_and_bias(
			prefix,
			vec![fan_in, outputs],
			outputs,
			Init::Uniform { fan_in },
			multiply_adds,
		)
	}

	/// A layer norm's over `width` features: weight and bias `[width]`.
	fn norm(prefix: &str, width: usize) -> Self {
		Self::weight_and_bias(prefix, vec![width], width, Init::Norm, 0)
	}
}

/// What a network reads: a batch of samples' features, or of token windows.
#[derive(Clone, Debug)]
pub(crate) enum Input {
	/// Features `[batch, features]`: an MLP's or a CNN's input.
	Features(Tensor<2>),
	/// Token ids `[batch, context]`: a transformer's input.
	Tokens(Tensor<2, Int>),
}

impl Input {
	/// The same input, with autodiff.
	fn autodiff(self) -> Self {
		match self {
			Input::Features(features) => Input::Features(features.autodiff()),
			Input::Tokens(ids) => Input::Tokens(ids.autodiff()),
		}
	}
}

impl Network {
	/// The network of `architecture`, when it is valid and of a kind workers train (the bounds
	/// keep every shape consistent: odd kernels, pools over even sides, heads dividing the
	/// width).
	pub fn of(architecture: &Architecture) -> Option<Self> {
		architecture.validate().ok()?;
		match architecture {
			Architecture::Mlp(mlp) => Some(Network::Mlp(mlp.clone())),
			Architecture::Cnn(cnn) => Some(Network::Cnn(cnn.clone())),
			Architecture::Transformer(net) => Some(Network::Transformer(*net)),
			Architecture::External { .. } => None,
		}
	}

	/// Features per sample (a transformer's: the tokens of its context).
	pub fn inputs(&self) -> usize {
		match self {
			Network::Mlp(mlp) => mlp.input as usize,
			Network::Cnn(cnn) => cnn.input_features() as usize,
			Network::Transformer(net) => net.context as usize,
		}
	}

	/// Outputs per prediction: classes, or a transformer's vocabulary.
	pub fn outputs(&self) -> usize {
		match self {
			Network::Mlp(mlp) => mlp.output as usize,
			Network::Cnn(cnn) => cnn.output as usize,
			Network::Transformer(net) => net.vocab as usize,
		}
	}

	/// Predictions per sample, each a row of logits: one class, or the next token at each
	/// position of a transformer's context.
	pub fn predictions(&self) -> usize {
		match self {
			Network::Transformer(net) => net.context as usize,
			Network::Mlp(_) | Network::Cnn(_) => 1,
		}
	}

	/// Every pair's parameter names and shapes, in canonical order.
	pub fn layer_shapes(&self) -> Vec<LayerShape> {
		let dense = |prefix: &str, widths: Vec<usize>| -> Vec<LayerShape> {
			widths
				.windows(2)
				.enumerate()
				.map(|(i, pair)| LayerShape::linear(&format!("{prefix}.{i}"), pair[0], pair[1], 1))
				.collect()
		};
		match self {
			Network::Mlp(mlp) => dense("layers", mlp.widths().map(|w| w as usize).collect()),
			Network::Cnn(cnn) => {
				let convs = cnn.conv_shapes().enumerate().map(|(i, c)| {
					let (out, inp, k) =
						(c.out_channels as usize, c.in_channels as usize, c.kernel as usize);
					let positions = c.height as usize * c.width as usize;
					let fan_in = inp * k * k;
					LayerShape::weight_and_bias(
						&format!("convs.{i}"),
						vec![out, inp, k, k],
						out,
						Init::Uniform { fan_in },
						positions * fan_in * out,
					)
				});
				convs
					.chain(dense("dense", cnn.dense_widths().map(|w| w as usize).collect()))
					.collect()
			},
			Network::Transformer(net) => transformer::layer_shapes(net),
		}
	}
}

/// A tensor the forward pass computed, flattened, with its shape: one position of a step's trace.
#[derive(Clone, Debug)]
pub(crate) struct Intermediate {
	/// The tensor's shape.
	pub shape: Vec<usize>,
	/// Its values, row-major.
	pub values: Tensor<1>,
}

/// Where the forward pass records its intermediate tensors, if anywhere.
type Recorder<'r> = Option<&'r mut Vec<Intermediate>>;

/// Pushes `tensor` onto `recorder`, without autodiff.
fn record<const D: usize>(recorder: &mut Recorder<'_>, tensor: &Tensor<D>) {
	if let Some(intermediates) = recorder.as_deref_mut() {
		let shape = tensor.dims().to_vec();
		let len = shape.iter().product::<usize>();
		let values = tensor.clone().without_autodiff().reshape([len]);
		intermediates.push(Intermediate { shape, values });
	}
}

/// The network: its parameter pairs and architecture.
#[derive(Clone, Debug)]
pub(crate) struct Model {
	pub layers: Vec<Layer>,
	pub network: Network,
}

fn uniform(seed: u64, stream: u64, len: usize, fan_in: usize) -> Vec<f32> {
	let bound = 1.0 / (fan_in as f32).sqrt();
	let mut rng = SplitMix64::derive(INIT_DOMAIN, seed, stream);
	(0..len).map(|_| (2.0 * rng.unit_f32() - 1.0) * bound).collect()
}

impl Model {
	/// The initial `network` for `init_seed`, on `device`.
	pub fn init(network: &Network, init_seed: u64, device: &Device) -> Self {
		let layers = network
			.layer_shapes()
			.into_iter()
			.enumerate()
			.map(|(i, shape)| {
				let stream = 2 * i as u64;
				let [rows, cols] = shape.matrix();
				let (first, second) = match shape.init {
					Init::Uniform { fan_in } => (
						uniform(init_seed, stream, rows * cols, fan_in),
						uniform(init_seed, stream + 1, shape.flat(), fan_in),
					),
					Init::Norm => (vec![1.0; rows * cols], vec![0.0; shape.flat()]),
				};
				Layer::from_values(&shape, first, second, device)
			})
			.collect();
		Self { layers, network: network.clone() }
	}

	/// The `network` with `weights`, already checked to fit it.
	pub fn from_weights(network: &Network, weights: &Weights, device: &Device) -> Self {
		let layers = weights
			.tensors()
			.chunks_exact(2)
			.zip(network.layer_shapes())
			.map(|(pair, shape)| {
				Layer::from_values(&shape, pair[0].values.clone(), pair[1].values.clone(), device)
			})
			.collect();
		Self { layers, network: network.clone() }
	}

	/// Logits `[predictions, outputs]`: one row per sample (an MLP's or a CNN's), or per
	/// position of every window (a transformer's).
	pub fn forward(&self, input: Input) -> Tensor<2> {
		forward(&self.layers, &self.network, input, None)
	}

	/// Mean cross-entropy of the batch's predictions and its gradient for every parameter.
	/// `targets` holds one probability row per prediction (one-hot for class labels). With
	/// `intermediates`, the forward pass pushes onto it, without autodiff, the tensors a step's
	/// trace lists (see `step_trace_len`): for an MLP or a CNN, layer by layer, each
	/// convolution's output, activation and (when pooled) pool output, then each linear output
	/// and (but the last layer's) each activation output; a transformer's are listed at
	/// [`transformer::forward`].
	pub fn loss_and_gradients(
		&self,
		input: Input,
		targets: Tensor<2>,
		intermediates: Recorder<'_>,
	) -> Option<(Tensor<1>, Vec<Layer>)> {
		let tracked: Vec<Layer> = self
			.layers
			.iter()
			.map(|layer| Layer {
				weight: layer.weight.clone().autodiff().require_grad(),
				bias: layer.bias.clone().autodiff().require_grad(),
			})
			.collect();
		let logits = forward(&tracked, &self.network, input.autodiff(), intermediates);
		let loss = cross_entropy_with_logits(logits, targets.autodiff());
		let mut grads = loss.backward();
		let gradients = tracked
			.iter()
			.map(|layer| {
				Some(Layer {
					weight: layer.weight.grad_remove(&mut grads)?,
					bias: layer.bias.grad_remove(&mut grads)?,
				})
			})
			.collect::<Option<Vec<_>>>()?;
		Some((loss.without_autodiff(), gradients))
	}
}

/// The forward pass of `network` with parameters `layers`; records every intermediate tensor.
///
/// # Panics
///
/// When `input` is not of the network's kind: the trainer builds features for MLPs and CNNs and
/// token ids for transformers.
fn forward(layers: &[Layer], network: &Network, input: Input, recorder: Recorder<'_>) -> Tensor<2> {
	match (network, input) {
		(Network::Transformer(net), Input::Tokens(ids)) => {
			transformer::forward(layers, net, ids, recorder)
		},
		(Network::Mlp(mlp), Input::Features(features)) => {
			classify(layers, mlp.activation, None, features, recorder)
		},
		(Network::Cnn(cnn), Input::Features(features)) => {
			classify(layers, cnn.activation, Some(cnn), features, recorder)
		},
		(network, _) => panic!("an input of another kind than {network:?} reads"),
	}
}

/// The forward pass of an MLP, or of a CNN with convolutions `cnn`, whose activation is `kind`,
/// on `input` `[batch, features]`: logits `[batch, outputs]`.
fn classify(
	layers: &[Layer],
	kind: Activation,
	cnn: Option<&Cnn>,
	input: Tensor<2>,
	mut recorder: Recorder<'_>,
) -> Tensor<2> {
	let (flat, dense) = match cnn {
		Some(cnn) => {
			let (convs, dense) = layers.split_at(cnn.convs.len().min(layers.len()));
			let batch = input.dims()[0];
			let image = [batch, cnn.channels as usize, cnn.height as usize, cnn.width as usize];
			let maps = cnn.conv_shapes().zip(convs).fold(input.reshape(image), |x, (c, layer)| {
				let (out, inp, k) =
					(c.out_channels as usize, c.in_channels as usize, c.kernel as usize);
				let weight = layer.weight.clone().reshape([out, inp, k, k]);
				// Stride 1 and (k - 1) / 2 zeros on each side: "same" size.
				let options = ConvOptions::new([1, 1], [k / 2, k / 2], [1, 1], 1);
				let y = conv2d(x, weight, Some(layer.bias.clone()), options);
				record(&mut recorder, &y);
				let y = activate(kind, y);
				record(&mut recorder, &y);
				if c.pool {
					let y = max_pool2d(y, MaxPoolOptions::new([2, 2]).with_stride([2, 2]));
					record(&mut recorder, &y);
					y
				} else {
					y
				}
			});
			// Channel-major, as PyTorch's `flatten`.
			(maps.reshape([batch, cnn.flat_features() as usize]), dense)
		},
		None => (input, layers),
	};
	let hidden = dense.len().saturating_sub(1);
	dense.iter().enumerate().fold(flat, |x, (i, layer)| {
		let y = linear(x, layer.weight.clone(), Some(layer.bias.clone()));
		record(&mut recorder, &y);
		if i < hidden {
			let y = activate(kind, y);
			record(&mut recorder, &y);
			y
		} else {
			y
		}
	})
}

/// The activation `kind` applied to `x`, element by element.
fn activate<const D: usize>(kind: Activation, x: Tensor<D>) -> Tensor<D> {
	match kind {
		Activation::Relu => activation::relu(x),
		Activation::Tanh => activation::tanh(x),
		Activation::Gelu => activation::gelu(x),
	}
}

#[cfg(test)]
mod tests {
	use cairn_primitives::{task::step_trace_len, BoundedVec};

	use super::*;

	/// IEEE bit patterns of `tensor`'s values.
	fn bits<const D: usize>(tensor: &Tensor<D>) -> Vec<u32> {
		let data = tensor.clone().without_autodiff().into_data();
		data.as_slice::<f32>().unwrap().iter().map(|v| v.to_bits()).collect()
	}

	/// One-hot rows of `classes` classes for `labels`.
	fn one_hot(labels: &[usize], classes: usize, device: &Device) -> Tensor<2> {
		let mut rows = vec![0.0; labels.len() * classes];
		for (row, &label) in labels.iter().enumerate() {
			rows[row * classes + label] = 1.0;
		}
		Tensor::from_data(TensorData::new(rows, [labels.len(), classes]), device)
	}

	/// The intermediates `model` records on `input`, after checking that recording changes no
	/// bit of the loss and gradients.
	fn recorded(model: &Model, input: Input, targets: Tensor<2>) -> Vec<Intermediate> {
		let mut intermediates = Vec::new();
		let (loss, gradients) = model
			.loss_and_gradients(input.clone(), targets.clone(), Some(&mut intermediates))
			.unwrap();
		let (plain_loss, plain_gradients) = model.loss_and_gradients(input, targets, None).unwrap();
		assert_eq!(bits(&loss), bits(&plain_loss));
		for (traced, plain) in gradients.iter().zip(&plain_gradients) {
			assert_eq!(bits(&traced.weight), bits(&plain.weight));
			assert_eq!(bits(&traced.bias), bits(&plain.bias));
		}
		intermediates
	}

	#[test]
	fn recording_the_forward_pass_records_what_training_computes() {
		let device = Device::flex();
		let mlp = Mlp {
			input: 6,
			hidden: BoundedVec::truncate_from(vec![5, 4]),
			output: 3,
			activation: Activation::Gelu,
		};
		let network = Network::Mlp(mlp.clone());
		let model = Model::init(&network, 9, &device);
		let values: Vec<f32> = (0..4 * 6).map(|i| (i as f32 * 0.37).sin()).collect();
		let input = Tensor::<2>::from_data(TensorData::new(values, [4, 6]), &device);
		let targets = one_hot(&[0, 1, 2, 0], 3, &device);
		let intermediates = recorded(&model, Input::Features(input.clone()), targets);
		// Linear output of layer i, then its activation (but for the last layer's).
		assert_eq!(intermediates.len(), 5);
		for i in 0..model.layers.len() {
			let linear_output =
				classify(&model.layers[..=i], mlp.activation, None, input.clone(), None);
			assert_eq!(bits(&intermediates[2 * i].values), bits(&linear_output), "layer {i}");
			if i + 1 < model.layers.len() {
				let activated = activate(mlp.activation, linear_output);
				assert_eq!(bits(&intermediates[2 * i + 1].values), bits(&activated), "layer {i}");
			}
		}
		let logits = model.forward(Input::Features(input));
		assert_eq!(bits(&intermediates[4].values), bits(&logits), "the logits");
		assert_eq!(intermediates[4].shape, [4, 3]);
	}

	#[test]
	fn a_transformer_records_its_trace_and_attends_only_to_the_past() {
		let device = Device::flex();
		let net = Transformer {
			vocab: 7,
			context: 5,
			width: 8,
			heads: 2,
			blocks: 2,
			feed_forward: 12,
			activation: Activation::Gelu,
		};
		let network = Network::Transformer(net);
		let model = Model::init(&network, 3, &device);
		assert_eq!(model.layers.len(), 6 * 2 + 3);
		let tokens =
			|ids: Vec<i64>| Input::Tokens(Tensor::from_data(TensorData::new(ids, [3, 5]), &device));
		let ids: Vec<i64> = (0..15).map(|i| (i * 5 + 2) % 7).collect();
		let targets: Vec<usize> = (0..15).map(|i| (i * 3 + 1) % 7).collect();
		let intermediates = recorded(&model, tokens(ids.clone()), one_hot(&targets, 7, &device));
		// The trace: these, the loss, each pair's two gradients and two updated tensors, and
		// the output state.
		let trace_len = step_trace_len(&Architecture::Transformer(net)).unwrap() as usize;
		assert_eq!(intermediates.len(), 11 * 2 + 3);
		assert_eq!(intermediates.len() + 1 + 4 * model.layers.len() + 1, trace_len);
		let shapes: Vec<&[usize]> = intermediates.iter().map(|i| i.shape.as_slice()).collect();
		let block = [
			&[3, 5, 8][..],
			&[3, 5, 24],
			&[3, 2, 5, 5],
			&[3, 5, 8],
			&[3, 5, 8],
			&[3, 5, 8],
			&[3, 5, 8],
			&[3, 5, 12],
			&[3, 5, 12],
			&[3, 5, 8],
			&[3, 5, 8],
		];
		let expected: Vec<&[usize]> = std::iter::once(&[3, 5, 8][..])
			.chain(block)
			.chain(block)
			.chain([&[3, 5, 8][..], &[3, 5, 7]])
			.collect();
		assert_eq!(shapes, expected);
		let logits = model.forward(tokens(ids.clone()));
		assert_eq!(bits(&intermediates[24].values), bits(&logits), "the logits");
		// No query attends to a later key, and the first only to itself.
		let probabilities =
			intermediates[3].values.clone().into_data().try_to_vec::<f32>().unwrap();
		for (row, p) in probabilities.chunks_exact(5).enumerate() {
			let query = row % 5;
			assert!(p[query + 1..].iter().all(|&p| p == 0.0), "row {row}: {p:?}");
			assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "row {row}: {p:?}");
		}
		// So changing a window's last token changes none of its earlier logits.
		let mut changed = ids;
		changed[4] = (changed[4] + 1) % 7;
		let other = bits(&model.forward(tokens(changed)));
		let logits = bits(&logits);
		let row = 7;
		assert_eq!(other[..4 * row], logits[..4 * row]);
		assert_ne!(other[4 * row..5 * row], logits[4 * row..5 * row]);
		assert_eq!(other[5 * row..], logits[5 * row..]);
	}
}
