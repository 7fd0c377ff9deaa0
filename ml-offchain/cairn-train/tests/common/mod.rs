//! Task specs and datasets shared by the integration tests.
#![allow(dead_code)] // each test binary uses part of this module

use cairn_primitives::{task::step_trace_len, Transformer};
use cairn_primitives::{
	task::Uri, Activation, Architecture, BoundedVec, Cnn, Conv, DatasetRef, Mlp, ModelInit,
	Optimizer, TaskSpec, TrainingConfig, VerificationPolicy,
};
use cairn_train::{
	dataset::digits, replay_segment, state_at_step, step_trace, train, windows, Checkpoint,
	Dataset, Job, SyntheticText, TrainError, Trainer,
};

/// The built-in digits and the reference a task names them by.
pub fn digits() -> (Dataset, DatasetRef) {
	(
		digits::load().expect("built-in digits"),
		digits::reference(Uri::truncate_from(b"http://127.0.0.1/digits".to_vec())),
	)
}

/// A task training a `64-hidden-10` ReLU MLP on `dataset`.
pub fn spec(
	dataset: &DatasetRef,
	hidden: &[u32],
	optimizer: Optimizer,
	batch_size: u32,
	steps: u32,
	interval: u32,
) -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"digits".to_vec()),
		license: BoundedVec::truncate_from(b"Apache-2.0".to_vec()),
		model: ModelInit::Fresh {
			architecture: Architecture::Mlp(Mlp {
				input: 64,
				hidden: BoundedVec::truncate_from(hidden.to_vec()),
				output: 10,
				activation: Activation::Relu,
			}),
			init_seed: 42,
		},
		dataset: dataset.clone(),
		training: TrainingConfig {
			optimizer,
			batch_size,
			steps,
			data_order_seed: 7,
			checkpoint_interval: interval,
		},
		verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
	}
}

/// A CNN on `side`x`side` one-channel images with 10 classes: each of `convs` is
/// `(channels, kernel, pool)`, then the dense layers `hidden` and the output.
pub fn cnn(side: u32, convs: &[(u32, u32, bool)], hidden: &[u32]) -> Architecture {
	let convs = convs.iter().map(|&(channels, kernel, pool)| Conv { channels, kernel, pool });
	Architecture::Cnn(Cnn {
		channels: 1,
		height: side,
		width: side,
		convs: BoundedVec::truncate_from(convs.collect()),
		hidden: BoundedVec::truncate_from(hidden.to_vec()),
		output: 10,
		activation: Activation::Relu,
	})
}

/// `spec` training `architecture` instead.
pub fn with_architecture(mut spec: TaskSpec, architecture: Architecture) -> TaskSpec {
	if let ModelInit::Fresh { architecture: a, .. } = &mut spec.model {
		*a = architecture;
	}
	spec
}

/// `spec` with every hidden layer's activation set to `activation`.
pub fn with_activation(mut spec: TaskSpec, activation: Activation) -> TaskSpec {
	if let ModelInit::Fresh { architecture: Architecture::Mlp(mlp), .. } = &mut spec.model {
		mlp.activation = activation;
	}
	spec
}

/// Every checkpoint of a full run of `job`, in order.
pub fn checkpoints<'a>(job: impl Into<Job<'a>>, dataset: &'a Dataset) -> Vec<Checkpoint> {
	let mut checkpoints = Vec::new();
	cairn_train::train(job, dataset, None, |c| {
		checkpoints.push(c.clone());
		Ok::<_, cairn_train::TrainError>(())
	})
	.expect("training");
	checkpoints
}

/// Hashes of every checkpoint of a full run, in order.
pub fn checkpoint_hashes(spec: &TaskSpec, dataset: &Dataset) -> Vec<[u8; 32]> {
	checkpoints(spec, dataset).iter().map(Checkpoint::hash).collect()
}

/// Whether this process is a child run (`child_lines`) of `env` or of `retaining_env`; in the
/// latter it first retains freed memory, as the worker does.
pub fn is_child(env: &str, retaining_env: &str) -> bool {
	let retaining = std::env::var_os(retaining_env).is_some();
	if retaining {
		assert!(cairn_train::alloc::retain_freed_memory(), "glibc took the setting");
	}
	retaining || std::env::var_os(env).is_some()
}

/// The lines a child run of this test binary prints after `prefixes`, one list per prefix: the
/// test named `child` runs alone in a new process with `env` set and `RAYON_NUM_THREADS` at
/// `rayon_threads` (libtest prints `test child ... ` on the line the child's first output
/// continues, hence the split).
pub fn child_lines<const N: usize>(
	env: &str,
	rayon_threads: &str,
	prefixes: [&str; N],
) -> [Vec<String>; N] {
	let exe = std::env::current_exe().expect("test binary path");
	let output = std::process::Command::new(exe)
		.args(["child", "--exact", "--nocapture", "--test-threads=1"])
		.env(env, "1")
		.env("RAYON_NUM_THREADS", rayon_threads)
		.output()
		.expect("run the test binary");
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(
		output.status.success(),
		"child failed: {stdout}\n{}",
		String::from_utf8_lossy(&output.stderr)
	);
	prefixes.map(|prefix| {
		stdout
			.lines()
			.filter_map(|line| line.split_once(prefix))
			.map(|(_, value)| value.to_owned())
			.collect()
	})
}

