//! Between a training state on tensors and the host-side [`Contents`] of its checkpoint.

use burn::tensor::{Device, Tensor, TensorData};
use cairn_primitives::Mlp;

use super::error::{backend_error, TrainError};
use crate::{
	encoding::{Contents, NamedTensor},
	model::{layer_shapes, Layer, Model},
	optim::{Kind, OptimizerState},
};

/// A tensor's shape and its values in row-major order, on the host.
pub(crate) type HostTensor = (Vec<usize>, Vec<f32>);

/// Shape and values of `tensor`, read back to the host.
pub(super) fn to_host<const D: usize>(tensor: &Tensor<D>) -> Result<HostTensor, TrainError> {
	let values = tensor
		.clone()
		.try_into_data()
		.map_err(backend_error)?
		.try_into_vec::<f32>()
		.map_err(backend_error)?;
	Ok((tensor.dims().to_vec(), values))
}

/// Every layer's weight then bias, layer by layer, read back to the host.
pub(super) fn layers_to_host<'l>(
	layers: impl IntoIterator<Item = &'l Layer>,
) -> Result<Vec<HostTensor>, TrainError> {
	let mut host = Vec::new();
	for layer in layers {
		host.push(to_host(&layer.weight)?);
		host.push(to_host(&layer.bias)?);
	}
	Ok(host)
}

/// Names and shapes of every tensor of a checkpoint of `mlp` trained with `kind`, in encoding
/// order: the parameters, then each optimizer moment for every parameter.
fn layout(mlp: &Mlp, kind: Kind) -> Vec<(String, Vec<usize>)> {
	let shapes = layer_shapes(mlp);
	let groups = std::iter::once((String::new(), String::new())).chain(
		kind.moment_names()
			.iter()
			.map(|moment| ("optim.".to_owned(), format!(".{moment}"))),
	);
	groups
		.flat_map(|(prefix, suffix)| {
			shapes.iter().enumerate().flat_map(move |(i, &[fan_in, fan_out])| {
				[
					(format!("{prefix}layers.{i}.weight{suffix}"), vec![fan_in, fan_out]),
					(format!("{prefix}layers.{i}.bias{suffix}"), vec![fan_out]),
				]
			})
		})
		.collect()
}

/// Bytes of the checkpoint encoding of any state of `mlp` trained with `kind` (see
/// [`crate::encoding`]): the same at every step, so a download can be refused past it.
pub(super) fn checkpoint_len(mlp: &Mlp, kind: Kind) -> usize {
	let header = 8 + 4 + 4 + 1 + 1 + 4 * kind.scalar_count() + 4;
	let tensors: usize = layout(mlp, kind)
		.iter()
		.map(|(name, shape)| {
			2 + name.len() + 1 + 1 + 4 * shape.len() + 4 * shape.iter().product::<usize>()
		})
		.sum();
	header + tensors
}

/// Rebuilds `[weight, bias]` pairs from host tensors already checked against [`layout`].
fn layers_from(
	tensors: &mut impl Iterator<Item = NamedTensor>,
	count: usize,
	device: &Device,
) -> Vec<Layer> {
	(0..count)
		.filter_map(|_| {
			let weight = tensors.next()?;
			let bias = tensors.next()?;
			Some(Layer {
				weight: Tensor::from_data(TensorData::new(weight.values, weight.shape), device),
				bias: Tensor::from_data(TensorData::new(bias.values, bias.shape), device),
			})
		})
		.collect()
}

/// The checkpoint contents of `model` and `optimizer` (of `mlp` trained with `kind`) at `step`.
pub(super) fn capture(
	mlp: &Mlp,
	kind: Kind,
	step: u32,
	model: &Model,
	optimizer: &OptimizerState,
) -> Result<Contents, TrainError> {
	let host =
		layers_to_host(model.layers.iter().chain(optimizer.moments().into_iter().flatten()))?;
	let tensors = layout(mlp, kind)
		.into_iter()
		.zip(host)
		.map(|((name, _), (shape, values))| NamedTensor { name, shape, values })
		.collect();
	Ok(Contents { step, optimizer_tag: kind.tag(), scalars: optimizer.scalars(), tensors })
}

/// The model and optimizer state in `contents`, after checking that they are a state of `mlp`
/// trained with `kind`.
pub(super) fn restore(
	mlp: &Mlp,
	kind: Kind,
	device: &Device,
	contents: Contents,
) -> Result<(Model, OptimizerState), TrainError> {
	if contents.optimizer_tag != kind.tag() {
		return Err(TrainError::Mismatch(format!(
			"optimizer tag {} where the task's optimizer has tag {}",
			contents.optimizer_tag,
			kind.tag()
		)));
	}
	let expected = layout(mlp, kind);
	if contents.tensors.len() != expected.len() {
		return Err(TrainError::Mismatch(format!(
			"{} tensors where the task has {}",
			contents.tensors.len(),
			expected.len()
		)));
	}
	for (tensor, (name, shape)) in contents.tensors.iter().zip(&expected) {
		if &tensor.name != name || &tensor.shape != shape {
			return Err(TrainError::Mismatch(format!(
				"tensor {} {:?} where the task has {name} {shape:?}",
				tensor.name, tensor.shape
			)));
		}
	}
	let layers = layer_shapes(mlp).len();
	let mut tensors = contents.tensors.into_iter();
	let model =
		Model { layers: layers_from(&mut tensors, layers, device), activation: mlp.activation };
	let moments = kind
		.moment_names()
		.iter()
		.map(|_| layers_from(&mut tensors, layers, device))
		.collect();
	let optimizer = OptimizerState::restore(kind, &contents.scalars, moments).ok_or_else(|| {
		TrainError::Mismatch(format!(
			"{} optimizer scalars where the task has {}",
			contents.scalars.len(),
			kind.scalar_count()
		))
	})?;
	Ok((model, optimizer))
}
