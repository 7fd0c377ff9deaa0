//! Records the worker keeps on disk as JSON: a training run (its spec and checkpoint hashes, in
//! order) and, for a solver, the state of each task it works on. Files are replaced atomically
//! (write a temporary file, sync, rename), so a crash leaves the old record or the new one.

use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
};

use anyhow::Context;
use cairn_primitives::{merkle::checkpoint_root, Architecture, Hash256, ModelInit, TaskSpec};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A training run: the spec and the hashes of the checkpoints produced so far, from step 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
	/// The task spec, SCALE-encoded as hex (the chain's own encoding).
	#[serde(with = "scale_hex")]
	pub spec: TaskSpec,
	/// Hashes of the checkpoints, in order; checkpoint `i` is at step `i * interval`.
	#[serde(with = "hashes_hex")]
	pub checkpoints: Vec<Hash256>,
	/// The registered model a `FromRegistry` spec continues.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub parent: Option<ParentRecord>,
}

/// The model a run continues: its architecture, and the hash of its canonical weights, which are
/// kept in the run's artifact store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRecord {
	/// The parent's architecture, SCALE-encoded as hex.
	#[serde(with = "scale_hex")]
	pub architecture: Architecture,
	/// BLAKE2b-256 of the parent's canonical weights, SCALE-encoded as hex.
	#[serde(with = "scale_hex")]
	pub weights: Hash256,
}

impl RunRecord {
	/// A run of `spec` with no checkpoint yet.
	pub fn new(spec: TaskSpec) -> Self {
		Self { spec, checkpoints: Vec::new(), parent: None }
	}

	/// The network trained: the spec's own, or the parent's for a continuation.
	pub fn architecture(&self) -> anyhow::Result<&Architecture> {
		match (&self.spec.model, &self.parent) {
			(ModelInit::Fresh { architecture, .. }, _) => Ok(architecture),
			(ModelInit::FromRegistry { .. }, Some(parent)) => Ok(&parent.architecture),
			(ModelInit::FromRegistry { model }, None) => {
				anyhow::bail!("the run continues model {model} but does not record it")
			},
		}
	}

	/// Whether every checkpoint the spec produces is recorded.
	pub fn is_complete(&self) -> bool {
		self.checkpoints.len() as u64 == u64::from(self.spec.training.checkpoint_count())
	}

	/// The Merkle root over the checkpoint hashes: what a solver commits to.
	pub fn root(&self) -> Hash256 {
		checkpoint_root(&self.checkpoints)
	}
}

/// Writes `value` as pretty JSON to `path`, atomically and durably: the file is synced before
/// it replaces the old one, and the directory after, so that a crash leaves the old record or
/// the new one, never none.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
	let json = serde_json::to_vec_pretty(value).context("cannot encode a record as JSON")?;
	let temporary = temporary_path(path);
	let write = || -> std::io::Result<()> {
		let mut file = fs::File::create(&temporary)?;
		file.write_all(&json)?;
		file.write_all(b"\n")?;
		file.sync_all()?;
		fs::rename(&temporary, path)?;
		let directory =
			path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
		fs::File::open(directory)?.sync_all()
	};
	write().with_context(|| format!("cannot write {}", path.display()))
}

/// Moves the unreadable record at `path` aside to `<path>.unreadable`, saying why in the log, so
/// that one bad file cannot stop the work on every other record.
pub fn set_aside(path: &Path, error: &anyhow::Error) -> anyhow::Result<()> {
	let mut aside = path.as_os_str().to_os_string();
	aside.push(".unreadable");
	let aside = PathBuf::from(aside);
	tracing::error!(aside = %aside.display(), "setting an unreadable record aside: {error:#}");
	fs::rename(path, &aside).with_context(|| format!("cannot move {} aside", path.display()))
}

/// Reads the JSON record at `path`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
	let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
	serde_json::from_slice(&bytes)
		.with_context(|| format!("{} is not a valid record", path.display()))
}

/// `record.json` -> `record.json.tmp`, in the same directory so that the rename is atomic.
fn temporary_path(path: &Path) -> PathBuf {
	let mut name = path.file_name().unwrap_or_default().to_os_string();
	name.push(".tmp");
	path.with_file_name(name)
}

/// `0x`-prefixed lowercase hex of `bytes`.
pub fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Bytes from hex with or without `0x`.
fn unhex(text: &str) -> Result<Vec<u8>, hex::FromHexError> {
	hex::decode(text.strip_prefix("0x").unwrap_or(text))
}

