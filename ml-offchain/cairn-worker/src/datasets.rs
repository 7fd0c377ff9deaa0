//! Datasets for solvers and verifiers: imported into the artifact store at start, or downloaded
//! from a task's dataset URI, and in both cases checked against the hash and size the task names.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use cairn_primitives::{Architecture, Hash256, TaskSpec};
use cairn_train::{client::artifact_url, ArtifactClient, ArtifactStore, Dataset};

use crate::record::hex0x;

/// Longest a dataset download may take.
const DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Copies dataset files into `store` so that tasks naming their hashes need no download (and so
/// that the solver serves them to others).
pub fn import(store: &ArtifactStore, files: &[PathBuf]) -> anyhow::Result<()> {
	for file in files {
		let bytes = std::fs::read(file)
			.with_context(|| format!("cannot read the dataset file {}", file.display()))?;
		let hash = store.put(&bytes).context("cannot store a dataset")?;
		tracing::info!(file = %file.display(), hash = hex0x(&hash), size = bytes.len(), "dataset imported");
	}
	Ok(())
}

/// The dataset `spec` names, from `store` or else downloaded (streamed into the store as it
/// arrives) with `client` from its URI or, failing that, from `mirror`, the artifact server of the
/// solver whose run a verifier checks: the solver trained on these bytes and serves them, so a
/// submitter's host gone down after the claim costs no verifier its bond. Checked against the
/// hash and size and against the shape of `architecture`, the network trained.
pub async fn obtain(
	client: &ArtifactClient,
	store: &ArtifactStore,
	spec: &TaskSpec,
	architecture: &Architecture,
	mirror: Option<&str>,
) -> anyhow::Result<Dataset> {
	let reference = spec.dataset.clone();
	if !store.contains(&reference.hash) {
		let uri = String::from_utf8(reference.uri.to_vec())
			.map_err(|_| anyhow!("the dataset URI is not UTF-8"))?;
		let sources: Vec<String> = (!uri.is_empty())
			.then_some(uri)
			.into_iter()
			.chain(mirror.map(|base| artifact_url(base, &reference.hash)))
			.collect();
		if sources.is_empty() {
			bail!(
				"dataset {} is not in the store and the task names no URI",
				hex0x(&reference.hash)
			);
		}
		let limit =
			usize::try_from(reference.size).context("the dataset is too large for this machine")?;
		download(&client.limited(limit, DOWNLOAD_TIMEOUT), store, &reference.hash, &sources)
			.await?;
	}
	let bytes = store.get(&reference.hash)?;
	let dataset = tokio::task::spawn_blocking(move || Dataset::from_bytes(&bytes, &reference))
		.await
		.context("the dataset check panicked")??;
	check_shape(architecture, &dataset)?;
	Ok(dataset)
}

/// Downloads the artifact `hash` into `store` from the first of `sources` that serves it.
async fn download(
	client: &ArtifactClient,
	store: &ArtifactStore,
	hash: &Hash256,
	sources: &[String],
) -> anyhow::Result<()> {
	let mut failures = Vec::new();
	for source in sources {
		match client.fetch_into(source, hash, store).await {
			Ok(size) => {
				tracing::info!(uri = source, hash = hex0x(hash), size, "dataset downloaded");
				return Ok(());
			},
			Err(error) => {
				tracing::warn!(uri = source, "dataset download failed: {error:#}");
				failures.push(format!("{source}: {error:#}"));
			},
		}
	}
	bail!("cannot download dataset {}: {}", hex0x(hash), failures.join("; "))
}

/// The model must read the dataset's features and output one score per class (the rule
/// cairn-train applies when it starts training; checked here before a task is claimed). A
/// transformer reads `context` tokens and scores every token of its vocabulary.
fn check_shape(architecture: &Architecture, dataset: &Dataset) -> anyhow::Result<()> {
	let (input, output) = match architecture {
		Architecture::Mlp(mlp) => (u64::from(mlp.input), mlp.output),
		Architecture::Cnn(cnn) => (cnn.input_features(), cnn.output),
		Architecture::Transformer(net) => (u64::from(net.context), net.vocab),
		Architecture::External { .. } => bail!("external models cannot be trained"),
	};
	let header = dataset.header();
	if input != u64::from(header.features) || output != header.classes {
		bail!(
			"the model maps {input} inputs to {output} outputs; the dataset has {} features and {} \
			 classes",
			header.features,
			header.classes
		);
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use cairn_primitives::{task::Uri, BoundedVec, Mlp, ModelInit};
	use cairn_train::{client::AddressPolicy, dataset::digits, server};

	use super::*;

	/// A network that reads the digits: 64 features, 10 classes.
	fn digits_mlp() -> Architecture {
		Architecture::Mlp(Mlp {
			input: 64,
			hidden: BoundedVec::new(),
			output: 10,
			activation: cairn_primitives::Activation::Relu,
		})
	}

	#[tokio::test]
	async fn a_dataset_on_a_private_address_is_downloaded_only_if_allowed() {
		let served = tempfile::tempdir().unwrap();
		let source = ArtifactStore::open(served.path()).unwrap();
		let hash = source.put(digits::BYTES).unwrap();
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let uri = cairn_train::client::artifact_url(
			&format!("http://{}", listener.local_addr().unwrap()),
			&hash,
		);
		let _server =
			server::Server::start(listener, server::router(source), server::Limits::default())
				.unwrap();
		let mut spec = crate::record::tests::spec();
		spec.dataset = digits::reference(Uri::truncate_from(uri.into_bytes()));
		let architecture = digits_mlp();
		spec.model = ModelInit::Fresh { architecture: architecture.clone(), init_seed: 1 };
		let dir = tempfile::tempdir().unwrap();
		let store = ArtifactStore::open(dir.path()).unwrap();

		let public = ArtifactClient::new(AddressPolicy::PublicOnly);
		let refused = obtain(&public, &store, &spec, &architecture, None)
			.await
			.unwrap_err()
			.to_string();
		assert!(refused.contains("127.0.0.1 is a loopback address"), "{refused}");
		assert!(refused.contains("--allow-private-addresses"), "{refused}");
		assert!(!store.contains(&hash));

		let private = ArtifactClient::new(AddressPolicy::AllowPrivate);
		let dataset = obtain(&private, &store, &spec, &architecture, None).await.unwrap();
		assert_eq!(dataset.header().features, 64);
		assert_eq!(store.get(&hash).unwrap(), digits::BYTES, "kept in the store");
	}

	#[tokio::test]
	async fn a_verifier_falls_back_to_the_solver_when_the_dataset_uri_is_down() {
		let served = tempfile::tempdir().unwrap();
		let source = ArtifactStore::open(served.path()).unwrap();
		source.put(digits::BYTES).unwrap();
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let solver = format!("http://{}", listener.local_addr().unwrap());
		let _server =
			server::Server::start(listener, server::router(source), server::Limits::default())
				.unwrap();
		// A port nothing listens on: the submitter's host, gone.
		let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let gone_uri = format!("http://{}/digits.bin", gone.local_addr().unwrap());
		drop(gone);
		let mut spec = crate::record::tests::spec();
		spec.dataset = digits::reference(Uri::truncate_from(gone_uri.clone().into_bytes()));
		let architecture = digits_mlp();
		let client = ArtifactClient::new(AddressPolicy::AllowPrivate);
		let dir = tempfile::tempdir().unwrap();
		let store = ArtifactStore::open(dir.path()).unwrap();

		let alone = obtain(&client, &store, &spec, &architecture, None).await.unwrap_err();
		assert!(alone.to_string().contains(&gone_uri), "{alone}");
		let nowhere = Some("http://127.0.0.1:1");
		let both = obtain(&client, &store, &spec, &architecture, nowhere).await.unwrap_err();
		assert!(both.to_string().contains("http://127.0.0.1:1/artifacts/"), "{both}");
		assert!(!store.contains(&spec.dataset.hash), "nothing kept from failed downloads");

		let dataset = obtain(&client, &store, &spec, &architecture, Some(&solver)).await.unwrap();
		assert_eq!(dataset.header().features, 64);
		assert!(store.contains(&spec.dataset.hash));
	}
}
