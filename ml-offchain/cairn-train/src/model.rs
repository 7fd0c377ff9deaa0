//! The MLP of a task spec as burn tensors: deterministic initialisation, forward pass and
//! gradients of the cross-entropy loss. The training forward pass can hand out its intermediate
//! tensors, so that a step's trace (see [`crate::trace`]) holds the values training computes.
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

use crate::{encoding::NamedTensor, rng::SplitMix64, weights::Weights};

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

	/// The network of `mlp` with `weights`, already checked to fit it.
	pub fn from_weights(mlp: &Mlp, weights: &Weights, device: &Device) -> Self {
		let tensor = |t: &NamedTensor| TensorData::new(t.values.clone(), t.shape.clone());
		let layers = weights
			.tensors()
			.chunks_exact(2)
			.map(|pair| Layer {
				weight: Tensor::from_data(tensor(&pair[0]), device),
				bias: Tensor::from_data(tensor(&pair[1]), device),
			})
			.collect();
		Self { layers, activation: mlp.activation }
	}

	/// Logits `[batch, outputs]` for inputs `[batch, features]`.
	pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
		forward(&self.layers, self.activation, input, None)
	}

	/// Mean cross-entropy of the batch and its gradient for every parameter. `targets` holds one
	/// probability row per sample (one-hot for class labels). With `intermediates`, the forward
	/// pass pushes onto it, layer by layer, each linear output and (but the last layer's) each
	/// activation output, without autodiff.
	pub fn loss_and_gradients(
		&self,
		input: Tensor<2>,
		targets: Tensor<2>,
		intermediates: Option<&mut Vec<Tensor<2>>>,
	) -> Option<(Tensor<1>, Vec<Layer>)> {
		let tracked: Vec<Layer> = self
			.layers
			.iter()
			.map(|layer| Layer {
				weight: layer.weight.clone().autodiff().require_grad(),
				bias: layer.bias.clone().autodiff().require_grad(),
			})
			.collect();
		let logits = forward(&tracked, self.activation, input.autodiff(), intermediates);
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

/// The forward pass; pushes every linear and activation output onto `intermediates` if given.
fn forward(
	layers: &[Layer],
	kind: Activation,
	input: Tensor<2>,
	mut intermediates: Option<&mut Vec<Tensor<2>>>,
) -> Tensor<2> {
	let hidden = layers.len().saturating_sub(1);
	let mut record = |tensor: &Tensor<2>| {
		if let Some(intermediates) = intermediates.as_deref_mut() {
			intermediates.push(tensor.clone().without_autodiff());
		}
	};
	layers.iter().enumerate().fold(input, |x, (i, layer)| {
		let y = linear(x, layer.weight.clone(), Some(layer.bias.clone()));
		record(&y);
		if i < hidden {
			let y = activate(kind, y);
			record(&y);
			y
		} else {
			y
		}
	})
}

/// The activation `kind` applied to `x`, element by element.
fn activate(kind: Activation, x: Tensor<2>) -> Tensor<2> {
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
		let model = Model::init(&mlp, 9, &device);
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
			let linear_output = forward(&model.layers[..=i], mlp.activation, input.clone(), None);
			assert_eq!(bits(&intermediates[2 * i]), bits(&linear_output), "layer {i}");
			if i + 1 < model.layers.len() {
				let activated = activate(mlp.activation, linear_output);
				assert_eq!(bits(&intermediates[2 * i + 1]), bits(&activated), "layer {i}");
			}
		}
		assert_eq!(bits(&intermediates[4]), bits(&model.forward(input)), "the logits");
	}
}
