//! The runtime, built natively from its genesis presets: consensus authorities, endowments, the
//! model registry and the task market running on the real Balances pallet.

use cairn_primitives::{Activation, Architecture, BoundedVec, Mlp};
use cairn_runtime::{
	genesis_config_presets::{
		development_config_genesis, local_config_genesis, ENDOWMENT, POT_SEED,
	},
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
		// The verification pot is seeded, so that jackpots can be paid before taxes come in.
		let pot = pallet_verification::Pallet::<cairn_runtime::Runtime>::pot();
		assert_eq!(Balances::balance(&pot), POT_SEED);
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

/// A task on the dev preset, from posting to settlement, through the real verification: a
/// verifier is drawn in `on_initialize`, commits, reveals what it recomputed, and the result is
/// accepted, paying the solver and the verifier and registering the model for the submitter.
#[test]
fn dev_preset_runs_a_task_through_verification_to_settlement() {
	use cairn_primitives::{
		merkle::{blake2_256, checkpoint_proof, checkpoint_root},
		verification::{forced_error, reveal_commitment, secret_commitment},
		Backend, Computed, DatasetRef, Finding, HardwareProfile, IsaClass, ModelInit, Optimizer,
		ResultCommitment, Roles, TaskSpec, TrainingConfig, VerificationPolicy,
	};
	use cairn_runtime::{ComputeStaking, Runtime, Tasks, Verification, UNIT};
	use codec::Encode;
	use frame_support::traits::Hooks;

	externalities(development_config_genesis()).execute_with(|| {
		let (alice, bob, charlie) = (
			account(Sr25519Keyring::Alice),
			account(Sr25519Keyring::Bob),
			account(Sr25519Keyring::Charlie),
		);
		assert_eq!(pallet_tasks::Params::<Runtime>::get().claim_window, 100);
		assert_eq!(pallet_compute_staking::Params::<Runtime>::get().min_solver_bond, 100 * UNIT);
		assert_eq!(pallet_verification::Params::<Runtime>::get().commit_window, 20);
		let pot = Verification::pot();
		assert!(Balances::balance(&pot) > 0, "the pot exists from genesis");

		let cpu = HardwareProfile {
			isa: IsaClass::X86_64V3,
			arithmetic: 1,
			backend: Backend::FlexCpu,
			memory_gib: 8,
			gpu: None,
		};
		let roles = |solver, verifier| Roles { solver, verifier, whistleblower: false };
		assert_ok!(ComputeStaking::register_provider(
			RuntimeOrigin::signed(bob.clone()),
			roles(true, false),
			cpu.clone(),
			100 * UNIT,
		));
		assert_ok!(ComputeStaking::register_provider(
			RuntimeOrigin::signed(charlie.clone()),
			roles(false, true),
			cpu,
			50 * UNIT,
		));
		// A verifier is drawn only with a forced-error secret committed.
		let secret = [7; 32];
		assert_ok!(Verification::commit_secret(
			RuntimeOrigin::signed(charlie.clone()),
			secret_commitment(&secret)
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
		let leaves: Vec<[u8; 32]> = (0..11u8).map(|i| blake2_256(&[i])).collect();
		let weights = blake2_256(b"final weights");
		let commitment = ResultCommitment {
			final_weights_hash: weights,
			checkpoint_root: checkpoint_root(&leaves),
			checkpoint_count: 11,
			artifacts_uri: BoundedVec::new(),
		};
		assert_ok!(Tasks::submit_result(RuntimeOrigin::signed(bob.clone()), 0, commitment));

		let run_to = |block: u32| {
			while System::block_number() < block {
				let next = System::block_number() + 1;
				System::set_block_number(next);
				Verification::on_initialize(next);
			}
		};
		run_to(System::block_number() + 2);
		let verification = pallet_verification::Verifications::<Runtime>::get(0).expect("drawn");
		let check = &verification.checks[0];
		assert_eq!(check.verifier, charlie);
		// An honest verifier recomputes every target to the solver's values, each replayed
		// segment with its witness (none is forced here: the secret's draw says so).
		let rate = verification.forced_error_rate.deconstruct();
		assert_eq!(forced_error(&secret, 0, 0, rate, check.targets.len() as u32 - 2), None);
		let findings: Vec<Finding> = check
			.targets
			.iter()
			.map(|&target| match checkpoint_proof(&leaves, target) {
				Some(proof) => Finding {
					computed: if target == 0 {
						Computed::Hash(proof.leaf)
					} else {
						Computed::Witnessed { hash: proof.leaf, witness: [target as u8; 32] }
					},
					leaf: Some((proof.leaf, BoundedVec::truncate_from(proof.siblings))),
				},
				None => Finding { computed: Computed::Hash(weights), leaf: None },
			})
			.collect();
		let computed: Vec<Computed> = findings.iter().map(|f| f.computed.clone()).collect();
		let salt = [9; 32];
		let hash = reveal_commitment(0, 0, &charlie.encode(), &computed, &salt);
		assert_ok!(Verification::commit(RuntimeOrigin::signed(charlie.clone()), 0, hash));
		assert_ok!(Verification::reveal(
			RuntimeOrigin::signed(charlie.clone()),
			0,
			BoundedVec::truncate_from(findings),
			salt
		));
		// Decided once the challenge window has passed without a challenge.
		let window = pallet_verification::Params::<Runtime>::get().challenge_window;
		run_to(System::block_number() + 2 + window);

		assert!(pallet_tasks::Tasks::<Runtime>::get(0).is_none(), "settled");
		let model_id =
			pallet_model_registry::ModelByHash::<Runtime>::get(weights).expect("registered");
		let record = Models::<Runtime>::get(model_id).expect("registered");
		assert_eq!(record.owner, alice);
		assert!(record.provenance.is_verified());
		// The verifier earned the whole fee share, a tenth of the reward; the pot its tax, 5.5%.
		assert_eq!(Balances::balance(&charlie), ENDOWMENT - 50 * UNIT + UNIT);
		let tax = 55 * UNIT / 100;
		assert_eq!(Balances::balance(&bob), ENDOWMENT - 100 * UNIT + 9 * UNIT - tax);
		assert_eq!(Balances::balance(&pot), POT_SEED + tax);
		pallet_tasks::Pallet::<Runtime>::do_try_state().expect("task invariants hold");
		pallet_compute_staking::Pallet::<Runtime>::do_try_state().expect("staking invariants hold");
		pallet_verification::Pallet::<Runtime>::do_try_state()
			.expect("verification invariants hold");
	});
}
