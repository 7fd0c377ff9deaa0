//! Weights in and out: `weights-hash`, `export`, the weights file of `register-model`, and the
//! parent weights of an offline `train --from-model`.

use std::{collections::HashMap, path::Path};

use anyhow::{anyhow, bail, Context};
use cairn_primitives::{Activation, Architecture, Hash256, ModelId, ModelInit, TaskSpec};
use cairn_train::{
	client::artifact_url, weights::safetensors_metadata, ArtifactClient, ArtifactStore, Parent,
	Weights,
};
use clap::ValueEnum;

use crate::{
	chain::{Chain, ModelRecord},
	cli::{
		cnn_architecture, cnn_text, mlp_architecture, transformer_architecture, transformer_text,
		ActivationArg, ExportArgs, WeightsHashArgs,
	},
	offline::store_in,
	record::{hex0x, read_json, ParentRecord, RunRecord},
	training::load_checkpoint,
};

/// Metadata keys of a Cairn export: the MLP's widths and activation (`64-32-10`, `relu`).
const MLP_KEY: &str = "cairn.mlp";
/// Metadata key of a CNN's layers, as `--cnn` spells them.
const CNN_KEY: &str = "cairn.cnn";
/// Metadata key of a transformer's shape, as `--transformer` spells it.
const TRANSFORMER_KEY: &str = "cairn.transformer";
const ACTIVATION_KEY: &str = "cairn.activation";

/// The weights in `path`, safetensors or CAIRNWTS.
pub fn read_weights(path: &Path) -> anyhow::Result<Weights> {
	let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
	Weights::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
}

/// Prints the canonical weights hash of a file and its layer widths.
pub fn weights_hash(args: WeightsHashArgs) -> anyhow::Result<()> {
	let weights = read_weights(&args.file)?;
	println!("weights hash: {}", hex0x(&weights.hash()));
	// A transformer's linear layers are not one chain of widths.
	let chain = weights.widths();
	if !chain.is_empty() {
		println!("widths:       {}", widths(&chain));
	}
	println!("parameters:   {}", weights.parameter_count());
	Ok(())
}

/// Checks that the weights in `path` are of `architecture`; returns their hash.
pub fn hash_for(path: &Path, architecture: &Architecture) -> anyhow::Result<Hash256> {
	let weights = read_weights(path)?;
	weights
		.fit(architecture)
		.with_context(|| format!("{} and the architecture given", path.display()))?;
	Ok(weights.hash())
}

/// The parent of an offline continued run: the weights in `path` and their architecture, from
/// `flags` (`--mlp`, `--activation`) or else from the file's Cairn metadata.
pub fn parent_from_file(
	path: &Path,
	flags: Option<anyhow::Result<Architecture>>,
) -> anyhow::Result<(Architecture, Weights)> {
	let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
	let weights = Weights::from_bytes(&bytes).with_context(|| format!("{}", path.display()))?;
	let architecture = match flags {
		Some(architecture) => architecture?,
		None => {
			let metadata = safetensors_metadata(&bytes).unwrap_or_default();
			let unnamed = || {
				anyhow!(
					"{} does not name its architecture: pass the parent's --mlp, --cnn or \
					 --transformer and --activation",
					path.display()
				)
			};
			let activation = metadata.get(ACTIVATION_KEY).ok_or_else(unnamed)?;
			let activation = ActivationArg::from_str(activation, true)
				.map_err(|e| anyhow!("{}: activation {activation:?}: {e}", path.display()))?;
			let named = |key| metadata.get(key);
			match (named(MLP_KEY), named(CNN_KEY), named(TRANSFORMER_KEY)) {
				(Some(mlp), ..) => mlp_architecture(mlp, activation)?,
				(None, Some(cnn), _) => cnn_architecture(cnn, activation)?,
				(None, None, Some(shape)) => transformer_architecture(shape, activation)?,
				(None, None, None) => return Err(unnamed()),
			}
		},
	};
	weights
		.fit(&architecture)
		.with_context(|| format!("{} as the parent", path.display()))?;
	Ok((architecture, weights))
}

