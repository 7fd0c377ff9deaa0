//! # Model registry
//!
//! Registers machine-learning models on-chain by the hash of their weights, with their
//! architecture, lineage (the model they were derived from), training dataset, metadata URI and
//! license. A weights hash registers once. Each record holds a storage deposit from its owner,
//! sized by the bytes it stores; the owner may update the metadata (the deposit follows), transfer
//! the model (the deposit moves with it) and deprecate it. Records are never removed, so lineage
//! stays resolvable; a parent must exist before its child and has a smaller id, so lineage cannot
//! contain a cycle.
//!
//! Models produced by verified training tasks are registered by the protocol through
//! [`Pallet::do_register`] with [`Provenance::Trained`]; owners register with
//! [`Provenance::Uploaded`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use alloc::vec::Vec;
use cairn_primitives::{Architecture, Hash256, ModelId, TaskId};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::Saturating;

/// What other pallets need from the model registry.
pub trait ModelRegistryInterface<AccountId> {
	/// Balance of deposits.
	type Balance;

	/// The architecture of a registered model.
	fn architecture(model: ModelId) -> Option<Architecture>;

	/// The largest deposit a model record can hold (longest name, URI and license).
	fn max_deposit() -> Self::Balance;

	/// Registers weights produced by verified training `task` for `owner`, holding the deposit
	/// from `owner`, with `Trained` provenance. Weights that someone uploaded first are taken over
	/// (their uploader's deposit is released), so that nobody can squat a committed result;
	/// weights an earlier verified task produced keep that record, whose id is returned.
	fn register_trained(
		owner: AccountId,
		model: NewModel,
		task: TaskId,
	) -> Result<ModelId, DispatchError>;
}

/// What a new registration describes, before bounds are checked.
pub struct NewModel {
	/// Hash of the canonical encoding of the weights.
	pub weights_hash: Hash256,
	/// Human-readable name.
	pub name: Vec<u8>,
	/// What the weights are the parameters of.
	pub architecture: Architecture,
	/// The model these weights were fine-tuned from.
	pub parent: Option<ModelId>,
	/// Hash of the training dataset.
	pub dataset: Option<Hash256>,
	/// Where the weights and their documentation are served.
	pub metadata_uri: Vec<u8>,
	/// License of the weights.
	pub license: Vec<u8>,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the model registry.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Currency in which deposits are held.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason, into which this pallet's reasons convert.
		type RuntimeHoldReason: From<HoldReason>;

		/// Deposit held for every model record, whatever its size.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// Additional deposit per byte of name, metadata URI and license.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Longest model name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Longest metadata URI, in bytes.
		#[pallet::constant]
		type MaxUriLen: Get<u32>;

