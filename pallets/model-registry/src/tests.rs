//! Unit tests of the model registry on the mock runtime.

use crate::{
	mock::*, Error, Event, HoldReason, ModelByHash, Models, NewModel, NextModelId, Provenance,
};
use cairn_primitives::{Activation, Architecture, BoundedVec, Hash256, Mlp};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};

fn mlp() -> Architecture {
	Architecture::Mlp(Mlp {
		input: 64,
		hidden: BoundedVec::truncate_from(vec![32]),
		output: 10,
		activation: Activation::Relu,
	})
}

fn hash(n: u8) -> Hash256 {
	[n; 32]
}

const NAME: &[u8] = b"digits-mlp";
const URI: &[u8] = b"ipfs://cairn/digits";
const LICENSE: &[u8] = b"Apache-2.0";

fn deposit(name: &[u8], uri: &[u8], license: &[u8]) -> Balance {
	DEPOSIT_BASE + DEPOSIT_PER_BYTE * (name.len() + uri.len() + license.len()) as Balance
}

fn register(
	who: u64,
	weights: Hash256,
	parent: Option<u64>,
) -> frame_support::dispatch::DispatchResult {
	ModelRegistry::register_model(
		RuntimeOrigin::signed(who),
		weights,
		NAME.to_vec(),
		mlp(),
		parent,
		Some(hash(200)),
		URI.to_vec(),
		LICENSE.to_vec(),
	)
}

fn held(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::ModelDeposit.into(), &who)
}

/// Runs a test and then checks the pallet's invariants.
fn test(body: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		body();
		ModelRegistry::do_try_state().expect("invariants hold");
	});
}

#[test]
fn register_model_stores_record_index_and_holds_deposit() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		let record = Models::<Test>::get(0).expect("registered");
		let expected = deposit(NAME, URI, LICENSE);
		assert_eq!(record.owner, ALICE);
		assert_eq!(record.weights_hash, hash(1));
		assert_eq!(record.name.to_vec(), NAME.to_vec());
		assert_eq!(record.architecture, mlp());
		assert_eq!(record.dataset, Some(hash(200)));
		assert_eq!(record.provenance, Provenance::Uploaded);
		assert!(!record.provenance.is_verified());
		assert_eq!(record.deposit, expected);
		assert_eq!(record.registered_at, 1);
		assert!(!record.deprecated);
		assert_eq!(ModelByHash::<Test>::get(hash(1)), Some(0));
		assert_eq!(NextModelId::<Test>::get(), 1);
		assert_eq!(held(ALICE), expected);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - expected);
		System::assert_last_event(
			Event::ModelRegistered {
				model_id: 0,
				owner: ALICE,
				weights_hash: hash(1),
				parent: None,
				provenance: Provenance::Uploaded,
				deposit: expected,
			}
			.into(),
		);
	});
}

#[test]
fn lineage_follows_parents() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		assert_ok!(register(BOB, hash(2), Some(0)));
		assert_ok!(register(ALICE, hash(3), Some(1)));
		let chain: Vec<u64> =
			core::iter::successors(Some(2u64), |id| Models::<Test>::get(id).and_then(|m| m.parent))
				.collect();
		assert_eq!(chain, vec![2, 1, 0]);
		assert_eq!(held(ALICE), 2 * deposit(NAME, URI, LICENSE));
	});
}

#[test]
fn duplicate_hash_is_rejected_and_changes_nothing() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		assert_noop!(register(BOB, hash(1), None), Error::<Test>::DuplicateWeightsHash);
		assert_noop!(register(ALICE, hash(1), None), Error::<Test>::DuplicateWeightsHash);
		assert_eq!(held(BOB), 0);
	});
}

#[test]
fn unknown_parent_is_rejected() {
	test(|| {
		assert_noop!(register(ALICE, hash(1), Some(0)), Error::<Test>::UnknownParent);
		assert_ok!(register(ALICE, hash(1), None));
		// A model cannot name itself or a later model as parent: ids are assigned after the check.
		assert_noop!(register(ALICE, hash(2), Some(1)), Error::<Test>::UnknownParent);
	});
}

#[test]
fn oversized_and_empty_fields_are_rejected() {
	test(|| {
		let call = |name: Vec<u8>, arch: Architecture, uri: Vec<u8>, license: Vec<u8>| {
			ModelRegistry::register_model(
				RuntimeOrigin::signed(ALICE),
				hash(1),
				name,
				arch,
				None,
				None,
				uri,
				license,
			)
		};
		let ok = || (NAME.to_vec(), mlp(), URI.to_vec(), LICENSE.to_vec());
		let (_, a, u, l) = ok();
		assert_noop!(call(vec![b'n'; 33], a, u, l), Error::<Test>::NameTooLong);
		let (_, a, u, l) = ok();
		assert_noop!(call(vec![], a, u, l), Error::<Test>::EmptyName);
		let (n, a, _, l) = ok();
		assert_noop!(call(n, a, vec![b'u'; 65], l), Error::<Test>::UriTooLong);
		let (n, a, u, _) = ok();
		assert_noop!(call(n, a, u, vec![b'l'; 17]), Error::<Test>::LicenseTooLong);
		let (n, _, u, l) = ok();
		let zero_width = Architecture::Mlp(Mlp {
			input: 0,
			hidden: BoundedVec::new(),
			output: 10,
			activation: Activation::Tanh,
		});
		assert_noop!(call(n, zero_width, u, l), Error::<Test>::InvalidArchitecture);
		// Exactly at the bounds is fine.
		assert_ok!(call(vec![b'n'; 32], mlp(), vec![b'u'; 64], vec![b'l'; 16]));
	});
}