/// Writes a registered model, or the result of a `train --dir` run, as safetensors.
pub async fn export(url: &str, args: ExportArgs) -> anyhow::Result<()> {
	let (weights, architecture, mut metadata) = match (args.model, &args.dir) {
		(Some(id), _) => {
			let chain = Chain::connect(url).await?;
			let record =
				chain.model(id).await?.ok_or_else(|| anyhow!("no model {id} is registered"))?;
			let client = ArtifactClient::new(args.addresses.policy());
			let weights = fetch_registered(&client, id, &record).await?;
			let metadata = HashMap::from([
				("cairn.model".to_owned(), id.to_string()),
				("cairn.name".to_owned(), String::from_utf8_lossy(&record.name.0).into_owned()),
				(
					"cairn.license".to_owned(),
					String::from_utf8_lossy(&record.license.0).into_owned(),
				),
			]);
			(weights, record.architecture.0, metadata)
		},
		(None, Some(dir)) => {
			let (weights, architecture) = finished_run(dir)?;
			(weights, architecture, HashMap::new())
		},
		(None, None) => bail!("name the model: --model ID or --dir DIR"),
	};
	weights.fit(&architecture)?;
	metadata.extend(describe(&architecture)?);
	metadata.insert("cairn.weights_hash".into(), hex0x(&weights.hash()));
	let file = weights.to_safetensors(metadata)?;
	std::fs::write(&args.out, file)
		.with_context(|| format!("cannot write {}", args.out.display()))?;
	println!("weights hash: {}", hex0x(&weights.hash()));
	// A transformer's linear layers are not one chain of widths.
	let chain = weights.widths();
	if !chain.is_empty() {
		println!("widths:       {}", widths(&chain));
	}
	println!("parameters:   {}", weights.parameter_count());
	println!("written:      {}", args.out.display());
	Ok(())
}

/// Longest one download of a model's weights may take: a server that stalls must not hold a
/// provider's block loop (and its windows on other tasks) for long.
const WEIGHTS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// `client` for the weights of `record`: bodies no larger than its architecture's parameters in
/// `f32` plus 1 MiB of names and headers, within [`WEIGHTS_TIMEOUT`].
fn weights_client(client: &ArtifactClient, record: &ModelRecord) -> ArtifactClient {
	let parameters = usize::try_from(record.architecture.0.parameter_count()).unwrap_or(usize::MAX);
	client.limited(parameters.saturating_mul(4).saturating_add(1 << 20), WEIGHTS_TIMEOUT)
}

/// Where the weights of registered model `id` are: its metadata URI.
fn location(id: ModelId, record: &ModelRecord) -> anyhow::Result<String> {
	let uri = String::from_utf8_lossy(&record.metadata_uri.0).into_owned();
	if uri.is_empty() {
		bail!("model {id} names no location for its weights (its metadata URI is empty)");
	}
	Ok(uri)
}

/// The weights of registered model `id`: from the artifact server its metadata URI names (where
/// solvers serve what they trained), else from the URI itself as a weights file; checked
/// against the registered hash (callers check them against the architecture).
pub async fn fetch_registered(
	client: &ArtifactClient,
	id: ModelId,
	record: &ModelRecord,
) -> anyhow::Result<Weights> {
	let uri = location(id, record)?;
	let client = weights_client(client, record);
	match client.fetch_artifact(&uri, &record.weights_hash).await {
		Ok(bytes) => registered(id, record, &uri, Weights::from_canonical(&bytes)?),
		Err(served) => weights_file(&client, id, record, &uri, served).await,
	}
}

/// The weights file at `uri`, the location of model `id` whose artifact server there gave
/// `served`, checked against the registered hash.
async fn weights_file(
	client: &ArtifactClient,
	id: ModelId,
	record: &ModelRecord,
	uri: &str,
	served: impl std::fmt::Display,
) -> anyhow::Result<Weights> {
	let bytes = client.fetch_unchecked(uri).await.map_err(|direct| {
		anyhow!(
			"cannot fetch the weights of model {id}: {} gave {served}; {uri} gave {direct}",
			artifact_url(uri, &record.weights_hash)
		)
	})?;
	let weights = Weights::from_bytes(&bytes).with_context(|| uri.to_owned())?;
	registered(id, record, uri, weights)
}

/// `weights`, fetched from `uri`, if they are those model `id` is registered with.
fn registered(
	id: ModelId,
	record: &ModelRecord,
	uri: &str,
	weights: Weights,
) -> anyhow::Result<Weights> {
	if weights.hash() != record.weights_hash {
		bail!(
			"the weights at {uri} hash to {}, but model {id} is registered as {}",
			hex0x(&weights.hash()),
			hex0x(&record.weights_hash)
		);
	}
	Ok(weights)
}

/// The model `spec` continues, if it continues one: its id and registry record.
pub async fn parent_record(
	chain: &Chain,
	spec: &TaskSpec,
) -> anyhow::Result<Option<(ModelId, ModelRecord)>> {
	let ModelInit::FromRegistry { model } = spec.model else { return Ok(None) };
	let record = chain
		.model(model)
		.await?
		.ok_or_else(|| anyhow!("the parent, model {model}, is not registered"))?;
	Ok(Some((model, record)))
}

