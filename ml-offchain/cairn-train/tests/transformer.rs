//! Transformer language models: one learns a synthetic text, every segment replays, a run
//! resumes, a step's trace spans `step_trace_len` positions, and evaluation reports the held-out
//! loss and perplexity. (Exactness across processes and thread counts is in `processes.rs`.)

mod common;

use std::time::Instant;

use cairn_primitives::{Optimizer, TaskSpec};
use cairn_train::{evaluate, Dataset, Trainer};
use common::{ends, losses, replays, spec, text, transformer, with_architecture};

/// Tokens per window of the tiny transformer.
const CONTEXT: u32 = 16;

/// A task training the tiny transformer (width 16, 2 heads, 2 blocks, feed-forward 32) on the
/// synthetic text's windows: 4 windows of 16 tokens per step.
fn text_spec(optimizer: Optimizer, steps: u32, interval: u32) -> (Dataset, TaskSpec) {
	let (data, reference) = text(CONTEXT);
	let spec = spec(&reference, &[], optimizer, 4, steps, interval);
	(data, with_architecture(spec, transformer(CONTEXT, 16, 2, 2, 32)))
}

#[test]
fn a_transformer_learns_synthetic_text() {
	let (data, spec) = text_spec(Optimizer::adam(3e-3), 400, 100);
	let untrained = Trainer::new(&spec, &data).unwrap().evaluate().unwrap();
	let started = Instant::now();
	let (losses, last) = losses(&spec, &data);
	let seconds = started.elapsed().as_secs_f64();
	let trained = evaluate(&spec, &data, &last).unwrap();
	let (first, final_) = ends(&losses, 20);
	println!(
		"transformer: loss {first:.3} -> {final_:.3} over {} steps; held-out loss {:.3} -> {:.3} \
		 (perplexity {:.1} -> {:.1}), next-token accuracy {:.3} -> {:.3} of {}; {:.0} tokens/s",
		losses.len(),
		untrained.loss,
		trained.loss,
		untrained.perplexity(),
		trained.perplexity(),
		untrained.fraction(),
		trained.fraction(),
		trained.total,
		f64::from(4 * CONTEXT * spec.training.steps) / seconds
	);
	// Every position of every held-out window is a prediction.
	let held_out = data.held_out().len() as u32;
	assert_eq!((untrained.total, trained.total), (held_out * CONTEXT, held_out * CONTEXT));
	// Untrained, every byte is about as likely: ln 256 ≈ 5.55 nats.
	assert!((untrained.loss - 256f64.ln()).abs() < 0.5, "untrained loss {}", untrained.loss);
	assert!((untrained.perplexity() - untrained.loss.exp()).abs() < 1e-9);
	assert!(final_ < first / 2.0, "loss {first} -> {final_}");
	assert!(trained.loss < untrained.loss / 2.0, "held-out {untrained:?} -> {trained:?}");
	assert!(trained.fraction() > 0.3, "next-token accuracy {trained:?}");
}

#[test]
fn transformer_segments_replay_and_resume_with_every_optimizer() {
	for optimizer in [Optimizer::adam(1e-3), Optimizer::sgd(0.05, 0.9), Optimizer::sgd(0.05, 0.0)] {
		let (data, spec) = text_spec(optimizer, 9, 3);
		replays(&spec, &data);
	}
}
