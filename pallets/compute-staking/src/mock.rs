//! Mock runtime for compute staking's unit tests.

use crate::{self as pallet_compute_staking, StakingParams};
use cairn_primitives::{Backend, HardwareProfile, IsaClass, Roles};
use frame_support::{derive_impl, traits::ConstU32};
use sp_runtime::BuildStorage;

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
	pub type ComputeStaking = pallet_compute_staking;
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

impl pallet_compute_staking::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxUnbondingChunks = ConstU32<3>;
	type MaxPoolSize = ConstU32<4>;
	type ArithmeticVersion = ConstU32<1>;
	type WeightInfo = ();
}

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const POT: u64 = 9;
pub const ENDOWMENT: Balance = 10_000;
pub const MIN_SOLVER: Balance = 1_000;
pub const MIN_VERIFIER: Balance = 500;
pub const MIN_WHISTLEBLOWER: Balance = 200;
pub const DELAY: u64 = 10;

pub fn params() -> StakingParams<Balance, u64> {
	StakingParams {
		min_solver_bond: MIN_SOLVER,
		min_verifier_bond: MIN_VERIFIER,
		min_whistleblower_bond: MIN_WHISTLEBLOWER,
		unbonding_delay: DELAY,
	}
}

pub fn solver() -> Roles {
	Roles { solver: true, verifier: false, whistleblower: false }
}

pub fn verifier() -> Roles {
	Roles { solver: false, verifier: true, whistleblower: false }
}

pub fn cpu() -> HardwareProfile {
	HardwareProfile {
		isa: IsaClass::X86_64V3,
		arithmetic: 1,
		backend: Backend::FlexCpu,
		memory_gib: 16,
		gpu: None,
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, ENDOWMENT), (BOB, ENDOWMENT), (POT, 1)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_compute_staking::GenesisConfig::<Test> { params: params() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
