//! A content-addressed artifact directory: each artifact lives in a file named by the lowercase
//! hex of its BLAKE2b-256 hash. Writes are atomic (temporary file, fsync, rename) and reads check
//! the hash, so a torn or tampered file is an error, never data. An artifact can be written in
//! pieces ([`ArtifactWriter`]), hashed on the way, so that a download never sits in memory whole.

use std::{
	fs::File,
	io::Write,
	path::PathBuf,
	sync::atomic::{AtomicU64, Ordering},
};

use cairn_primitives::{merkle::blake2_256, Hash256};
use thiserror::Error;

/// Why an artifact could not be stored or read.
#[derive(Debug, Error)]
pub enum StoreError {
	/// The file system failed.
	#[error("artifact store I/O on {path}: {source}")]
	Io {
		/// The file or directory.
		path: PathBuf,
		/// The underlying error.
		source: std::io::Error,
	},
	/// No artifact has this hash.
	#[error("artifact {} is not in the store", hex::encode(.0))]
	Missing(Hash256),
	/// The file's bytes do not hash to its name.
	#[error(
		"artifact {} is corrupt: its bytes hash to {}",
		hex::encode(expected),
		hex::encode(actual)
	)]
	Corrupt {
		/// The hash the file is named by.
		expected: Hash256,
		/// The hash of its bytes.
		actual: Hash256,
	},
}

/// The 32-byte hash spelled by 64 hex digits (either case), if that is what `text` is.
pub fn parse_hash(text: &str) -> Option<Hash256> {
	let mut hash = [0u8; 32];
	hex::decode_to_slice(text, &mut hash).ok()?;
	Some(hash)
}

/// A directory of artifacts keyed by hash.
#[derive(Clone, Debug)]
pub struct ArtifactStore {
	dir: PathBuf,
}

static TEMPORARY: AtomicU64 = AtomicU64::new(0);

impl ArtifactStore {
	/// The store in `dir`, created if needed.
	pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
		let dir = dir.into();
		std::fs::create_dir_all(&dir)
			.map_err(|source| StoreError::Io { path: dir.clone(), source })?;
		Ok(Self { dir })
	}

	/// Where the artifact `hash` lives (whether or not it is there).
	pub fn path(&self, hash: &Hash256) -> PathBuf {
		self.dir.join(hex::encode(hash))
	}

	/// Whether a file for `hash` exists (its content is checked by [`get`](Self::get)).
	pub fn contains(&self, hash: &Hash256) -> bool {
		self.path(hash).is_file()
	}

	/// Stores `bytes` under their hash and returns it.
	pub fn put(&self, bytes: &[u8]) -> Result<Hash256, StoreError> {
		let mut writer = self.writer()?;
		writer.write(bytes)?;
		writer.commit()
	}

	/// A new artifact, written in pieces into a temporary file of the store: it is stored under
	/// its hash once [`committed`](ArtifactWriter::commit), and removed if dropped before.
	pub fn writer(&self) -> Result<ArtifactWriter, StoreError> {
		let name =
			format!(".{}.{}.tmp", std::process::id(), TEMPORARY.fetch_add(1, Ordering::Relaxed));
		let temporary = self.dir.join(name);
		let file = File::create(&temporary)
			.map_err(|source| StoreError::Io { path: temporary.clone(), source })?;
		let hasher = blake2b_simd::Params::new().hash_length(32).to_state();
		Ok(ArtifactWriter {
			store: self.clone(),
			temporary,
			file,
			hasher,
			written: 0,
			committed: false,
		})
	}

	/// The artifact `hash`, checked against it.
	pub fn get(&self, hash: &Hash256) -> Result<Vec<u8>, StoreError> {
		let path = self.path(hash);
		let bytes = std::fs::read(&path).map_err(|source| match source.kind() {
			std::io::ErrorKind::NotFound => StoreError::Missing(*hash),
			_ => StoreError::Io { path: path.clone(), source },
		})?;
		let actual = blake2_256(&bytes);
		if &actual != hash {
			return Err(StoreError::Corrupt { expected: *hash, actual });
		}
		Ok(bytes)
	}
}

