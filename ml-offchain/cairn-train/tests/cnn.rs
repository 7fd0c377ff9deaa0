//! Convolutional networks: they learn, every segment replays, a run resumes, and the bits are the
//! same across processes, rayon pools of one and two threads, and processes that retain freed
//! memory (as the worker does) or not.
//!
//! The digits are 8x8 images, so a CNN trains on them in a debug build in seconds; a 28x28 CNN
//! (the Fashion-MNIST shape) trains on synthetic images of 784 features. With
//! `CAIRN_FASHION_MNIST` naming a slice built by `data/convert_fashion_mnist.py --samples N`,
//! `fashion_mnist_figures` also trains the 28x28 CNN on it and prints loss and accuracy.

mod common;

use std::{collections::HashMap, time::Instant};

use cairn_primitives::{task::Uri, Architecture, ModelInit, Optimizer, TaskSpec};
use cairn_train::{
	dataset_ref, evaluate, replay_segment, step_trace, Dataset, Job, Parent, Synthetic, TrainError,
	Trainer, Weights,
};
use common::{
	checkpoints, child_lines, cnn, digits, ends, is_child, losses, one_and_two_threads_agree,
	replays, spec, with_architecture,
};

const CHILD: &str = "CAIRN_TRAIN_CNN_CHILD";
const RETAINING_CHILD: &str = "CAIRN_TRAIN_CNN_RETAINING_CHILD";
const PREFIX: &str = "checkpoint-hash ";
const TRACE: &str = "trace-value ";

/// 1x8x8 -> conv 8 k3, pool -> conv 16 k3, pool -> 16x2x2 = 64 -> 10.
fn digits_cnn() -> Architecture {
	cnn(8, &[(8, 3, true), (16, 3, true)], &[])
}

/// 1x28x28 -> conv 8 k3, pool -> conv 8 k3, pool -> 8x7x7 = 392 -> 10.
fn image_cnn() -> Architecture {
	cnn(28, &[(8, 3, true), (8, 3, true)], &[])
}

/// A CNN task on the digits.
fn digits_spec(
	architecture: Architecture,
	optimizer: Optimizer,
	batch: u32,
	steps: u32,
	interval: u32,
) -> TaskSpec {
	let (_, reference) = digits();
	with_architecture(spec(&reference, &[], optimizer, batch, steps, interval), architecture)
}

/// Synthetic 28x28 images of 10 classes, and the spec of `image_cnn` on them.
fn synthetic_images(steps: u32, interval: u32) -> (Dataset, TaskSpec) {
	let bytes = Synthetic { seed: 3, samples: 240, features: 784, classes: 10 }
		.generate()
		.unwrap();
	let reference = dataset_ref(&bytes, Uri::truncate_from(b"http://127.0.0.1/images".to_vec()));
	let data = Dataset::from_bytes(&bytes, &reference).unwrap();
	let spec = spec(&reference, &[], Optimizer::adam(1e-3), 16, steps, interval);
	(data, with_architecture(spec, image_cnn()))
}

#[test]
fn a_cnn_learns_the_digits() {
	let (data, _) = digits();
	let spec = digits_spec(digits_cnn(), Optimizer::adam(3e-3), 32, 300, 100);
	assert_eq!(digits_cnn().parameter_count(), 80 + 1168 + 650);
	let untrained = Trainer::new(&spec, &data).unwrap().evaluate().unwrap();
	let started = Instant::now();
	let (losses, last) = losses(&spec, &data);
	let seconds = started.elapsed().as_secs_f64();
	let accuracy = evaluate(&spec, &data, &last).unwrap();
	let (first, final_) = ends(&losses, 20);
	println!(
		"digits CNN: loss {first:.3} -> {final_:.3} over {} steps, held-out accuracy {accuracy:?} \
		 (untrained {untrained:?}), {:.0} samples/s",
		losses.len(),
		f64::from(32 * spec.training.steps) / seconds
	);
	assert!(final_ < first / 3.0, "loss {first} -> {final_}");
	assert!(accuracy.fraction() > 0.8, "held-out accuracy {accuracy:?}");
	assert!(untrained.fraction() < 0.5, "untrained accuracy {untrained:?}");
}

#[test]
fn cnn_segments_replay_and_resume_with_every_optimizer() {
	let (data, _) = digits();
	// One convolution unpooled, with a hidden dense layer: 8x8x4 = 256 -> 16 -> 10.
	let unpooled = cnn(8, &[(4, 5, false)], &[16]);
	for (architecture, optimizer) in [
		(digits_cnn(), Optimizer::adam(1e-3)),
		(digits_cnn(), Optimizer::sgd(0.05, 0.9)),
		(unpooled, Optimizer::sgd(0.05, 0.0)),
	] {
		replays(&digits_spec(architecture, optimizer, 16, 9, 3), &data);
	}
}

