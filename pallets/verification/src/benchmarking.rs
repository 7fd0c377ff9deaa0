//! Benchmarks of verification (frame-benchmarking v2), each at its worst case: the largest task
//! (1,024 checkpoints, sixteen verifiers of 32 segments each), a full verifier pool, full checks.

use super::*;
use alloc::vec;
use cairn_primitives::verification::{forced_error, secret_commitment};
use cairn_primitives::{
	merkle::{checkpoint_proof, checkpoint_root},
	task::{MAX_CHECKPOINTS, MAX_SEGMENTS_PER_VERIFIER, MAX_VERIFIERS},
	Activation, Architecture, BoundedVec, DatasetRef, Mlp, ModelInit, Optimizer, ResultCommitment,
	TaskSpec, TrainingConfig, VerificationPolicy,
};
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

/// Leaves of the largest run.
fn leaves() -> Vec<Hash256> {
	(0..MAX_CHECKPOINTS).map(|i| blake2_256(&i.to_le_bytes())).collect()
}

fn final_weights() -> Hash256 {
	blake2_256(b"final weights")
}

fn spec() -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from([b'n'; 64].to_vec()),
		license: BoundedVec::truncate_from([b'l'; 64].to_vec()),
		model: ModelInit::Fresh {
			architecture: Architecture::Mlp(Mlp {
				input: 4,
				hidden: BoundedVec::truncate_from(vec![4]),
				output: 2,
				activation: Activation::Relu,
			}),
			init_seed: 1,
		},
		dataset: DatasetRef { hash: [1; 32], size: 1, uri: BoundedVec::new() },
		training: TrainingConfig {
			optimizer: Optimizer::sgd(0.1, 0.0),
			batch_size: 1,
			steps: 2 * (MAX_CHECKPOINTS - 1),
			data_order_seed: 0,
			checkpoint_interval: 2,
		},
		verification: VerificationPolicy {
			verifiers: MAX_VERIFIERS,
			segments_per_verifier: MAX_SEGMENTS_PER_VERIFIER,
		},
	}
}

/// A full pool of eligible verifiers, each with a secret.
fn fill_pool<T: Config>() {
	for i in 0..T::Providers::pool_capacity() {
		let verifier: T::AccountId = account("verifier", i, 0);
		T::Providers::make_eligible(&verifier, Role::Verifier);
		let commitment = secret_commitment(&secret(&verifier));
		Secrets::<T>::insert(&verifier, VerifierSecret { commitment, revealed_at: None });
	}
}

/// A verifier's forced-error secret.
fn secret<AccountId: Encode>(verifier: &AccountId) -> Hash256 {
	blake2_256(&(b"secret", verifier).encode())
}

/// The largest task, submitted: its verification waits for the draw.
fn submitted<T: Config>() -> TaskId {
	let submitter: T::AccountId = account("submitter", 0, 0);
	let solver: T::AccountId = account("solver", 0, 0);
	let reward: BalanceOf<T> = 1_000_000_000_000_000u128.saturated_into();
	T::Currency::set_balance(&submitter, reward.saturating_mul(10u32.into()));
	T::Providers::make_eligible(&solver, Role::Solver);
	T::Currency::set_balance(&solver, reward.saturating_mul(10u32.into()));
	let commitment = ResultCommitment {
		final_weights_hash: final_weights(),
		checkpoint_root: checkpoint_root(&leaves()),
		checkpoint_count: MAX_CHECKPOINTS,
		artifacts_uri: BoundedVec::truncate_from([b'u'; 256].to_vec()),
	};
	T::Tasks::benchmark_submitted(submitter, solver, spec(), reward, commitment)
		.expect("a valid task")
}

/// Runs the pending phase end of `task_id`.
fn end_phase<T: Config>(task_id: TaskId) {
	let end = Verifications::<T>::get(task_id).expect("verifying").phase.ends_at();
	frame_system::Pallet::<T>::set_block_number(end);
	Pallet::<T>::on_due(task_id, end);
}

/// The largest task with its sixteen verifiers drawn.
fn drawn<T: Config>() -> TaskId {
	fill_pool::<T>();
	let task_id = submitted::<T>();
	end_phase::<T>(task_id);
	assert!(matches!(
		Verifications::<T>::get(task_id).expect("verifying").phase,
		Phase::Commit { .. }
	));
	task_id
}

/// What an honest verifier reveals for its targets: the solver's value, with proofs.
fn findings(targets: &[u32]) -> Vec<Finding> {
	let leaves = leaves();
	targets
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
			None => Finding { computed: Computed::Hash(final_weights()), leaf: None },
		})
		.collect()
}

