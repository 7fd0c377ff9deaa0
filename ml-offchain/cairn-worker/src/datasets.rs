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

/// The dataset `spec` names, from `store` or else downloaded from its URI (then stored), checked
/// against its hash and size and against the shape of `architecture`, the network trained.
pub async fn obtain(
	store: &ArtifactStore,
	spec: &TaskSpec,
	architecture: &Architecture,
) -> anyhow::Result<Dataset> {
	let reference = spec.dataset.clone();
	let bytes = if store.contains(&reference.hash) {
		store.get(&reference.hash)?
	} else {
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
		let bytes = ArtifactClient::with_limits(limit, DOWNLOAD_TIMEOUT)
			.fetch(&uri, &reference.hash)
			.await?;
		store.put(&bytes).context("cannot store a downloaded dataset")?;
		tracing::info!(
			uri,
			hash = hex0x(&reference.hash),
			size = bytes.len(),
			"dataset downloaded"
		);
		bytes
	};
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
		Architecture::External { .. } => bail!("only MLP and CNN models can be trained"),
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
