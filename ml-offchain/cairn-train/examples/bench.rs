//! Training throughput of cairn-train (burn, `flex` CPU backend) on the reference MLP (or, with
//! `--cnn`, the reference CNN 1x28x28-c8k3p-c8k3p-10 of the Fashion-MNIST workload; with
//! `--transformer`, the reference byte-level transformer: 64 tokens, width 64, 4 heads, 2 blocks,
//! feed-forward 256, GELU, on windows of synthetic text), and the cost of checkpointing
//! (canonical encoding + BLAKE2b-256) as a share of training time.
//!
//! `cargo run --release --example bench -- --steps 500` (or `scripts/bench-training.sh`, which
//! also runs PyTorch on the same shape). Prints human-readable figures on stderr and
//! `key=value` lines on stdout.

use std::time::{Duration, Instant};

use cairn_primitives::{
	model::{Cnn, Conv},
	task::Uri,
	Activation, Architecture, BoundedVec, Mlp, ModelInit, Optimizer, TaskSpec, TrainingConfig,
	Transformer, VerificationPolicy,
};
use cairn_train::{dataset_ref, windows, Dataset, Synthetic, SyntheticText, Trainer};
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
	/// Samples per step (windows for the transformer, whose default is 8).
	#[arg(long)]
	batch: Option<u32>,
	/// Hidden layer widths.
	#[arg(long, value_delimiter = ',', default_value = "256,256")]
	hidden: Vec<u32>,
	/// Train the reference CNN on 28x28 inputs instead of the MLP.
	#[arg(long, conflicts_with = "transformer")]
	cnn: bool,
	/// Train the reference transformer on windows of synthetic text instead of the MLP.
	#[arg(long)]
	transformer: bool,
	/// Samples in the synthetic dataset (windows of 65 bytes, one after the other, for the
	/// transformer).
	#[arg(long, default_value_t = 60_000)]
	samples: u32,
	/// Also write the synthetic dataset here (for the PyTorch baseline to train on the same data).
	#[arg(long)]
	dataset_out: Option<std::path::PathBuf>,
}

/// Tokens per window of the reference transformer.
const CONTEXT: u32 = 64;

impl Args {
	/// Samples per step.
	fn batch(&self) -> u32 {
		self.batch.unwrap_or(if self.transformer { 8 } else { 128 })
	}

	/// The synthetic dataset's bytes.
	fn dataset(&self) -> Result<Vec<u8>, cairn_train::DatasetError> {
		if self.transformer {
			let window = CONTEXT as usize + 1;
			let text = SyntheticText { seed: 1, len: self.samples as usize * window }.generate();
			return windows(&text, CONTEXT, CONTEXT + 1);
		}
		let features = if self.cnn { 784 } else { 64 };
		Synthetic { seed: 1, samples: self.samples, features, classes: 10 }.generate()
	}
}

fn spec(args: &Args, dataset: &[u8]) -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"bench".to_vec()),
		license: BoundedVec::truncate_from(b"Apache-2.0".to_vec()),
		model: ModelInit::Fresh { architecture: architecture(args), init_seed: 1 },
		dataset: dataset_ref(dataset, Uri::default()),
		training: TrainingConfig {
			optimizer: Optimizer::adam(1e-3),
			batch_size: args.batch(),
			steps: args.warmup + args.steps,
			data_order_seed: 2,
			checkpoint_interval: args.interval,
		},
		verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
	}
}

/// The network benchmarked: the reference CNN or transformer, or the MLP of `--hidden`.
fn architecture(args: &Args) -> Architecture {
	if args.transformer {
		return Architecture::Transformer(Transformer {
			vocab: 256,
			context: CONTEXT,
			width: 64,
			heads: 4,
			blocks: 2,
			feed_forward: 256,
			activation: Activation::Gelu,
		});
	}
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
	if args.transformer {
		return format!(
			"transformer vocabulary 256, context {CONTEXT}, width 64, 4 heads, 2 blocks, ff 256, GELU"
		);
	}
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
	let bytes = args.dataset()?;
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
	let samples_per_second = f64::from(args.steps * args.batch()) / training.as_secs_f64();
	let per_checkpoint = checkpointing.as_secs_f64() / f64::from(checkpoints.max(1));
	let share = checkpointing.as_secs_f64() / training.as_secs_f64();
	eprintln!(
		"burn flex: {}, Adam, batch {}, {} steps, rayon threads: {threads}",
		network_name(&args),
		args.batch(),
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
	if args.transformer {
		// Every position of every window is a prediction.
		let tokens_per_second = samples_per_second * f64::from(CONTEXT);
		eprintln!("  {tokens_per_second:.0} tokens/s");
		println!("burn_tokens_per_second={tokens_per_second:.1}");
	}
	println!("checkpoint_ms={:.3}", 1e3 * per_checkpoint);
	println!("checkpoint_bytes={checkpoint_bytes}");
	println!("checkpoint_share={share:.6}");
	Ok(())
}
