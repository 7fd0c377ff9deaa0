//! Command-line interface: flags, environment variables and their parsing. Task-spec flags, which
//! `submit-task` and `train` share, are in [`spec`].

mod spec;

use std::{net::SocketAddr, path::PathBuf};

use anyhow::{anyhow, bail, Context};
use cairn_primitives::{
	model::{Cnn, Conv, Transformer},
	Activation, Architecture, BoundedVec, Hash256, Mlp, ModelId, TaskId,
};
use cairn_train::client::AddressPolicy;
use clap::{Args, Parser, Subcommand, ValueEnum};
use subxt_signer::SecretString;

pub use spec::SpecArgs;

/// Cairn's off-chain worker: posts and solves training tasks on the Cairn chain, trains and
/// replays offline, and registers models.
///
/// Logs go to stderr (filter with RUST_LOG, for example RUST_LOG=debug); results go to stdout.
#[derive(Debug, Parser)]
#[command(name = "cairn-worker", version)]
pub struct Cli {
	/// WebSocket RPC endpoint of a Cairn node (ws:// is accepted for loopback addresses only).
	#[arg(long, global = true, env = "CAIRN_NODE_WS", default_value = "ws://127.0.0.1:9944")]
	pub url: String,

	#[command(subcommand)]
	pub command: Command,
}

/// What the worker should do.
#[derive(Debug, Subcommand)]
pub enum Command {
	/// Print the chain, its best and finalized blocks, every registered model, and every live
	/// task with the state of its verification (round, phase, targets, each verifier's check).
	Inspect,
	/// Register a model by the hash of its weights, as the account of a secret URI.
	RegisterModel(Box<RegisterModelArgs>),
	/// Post a training task from flags, escrowing its reward; prints the task id.
	///
	/// Only fresh MLPs can be posted from flags. Hyper-parameters are written as decimals and
	/// sent as the bit patterns of the nearest IEEE-754 f32, the form the chain stores. The spec
	/// is checked with the runtime's rules before anything is sent; a pallet error is printed by
	/// name (for example Tasks.RewardBelowPriceFloor) and exits with status 1.
	SubmitTask(Box<SubmitTaskArgs>),
	/// Train a task spec offline on a dataset file: checkpoints go into DIR/artifacts, their
	/// hashes and Merkle root into DIR/run.json (no chain needed).
	///
	/// Takes the flags of submit-task (the same flags give the same spec and so the same
	/// checkpoints as a solver's), with --dataset-file. Prints every checkpoint hash, the Merkle
	/// root a solver would commit, the final weights hash and the held-out accuracy. Started again
	/// on a DIR holding an unfinished run of the same spec, it resumes from its last checkpoint.
	Train(Box<TrainArgs>),
	/// Print the canonical weights hash of a weights file (safetensors, or Cairn's own CAIRNWTS
	/// encoding) and its layer widths: the hash a model is registered under, whichever file
	/// carries the weights.
	WeightsHash(WeightsHashArgs),
	/// Write a model's weights as safetensors (each weight [out, in], as PyTorch's Linear stores
	/// it; the architecture and the weights hash in the header's metadata).
	///
	/// --model ID fetches a registered model from where its record says (a Cairn artifact
	/// server, as for every trained model, or a weights file's URL) and checks it against the
	/// on-chain hash and architecture; --dir DIR takes the final weights of a `train --dir` run.
	Export(ExportArgs),
	/// Re-execute one segment of a training run offline (checkpoint i to i+1) and compare hashes.
	///
	/// Prints both hashes and "match", or "MISMATCH" with exit status 1.
	Replay(ReplayArgs),
	/// Serve the protocol as a provider: register, follow finalized blocks, claim, train, commit.
	///
	/// As a solver: registers with the solver role, the detected hardware profile and the
	/// minimum bond unless already registered; serves WORK/artifacts over HTTP
	/// (GET /artifacts/<hex>, GET /tasks/<id>/checkpoints); claims open tasks it can train (MLPs,
	/// fresh or continuing a registered model whose weights it fetched and checked, whose
	/// dataset is in its store or downloadable and matches its hash), one at a time;
	/// commits the checkpoint root with --public-url as the artifacts URI; posts on chain the
	/// leaves verifiers say they could not fetch. Its per-task records in WORK/tasks let a
	/// restarted solver resume training from its last checkpoint and commit exactly once.
	///
	/// As a verifier: registers with the verifier role; for every check it is drawn for,
	/// recomputes its targets (fetching the solver's checkpoints and proofs, checked against the
	/// committed root), writes the findings and a secret salt to WORK/checks, commits, and
	/// reveals in the reveal phase, also after a restart.
	///
	/// Both reconnect to the node with backoff; SIGINT or SIGTERM stops them.
	Run(Box<RunArgs>),
}

