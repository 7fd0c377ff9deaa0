//! What a dispute needs from training: the state at any step of a run, and the trace of the one
//! step the bisection pinpoints.

mod common;

use cairn_primitives::{task::step_trace_len, Activation, ModelInit, Optimizer, TaskSpec};
use cairn_train::{
	state_at_step, step_trace, trace_value, train, Checkpoint, Dataset, TrainError, Trainer,
	ARITHMETIC_VERSION,
};
use common::{checkpoints, digits, spec, with_activation};

/// The trace's last position `K` for the spec's architecture.
fn last_position(spec: &TaskSpec) -> usize {
	let ModelInit::Fresh { architecture, .. } = &spec.model else {
		panic!("the test specs train fresh models");
	};
	step_trace_len(architecture).expect("a trainable architecture") as usize
}

/// Small runs of 8 steps with checkpoints every 4: one, two and three linear layers, every
/// optimizer and every activation.
fn specs() -> Vec<TaskSpec> {
	let (_, reference) = digits();
	vec![
		spec(&reference, &[], Optimizer::sgd(0.05, 0.0), 16, 8, 4),
		with_activation(
			spec(&reference, &[16], Optimizer::sgd(0.05, 0.9), 16, 8, 4),
			Activation::Tanh,
		),
		with_activation(
			spec(&reference, &[16, 8], Optimizer::adam(1e-3), 16, 8, 4),
			Activation::Gelu,
		),
	]
}

#[test]
fn a_trace_runs_from_its_input_state_to_the_state_one_step_later() {
	let (data, _) = digits();
	for spec in specs() {
		let run = checkpoints(&spec, &data);
		let last = last_position(&spec);
		// Step 3 is mid-segment; the step from it ends on checkpoint 1 (step 4).
		let state = state_at_step(&spec, &data, &run[0], 3).unwrap();
		let trace = step_trace(&spec, &data, &state).unwrap();
		assert_eq!(trace.len(), last + 1);
		assert_eq!(trace[0], state.hash());
		assert_eq!(trace[last], state_at_step(&spec, &data, &state, 4).unwrap().hash());
		assert_eq!(trace[last], run[1].hash(), "the training loop's checkpoint at step 4");
		// From a checkpoint the run committed, to a step inside the next segment.
		let trace = step_trace(&spec, &data, &run[1]).unwrap();
		assert_eq!(trace[0], run[1].hash());
		assert_eq!(trace[last], state_at_step(&spec, &data, &run[1], 5).unwrap().hash());
	}
}

#[test]
fn an_arbiter_reads_the_same_values_one_position_at_a_time() {
	let (data, _) = digits();
	let spec = &specs()[1];
	let state = Trainer::new(spec, &data).unwrap().checkpoint().unwrap();
	let trace = step_trace(spec, &data, &state).unwrap();
	for position in [0, 1, trace.len() / 2, trace.len() - 1] {
		assert_eq!(trace_value(spec, &data, &state, position as u32).unwrap(), trace[position]);
	}
}

#[test]
fn a_state_taken_mid_segment_is_the_one_the_run_passes_through() {
	let (data, _) = digits();
	let spec = &specs()[2];
	let run = checkpoints(spec, &data);
	let mid = state_at_step(spec, &data, &run[0], 6).unwrap();
	let mut trainer = Trainer::new(spec, &data).unwrap();
	for _ in 0..6 {
		trainer.step().unwrap();
	}
	assert_eq!(mid, trainer.checkpoint().unwrap());
	assert_eq!(state_at_step(spec, &data, &mid, 8).unwrap(), run[2]);
	let mut resumed = Vec::new();
	let end = train(spec, &data, Some(&mid), |c| {
		resumed.push(c.clone());
		Ok::<_, TrainError>(())
	})
	.unwrap();
	assert_eq!(resumed, run[2..]);
	assert_eq!(end, run[2]);
	assert_eq!(state_at_step(spec, &data, &run[1], 4).unwrap(), run[1], "zero steps");
}

/// The state at `step` of `spec`'s run.
fn state(spec: &TaskSpec, data: &Dataset, step: u32) -> Checkpoint {
	let start = Trainer::new(spec, data).unwrap().checkpoint().unwrap();
	state_at_step(spec, data, &start, step).unwrap()
}