		/// Longest license identifier, in bytes.
		#[pallet::constant]
		type MaxLicenseLen: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Storage deposit of a registered model, held from its owner.
		ModelDeposit,
	}

	/// The id the next registered model receives.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// Registered models by id.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelRecord<T>>;

	/// Model id by weights hash: a hash registers once.
	#[pallet::storage]
	pub type ModelByHash<T> = StorageMap<_, Blake2_128Concat, Hash256, ModelId>;

	/// Events of the model registry.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered.
		ModelRegistered {
			model_id: ModelId,
			owner: T::AccountId,
			weights_hash: Hash256,
			parent: Option<ModelId>,
			provenance: Provenance,
			deposit: BalanceOf<T>,
		},
		/// A model's metadata URI and license were replaced; its deposit now stands at `deposit`.
		MetadataUpdated { model_id: ModelId, deposit: BalanceOf<T> },
		/// A model and its deposit moved to a new owner.
		ModelTransferred { model_id: ModelId, from: T::AccountId, to: T::AccountId },
		/// A model was marked deprecated by its owner.
		ModelDeprecated { model_id: ModelId },
		/// Uploaded weights were produced by verified training `task`: the record now belongs
		/// to the task's submitter with `Trained` provenance, and the uploader's deposit was
		/// released.
		ModelVerified {
			model_id: ModelId,
			previous_owner: T::AccountId,
			owner: T::AccountId,
			task: TaskId,
		},
	}

	/// Errors of the model registry.
	#[pallet::error]
	pub enum Error<T> {
		/// A model with these weights is already registered.
		DuplicateWeightsHash,
		/// No model has this id.
		UnknownModel,
		/// The parent model is not registered.
		UnknownParent,
		/// The name is empty.
		EmptyName,
		/// The name is longer than `MaxNameLen`.
		NameTooLong,
		/// The metadata URI is longer than `MaxUriLen`.
		UriTooLong,
		/// The license is longer than `MaxLicenseLen`.
		LicenseTooLong,
		/// The architecture has a zero or oversized layer, or an empty description.
		InvalidArchitecture,
		/// Only the model's owner may do this.
		NotOwner,
		/// The model already belongs to that account.
		TransferToSelf,
		/// The new owner's account cannot receive the held deposit (it must exist).
		NewOwnerCannotHoldDeposit,
		/// The model is already deprecated.
		AlreadyDeprecated,
		/// The account's free balance cannot cover the deposit.
		InsufficientBalance,
		/// Model ids are exhausted.
		ModelIdOverflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a model by the hash of its weights, holding a deposit from the caller.
		///
		/// `parent` is the model these weights derive from; `dataset` the hash of the training
		/// data; `license` an SPDX expression. Emits `ModelRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model())]
		pub fn register_model(
			origin: OriginFor<T>,
			weights_hash: Hash256,
			name: Vec<u8>,
			architecture: Architecture,
			parent: Option<ModelId>,
			dataset: Option<Hash256>,
			metadata_uri: Vec<u8>,
			license: Vec<u8>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let model = NewModel {
				weights_hash,
				name,
				architecture,
				parent,
				dataset,
				metadata_uri,
				license,
			};
			Self::do_register(owner, model, Provenance::Uploaded).map(|_| ())
		}

		/// Replace a model's metadata URI and license. Owner only; the deposit is topped up or
		/// partly released to match the new size. Emits `MetadataUpdated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_metadata())]
		pub fn update_metadata(
			origin: OriginFor<T>,
			model_id: ModelId,
			metadata_uri: Vec<u8>,
			license: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_metadata(&who, model_id, metadata_uri, license)
		}

		/// Give a model, and the deposit held for it, to another existing account. Owner only.
		/// Emits `ModelTransferred`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::transfer_model())]
		pub fn transfer_model(
			origin: OriginFor<T>,
			model_id: ModelId,
			new_owner: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_transfer(&who, model_id, new_owner)
		}

		/// Mark a model deprecated. Owner only; the record stays so that lineage resolves.
		/// Emits `ModelDeprecated`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::deprecate_model())]
		pub fn deprecate_model(origin: OriginFor<T>, model_id: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deprecate(&who, model_id)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Register `model` for `owner`, holding its deposit. Used by `register_model` and by the
	/// protocol when a verified training task settles.
	pub fn do_register(
		owner: T::AccountId,
		model: NewModel,
		provenance: Provenance,
	) -> Result<ModelId, DispatchError> {
		let name: NameOf<T> = model.name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
		ensure!(!name.is_empty(), Error::<T>::EmptyName);
		let metadata_uri = Self::bounded_uri(model.metadata_uri)?;
		let license = Self::bounded_license(model.license)?;
		model.architecture.validate().map_err(|_| Error::<T>::InvalidArchitecture)?;
		ensure!(
			!ModelByHash::<T>::contains_key(model.weights_hash),
			Error::<T>::DuplicateWeightsHash
		);
		if let Some(parent) = model.parent {
			ensure!(Models::<T>::contains_key(parent), Error::<T>::UnknownParent);
		}

		let model_id = NextModelId::<T>::get();
		let next_id = model_id.checked_add(1).ok_or(Error::<T>::ModelIdOverflow)?;
		let deposit = Self::deposit_for(name.len(), metadata_uri.len(), license.len());
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &owner, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		let record = ModelRecord::<T> {
			owner: owner.clone(),
			weights_hash: model.weights_hash,
			name,
			architecture: model.architecture,
			parent: model.parent,
			dataset: model.dataset,
			metadata_uri,
			license,
			provenance,
			deposit,
			registered_at: frame_system::Pallet::<T>::block_number(),
			deprecated: false,
		};
		Models::<T>::insert(model_id, record);
		ModelByHash::<T>::insert(model.weights_hash, model_id);
		NextModelId::<T>::put(next_id);
		Self::deposit_event(Event::ModelRegistered {
			model_id,
			owner,
			weights_hash: model.weights_hash,
			parent: model.parent,
			provenance,
			deposit,
		});
		Ok(model_id)
	}

	fn do_update_metadata(
		who: &T::AccountId,
		model_id: ModelId,
		metadata_uri: Vec<u8>,
		license: Vec<u8>,
	) -> DispatchResult {
		let metadata_uri = Self::bounded_uri(metadata_uri)?;
		let license = Self::bounded_license(license)?;
		Models::<T>::try_mutate(model_id, |maybe_record| {
			let record = maybe_record.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(record.owner == *who, Error::<T>::NotOwner);
			let deposit = Self::deposit_for(record.name.len(), metadata_uri.len(), license.len());
			let reason = HoldReason::ModelDeposit.into();
			if deposit > record.deposit {
				T::Currency::hold(&reason, who, deposit.saturating_sub(record.deposit))
					.map_err(|_| Error::<T>::InsufficientBalance)?;
			} else if deposit < record.deposit {
				T::Currency::release(
					&reason,
					who,
					record.deposit.saturating_sub(deposit),
					Precision::Exact,
				)?;
			}
			record.metadata_uri = metadata_uri;
			record.license = license;
			record.deposit = deposit;
			Self::deposit_event(Event::MetadataUpdated { model_id, deposit });
			Ok(())
		})
	}

	fn do_transfer(
		who: &T::AccountId,
		model_id: ModelId,
		new_owner: T::AccountId,
	) -> DispatchResult {
		Models::<T>::try_mutate(model_id, |maybe_record| {
			let record = maybe_record.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(record.owner == *who, Error::<T>::NotOwner);
			ensure!(new_owner != *who, Error::<T>::TransferToSelf);
			T::Currency::transfer_on_hold(
				&HoldReason::ModelDeposit.into(),
				who,
				&new_owner,
				record.deposit,
				Precision::Exact,
				Restriction::OnHold,
				Fortitude::Polite,
			)
			.map_err(|_| Error::<T>::NewOwnerCannotHoldDeposit)?;
			record.owner = new_owner.clone();
			Self::deposit_event(Event::ModelTransferred {
				model_id,
				from: who.clone(),
				to: new_owner,
			});
			Ok(())
		})
	}

	fn do_deprecate(who: &T::AccountId, model_id: ModelId) -> DispatchResult {
		Models::<T>::try_mutate(model_id, |maybe_record| {
			let record = maybe_record.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(record.owner == *who, Error::<T>::NotOwner);
			ensure!(!record.deprecated, Error::<T>::AlreadyDeprecated);
			record.deprecated = true;
			Self::deposit_event(Event::ModelDeprecated { model_id });
			Ok(())
		})
	}

	/// Deposit for a record whose variable-length fields take the given numbers of bytes.
	pub fn deposit_for(name_len: usize, uri_len: usize, license_len: usize) -> BalanceOf<T> {
		let bytes = name_len.saturating_add(uri_len).saturating_add(license_len);
		let bytes: BalanceOf<T> = u32::try_from(bytes).unwrap_or(u32::MAX).into();
		T::DepositBase::get().saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
	}

	fn bounded_uri(uri: Vec<u8>) -> Result<UriOf<T>, Error<T>> {
		uri.try_into().map_err(|_| Error::<T>::UriTooLong)
	}

	fn bounded_license(license: Vec<u8>) -> Result<LicenseOf<T>, Error<T>> {
		license.try_into().map_err(|_| Error::<T>::LicenseTooLong)
	}

	/// Invariants: the hash index and the records agree one to one, ids are below `NextModelId`,
	/// every parent is older than its child, and each owner's held deposit is the sum of the
	/// deposits of the models it owns.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use sp_runtime::traits::Zero;

		let next_id = NextModelId::<T>::get();
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut records = 0usize;
		for (model_id, record) in Models::<T>::iter() {
			records += 1;
			ensure!(model_id < next_id, "model id not below NextModelId");
			ensure!(
				ModelByHash::<T>::get(record.weights_hash) == Some(model_id),
				"hash index does not point at the record"
			);
			if let Some(parent) = record.parent {
				ensure!(parent < model_id, "parent is not older than its child");
				ensure!(Models::<T>::contains_key(parent), "parent record missing");
			}
			let total = held.entry(record.owner.clone()).or_insert_with(Zero::zero);
			*total = total.saturating_add(record.deposit);
		}
		ensure!(ModelByHash::<T>::iter().count() == records, "hash index has stray entries");
		for (owner, total) in held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &owner) == total,
				"held deposit differs from the owner's records"
			);
		}
		Ok(())
	}
}