/// Flags of `submit-task`.
#[derive(Debug, Args)]
pub struct SubmitTaskArgs {
	#[command(flatten)]
	pub spec: SpecArgs,

	/// Reward in CAIRN (decimals allowed, 12 places at most), escrowed until settlement.
	#[arg(long, value_name = "CAIRN", value_parser = parse_amount)]
	pub reward: u128,

	#[command(flatten)]
	pub key: KeyArgs,
}

/// Flags of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
	#[command(flatten)]
	pub spec: SpecArgs,

	/// Output directory: checkpoints are stored in DIR/artifacts, the run in DIR/run.json.
	#[arg(long, value_name = "DIR")]
	pub dir: PathBuf,

	/// With --from-model: the parent's weights (safetensors or CAIRNWTS). Its architecture is
	/// --mlp and --activation, or else the one a Cairn export names in its metadata.
	#[arg(long, value_name = "FILE", requires = "from_model")]
	pub parent: Option<PathBuf>,
}

/// Flags of `weights-hash`.
#[derive(Debug, Args)]
pub struct WeightsHashArgs {
	/// A safetensors or CAIRNWTS file.
	pub file: PathBuf,
}

/// Flags of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
	/// Id of a registered model.
	#[arg(long, value_name = "ID", required_unless_present = "dir", conflicts_with = "dir")]
	pub model: Option<ModelId>,

	/// A `train --dir` directory holding a finished run.
	#[arg(long, value_name = "DIR")]
	pub dir: Option<PathBuf>,

	/// The safetensors file to write.
	#[arg(long, value_name = "FILE")]
	pub out: PathBuf,

	#[command(flatten)]
	pub addresses: AddressArgs,
}

/// Flags of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
	/// A `train --dir` directory, or a solver's `run --work-dir` with --task.
	#[arg(long, value_name = "DIR")]
	pub dir: PathBuf,

	/// Replay a task a solver trained in DIR (its record is DIR/tasks/ID.json).
	#[arg(long, value_name = "ID")]
	pub task: Option<TaskId>,

	/// The dataset file the run trained on (checked against the spec's hash).
	#[arg(long, value_name = "PATH")]
	pub dataset_file: PathBuf,

	/// Segment to replay: from checkpoint SEGMENT to checkpoint SEGMENT + 1.
	#[arg(long)]
	pub segment: u32,
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
	/// Protocol role to serve.
	#[arg(long, value_enum)]
	pub role: RoleArg,

	#[command(flatten)]
	pub key: KeyArgs,

	/// Directory of the worker's state: DIR/artifacts (the artifact store) and DIR/tasks (one
	/// record per task, so that a restarted worker resumes where it stopped).
	#[arg(long, value_name = "DIR")]
	pub work_dir: PathBuf,

	/// Address the artifact server listens on.
	#[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8700")]
	pub listen: SocketAddr,

	/// Base URL under which verifiers reach the artifact server (`http` or `https`), committed
	/// on chain as the artifacts URI. Required for the solver role: the listen address is
	/// rarely where others reach it, and a wrong URI on chain makes every check of the
	/// solver's results fail, at the solver's cost.
	#[arg(long, value_name = "URL")]
	pub public_url: Option<String>,

	/// Solver only: requests the artifact server serves at once (at most one per connection, of
	/// which it keeps 256 open); more are answered at once with 503 and Retry-After.
	#[arg(
		long,
		value_name = "COUNT",
		default_value_t = cairn_train::server::DEFAULT_MAX_REQUESTS,
		value_parser = parse_max_requests
	)]
	pub max_requests: usize,

	/// Dataset file to import into the artifact store at start (repeatable): tasks naming its
	/// hash are then served without downloading it.
	#[arg(long, value_name = "PATH")]
	pub dataset_file: Vec<PathBuf>,

	/// Bond to hold when registering as a provider, in CAIRN [default: the role's minimum].
	#[arg(long, value_name = "CAIRN", value_parser = parse_amount)]
	pub bond: Option<u128>,

	/// Largest dataset a solver downloads: tasks declaring more are refused before anything is
	/// fetched (1 GiB by default).
	#[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
	pub max_dataset_bytes: u64,

	/// Address to serve Prometheus metrics on (`GET /metrics`): tasks by phase, training steps
	/// and throughput, bytes served, the last finalized block and its age [default: none].
	#[arg(long, value_name = "ADDR")]
	pub metrics_listen: Option<SocketAddr>,

	#[command(flatten)]
	pub addresses: AddressArgs,

	/// Whistleblower only: the probability of re-executing a check's witnesses (each check is
	/// drawn on its own, from a seed nobody else knows).
	#[arg(long, value_name = "PROBABILITY", default_value_t = 1.0)]
	pub watch: f64,

	/// Solver only, test builds only (feature `dishonest`): commit a run cheated this way.
	#[cfg(feature = "dishonest")]
	#[arg(long, value_enum)]
	pub cheat: Option<crate::solver::cheat::Cheat>,

	/// Verifier only, test builds only (feature `dishonest`): vouch for the solver's values,
	/// computing nothing (`lazy`, witnesses made up) or replaying (`bribed`).
	#[cfg(feature = "dishonest")]
	#[arg(long, value_enum)]
	pub dishonest: Option<crate::verifier::dishonest::Dishonesty>,
}

