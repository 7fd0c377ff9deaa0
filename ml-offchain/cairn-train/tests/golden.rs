//! Golden checkpoint roots: real training of every optimizer and activation, of a CNN, of a
//! transformer, and of the largest sizes tasks may use, pinned to the bits this build computes (`ARITHMETIC_VERSION`). A
//! dependency update or code change that alters one bit of training fails here, in CI, instead of
//! letting providers of one version slash each other: bump `ARITHMETIC_VERSION` with the new
//! roots, so that old and new workers are never drawn to judge each other. The roots are the same
//! in processes that retain freed memory (`alloc::retain_freed_memory`, as the worker does) and
//! in processes that do not.

mod common;

use cairn_primitives::{
	merkle::checkpoint_root, task::MAX_EXACT_DIMENSION, Activation, Optimizer, TaskSpec,
};
use cairn_train::{Dataset, ARITHMETIC_VERSION};
use common::{
	checkpoint_hashes, child_lines, cnn, digits, is_child, spec, text, transformer,
	with_activation, with_architecture,
};

const CHILD: &str = "CAIRN_TRAIN_GOLDEN_CHILD";
const RETAINING_CHILD: &str = "CAIRN_TRAIN_GOLDEN_RETAINING_CHILD";
const PREFIX: &str = "golden-root ";

/// The checkpoint root of `spec`'s run on the dataset it names: the digits, or the windows of
/// 16 tokens of synthetic text.
fn root_of(spec: &TaskSpec) -> String {
	let (digits, digits_reference) = digits();
	let data: Dataset = if spec.dataset == digits_reference { digits } else { text(16).0 };
	hex::encode(checkpoint_root(&checkpoint_hashes(spec, &data)))
}

/// (case, spec, root pinned for arithmetic version 1).
fn cases() -> Vec<(&'static str, TaskSpec, &'static str)> {
	let (_, reference) = digits();
	let (_, text_reference) = text(16);
	let small = |optimizer, activation| {
		with_activation(spec(&reference, &[32, 16], optimizer, 32, 20, 10), activation)
	};
	let max = MAX_EXACT_DIMENSION;
	vec![
		(
			"sgd relu",
			small(Optimizer::sgd(0.05, 0.0), Activation::Relu),
			"bdf9fb8f32381775d503efc56e45fdf04d33a60f43861fe1abc71f958458a56c",
		),
		(
			"sgd with momentum tanh",
			small(Optimizer::sgd(0.05, 0.9), Activation::Tanh),
			"a7da43242e064c83b97ef43190207003a0c73de293dda614443342f94e340f75",
		),
		(
			"adam gelu",
			small(Optimizer::adam(1e-3), Activation::Gelu),
			"7ad2f46864d3e85e9725309a4336274b3c8ab4dcdea173952dddf8e39a1c4c4e",
		),
		(
			"cnn adam: pooled and unpooled convolutions, a hidden dense layer",
			with_architecture(
				spec(&reference, &[], Optimizer::adam(1e-3), 32, 20, 10),
				cnn(8, &[(8, 3, true), (16, 3, false)], &[32]),
			),
			"743fa85d8fb1507873edb6afe894b047caf8f552a318b428caf29105cddbb94b",
		),
		(
			"transformer adam gelu: 2 blocks of 2 heads, 8 windows of 16 tokens",
			with_architecture(
				spec(&text_reference, &[], Optimizer::adam(1e-3), 8, 20, 10),
				transformer(16, 16, 2, 2, 32),
			),
			"7200712db041c2321faa9ac5be420451b1d09bbf83624a17e5fd9156d0d148a1",
		),
		(
			"widest layers and batch",
			spec(&reference, &[max, max], Optimizer::sgd(0.01, 0.9), max, 2, 1),
			"5dc1a28bab40f1b7f0cbae16ff3f6a2a3e7d1e9e644f3002603b15deac5936c1",
		),
	]
}

#[test]
fn training_computes_the_pinned_bits_of_its_arithmetic_version() {
	assert_eq!(ARITHMETIC_VERSION, 1, "pin the roots of the new version below");
	let mut changed = Vec::new();
	for (case, spec, pinned) in cases() {
		let root = root_of(&spec);
		if root != pinned {
			changed.push(format!("{case}: pinned {pinned}, computed {root}"));
		}
	}
	assert!(
		changed.is_empty(),
		"training now computes other bits; bump cairn_train::ARITHMETIC_VERSION and pin:\n{}",
		changed.join("\n")
	);
}

#[test]
fn child() {
	if !is_child(CHILD, RETAINING_CHILD) {
		return;
	}
	for (_, spec, _) in cases() {
		println!("{PREFIX}{}", root_of(&spec));
	}
}

#[test]
fn retaining_freed_memory_computes_the_same_bits() {
	let pinned: Vec<String> = cases().iter().map(|(_, _, root)| root.to_string()).collect();
	let [plain] = child_lines(CHILD, "2", [PREFIX]);
	let [retaining] = child_lines(RETAINING_CHILD, "2", [PREFIX]);
	assert_eq!(plain, pinned, "glibc's defaults");
	assert_eq!(retaining, pinned, "freed memory retained");
}
