//! Training throughput of cairn-train (burn, `flex` CPU backend) on the reference MLP (or, with
//! `--cnn`, the reference CNN 1x28x28-c8k3p-c8k3p-10 of the Fashion-MNIST workload), and the cost
//! of checkpointing (canonical encoding + BLAKE2b-256) as a share of training time.
//!
//! `cargo run --release --example bench -- --steps 500` (or `scripts/bench-training.sh`, which
//! also runs PyTorch on the same shape). Prints human-readable figures on stderr and
//! `key=value` lines on stdout.

use std::time::{Duration, Instant};

use cairn_primitives::{
	model::{Cnn, Conv},
	task::Uri,
	Activation, Architecture, BoundedVec, Mlp, ModelInit, Optimizer, TaskSpec, TrainingConfig,
	VerificationPolicy,
};
use cairn_train::{dataset_ref, Dataset, Synthetic, Trainer};
use clap::Parser;

/// Benchmark of deterministic training on synthetic data.
#[derive(Parser)]
struct Args {
	/// Timed optimizer steps (with --warmup, a multiple of --interval).
	#[arg(long, default_value_t = 500)]
	steps: u32,
	/// Untimed steps first, so allocators and caches are warm.
	#[arg(long, default_value_t = 100)]
	warmup: u32,
	/// Steps between checkpoints.
	#[arg(long, default_value_t = 100)]
	interval: u32,
	/// Samples per step.
	#[arg(long, default_value_t = 128)]
	batch: u32,
	/// Hidden layer widths.
	#[arg(long, value_delimiter = ',', default_value = "256,256")]
	hidden: Vec<u32>,
	/// Train the reference CNN on 28x28 inputs instead of the MLP.
	#[arg(long)]
	cnn: bool,
	/// Samples in the synthetic dataset.
	#[arg(long, default_value_t = 60_000)]
	samples: u32,
	/// Also write the synthetic dataset here (for the PyTorch baseline to train on the same data).
	#[arg(long)]
	dataset_out: Option<std::path::PathBuf>,
}

fn spec(args: &Args, dataset: &[u8]) -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"bench".to_vec()),
		license: BoundedVec::truncate_from(b"Apache-2.0".to_vec()),
		model: ModelInit::Fresh { architecture: architecture(args), init_seed: 1 },
		dataset: dataset_ref(dataset, Uri::default()),
		training: TrainingConfig {
			optimizer: Optimizer::adam(1e-3),
			batch_size: args.batch,
			steps: args.warmup + args.steps,
			data_order_seed: 2,
			checkpoint_interval: args.interval,
		},
		verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
	}
}

/// The network benchmarked: the reference CNN or the MLP of `--hidden`.
fn architecture(args: &Args) -> Architecture {
	if args.cnn {
		let conv = Conv { channels: 8, kernel: 3, pool: true };
		return Architecture::Cnn(Cnn {
			channels: 1,
			height: 28,
			width: 28,
			convs: BoundedVec::truncate_from(vec![conv, conv]),
			hidden: BoundedVec::default(),
			output: 10,
			activation: Activation::Relu,
		});
	}
	Architecture::Mlp(Mlp {
		input: 64,
		hidden: BoundedVec::truncate_from(args.hidden.clone()),
		output: 10,
		activation: Activation::Relu,
	})
}

/// A short description of the network benchmarked.
fn network_name(args: &Args) -> String {
	if args.cnn {
		return "CNN 1x28x28-c8k3p-c8k3p-10".into();
	}
	let hidden = args.hidden.iter().map(u32::to_string).collect::<Vec<_>>().join("-");
	format!("MLP 64-{hidden}-10")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
	if !cairn_train::alloc::retain_freed_memory() {
		eprintln!("warning: glibc refused to retain freed memory, so steps run slower");
	}
	let args = Args::parse();
	if args.interval == 0 || (args.warmup + args.steps) % args.interval != 0 {
		// A task's steps are a multiple of its checkpoint interval; the warm-up steps count.
		return Err("--warmup plus --steps must be a multiple of --interval".into());
	}
	let features = if args.cnn { 784 } else { 64 };
	let bytes = Synthetic { seed: 1, samples: args.samples, features, classes: 10 }.generate()?;
	if let Some(path) = &args.dataset_out {
		std::fs::write(path, &bytes)?;
	}
	let spec = spec(&args, &bytes);
	let dataset = Dataset::from_bytes(&bytes, &spec.dataset)?;

	let mut trainer = Trainer::new(&spec, &dataset)?;
	for _ in 0..args.warmup {
		trainer.step()?;
	}
	let (mut training, mut checkpointing) = (Duration::ZERO, Duration::ZERO);
	let (mut checkpoints, mut checkpoint_bytes, mut loss) = (0u32, 0usize, f32::NAN);
	while !trainer.is_finished() {
		let started = Instant::now();
		loss = trainer.step()?;
		training += started.elapsed();
		if trainer.current_step() % args.interval == 0 {
			let started = Instant::now();
			let checkpoint = trainer.checkpoint()?;
			checkpointing += started.elapsed();
			checkpoints += 1;
			checkpoint_bytes = checkpoint.bytes().len();
		}
	}

	let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into());
	let samples_per_second = f64::from(args.steps * args.batch) / training.as_secs_f64();
	let per_checkpoint = checkpointing.as_secs_f64() / f64::from(checkpoints.max(1));
	let share = checkpointing.as_secs_f64() / training.as_secs_f64();
	eprintln!(
		"burn flex: {}, Adam, batch {}, {} steps, rayon threads: {threads}",
		network_name(&args),
		args.batch,
		args.steps,
	);
	eprintln!(
		"  {samples_per_second:.0} samples/s ({:.3} ms/step), final loss {loss:.4}",
		1e3 * training.as_secs_f64() / f64::from(args.steps)
	);
	eprintln!(
		"  {checkpoints} checkpoints of {checkpoint_bytes} bytes every {} steps: {:.2} ms each, \
		 {:.2}% of training time",
		args.interval,
		1e3 * per_checkpoint,
		100.0 * share
	);
	println!("burn_samples_per_second={samples_per_second:.1}");
	println!("checkpoint_ms={:.3}", 1e3 * per_checkpoint);
	println!("checkpoint_bytes={checkpoint_bytes}");
	println!("checkpoint_share={share:.6}");
	Ok(())
}
