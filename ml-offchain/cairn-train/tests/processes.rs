//! Checkpoint hashes and step traces agree between separate processes and across thread counts,
//! and the multi-threaded kernels really run on several threads.
//!
//! The test binary runs itself twice as `child`, with `RAYON_NUM_THREADS` 1 and 2. The child
//! trains a wide MLP (64-512-512-10, batch 512, whose 512×512 products by 512 rows are given
//! every core, `kernel_threads`) and prints its checkpoint hashes and the trace of the run's
//! first step. It also trains a transformer step by step on rayon's global pool, whose
//! `RAYON_NUM_THREADS` threads share its larger matrix products, attention's per-head products
//! and softmax rows, and prints every step's loss, the last checkpoint's hash and the first
//! step's trace. In process, the kernels run inside rayon pools of one and of two named threads
//! give the same bits, and the CPU time of each pool thread, read from procfs, shows that the
//! second thread worked on the wide networks and idled on one too small for parallel kernels
//! (which `kernel_threads` gives one thread).

mod common;

use cairn_primitives::{Optimizer, TaskSpec};
use cairn_train::{kernel_threads, step_trace, Dataset, Job, Trainer};
use common::{
	checkpoint_hashes, checkpoints, child_lines, cpu_ticks_of_threads, digits, losses,
	one_and_two_threads_agree, spec, text, transformer, with_architecture,
};

const CHILD: &str = "CAIRN_TRAIN_HASH_CHILD";
const PREFIX: &str = "checkpoint-hash ";
const TRACE: &str = "trace-value ";
const TRANSFORMER_LOSS: &str = "transformer-loss ";
// No prefix contains another: `child_lines` finds them anywhere in a line.
const TRANSFORMER_LAST: &str = "transformer-final ";
const TRANSFORMER_TRACE: &str = "transformer-trace ";

fn reference_spec() -> TaskSpec {
	let (_, reference) = digits();
	spec(&reference, &[512, 512], Optimizer::adam(1e-3), 512, 4, 2)
}

/// The trace of the first step of `spec`'s run on `data`, in hex.
fn first_step_trace(spec: &TaskSpec, data: &Dataset) -> Vec<String> {
	let start = Trainer::new(spec, data).unwrap().checkpoint().unwrap();
	step_trace(spec, data, &start).unwrap().iter().map(hex::encode).collect()
}

/// Tokens per window of the reference transformer.
const CONTEXT: u32 = 64;

/// A transformer of 64 tokens, width 64, 4 heads, 1 block and feed-forward 256, 8 windows a
/// step, on synthetic text: its feed-forward and head products (512 tokens by 64 by 256) and
/// its 32 attention products per step are large enough for `flex` to share among threads.
fn transformer_spec() -> (Dataset, TaskSpec) {
	let (data, reference) = text(CONTEXT);
	let spec = spec(&reference, &[], Optimizer::adam(1e-3), 8, 4, 2);
	(data, with_architecture(spec, transformer(CONTEXT, 64, 4, 1, 256)))
}

#[test]
fn child() {
	if std::env::var_os(CHILD).is_none() {
		return;
	}
	let (data, _) = digits();
	for hash in checkpoint_hashes(&reference_spec(), &data) {
		println!("{PREFIX}{}", hex::encode(hash));
	}
	for value in first_step_trace(&reference_spec(), &data) {
		println!("{TRACE}{value}");
	}
	let (data, spec) = transformer_spec();
	let (losses, last) = losses(&spec, &data);
	for loss in losses {
		println!("{TRANSFORMER_LOSS}{:08x}", loss.to_bits());
	}
	println!("{TRANSFORMER_LAST}{}", hex::encode(last.hash()));
	for value in first_step_trace(&spec, &data) {
		println!("{TRANSFORMER_TRACE}{value}");
	}
}

/// What a child printed, in hex.
#[derive(Debug, PartialEq)]
struct Child {
	/// The MLP's checkpoint hashes.
	hashes: Vec<String>,
	/// The trace of the MLP's first step.
	trace: Vec<String>,
	/// The bit patterns of the transformer's losses, step by step.
	transformer_losses: Vec<String>,
	/// The hash of the transformer's last checkpoint.
	transformer_last: Vec<String>,
	/// The trace of the transformer's first step.
	transformer_trace: Vec<String>,
}