#[test]
fn deposit_beyond_free_balance_is_rejected() {
	test(|| {
		assert_noop!(register(POOR, hash(1), None), Error::<Test>::InsufficientBalance);
		assert_eq!(Balances::balance(&POOR), 50);
		assert_eq!(held(POOR), 0);
	});
}

#[test]
fn update_metadata_adjusts_deposit_both_ways() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		let longer = b"https://models.example/digits/v2/card.json".to_vec();
		assert_ok!(ModelRegistry::update_metadata(
			RuntimeOrigin::signed(ALICE),
			0,
			longer.clone(),
			b"MIT".to_vec()
		));
		let grown = deposit(NAME, &longer, b"MIT");
		assert_eq!(Models::<Test>::get(0).unwrap().deposit, grown);
		assert_eq!(held(ALICE), grown);
		System::assert_last_event(Event::MetadataUpdated { model_id: 0, deposit: grown }.into());

		assert_ok!(ModelRegistry::update_metadata(RuntimeOrigin::signed(ALICE), 0, vec![], vec![]));
		let shrunk = deposit(NAME, b"", b"");
		assert_eq!(held(ALICE), shrunk);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - shrunk);
		let record = Models::<Test>::get(0).unwrap();
		assert!(record.metadata_uri.is_empty() && record.license.is_empty());
	});
}

#[test]
fn update_metadata_rejects_wrong_calls() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		let update = |who, id, uri: Vec<u8>| {
			ModelRegistry::update_metadata(RuntimeOrigin::signed(who), id, uri, LICENSE.to_vec())
		};
		assert_noop!(update(BOB, 0, URI.to_vec()), Error::<Test>::NotOwner);
		assert_noop!(update(ALICE, 7, URI.to_vec()), Error::<Test>::UnknownModel);
		assert_noop!(update(ALICE, 0, vec![b'u'; 65]), Error::<Test>::UriTooLong);
	});
}

#[test]
fn update_metadata_needs_balance_for_a_larger_deposit() {
	test(|| {
		// Leaves POOR-like headroom: Alice holds almost everything after this registration.
		assert_ok!(register(ALICE, hash(1), None));
		let free = Balances::balance(&ALICE);
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(ALICE), BOB, free - 5));
		assert_noop!(
			ModelRegistry::update_metadata(RuntimeOrigin::signed(ALICE), 0, vec![b'u'; 64], vec![]),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn transfer_moves_ownership_and_deposit() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		let amount = deposit(NAME, URI, LICENSE);
		assert_ok!(ModelRegistry::transfer_model(RuntimeOrigin::signed(ALICE), 0, BOB));
		assert_eq!(Models::<Test>::get(0).unwrap().owner, BOB);
		assert_eq!(held(ALICE), 0);
		assert_eq!(held(BOB), amount);
		assert_eq!(Balances::total_balance(&ALICE), ENDOWMENT - amount);
		System::assert_last_event(
			Event::ModelTransferred { model_id: 0, from: ALICE, to: BOB }.into(),
		);
		// The old owner has lost its rights.
		assert_noop!(
			ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::NotOwner
		);
		assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(BOB), 0));
	});
}

#[test]
fn transfer_rejects_wrong_calls() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		let transfer =
			|who, id, to| ModelRegistry::transfer_model(RuntimeOrigin::signed(who), id, to);
		assert_noop!(transfer(ALICE, 0, ALICE), Error::<Test>::TransferToSelf);
		assert_noop!(transfer(BOB, 0, BOB), Error::<Test>::NotOwner);
		assert_noop!(transfer(ALICE, 5, BOB), Error::<Test>::UnknownModel);
		assert_noop!(transfer(ALICE, 0, NOBODY), Error::<Test>::NewOwnerCannotHoldDeposit);
	});
}

#[test]
fn deprecate_once_by_owner() {
	test(|| {
		assert_ok!(register(ALICE, hash(1), None));
		assert_noop!(
			ModelRegistry::deprecate_model(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), 3),
			Error::<Test>::UnknownModel
		);
		assert_ok!(ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), 0));
		assert!(Models::<Test>::get(0).unwrap().deprecated);
		System::assert_last_event(Event::ModelDeprecated { model_id: 0 }.into());
		assert_noop!(
			ModelRegistry::deprecate_model(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::AlreadyDeprecated
		);
		// A deprecated model still resolves as a parent.
		assert_ok!(register(BOB, hash(2), Some(0)));
	});
}

#[test]
fn protocol_registration_is_marked_verified() {
	test(|| {
		let model = NewModel {
			weights_hash: hash(9),
			name: NAME.to_vec(),
			architecture: mlp(),
			parent: None,
			dataset: None,
			metadata_uri: URI.to_vec(),
			license: LICENSE.to_vec(),
		};
		let id = ModelRegistry::do_register(BOB, model, Provenance::Trained { task: 4 }).unwrap();
		let record = Models::<Test>::get(id).unwrap();
		assert!(record.provenance.is_verified());
		assert_eq!(record.provenance, Provenance::Trained { task: 4 });
	});
}

#[test]
fn try_state_detects_a_broken_index() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(ALICE, hash(1), None));
		ModelByHash::<Test>::insert(hash(2), 0);
		assert!(ModelRegistry::do_try_state().is_err());
	});
}

#[test]
fn try_state_detects_a_deposit_mismatch() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(ALICE, hash(1), None));
		Models::<Test>::mutate(0, |m| m.as_mut().unwrap().deposit += 1);
		assert!(ModelRegistry::do_try_state().is_err());
	});
}
