//! Continuing a registered model: a `FromRegistry` task starts from its parent's weights (not from
//! a seed), with fresh optimizer state, and is as replayable as a fresh one.

mod common;

use std::collections::HashMap;

use cairn_primitives::{Architecture, ModelInit, Optimizer, TaskSpec};
use cairn_train::{
	evaluate, replay_segment, state_at_step, step_trace, Job, Parent, TrainError, Trainer, Weights,
	WeightsError,
};
use common::{checkpoints, digits, spec};

/// A fresh run's spec and its final weights, and the spec of a task continuing them.
fn parent_and_child() -> (TaskSpec, Weights, TaskSpec) {
	let (data, dataset) = digits();
	let fresh = spec(&dataset, &[32], Optimizer::sgd(0.05, 0.0), 32, 20, 5);
	let last = checkpoints(&fresh, &data).pop().unwrap();
	let weights = Weights::from_canonical(&last.weights().unwrap()).unwrap();
	let mut child = spec(&dataset, &[32], Optimizer::sgd(0.05, 0.5), 32, 20, 5);
	child.model = ModelInit::FromRegistry { model: 7 };
	child.training.data_order_seed = 11;
	(fresh, weights, child)
}

fn architecture(spec: &TaskSpec) -> Architecture {
	let ModelInit::Fresh { architecture, .. } = &spec.model else { unreachable!("a fresh spec") };
	architecture.clone()
}

#[test]
fn a_continued_run_starts_from_the_parent_and_replays() {
	let (data, _) = digits();
	let (fresh, weights, child) = parent_and_child();
	// The parent arrives as a safetensors file: same weights, same hash.
	let file = weights.to_safetensors(HashMap::new()).unwrap();
	let parent = Parent::new(&architecture(&fresh), Weights::from_bytes(&file).unwrap()).unwrap();
	let job = Job::continuing(&child, &parent);
	assert_eq!(job.architecture(), Some(&architecture(&fresh)));
	assert_eq!(job.trace_len(), cairn_primitives::task::step_trace_len(&architecture(&fresh)));
	assert_eq!(Job::from(&child).trace_len(), None, "not without its parent");

	let mut run = Vec::new();
	cairn_train::train(job, &data, None, |c| {
		run.push(c.clone());
		Ok::<_, TrainError>(())
	})
	.unwrap();
	assert_eq!(run.len(), 5);
	assert_eq!(run[0].step(), 0);
	assert_eq!(run[0].weights().unwrap(), weights.canonical(), "step 0 holds the parent's weights");
	assert_ne!(run[1].weights().unwrap(), weights.canonical());

	// Replayable: segments, any step, the trace, evaluation.
	assert_eq!(replay_segment(job, &data, &run[2]).unwrap(), run[3]);
	assert_eq!(state_at_step(job, &data, &run[0], 5).unwrap(), run[1]);
	assert_eq!(
		step_trace(job, &data, &run[3]).unwrap().last(),
		Some(&state_at_step(job, &data, &run[3], 16).unwrap().hash())
	);
	// Known by its network alone, the parent lets the run be replayed from any checkpoint but not
	// started: what a verifier has when nobody serves the parent's weights.
	let network_only = Parent::without_weights(&architecture(&fresh)).unwrap();
	let partial = Job::continuing(&child, &network_only);
	assert_eq!(replay_segment(partial, &data, &run[2]).unwrap(), run[3]);
	assert!(matches!(Trainer::new(partial, &data), Err(TrainError::ParentRequired(7))));

	// Deterministic figures: the parent's 20 steps left it at 64/299 held out, 20 more at 136.
	let before = evaluate(&fresh, &data, &checkpoints(&fresh, &data)[4]).unwrap();
	let after = evaluate(job, &data, &run[4]).unwrap();
	assert!(after.correct > before.correct, "{before:?} then {after:?}");
}

#[test]
fn a_continued_run_needs_its_parent_and_only_it() {
	let (data, dataset) = digits();
	let (fresh, weights, child) = parent_and_child();
	assert!(matches!(Trainer::new(&child, &data), Err(TrainError::ParentRequired(7))));

	let parent = Parent::new(&architecture(&fresh), weights.clone()).unwrap();
	assert!(matches!(
		Trainer::new(Job::continuing(&fresh, &parent), &data),
		Err(TrainError::Mismatch(_))
	));

	// Weights of another architecture are refused, not trained.
	let wider = architecture(&spec(&dataset, &[48], Optimizer::sgd(0.05, 0.0), 32, 20, 5));
	assert!(matches!(
		Parent::new(&wider, weights.clone()),
		Err(TrainError::Weights(WeightsError::Mismatch(_)))
	));
	let external = Architecture::External {
		family: cairn_primitives::BoundedVec::truncate_from(b"llama".to_vec()),
		parameters: 1,
	};
	assert!(matches!(Parent::new(&external, weights), Err(TrainError::Unsupported)));
}
