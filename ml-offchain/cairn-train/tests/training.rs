//! Determinism, replay, commitments and learning on the real digits.

mod common;

use cairn_primitives::{
	merkle::{checkpoint_proof, checkpoint_root, verify_checkpoint},
	Backend, Optimizer,
};
use cairn_train::{evaluate, replay_segment, train, Checkpoint, Job, TrainError, Trainer};
use common::{checkpoint_hashes, digits, spec};

#[test]
fn training_the_same_spec_twice_gives_identical_checkpoints() {
	let (data, reference) = digits();
	let spec = spec(&reference, &[32], Optimizer::adam(1e-3), 32, 20, 5);
	let first = checkpoint_hashes(&spec, &data);
	assert_eq!(first.len() as u32, spec.training.checkpoint_count());
	assert_eq!(first, checkpoint_hashes(&spec, &data));
	let mut other_seed = spec.clone();
	other_seed.training.data_order_seed += 1;
	let other = checkpoint_hashes(&other_seed, &data);
	assert_eq!(other[0], first[0], "the data order does not touch the initial model");
	assert_ne!(other[1], first[1]);
}

/// Trains, then checks what a verifier checks: every segment replays to the next leaf, and every
/// leaf proves against the committed root.
fn replay_and_prove(spec: &cairn_primitives::TaskSpec) {
	let (data, _) = digits();
	let mut checkpoints: Vec<Checkpoint> = Vec::new();
	let last = train(spec, &data, None, |c| {
		checkpoints.push(c.clone());
		Ok::<_, TrainError>(())
	})
	.unwrap();
	assert_eq!(checkpoints.len() as u32, spec.training.checkpoint_count());
	assert_eq!(checkpoints.last(), Some(&last));
	for (i, pair) in checkpoints.windows(2).enumerate() {
		// As a verifier would: from bytes fetched over the network.
		let start = Checkpoint::from_bytes(pair[0].bytes().to_vec()).unwrap();
		assert_eq!(start.step(), i as u32 * spec.training.checkpoint_interval);
		assert_eq!(
			replay_segment(spec, &data, &start).unwrap().hash(),
			pair[1].hash(),
			"segment {i}"
		);
	}
	let leaves: Vec<_> = checkpoints.iter().map(Checkpoint::hash).collect();
	let root = checkpoint_root(&leaves);
	for index in 0..leaves.len() as u32 {
		let proof = checkpoint_proof(&leaves, index).unwrap();
		assert_eq!(proof.leaf, leaves[index as usize]);
		assert!(verify_checkpoint(&root, &proof));
	}
	// Resuming mid-run continues the same run.
	let resumed = train(spec, &data, Some(&checkpoints[1]), |_| Ok::<_, TrainError>(())).unwrap();
	assert_eq!(resumed.hash(), last.hash());
}

#[test]
fn adam_segments_replay_and_leaves_prove() {
	let (_, reference) = digits();
	replay_and_prove(&spec(&reference, &[32, 16], Optimizer::adam(1e-3), 32, 24, 6));
}

#[test]
fn sgd_with_and_without_momentum_replay() {
	let (_, reference) = digits();
	replay_and_prove(&spec(&reference, &[32], Optimizer::sgd(0.05, 0.9), 16, 12, 4));
	replay_and_prove(&spec(&reference, &[32], Optimizer::sgd(0.05, 0.0), 16, 12, 4));
}

#[test]
fn a_single_step_replays_from_any_state() {
	// What a dispute's arbitration re-executes: one step from an agreed state.
	let (data, reference) = digits();
	let spec = spec(&reference, &[32], Optimizer::adam(1e-3), 32, 10, 5);
	let mut trainer = Trainer::new(&spec, &data).unwrap();
	for _ in 0..3 {
		trainer.step().unwrap();
	}
	let before = trainer.checkpoint().unwrap();
	trainer.step().unwrap();
	let after = trainer.checkpoint().unwrap();
	let mut replay = Trainer::resume(&spec, &data, &before).unwrap();
	assert_eq!(replay.current_step(), 3);
	replay.step().unwrap();
	assert_eq!(replay.checkpoint().unwrap(), after);
}

#[test]
fn the_digits_model_learns() {
	let (data, reference) = digits();
	let spec = spec(&reference, &[64], Optimizer::adam(3e-3), 64, 300, 100);
	let last = train(&spec, &data, None, |_| Ok::<_, TrainError>(())).unwrap();
	let accuracy = evaluate(&spec, &data, &last).unwrap();
	assert_eq!(accuracy.total, 299);
	println!("held-out accuracy after {} steps: {accuracy:?}", spec.training.steps);
	assert!(accuracy.fraction() > 0.8, "held-out accuracy {accuracy:?}");
	let untrained = Trainer::new(&spec, &data).unwrap().evaluate().unwrap();
	assert!(untrained.fraction() < 0.5, "untrained accuracy {untrained:?}");
	// The held-out loss is per sample: about ln 10 untrained, far less trained.
	assert!((untrained.loss - 10f64.ln()).abs() < 0.5, "untrained loss {untrained:?}");
	assert!(accuracy.loss < untrained.loss / 3.0, "loss {untrained:?} -> {accuracy:?}");
}

