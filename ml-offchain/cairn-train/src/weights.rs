//! Trained weights in and out of Cairn: the canonical encoding the model registry hashes (see
//! [`crate::encoding`]) and safetensors, the format open models are published in.
//!
//! In safetensors every tensor keeps its canonical name (`layers.{i}.weight`, `layers.{i}.bias`)
//! and each weight is stored as PyTorch's `nn.Linear` stores it, `[out, in]`: the transpose of
//! Cairn's `[in, out]`, so the file loads into a PyTorch stack of `Linear` layers as it is. The
//! transpose moves values without changing a bit, so the same weights have the same hash in
//! either file. The header's metadata (the caller's, plus `format: pt`) is informative only: a
//! file's hash is always computed from its tensors.

use std::collections::HashMap;

use cairn_primitives::{merkle::blake2_256, Hash256, Mlp};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use thiserror::Error;

use crate::encoding::{decode_weights, encode_weights, NamedTensor};

const WEIGHTS_MAGIC: &[u8; 8] = b"CAIRNWTS";

/// Why bytes are not usable weights.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WeightsError {
	/// Neither a canonical weights encoding nor a safetensors file of `f32` MLP parameters.
	#[error("not a weights file: {0}")]
	Malformed(String),
	/// Well-formed weights of another network.
	#[error("the weights do not fit the architecture: {0}")]
	Mismatch(String),
}

/// The parameters of an MLP, in canonical order (`layers.0.weight`, `layers.0.bias`,
/// `layers.1.weight`, ...), each weight `[in, out]`, each layer's input the previous one's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
	tensors: Vec<NamedTensor>,
}