/// Which hosts the worker's downloads may reach.
#[derive(Debug, Args)]
pub struct AddressArgs {
	/// Let downloads reach loopback, private, link-local and other non-public addresses, as on
	/// a development chain whose artifacts are served from this machine or its network. Off by
	/// default: dataset and artifact URIs are chosen by others (a task's poster, a solver), and
	/// could otherwise point this worker at services on its own network.
	#[arg(long)]
	pub allow_private_addresses: bool,
}

impl AddressArgs {
	/// The address policy of the worker's downloads.
	pub fn policy(&self) -> AddressPolicy {
		if self.allow_private_addresses {
			AddressPolicy::AllowPrivate
		} else {
			AddressPolicy::PublicOnly
		}
	}
}

/// The roles `run` can serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
	/// Claims, trains and commits tasks; serves its checkpoints; answers availability challenges.
	Solver,
	/// Re-executes the targets it is drawn for; commits, then reveals, what it computed.
	Verifier,
	/// Re-executes verifiers' witnesses in their challenge window and challenges wrong ones.
	Whistleblower,
}

/// Flags of `register-model`.
#[derive(Debug, Args)]
pub struct RegisterModelArgs {
	/// Hash of the weights' canonical encoding: 32 bytes as hex, with or without 0x.
	#[arg(
		long,
		value_parser = parse_hash,
		required_unless_present = "weights_file",
		conflicts_with = "weights_file"
	)]
	pub weights_hash: Option<Hash256>,

	/// The weights themselves (safetensors or CAIRNWTS): their hash is computed and their shapes
	/// checked against --mlp.
	#[arg(long, value_name = "FILE")]
	pub weights_file: Option<PathBuf>,

	/// Human-readable name of the model.
	#[arg(long)]
	pub name: String,

	#[command(flatten)]
	pub network: NetworkArgs,

	/// Id of the registered model these weights were derived from.
	#[arg(long)]
	pub parent: Option<ModelId>,

	/// Hash of the training dataset: 32 bytes as hex, with or without 0x.
	#[arg(long, value_parser = parse_hash)]
	pub dataset: Option<Hash256>,

	/// Where the weights, model card and training recipe can be found.
	#[arg(long, default_value = "")]
	pub uri: String,

	/// License of the weights, as an SPDX expression such as Apache-2.0.
	#[arg(long, default_value = "")]
	pub license: String,

	#[command(flatten)]
	pub key: KeyArgs,
}

