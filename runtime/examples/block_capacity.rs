//! Prints the weight of every Cairn call, from the benchmarked weights the runtime uses, and how
//! many of each fit in one block's normal-class budget, and the worst case of verification's
//! `on_initialize` against the whole block: `cargo run -p cairn-runtime --example
//! block_capacity`.

use cairn_runtime::{configs::RuntimeBlockWeights, Runtime};
use frame_support::{dispatch::DispatchClass, traits::Get, weights::Weight};
use pallet_compute_staking::WeightInfo as _;
use pallet_model_registry::WeightInfo as _;
use pallet_tasks::{ResultVerifier, WeightInfo as _};
use pallet_verification::WeightInfo as _;

type Registry = pallet_model_registry::weights::SubstrateWeight<Runtime>;
type Staking = pallet_compute_staking::weights::SubstrateWeight<Runtime>;
type Tasks = pallet_tasks::weights::SubstrateWeight<Runtime>;
type Verification = pallet_verification::weights::SubstrateWeight<Runtime>;
type VerificationPallet = pallet_verification::Pallet<Runtime>;

fn main() {
	let weights = RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal);
	let budget = normal.max_total.unwrap_or(weights.max_block);
	let per_extrinsic = normal.base_extrinsic;
	println!(
		"normal-class budget per block: {:.1} ms; base weight per extrinsic: {:.1} µs",
		budget.ref_time() as f64 / 1e9,
		per_extrinsic.ref_time() as f64 / 1e6
	);
	println!("{:<40} {:>12} {:>14}", "call", "weight (µs)", "per block");
	let calls: [(&str, Weight); 23] = [
		("modelRegistry.registerModel", Registry::register_model()),
		("modelRegistry.updateMetadata", Registry::update_metadata()),
		("modelRegistry.transferModel", Registry::transfer_model()),
		("modelRegistry.deprecateModel", Registry::deprecate_model()),
		("computeStaking.registerProvider", Staking::register_provider()),
		("computeStaking.updateProfile", Staking::update_profile()),
		("computeStaking.bondMore", Staking::bond_more()),
		("computeStaking.unbond", Staking::unbond()),
		("computeStaking.withdrawUnbonded", Staking::withdraw_unbonded()),
		("computeStaking.setParams", Staking::set_params()),
		("tasks.createTask", Tasks::create_task()),
		("tasks.cancelTask", Tasks::cancel_task()),
		("tasks.claimTask", Tasks::claim_task()),
		(
			"tasks.submitResult (with verification's hook)",
			Tasks::submit_result().saturating_add(VerificationPallet::result_submitted_weight()),
		),
		(
			"tasks.expireTask (with verification's hook)",
			Tasks::expire_task().saturating_add(VerificationPallet::verification_expired_weight()),
		),
		("tasks.setParams", Tasks::set_params()),
		("verification.commit", Verification::commit()),
		("verification.reveal", Verification::reveal()),
		("verification.postLeaves", Verification::post_leaves()),
		("verification.setParams", Verification::set_params()),
		("verification.bisect", Verification::bisect()),
		("verification.respond", Verification::respond()),
		("verification.concede", Verification::concede()),
	];
	for (name, weight) in calls {
		let total = weight.saturating_add(per_extrinsic);
		let fit = budget.ref_time() / total.ref_time().max(1);
		println!("{:<40} {:>12.1} {:>14}", name, total.ref_time() as f64 / 1e6, fit);
	}
	let phase_end = VerificationPallet::phase_end_weight();
	let most: u32 = <Runtime as pallet_verification::Config>::MaxAgendaPerBlock::get();
	let worst = Verification::on_initialize_empty()
		.saturating_add(phase_end.saturating_mul(u64::from(most)));
	println!(
		"verification on_initialize: {:.1} µs per phase end (decide + draw), {most} at most per \
		 block: {:.1} ms, {:.1}% of the block",
		phase_end.ref_time() as f64 / 1e6,
		worst.ref_time() as f64 / 1e9,
		100.0 * worst.ref_time() as f64 / weights.max_block.ref_time() as f64
	);

	// The longest dispute: a whole 1,023-step segment of the largest network, every committee
	// seat of every attempt filled, each attempt counted and the round decided again.
	let widest = cairn_primitives::Architecture::Mlp(cairn_primitives::Mlp {
		input: 1,
		hidden: cairn_primitives::BoundedVec::truncate_from(vec![
			1;
			cairn_primitives::model::MAX_HIDDEN_LAYERS
				as usize
		]),
		output: 1,
		activation: cairn_primitives::Activation::Relu,
	});
	let positions = cairn_primitives::task::step_trace_len(&widest).expect("trainable");
	let rounds = (cairn_primitives::task::MAX_CHECKPOINTS - 1).next_power_of_two().ilog2()
		+ positions.next_power_of_two().ilog2();
	let seats = u64::from(pallet_verification::MAX_ARBITERS)
		* u64::from(pallet_verification::MAX_RECHECK_ROUNDS);
	let with_base = |weight: Weight| weight.saturating_add(per_extrinsic);
	let moves = with_base(Verification::bisect())
		.saturating_add(with_base(Verification::respond()))
		.saturating_mul(u64::from(rounds));
	let committee = with_base(Verification::commit())
		.saturating_add(with_base(Verification::reveal()))
		.saturating_mul(seats)
		.saturating_add(
			phase_end.saturating_mul(3 * u64::from(pallet_verification::MAX_RECHECK_ROUNDS)),
		);
	let dispute = moves.saturating_add(committee);
	println!(
		"longest dispute: {rounds} bisection rounds ({positions}-position trace), {seats} committee \
		 seats: {:.1} ms in all, {:.1}% of one block",
		dispute.ref_time() as f64 / 1e9,
		100.0 * dispute.ref_time() as f64 / weights.max_block.ref_time() as f64
	);
}
