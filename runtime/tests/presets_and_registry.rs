//! The runtime, built natively from its genesis presets: consensus authorities, endowments, and
//! the model registry holding deposits in the real Balances pallet.

use cairn_primitives::{Activation, Architecture, BoundedVec, Mlp};
use cairn_runtime::{
	genesis_config_presets::{development_config_genesis, local_config_genesis, ENDOWMENT},
	AccountId, Aura, Balances, DepositBase, DepositPerByte, Grandpa, ModelRegistry,
	RuntimeGenesisConfig, RuntimeHoldReason, RuntimeOrigin, System,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use pallet_model_registry::{Error, HoldReason, Models};
use sp_keyring::Sr25519Keyring;

/// Genesis state of a preset, which patches the default genesis config as a chain spec would.
fn externalities(preset: serde_json::Value) -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	sc_chain_spec::json_merge(&mut config, preset);
	let mut ext = sp_io::TestExternalities::default();
	ext.execute_with(|| {
		let json = serde_json::to_vec(&config).expect("serializes");
		frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(json)
			.expect("the preset builds a genesis state");
		System::set_block_number(1);
	});
	ext
}

fn account(key: Sr25519Keyring) -> AccountId {
	key.to_account_id()
}

#[test]
fn dev_preset_has_one_authority_and_funded_dev_accounts() {
	externalities(development_config_genesis()).execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<cairn_runtime::Runtime>::get().len(), 1);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<cairn_runtime::Runtime>::get(), Some(account(Sr25519Keyring::Alice)));
		for key in [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Ferdie] {
			assert_eq!(Balances::balance(&account(key)), ENDOWMENT);
		}
		assert_eq!(Aura::slot_duration(), cairn_runtime::SLOT_DURATION);
	});
}

#[test]
fn local_preset_has_alice_and_bob_as_validators() {
	externalities(local_config_genesis()).execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<cairn_runtime::Runtime>::get().len(), 2);
		assert_eq!(Grandpa::grandpa_authorities().len(), 2);
	});
}

#[test]
fn registering_a_model_holds_its_deposit_in_balances() {
	externalities(development_config_genesis()).execute_with(|| {
		let alice = account(Sr25519Keyring::Alice);
		let architecture = Architecture::Mlp(Mlp {
			input: 64,
			hidden: BoundedVec::truncate_from(vec![32]),
			output: 10,
			activation: Activation::Relu,
		});
		let (name, uri, license) = (b"digits".to_vec(), b"ipfs://digits".to_vec(), b"MIT".to_vec());
		let register = |hash: [u8; 32], parent| {
			ModelRegistry::register_model(
				RuntimeOrigin::signed(alice.clone()),
				hash,
				name.clone(),
				architecture.clone(),
				parent,
				None,
				uri.clone(),
				license.clone(),
			)
		};
		assert_ok!(register([1; 32], None));
		assert_ok!(register([2; 32], Some(0)));
		assert_noop!(register([1; 32], None), Error::<cairn_runtime::Runtime>::DuplicateWeightsHash);

		let bytes = (name.len() + uri.len() + license.len()) as u128;
		let deposit = DepositBase::get() + DepositPerByte::get() * bytes;
		let reason = RuntimeHoldReason::ModelRegistry(HoldReason::ModelDeposit);
		assert_eq!(Balances::balance_on_hold(&reason, &alice), 2 * deposit);
		assert_eq!(Balances::balance(&alice), ENDOWMENT - 2 * deposit);
		assert_eq!(Models::<cairn_runtime::Runtime>::get(1).and_then(|m| m.parent), Some(0));
		ModelRegistry::do_try_state().expect("registry invariants hold");
	});
}
