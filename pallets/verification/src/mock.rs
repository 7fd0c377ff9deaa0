//! Mock runtime for verification's unit tests: Balances, the model registry, compute staking, the
//! task market and verification, wired as in the real runtime, with randomness from the block
//! number.

use crate::{self as pallet_verification, VerificationParams};
use cairn_primitives::{
	Activation, Architecture, BoundedVec, DatasetRef, Mlp, ModelInit, Optimizer, TaskSpec,
	TrainingConfig, VerificationPolicy,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Randomness},
	PalletId,
};
use pallet_compute_staking::StakingParams;
use pallet_tasks::TaskParams;
use sp_core::H256;
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
	#[runtime::pallet_index(5)]
	pub type Verification = pallet_verification;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub const DepositBase: Balance = 10;
	pub const DepositPerByte: Balance = 1;
	pub const VerificationPotId: PalletId = PalletId(*b"cairn/vp");
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
	type MaxPoolSize = ConstU32<32>;
	type ArithmeticVersion = ConstU32<1>;
	type WeightInfo = ();
}

impl pallet_tasks::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Providers = ComputeStaking;
	type Models = ModelRegistry;
	type Verifier = Verification;
	type WeightInfo = ();
}

/// Randomness from the subject and the block number: deterministic, for tests only.
pub struct TestRandomness;

impl Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let block = System::block_number();
		(H256(sp_io::hashing::blake2_256(&[subject, &block.to_le_bytes()].concat())), block)
	}
}

impl pallet_verification::Config for Test {
	type Currency = Balances;
	type Providers = ComputeStaking;
	type Tasks = TaskMarket;
	type Randomness = TestRandomness;
	type PotId = VerificationPotId;
	type MaxAgendaPerBlock = ConstU32<4>;
	type WeightInfo = ();
}

pub const SUBMITTER: u64 = 1;
pub const SOLVER: u64 = 2;
/// Verifiers registered by `new_test_ext`.
pub const VERIFIERS: [u64; 5] = [11, 12, 13, 14, 15];
pub const OUTSIDER: u64 = 99;
pub const ENDOWMENT: Balance = 1_000_000;
pub const MIN_SOLVER_BOND: Balance = 1_000;
pub const MIN_VERIFIER_BOND: Balance = 500;
pub const VERIFIER_BOND: Balance = 2_000;
pub const REWARD: Balance = 10_000;
pub const TASK_DEPOSIT: Balance = 500;
pub const VERIFICATION_WINDOW: u64 = 30;
pub const MAX_REOPENS: u8 = 1;
pub const VERIFIER_SLASH: Balance = 300;
pub const FEE: Perbill = Perbill::from_percent(10);
pub const ARBITER_FEE: Balance = 40;
pub const DRAW_DELAY: u64 = 2;
pub const WINDOW: u64 = 5;
/// Shares of the reward: 2.8% (280) lost by a wrong challenge, 53% (5,300) won by catching a
/// forced error.
pub const CHALLENGE_BOND: Perbill = Perbill::from_parts(28_000_000);
pub const JACKPOT: Perbill = Perbill::from_percent(53);

pub fn verification_params() -> VerificationParams<Balance, u64> {
	VerificationParams {
		draw_delay: DRAW_DELAY,
		redraw_interval: 3,
		commit_window: WINDOW,
		reveal_window: WINDOW,
		availability_window: WINDOW,
		recheck_verifiers: 3,
		max_recheck_rounds: 1,
		verification_fee: FEE,
		verifier_slash: VERIFIER_SLASH,
		move_window: WINDOW,
		arbiters: 3,
		arbiter_fee: ARBITER_FEE,
		challenge_window: 0,
		challenge_bond: CHALLENGE_BOND,
		forced_error_rate: Perbill::from_percent(10),
		jackpot: JACKPOT,
		jackpot_tax: Perbill::zero(),
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

/// 100 steps checkpointed every 10: 11 checkpoints, 10 segments; two verifiers, two each.
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
	let mut balances = vec![(SUBMITTER, ENDOWMENT), (SOLVER, ENDOWMENT), (OUTSIDER, ENDOWMENT)];
	balances.extend(VERIFIERS.iter().map(|who| (*who, ENDOWMENT)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_compute_staking::GenesisConfig::<Test> {
		params: StakingParams {
			min_solver_bond: MIN_SOLVER_BOND,
			min_verifier_bond: MIN_VERIFIER_BOND,
			min_whistleblower_bond: 200,
			unbonding_delay: 10,
		},
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_tasks::GenesisConfig::<Test> {
		params: TaskParams {
			min_reward: 100,
			price_per_gigaflop: 1,
			task_deposit: TASK_DEPOSIT,
			solver_bond_ratio: Perbill::from_percent(10),
			claim_window: 20,
			training_window: 50,
			verification_window: VERIFICATION_WINDOW,
			max_reopens: MAX_REOPENS,
		},
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_verification::GenesisConfig::<Test> { params: verification_params() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
