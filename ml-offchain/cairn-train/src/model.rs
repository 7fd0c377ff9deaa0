//! The network of a task spec (an MLP or a CNN) as burn tensors: deterministic initialisation,
//! forward pass and gradients of the cross-entropy loss. The training forward pass can hand out
//! its intermediate tensors, so that a step's trace (see [`crate::trace`]) holds the values
//! training computes.
//!
//! Parameters, in canonical order, are for an MLP `layers.{i}.weight` with shape `[in, out]`
//! (row-major, so a layer computes `x · W + b`) and `layers.{i}.bias` with shape `[out]`, for `i`
//! from the input layer up. A CNN has `convs.{i}.weight` `[out, in, k, k]` (PyTorch's `Conv2d`
//! layout) and `convs.{i}.bias` `[out]` for each convolution, then `dense.{j}.weight` `[in, out]`
//! and `dense.{j}.bias` for each dense layer. The activation follows every layer but the last.
//! Initial values are Kaiming-uniform as in burn's and PyTorch's linear and convolution layers:
//! uniform in `[-1/√fan_in, 1/√fan_in)` for weights and biases, where `fan_in` is a linear
//! layer's `in` and a convolution's `in · k · k`. Counting layers `i` from the input up
//! (convolutions first), each tensor comes from its own stream `("cairn/init", init_seed, 2i)`
//! for the weight and `2i + 1` for the bias, drawn in row-major order of its canonical shape as
//! `(2u - 1) / √fan_in` with `u` from [`SplitMix64::unit_f32`].

use burn::tensor::{
	activation,
	loss::cross_entropy_with_logits,
	module::{conv2d, linear, max_pool2d},
	ops::{ConvOptions, MaxPoolOptions},
	Device, Tensor, TensorData,
};
use cairn_primitives::{Activation, Architecture, Cnn, Mlp};

use crate::{rng::SplitMix64, weights::Weights};

const INIT_DOMAIN: &[u8] = b"cairn/init";

/// One layer's parameters, or any per-parameter quantity of the same shapes (gradients,
/// optimizer moments). A convolution's weight is held as the matrix `[out, in · k · k]`, its
/// canonical shape's rows, so that optimizers and checkpoints treat every layer alike.
#[derive(Clone, Debug)]
pub(crate) struct Layer {
	pub weight: Tensor<2>,
	pub bias: Tensor<1>,
}

/// A network workers train, from a task's architecture.
#[derive(Clone, Debug)]
pub(crate) enum Network {
	/// A fully connected network.
	Mlp(Mlp),
	/// Convolutions, then dense layers.
	Cnn(Cnn),
}

/// A layer's canonical parameter names and shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayerShape {
	/// Name prefix of its parameters: `layers.{i}`, `convs.{i}` or `dense.{j}`.
	pub name: String,
	/// Canonical weight shape: `[in, out]` or `[out, in, k, k]`.
	pub weight: Vec<usize>,
	/// Inputs each output sums over.
	pub fan_in: usize,
	/// Bias length.
	pub outputs: usize,
	/// Output positions per sample: a convolution's feature map size, 1 for a dense layer.
	pub positions: usize,
}

impl LayerShape {
	/// Shape the weight is held in: the canonical shape's first dimension by the rest.
	pub fn matrix(&self) -> [usize; 2] {
		[self.weight[0], self.weight[1..].iter().product()]
	}

	/// A linear layer's: weight `[fan_in, outputs]`.
	fn dense(name: String, fan_in: usize, outputs: usize) -> Self {
		Self { name, weight: vec![fan_in, outputs], fan_in, outputs, positions: 1 }
	}
}

impl Network {
	/// The network of `architecture`, when it is valid and of a kind workers train (the bounds
	/// keep every shape consistent: odd kernels, pools over even sides).
	pub fn of(architecture: &Architecture) -> Option<Self> {
		architecture.validate().ok()?;
		match architecture {
			Architecture::Mlp(mlp) => Some(Network::Mlp(mlp.clone())),
			Architecture::Cnn(cnn) => Some(Network::Cnn(cnn.clone())),
			Architecture::Transformer(_) | Architecture::External { .. } => None,
		}
	}

	/// Features per sample.
	pub fn inputs(&self) -> usize {
		match self {
			Network::Mlp(mlp) => mlp.input as usize,
			Network::Cnn(cnn) => cnn.input_features() as usize,
		}
	}

	/// Outputs per sample.
	pub fn outputs(&self) -> usize {
		match self {
			Network::Mlp(mlp) => mlp.output as usize,
			Network::Cnn(cnn) => cnn.output as usize,
		}
	}

	/// The non-linearity between layers.
	fn activation(&self) -> Activation {
		match self {
			Network::Mlp(mlp) => mlp.activation,
			Network::Cnn(cnn) => cnn.activation,
		}
	}

