//! Model architectures: what the worker knows how to build and what the registry records.

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Most hidden layers an [`Mlp`] may have.
pub const MAX_HIDDEN_LAYERS: u32 = 8;
/// Widest layer (input, hidden or output) an [`Mlp`] may have.
pub const MAX_LAYER_WIDTH: u32 = 1 << 16;
/// Longest architecture family name of an [`Architecture::External`] model.
pub const MAX_FAMILY_LEN: u32 = 64;

/// Non-linearity applied after every hidden layer.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Activation {
	/// `max(0, x)`.
	Relu,
	/// Hyperbolic tangent.
	Tanh,
	/// Gaussian error linear unit.
	Gelu,
}

/// A fully connected network: `input -> hidden[0] -> ... -> output`, with biases.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Mlp {
	/// Features per sample.
	pub input: u32,
	/// Width of each hidden layer, in order.
	pub hidden: BoundedVec<u32, ConstU32<MAX_HIDDEN_LAYERS>>,
	/// Outputs per sample (classes for a classifier).
	pub output: u32,
	/// Non-linearity after each hidden layer.
	pub activation: Activation,
}

/// The architecture of a registered model.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Architecture {
	/// A network the Cairn worker can build and train.
	Mlp(Mlp),
	/// A model trained elsewhere, described by its family name (for example `llama`) and size.
	External { family: BoundedVec<u8, ConstU32<MAX_FAMILY_LEN>>, parameters: u64 },
}

/// Why an [`Architecture`] is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchitectureError {
	/// A layer has width zero or more than [`MAX_LAYER_WIDTH`].
	LayerWidth,
	/// An external model has an empty family name or zero parameters.
	EmptyDescription,
}

impl Mlp {
	/// Layer widths from input to output.
	pub fn widths(&self) -> impl Iterator<Item = u32> + '_ {
		core::iter::once(self.input)
			.chain(self.hidden.iter().copied())
			.chain(core::iter::once(self.output))
	}

	/// Weights plus biases of every layer (saturating; the bounds keep it far below `u64::MAX`).
	pub fn parameter_count(&self) -> u64 {
		let mut widths = self.widths().map(u64::from);
		let mut previous = widths.next().unwrap_or_default();
		widths.fold(0u64, |total, width| {
			let layer = previous.saturating_mul(width).saturating_add(width);
			previous = width;
			total.saturating_add(layer)
		})
	}
}

impl Architecture {
	/// Checks the limits that the SCALE bounds alone do not express.
	pub fn validate(&self) -> Result<(), ArchitectureError> {
		match self {
			Architecture::Mlp(mlp) => {
				if mlp.widths().all(|w| (1..=MAX_LAYER_WIDTH).contains(&w)) {
					Ok(())
				} else {
					Err(ArchitectureError::LayerWidth)
				}
			},
			Architecture::External { family, parameters } => {
				if family.is_empty() || *parameters == 0 {
					Err(ArchitectureError::EmptyDescription)
				} else {
					Ok(())
				}
			},
		}
	}

	/// Number of trainable parameters.
	pub fn parameter_count(&self) -> u64 {
		match self {
			Architecture::Mlp(mlp) => mlp.parameter_count(),
			Architecture::External { parameters, .. } => *parameters,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn mlp(input: u32, hidden: &[u32], output: u32) -> Architecture {
		Architecture::Mlp(Mlp {
			input,
			hidden: BoundedVec::truncate_from(hidden.to_vec()),
			output,
			activation: Activation::Relu,
		})
	}

	#[test]
	fn mlp_parameter_count_counts_weights_and_biases() {
		// 64*32+32 + 32*10+10
		assert_eq!(mlp(64, &[32], 10).parameter_count(), 2080 + 330);
		assert_eq!(mlp(4, &[], 2).parameter_count(), 10);
	}

	#[test]
	fn validate_rejects_zero_and_oversized_layers() {
		assert_eq!(mlp(64, &[256, 256], 10).validate(), Ok(()));
		assert_eq!(mlp(0, &[8], 10).validate(), Err(ArchitectureError::LayerWidth));
		assert_eq!(mlp(8, &[0], 10).validate(), Err(ArchitectureError::LayerWidth));
		assert_eq!(
			mlp(8, &[MAX_LAYER_WIDTH + 1], 10).validate(),
			Err(ArchitectureError::LayerWidth)
		);
	}

	#[test]
	fn validate_rejects_empty_external_descriptions() {
		let family = BoundedVec::truncate_from(b"llama".to_vec());
		let ok = Architecture::External { family: family.clone(), parameters: 7 };
		assert_eq!(ok.validate(), Ok(()));
		let no_params = Architecture::External { family, parameters: 0 };
		assert_eq!(no_params.validate(), Err(ArchitectureError::EmptyDescription));
		let no_name = Architecture::External { family: BoundedVec::new(), parameters: 7 };
		assert_eq!(no_name.validate(), Err(ArchitectureError::EmptyDescription));
	}
}
