//! The canonical byte encodings of checkpoints and of trained weights.
//!
//! All integers and floats are little-endian. A **tensor** is encoded as
//!
//! | size | field |
//! |---|---|
//! | 2 | name length `l` |
//! | `l` | name, ASCII (for example `layers.0.weight`) |
//! | 1 | dtype: `0` = f32 (the only one so far) |
//! | 1 | rank `r` (at most 8) |
//! | `4r` | dimensions, `u32` each |
//! | `4·∏dims` | values, row-major, IEEE-754 binary32 |
//!
//! A **checkpoint** is `CAIRNCKP`, `u32` version 1, `u32` step, `u8` optimizer tag (0 SGD, 1 SGD
//! with momentum, 2 Adam), `u8` scalar count `k`, `k` `f32` scalars (Adam: `β1ᵗ`, `β2ᵗ`), `u32`
//! tensor count, then the tensors: every parameter (`layers.{i}.weight`, `layers.{i}.bias`, by
//! layer; a CNN's `convs.{i}.*` then `dense.{j}.*`), then every optimizer moment
//! (`optim.layers.{i}.weight.{moment}`, ... with the moments
//! `momentum` for SGD with momentum and `m`, `v` for Adam, moment by moment). The data order
//! needs no state: it is a function of the step.
//!
//! **Weights** (what the model registry hashes) are `CAIRNWTS`, `u32` version 1, `u32` tensor
//! count and the parameter tensors only, so they do not depend on the optimizer or the step.

use thiserror::Error;

const CHECKPOINT_MAGIC: &[u8; 8] = b"CAIRNCKP";
const WEIGHTS_MAGIC: &[u8; 8] = b"CAIRNWTS";
const VERSION: u32 = 1;
const DTYPE_F32: u8 = 0;
const MAX_RANK: usize = 8;

/// Why checkpoint bytes cannot be decoded.
#[derive(Debug, Error)]
#[error("malformed checkpoint: {0}")]
pub struct MalformedCheckpoint(pub &'static str);

/// A named `f32` tensor on the host.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NamedTensor {
	pub name: String,
	pub shape: Vec<usize>,
	pub values: Vec<f32>,
}

/// Everything a checkpoint holds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Contents {
	pub step: u32,
	pub optimizer_tag: u8,
	pub scalars: Vec<f32>,
	pub tensors: Vec<NamedTensor>,
}

fn put_tensors(out: &mut Vec<u8>, tensors: &[NamedTensor]) {
	out.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
	for tensor in tensors {
		out.extend_from_slice(&(tensor.name.len() as u16).to_le_bytes());
		out.extend_from_slice(tensor.name.as_bytes());
		out.push(DTYPE_F32);
		out.push(tensor.shape.len() as u8);
		for &dim in &tensor.shape {
			out.extend_from_slice(&(dim as u32).to_le_bytes());
		}
		out.reserve(tensor.values.len() * 4);
		for value in &tensor.values {
			out.extend_from_slice(&value.to_le_bytes());
		}
	}
}

/// The checkpoint encoding of `contents`.
pub(crate) fn encode_checkpoint(contents: &Contents) -> Vec<u8> {
	let mut out = Vec::new();
	out.extend_from_slice(CHECKPOINT_MAGIC);
	out.extend_from_slice(&VERSION.to_le_bytes());
	out.extend_from_slice(&contents.step.to_le_bytes());
	out.push(contents.optimizer_tag);
	out.push(contents.scalars.len() as u8);
	for scalar in &contents.scalars {
		out.extend_from_slice(&scalar.to_le_bytes());
	}
	put_tensors(&mut out, &contents.tensors);
	out
}

/// The weights encoding of `parameters`.
pub(crate) fn encode_weights(parameters: &[NamedTensor]) -> Vec<u8> {
	let mut out = Vec::new();
	out.extend_from_slice(WEIGHTS_MAGIC);
	out.extend_from_slice(&VERSION.to_le_bytes());
	put_tensors(&mut out, parameters);
	out
}

/// Reads the checkpoint encoding; every byte must be accounted for.
pub(crate) fn decode_checkpoint(bytes: &[u8]) -> Result<Contents, MalformedCheckpoint> {
	let mut reader =
		Reader::after_header(bytes, CHECKPOINT_MAGIC, "bad magic (expected CAIRNCKP)")?;
	let step = reader.u32()?;
	let optimizer_tag = reader.u8()?;
	let scalar_count = reader.u8()?;
	let scalars = (0..scalar_count).map(|_| reader.f32()).collect::<Result<_, _>>()?;
	let tensors = reader.last_tensors()?;
	Ok(Contents { step, optimizer_tag, scalars, tensors })
}

/// Reads the weights encoding; every byte must be accounted for.
pub(crate) fn decode_weights(bytes: &[u8]) -> Result<Vec<NamedTensor>, MalformedCheckpoint> {
	Reader::after_header(bytes, WEIGHTS_MAGIC, "bad magic (expected CAIRNWTS)")?.last_tensors()
}

struct Reader<'a> {
	bytes: &'a [u8],
}

impl<'a> Reader<'a> {
	/// A reader past `magic` and the version.
	fn after_header(
		bytes: &'a [u8],
		magic: &[u8; 8],
		bad_magic: &'static str,
	) -> Result<Self, MalformedCheckpoint> {
		let mut reader = Reader { bytes };
		if reader.take(8)? != magic {
			return Err(MalformedCheckpoint(bad_magic));
		}
		if reader.u32()? != VERSION {
			return Err(MalformedCheckpoint("unsupported version"));
		}
		Ok(reader)
	}

	/// The tensors that end the encoding: nothing may follow them.
	fn last_tensors(mut self) -> Result<Vec<NamedTensor>, MalformedCheckpoint> {
		let tensors = self.tensors()?;
		if !self.bytes.is_empty() {
			return Err(MalformedCheckpoint("trailing bytes"));
		}
		Ok(tensors)
	}

