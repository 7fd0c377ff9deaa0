//! Benchmarks of the task market (frame-benchmarking v2), each at its worst case.

use super::*;
use alloc::vec;
use cairn_primitives::{
	model::MAX_HIDDEN_LAYERS,
	task::{MAX_LABEL_LEN, MAX_URI_LEN},
	Activation, BoundedVec, DatasetRef, Mlp, Optimizer, TrainingConfig, VerificationPolicy,
};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Inspect;
use frame_system::RawOrigin;

fn bytes<const N: u32>() -> BoundedVec<u8, cairn_primitives::ConstU32<N>> {
	BoundedVec::truncate_from(vec![b'x'; N as usize])
}

fn widest_mlp() -> Architecture {
	Architecture::Mlp(Mlp {
		input: 64,
		hidden: BoundedVec::truncate_from(vec![16; MAX_HIDDEN_LAYERS as usize]),
		output: 10,
		activation: Activation::Relu,
	})
}

/// The largest spec a call carries, continuing a registered model (one more read).
fn spec<T: Config>(owner: &T::AccountId) -> TaskSpec {
	let model = NewModel {
		weights_hash: [9; 32],
		name: b"base".to_vec(),
		architecture: widest_mlp(),
		parent: None,
		dataset: None,
		metadata_uri: vec![],
		license: vec![],
	};
	let base = T::Models::register_trained(owner.clone(), model, 0).expect("funded owner");
	TaskSpec {
		name: bytes::<MAX_LABEL_LEN>(),
		license: bytes::<MAX_LABEL_LEN>(),
		model: ModelInit::FromRegistry { model: base },
		dataset: DatasetRef { hash: [1; 32], size: 1 << 20, uri: bytes::<MAX_URI_LEN>() },
		training: TrainingConfig {
			optimizer: Optimizer::Adam {
				learning_rate_bits: 0x3a83_126f,
				beta1_bits: 0x3f66_6666,
				beta2_bits: 0x3f7f_be77,
				epsilon_bits: 0x3283_4a0e,
			},
			batch_size: 32,
			steps: 100,
			data_order_seed: 1,
			checkpoint_interval: 10,
		},
		verification: VerificationPolicy { verifiers: 3, segments_per_verifier: 2 },
	}
}

fn reward<T: Config>() -> BalanceOf<T> {
	let params = Params::<T>::get();
	params
		.min_reward
		.max(T::Currency::minimum_balance())
		.saturating_add(params.price_per_gigaflop.saturating_mul(1_000u32.into()))
}

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let params = Params::<T>::get();
	let amount = reward::<T>()
		.saturating_add(params.task_deposit)
		.saturating_mul(100u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

fn created<T: Config>() -> (T::AccountId, TaskId) {
	let submitter = funded::<T>("submitter");
	let spec = spec::<T>(&submitter);
	let task = Pallet::<T>::do_create(submitter.clone(), spec, reward::<T>()).expect("funded");
	(submitter, task)
}

fn claimed<T: Config>() -> (T::AccountId, T::AccountId, TaskId) {
	let (submitter, task) = created::<T>();
	let solver = funded::<T>("solver");
	T::Providers::make_eligible(&solver, Role::Solver);
	Pallet::<T>::do_claim(solver.clone(), task).expect("eligible");
	(submitter, solver, task)
}

fn commitment<T: Config>(task: TaskId) -> ResultCommitment {
	let count = Tasks::<T>::get(task).expect("exists").spec.training.checkpoint_count();
	ResultCommitment {
		final_weights_hash: [2; 32],
		checkpoint_root: [3; 32],
		checkpoint_count: count,
		artifacts_uri: bytes::<MAX_URI_LEN>(),
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_task() {
		let submitter = funded::<T>("submitter");
		let spec = spec::<T>(&submitter);
		let reward = reward::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(submitter), spec, reward);

		assert_eq!(NextTaskId::<T>::get(), 1);
	}

	#[benchmark]
	fn cancel_task() {
		let (submitter, task) = created::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(submitter), task);

		assert!(!Tasks::<T>::contains_key(task));
	}

	#[benchmark]
	fn claim_task() {
		let (_, task) = created::<T>();
		let solver = funded::<T>("solver");
		T::Providers::make_eligible(&solver, Role::Solver);

		#[extrinsic_call]
		_(RawOrigin::Signed(solver), task);

		assert!(matches!(
			Tasks::<T>::get(task).expect("exists").status,
			TaskStatus::Claimed { .. }
		));
	}

	#[benchmark]
	fn submit_result() {
		let (_, solver, task) = claimed::<T>();
		let commitment = commitment::<T>(task);

		#[extrinsic_call]
		_(RawOrigin::Signed(solver), task, commitment);

		assert!(matches!(
			Tasks::<T>::get(task).expect("exists").status,
			TaskStatus::Submitted { .. }
		));
	}

	#[benchmark]
	fn expire_task() {
		// The heaviest of the three expiries: a late solver on a task out of reopenings is
		// slashed to the submitter, then the task is refunded and removed.
		Params::<T>::mutate(|params| params.max_reopens = 0);
		let (_, _, task) = claimed::<T>();
		let deadline = match Tasks::<T>::get(task).expect("exists").status {
			TaskStatus::Claimed { deadline, .. } => deadline,
			_ => unreachable!("claimed above"),
		};
		frame_system::Pallet::<T>::set_block_number(deadline.saturating_add(1u32.into()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task);

		assert!(!Tasks::<T>::contains_key(task));
	}

	#[benchmark]
	fn set_params() {
		let params = Params::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Root, params);

		assert_eq!(Params::<T>::get(), params);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