/// The model `spec` continues, if it continues one, with its weights (see [`parent_weights`]).
pub async fn parent_of(
	chain: &Chain,
	client: &ArtifactClient,
	store: &ArtifactStore,
	spec: &TaskSpec,
	base: Option<&str>,
) -> anyhow::Result<Option<(ParentRecord, Parent)>> {
	match parent_record(chain, spec).await? {
		Some((model, record)) => parent_weights(client, store, model, record, base).await.map(Some),
		None => Ok(None),
	}
}

/// Registered model `model` with its weights, from `store`, else fetched into it with `client`
/// (see [`fetch_parent`]); checked against the registered hash and architecture, and kept in
/// `store` (which a solver serves).
pub async fn parent_weights(
	client: &ArtifactClient,
	store: &ArtifactStore,
	model: ModelId,
	record: ModelRecord,
	base: Option<&str>,
) -> anyhow::Result<(ParentRecord, Parent)> {
	let hash = record.weights_hash;
	let weights = match store.get(&hash) {
		Ok(bytes) => Weights::from_canonical(&bytes)?,
		Err(_) => fetch_parent(client, store, model, &record, base).await?,
	};
	let architecture = record.architecture.0;
	let parent = Parent::new(&architecture, weights)
		.with_context(|| format!("the weights of model {model}"))?;
	Ok((ParentRecord { architecture, weights: hash }, parent))
}

/// The weights of registered model `model`, put into `store`: from `base` (a solver's artifact
/// server, which serves the parent of every run it trains), else from the artifact server the
/// registry names, both streamed into the store as they arrive; else from the registry's
/// location as a weights file (parsed in memory, then stored in canonical form).
async fn fetch_parent(
	client: &ArtifactClient,
	store: &ArtifactStore,
	model: ModelId,
	record: &ModelRecord,
	base: Option<&str>,
) -> anyhow::Result<Weights> {
	let client = weights_client(client, record);
	if let Some(base) = base {
		if let Ok(weights) = stored(&client, store, base, &record.weights_hash).await {
			return Ok(weights);
		}
	}
	let uri = location(model, record)?;
	match stored(&client, store, &uri, &record.weights_hash).await {
		Ok(weights) => registered(model, record, &uri, weights),
		Err(served) => {
			let weights = weights_file(&client, model, record, &uri, served).await?;
			store.put(&weights.canonical()).context("cannot store the parent's weights")?;
			Ok(weights)
		},
	}
}

/// Weights `hash` from the artifact server at `base`, downloaded into `store`.
async fn stored(
	client: &ArtifactClient,
	store: &ArtifactStore,
	base: &str,
	hash: &Hash256,
) -> anyhow::Result<Weights> {
	client.fetch_artifact_into(base, hash, store).await?;
	Ok(Weights::from_canonical(&store.get(hash)?)?)
}

/// The final weights and architecture of the finished `train --dir` run in `dir`.
fn finished_run(dir: &Path) -> anyhow::Result<(Weights, Architecture)> {
	let run: RunRecord = read_json(&dir.join("run.json"))?;
	if !run.is_complete() {
		bail!("the run in {} is not finished: train it to the end first", dir.display());
	}
	let architecture = run.architecture()?.clone();
	let store = store_in(dir)?;
	let last = run.checkpoints.last().ok_or_else(|| anyhow!("the run has no checkpoint"))?;
	let weights = load_checkpoint(&store, last)?.weights()?;
	Ok((Weights::from_canonical(&weights)?, architecture))
}

/// The metadata naming `architecture`, as `parent_from_file` reads it back.
fn describe(architecture: &Architecture) -> anyhow::Result<[(String, String); 2]> {
	let (network, activation) = match architecture {
		Architecture::Mlp(mlp) => {
			let widths: Vec<usize> = mlp.widths().map(|w| w as usize).collect();
			((MLP_KEY, self::widths(&widths)), mlp.activation)
		},
		Architecture::Cnn(cnn) => ((CNN_KEY, cnn_text(cnn)), cnn.activation),
		Architecture::Transformer(net) => {
			((TRANSFORMER_KEY, transformer_text(net)), net.activation)
		},
		Architecture::External { .. } => bail!("only Cairn's own networks can be exported"),
	};
	let activation = match activation {
		Activation::Relu => ActivationArg::Relu,
		Activation::Tanh => ActivationArg::Tanh,
		Activation::Gelu => ActivationArg::Gelu,
	};
	let name = activation
		.to_possible_value()
		.map(|v| v.get_name().to_owned())
		.unwrap_or_default();
	Ok([(network.0.into(), network.1), (ACTIVATION_KEY.into(), name)])
}

/// `64-32-10`.
fn widths(widths: &[usize]) -> String {
	widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-")
}