	fn take(&mut self, len: usize) -> Result<&'a [u8], MalformedCheckpoint> {
		if self.bytes.len() < len {
			return Err(MalformedCheckpoint("truncated"));
		}
		let (head, rest) = self.bytes.split_at(len);
		self.bytes = rest;
		Ok(head)
	}

	fn array<const N: usize>(&mut self) -> Result<[u8; N], MalformedCheckpoint> {
		let mut out = [0u8; N];
		out.copy_from_slice(self.take(N)?);
		Ok(out)
	}

	fn u8(&mut self) -> Result<u8, MalformedCheckpoint> {
		Ok(self.array::<1>()?[0])
	}

	fn u32(&mut self) -> Result<u32, MalformedCheckpoint> {
		Ok(u32::from_le_bytes(self.array()?))
	}

	fn f32(&mut self) -> Result<f32, MalformedCheckpoint> {
		Ok(f32::from_le_bytes(self.array()?))
	}

	/// A `u32` count, then that many tensors.
	fn tensors(&mut self) -> Result<Vec<NamedTensor>, MalformedCheckpoint> {
		let count = self.u32()?;
		(0..count).map(|_| self.tensor()).collect()
	}

	fn tensor(&mut self) -> Result<NamedTensor, MalformedCheckpoint> {
		let name_len = u16::from_le_bytes(self.array()?) as usize;
		let name = std::str::from_utf8(self.take(name_len)?)
			.ok()
			.filter(|name| name.is_ascii())
			.ok_or(MalformedCheckpoint("tensor name is not ASCII"))?
			.to_owned();
		if self.u8()? != DTYPE_F32 {
			return Err(MalformedCheckpoint("unsupported dtype"));
		}
		let rank = self.u8()? as usize;
		if rank > MAX_RANK {
			return Err(MalformedCheckpoint("rank above 8"));
		}
		let shape = (0..rank)
			.map(|_| self.u32().map(|d| d as usize))
			.collect::<Result<Vec<_>, _>>()?;
		let len = shape
			.iter()
			.try_fold(1usize, |n, &d| n.checked_mul(d))
			.and_then(|n| n.checked_mul(4))
			.ok_or(MalformedCheckpoint("tensor too large"))?;
		let values = self
			.take(len)?
			.chunks_exact(4)
			.map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
			.collect();
		Ok(NamedTensor { name, shape, values })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn contents() -> Contents {
		Contents {
			step: 40,
			optimizer_tag: 2,
			scalars: vec![0.5, 0.25],
			tensors: vec![
				NamedTensor {
					name: "layers.0.weight".into(),
					shape: vec![2, 3],
					values: vec![1.0, -2.0, 3.5, 0.0, -0.0, f32::MIN_POSITIVE],
				},
				NamedTensor {
					name: "layers.0.bias".into(),
					shape: vec![3],
					values: vec![7.0, 8.0, 9.0],
				},
			],
		}
	}

	#[test]
	fn checkpoints_round_trip_bit_for_bit() {
		let bytes = encode_checkpoint(&contents());
		let decoded = decode_checkpoint(&bytes).unwrap();
		assert_eq!(encode_checkpoint(&decoded), bytes);
		assert_eq!(decoded.tensors[0].values[4].to_bits(), (-0.0f32).to_bits());
	}

	#[test]
	fn the_layout_is_the_documented_one() {
		let bytes = encode_checkpoint(&contents());
		assert_eq!(&bytes[..8], b"CAIRNCKP");
		assert_eq!(bytes[8..12], 1u32.to_le_bytes());
		assert_eq!(bytes[12..16], 40u32.to_le_bytes());
		assert_eq!(bytes[16..18], [2, 2]);
		assert_eq!(bytes[18..22], 0.5f32.to_le_bytes());
		assert_eq!(bytes[26..30], 2u32.to_le_bytes());
		assert_eq!(bytes[30..32], 15u16.to_le_bytes());
		assert_eq!(&bytes[32..47], b"layers.0.weight");
		assert_eq!(bytes[47..49], [0, 2]);
		assert_eq!(bytes[49..57], [2, 0, 0, 0, 3, 0, 0, 0]);
		assert_eq!(bytes[57..61], 1.0f32.to_le_bytes());
		let weights = encode_weights(&contents().tensors);
		assert_eq!(&weights[..8], b"CAIRNWTS");
		assert_eq!(weights[12..16], 2u32.to_le_bytes());
		assert_eq!(weights[16..], bytes[26 + 4..]);
	}

	#[test]
	fn malformed_bytes_are_rejected_not_panicked_on() {
		let bytes = encode_checkpoint(&contents());
		for cut in 0..bytes.len() {
			assert!(decode_checkpoint(&bytes[..cut]).is_err(), "prefix of {cut} bytes");
		}
		let mut trailing = bytes.clone();
		trailing.push(0);
		assert!(decode_checkpoint(&trailing).is_err());
		let mut huge = bytes.clone();
		huge[49..57].copy_from_slice(&[0xff; 8]);
		assert!(decode_checkpoint(&huge).is_err());
		assert!(decode_checkpoint(&encode_weights(&contents().tensors)).is_err());
	}

	#[test]
	fn weights_round_trip_and_refuse_checkpoints_and_cuts() {
		let weights = encode_weights(&contents().tensors);
		assert_eq!(decode_weights(&weights).unwrap(), contents().tensors);
		for cut in 0..weights.len() {
			assert!(decode_weights(&weights[..cut]).is_err(), "prefix of {cut} bytes");
		}
		assert!(decode_weights(&encode_checkpoint(&contents())).is_err());
	}
}