/// Runs the child with `RAYON_NUM_THREADS` set to `rayon_threads`.
fn run_child(rayon_threads: &str) -> Child {
	let prefixes = [PREFIX, TRACE, TRANSFORMER_LOSS, TRANSFORMER_LAST, TRANSFORMER_TRACE];
	let [hashes, trace, transformer_losses, transformer_last, transformer_trace] =
		child_lines(CHILD, rayon_threads, prefixes);
	Child { hashes, trace, transformer_losses, transformer_last, transformer_trace }
}

#[test]
fn hashes_and_traces_agree_across_processes() {
	let (one, two) = (run_child("1"), run_child("2"));
	assert_eq!(one.hashes.len() as u32, reference_spec().training.checkpoint_count());
	// Three linear layers: 6 · 3 positions after the input.
	assert_eq!(one.trace.len(), 20);
	assert_eq!(one.transformer_losses.len(), 4);
	// One block: 35 · 1 + 17 positions after the input.
	assert_eq!(one.transformer_trace.len(), 53);
	assert_eq!(one, two);
	let (data, _) = digits();
	let here: Vec<String> =
		checkpoint_hashes(&reference_spec(), &data).iter().map(hex::encode).collect();
	assert_eq!(here, one.hashes, "and in this process");
	assert_eq!(first_step_trace(&reference_spec(), &data), one.trace, "and in this process");
	// Trained by `train`, on the threads `kernel_threads` gives it.
	let (data, spec) = transformer_spec();
	let last = checkpoints(&spec, &data).pop().unwrap();
	assert_eq!([hex::encode(last.hash())], *one.transformer_last, "and in this process");
	assert_eq!(first_step_trace(&spec, &data), one.transformer_trace, "and in this process");
}

#[test]
fn transformer_kernels_run_on_two_threads_and_give_the_same_bits() {
	let (data, spec) = transformer_spec();
	one_and_two_threads_agree(&spec, &data, "gpt");
}

/// Runs the kernels of `spec`'s training in a new pool of `threads` threads named `name…` (the
/// trainer itself, not `train`, which picks its own pool); returns the final checkpoint's hash
/// and each pool thread's CPU ticks.
fn train_in_pool(
	spec: &cairn_primitives::TaskSpec,
	threads: usize,
	name: &'static str,
) -> ([u8; 32], Vec<u64>) {
	let pool = rayon::ThreadPoolBuilder::new()
		.num_threads(threads)
		.thread_name(move |i| format!("{name}{i}"))
		.build()
		.unwrap();
	let (data, _) = digits();
	let hashes = pool.install(|| {
		let mut trainer = Trainer::new(spec, &data).unwrap();
		while !trainer.is_finished() {
			trainer.step().unwrap();
		}
		trainer.checkpoint().unwrap().hash()
	});
	let ticks = cpu_ticks_of_threads(name);
	drop(pool);
	(hashes, ticks)
}

#[test]
fn kernels_run_on_every_thread_and_give_the_same_bits() {
	let spec = reference_spec();
	let (alone, _) = train_in_pool(&spec, 1, "cairn-one-");
	let (shared, ticks) = train_in_pool(&spec, 2, "cairn-two-");
	assert_eq!(alone, shared, "one thread and two compute the same checkpoints");
	assert_eq!(ticks.len(), 2, "{ticks:?}");
	let total: u64 = ticks.iter().sum();
	// Measured here (debug build): 463 and 353 ticks; the small network below 110 and 0.
	assert!(
		ticks.iter().all(|&t| t * 10 >= total),
		"each of two threads did a tenth of the work or more: {ticks:?}"
	);
	// A network too small for parallel kernels: the second thread has nothing to do.
	let (_, reference) = digits();
	let small = spec_small(&reference);
	let (_, idle) = train_in_pool(&small, 2, "cairn-idle-");
	let (busy, quiet) = (idle.iter().max().unwrap(), idle.iter().min().unwrap());
	assert!(quiet * 10 <= *busy, "the second thread idled on the small network: {idle:?}");
	// So training gives the small network one thread and the wide one every core.
	assert_eq!(kernel_threads(Job::from(&small)), 1);
	assert_eq!(kernel_threads(Job::from(&spec)), rayon::current_num_threads());
}

/// The digits MLP of 64-32-10 at batch 32, far below the parallel kernels' threshold.
fn spec_small(reference: &cairn_primitives::DatasetRef) -> cairn_primitives::TaskSpec {
	spec(reference, &[32], Optimizer::adam(1e-3), 32, 600, 200)
}