/// Asserts that `a` and `b` differ at every position from 1 on.
fn differ_from_position_one_on(a: &[[u8; 32]], b: &[[u8; 32]]) {
	assert_eq!(a.len(), b.len());
	for position in 1..a.len() {
		assert_ne!(a[position], b[position], "position {position}");
	}
}

#[test]
fn different_input_states_give_different_traces_from_position_one_on() {
	let (data, _) = digits();
	let spec = &specs()[2];
	let mut other_init = spec.clone();
	if let ModelInit::Fresh { init_seed, .. } = &mut other_init.model {
		*init_seed += 1;
	}
	// Same step, so the same batch: only the weights differ.
	let trace = step_trace(spec, &data, &state(spec, &data, 2)).unwrap();
	let other = step_trace(&other_init, &data, &state(&other_init, &data, 2)).unwrap();
	assert_ne!(trace[0], other[0]);
	differ_from_position_one_on(&trace, &other);
	// Consecutive states of one run.
	let next = step_trace(spec, &data, &state(spec, &data, 3)).unwrap();
	assert_eq!(next[0], trace[trace.len() - 1]);
	differ_from_position_one_on(&trace, &next);
	// The same state on another batch: the data order enters at the first linear output.
	let mut other_order = spec.clone();
	other_order.training.data_order_seed += 1;
	let start = Trainer::new(spec, &data).unwrap().checkpoint().unwrap();
	let reordered = step_trace(&other_order, &data, &start).unwrap();
	let trace = step_trace(spec, &data, &start).unwrap();
	assert_eq!(reordered[0], trace[0]);
	differ_from_position_one_on(&trace, &reordered);
}

#[test]
fn the_trace_is_deterministic() {
	let (data, _) = digits();
	for spec in specs() {
		let state = state(&spec, &data, 5);
		assert_eq!(
			step_trace(&spec, &data, &state).unwrap(),
			step_trace(&spec, &data, &state).unwrap()
		);
	}
}

#[test]
fn steps_outside_the_run_and_positions_past_the_trace_are_errors() {
	let (data, _) = digits();
	let spec = &specs()[0];
	let run = checkpoints(spec, &data);
	let error = state_at_step(spec, &data, &run[1], 3).unwrap_err();
	assert!(matches!(error, TrainError::StepOutOfRange { step: 3, from: 4, steps: 8 }), "{error}");
	assert_eq!(
		error.to_string(),
		"step 3 is outside the run from the checkpoint at step 4 to the task's last step 8"
	);
	assert!(matches!(
		state_at_step(spec, &data, &run[0], 9),
		Err(TrainError::StepOutOfRange { step: 9, from: 0, steps: 8 })
	));
	assert!(matches!(step_trace(spec, &data, &run[2]), Err(TrainError::Finished(8))));
	// One linear layer: positions 0 to 7.
	let error = trace_value(spec, &data, &run[0], 8).unwrap_err();
	assert!(matches!(error, TrainError::TracePosition { position: 8, last: 7 }), "{error}");
	assert_eq!(error.to_string(), "trace position 8 is past the step's last position 7");
	let other_task = &specs()[1];
	assert!(matches!(state_at_step(other_task, &data, &run[0], 1), Err(TrainError::Mismatch(_))));
	assert!(matches!(step_trace(other_task, &data, &run[0]), Err(TrainError::Mismatch(_))));
}

#[test]
fn the_trace_rule_is_pinned() {
	// The order of the traced tensors, their hash and the chain are protocol rules that every
	// party must change together; the pinned link follows from all of them, and from the bits
	// of training, so a new ARITHMETIC_VERSION (see golden.rs) pins it anew too.
	assert_eq!(ARITHMETIC_VERSION, 1, "pin the link of the new version below");
	let (data, reference) = digits();
	let spec = spec(&reference, &[8], Optimizer::sgd(0.05, 0.9), 4, 4, 2);
	let start = Trainer::new(&spec, &data).unwrap().checkpoint().unwrap();
	let trace = step_trace(&spec, &data, &start).unwrap();
	let last_link = trace[last_position(&spec) - 1];
	assert_eq!(
		hex::encode(last_link),
		"cfd8e802e15e2e23a2c428691ac02130f371025e495d96d684246763f549b3f9"
	);
}