/// A SCALE-encodable value as a hex string.
pub(crate) mod scale_hex {
	use serde::{de::Error, Deserialize, Deserializer, Serializer};
	use subxt::ext::codec::{Decode, Encode};

	pub fn serialize<T: Encode, S: Serializer>(
		value: &T,
		serializer: S,
	) -> Result<S::Ok, S::Error> {
		serializer.serialize_str(&super::hex0x(&value.encode()))
	}

	pub fn deserialize<'de, T: Decode, D: Deserializer<'de>>(
		deserializer: D,
	) -> Result<T, D::Error> {
		let text = String::deserialize(deserializer)?;
		let bytes = super::unhex(&text).map_err(D::Error::custom)?;
		T::decode(&mut bytes.as_slice()).map_err(|e| D::Error::custom(format!("bad SCALE: {e}")))
	}
}

/// A list of 32-byte hashes as hex strings.
pub(crate) mod hashes_hex {
	use cairn_primitives::Hash256;
	use serde::{de::Error, ser::SerializeSeq, Deserialize, Deserializer, Serializer};

	pub fn serialize<S: Serializer>(hashes: &[Hash256], serializer: S) -> Result<S::Ok, S::Error> {
		let mut seq = serializer.serialize_seq(Some(hashes.len()))?;
		for hash in hashes {
			seq.serialize_element(&super::hex0x(hash))?;
		}
		seq.end()
	}

	pub fn deserialize<'de, D: Deserializer<'de>>(
		deserializer: D,
	) -> Result<Vec<Hash256>, D::Error> {
		Vec::<String>::deserialize(deserializer)?
			.iter()
			.map(|text| {
				let bytes = super::unhex(text).map_err(D::Error::custom)?;
				Hash256::try_from(bytes.as_slice())
					.map_err(|_| D::Error::custom(format!("{text} is not a 32-byte hash")))
			})
			.collect()
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use cairn_primitives::{
		Activation, Architecture, BoundedVec, DatasetRef, Mlp, ModelInit, Optimizer,
		TrainingConfig, VerificationPolicy,
	};

	/// A small valid spec: a 4-3 MLP, 4 steps, a checkpoint every 2 (3 checkpoints).
	pub(crate) fn spec() -> TaskSpec {
		TaskSpec {
			name: BoundedVec::truncate_from(b"tiny".to_vec()),
			license: BoundedVec::new(),
			model: ModelInit::Fresh {
				architecture: Architecture::Mlp(Mlp {
					input: 4,
					hidden: BoundedVec::new(),
					output: 3,
					activation: Activation::Relu,
				}),
				init_seed: 1,
			},
			dataset: DatasetRef {
				hash: [7; 32],
				size: 10,
				uri: BoundedVec::truncate_from(b"http://d".to_vec()),
			},
			training: TrainingConfig {
				optimizer: Optimizer::sgd(0.1, 0.0),
				batch_size: 2,
				steps: 4,
				data_order_seed: 0,
				checkpoint_interval: 2,
			},
			verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
		}
	}

	#[test]
	fn a_run_round_trips_through_json_and_knows_when_it_is_complete() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("run.json");
		let mut run = RunRecord::new(spec());
		run.checkpoints = vec![[1; 32], [2; 32]];
		assert!(!run.is_complete());
		write_json(&path, &run).unwrap();
		let text = fs::read_to_string(&path).unwrap();
		assert!(text.contains(&format!("\"0x{}\"", "01".repeat(32))), "{text}");
		let back: RunRecord = read_json(&path).unwrap();
		assert_eq!(back, run);
		run.checkpoints.push([3; 32]);
		assert!(run.is_complete());
		assert_eq!(run.root(), checkpoint_root(&[[1; 32], [2; 32], [3; 32]]));
		assert!(!temporary_path(&path).exists());
	}

	#[test]
	fn corrupt_records_are_reported_with_their_path() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("run.json");
		fs::write(&path, r#"{"spec": "0x00", "checkpoints": []}"#).unwrap();
		let error = format!("{:#}", read_json::<RunRecord>(&path).unwrap_err());
		assert!(error.contains("run.json is not a valid record"), "{error}");
		fs::write(&path, r#"{"spec": "0x", "checkpoints": ["0x12"]}"#).unwrap();
		assert!(read_json::<RunRecord>(&path).is_err());
	}
}
