//! The optimizers of a task spec, written out on tensors so that their whole state is explicit and
//! goes into every checkpoint.
//!
//! With learning rate `lr`, gradient `g` and parameter `p` (all operations element-wise `f32`, in
//! this order):
//!
//! * SGD without momentum: `p ← p − g·lr`.
//! * SGD with momentum `μ > 0`: `v ← v·μ + g`, `p ← p − v·lr` (`v` starts at zero; PyTorch's and
//!   burn's SGD without dampening).
//! * Adam (`β1`, `β2`, `ε`): first `β1ᵗ ← β1ᵗ·β1` and `β2ᵗ ← β2ᵗ·β2` (both start at 1), then
//!   `m ← m·β1 + g·(1−β1)`, `v ← v·β2 + (g·g)·(1−β2)`, `m̂ = m / (1−β1ᵗ)`, `v̂ = v / (1−β2ᵗ)`,
//!   `p ← p − (m̂ / (√v̂ + ε))·lr`. The running powers `β1ᵗ`, `β2ᵗ` are state too, so no party
//!   ever computes `powi`, whose result may differ between platforms.

use burn::tensor::{Device, Tensor};
use cairn_primitives::Optimizer;

use crate::model::{Layer, Model, Network};

/// Adam's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct AdamConfig {
	lr: f32,
	beta1: f32,
	beta2: f32,
	epsilon: f32,
}

/// A spec's optimizer with its hyper-parameters decoded from their bit patterns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
	Sgd { lr: f32 },
	Momentum { lr: f32, momentum: f32 },
	Adam(AdamConfig),
}

impl Kind {
	/// The optimizer a spec names; SGD with momentum 0 is plain SGD, without state.
	pub fn of(optimizer: &Optimizer) -> Self {
		match *optimizer {
			Optimizer::Sgd { learning_rate_bits, momentum_bits } => {
				let (lr, momentum) =
					(f32::from_bits(learning_rate_bits), f32::from_bits(momentum_bits));
				if momentum == 0.0 {
					Kind::Sgd { lr }
				} else {
					Kind::Momentum { lr, momentum }
				}
			},
			Optimizer::Adam { learning_rate_bits, beta1_bits, beta2_bits, epsilon_bits } => {
				Kind::Adam(AdamConfig {
					lr: f32::from_bits(learning_rate_bits),
					beta1: f32::from_bits(beta1_bits),
					beta2: f32::from_bits(beta2_bits),
					epsilon: f32::from_bits(epsilon_bits),
				})
			},
		}
	}

	/// Tag of the state in the checkpoint encoding: 0 SGD, 1 SGD with momentum, 2 Adam.
	pub fn tag(&self) -> u8 {
		match self {
			Kind::Sgd { .. } => 0,
			Kind::Momentum { .. } => 1,
			Kind::Adam(_) => 2,
		}
	}

	/// Names of the per-parameter state tensors, in encoding order.
	pub fn moment_names(&self) -> &'static [&'static str] {
		match self {
			Kind::Sgd { .. } => &[],
			Kind::Momentum { .. } => &["momentum"],
			Kind::Adam(_) => &["m", "v"],
		}
	}

	/// Number of scalar state values (Adam's running powers).
	pub fn scalar_count(&self) -> usize {
		match self {
			Kind::Adam(_) => 2,
			_ => 0,
		}
	}
}

/// An optimizer with its hyper-parameters and state.
#[derive(Clone, Debug)]
pub(crate) enum OptimizerState {
	/// Plain SGD: no state.
	Sgd { lr: f32 },
	/// SGD with momentum: one velocity per parameter.
	Momentum { lr: f32, momentum: f32, velocity: Vec<Layer> },
	/// Adam: running powers `[β1ᵗ, β2ᵗ]` and two moments per parameter.
	Adam { config: AdamConfig, powers: [f32; 2], m: Vec<Layer>, v: Vec<Layer> },
}

fn zeros(network: &Network, device: &Device) -> Vec<Layer> {
	network
		.layer_shapes()
		.into_iter()
		.map(|shape| Layer {
			weight: Tensor::zeros(shape.matrix(), device),
			bias: Tensor::zeros([shape.flat()], device),
		})
		.collect()
}

impl OptimizerState {
	/// The state before the first step: zero moments, running powers 1.
	pub fn new(kind: Kind, network: &Network, device: &Device) -> Self {
		match kind {
			Kind::Sgd { lr } => OptimizerState::Sgd { lr },
			Kind::Momentum { lr, momentum } => {
				OptimizerState::Momentum { lr, momentum, velocity: zeros(network, device) }
			},
			Kind::Adam(config) => OptimizerState::Adam {
				config,
				powers: [1.0; 2],
				m: zeros(network, device),
				v: zeros(network, device),
			},
		}
	}