/// Trains `spec` to the end; returns the loss of every step and the final checkpoint.
pub fn losses(spec: &TaskSpec, data: &Dataset) -> (Vec<f32>, Checkpoint) {
	let mut trainer = Trainer::new(spec, data).unwrap();
	let mut losses = Vec::new();
	while !trainer.is_finished() {
		losses.push(trainer.step().unwrap());
	}
	(losses, trainer.checkpoint().unwrap())
}

/// Mean of the first and of the last `n` values.
pub fn ends(values: &[f32], n: usize) -> (f32, f32) {
	let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
	(mean(&values[..n]), mean(&values[values.len() - n..]))
}

/// What a verifier and a dispute check: every segment replays to the next checkpoint, a run
/// resumed mid-way ends on the same checkpoint, `state_at_step` reaches the loop's state, and a
/// step's trace spans `step_trace_len` positions from its input state to its output state.
pub fn replays(spec: &TaskSpec, data: &Dataset) {
	let run = checkpoints(spec, data);
	assert_eq!(run.len() as u32, spec.training.checkpoint_count());
	let len = Job::from(spec).checkpoint_len().unwrap();
	for (i, pair) in run.windows(2).enumerate() {
		assert_eq!(pair[0].bytes().len(), len);
		let start = Checkpoint::from_bytes(pair[0].bytes().to_vec()).unwrap();
		assert_eq!(replay_segment(spec, data, &start).unwrap(), pair[1], "segment {i}");
	}
	let resumed = train(spec, data, Some(&run[1]), |_| Ok::<_, TrainError>(())).unwrap();
	assert_eq!(resumed.hash(), run.last().unwrap().hash());
	let interval = spec.training.checkpoint_interval;
	let mid = state_at_step(spec, data, &run[0], interval + 1).unwrap();
	let trace = step_trace(spec, data, &mid).unwrap();
	let architecture = Job::from(spec).architecture().unwrap();
	assert_eq!(trace.len() as u32, step_trace_len(architecture).unwrap() + 1);
	assert_eq!(trace[0], mid.hash());
	assert_eq!(
		*trace.last().unwrap(),
		state_at_step(spec, data, &mid, interval + 2).unwrap().hash()
	);
}

/// CPU ticks (user and system) of each thread of this process named `prefix…`.
pub fn cpu_ticks_of_threads(prefix: &str) -> Vec<u64> {
	let mut ticks = Vec::new();
	for task in std::fs::read_dir("/proc/self/task").expect("procfs").flatten() {
		let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
		if comm.starts_with(prefix) {
			let stat = std::fs::read_to_string(task.path().join("stat")).expect("thread stat");
			let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
			ticks.push(fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap());
		}
	}
	ticks
}

/// CPU ticks a pool's threads work before their shares are compared.
pub const MEASURABLE_TICKS: u64 = 40;

/// Trains `spec` in rayon pools of one and of two threads named `{name}-one-…` and
/// `{name}-two-…`, and checks that both compute the same losses and final checkpoint and that
/// each of the two threads did a tenth of the work or more.
pub fn one_and_two_threads_agree(spec: &TaskSpec, data: &Dataset, name: &str) {
	// Linux keeps 15 bytes of a thread's name: the prefixes must fit whole.
	assert!(name.len() + "-two-0".len() <= 15, "{name} is too long a thread name");
	let in_pool = |threads: usize, name: String| {
		let pool = rayon::ThreadPoolBuilder::new()
			.num_threads(threads)
			.thread_name({
				let name = name.clone();
				move |i| format!("{name}{i}")
			})
			.build()
			.unwrap();
		let (run_losses, last) = pool.install(|| losses(spec, data));
		// Runs again until the pool has worked long enough for the tick counts to tell (a
		// release build trains the run in a few ticks).
		for _ in 0..1000 {
			if cpu_ticks_of_threads(&name).iter().sum::<u64>() >= MEASURABLE_TICKS {
				break;
			}
			assert_eq!(pool.install(|| losses(spec, data)).1, last, "the same run again");
		}
		let ticks = cpu_ticks_of_threads(&name);
		drop(pool);
		(run_losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>(), last.hash(), ticks)
	};
	let (alone, alone_hash, _) = in_pool(1, format!("{name}-one-"));
	let (shared, shared_hash, ticks) = in_pool(2, format!("{name}-two-"));
	assert_eq!((alone, alone_hash), (shared, shared_hash), "one thread and two agree");
	let total: u64 = ticks.iter().sum();
	println!("CPU ticks of the two pool threads: {ticks:?}");
	assert!(ticks.iter().all(|&t| t * 10 >= total), "both threads worked: {ticks:?}");
}

/// Windows of `context + 1` bytes, one every 8 bytes, of 8,000 bytes of synthetic text, and the
/// reference a task names them by.
pub fn text(context: u32) -> (Dataset, DatasetRef) {
	let text = SyntheticText { seed: 1, len: 8000 }.generate();
	let bytes = windows(&text, context, 8).expect("windows");
	let reference =
		cairn_train::dataset_ref(&bytes, Uri::truncate_from(b"http://127.0.0.1/text".to_vec()));
	(Dataset::from_bytes(&bytes, &reference).expect("the text windows"), reference)
}

/// A byte-level (vocabulary 256) GELU transformer over `context` tokens.
pub fn transformer(
	context: u32,
	width: u32,
	heads: u32,
	blocks: u32,
	feed_forward: u32,
) -> Architecture {
	Architecture::Transformer(Transformer {
		vocab: 256,
		context,
		width,
		heads,
		blocks,
		feed_forward,
		activation: Activation::Gelu,
	})
}
