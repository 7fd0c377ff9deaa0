//! Between a training state on tensors and the host-side [`Contents`] of its checkpoint.

use super::error::{backend_error, TrainError};
use crate::{
	encoding::{Contents, NamedTensor},
	model::{Layer, LayerShape, Model, Network},
	optim::{Kind, OptimizerState},
};
use burn::tensor::{Device, Tensor};

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

/// Every pair's first tensor, then its second, pair by pair, in their canonical shapes, read
/// back to the host; `shapes` are the network's pairs, repeated when `layers` holds several
/// groups of them.
pub(super) fn layers_to_host<'l>(
	layers: impl IntoIterator<Item = &'l Layer>,
	shapes: &[LayerShape],
) -> Result<Vec<HostTensor>, TrainError> {
	let mut host = Vec::new();
	for (layer, shape) in layers.into_iter().zip(shapes.iter().cycle()) {
		host.push((shape.shapes[0].clone(), to_host(&layer.weight)?.1));
		host.push((shape.shapes[1].clone(), to_host(&layer.bias)?.1));
	}
	Ok(host)
}

/// Names and shapes of every tensor of a checkpoint of `network` trained with `kind`, in
/// encoding order: the parameters, then each optimizer moment for every parameter.
fn layout(network: &Network, kind: Kind) -> Vec<(String, Vec<usize>)> {
	let shapes = network.layer_shapes();
	let groups = std::iter::once((String::new(), String::new())).chain(
		kind.moment_names()
			.iter()
			.map(|moment| ("optim.".to_owned(), format!(".{moment}"))),
	);
	groups
		.flat_map(|(prefix, suffix)| {
			shapes.iter().flat_map(move |shape| {
				let [first, second] = &shape.names;
				[
					(format!("{prefix}{first}{suffix}"), shape.shapes[0].clone()),
					(format!("{prefix}{second}{suffix}"), shape.shapes[1].clone()),
				]
			})
		})
		.collect()
}

/// Bytes of the checkpoint encoding of any state of `network` trained with `kind` (see
/// [`crate::encoding`]): the same at every step, so a download can be refused past it.
pub(super) fn checkpoint_len(network: &Network, kind: Kind) -> usize {
	let header = 8 + 4 + 4 + 1 + 1 + 4 * kind.scalar_count() + 4;
	let tensors: usize = layout(network, kind)
		.iter()
		.map(|(name, shape)| {
			2 + name.len() + 1 + 1 + 4 * shape.len() + 4 * shape.iter().product::<usize>()
		})
		.sum();
	header + tensors
}

/// Rebuilds the pairs of `shapes` from host tensors already checked against [`layout`].
fn layers_from(
	tensors: &mut impl Iterator<Item = NamedTensor>,
	shapes: &[LayerShape],
	device: &Device,
) -> Vec<Layer> {
	shapes
		.iter()
		.filter_map(|shape| {
			let first = tensors.next()?;
			let second = tensors.next()?;
			Some(Layer::from_values(shape, first.values, second.values, device))
		})
		.collect()
}

/// The checkpoint contents of `model` and `optimizer` (trained with `kind`) at `step`.
pub(super) fn capture(
	kind: Kind,
	step: u32,
	model: &Model,
	optimizer: &OptimizerState,
) -> Result<Contents, TrainError> {
	let layers = model.layers.iter().chain(optimizer.moments().into_iter().flatten());
	let host = layers_to_host(layers, &model.network.layer_shapes())?;
	let tensors = layout(&model.network, kind)
		.into_iter()
		.zip(host)
		.map(|((name, _), (shape, values))| NamedTensor { name, shape, values })
		.collect();
	Ok(Contents { step, optimizer_tag: kind.tag(), scalars: optimizer.scalars(), tensors })
}

/// The model and optimizer state in `contents`, after checking that they are a state of
/// `network` trained with `kind`.
pub(super) fn restore(
	network: &Network,
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
	let expected = layout(network, kind);
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
	let shapes = network.layer_shapes();
	let mut tensors = contents.tensors.into_iter();
	let model =
		Model { layers: layers_from(&mut tensors, &shapes, device), network: network.clone() };
	let moments = kind
		.moment_names()
		.iter()
		.map(|_| layers_from(&mut tensors, &shapes, device))
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
