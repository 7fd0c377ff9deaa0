//! Datasets for solvers and verifiers: imported into the artifact store at start, or downloaded
//! from a task's dataset URI, and in both cases checked against the hash and size the task names.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use cairn_primitives::{Architecture, TaskSpec};
use cairn_train::{ArtifactClient, ArtifactStore, Dataset};

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

/// The dataset `spec` names, from `store` or else downloaded from its URI with `client` (streamed
/// into the store as it arrives), checked against its hash and size and against the shape of
/// `architecture`, the network trained.
pub async fn obtain(
	client: &ArtifactClient,
	store: &ArtifactStore,
	spec: &TaskSpec,
	architecture: &Architecture,
) -> anyhow::Result<Dataset> {
	let reference = spec.dataset.clone();
	if !store.contains(&reference.hash) {
		let uri = String::from_utf8(reference.uri.to_vec())
			.map_err(|_| anyhow!("the dataset URI is not UTF-8"))?;
		if uri.is_empty() {
			bail!(
				"dataset {} is not in the store and the task names no URI",
				hex0x(&reference.hash)
			);
		}
		let limit =
			usize::try_from(reference.size).context("the dataset is too large for this machine")?;
		let size = client
			.limited(limit, DOWNLOAD_TIMEOUT)
			.fetch_into(&uri, &reference.hash, store)
			.await?;
		tracing::info!(uri, hash = hex0x(&reference.hash), size, "dataset downloaded");
	}
	let bytes = store.get(&reference.hash)?;
	let dataset = tokio::task::spawn_blocking(move || Dataset::from_bytes(&bytes, &reference))
		.await
		.context("the dataset check panicked")??;
	check_shape(architecture, &dataset)?;
	Ok(dataset)
}

/// The model must read the dataset's features and output one score per class (the rule
/// cairn-train applies when it starts training; checked here before a task is claimed).
fn check_shape(architecture: &Architecture, dataset: &Dataset) -> anyhow::Result<()> {
	let (input, output) = match architecture {
		Architecture::Mlp(mlp) => (u64::from(mlp.input), mlp.output),
		Architecture::Cnn(cnn) => (cnn.input_features(), cnn.output),
		// A window of `context` tokens; the next token is one of `vocab`.
		Architecture::Transformer(net) => (u64::from(net.context), net.vocab),
		Architecture::External { .. } => {
			bail!("only MLP, CNN and transformer models can be trained")
		},
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
		let architecture = Architecture::Mlp(Mlp {
			input: 64,
			hidden: BoundedVec::new(),
			output: 10,
			activation: cairn_primitives::Activation::Relu,
		});
		spec.model = ModelInit::Fresh { architecture: architecture.clone(), init_seed: 1 };
		let dir = tempfile::tempdir().unwrap();
		let store = ArtifactStore::open(dir.path()).unwrap();

		let public = ArtifactClient::new(AddressPolicy::PublicOnly);
		let refused = obtain(&public, &store, &spec, &architecture).await.unwrap_err().to_string();
		assert!(refused.contains("127.0.0.1 is a loopback address"), "{refused}");
		assert!(refused.contains("--allow-private-addresses"), "{refused}");
		assert!(!store.contains(&hash));

		let private = ArtifactClient::new(AddressPolicy::AllowPrivate);
		let dataset = obtain(&private, &store, &spec, &architecture).await.unwrap();
		assert_eq!(dataset.header().features, 64);
		assert_eq!(store.get(&hash).unwrap(), digits::BYTES, "kept in the store");
	}
}
