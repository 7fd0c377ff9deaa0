//! Task specs from command-line flags: `submit-task` and `train` share these flags, so a spec
//! trained offline is the spec posted on chain. The result is checked with the runtime's own
//! `TaskSpec::validate`, and every rejection names the flags to fix.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use cairn_primitives::{
	merkle::blake2_256, task::Uri, Architecture, BoundedVec, DatasetRef, Hash256, Label, ModelId,
	ModelInit, Optimizer, SpecError, TaskSpec, TrainingConfig, VerificationPolicy,
};
use clap::{Args, ValueEnum};

use super::{parse_hash, NetworkArgs};

/// Flags describing a training task.
#[derive(Debug, Args)]
pub struct SpecArgs {
	/// Name under which the trained model is registered.
	#[arg(long)]
	pub name: String,

	/// License of the trained model, as an SPDX expression such as Apache-2.0.
	#[arg(long, default_value = "")]
	pub license: String,

	/// The network (with --from-model: the parent's, to check its weights offline).
	#[command(flatten)]
	pub network: NetworkArgs,

	/// Seed of the initial weights.
	#[arg(long, default_value_t = 0)]
	pub init_seed: u64,

	/// Continue training registered model ID instead of a fresh network; the result is
	/// registered with ID as its parent.
	#[arg(long, value_name = "ID", conflicts_with = "init_seed")]
	pub from_model: Option<ModelId>,

	#[command(flatten)]
	pub dataset: DatasetArgs,

	/// Optimizer.
	#[arg(long, value_enum, default_value_t = OptimizerArg::Sgd)]
	pub optimizer: OptimizerArg,

	/// Learning rate [default: 0.05 for sgd, 0.001 for adam].
	#[arg(long)]
	pub learning_rate: Option<f32>,

	/// SGD momentum, in [0, 1) [default: 0 for sgd].
	#[arg(long)]
	pub momentum: Option<f32>,

	/// Adam's first-moment decay, in [0, 1) [default: 0.9 for adam].
	#[arg(long)]
	pub beta1: Option<f32>,

	/// Adam's second-moment decay, in [0, 1) [default: 0.999 for adam].
	#[arg(long)]
	pub beta2: Option<f32>,

	/// Adam's epsilon [default: 1e-8 for adam].
	#[arg(long)]
	pub epsilon: Option<f32>,

	/// Samples per optimizer step.
	#[arg(long, default_value_t = 32)]
	pub batch_size: u32,

	/// Optimizer steps in total; a multiple of --checkpoint-interval.
	#[arg(long)]
	pub steps: u32,

	/// Seed of the order in which samples are drawn.
	#[arg(long, default_value_t = 0)]
	pub data_order_seed: u64,

	/// Steps between checkpoints; each span between two is one verifiable segment.
	#[arg(long)]
	pub checkpoint_interval: u32,

	/// Verifiers drawn to check the result.
	#[arg(long, default_value_t = 2)]
	pub verifiers: u8,

	/// Segments each verifier re-executes (the first verifier also checks the run's endpoints).
	#[arg(long = "segments", default_value_t = 4)]
	pub segments_per_verifier: u8,
}

/// The dataset: a file whose hash and size are computed, or a hash and size given as such.
#[derive(Debug, Args)]
pub struct DatasetArgs {
	/// Dataset file in Cairn's format; its BLAKE2b-256 hash and size go into the spec.
	#[arg(long, value_name = "PATH", conflicts_with_all = ["dataset_hash", "dataset_size"])]
	pub dataset_file: Option<PathBuf>,

	/// BLAKE2b-256 of the dataset file (32 bytes as hex), with --dataset-size.
	#[arg(long, value_name = "HEX", value_parser = parse_hash, requires = "dataset_size")]
	pub dataset_hash: Option<Hash256>,

	/// Size of the dataset file in bytes, with --dataset-hash.
	#[arg(long, value_name = "BYTES", requires = "dataset_hash")]
	pub dataset_size: Option<u64>,

	/// Where solvers download the dataset (needed to post a task; at most 256 bytes).
	#[arg(long, value_name = "URI")]
	pub dataset_uri: Option<String>,
}