#[test]
fn the_initial_checkpoint_is_pinned() {
	// Step 0 uses only integer arithmetic and correctly rounded IEEE operations, so its hash is
	// the same on every machine; a change here is a change of the checkpoint format or of the
	// initialisation, which every party must make together.
	let (data, reference) = digits();
	let spec = spec(&reference, &[32], Optimizer::adam(1e-3), 32, 10, 5);
	let first = Trainer::new(&spec, &data).unwrap().checkpoint().unwrap();
	assert_eq!(
		hex::encode(first.hash()),
		"c392f1c0e93341eb57e6e6fd3b8b24db61fe1ff51bef256c1aa6898ab9c0977a"
	);
	// Header 30 (with Adam's two scalars); 12 tensors (parameters, m, v): names 56 + 88 + 88,
	// 4 fixed bytes each, dimensions 6 * 8 + 6 * 4, and 3 * 2,410 values of 4 bytes.
	assert_eq!(first.bytes().len(), 30 + 232 + 48 + 72 + 3 * 2410 * 4);
}

#[test]
fn checkpoints_of_another_task_or_dataset_are_refused() {
	let (data, reference) = digits();
	let adam_spec = spec(&reference, &[32], Optimizer::adam(1e-3), 32, 10, 5);
	let adam_start = Trainer::new(&adam_spec, &data).unwrap().checkpoint().unwrap();
	let sgd_spec = spec(&reference, &[32], Optimizer::sgd(0.1, 0.0), 32, 10, 5);
	assert!(matches!(Trainer::resume(&sgd_spec, &data, &adam_start), Err(TrainError::Mismatch(_))));
	let wider = spec(&reference, &[48], Optimizer::adam(1e-3), 32, 10, 5);
	assert!(matches!(Trainer::resume(&wider, &data, &adam_start), Err(TrainError::Mismatch(_))));

	let last = train(&adam_spec, &data, None, |_| Ok::<_, TrainError>(())).unwrap();
	assert!(matches!(
		replay_segment(&adam_spec, &data, &last),
		Err(TrainError::NotASegmentStart { .. })
	));

	let mut other_data = adam_spec.clone();
	other_data.dataset.hash = [9; 32];
	assert!(matches!(Trainer::new(&other_data, &data), Err(TrainError::WrongDataset(_))));

	let mut garbage = adam_start.bytes().to_vec();
	garbage.truncate(100);
	assert!(Checkpoint::from_bytes(garbage).is_err());
}

#[test]
fn weights_exclude_optimizer_state_and_step() {
	let (data, reference) = digits();
	let adam_spec = spec(&reference, &[32], Optimizer::adam(1e-3), 32, 10, 5);
	let sgd_spec = spec(&reference, &[32], Optimizer::sgd(0.1, 0.9), 32, 10, 5);
	let adam_start = Trainer::new(&adam_spec, &data).unwrap().checkpoint().unwrap();
	let sgd_start = Trainer::new(&sgd_spec, &data).unwrap().checkpoint().unwrap();
	assert_ne!(adam_start.hash(), sgd_start.hash());
	assert_eq!(adam_start.weights().unwrap(), sgd_start.weights().unwrap());
}

#[test]
fn a_dataset_that_is_not_the_named_one_is_a_clear_error() {
	let (_, mut reference) = digits();
	reference.hash[0] ^= 1;
	let error = cairn_train::Dataset::from_bytes(cairn_train::dataset::digits::BYTES, &reference)
		.unwrap_err();
	assert!(error.to_string().starts_with("dataset hash mismatch: expected "), "{error}");
}

#[test]
fn moving_to_the_cpu_backend_keeps_the_state_and_missing_backends_are_errors() {
	let (data, reference) = digits();
	let spec = spec(&reference, &[32], Optimizer::adam(1e-3), 32, 10, 5);
	let mut trainer = Trainer::new(&spec, &data).unwrap();
	trainer.step().unwrap();
	let before = trainer.checkpoint().unwrap();
	let moved = trainer.with_backend(Backend::FlexCpu).unwrap();
	assert_eq!(moved.checkpoint().unwrap(), before);
	if !cfg!(feature = "cuda") {
		assert!(matches!(
			moved.with_backend(Backend::Cuda),
			Err(TrainError::BackendNotBuilt(Backend::Cuda))
		));
	}
}

#[test]
fn every_checkpoint_has_the_length_the_job_announces() {
	let (data, reference) = digits();
	for optimizer in [Optimizer::sgd(0.05, 0.0), Optimizer::sgd(0.05, 0.9), Optimizer::adam(1e-3)] {
		let spec = spec(&reference, &[32, 16], optimizer, 32, 10, 5);
		let announced = Job::from(&spec).checkpoint_len().expect("an MLP");
		let mut lengths = Vec::new();
		train(&spec, &data, None, |c| {
			lengths.push(c.bytes().len());
			Ok::<_, TrainError>(())
		})
		.unwrap();
		assert_eq!(lengths, vec![announced; 3], "{optimizer:?}");
	}
}