#[test]
fn a_28x28_cnn_replays_on_synthetic_images() {
	let (data, spec) = synthetic_images(6, 2);
	replays(&spec, &data);
}

#[test]
fn a_cnn_continues_from_its_safetensors_weights() {
	let (data, _) = digits();
	let fresh = digits_spec(digits_cnn(), Optimizer::adam(1e-3), 16, 6, 3);
	let last = checkpoints(&fresh, &data).pop().unwrap();
	let weights = Weights::from_canonical(&last.weights().unwrap()).unwrap();
	let file = weights.to_safetensors(HashMap::new()).unwrap();
	let parent = Parent::new(&digits_cnn(), Weights::from_bytes(&file).unwrap()).unwrap();
	let mut child = digits_spec(digits_cnn(), Optimizer::sgd(0.05, 0.0), 16, 6, 3);
	child.model = ModelInit::FromRegistry { model: 3 };
	let job = Job::continuing(&child, &parent);
	let run = checkpoints(job, &data);
	assert_eq!(run[0].weights().unwrap(), weights.canonical(), "step 0 holds the parent's weights");
	assert_eq!(replay_segment(job, &data, &run[1]).unwrap(), run[2]);
	let other = cnn(8, &[(8, 3, true), (8, 3, true)], &[]);
	assert!(matches!(Parent::new(&other, weights), Err(TrainError::Weights(_))));
	// A parent whose shapes do not hold together (an even kernel) is refused, not built.
	let even = cnn(8, &[(8, 4, true)], &[]);
	assert!(matches!(Parent::without_weights(&even), Err(TrainError::Unsupported)));
}

#[test]
fn child() {
	if !is_child(CHILD, RETAINING_CHILD) {
		return;
	}
	let (data, spec) = synthetic_images(4, 2);
	for checkpoint in checkpoints(&spec, &data) {
		println!("{PREFIX}{}", hex::encode(checkpoint.hash()));
	}
	let start = Trainer::new(&spec, &data).unwrap().checkpoint().unwrap();
	for value in step_trace(&spec, &data, &start).unwrap() {
		println!("{TRACE}{}", hex::encode(value));
	}
}

/// Checkpoint hashes and first-step trace the child run of `env` prints with
/// `RAYON_NUM_THREADS` set to `threads`.
fn run_child(env: &str, threads: &str) -> (Vec<String>, Vec<String>) {
	let [hashes, trace] = child_lines(env, threads, [PREFIX, TRACE]);
	(hashes, trace)
}

#[test]
fn cnn_hashes_and_traces_agree_across_processes() {
	let (one, two) = (run_child(CHILD, "1"), run_child(CHILD, "2"));
	assert_eq!(one.0.len(), 3);
	assert_eq!(one, two);
	assert_eq!(run_child(RETAINING_CHILD, "2"), two, "with freed memory retained");
	let (data, spec) = synthetic_images(4, 2);
	let here: Vec<String> =
		checkpoints(&spec, &data).iter().map(|c| hex::encode(c.hash())).collect();
	assert_eq!(here, one.0, "and in this process");
	// 2 convolutions (both pooled) and 1 dense layer: 21 positions after the input.
	assert_eq!(one.1.len(), 22);
}

#[test]
fn cnn_kernels_run_on_two_threads_and_give_the_same_bits() {
	let (data, spec) = synthetic_images(4, 2);
	one_and_two_threads_agree(&spec, &data, "cnn");
}

#[test]
fn fashion_mnist_figures() {
	let Some(path) = std::env::var_os("CAIRN_FASHION_MNIST") else { return };
	let bytes = std::fs::read(&path).expect("the Fashion-MNIST slice");
	let reference = dataset_ref(&bytes, Uri::truncate_from(b"http://127.0.0.1/fm".to_vec()));
	let data = Dataset::from_bytes(&bytes, &reference).unwrap();
	let steps = std::env::var("CAIRN_FASHION_MNIST_STEPS").map_or(200, |s| s.parse().unwrap());
	let spec = spec(&reference, &[], Optimizer::adam(2e-3), 32, steps, steps);
	let spec = with_architecture(spec, image_cnn());
	let started = Instant::now();
	let (losses, last) = losses(&spec, &data);
	let seconds = started.elapsed().as_secs_f64();
	let accuracy = evaluate(&spec, &data, &last).unwrap();
	let (first, final_) = ends(&losses, 20);
	println!(
		"Fashion-MNIST CNN ({} parameters): loss {first:.3} -> {final_:.3} over {steps} steps, \
		 held-out accuracy {accuracy:?} = {:.3}, {:.0} samples/s",
		image_cnn().parameter_count(),
		accuracy.fraction(),
		f64::from(32 * steps) / seconds
	);
	assert!(final_ < first, "loss {first} -> {final_}");
}