impl Weights {
	/// Canonical weights (`CAIRNWTS`) or a safetensors file, told apart by the first bytes.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
		if bytes.starts_with(WEIGHTS_MAGIC) {
			Self::from_canonical(bytes)
		} else {
			Self::from_safetensors(bytes)
		}
	}

	/// The canonical weights encoding, as the registry hashes it and solvers serve it.
	pub fn from_canonical(bytes: &[u8]) -> Result<Self, WeightsError> {
		let tensors = decode_weights(bytes).map_err(|e| WeightsError::Malformed(e.0.into()))?;
		Self::checked(tensors)
	}

	/// A safetensors file of `f32` tensors named as the canonical ones, weights `[out, in]`.
	pub fn from_safetensors(bytes: &[u8]) -> Result<Self, WeightsError> {
		let file = SafeTensors::deserialize(bytes)
			.map_err(|e| WeightsError::Malformed(format!("safetensors: {e}")))?;
		let mut named: Vec<(usize, u8, NamedTensor)> = Vec::new();
		for (name, view) in file.iter() {
			let (layer, part) = parse_name(name)?;
			if view.dtype() != Dtype::F32 {
				return Err(WeightsError::Malformed(format!(
					"{name} is {:?}; only F32 tensors are weights",
					view.dtype()
				)));
			}
			let values: Vec<f32> = view
				.data()
				.chunks_exact(4)
				.map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
				.collect();
			let tensor = match (part, view.shape()) {
				(WEIGHT, &[out, inp]) => NamedTensor {
					name: name.to_owned(),
					shape: vec![inp, out],
					values: transpose(&values, out, inp),
				},
				_ => NamedTensor { name: name.to_owned(), shape: view.shape().to_vec(), values },
			};
			named.push((layer, part, tensor));
		}
		named.sort_by_key(|(layer, part, _)| (*layer, *part));
		Self::checked(named.into_iter().map(|(_, _, tensor)| tensor).collect())
	}

	/// Checks the canonical order, names, ranks and chaining of `tensors`.
	fn checked(tensors: Vec<NamedTensor>) -> Result<Self, WeightsError> {
		if tensors.is_empty() || tensors.len() % 2 != 0 {
			return Err(WeightsError::Malformed(format!(
				"{} tensors: an MLP has a weight and a bias per layer",
				tensors.len()
			)));
		}
		let mut previous_out = None;
		for (layer, pair) in tensors.chunks_exact(2).enumerate() {
			let (weight, bias) = (&pair[0], &pair[1]);
			let expected = [format!("layers.{layer}.weight"), format!("layers.{layer}.bias")];
			if weight.name != expected[0] || bias.name != expected[1] {
				return Err(WeightsError::Malformed(format!(
					"{} and {} where {} and {} belong",
					weight.name, bias.name, expected[0], expected[1]
				)));
			}
			let &[inp, out] = weight.shape.as_slice() else {
				return Err(WeightsError::Malformed(format!("{} is not a matrix", weight.name)));
			};
			if bias.shape != [out] || previous_out.is_some_and(|previous| previous != inp) {
				return Err(WeightsError::Malformed(format!(
					"layer {layer}: weight {:?} and bias {:?} do not chain",
					weight.shape, bias.shape
				)));
			}
			previous_out = Some(out);
		}
		Ok(Self { tensors })
	}

	/// Layer widths from input to output.
	pub fn widths(&self) -> Vec<usize> {
		let mut widths = vec![self.tensors[0].shape[0]];
		widths.extend(self.tensors.chunks_exact(2).map(|pair| pair[0].shape[1]));
		widths
	}

	/// Checks that these are parameters of `mlp`.
	pub fn fit(&self, mlp: &Mlp) -> Result<(), WeightsError> {
		let expected: Vec<usize> = mlp.widths().map(|w| w as usize).collect();
		// Equal widths are equally many layers.
		if self.widths() != expected {
			return Err(WeightsError::Mismatch(format!(
				"widths {:?} where the architecture has {expected:?}",
				self.widths()
			)));
		}
		Ok(())
	}

	/// The canonical encoding: what the registry hashes and solvers serve.
	pub fn canonical(&self) -> Vec<u8> {
		encode_weights(&self.tensors)
	}

	/// BLAKE2b-256 of the canonical encoding: the hash a model is registered under.
	pub fn hash(&self) -> Hash256 {
		blake2_256(&self.canonical())
	}

	/// A safetensors file of these weights, weights `[out, in]`, with `metadata` and `format: pt`
	/// in its header.
	pub fn to_safetensors(
		&self,
		metadata: HashMap<String, String>,
	) -> Result<Vec<u8>, WeightsError> {
		let stored: Vec<(String, Vec<usize>, Vec<u8>)> = self
			.tensors
			.iter()
			.map(|tensor| {
				let (shape, values) = match tensor.shape.as_slice() {
					&[inp, out] => (vec![out, inp], transpose(&tensor.values, inp, out)),
					_ => (tensor.shape.clone(), tensor.values.clone()),
				};
				let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
				(tensor.name.clone(), shape, bytes)
			})
			.collect();
		let views = stored
			.iter()
			.map(|(name, shape, bytes)| {
				TensorView::new(Dtype::F32, shape.clone(), bytes).map(|view| (name.as_str(), view))
			})
			.collect::<Result<Vec<_>, _>>()
			.map_err(|e| WeightsError::Malformed(format!("safetensors: {e}")))?;
		let mut metadata = metadata;
		metadata.insert("format".into(), "pt".into());
		safetensors::serialize(views, Some(metadata))
			.map_err(|e| WeightsError::Malformed(format!("safetensors: {e}")))
	}

	pub(crate) fn tensors(&self) -> &[NamedTensor] {
		&self.tensors
	}
}

/// The metadata in a safetensors file's header (empty when it has none).
pub fn safetensors_metadata(bytes: &[u8]) -> Result<HashMap<String, String>, WeightsError> {
	let (_, metadata) = SafeTensors::read_metadata(bytes)
		.map_err(|e| WeightsError::Malformed(format!("safetensors: {e}")))?;
	Ok(metadata.metadata().clone().unwrap_or_default())
}

const WEIGHT: u8 = 0;
const BIAS: u8 = 1;

/// Layer index and part (weight or bias) of a canonical parameter name.
fn parse_name(name: &str) -> Result<(usize, u8), WeightsError> {
	let unknown = || WeightsError::Malformed(format!("{name} is not an MLP parameter name"));
	let rest = name.strip_prefix("layers.").ok_or_else(unknown)?;
	let (layer, part) = rest.split_once('.').ok_or_else(unknown)?;
	let layer = layer.parse().ok().filter(|_| !layer.starts_with('+')).ok_or_else(unknown)?;
	match part {
		"weight" => Ok((layer, WEIGHT)),
		"bias" => Ok((layer, BIAS)),
		_ => Err(unknown()),
	}
}

