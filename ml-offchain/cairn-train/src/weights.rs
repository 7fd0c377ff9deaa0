//! Trained weights in and out of Cairn: the canonical encoding the model registry hashes (see
//! [`crate::encoding`]) and safetensors, the format open models are published in.
//!
//! In safetensors every tensor keeps its canonical name (`layers.{i}.weight`, `layers.{i}.bias`
//! for an MLP; `convs.{i}.*` then `dense.{j}.*` for a CNN; `embed.tokens`, `embed.positions`,
//! `blocks.{i}.*`, `norm.*` and `head.*` for a transformer, see [`crate::model`]) and each linear
//! weight is stored as PyTorch's `nn.Linear` stores it, `[out, in]`: the transpose of Cairn's
//! `[in, out]`, so the file loads into a PyTorch stack of `Linear` layers as it is. Convolution
//! weights are `[out, in, k, k]` in both, as PyTorch's `nn.Conv2d` holds them; embeddings
//! `[vocab, width]` and `[context, width]` as `nn.Embedding`, and layer norms `[width]` as
//! `nn.LayerNorm`. The transpose moves values without changing a bit, so the same weights have
//! the same hash in either file. The header's metadata (the caller's, plus `format: pt`) is
//! informative only: a file's hash is always computed from its tensors.

use std::collections::HashMap;

use cairn_primitives::{merkle::blake2_256, Activation, Architecture, Hash256, Transformer};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use thiserror::Error;

use crate::{
	encoding::{decode_weights, encode_weights, NamedTensor},
	model::{
		transformer::{BLOCK_PAIRS, EMBEDDINGS},
		Network,
	},
};

const WEIGHTS_MAGIC: &[u8; 8] = b"CAIRNWTS";

/// Why bytes are not usable weights.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WeightsError {
	/// Neither a canonical weights encoding nor a safetensors file of `f32` MLP, CNN or
	/// transformer parameters.
	#[error("not a weights file: {0}")]
	Malformed(String),
	/// Well-formed weights of another network.
	#[error("the weights do not fit the architecture: {0}")]
	Mismatch(String),
}

