//! Checkpoint hashes and step traces agree between separate processes and across thread counts,
//! and the multi-threaded kernels really run on several threads.
//!
//! The test binary runs itself twice as `child`, with `RAYON_NUM_THREADS` 1 and 2: the child
//! trains a wide MLP (64-512-512-10, batch 512, whose 512×512 products by 512 rows are given
//! every core, `kernel_threads`), prints its checkpoint hashes and the trace of the run's first
//! step. In process, the kernels run inside rayon pools of one and of two named threads give the
//! same bits, and the CPU time of each pool thread, read from procfs, shows that the second
//! thread worked on the wide network and idled on one too small for parallel kernels (which
//! `kernel_threads` gives one thread).

mod common;

use cairn_primitives::Optimizer;
use cairn_train::{kernel_threads, step_trace, Job, Trainer};
use common::{checkpoint_hashes, child_lines, digits, spec};

const CHILD: &str = "CAIRN_TRAIN_HASH_CHILD";
const PREFIX: &str = "checkpoint-hash ";
const TRACE: &str = "trace-value ";

fn reference_spec() -> cairn_primitives::TaskSpec {
	let (_, reference) = digits();
	spec(&reference, &[512, 512], Optimizer::adam(1e-3), 512, 4, 2)
}

/// The trace of the reference run's first step, in hex.
fn first_step_trace() -> Vec<String> {
	let (data, _) = digits();
	let spec = reference_spec();
	let start = Trainer::new(&spec, &data).unwrap().checkpoint().unwrap();
	step_trace(&spec, &data, &start).unwrap().iter().map(hex::encode).collect()
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
	for value in first_step_trace() {
		println!("{TRACE}{value}");
	}
}

/// What a child printed.
struct Child {
	/// Checkpoint hashes, in hex.
	hashes: Vec<String>,
	/// The trace of the first step, in hex.
	trace: Vec<String>,
}

/// Runs the child with `RAYON_NUM_THREADS` set to `rayon_threads`.
fn run_child(rayon_threads: &str) -> Child {
	let [hashes, trace] = child_lines(CHILD, rayon_threads, [PREFIX, TRACE]);
	Child { hashes, trace }
}

#[test]
fn hashes_and_traces_agree_across_processes() {
	let (one, two) = (run_child("1"), run_child("2"));
	assert_eq!(one.hashes.len() as u32, reference_spec().training.checkpoint_count());
	assert_eq!(one.hashes, two.hashes);
	// Three linear layers: 6 · 3 positions after the input.
	assert_eq!(one.trace.len(), 20);
	assert_eq!(one.trace, two.trace);
	let (data, _) = digits();
	let here: Vec<String> =
		checkpoint_hashes(&reference_spec(), &data).iter().map(hex::encode).collect();
	assert_eq!(here, one.hashes, "and in this process");
	assert_eq!(first_step_trace(), one.trace, "and in this process");
}

/// CPU time (clock ticks, user and system) of each thread of this process named `prefix…`.
fn cpu_ticks_of_threads(prefix: &str) -> Vec<u64> {
	let mut ticks = Vec::new();
	for task in std::fs::read_dir("/proc/self/task").expect("procfs").flatten() {
		let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
		if !comm.starts_with(prefix) {
			continue;
		}
		let stat = std::fs::read_to_string(task.path().join("stat")).expect("thread stat");
		// Fields after the parenthesised name: state is field 3, utime 14 and stime 15.
		let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
		ticks.push(fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap());
	}
	ticks
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
