//! Transformer language models: one learns a synthetic text, every segment replays, a run
//! resumes, a step's trace spans `step_trace_len` positions, evaluation reports the held-out
//! loss and perplexity, and a trained model continues from its safetensors weights. (Exactness
//! across processes and thread counts is in `processes.rs`, the pinned bits in `golden.rs`.)

mod common;

use std::{collections::HashMap, time::Instant};

use cairn_primitives::{
	task::Uri, Activation, Architecture, ModelInit, Optimizer, TaskSpec, Transformer,
};
use cairn_train::{
	dataset_ref, evaluate, replay_segment, windows, Dataset, Job, Parent, SyntheticText,
	TrainError, Trainer, Weights,
};
use common::{checkpoints, ends, losses, replays, spec, text, transformer, with_architecture};

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

#[test]
fn a_transformer_continues_from_its_safetensors_weights() {
	let (data, fresh) = text_spec(Optimizer::adam(1e-3), 6, 3);
	let last = checkpoints(&fresh, &data).pop().unwrap();
	let weights = Weights::from_canonical(&last.weights().unwrap()).unwrap();
	let file = weights.to_safetensors(HashMap::new()).unwrap();
	// The heads are the architecture's: the same weights continue as 4 heads of width 4.
	let architecture = transformer(CONTEXT, 16, 4, 2, 32);
	let parent = Parent::new(&architecture, Weights::from_bytes(&file).unwrap()).unwrap();
	let (_, mut child) = text_spec(Optimizer::sgd(0.05, 0.0), 6, 3);
	child.model = ModelInit::FromRegistry { model: 3 };
	let job = Job::continuing(&child, &parent);
	let run = checkpoints(job, &data);
	assert_eq!(run[0].weights().unwrap(), weights.canonical(), "step 0 holds the parent's weights");
	assert_eq!(replay_segment(job, &data, &run[1]).unwrap(), run[2]);
	let wider = transformer(CONTEXT, 16, 2, 2, 64);
	assert!(matches!(Parent::new(&wider, weights), Err(TrainError::Weights(_))));
	// A parent whose shapes do not hold together (3 heads of a width of 16) is refused.
	let uneven = transformer(CONTEXT, 16, 3, 2, 32);
	assert!(matches!(Parent::without_weights(&uneven), Err(TrainError::Unsupported)));
}

#[test]
fn token_ids_past_the_vocabulary_are_refused() {
	// ASCII windows whose header says 128 classes but byte values up to 255.
	let text = SyntheticText { seed: 1, len: 2000 }.generate();
	let mut bytes = windows(&text, CONTEXT, 8).unwrap();
	bytes[20..24].copy_from_slice(&128u32.to_le_bytes());
	let reference = dataset_ref(&bytes, Uri::truncate_from(b"http://127.0.0.1/ascii".to_vec()));
	let data = Dataset::from_bytes(&bytes, &reference).unwrap();
	let spec = spec(&reference, &[], Optimizer::adam(1e-3), 4, 6, 3);
	let ascii = Transformer {
		vocab: 128,
		context: CONTEXT,
		width: 16,
		heads: 2,
		blocks: 2,
		feed_forward: 32,
		activation: Activation::Gelu,
	};
	let spec = with_architecture(spec, Architecture::Transformer(ascii));
	assert!(matches!(
		Trainer::new(&spec, &data),
		Err(TrainError::Vocabulary { vocab: 128, max_value: 255 })
	));
}