/// The parameters of an MLP, a CNN or a transformer, in canonical order: an MLP's
/// `layers.0.weight`, `layers.0.bias`, `layers.1.weight`, ..., each weight `[in, out]`; a CNN's
/// `convs.{i}` weights `[out, in, k, k]` and biases, then its `dense.{j}` layers as an MLP's.
/// Each layer's input is the previous one's output (but for the first dense layer of a CNN,
/// which reads the flattened feature map: [`fit`](Self::fit) checks it against the
/// architecture). A transformer's (see [`crate::model`]) have the shapes its embeddings' vocabulary,
/// context and width and its first feed-forward layer's width give every pair (its heads are
/// not visible in its weights: [`fit`](Self::fit) takes them from the architecture).
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
		let mut named: Vec<(CanonicalPlace, NamedTensor)> = Vec::new();
		for (name, view) in file.iter() {
			let place = parse_name(name)?;
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
			let tensor = match (place.part, view.shape()) {
				(Part::Weight, &[out, inp]) => NamedTensor {
					name: name.to_owned(),
					shape: vec![inp, out],
					values: transpose(&values, out, inp),
				},
				_ => NamedTensor { name: name.to_owned(), shape: view.shape().to_vec(), values },
			};
			named.push((place, tensor));
		}
		named.sort_by_key(|(place, _)| *place);
		Self::checked(named.into_iter().map(|(_, tensor)| tensor).collect())
	}

	/// Checks the canonical order, names, ranks and chaining of `tensors`.
	fn checked(tensors: Vec<NamedTensor>) -> Result<Self, WeightsError> {
		if tensors.first().is_some_and(|first| first.name == EMBEDDINGS[0]) {
			check_transformer(&tensors)?;
			return Ok(Self { tensors });
		}
		if tensors.is_empty() || !tensors.len().is_multiple_of(2) {
			return Err(WeightsError::Malformed(format!(
				"{} tensors: a network has a weight and a bias per layer",
				tensors.len()
			)));
		}
		let pairs = tensors.len() / 2;
		let mlp = tensors[0].name.starts_with("layers.");
		let convs = if mlp {
			0
		} else {
			tensors.iter().step_by(2).take_while(|t| t.name.starts_with("convs.")).count()
		};
		if !mlp && (convs == 0 || convs == pairs) {
			return Err(WeightsError::Malformed(
				"a CNN has convolutions, then dense layers".into(),
			));
		}
		// Output size of the previous layer of the same kind, which the next one must read.
		let mut previous_out = None;
		for (index, pair) in tensors.chunks_exact(2).enumerate() {
			let (weight, bias) = (&pair[0], &pair[1]);
			let (prefix, layer) = match (mlp, index.checked_sub(convs)) {
				(true, _) => ("layers", index),
				(false, None) => ("convs", index),
				(false, Some(dense)) => ("dense", dense),
			};
			let expected = [format!("{prefix}.{layer}.weight"), format!("{prefix}.{layer}.bias")];
			if weight.name != expected[0] || bias.name != expected[1] {
				return Err(WeightsError::Malformed(format!(
					"{} and {} where {} and {} belong",
					weight.name, bias.name, expected[0], expected[1]
				)));
			}
			let (inp, out) = match (prefix, weight.shape.as_slice()) {
				("convs", &[out, inp, k, k2]) if k == k2 => (inp, out),
				("convs", _) => {
					return Err(WeightsError::Malformed(format!(
						"{} is not a square convolution kernel",
						weight.name
					)))
				},
				(_, &[inp, out]) => (inp, out),
				_ => {
					return Err(WeightsError::Malformed(format!("{} is not a matrix", weight.name)))
				},
			};
			if index == convs && !mlp {
				// The first dense layer reads the flattened feature map.
				previous_out = None;
			}
			if bias.shape != [out] || previous_out.is_some_and(|previous| previous != inp) {
				return Err(WeightsError::Malformed(format!(
					"{}: weight {:?} and bias {:?} do not chain",
					expected[0], weight.shape, bias.shape
				)));
			}
			previous_out = Some(out);
		}
		Ok(Self { tensors })
	}

	/// Widths of the linear layers, from the first one's input to the output (an MLP's layer
	/// widths; a CNN's dense layers from its flattened features); none for a transformer, whose
	/// linear layers are not one chain.
	pub fn widths(&self) -> Vec<usize> {
		if self.is_transformer() {
			return Vec::new();
		}
		let matrices: Vec<&NamedTensor> =
			self.tensors.iter().filter(|t| t.shape.len() == 2).collect();
		let mut widths: Vec<usize> = matrices.first().map(|t| t.shape[0]).into_iter().collect();
		widths.extend(matrices.iter().map(|t| t.shape[1]));
		widths
	}

	/// Number of values in every tensor: the network's parameter count.
	pub fn parameter_count(&self) -> usize {
		self.tensors.iter().map(|t| t.values.len()).sum()
	}

	/// Whether these are a transformer's parameters.
	fn is_transformer(&self) -> bool {
		self.tensors[0].name == EMBEDDINGS[0]
	}

	/// Checks that these are parameters of `architecture`: every name and shape is its own.
	pub fn fit(&self, architecture: &Architecture) -> Result<(), WeightsError> {
		let network = Network::of(architecture).ok_or_else(|| {
			WeightsError::Mismatch("the architecture is not one Cairn trains".into())
		})?;
		let expected: Vec<(String, Vec<usize>)> = network
			.layer_shapes()
			.into_iter()
			.flat_map(|pair| pair.names.into_iter().zip(pair.shapes))
			.collect();
		let found: Vec<(String, Vec<usize>)> =
			self.tensors.iter().map(|t| (t.name.clone(), t.shape.clone())).collect();
		if found != expected {
			let shapes = |tensors: &[(String, Vec<usize>)]| -> Vec<Vec<usize>> {
				tensors.iter().step_by(2).map(|(_, shape)| shape.clone()).collect()
			};
			return Err(WeightsError::Mismatch(format!(
				"weights {:?} where the architecture has {:?}",
				shapes(&found),
				shapes(&expected)
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
					// A linear weight; embeddings are stored as they are held.
					&[inp, out] if tensor.name.ends_with(".weight") => {
						(vec![out, inp], transpose(&tensor.values, inp, out))
					},
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

/// Checks that `tensors`, which start with a token embedding, are a transformer's parameters:
/// the names, order and shapes of the transformer whose vocabulary and width the token
/// embedding gives, whose context the position embedding gives, whose feed-forward width
/// `blocks.0.feed_forward.up.weight` gives, and whose blocks the number of tensors gives.
fn check_transformer(tensors: &[NamedTensor]) -> Result<(), WeightsError> {
	let malformed =
		|why: String| WeightsError::Malformed(format!("a transformer's weights: {why}"));
	let pairs = tensors.len() / 2;
	let per_block = BLOCK_PAIRS.len();
	if !tensors.len().is_multiple_of(2)
		|| pairs < per_block + 3
		|| !(pairs - 3).is_multiple_of(per_block)
	{
		return Err(malformed(format!(
			"{} tensors are not the embeddings, blocks, final norm and head",
			tensors.len()
		)));
	}
	let matrix = |name: &str| -> Result<[u32; 2], WeightsError> {
		match tensors.iter().find(|t| t.name == name).map(|t| t.shape.as_slice()) {
			Some(&[rows, cols]) => match (u32::try_from(rows), u32::try_from(cols)) {
				(Ok(rows), Ok(cols)) => Ok([rows, cols]),
				_ => Err(malformed(format!("{name} is too large"))),
			},
			_ => Err(malformed(format!("no matrix {name}"))),
		}
	};
	let [vocab, width] = matrix(EMBEDDINGS[0])?;
	let [context, _] = matrix(EMBEDDINGS[1])?;
	let [_, feed_forward] = matrix(&format!("blocks.0.{}.weight", BLOCK_PAIRS[4]))?;
	let network = Network::Transformer(Transformer {
		vocab,
		context,
		width,
		// Not visible in weights, and no shape depends on them.
		heads: 1,
		blocks: ((pairs - 3) / per_block) as u32,
		feed_forward,
		activation: Activation::Gelu,
	});
	let expected = network
		.layer_shapes()
		.into_iter()
		.flat_map(|p| p.names.into_iter().zip(p.shapes));
	for (tensor, (name, shape)) in tensors.iter().zip(expected) {
		if tensor.name != name || tensor.shape != shape {
			return Err(malformed(format!(
				"{} {:?} where {name} {shape:?} belongs",
				tensor.name, tensor.shape
			)));
		}
	}
	Ok(())
}

/// A parameter pair's tensor: a weight, a bias, or an embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
	/// `.weight`: a linear layer's is stored transposed.
	Weight,
	/// `.bias`.
	Bias,
	/// `embed.tokens` (0) or `embed.positions` (1).
	Embedding(u8),
}

/// Where a canonical parameter name sorts: its group (an MLP's `layers`; a CNN's `convs`, then
/// `dense`; a transformer's `embed`, `blocks`, `norm`, then `head`), its layer or block, its
/// pair within a block, then its part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CanonicalPlace {
	group: u8,
	index: usize,
	pair: usize,
	part: Part,
}

/// How the names of a group go on after its prefix.
#[derive(Clone, Copy)]
enum Naming {
	/// `{i}.weight`, `{i}.bias`.
	Layer,
	/// `tokens`, `positions`.
	Embedding,
	/// `{i}.{pair}.weight`, `{i}.{pair}.bias`, with `pair` one of a block's.
	Block,
	/// `weight`, `bias`.
	Single,
}

/// Name prefixes of the groups, in canonical order, and how their names go on.
const GROUPS: [(&str, Naming); 7] = [
	("layers.", Naming::Layer),
	("convs.", Naming::Layer),
	("dense.", Naming::Layer),
	("embed.", Naming::Embedding),
	("blocks.", Naming::Block),
	("norm.", Naming::Single),
	("head.", Naming::Single),
];

/// The place of a canonical parameter name.
fn parse_name(name: &str) -> Result<CanonicalPlace, WeightsError> {
	let unknown = || WeightsError::Malformed(format!("{name} is not a parameter name"));
	let (group, rest, naming) = GROUPS
		.iter()
		.enumerate()
		.find_map(|(group, (prefix, naming))| {
			Some((group as u8, name.strip_prefix(prefix)?, *naming))
		})
		.ok_or_else(unknown)?;
	let index = |rest: &str| -> Result<(usize, String), WeightsError> {
		let (index, rest) = rest.split_once('.').ok_or_else(unknown)?;
		let index = index.parse().ok().filter(|_| !index.starts_with('+')).ok_or_else(unknown)?;
		Ok((index, rest.to_owned()))
	};
	let (index, pair, part) = match naming {
		Naming::Embedding => {
			let table = EMBEDDINGS.iter().position(|embedding| *embedding == name);
			return Ok(CanonicalPlace {
				group,
				index: 0,
				pair: 0,
				part: Part::Embedding(table.ok_or_else(unknown)? as u8),
			});
		},
		Naming::Layer => {
			let (index, part) = index(rest)?;
			(index, 0, part)
		},
		Naming::Block => {
			let (index, rest) = index(rest)?;
			let (pair, part) = rest.rsplit_once('.').ok_or_else(unknown)?;
			let pair = BLOCK_PAIRS.iter().position(|p| *p == pair).ok_or_else(unknown)?;
			(index, pair, part.to_owned())
		},
		Naming::Single => (0, 0, rest.to_owned()),
	};
	let part = match part.as_str() {
		"weight" => Part::Weight,
		"bias" => Part::Bias,
		_ => return Err(unknown()),
	};
	Ok(CanonicalPlace { group, index, pair, part })
}

/// The `[cols, rows]` transpose of a row-major `[rows, cols]` matrix.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
	(0..cols).flat_map(|c| (0..rows).map(move |r| values[r * cols + c])).collect()
}

#[cfg(test)]
mod tests {
	use cairn_primitives::{BoundedVec, Cnn, Conv, Mlp};

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
		let mlp = |hidden: u32| {
			Architecture::Mlp(Mlp {
				input: 3,
				hidden: BoundedVec::truncate_from(vec![hidden]),
				output: 4,
				activation: Activation::Relu,
			})
		};
		assert_eq!(weights().fit(&mlp(2)), Ok(()));
		assert!(matches!(weights().fit(&mlp(5)), Err(WeightsError::Mismatch(_))));
		assert!(matches!(weights().fit(&cnn()), Err(WeightsError::Mismatch(_))));
	}

	/// 1x4x4 -> conv 2 k3, pooled -> 2x2x2 = 8 -> 3 -> 4.
	fn cnn() -> Architecture {
		Architecture::Cnn(Cnn {
			channels: 1,
			height: 4,
			width: 4,
			convs: BoundedVec::truncate_from(vec![Conv { channels: 2, kernel: 3, pool: true }]),
			hidden: BoundedVec::truncate_from(vec![3]),
			output: 4,
			activation: Activation::Relu,
		})
	}

	fn cnn_weights() -> Weights {
		Weights::checked(vec![
			tensor("convs.0.weight", &[2, 1, 3, 3], 0.0),
			tensor("convs.0.bias", &[2], 5.0),
			tensor("dense.0.weight", &[8, 3], 7.0),
			tensor("dense.0.bias", &[3], 1.0),
			tensor("dense.1.weight", &[3, 4], 2.0),
			tensor("dense.1.bias", &[4], 3.0),
		])
		.unwrap()
	}

	#[test]
	fn cnn_weights_keep_convolutions_as_pytorch_holds_them() {
		let weights = cnn_weights();
		assert_eq!(weights.fit(&cnn()), Ok(()));
		assert_eq!(weights.widths(), [8, 3, 4]);
		let file = weights.to_safetensors(HashMap::new()).unwrap();
		let parsed = SafeTensors::deserialize(&file).unwrap();
		assert_eq!(parsed.tensor("convs.0.weight").unwrap().shape(), [2, 1, 3, 3]);
		assert_eq!(parsed.tensor("dense.0.weight").unwrap().shape(), [3, 8]);
		let back = Weights::from_bytes(&file).unwrap();
		assert_eq!(back, weights);
		assert_eq!(back.hash(), weights.hash());
		assert_eq!(Weights::from_bytes(&weights.canonical()).unwrap(), weights);
	}

	#[test]
	fn malformed_cnn_weights_are_refused() {
		let wrong = |change: &dyn Fn(&mut Vec<NamedTensor>)| {
			let mut tensors = cnn_weights().tensors;
			change(&mut tensors);
			Weights::checked(tensors).unwrap_err()
		};
		// Only convolutions, or only dense layers named as a CNN's.
		assert!(matches!(wrong(&|t| t.truncate(2)), WeightsError::Malformed(_)));
		assert!(matches!(
			wrong(&|t| {
				t.drain(..2);
			}),
			WeightsError::Malformed(_)
		));
		// A kernel that is not square, a rank-2 convolution, mixed MLP and CNN names.
		assert!(matches!(
			wrong(&|t| t[0] = tensor("convs.0.weight", &[2, 1, 3, 1], 0.0)),
			WeightsError::Malformed(_)
		));
		assert!(matches!(
			wrong(&|t| t[0] = tensor("convs.0.weight", &[2, 9], 0.0)),
			WeightsError::Malformed(_)
		));
		assert!(matches!(
			wrong(&|t| {
				t[2].name = "layers.0.weight".into();
				t[3].name = "layers.0.bias".into();
			}),
			WeightsError::Malformed(_)
		));
		// A bias of another length, dense layers that do not chain.
		assert!(matches!(
			wrong(&|t| t[1] = tensor("convs.0.bias", &[3], 0.0)),
			WeightsError::Malformed(_)
		));
		assert!(matches!(
			wrong(&|t| t[4] = tensor("dense.1.weight", &[5, 4], 0.0)),
			WeightsError::Malformed(_)
		));
		// Well-formed, but the flattened features are not the architecture's.
		let mut tensors = cnn_weights().tensors;
		tensors[2] = tensor("dense.0.weight", &[9, 3], 0.0);
		let other = Weights::checked(tensors).unwrap();
		assert!(matches!(other.fit(&cnn()), Err(WeightsError::Mismatch(_))));
	}

	/// A transformer of vocabulary 5, context 3, width 4 (`heads` heads), 2 blocks and
	/// feed-forward 6.
	fn transformer(heads: u32, feed_forward: u32) -> Architecture {
		Architecture::Transformer(Transformer {
			vocab: 5,
			context: 3,
			width: 4,
			heads,
			blocks: 2,
			feed_forward,
			activation: Activation::Gelu,
		})
	}

	/// Parameters of `transformer(_, 6)`, every tensor with other values.
	fn transformer_weights() -> Weights {
		let network = Network::of(&transformer(2, 6)).unwrap();
		let tensors = network
			.layer_shapes()
			.into_iter()
			.flat_map(|pair| pair.names.into_iter().zip(pair.shapes))
			.enumerate()
			.map(|(i, (name, shape))| tensor(&name, &shape, i as f32))
			.collect();
		Weights::checked(tensors).unwrap()
	}

	#[test]
	fn transformer_weights_go_out_and_come_in_as_pytorch_holds_them() {
		let weights = transformer_weights();
		assert_eq!(weights.tensors.len(), 2 * (6 * 2 + 3));
		assert_eq!(weights.fit(&transformer(2, 6)), Ok(()));
		// The heads are not visible in the weights.
		assert_eq!(weights.fit(&transformer(4, 6)), Ok(()));
		assert!(matches!(weights.fit(&transformer(2, 7)), Err(WeightsError::Mismatch(_))));
		assert!(matches!(weights.fit(&cnn()), Err(WeightsError::Mismatch(_))));
		assert!(weights.widths().is_empty());
		let file = weights.to_safetensors(HashMap::new()).unwrap();
		let parsed = SafeTensors::deserialize(&file).unwrap();
		let stored = |name: &str| parsed.tensor(name).unwrap().shape().to_vec();
		assert_eq!(stored("embed.tokens"), [5, 4]);
		assert_eq!(stored("embed.positions"), [3, 4]);
		assert_eq!(stored("blocks.1.norm1.weight"), [4]);
		assert_eq!(stored("blocks.0.attention.qkv.weight"), [12, 4]);
		assert_eq!(stored("blocks.0.attention.qkv.bias"), [12]);
		assert_eq!(stored("blocks.1.feed_forward.up.weight"), [6, 4]);
		assert_eq!(stored("blocks.1.feed_forward.down.weight"), [4, 6]);
		assert_eq!(stored("head.weight"), [5, 4]);
		let back = Weights::from_bytes(&file).unwrap();
		assert_eq!(back, weights);
		assert_eq!(back.hash(), weights.hash());
		assert_eq!(Weights::from_bytes(&weights.canonical()).unwrap(), weights);
	}

	#[test]
	fn malformed_transformer_weights_are_refused() {
		let wrong = |change: &dyn Fn(&mut Vec<NamedTensor>)| {
			let mut tensors = transformer_weights().tensors;
			change(&mut tensors);
			Weights::checked(tensors).unwrap_err()
		};
		let malformed = |error: WeightsError| matches!(error, WeightsError::Malformed(_));
		// Without the head, or with a block short of a pair.
		assert!(malformed(wrong(&|t| t.truncate(t.len() - 2))));
		assert!(malformed(wrong(&|t| {
			t.drain(4..6);
		})));
		// Two pairs of a block swapped, a layer norm of another width, a fused projection
		// that is not `[width, 3 · width]`, positions of another width.
		assert!(malformed(wrong(&|t| t.swap(2, 4))));
		assert!(malformed(wrong(&|t| t[2] = tensor("blocks.0.norm1.weight", &[5], 0.0))));
		assert!(malformed(wrong(&|t| {
			t[4] = tensor("blocks.0.attention.qkv.weight", &[4, 8], 0.0)
		})));
		assert!(malformed(wrong(&|t| t[1] = tensor("embed.positions", &[3, 5], 0.0))));
		// A feed-forward layer whose widths do not chain.
		assert!(malformed(wrong(&|t| {
			t[10] = tensor("blocks.0.feed_forward.up.weight", &[4, 7], 0.0)
		})));
		// An MLP's layer among a transformer's.
		assert!(malformed(wrong(&|t| t[2].name = "layers.0.weight".into())));
		// Names that are no transformer's.
		for name in [
			"embed.weight",
			"blocks.0.attention.key.weight",
			"blocks.0.norm1",
			"blocks.norm1.weight",
			"norm.0.weight",
			"head.gamma",
		] {
			assert!(parse_name(name).is_err(), "{name}");
		}
		// Safetensors files are sorted into canonical order, so only their contents matter.
		let mut file_tensors = transformer_weights().tensors;
		file_tensors[7].shape = vec![5];
		file_tensors[7].values.push(0.0);
		let file = Weights { tensors: file_tensors }.to_safetensors(HashMap::new()).unwrap();
		assert!(malformed(Weights::from_bytes(&file).unwrap_err()));
	}
}
