//! Data types of the model registry.

use cairn_primitives::{Architecture, Hash256, ModelId, TaskId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

use crate::Config;

/// Balance type of the currency that holds model deposits.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Model name, bounded by [`Config::MaxNameLen`].
pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;
/// Metadata URI, bounded by [`Config::MaxUriLen`].
pub type UriOf<T> = BoundedVec<u8, <T as Config>::MaxUriLen>;
/// License identifier (an SPDX expression such as `Apache-2.0`), bounded by [`Config::MaxLicenseLen`].
pub type LicenseOf<T> = BoundedVec<u8, <T as Config>::MaxLicenseLen>;

/// Where a model's weights came from.
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
pub enum Provenance {
	/// Registered by its owner; the chain vouches only for the hash.
	Uploaded,
	/// Produced by a Cairn training task whose result was verified on-chain.
	Trained { task: TaskId },
}

impl Provenance {
	/// Whether the chain verified how these weights were produced.
	pub fn is_verified(&self) -> bool {
		matches!(self, Provenance::Trained { .. })
	}
}

/// Everything the registry knows about one model.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ModelRecord<T: Config> {
	/// Account that may update, transfer and deprecate the model; its deposit is held here.
	pub owner: T::AccountId,
	/// Hash of the canonical encoding of the weights; unique across the registry.
	pub weights_hash: Hash256,
	/// Human-readable name.
	pub name: NameOf<T>,
	/// Network architecture.
	pub architecture: Architecture,
	/// The model these weights were derived from (fine-tuning, continued training).
	pub parent: Option<ModelId>,
	/// Hash of the dataset the weights were trained on, if known.
	pub dataset: Option<Hash256>,
	/// Where the weights, model card and training recipe can be found.
	pub metadata_uri: UriOf<T>,
	/// License of the weights.
	pub license: LicenseOf<T>,
	/// How the weights were produced.
	pub provenance: Provenance,
	/// Deposit held from the owner for this record.
	pub deposit: BalanceOf<T>,
	/// Block at which the model was registered.
	pub registered_at: BlockNumberFor<T>,
	/// Set once by the owner: the model should no longer be used.
	pub deprecated: bool,
}