impl<T: Config> ModelRegistryInterface<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn architecture(model: ModelId) -> Option<Architecture> {
		Models::<T>::get(model).map(|record| record.architecture)
	}

	fn max_deposit() -> BalanceOf<T> {
		Self::deposit_for(
			T::MaxNameLen::get() as usize,
			T::MaxUriLen::get() as usize,
			T::MaxLicenseLen::get() as usize,
		)
	}

	fn register_trained(
		owner: T::AccountId,
		model: NewModel,
		task: TaskId,
	) -> Result<ModelId, DispatchError> {
		match ModelByHash::<T>::get(model.weights_hash) {
			Some(existing) => Self::do_take_over(existing, owner, model, task),
			None => Self::do_register(owner, model, Provenance::Trained { task }),
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Gives uploaded weights that verified training `task` produced to `owner` with `Trained`
	/// provenance; a record with `Trained` provenance already stays as it is.
	fn do_take_over(
		model_id: ModelId,
		owner: T::AccountId,
		model: NewModel,
		task: TaskId,
	) -> Result<ModelId, DispatchError> {
		let mut record = Models::<T>::get(model_id).ok_or(Error::<T>::UnknownModel)?;
		if record.provenance.is_verified() {
			return Ok(model_id);
		}
		let name: NameOf<T> = model.name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
		let metadata_uri = Self::bounded_uri(model.metadata_uri)?;
		let license = Self::bounded_license(model.license)?;
		let reason = HoldReason::ModelDeposit.into();
		T::Currency::release(&reason, &record.owner, record.deposit, Precision::Exact)?;
		let deposit = Self::deposit_for(name.len(), metadata_uri.len(), license.len());
		T::Currency::hold(&reason, &owner, deposit).map_err(|_| Error::<T>::InsufficientBalance)?;
		let previous_owner = core::mem::replace(&mut record.owner, owner.clone());
		record.name = name;
		record.architecture = model.architecture;
		// Lineage points to lower ids only, which keeps it acyclic.
		record.parent = model.parent.filter(|parent| *parent < model_id);
		record.dataset = model.dataset;
		record.metadata_uri = metadata_uri;
		record.license = license;
		record.provenance = Provenance::Trained { task };
		record.deposit = deposit;
		Models::<T>::insert(model_id, record);
		Self::deposit_event(Event::ModelVerified { model_id, previous_owner, owner, task });
		Ok(model_id)
	}
}