	/// `kind` with the given state: `scalars` of length [`Kind::scalar_count`] and one moment per
	/// name of [`Kind::moment_names`]. `None` when the counts do not match.
	pub fn restore(kind: Kind, scalars: &[f32], moments: Vec<Vec<Layer>>) -> Option<Self> {
		let mut moments = moments.into_iter();
		let state = match (kind, scalars) {
			(Kind::Sgd { lr }, []) => OptimizerState::Sgd { lr },
			(Kind::Momentum { lr, momentum }, []) => {
				OptimizerState::Momentum { lr, momentum, velocity: moments.next()? }
			},
			(Kind::Adam(config), [p1, p2]) => OptimizerState::Adam {
				config,
				powers: [*p1, *p2],
				m: moments.next()?,
				v: moments.next()?,
			},
			_ => return None,
		};
		moments.next().is_none().then_some(state)
	}

	/// Scalar state, in encoding order.
	pub fn scalars(&self) -> Vec<f32> {
		match self {
			OptimizerState::Adam { powers, .. } => powers.to_vec(),
			_ => Vec::new(),
		}
	}

	/// Per-parameter state, one entry per name of [`Kind::moment_names`], in encoding order.
	pub fn moments(&self) -> Vec<&[Layer]> {
		match self {
			OptimizerState::Sgd { .. } => Vec::new(),
			OptimizerState::Momentum { velocity, .. } => vec![velocity],
			OptimizerState::Adam { m, v, .. } => vec![m, v],
		}
	}

	/// Applies one step of `gradients` (one [`Layer`] per model layer) to `model`.
	pub fn step(&mut self, model: &mut Model, gradients: Vec<Layer>) {
		let layers = model.layers.iter_mut().zip(gradients);
		match self {
			OptimizerState::Sgd { lr } => {
				for (layer, grad) in layers {
					layer.weight = sgd(layer.weight.clone(), grad.weight, *lr);
					layer.bias = sgd(layer.bias.clone(), grad.bias, *lr);
				}
			},
			OptimizerState::Momentum { lr, momentum, velocity } => {
				for ((layer, grad), v) in layers.zip(velocity.iter_mut()) {
					(layer.weight, v.weight) = with_momentum(
						layer.weight.clone(),
						grad.weight,
						v.weight.clone(),
						*lr,
						*momentum,
					);
					(layer.bias, v.bias) = with_momentum(
						layer.bias.clone(),
						grad.bias,
						v.bias.clone(),
						*lr,
						*momentum,
					);
				}
			},
			OptimizerState::Adam { config, powers, m, v } => {
				powers[0] *= config.beta1;
				powers[1] *= config.beta2;
				for (((layer, grad), m), v) in layers.zip(m.iter_mut()).zip(v.iter_mut()) {
					(layer.weight, m.weight, v.weight) = adam(
						layer.weight.clone(),
						grad.weight,
						m.weight.clone(),
						v.weight.clone(),
						config,
						*powers,
					);
					(layer.bias, m.bias, v.bias) = adam(
						layer.bias.clone(),
						grad.bias,
						m.bias.clone(),
						v.bias.clone(),
						config,
						*powers,
					);
				}
			},
		}
	}
}

fn sgd<const D: usize>(param: Tensor<D>, grad: Tensor<D>, lr: f32) -> Tensor<D> {
	param.sub(grad.mul_scalar(lr))
}

fn with_momentum<const D: usize>(
	param: Tensor<D>,
	grad: Tensor<D>,
	velocity: Tensor<D>,
	lr: f32,
	momentum: f32,
) -> (Tensor<D>, Tensor<D>) {
	let velocity = velocity.mul_scalar(momentum).add(grad);
	(param.sub(velocity.clone().mul_scalar(lr)), velocity)
}

fn adam<const D: usize>(
	param: Tensor<D>,
	grad: Tensor<D>,
	m: Tensor<D>,
	v: Tensor<D>,
	config: &AdamConfig,
	[power1, power2]: [f32; 2],
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
	let m = m.mul_scalar(config.beta1).add(grad.clone().mul_scalar(1.0 - config.beta1));
	let v = v
		.mul_scalar(config.beta2)
		.add(grad.clone().mul(grad).mul_scalar(1.0 - config.beta2));
	let m_hat = m.clone().div_scalar(1.0 - power1);
	let v_hat = v.clone().div_scalar(1.0 - power2);
	let param = param.sub(m_hat.div(v_hat.sqrt().add_scalar(config.epsilon)).mul_scalar(config.lr));
	(param, m, v)
}
