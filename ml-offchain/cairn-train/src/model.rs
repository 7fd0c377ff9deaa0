//! The MLP of a task spec as burn tensors: deterministic initialisation, forward pass and
//! gradients of the cross-entropy loss.
//!
//! Parameters, in canonical order, are `layers.{i}.weight` with shape `[in, out]` (row-major, so
//! a layer computes `x · W + b`) and `layers.{i}.bias` with shape `[out]`, for `i` from the input
//! layer up. The activation follows every layer but the last. Initial values are Kaiming-uniform
//! as in burn's and PyTorch's linear layers: uniform in `[-1/√in, 1/√in)` for weights and biases,
//! each tensor from its own stream `("cairn/init", init_seed, 2i)` for the weight and `2i + 1` for
//! the bias, drawn in row-major order as `(2u - 1) / √in` with `u` from [`SplitMix64::unit_f32`].

use burn::tensor::{
	activation, loss::cross_entropy_with_logits, module::linear, Device, Tensor, TensorData,
};
use cairn_primitives::{Activation, Mlp};

use crate::rng::SplitMix64;

const INIT_DOMAIN: &[u8] = b"cairn/init";

/// One layer's parameters, or any per-parameter quantity of the same shapes (gradients,
/// optimizer moments).
#[derive(Clone, Debug)]
pub(crate) struct Layer {
	pub weight: Tensor<2>,
	pub bias: Tensor<1>,
}

/// The network: its layers and activation.
#[derive(Clone, Debug)]
pub(crate) struct Model {
	pub layers: Vec<Layer>,
	pub activation: Activation,
}

/// `[in, out]` of every layer of `mlp`.
pub(crate) fn layer_shapes(mlp: &Mlp) -> Vec<[usize; 2]> {
	let widths: Vec<usize> = mlp.widths().map(|w| w as usize).collect();
	widths.windows(2).map(|pair| [pair[0], pair[1]]).collect()
}

fn uniform(seed: u64, stream: u64, len: usize, fan_in: usize) -> Vec<f32> {
	let bound = 1.0 / (fan_in as f32).sqrt();
	let mut rng = SplitMix64::derive(INIT_DOMAIN, seed, stream);
	(0..len).map(|_| (2.0 * rng.unit_f32() - 1.0) * bound).collect()
}

impl Model {
	/// The initial network of `mlp` for `init_seed`, on `device`.
	pub fn init(mlp: &Mlp, init_seed: u64, device: &Device) -> Self {
		let layers = layer_shapes(mlp)
			.into_iter()
			.enumerate()
			.map(|(i, [fan_in, fan_out])| {
				let stream = 2 * i as u64;
				let weight = uniform(init_seed, stream, fan_in * fan_out, fan_in);
				let bias = uniform(init_seed, stream + 1, fan_out, fan_in);
				Layer {
					weight: Tensor::from_data(TensorData::new(weight, [fan_in, fan_out]), device),
					bias: Tensor::from_data(TensorData::new(bias, [fan_out]), device),
				}
			})
			.collect();
		Self { layers, activation: mlp.activation }
	}

	/// Logits `[batch, outputs]` for inputs `[batch, features]`.
	pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
		forward(&self.layers, self.activation, input)
	}

	/// Mean cross-entropy of the batch and its gradient for every parameter. `targets` holds one
	/// probability row per sample (one-hot for class labels).
	pub fn loss_and_gradients(
		&self,
		input: Tensor<2>,
		targets: Tensor<2>,
	) -> Option<(Tensor<1>, Vec<Layer>)> {
		let tracked: Vec<Layer> = self
			.layers
			.iter()
			.map(|layer| Layer {
				weight: layer.weight.clone().autodiff().require_grad(),
				bias: layer.bias.clone().autodiff().require_grad(),
			})
			.collect();
		let logits = forward(&tracked, self.activation, input.autodiff());
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

fn forward(layers: &[Layer], kind: Activation, input: Tensor<2>) -> Tensor<2> {
	let hidden = layers.len().saturating_sub(1);
	layers.iter().enumerate().fold(input, |x, (i, layer)| {
		let y = linear(x, layer.weight.clone(), Some(layer.bias.clone()));
		if i < hidden {
			match kind {
				Activation::Relu => activation::relu(y),
				Activation::Tanh => activation::tanh(y),
				Activation::Gelu => activation::gelu(y),
			}
		} else {
			y
		}
	})
}