/// Where the signing key comes from: `--suri`, else `--suri-file`, else the environment variable
/// `CAIRN_SURI`. The secret is never printed, logged or echoed in errors.
#[derive(Debug, Args)]
pub struct KeyArgs {
	/// sr25519 secret URI of the signing account, for example //Alice on a dev chain [default: env
	/// CAIRN_SURI]. Prefer the variable or --suri-file: command lines are visible to other users.
	#[arg(long, value_parser = parse_secret, conflicts_with = "suri_file")]
	pub suri: Option<SecretString>,

	/// File whose first line is the sr25519 secret URI of the signing account.
	#[arg(long, value_name = "PATH")]
	pub suri_file: Option<std::path::PathBuf>,
}

/// Environment variable holding the signing account's secret URI.
const SURI_VAR: &str = "CAIRN_SURI";

/// The activations an MLP may use, as spelled on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ActivationArg {
	Relu,
	Tanh,
	Gelu,
}

/// The network a model is: `--mlp`, `--cnn` or `--transformer`, with `--activation`.
#[derive(Debug, Args)]
pub struct NetworkArgs {
	/// Layer widths of an MLP from input to output, for example 64-32-10.
	#[arg(long, value_name = "WIDTHS", conflicts_with_all = ["cnn", "transformer"])]
	pub mlp: Option<String>,

	/// A convolutional network: the input CxHxW, each convolution as c<channels>k<kernel> (with
	/// `p` for a 2x2 max-pool after it), then the dense widths down to the output, for example
	/// 1x28x28-c8k3p-c16k3p-10.
	#[arg(long, value_name = "LAYERS", conflicts_with = "transformer")]
	pub cnn: Option<String>,

	/// A decoder-only transformer language model: v<vocab>-t<context>-d<width>-h<heads>-
	/// b<blocks>-f<feed-forward width>, for example v256-t64-d64-h4-b2-f256 (bytes, 64 tokens
	/// of context, width 64, 4 heads, 2 blocks, feed-forward 256; use --activation gelu as
	/// GPT-2 does).
	#[arg(long, value_name = "SHAPE")]
	pub transformer: Option<String>,

	/// Non-linearity after each hidden layer (each convolution, each feed-forward layer).
	#[arg(long, value_enum, default_value_t = ActivationArg::Relu)]
	pub activation: ActivationArg,
}

impl NetworkArgs {
	/// The network of `--mlp`, `--cnn` or `--transformer` and `--activation`, checked by the
	/// runtime's rules, if one is given.
	pub fn architecture(&self) -> Option<anyhow::Result<Architecture>> {
		match (&self.mlp, &self.cnn, &self.transformer) {
			(Some(mlp), ..) => Some(mlp_architecture(mlp, self.activation)),
			(None, Some(cnn), _) => Some(cnn_architecture(cnn, self.activation)),
			(None, None, Some(shape)) => Some(transformer_architecture(shape, self.activation)),
			(None, None, None) => None,
		}
	}
}

impl RegisterModelArgs {
	/// The network of `--mlp`, `--cnn` or `--transformer`, checked by the same rules as the
	/// runtime.
	pub fn architecture(&self) -> anyhow::Result<Architecture> {
		self.network.architecture().unwrap_or_else(|| {
			Err(anyhow!("name the network: --mlp WIDTHS, --cnn LAYERS or --transformer SHAPE"))
		})
	}
}

/// The MLP described by `--mlp` widths and `--activation`, checked by the runtime's rules.
pub fn mlp_architecture(mlp: &str, activation: ActivationArg) -> anyhow::Result<Architecture> {
	let widths = parse_widths(mlp)?;
	let [input, hidden @ .., output] = widths.as_slice() else {
		bail!("--mlp needs at least an input and an output width, for example 64-10");
	};
	let hidden = BoundedVec::try_from(hidden.to_vec()).map_err(|_| {
		anyhow!(
			"--mlp has {} hidden layers; at most {} are allowed",
			hidden.len(),
			cairn_primitives::model::MAX_HIDDEN_LAYERS
		)
	})?;
	let architecture = Architecture::Mlp(Mlp {
		input: *input,
		hidden,
		output: *output,
		activation: activation.into(),
	});
	architecture.validate().map_err(|_| {
		anyhow!("--mlp widths must be between 1 and {}", cairn_primitives::model::MAX_LAYER_WIDTH)
	})?;
	Ok(architecture)
}