/// The optimizers a task may use, as spelled on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
	Sgd,
	Adam,
}

impl SpecArgs {
	/// The spec these flags describe, checked as the runtime checks it. With `require_uri`, a
	/// missing `--dataset-uri` is an error (solvers need it); otherwise it defaults to empty.
	pub fn spec(&self, require_uri: bool) -> anyhow::Result<TaskSpec> {
		let model = match (self.from_model, self.architecture()) {
			(Some(model), _) => ModelInit::FromRegistry { model },
			(None, Some(architecture)) => {
				ModelInit::Fresh { architecture: architecture?, init_seed: self.init_seed }
			},
			(None, None) => bail!(
				"name the model: --mlp WIDTHS, --cnn LAYERS, --transformer SHAPE or --from-model ID"
			),
		};
		let spec = TaskSpec {
			name: label("--name", &self.name)?,
			license: label("--license", &self.license)?,
			model,
			dataset: self.dataset.reference(require_uri)?,
			training: TrainingConfig {
				optimizer: self.optimizer()?,
				batch_size: self.batch_size,
				steps: self.steps,
				data_order_seed: self.data_order_seed,
				checkpoint_interval: self.checkpoint_interval,
			},
			verification: VerificationPolicy {
				verifiers: self.verifiers,
				segments_per_verifier: self.segments_per_verifier,
			},
		};
		spec.validate().map_err(|error| explain(error, &spec))?;
		Ok(spec)
	}

	/// The network of `--mlp`, `--cnn` or `--transformer` and `--activation`, when one is given.
	pub fn architecture(&self) -> Option<anyhow::Result<Architecture>> {
		self.network.architecture()
	}

	/// The spec of a task to post: one the chain accepts, whose segments have a middle step for
	/// verifiers to witness (`--checkpoint-interval` of 2 or more).
	pub fn task_spec(&self) -> anyhow::Result<TaskSpec> {
		let spec = self.spec(true)?;
		anyhow::ensure!(
			spec.training.checkpoint_interval >= 2,
			"--checkpoint-interval must be at least 2 for a task: verifiers witness the state in \
			 the middle of every segment"
		);
		Ok(spec)
	}

	/// The optimizer with its hyper-parameters as `f32` bit patterns. Flags of the other
	/// optimizer are refused rather than ignored.
	fn optimizer(&self) -> anyhow::Result<Optimizer> {
		let bits = |value: Option<f32>, default: f32| value.unwrap_or(default).to_bits();
		match self.optimizer {
			OptimizerArg::Sgd => {
				if self.beta1.is_some() || self.beta2.is_some() || self.epsilon.is_some() {
					bail!("--beta1, --beta2 and --epsilon are Adam's: pass --optimizer adam");
				}
				Ok(Optimizer::sgd(self.learning_rate.unwrap_or(0.05), self.momentum.unwrap_or(0.0)))
			},
			OptimizerArg::Adam => {
				if self.momentum.is_some() {
					bail!("--momentum is SGD's: Adam takes --beta1 and --beta2");
				}
				Ok(Optimizer::Adam {
					learning_rate_bits: bits(self.learning_rate, 0.001),
					beta1_bits: bits(self.beta1, 0.9),
					beta2_bits: bits(self.beta2, 0.999),
					epsilon_bits: bits(self.epsilon, 1e-8),
				})
			},
		}
	}
}

impl DatasetArgs {
	/// The dataset reference: hash and size of `--dataset-file`, or `--dataset-hash` and
	/// `--dataset-size`, and `--dataset-uri`.
	fn reference(&self, require_uri: bool) -> anyhow::Result<DatasetRef> {
		let (hash, size) = match (&self.dataset_file, self.dataset_hash, self.dataset_size) {
			(Some(path), _, _) => hash_file(path)?,
			(None, Some(hash), Some(size)) => (hash, size),
			_ => {
				bail!("name the dataset: --dataset-file PATH, or --dataset-hash and --dataset-size")
			},
		};
		let uri = match &self.dataset_uri {
			Some(uri) => uri.as_str(),
			None if require_uri => {
				bail!("--dataset-uri is needed: solvers download the dataset from there")
			},
			None => "",
		};
		let uri = Uri::try_from(uri.as_bytes().to_vec()).map_err(|_| {
			anyhow!(
				"--dataset-uri is {} bytes long; at most {} are allowed",
				uri.len(),
				cairn_primitives::task::MAX_URI_LEN
			)
		})?;
		Ok(DatasetRef { hash, size, uri })
	}
}

