//! A content-addressed artifact directory: each artifact lives in a file named by the lowercase
//! hex of its BLAKE2b-256 hash. Writes are atomic (temporary file, fsync, rename) and reads check
//! the hash, so a torn or tampered file is an error, never data.

use std::{
	fs::File,
	io::Write,
	path::{Path, PathBuf},
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
		let hash = blake2_256(bytes);
		let name = format!(
			".{}.{}.{}.tmp",
			hex::encode(hash),
			std::process::id(),
			TEMPORARY.fetch_add(1, Ordering::Relaxed)
		);
		let temporary = self.dir.join(name);
		let io = |path: &Path| {
			let path = path.to_path_buf();
			move |source| StoreError::Io { path, source }
		};
		let written = File::create(&temporary)
			.and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
			.and_then(|()| std::fs::rename(&temporary, self.path(&hash)));
		if written.is_err() {
			let _ = std::fs::remove_file(&temporary);
		}
		written.map_err(io(&temporary))?;
		Ok(hash)
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
	fn hashes_parse_from_64_hex_digits_only() {
		let hash = blake2_256(b"x");
		assert_eq!(parse_hash(&hex::encode(hash)), Some(hash));
		assert_eq!(parse_hash(&hex::encode(hash).to_uppercase()), Some(hash));
		assert_eq!(parse_hash("abc"), None);
		assert_eq!(parse_hash(&"g".repeat(64)), None);
	}
}
