//! Mock runtime for the task market's unit tests: Balances, the model registry, compute staking
//! and tasks, wired as in the real runtime.

use crate::{self as pallet_tasks, TaskParams};
use cairn_primitives::{
	Activation, Architecture, BoundedVec, DatasetRef, Mlp, ModelInit, Optimizer, TaskSpec,
	TrainingConfig, VerificationPolicy,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use pallet_compute_staking::StakingParams;
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type Balance = u64;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type ModelRegistry = pallet_model_registry;
	#[runtime::pallet_index(3)]
	pub type ComputeStaking = pallet_compute_staking;
	#[runtime::pallet_index(4)]
	pub type TaskMarket = pallet_tasks;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<ED>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub const DepositBase: Balance = 10;
	pub const DepositPerByte: Balance = 1;
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = DepositBase;
	type DepositPerByte = DepositPerByte;
	type MaxNameLen = ConstU32<64>;
	type MaxUriLen = ConstU32<256>;
	type MaxLicenseLen = ConstU32<64>;
	type WeightInfo = ();
}

impl pallet_compute_staking::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxUnbondingChunks = ConstU32<4>;
	type MaxPoolSize = ConstU32<8>;
	type ArithmeticVersion = ConstU32<1>;
	type WeightInfo = ();
}

impl pallet_tasks::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Providers = ComputeStaking;
	type Models = ModelRegistry;
	type Verifier = ();
	type WeightInfo = ();
}

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
pub const DAVE: u64 = 4;
pub const POT: u64 = 9;
/// Existential deposit: fees below it cannot create an account.
pub const ED: Balance = 5;
pub const ENDOWMENT: Balance = 1_000_000;
pub const MIN_SOLVER_BOND: Balance = 1_000;
pub const MIN_REWARD: Balance = 100;
pub const TASK_DEPOSIT: Balance = 500;
pub const CLAIM_WINDOW: u64 = 20;
pub const TRAINING_WINDOW: u64 = 50;
pub const VERIFICATION_WINDOW: u64 = 30;
pub const MAX_REOPENS: u8 = 1;
pub const BOND_RATIO: Perbill = Perbill::from_percent(10);

pub fn task_params() -> TaskParams<Balance, u64> {
	TaskParams {
		min_reward: MIN_REWARD,
		// One unit per 10^9 FLOP, rounded up: the default spec's 46 MFLOP cost 1.
		price_per_gigaflop: 1,
		task_deposit: TASK_DEPOSIT,
		solver_bond_ratio: BOND_RATIO,
		claim_window: CLAIM_WINDOW,
		training_window: TRAINING_WINDOW,
		verification_window: VERIFICATION_WINDOW,
		max_reopens: MAX_REOPENS,
	}
}

pub fn staking_params() -> StakingParams<Balance, u64> {
	StakingParams {
		min_solver_bond: MIN_SOLVER_BOND,
		min_verifier_bond: 500,
		min_whistleblower_bond: 200,
		unbonding_delay: 10,
	}
}

pub fn mlp() -> Architecture {
	Architecture::Mlp(Mlp {
		input: 64,
		hidden: BoundedVec::truncate_from(vec![32]),
		output: 10,
		activation: Activation::Relu,
	})
}

/// An 8x8-digits MLP trained for 100 steps of 32 samples, checkpointing every 10 steps.
pub fn spec() -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"digits-mlp".to_vec()),
		license: BoundedVec::truncate_from(b"Apache-2.0".to_vec()),
		model: ModelInit::Fresh { architecture: mlp(), init_seed: 42 },
		dataset: DatasetRef {
			hash: [7; 32],
			size: 1797 * 65,
			uri: BoundedVec::truncate_from(b"http://127.0.0.1/digits".to_vec()),
		},
		training: TrainingConfig {
			optimizer: Optimizer::sgd(0.05, 0.9),
			batch_size: 32,
			steps: 100,
			data_order_seed: 1,
			checkpoint_interval: 10,
		},
		verification: VerificationPolicy { verifiers: 2, segments_per_verifier: 2 },
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(ALICE, ENDOWMENT),
			(BOB, ENDOWMENT),
			(CHARLIE, ENDOWMENT),
			(DAVE, 50),
			(POT, ED),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_compute_staking::GenesisConfig::<Test> { params: staking_params() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_tasks::GenesisConfig::<Test> { params: task_params() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