/// BLAKE2b-256 and size of a file.
fn hash_file(path: &Path) -> anyhow::Result<(Hash256, u64)> {
	let bytes = std::fs::read(path)
		.with_context(|| format!("cannot read the dataset file {}", path.display()))?;
	Ok((blake2_256(&bytes), bytes.len() as u64))
}

/// A bounded label from a flag.
fn label(flag: &str, text: &str) -> anyhow::Result<Label> {
	BoundedVec::try_from(text.as_bytes().to_vec()).map_err(|_| {
		anyhow!(
			"{flag} is {} bytes long; at most {} are allowed",
			text.len(),
			cairn_primitives::task::MAX_LABEL_LEN
		)
	})
}

/// Why the runtime would refuse `spec`, in terms of flags.
fn explain(error: SpecError, spec: &TaskSpec) -> anyhow::Error {
	use cairn_primitives::task::{
		max_batch_size, MAX_BATCH_SIZE, MAX_CHECKPOINTS, MAX_EXACT_DIMENSION,
		MAX_SEGMENTS_PER_VERIFIER, MAX_VERIFIERS,
	};
	match error {
		SpecError::Name => anyhow!("--name must not be empty"),
		SpecError::Architecture => anyhow!(
			"--mlp must describe a valid MLP whose widths are at most {MAX_EXACT_DIMENSION}, and \
             --cnn a valid CNN whose flattened features, dense widths and convolution inputs \
             (channels x kernel x kernel) are at most {MAX_EXACT_DIMENSION}, and --transformer \
             a valid transformer whose context, feed-forward width and 3 x width are at most \
             {MAX_EXACT_DIMENSION} (larger matrix products are not computed bit-exactly across \
             machines)"
		),
		SpecError::Dataset => anyhow!("the dataset is empty (size 0)"),
		SpecError::Training => anyhow!(
			"--batch-size must be 1 to {} ({MAX_BATCH_SIZE}, or for a transformer \
             {MAX_EXACT_DIMENSION} tokens: {MAX_EXACT_DIMENSION} / context sequences), --steps and \
             --checkpoint-interval positive, and --steps a multiple of --checkpoint-interval",
			match &spec.model {
				ModelInit::Fresh { architecture, .. } => max_batch_size(architecture),
				ModelInit::FromRegistry { .. } => MAX_BATCH_SIZE,
			}
		),
		SpecError::TooManyCheckpoints => anyhow!(
			"--steps / --checkpoint-interval gives {} checkpoints; at most {MAX_CHECKPOINTS} are \
             allowed",
			spec.training.checkpoint_count()
		),
		SpecError::Verification => anyhow!(
			"--verifiers must be 1 to {MAX_VERIFIERS} and --segments 1 to \
             {MAX_SEGMENTS_PER_VERIFIER}"
		),
		SpecError::Optimizer => anyhow!(
			"--learning-rate and --epsilon must be finite and positive; --momentum, --beta1 and \
             --beta2 must be in [0, 1)"
		),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::cli::{Cli, Command};
	use cairn_primitives::Architecture;
	use clap::Parser;

	const HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

	/// Parses `train` flags after the given dataset and training flags.
	fn spec_args(extra: &[&str]) -> Result<SpecArgs, clap::Error> {
		let mut argv = vec!["cairn-worker", "train", "--dir", "/tmp/x", "--name", "digits"];
		argv.extend_from_slice(&["--mlp", "64-32-10"]);
		argv.extend_from_slice(extra);
		match Cli::try_parse_from(argv)?.command {
			Command::Train(args) => Ok(args.spec),
			_ => unreachable!("parsed train"),
		}
	}

	fn hashed(extra: &[&str]) -> Vec<String> {
		let mut argv: Vec<String> =
			["--dataset-hash", HASH, "--dataset-size", "100"].map(String::from).to_vec();
		argv.extend(extra.iter().map(|s| s.to_string()));
		argv
	}

	fn spec(extra: &[&str]) -> anyhow::Result<TaskSpec> {
		let argv = hashed(extra);
		let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
		spec_args(&argv).map_err(anyhow::Error::from)?.spec(false)
	}

	#[test]
	fn a_transformer_batch_is_bounded_in_tokens() {
		let argv = |batch: &'static str| {
			let mut argv = vec!["cairn-worker", "train", "--dir", "/tmp/x", "--name", "bytes"];
			argv.extend(["--transformer", "v256-t64-d64-h4-b2-f256", "--activation", "gelu"]);
			argv.extend(["--dataset-hash", HASH, "--dataset-size", "100", "--batch-size", batch]);
			argv.extend(["--steps", "40", "--checkpoint-interval", "10"]);
			match Cli::try_parse_from(argv).unwrap().command {
				Command::Train(args) => args.spec.spec(false),
				_ => unreachable!("parsed train"),
			}
		};
		assert!(argv("8").is_ok());
		let error = argv("9").unwrap_err().to_string();
		assert!(error.contains("--batch-size must be 1 to 8"), "{error}");
	}

	#[test]
	fn flags_become_a_valid_spec_with_f32_bit_patterns() {
		let spec = spec(&[
			"--steps",
			"40",
			"--checkpoint-interval",
			"10",
			"--learning-rate",
			"0.1",
			"--momentum",
			"0.9",
			"--init-seed",
			"7",
			"--data-order-seed",
			"3",
			"--batch-size",
			"16",
			"--verifiers",
			"2",
			"--segments",
			"3",
			"--activation",
			"tanh",
			"--license",
			"MIT",
		])
		.unwrap();
		assert_eq!(spec.name.to_vec(), b"digits");
		assert_eq!(spec.license.to_vec(), b"MIT");
		let ModelInit::Fresh { architecture: Architecture::Mlp(mlp), init_seed } = &spec.model
		else {
			panic!("not a fresh MLP")
		};
		assert_eq!((mlp.input, mlp.hidden.to_vec(), mlp.output), (64, vec![32], 10));
		assert_eq!(*init_seed, 7);
		assert_eq!(spec.dataset.hash, [0x11; 32]);
		assert_eq!(spec.dataset.size, 100);
		assert!(spec.dataset.uri.is_empty());
		assert_eq!(
			spec.training,
			TrainingConfig {
				optimizer: Optimizer::Sgd {
					learning_rate_bits: 0x3dcc_cccd,
					momentum_bits: 0x3f66_6666,
				},
				batch_size: 16,
				steps: 40,
				data_order_seed: 3,
				checkpoint_interval: 10,
			}
		);
		assert_eq!(
			spec.verification,
			VerificationPolicy { verifiers: 2, segments_per_verifier: 3 }
		);
	}

	#[test]
	fn adam_defaults_and_its_flags() {
		let spec = spec(&[
			"--steps",
			"10",
			"--checkpoint-interval",
			"5",
			"--optimizer",
			"adam",
			"--beta2",
			"0.99",
		])
		.unwrap();
		assert_eq!(
			spec.training.optimizer,
			Optimizer::Adam {
				learning_rate_bits: 0.001f32.to_bits(),
				beta1_bits: 0.9f32.to_bits(),
				beta2_bits: 0.99f32.to_bits(),
				epsilon_bits: 1e-8f32.to_bits(),
			}
		);
	}

	#[test]
	fn refusals_name_the_flags() {
		for (extra, expected) in [
			(
				&["--steps", "45", "--checkpoint-interval", "10"][..],
				"multiple of --checkpoint-interval",
			),
			(&["--steps", "2000", "--checkpoint-interval", "1"], "gives 2001 checkpoints"),
			(
				&["--steps", "10", "--checkpoint-interval", "5", "--learning-rate=-1"],
				"--learning-rate",
			),
			(&["--steps", "10", "--checkpoint-interval", "5", "--momentum", "1"], "--momentum"),
			(
				&["--steps", "10", "--checkpoint-interval", "5", "--beta1", "0.5"],
				"pass --optimizer adam",
			),
			(
				&["--steps", "10", "--checkpoint-interval", "5", "--verifiers", "0"],
				"--verifiers must be",
			),
		] {
			let error = spec(extra).unwrap_err().to_string();
			assert!(error.contains(expected), "{extra:?}: {error}");
		}
	}

	#[test]
	fn the_dataset_comes_from_a_file_or_a_hash_and_size() {
		let path = std::env::temp_dir().join(format!("cairn-worker-data-{}", std::process::id()));
		std::fs::write(&path, b"some dataset bytes").unwrap();
		let args = spec_args(&[
			"--dataset-file",
			path.to_str().unwrap(),
			"--dataset-uri",
			"http://example.org/d",
			"--steps",
			"10",
			"--checkpoint-interval",
			"10",
		])
		.unwrap();
		let spec = args.spec(true);
		std::fs::remove_file(&path).unwrap();
		let spec = spec.unwrap();
		assert_eq!(spec.dataset.hash, blake2_256(b"some dataset bytes"));
		assert_eq!(spec.dataset.size, 18);
		assert_eq!(spec.dataset.uri.to_vec(), b"http://example.org/d");

		let no_dataset = spec_args(&["--steps", "10", "--checkpoint-interval", "10"]).unwrap();
		assert!(no_dataset.spec(false).unwrap_err().to_string().contains("name the dataset"));
		let no_uri = spec_args(
			&hashed(&["--steps", "10", "--checkpoint-interval", "10"])
				.iter()
				.map(String::as_str)
				.collect::<Vec<_>>(),
		)
		.unwrap();
		assert!(no_uri.spec(true).unwrap_err().to_string().contains("--dataset-uri is needed"));
		let argv = hashed(&["--dataset-uri", "http://example.org/d", "--steps", "10"]);
		let mut argv: Vec<&str> = argv.iter().map(String::as_str).collect();
		argv.extend(["--checkpoint-interval", "1"]);
		let every_step = spec_args(&argv).unwrap();
		assert!(every_step.spec(true).is_ok(), "trainable offline");
		let refused = every_step.task_spec().unwrap_err().to_string();
		assert!(refused.contains("--checkpoint-interval must be at least 2"), "{refused}");
		assert!(spec_args(&["--dataset-hash", HASH, "--steps", "1", "--checkpoint-interval", "1"])
			.is_err());
		assert!(spec_args(&[
			"--dataset-file",
			"x",
			"--dataset-hash",
			HASH,
			"--dataset-size",
			"1",
			"--steps",
			"1",
			"--checkpoint-interval",
			"1"
		])
		.is_err());
	}

	#[test]
	fn from_model_posts_a_continuation_and_needs_no_mlp() {
		let parse = |extra: &[&str]| {
			let mut argv = vec!["cairn-worker", "submit-task", "--name", "more", "--reward", "1"];
			argv.extend(["--dataset-hash", HASH, "--dataset-size", "100", "--dataset-uri", "u"]);
			argv.extend(["--steps", "10", "--checkpoint-interval", "5"]);
			argv.extend_from_slice(extra);
			match Cli::try_parse_from(argv)?.command {
				Command::SubmitTask(args) => Ok::<_, clap::Error>(args.spec),
				_ => unreachable!("parsed submit-task"),
			}
		};
		let spec = parse(&["--from-model", "3"]).unwrap().task_spec().unwrap();
		assert_eq!(spec.model, ModelInit::FromRegistry { model: 3 });
		let unnamed = parse(&[]).unwrap().task_spec().unwrap_err();
		assert!(unnamed
			.to_string()
			.contains("--mlp WIDTHS, --cnn LAYERS, --transformer SHAPE or --from-model ID"));
		assert!(parse(&["--from-model", "3", "--init-seed", "1"]).is_err(), "a seed is moot");
	}
}