/// The CNN described by `--cnn` and `--activation`, checked by the runtime's rules: the input as
/// `CxHxW`, then each convolution block as `c<channels>k<kernel>` (`p` at the end for a 2x2
/// max-pool), then the dense layers' widths down to the output, dash-separated, for example
/// `1x28x28-c8k3p-c16k3p-10`.
pub fn cnn_architecture(text: &str, activation: ActivationArg) -> anyhow::Result<Architecture> {
	let bad =
		|what: &str| anyhow!("--cnn {text:?}: {what} (expected e.g. 1x28x28-c8k3p-c16k3p-10)");
	let mut tokens = text.split('-').map(str::trim);
	let input: Vec<u32> = tokens
		.next()
		.unwrap_or_default()
		.split('x')
		.map(|side| side.parse().map_err(|_| bad("the input is not CxHxW")))
		.collect::<anyhow::Result<_>>()?;
	let [channels, height, width] = input[..] else { return Err(bad("the input is not CxHxW")) };
	let (mut convs, mut dense) = (Vec::new(), Vec::new());
	for token in tokens {
		if let Some(conv) = token.strip_prefix('c') {
			if !dense.is_empty() {
				return Err(bad("convolutions come before the dense layers"));
			}
			let (conv, pool) = conv.strip_suffix('p').map_or((conv, false), |c| (c, true));
			let (channels, kernel) = conv
				.split_once('k')
				.ok_or_else(|| bad("a convolution is c<channels>k<kernel>"))?;
			let number = |n: &str| {
				n.parse::<u32>().map_err(|_| bad(&format!("{token:?} is not a convolution")))
			};
			convs.push(Conv { channels: number(channels)?, kernel: number(kernel)?, pool });
		} else {
			dense.push(
				token
					.parse::<u32>()
					.map_err(|_| bad(&format!("{token:?} is not a layer width")))?,
			);
		}
	}
	let Some((output, hidden)) = dense.split_last() else {
		return Err(bad("the output width is missing"));
	};
	let architecture = Architecture::Cnn(Cnn {
		channels,
		height,
		width,
		convs: BoundedVec::try_from(convs).map_err(|_| bad("too many convolutions"))?,
		hidden: BoundedVec::try_from(hidden.to_vec())
			.map_err(|_| bad("too many hidden dense layers"))?,
		output: *output,
		activation: activation.into(),
	});
	architecture
		.validate()
		.map_err(|error| bad(&format!("not a valid network ({error:?})")))?;
	Ok(architecture)
}

/// `cnn` as `--cnn` spells it.
pub fn cnn_text(cnn: &Cnn) -> String {
	let input = format!("{}x{}x{}", cnn.channels, cnn.height, cnn.width);
	let convs = cnn.convs.iter().map(|conv| {
		format!("c{}k{}{}", conv.channels, conv.kernel, if conv.pool { "p" } else { "" })
	});
	let dense = cnn.hidden.iter().chain([&cnn.output]).map(u32::to_string);
	std::iter::once(input).chain(convs).chain(dense).collect::<Vec<_>>().join("-")
}

/// The transformer described by `--transformer` and `--activation`, checked by the runtime's
/// rules: `v<vocab>-t<context>-d<width>-h<heads>-b<blocks>-f<feed-forward>`, each once, in any
/// order.
pub fn transformer_architecture(
	text: &str,
	activation: ActivationArg,
) -> anyhow::Result<Architecture> {
	let bad = |what: &str| {
		anyhow!("--transformer {text:?}: {what} (expected e.g. v256-t64-d64-h4-b2-f256)")
	};
	let mut sizes = [None; 6];
	for token in text.split('-').map(str::trim) {
		let mut chars = token.chars();
		let key = chars.next().unwrap_or_default();
		let slot = TRANSFORMER_KEYS.iter().position(|&k| k == key).ok_or_else(|| {
			bad(&format!("{token:?} is not one of v, t, d, h, b, f and a number"))
		})?;
		let value: u32 =
			chars.as_str().parse().map_err(|_| bad(&format!("{token:?} has no number")))?;
		if sizes[slot].replace(value).is_some() {
			return Err(bad(&format!("{key} is given twice")));
		}
	}
	let [Some(vocab), Some(context), Some(width), Some(heads), Some(blocks), Some(feed_forward)] =
		sizes
	else {
		return Err(bad("every one of v, t, d, h, b and f is needed"));
	};
	let architecture = Architecture::Transformer(Transformer {
		vocab,
		context,
		width,
		heads,
		blocks,
		feed_forward,
		activation: activation.into(),
	});
	architecture
		.validate()
		.map_err(|error| bad(&format!("not a valid network ({error:?})")))?;
	Ok(architecture)
}

