//! The runtime, built natively from its genesis presets: consensus authorities, endowments, the
//! model registry and the task market running on the real Balances pallet.

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
		assert_eq!(
			pallet_sudo::Key::<cairn_runtime::Runtime>::get(),
			Some(account(Sr25519Keyring::Alice))
		);
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
		assert_noop!(
			register([1; 32], None),
			Error::<cairn_runtime::Runtime>::DuplicateWeightsHash
		);

		let bytes = (name.len() + uri.len() + license.len()) as u128;
		let deposit = DepositBase::get() + DepositPerByte::get() * bytes;
		let reason = RuntimeHoldReason::ModelRegistry(HoldReason::ModelDeposit);
		assert_eq!(Balances::balance_on_hold(&reason, &alice), 2 * deposit);
		assert_eq!(Balances::balance(&alice), ENDOWMENT - 2 * deposit);
		assert_eq!(Models::<cairn_runtime::Runtime>::get(1).and_then(|m| m.parent), Some(0));
		ModelRegistry::do_try_state().expect("registry invariants hold");
	});
}

#[test]
fn dev_preset_runs_the_task_market_with_short_windows() {
	use cairn_primitives::{
		Backend, DatasetRef, HardwareProfile, IsaClass, ModelInit, Optimizer, ResultCommitment,
		Roles, TaskSpec, TrainingConfig, VerificationPolicy,
	};
	use cairn_runtime::{ComputeStaking, Runtime, Tasks, UNIT};
	use pallet_tasks::TaskSettlement;

	externalities(development_config_genesis()).execute_with(|| {
		let (alice, bob) = (account(Sr25519Keyring::Alice), account(Sr25519Keyring::Bob));
		let params = pallet_tasks::Params::<Runtime>::get();
		assert_eq!(params.claim_window, 100);
		assert_eq!(pallet_compute_staking::Params::<Runtime>::get().min_solver_bond, 100 * UNIT);

		assert_ok!(ComputeStaking::register_provider(
			RuntimeOrigin::signed(bob.clone()),
			Roles { solver: true, verifier: false, whistleblower: false },
			HardwareProfile {
				isa: IsaClass::X86_64V3,
				backend: Backend::FlexCpu,
				memory_gib: 8,
				gpu: None
			},
			100 * UNIT,
		));
		let spec = TaskSpec {
			name: BoundedVec::truncate_from(b"digits".to_vec()),
			license: BoundedVec::truncate_from(b"Apache-2.0".to_vec()),
			model: ModelInit::Fresh {
				architecture: Architecture::Mlp(Mlp {
					input: 64,
					hidden: BoundedVec::truncate_from(vec![32]),
					output: 10,
					activation: Activation::Relu,
				}),
				init_seed: 1,
			},
			dataset: DatasetRef { hash: [3; 32], size: 116_805, uri: BoundedVec::new() },
			training: TrainingConfig {
				optimizer: Optimizer::sgd(0.05, 0.0),
				batch_size: 32,
				steps: 100,
				data_order_seed: 2,
				checkpoint_interval: 10,
			},
			verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 2 },
		};
		assert_ok!(Tasks::create_task(RuntimeOrigin::signed(alice.clone()), spec, 10 * UNIT));
		assert_ok!(Tasks::claim_task(RuntimeOrigin::signed(bob.clone()), 0));
		let commitment = ResultCommitment {
			final_weights_hash: [4; 32],
			checkpoint_root: [5; 32],
			checkpoint_count: 11,
			artifacts_uri: BoundedVec::new(),
		};
		assert_ok!(Tasks::submit_result(RuntimeOrigin::signed(bob.clone()), 0, commitment));

		let model_id = <Tasks as TaskSettlement<_, _>>::accept(0, &[]).expect("settles");
		let record = Models::<Runtime>::get(model_id).expect("registered");
		assert_eq!(record.owner, alice);
		assert!(record.provenance.is_verified());
		assert_eq!(Balances::balance(&bob), ENDOWMENT - 100 * UNIT + 10 * UNIT);
		pallet_tasks::Pallet::<Runtime>::do_try_state().expect("task invariants hold");
		pallet_compute_staking::Pallet::<Runtime>::do_try_state().expect("staking invariants hold");
	});
}