	/// Every layer's parameter names and shapes, in canonical order.
	pub fn layer_shapes(&self) -> Vec<LayerShape> {
		let dense = |prefix: &str, widths: Vec<usize>| -> Vec<LayerShape> {
			widths
				.windows(2)
				.enumerate()
				.map(|(i, pair)| LayerShape::dense(format!("{prefix}.{i}"), pair[0], pair[1]))
				.collect()
		};
		match self {
			Network::Mlp(mlp) => dense("layers", mlp.widths().map(|w| w as usize).collect()),
			Network::Cnn(cnn) => {
				let convs = cnn.conv_shapes().enumerate().map(|(i, c)| {
					let (out, inp, k) =
						(c.out_channels as usize, c.in_channels as usize, c.kernel as usize);
					LayerShape {
						name: format!("convs.{i}"),
						weight: vec![out, inp, k, k],
						fan_in: inp * k * k,
						outputs: out,
						positions: c.height as usize * c.width as usize,
					}
				});
				convs
					.chain(dense("dense", cnn.dense_widths().map(|w| w as usize).collect()))
					.collect()
			},
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

/// The network: its layers and architecture.
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
				let matrix = shape.matrix();
				let weight = uniform(init_seed, stream, matrix[0] * matrix[1], shape.fan_in);
				let bias = uniform(init_seed, stream + 1, shape.outputs, shape.fan_in);
				Layer {
					weight: Tensor::from_data(TensorData::new(weight, matrix), device),
					bias: Tensor::from_data(TensorData::new(bias, [shape.outputs]), device),
				}
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
			.map(|(pair, shape)| Layer {
				weight: Tensor::from_data(
					TensorData::new(pair[0].values.clone(), shape.matrix()),
					device,
				),
				bias: Tensor::from_data(
					TensorData::new(pair[1].values.clone(), pair[1].shape.clone()),
					device,
				),
			})
			.collect();
		Self { layers, network: network.clone() }
	}

	/// Logits `[batch, outputs]` for inputs `[batch, features]`.
	pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
		forward(&self.layers, &self.network, input, None)
	}

	/// Mean cross-entropy of the batch and its gradient for every parameter. `targets` holds one
	/// probability row per sample (one-hot for class labels). With `intermediates`, the forward
	/// pass pushes onto it, layer by layer, each convolution's output, activation and (when
	/// pooled) pool output, then each linear output and (but the last layer's) each activation
	/// output, without autodiff.
	pub fn loss_and_gradients(
		&self,
		input: Tensor<2>,
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
fn forward(
	layers: &[Layer],
	network: &Network,
	input: Tensor<2>,
	mut recorder: Recorder<'_>,
) -> Tensor<2> {
	let kind = network.activation();
	let (flat, dense) = match network {
		Network::Mlp(_) => (input, layers),
		Network::Cnn(cnn) => {
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
	use cairn_primitives::BoundedVec;

	use super::*;

	/// IEEE bit patterns of `tensor`'s values.
	fn bits<const D: usize>(tensor: &Tensor<D>) -> Vec<u32> {
		let data = tensor.clone().without_autodiff().into_data();
		data.as_slice::<f32>().unwrap().iter().map(|v| v.to_bits()).collect()
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
		let targets = Tensor::<2>::from_data(
			TensorData::new(
				vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
				[4, 3],
			),
			&device,
		);
		let mut intermediates = Vec::new();
		let (loss, gradients) = model
			.loss_and_gradients(input.clone(), targets.clone(), Some(&mut intermediates))
			.unwrap();
		// Recording changes no bit of the step.
		let (plain_loss, plain_gradients) =
			model.loss_and_gradients(input.clone(), targets, None).unwrap();
		assert_eq!(bits(&loss), bits(&plain_loss));
		for (traced, plain) in gradients.iter().zip(&plain_gradients) {
			assert_eq!(bits(&traced.weight), bits(&plain.weight));
			assert_eq!(bits(&traced.bias), bits(&plain.bias));
		}
		// Linear output of layer i, then its activation (but for the last layer's).
		assert_eq!(intermediates.len(), 5);
		for i in 0..model.layers.len() {
			let linear_output = forward(&model.layers[..=i], &network, input.clone(), None);
			assert_eq!(bits(&intermediates[2 * i].values), bits(&linear_output), "layer {i}");
			if i + 1 < model.layers.len() {
				let activated = activate(mlp.activation, linear_output);
				assert_eq!(bits(&intermediates[2 * i + 1].values), bits(&activated), "layer {i}");
			}
		}
		assert_eq!(bits(&intermediates[4].values), bits(&model.forward(input)), "the logits");
		assert_eq!(intermediates[4].shape, [4, 3]);
	}
}