/// The letters of `--transformer`, in the order `transformer_text` writes them.
const TRANSFORMER_KEYS: [char; 6] = ['v', 't', 'd', 'h', 'b', 'f'];

/// `net` as `--transformer` spells it.
pub fn transformer_text(net: &Transformer) -> String {
	let sizes = [net.vocab, net.context, net.width, net.heads, net.blocks, net.feed_forward];
	let tokens = TRANSFORMER_KEYS.iter().zip(sizes).map(|(key, size)| format!("{key}{size}"));
	tokens.collect::<Vec<_>>().join("-")
}

impl From<ActivationArg> for Activation {
	fn from(activation: ActivationArg) -> Self {
		match activation {
			ActivationArg::Relu => Activation::Relu,
			ActivationArg::Tanh => Activation::Tanh,
			ActivationArg::Gelu => Activation::Gelu,
		}
	}
}

impl KeyArgs {
	/// The secret URI from `--suri`, `--suri-file` or `CAIRN_SURI`, in that order.
	pub fn secret(&self) -> anyhow::Result<SecretString> {
		if let Some(suri) = &self.suri {
			return Ok(suri.clone());
		}
		if let Some(path) = &self.suri_file {
			let text = std::fs::read_to_string(path)
				.with_context(|| format!("cannot read the secret URI file {}", path.display()))?;
			let line = text.lines().next().unwrap_or_default().trim();
			if line.is_empty() {
				bail!("the secret URI file {} is empty", path.display());
			}
			return Ok(SecretString::from(line));
		}
		match std::env::var(SURI_VAR) {
			Ok(suri) if !suri.is_empty() => Ok(SecretString::from(suri)),
			_ => bail!("no signing key: pass --suri or --suri-file, or set {SURI_VAR}"),
		}
	}
}

/// Parses `64-32-10` into layer widths.
fn parse_widths(text: &str) -> anyhow::Result<Vec<u32>> {
	text.split('-')
		.map(|width| {
			width.trim().parse::<u32>().with_context(|| {
				format!("--mlp {text:?}: {width:?} is not a layer width (expected e.g. 64-32-10)")
			})
		})
		.collect()
}

/// Parses a cap on requests in flight: 1 up to the cap on connections, each of which carries at
/// most one request at a time.
fn parse_max_requests(text: &str) -> Result<usize, String> {
	let most = cairn_train::server::DEFAULT_MAX_CONNECTIONS;
	match text.parse::<usize>() {
		Ok(count) if (1..=most).contains(&count) => Ok(count),
		_ => Err(format!("expected a whole number from 1 to {most}")),
	}
}

/// Parses an amount of CAIRN into base units.
fn parse_amount(text: &str) -> Result<u128, String> {
	crate::units::parse_cairn(text).map_err(|e| e.to_string())
}

/// Parses a 32-byte hash written as 64 hex digits, with or without a `0x` prefix.
fn parse_hash(text: &str) -> Result<Hash256, String> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	let bytes = hex::decode(digits).map_err(|e| format!("not hex: {e}"))?;
	Hash256::try_from(bytes.as_slice())
		.map_err(|_| format!("expected 32 bytes (64 hex digits), got {}", bytes.len()))
}