/// The `[cols, rows]` transpose of a row-major `[rows, cols]` matrix.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
	(0..cols).flat_map(|c| (0..rows).map(move |r| values[r * cols + c])).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn tensor(name: &str, shape: &[usize], offset: f32) -> NamedTensor {
		let len = shape.iter().product();
		NamedTensor {
			name: name.into(),
			shape: shape.to_vec(),
			values: (0..len).map(|i| offset + i as f32 * 0.25 - 1.0).collect(),
		}
	}

	fn weights() -> Weights {
		Weights::checked(vec![
			tensor("layers.0.weight", &[3, 2], 0.0),
			tensor("layers.0.bias", &[2], 10.0),
			tensor("layers.1.weight", &[2, 4], 20.0),
			tensor("layers.1.bias", &[4], -0.0),
		])
		.unwrap()
	}

	#[test]
	fn both_files_carry_the_same_weights_and_hash() {
		let weights = weights();
		let metadata = HashMap::from([("cairn.mlp".to_owned(), "3-2-4".to_owned())]);
		let file = weights.to_safetensors(metadata).unwrap();
		let back = Weights::from_bytes(&file).unwrap();
		assert_eq!(back, weights);
		assert_eq!(back.hash(), weights.hash());
		assert_eq!(Weights::from_bytes(&weights.canonical()).unwrap(), weights);
		assert_eq!(safetensors_metadata(&file).unwrap()["cairn.mlp"], "3-2-4");
		assert_eq!(weights.widths(), [3, 2, 4]);
	}

	#[test]
	fn safetensors_weights_are_stored_out_by_in() {
		let file = weights().to_safetensors(HashMap::new()).unwrap();
		let parsed = SafeTensors::deserialize(&file).unwrap();
		let view = parsed.tensor("layers.0.weight").unwrap();
		assert_eq!(view.shape(), [2, 3]);
		// Canonical [in=3, out=2] row-major: w[i][o] = i*2 + o; stored w'[o][i].
		let stored: Vec<f32> = view
			.data()
			.chunks_exact(4)
			.map(|c| f32::from_le_bytes(c.try_into().unwrap()))
			.collect();
		let canonical = &weights().tensors[0].values;
		for (o, i) in [(0, 0), (0, 2), (1, 1), (1, 2)] {
			assert_eq!(stored[o * 3 + i].to_bits(), canonical[i * 2 + o].to_bits());
		}
	}

	#[test]
	fn wrong_files_are_refused() {
		let file = weights().to_safetensors(HashMap::new()).unwrap();
		for cut in [0, 7, 8, 20, file.len() - 1] {
			assert!(Weights::from_bytes(&file[..cut]).is_err(), "prefix of {cut} bytes");
		}
		let canonical = weights().canonical();
		assert!(Weights::from_bytes(&canonical[..canonical.len() - 1]).is_err());
		let wrong = |tensors: Vec<NamedTensor>| Weights::checked(tensors).unwrap_err();
		assert!(matches!(wrong(vec![]), WeightsError::Malformed(_)));
		let mut gap = weights().tensors;
		gap[2].name = "layers.2.weight".into();
		gap[3].name = "layers.2.bias".into();
		assert!(matches!(wrong(gap), WeightsError::Malformed(_)));
		let mut unchained = weights().tensors;
		unchained[2] = tensor("layers.1.weight", &[3, 4], 0.0);
		assert!(matches!(wrong(unchained), WeightsError::Malformed(_)));
		let mut vector = weights().tensors;
		vector[0] = tensor("layers.0.weight", &[6], 0.0);
		assert!(matches!(wrong(vector), WeightsError::Malformed(_)));
		for name in ["layer.0.weight", "layers.x.weight", "layers.0.gamma", "layers.+0.bias"] {
			assert!(parse_name(name).is_err(), "{name}");
		}
		let f16 = safetensors::serialize(
			[("layers.0.bias", TensorView::new(Dtype::F16, vec![2], &[0u8; 4]).unwrap())],
			None,
		)
		.unwrap();
		assert!(Weights::from_bytes(&f16).unwrap_err().to_string().contains("F16"));
	}

	#[test]
	fn weights_fit_only_their_architecture() {
		use cairn_primitives::{Activation, BoundedVec};
		let mlp = |hidden: u32| Mlp {
			input: 3,
			hidden: BoundedVec::truncate_from(vec![hidden]),
			output: 4,
			activation: Activation::Relu,
		};
		assert_eq!(weights().fit(&mlp(2)), Ok(()));
		assert!(matches!(weights().fit(&mlp(5)), Err(WeightsError::Mismatch(_))));
	}
}