fn salt() -> Hash256 {
	[7; 32]
}

fn checks<T: Config>(task_id: TaskId) -> Vec<(T::AccountId, Vec<u32>)> {
	Verifications::<T>::get(task_id)
		.expect("verifying")
		.checks
		.iter()
		.map(|check| (check.verifier.clone(), check.targets.to_vec()))
		.collect()
}

fn commit_all<T: Config>(task_id: TaskId, except_last: bool) {
	let all = checks::<T>(task_id);
	let count = if except_last { all.len() - 1 } else { all.len() };
	for (verifier, targets) in all.into_iter().take(count) {
		let computed: Vec<Computed> =
			findings(&targets).into_iter().map(|finding| finding.computed).collect();
		let hash = reveal_commitment(task_id, 0, &verifier.encode(), &computed, &salt());
		Pallet::<T>::do_commit(verifier, task_id, hash).expect("assigned");
	}
}

/// Fills the agenda of every block in reach of `from` but the last: scheduling searches longest.
fn crowd_agenda<T: Config>(from: BlockNumberFor<T>) {
	let mut block = from;
	for _ in 1..AGENDA_SEARCH {
		let full = (0..T::MaxAgendaPerBlock::get()).map(|i| u64::MAX - u64::from(i)).collect();
		Agenda::<T>::insert(block, BoundedVec::truncate_from(full));
		block = block.saturating_add(1u32.into());
	}
}

/// The largest task with a dispute over segment 0 at `stage`, the defender's `midpoint` posted
/// or not, its deadline at block 1,000; the first verifier challenges.
fn disputed<T: Config>(stage: DisputeStage, midpoint: Option<Hash256>) -> TaskId {
	let task_id = drawn::<T>();
	let challenger = checks::<T>(task_id)[0].0.clone();
	let until: BlockNumberFor<T> = 1_000u32.into();
	Agenda::<T>::mutate(until, |due| due.try_push(task_id)).expect("room on the agenda");
	Verifications::<T>::mutate(task_id, |verification| {
		let verification = verification.as_mut().expect("verifying");
		verification.disputes = 1;
		verification.dispute = Some(Dispute {
			target: 1,
			subject: DisputeSubject::Leaf,
			defender: verification.solver.clone(),
			challenger,
			check: 0,
			stage,
			midpoint,
			rounds: 0,
			attempts: 1,
			arbiters: BoundedVec::new(),
			deadline: until,
			challenged_at: Zero::zero(),
			pinpointed_at: Zero::zero(),
		});
		verification.phase = Phase::Dispute { until };
	});
	task_id
}

/// The largest task with every finding revealed and its challenge window open: the verifier
/// with the most targets and its last witnessed target.
fn watched<T: Config>() -> (TaskId, T::AccountId, u32) {
	let mut params = Params::<T>::get();
	params.challenge_window = 10u32.into();
	Params::<T>::put(params);
	let task_id = drawn::<T>();
	commit_all::<T>(task_id, false);
	let mut all = checks::<T>(task_id);
	for (verifier, targets) in &all {
		let findings = BoundedVec::truncate_from(findings(targets));
		Pallet::<T>::do_reveal(verifier.clone(), task_id, findings, salt()).expect("committed");
	}
	end_phase::<T>(task_id);
	assert!(matches!(
		Verifications::<T>::get(task_id).expect("verifying").phase,
		Phase::Challenge { .. }
	));
	all.sort_by_key(|(_, targets)| targets.len());
	let (verifier, targets) = all.pop().expect("drawn");
	let target = *targets
		.iter()
		.rev()
		.find(|t| **t > 0 && **t < MAX_CHECKPOINTS)
		.expect("a segment");
	(task_id, verifier, target)
}