/// Wraps a secret URI so that it cannot be printed; it is parsed, without echoing it, when used.
fn parse_secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
	Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt_signer::ExposeSecret;

	fn register_args(extra: &[&str]) -> Result<RegisterModelArgs, clap::Error> {
		let hash = "11".repeat(32);
		let mut argv = vec![
			"cairn-worker",
			"register-model",
			"--weights-hash",
			&hash,
			"--name",
			"digits",
			"--suri",
			"//Alice",
		];
		argv.extend_from_slice(extra);
		match Cli::try_parse_from(argv)?.command {
			Command::RegisterModel(args) => Ok(*args),
			_ => unreachable!("parsed register-model"),
		}
	}

	#[test]
	fn mlp_flag_becomes_the_runtime_architecture() {
		let args = register_args(&["--mlp", "64-32-10", "--activation", "tanh"]).unwrap();
		let Architecture::Mlp(mlp) = args.architecture().unwrap() else { panic!("not an MLP") };
		assert_eq!((mlp.input, mlp.hidden.to_vec(), mlp.output), (64, vec![32], 10));
		assert_eq!(mlp.activation, Activation::Tanh);
		assert_eq!(args.weights_hash, Some([0x11; 32]));
	}

	#[test]
	fn cnn_flag_becomes_the_runtime_architecture_and_reads_back() {
		let args = register_args(&["--cnn", "1x28x28-c8k3p-c16k5-32-10", "--activation", "gelu"]);
		let Architecture::Cnn(cnn) = args.unwrap().architecture().unwrap() else {
			panic!("not a CNN")
		};
		assert_eq!((cnn.channels, cnn.height, cnn.width), (1, 28, 28));
		let convs: Vec<_> = cnn.convs.iter().map(|c| (c.channels, c.kernel, c.pool)).collect();
		assert_eq!(convs, vec![(8, 3, true), (16, 5, false)]);
		assert_eq!((cnn.hidden.to_vec(), cnn.output), (vec![32], 10));
		assert_eq!(cnn.activation, Activation::Gelu);
		assert_eq!(cnn_text(&cnn), "1x28x28-c8k3p-c16k5-32-10");
	}

	#[test]
	fn transformer_flag_becomes_the_runtime_architecture_and_reads_back() {
		let args =
			register_args(&["--transformer", "t64-v256-d64-h4-b2-f256", "--activation", "gelu"]);
		let Architecture::Transformer(net) = args.unwrap().architecture().unwrap() else {
			panic!("not a transformer")
		};
		let expected = Transformer {
			vocab: 256,
			context: 64,
			width: 64,
			heads: 4,
			blocks: 2,
			feed_forward: 256,
			activation: Activation::Gelu,
		};
		assert_eq!(net, expected);
		assert_eq!(transformer_text(&net), "v256-t64-d64-h4-b2-f256");
	}

	#[test]
	fn bad_transformer_flags_are_explained() {
		for (shape, expected) in [
			("v256-t64-d64-h4-b2", "every one of v, t, d, h, b and f is needed"),
			("v256-t64-d64-h4-b2-f256-t32", "t is given twice"),
			("v256-t64-d64-h4-b2-x256", "\"x256\" is not one of"),
			("v256-t64-d64-h4-b2-f", "\"f\" has no number"),
			("v256-t64-d66-h4-b2-f256", "not a valid network"),
		] {
			let error =
				register_args(&["--transformer", shape]).unwrap().architecture().unwrap_err();
			assert!(error.to_string().contains(expected), "{shape}: {error}");
		}
		let both = register_args(&["--transformer", "v256-t64-d64-h4-b2-f256", "--mlp", "4-2"]);
		assert!(both.unwrap_err().to_string().contains("cannot be used with"));
	}

	#[test]
	fn bad_cnn_flags_are_explained() {
		for (cnn, expected) in [
			("28x28-c8k3-10", "the input is not CxHxW"),
			("1x28x28-c8k3", "the output width is missing"),
			("1x28x28-c8-10", "a convolution is c<channels>k<kernel>"),
			("1x28x28-10-c8k3-10", "convolutions come before the dense layers"),
			("1x28x28-c8k4-10", "not a valid network"),
			("1x27x27-c8k3p-10", "not a valid network"),
			("1x8x8-c1k1-c1k1-c1k1-c1k1-c1k1-10", "too many convolutions"),
			("1x8x8-c8kxp-10", "is not a convolution"),
		] {
			let error = register_args(&["--cnn", cnn]).unwrap().architecture().unwrap_err();
			assert!(error.to_string().contains(expected), "{cnn}: {error}");
		}
		assert!(register_args(&["--cnn", "1x8x8-c8k3-10", "--mlp", "64-10"]).is_err());
		let none = register_args(&[]).unwrap().architecture().unwrap_err();
		assert!(none.to_string().contains("--mlp WIDTHS, --cnn LAYERS or --transformer"), "{none}");
	}

	#[test]
	fn mlp_without_hidden_layers_is_accepted() {
		let args = register_args(&["--mlp", "4-3"]).unwrap();
		assert_eq!(args.architecture().unwrap().parameter_count(), 15);
	}

	#[test]
	fn bad_mlp_flags_are_explained() {
		for (mlp, expected) in [
			("64", "at least an input and an output"),
			("64-x-10", "\"x\" is not a layer width"),
			("64-0-10", "between 1 and"),
			("1-1-1-1-1-1-1-1-1-1-1", "at most 8"),
		] {
			let error = register_args(&["--mlp", mlp]).unwrap().architecture().unwrap_err();
			assert!(error.to_string().contains(expected), "{mlp}: {error}");
		}
	}

	#[test]
	fn hashes_need_32_bytes_of_hex() {
		assert_eq!(parse_hash(&format!("0x{}", "ab".repeat(32))), Ok([0xab; 32]));
		assert!(parse_hash("0x1234").unwrap_err().contains("got 2"));
		assert!(parse_hash("zz").unwrap_err().contains("not hex"));
	}

	#[test]
	fn the_key_comes_from_the_flag_or_the_first_line_of_a_file() {
		let flag = register_args(&["--mlp", "4-3"]).unwrap();
		assert_eq!(flag.key.secret().unwrap().expose_secret(), "//Alice");

		let path = std::env::temp_dir().join(format!("cairn-worker-suri-{}", std::process::id()));
		std::fs::write(&path, "//Bob\nignored\n").unwrap();
		let file = Cli::try_parse_from([
			"cairn-worker",
			"register-model",
			"--weights-hash",
			&"11".repeat(32),
			"--name",
			"digits",
			"--mlp",
			"4-3",
			"--suri-file",
			path.to_str().unwrap(),
		])
		.unwrap();
		let Command::RegisterModel(file) = file.command else { panic!("not register-model") };
		let secret = file.key.secret();
		std::fs::remove_file(&path).unwrap();
		assert_eq!(secret.unwrap().expose_secret(), "//Bob");

		let both = register_args(&["--mlp", "4-3", "--suri-file", "/dev/null"]);
		assert!(both.unwrap_err().to_string().contains("cannot be used with"));
	}

	#[test]
	fn private_addresses_are_refused_unless_allowed() {
		let export = |extra: &[&str]| {
			let mut argv = vec!["cairn-worker", "export", "--model", "0", "--out", "m.safetensors"];
			argv.extend_from_slice(extra);
			match Cli::try_parse_from(argv).unwrap().command {
				Command::Export(args) => args.addresses.policy(),
				_ => unreachable!("parsed export"),
			}
		};
		assert_eq!(export(&[]), AddressPolicy::PublicOnly);
		assert_eq!(export(&["--allow-private-addresses"]), AddressPolicy::AllowPrivate);
		let run = Cli::try_parse_from([
			"cairn-worker",
			"run",
			"--role",
			"verifier",
			"--work-dir",
			"w",
			"--allow-private-addresses",
		])
		.unwrap();
		let Command::Run(run) = run.command else { panic!("not run") };
		assert_eq!(run.addresses.policy(), AddressPolicy::AllowPrivate);
	}

	#[test]
	fn the_request_cap_has_a_default_and_bounds() {
		let max_requests = |extra: &[&str]| {
			let mut argv = vec!["cairn-worker", "run", "--role", "solver", "--work-dir", "w"];
			argv.extend_from_slice(extra);
			Cli::try_parse_from(argv).map(|cli| match cli.command {
				Command::Run(args) => args.max_requests,
				_ => unreachable!("parsed run"),
			})
		};
		assert_eq!(max_requests(&[]).unwrap(), cairn_train::server::DEFAULT_MAX_REQUESTS);
		assert_eq!(max_requests(&["--max-requests", "4"]).unwrap(), 4);
		for bad in ["0", "257", "many"] {
			let error = max_requests(&["--max-requests", bad]).unwrap_err().to_string();
			assert!(error.contains("from 1 to 256"), "{bad}: {error}");
		}
	}

	#[test]
	fn the_secret_uri_is_not_shown_in_debug_output() {
		let args = register_args(&["--mlp", "4-3"]).unwrap();
		assert!(!format!("{args:?}").contains("Alice"));
	}
}
