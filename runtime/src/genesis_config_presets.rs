//! Genesis presets: `development` (one authority, Alice) and `local_testnet` (Alice and Bob).

use crate::{
	configs::VerificationPotId, AccountId, Balance, BlockNumber, DAYS, HOURS, MILLI_UNIT, UNIT,
};
use alloc::{vec, vec::Vec};
use pallet_compute_staking::StakingParams;
use pallet_tasks::TaskParams;
use pallet_verification::VerificationParams;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{traits::AccountIdConversion, Perbill};

/// Free balance of every prefunded account: one million CAIRN.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;

/// The verification pot's seed, from which jackpots are paid until taxes fill it.
pub const POT_SEED: Balance = 10_000 * UNIT;

/// Aura (sr25519) and GRANDPA (ed25519) keys of a validator.
type Authority = (Sr25519Keyring, Ed25519Keyring);

/// Protocol parameters of a chain: the dev chain uses short windows, testnets long ones.
struct Protocol {
	staking: StakingParams<Balance, BlockNumber>,
	tasks: TaskParams<Balance, BlockNumber>,
	verification: VerificationParams<Balance, BlockNumber>,
}

impl Protocol {
	fn with_windows(
		unbonding_delay: BlockNumber,
		claim: BlockNumber,
		training: BlockNumber,
		verification: BlockNumber,
		phase: BlockNumber,
	) -> Self {
		Protocol {
			staking: StakingParams {
				min_solver_bond: 100 * UNIT,
				min_verifier_bond: 50 * UNIT,
				min_whistleblower_bond: 20 * UNIT,
				unbonding_delay,
			},
			tasks: TaskParams {
				min_reward: UNIT,
				price_per_gigaflop: MILLI_UNIT,
				// Covers the registry deposit of the trained model (at most 0.484 CAIRN).
				task_deposit: UNIT,
				// Deters faking under the default policy (8 sampled segments): see docs/verification.md.
				solver_bond_ratio: Perbill::from_percent(25),
				claim_window: claim,
				training_window: training,
				verification_window: verification,
				max_reopens: 2,
			},
			verification: VerificationParams {
				// Two blocks: the draw's randomness comes after the commitment's block.
				draw_delay: 2,
				redraw_interval: phase / 4,
				commit_window: phase,
				reveal_window: phase,
				availability_window: phase,
				recheck_verifiers: 3,
				max_recheck_rounds: 2,
				verification_fee: Perbill::from_percent(10),
				// A fifth of the least verifier bond.
				verifier_slash: 10 * UNIT,
				move_window: phase,
				arbiters: 3,
				// Re-executing one training step is cheap; the fee pays for being on call.
				arbiter_fee: 2 * UNIT,
				// Whistleblowers replay a segment or two: a quarter of a phase is plenty for the
				// dev chain's small tasks.
				challenge_window: phase / 4,
				// Prices derived in docs/incentives.md for the 2x4 policy: watching pays (+15 a
				// watched check of 1,000), blind challenges lose (-16), the pot holds (+0.9 a task).
				challenge_bond: Perbill::from_parts(28_000_000),
				forced_error_rate: Perbill::from_percent(10),
				jackpot: Perbill::from_percent(53),
				jackpot_tax: Perbill::from_parts(55_000_000),
			},
		}
	}

	/// Blocks of at most 3 s: unbonding in 30 s, claims open 5 min, 10 min to train, 10 to
	/// verify, a minute for each verification phase.
	fn dev() -> Self {
		Self::with_windows(10, 100, 200, 200, 20)
	}

	/// Unbonding in a day, claims open an hour, six hours to train, a day to verify, an hour for
	/// each verification phase.
	fn testnet() -> Self {
		Self::with_windows(DAYS, HOURS, 6 * HOURS, DAYS, HOURS)
	}
}

fn genesis(
	authorities: &[Authority],
	endowed: Vec<AccountId>,
	root: AccountId,
	protocol: Protocol,
) -> Value {
	let aura: Vec<AuraId> = authorities.iter().map(|(aura, _)| aura.public().into()).collect();
	let grandpa: Vec<(GrandpaId, u64)> =
		authorities.iter().map(|(_, grandpa)| (grandpa.public().into(), 1)).collect();
	let pot: AccountId = VerificationPotId::get().into_account_truncating();
	let balances: Vec<(AccountId, Balance)> = endowed
		.into_iter()
		.map(|account| (account, ENDOWMENT))
		.chain([(pot, POT_SEED)])
		.collect();
	serde_json::json!({
		"balances": { "balances": balances },
		"aura": { "authorities": aura },
		"grandpa": { "authorities": grandpa },
		"sudo": { "key": Some(root) },
		"computeStaking": { "params": protocol.staking },
		"tasks": { "params": protocol.tasks },
		"verification": { "params": protocol.verification },
	})
}

/// The well-known dev accounts (Alice to Ferdie and their `//stash` keys), all prefunded.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// One authority, Alice, who is also sudo.
pub fn development_config_genesis() -> Value {
	genesis(
		&[(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		Protocol::dev(),
	)
}

/// Two authorities, Alice and Bob; Alice is sudo.
pub fn local_config_genesis() -> Value {
	genesis(
		&[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		Protocol::testnet(),
	)
}

/// The preset with the given id, serialized as a JSON patch over the default genesis.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// Ids of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