/// Fills the agenda in reach of a move made now.
fn crowd_move_agenda<T: Config>() {
	let window = Params::<T>::get().move_window;
	crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(window));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn commit() {
		let task_id = drawn::<T>();
		commit_all::<T>(task_id, true);
		let (verifier, targets) = checks::<T>(task_id).pop().expect("drawn");
		let computed: Vec<Computed> =
			findings(&targets).into_iter().map(|finding| finding.computed).collect();
		let hash = reveal_commitment(task_id, 0, &verifier.encode(), &computed, &salt());
		let window = Params::<T>::get().reveal_window;
		crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(window));

		// The last commitment opens the reveal phase.
		#[extrinsic_call]
		_(RawOrigin::Signed(verifier), task_id, hash);

		assert!(matches!(
			Verifications::<T>::get(task_id).expect("verifying").phase,
			Phase::Reveal { .. }
		));
	}

	#[benchmark]
	fn reveal() {
		let task_id = drawn::<T>();
		commit_all::<T>(task_id, false);
		// The verifier with the most targets reveals last, proving every leaf.
		let mut all = checks::<T>(task_id);
		all.sort_by_key(|(_, targets)| targets.len());
		let (verifier, targets) = all.pop().expect("drawn");
		for (other, other_targets) in all {
			let findings = BoundedVec::truncate_from(findings(&other_targets));
			Pallet::<T>::do_reveal(other, task_id, findings, salt()).expect("committed");
		}
		Verifications::<T>::mutate(task_id, |verification| {
			for target in verification.as_mut().expect("verifying").targets.iter_mut() {
				if target.index < MAX_CHECKPOINTS {
					target.committed = None;
				}
			}
		});
		let findings = BoundedVec::truncate_from(findings(&targets));
		crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(verifier), task_id, findings, salt());

		assert!(matches!(
			Verifications::<T>::get(task_id).expect("verifying").phase,
			Phase::Decide { .. }
		));
	}

	#[benchmark]
	fn post_leaves() {
		let task_id = drawn::<T>();
		let solver = Verifications::<T>::get(task_id).expect("verifying").solver;
		let (_, targets) =
			checks::<T>(task_id).into_iter().max_by_key(|(_, t)| t.len()).expect("drawn");
		let challenged: Vec<u32> =
			targets.iter().copied().filter(|target| *target < MAX_CHECKPOINTS).collect();
		Verifications::<T>::mutate(task_id, |verification| {
			let verification = verification.as_mut().expect("verifying");
			for target in verification.targets.iter_mut() {
				target.challenged = challenged.contains(&target.index);
			}
			verification.phase = Phase::Availability { until: 1_000u32.into() };
		});
		let leaves = leaves();
		let posted = challenged
			.iter()
			.map(|&index| {
				let proof = checkpoint_proof(&leaves, index).expect("a checkpoint");
				(index, proof.leaf, BoundedVec::truncate_from(proof.siblings))
			})
			.collect::<Vec<_>>();
		crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(solver), task_id, BoundedVec::truncate_from(posted));

		assert!(matches!(
			Verifications::<T>::get(task_id).expect("verifying").phase,
			Phase::Decide { .. }
		));
	}

	#[benchmark]
	fn set_params() {
		let params = Params::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Root, params);

		assert_eq!(Params::<T>::get(), params);
	}

	#[benchmark]
	fn on_initialize_empty() {
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
	}

	/// The draw of sixteen verifiers from a full pool, with 32 segments each.
	#[benchmark]
	fn draw() {
		fill_pool::<T>();
		let task_id = submitted::<T>();
		let end = Verifications::<T>::get(task_id).expect("verifying").phase.ends_at();
		frame_system::Pallet::<T>::set_block_number(end);
		let window = Params::<T>::get().commit_window;
		crowd_agenda::<T>(end.saturating_add(window));

		#[block]
		{
			Pallet::<T>::on_due(task_id, end);
		}

		assert_eq!(checks::<T>(task_id).len(), MAX_VERIFIERS as usize);
	}

	/// Deciding a round in which every verifier agreed, with the checks of every recheck round
	/// a task can have: the task is accepted and every one of the most checks is paid.
	#[benchmark]
	fn decide() {
		let task_id = drawn::<T>();
		commit_all::<T>(task_id, false);
		let round0 = checks::<T>(task_id);
		for (verifier, targets) in &round0 {
			let findings = BoundedVec::truncate_from(findings(targets));
			Pallet::<T>::do_reveal(verifier.clone(), task_id, findings, salt()).expect("committed");
		}
		Verifications::<T>::mutate(task_id, |verification| {
			let verification = verification.as_mut().expect("verifying");
			let targets = verification.checks[0].targets.clone();
			let verdicts = Some(BoundedVec::truncate_from(vec![Verdict::Agree; targets.len()]));
			for i in round0.len() as u32..MAX_CHECKS {
				let check = Check {
					verifier: account("rechecker", i, 0),
					round: 1,
					targets: targets.clone(),
					commitment: Some([0; 32]),
					verdicts: verdicts.clone(),
					witnesses: BoundedVec::new(),
					secret: None,
					defeated: false,
					caught_by: None,
				};
				verification.checks.try_push(check).expect("within MAX_CHECKS");
			}
			// Watched already: the round is decided.
			verification.watched_round = Some(0);
		});
		let end = Verifications::<T>::get(task_id).expect("verifying").phase.ends_at();
		frame_system::Pallet::<T>::set_block_number(end);

		#[block]
		{
			Pallet::<T>::on_due(task_id, end);
		}

		assert!(!Verifications::<T>::contains_key(task_id));
	}

	#[benchmark]
	fn bisect() {
		let stage =
			DisputeStage::Steps { lo: 0, hi: MAX_CHECKPOINTS, lo_hash: None, hi_hash: [1; 32] };
		let task_id = disputed::<T>(stage, None);
		let solver = Verifications::<T>::get(task_id).expect("verifying").solver;
		crowd_move_agenda::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(solver), task_id, 0, [2; 32]);

		let dispute = Verifications::<T>::get(task_id).and_then(|v| v.dispute).expect("disputed");
		assert_eq!(dispute.midpoint, Some([2; 32]));
	}

	/// The answer that narrows two adjacent steps to the trace of one.
	#[benchmark]
	fn respond() {
		let stage = DisputeStage::Steps { lo: 0, hi: 2, lo_hash: None, hi_hash: [1; 32] };
		let task_id = disputed::<T>(stage, Some([2; 32]));
		let challenger = checks::<T>(task_id)[0].0.clone();
		crowd_move_agenda::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(challenger), task_id, 0, true);

		let dispute = Verifications::<T>::get(task_id).and_then(|v| v.dispute).expect("disputed");
		assert!(matches!(dispute.stage, DisputeStage::Operations { step: 1, .. }));
	}

	#[benchmark]
	fn concede() {
		let stage = DisputeStage::Steps { lo: 0, hi: 2, lo_hash: None, hi_hash: [1; 32] };
		let task_id = disputed::<T>(stage, None);
		let solver = Verifications::<T>::get(task_id).expect("verifying").solver;
		crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(solver), task_id);

		let verification = Verifications::<T>::get(task_id).expect("verifying");
		assert!(verification.dispute.is_none());
		assert!(matches!(verification.phase, Phase::Decide { .. }));
	}

	/// Counting a full committee that sides with the defender: every arbiter is paid from the
	/// challenger's bond.
	#[benchmark]
	fn arbitrate() {
		let claimed = [3; 32];
		let point = ArbitrationPoint::Trace { step: 0, input: None, position: 1, claimed };
		let stage = DisputeStage::Arbitration { point, phase: ArbitrationPhase::Reveal };
		let task_id = disputed::<T>(stage, None);
		let mut params = Params::<T>::get();
		params.arbiter_fee = T::Currency::minimum_balance();
		Params::<T>::put(params);
		let seated: Vec<T::AccountId> =
			checks::<T>(task_id).into_iter().map(|(who, _)| who).collect();
		let fresh: Vec<T::AccountId> = (0..T::Providers::pool_capacity())
			.map(|i| account("verifier", i, 0))
			.filter(|who| !seated.contains(who))
			.take(usize::from(MAX_ARBITERS))
			.collect();
		Verifications::<T>::mutate(task_id, |verification| {
			let dispute = verification.as_mut().and_then(|v| v.dispute.as_mut()).expect("disputed");
			for account in fresh {
				T::Providers::task_opened(&account, Role::Verifier).expect("eligible");
				let arbiter = Arbiter {
					account,
					commitment: Some([0; 32]),
					computed: Some(Computed::Hash(claimed)),
				};
				dispute.arbiters.try_push(arbiter).expect("within MAX_ARBITERS");
			}
		});
		let end = Verifications::<T>::get(task_id).expect("verifying").phase.ends_at();
		frame_system::Pallet::<T>::set_block_number(end);
		crowd_agenda::<T>(end.saturating_add(1u32.into()));

		#[block]
		{
			Pallet::<T>::on_due(task_id, end);
		}

		let verification = Verifications::<T>::get(task_id).expect("verifying");
		assert!(verification.dispute.is_none() && verification.checks[0].defeated);
	}

	#[benchmark]
	fn result_submitted() {
		let task_id = TaskId::MAX;
		let solver: T::AccountId = account("solver", 0, 0);
		T::Providers::make_eligible(&solver, Role::Solver);
		let submitter: T::AccountId = account("submitter", 0, 0);
		let delay = Params::<T>::get().draw_delay;
		crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(delay));

		#[block]
		{
			<Pallet<T> as ResultVerifier<T::AccountId>>::result_submitted(
				task_id, &submitter, &solver,
			)
			.expect("scheduled");
		}

		assert!(Verifications::<T>::contains_key(task_id));
	}

	#[benchmark]
	fn verification_expired() {
		let task_id = drawn::<T>();

		#[block]
		{
			<Pallet<T> as ResultVerifier<T::AccountId>>::verification_expired(task_id);
		}

		assert!(!Verifications::<T>::contains_key(task_id));
	}

	/// Replacing a revealed secret.
	#[benchmark]
	fn commit_secret() {
		fill_pool::<T>();
		let verifier: T::AccountId = account("verifier", 0, 0);
		Secrets::<T>::mutate(&verifier, |secret| {
			if let Some(secret) = secret {
				secret.revealed_at = Some(Zero::zero());
			}
		});

		#[extrinsic_call]
		_(RawOrigin::Signed(verifier.clone()), [9; 32]);

		assert_eq!(Secrets::<T>::get(&verifier).map(|secret| secret.commitment), Some([9; 32]));
	}

	/// The last challenge a verification holds, checked against every other one.
	#[benchmark]
	fn challenge() {
		let (task_id, verifier, target) = watched::<T>();
		let check = checks::<T>(task_id).iter().position(|(who, _)| *who == verifier);
		let check = check.expect("a check") as u32;
		Verifications::<T>::mutate(task_id, |verification| {
			let verification = verification.as_mut().expect("verifying");
			for i in 1..MAX_CHALLENGES {
				let whistleblower = account("whistleblower", i, 0);
				let subject = DisputeSubject::Witness;
				let pending =
					Challenge { whistleblower, check, target, subject, posted_at: Zero::zero() };
				verification.challenges.try_push(pending).expect("room");
			}
		});
		let whistleblower: T::AccountId = account("whistleblower", 0, 0);
		T::Providers::make_eligible(&whistleblower, Role::Whistleblower);

		#[extrinsic_call]
		_(RawOrigin::Signed(whistleblower), task_id, verifier, target, DisputeSubject::Witness);

		let verification = Verifications::<T>::get(task_id).expect("verifying");
		assert_eq!(verification.challenges.len() as u32, MAX_CHALLENGES);
	}

	/// A forced error caught by as many whistleblowers as a verification holds: each is paid
	/// its share of the jackpot.
	#[benchmark]
	fn reveal_secret() {
		let (task_id, verifier, _) = watched::<T>();
		let verification = Verifications::<T>::get(task_id).expect("verifying");
		let check = verification
			.checks
			.iter()
			.position(|check| check.verifier == verifier)
			.expect("a check");
		let witnesses = &verification.checks[check].witnesses;
		let position =
			forced_error(&secret(&verifier), task_id, 0, u32::MAX, witnesses.len() as u32);
		let target = witnesses[position.expect("forced") as usize].0;
		let whistleblowers: Vec<T::AccountId> =
			(0..=MAX_CHALLENGES).map(|i| account("whistleblower", i, 0)).collect();
		for whistleblower in &whistleblowers {
			T::Providers::make_eligible(whistleblower, Role::Whistleblower);
			T::Providers::task_opened(whistleblower, Role::Whistleblower).expect("bonded");
		}
		let pot = Pallet::<T>::pot();
		T::Currency::set_balance(&pot, 1_000_000_000_000_000_000u128.saturated_into());
		let mut params = Params::<T>::get();
		params.jackpot = Perbill::from_percent(50);
		Params::<T>::put(params);
		let until: BlockNumberFor<T> = 1_000u32.into();
		Agenda::<T>::mutate(until, |due| due.try_push(task_id)).expect("room on the agenda");
		Verifications::<T>::mutate(task_id, |verification| {
			let verification = verification.as_mut().expect("verifying");
			verification.forced_error_rate = Perbill::one();
			for whistleblower in &whistleblowers[1..] {
				let pending = Challenge {
					whistleblower: whistleblower.clone(),
					check: check as u32,
					target,
					subject: DisputeSubject::Witness,
					posted_at: Zero::zero(),
				};
				verification.challenges.try_push(pending).expect("room");
			}
			verification.disputes = 1;
			verification.dispute = Some(Dispute {
				target,
				subject: DisputeSubject::Witness,
				defender: verifier.clone(),
				challenger: whistleblowers[0].clone(),
				check: check as u32,
				stage: DisputeStage::Steps { lo: 0, hi: 1, lo_hash: None, hi_hash: [1; 32] },
				midpoint: None,
				rounds: 0,
				attempts: 0,
				arbiters: BoundedVec::new(),
				deadline: until,
				challenged_at: Zero::zero(),
				pinpointed_at: Zero::zero(),
			});
			verification.phase = Phase::Dispute { until };
		});
		crowd_agenda::<T>(frame_system::Pallet::<T>::block_number().saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(verifier.clone()), task_id, secret(&verifier));

		let verification = Verifications::<T>::get(task_id).expect("verifying");
		assert!(verification.dispute.is_none() && verification.challenges.is_empty());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