/// An artifact being written into an [`ArtifactStore`]: its bytes go to a temporary file and
/// into its hash as they come, so that no more than one piece is ever held. Only
/// [`commit`](Self::commit) makes it visible, under its hash; dropped before, or after a failed
/// commit, it leaves nothing behind.
#[derive(Debug)]
pub struct ArtifactWriter {
	store: ArtifactStore,
	temporary: PathBuf,
	file: File,
	hasher: blake2b_simd::State,
	written: u64,
	committed: bool,
}

impl ArtifactWriter {
	/// Appends `bytes`.
	pub fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
		self.file.write_all(bytes).map_err(|source| self.io(source))?;
		self.hasher.update(bytes);
		self.written += bytes.len() as u64;
		Ok(())
	}

	/// How many bytes were written so far.
	pub fn written(&self) -> u64 {
		self.written
	}

	/// The BLAKE2b-256 hash of what was written so far (the same as
	/// `cairn_primitives::merkle::blake2_256` of those bytes).
	pub fn hash(&self) -> Hash256 {
		let mut hash = [0u8; 32];
		// The state was made with a 32-byte output.
		hash.copy_from_slice(self.hasher.finalize().as_bytes());
		hash
	}

	/// Flushes the artifact to disk and moves it under its hash, which it returns.
	pub fn commit(mut self) -> Result<Hash256, StoreError> {
		let hash = self.hash();
		self.file.sync_all().map_err(|source| self.io(source))?;
		std::fs::rename(&self.temporary, self.store.path(&hash))
			.map_err(|source| self.io(source))?;
		self.committed = true;
		Ok(hash)
	}

	fn io(&self, source: std::io::Error) -> StoreError {
		StoreError::Io { path: self.temporary.clone(), source }
	}
}

impl Drop for ArtifactWriter {
	fn drop(&mut self) {
		if !self.committed {
			// Nothing to report to: the artifact was abandoned, or its write failed already.
			let _ = std::fs::remove_file(&self.temporary);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn put_get_and_the_errors() {
		let dir = tempfile::tempdir().unwrap();
		let store = ArtifactStore::open(dir.path().join("artifacts")).unwrap();
		let hash = store.put(b"checkpoint bytes").unwrap();
		assert_eq!(hash, blake2_256(b"checkpoint bytes"));
		assert!(store.contains(&hash));
		assert_eq!(store.get(&hash).unwrap(), b"checkpoint bytes");
		assert_eq!(store.put(b"checkpoint bytes").unwrap(), hash, "storing twice is harmless");

		std::fs::write(store.path(&hash), b"checkpoint bytez").unwrap();
		assert!(
			matches!(store.get(&hash), Err(StoreError::Corrupt { expected, .. }) if expected == hash)
		);
		assert!(matches!(store.get(&[7; 32]), Err(StoreError::Missing(h)) if h == [7; 32]));
		let leftovers = std::fs::read_dir(store.path(&hash).parent().unwrap()).unwrap().count();
		assert_eq!(leftovers, 1, "no temporary files remain");
	}

	#[test]
	fn an_artifact_written_in_pieces_is_stored_under_its_hash_once_committed() {
		let dir = tempfile::tempdir().unwrap();
		let store = ArtifactStore::open(dir.path()).unwrap();
		let mut writer = store.writer().unwrap();
		for piece in [&b"checkpoint "[..], b"in ", b"pieces"] {
			writer.write(piece).unwrap();
		}
		assert_eq!(writer.written(), 20);
		let expected = blake2_256(b"checkpoint in pieces");
		assert_eq!(writer.hash(), expected);
		assert!(!store.contains(&expected), "not visible before it is committed");
		assert_eq!(writer.commit().unwrap(), expected);
		assert_eq!(store.get(&expected).unwrap(), b"checkpoint in pieces");

		let mut abandoned = store.writer().unwrap();
		abandoned.write(b"half an artifact").unwrap();
		drop(abandoned);
		let names: Vec<_> =
			std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
		assert_eq!(
			names,
			[std::ffi::OsString::from(hex::encode(expected))],
			"nothing else remains"
		);
	}

	#[test]
	fn hashes_parse_from_64_hex_digits_only() {
		let hash = blake2_256(b"x");
		assert_eq!(parse_hash(&hex::encode(hash)), Some(hash));
		assert_eq!(parse_hash(&hex::encode(hash).to_uppercase()), Some(hash));
		assert_eq!(parse_hash("abc"), None);
		assert_eq!(parse_hash(&"g".repeat(64)), None);
	}
}
