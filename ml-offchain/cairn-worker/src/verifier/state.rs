//! What a verifier remembers about each check, one JSON file per task and round in
//! `WORK/checks/<task>-<round>.json`. The findings and the salt are written before the commitment
//! is sent, so a verifier restarted at any point reveals exactly what it committed to.

use std::path::PathBuf;

use anyhow::Context;
use cairn_primitives::{Computed, Finding, Hash256, TaskId};
use serde::{Deserialize, Serialize};

use crate::record::{read_json, scale_hex, write_json};

/// A check: the targets drawn, what was found for them, the secret salt, and which extrinsics
/// were sent at which block (to resend one that did not land).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
	pub task_id: TaskId,
	pub round: u8,
	pub targets: Vec<u32>,
	/// One finding per target, SCALE-encoded as hex.
	#[serde(with = "scale_hex")]
	pub findings: Vec<Finding>,
	/// The salt of the commitment, SCALE-encoded as hex. Secret until revealed.
	#[serde(with = "scale_hex")]
	pub salt: Hash256,
	/// Block at which the commitment was last sent.
	pub commit_sent_at: Option<u64>,
	/// Block at which the reveal was last sent.
	pub reveal_sent_at: Option<u64>,
}

impl CheckRecord {
	/// The computed values, in target order: what the commitment hashes.
	pub fn computed(&self) -> Vec<Computed> {
		self.findings.iter().map(|finding| finding.computed.clone()).collect()
	}
}

/// The directory of check records.
#[derive(Clone, Debug)]
pub struct CheckDir {
	dir: PathBuf,
}

impl CheckDir {
	/// The records in `dir`, created if needed.
	pub fn open(dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
		let dir = dir.into();
		std::fs::create_dir_all(&dir)
			.with_context(|| format!("cannot create {}", dir.display()))?;
		Ok(Self { dir })
	}

	fn path(&self, task_id: TaskId, round: u8) -> PathBuf {
		self.dir.join(format!("{task_id}-{round}.json"))
	}

	/// Writes a record, atomically.
	pub fn save(&self, record: &CheckRecord) -> anyhow::Result<()> {
		write_json(&self.path(record.task_id, record.round), record)
	}

	/// The record of `task_id` in `round`, if there is one.
	pub fn load(&self, task_id: TaskId, round: u8) -> anyhow::Result<Option<CheckRecord>> {
		let path = self.path(task_id, round);
		if !path.exists() {
			return Ok(None);
		}
		read_json(&path).map(Some)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_record_survives_a_round_trip_through_its_file() {
		let dir = tempfile::tempdir().unwrap();
		let checks = CheckDir::open(dir.path()).unwrap();
		let record = CheckRecord {
			task_id: 4,
			round: 1,
			targets: vec![0, 3, 11],
			findings: vec![
				Finding {
					computed: Computed::Hash([1; 32]),
					leaf: Some(([2; 32], Default::default())),
				},
				Finding { computed: Computed::Unavailable, leaf: None },
				Finding { computed: Computed::Hash([3; 32]), leaf: None },
			],
			salt: [7; 32],
			commit_sent_at: Some(12),
			reveal_sent_at: None,
		};
		checks.save(&record).unwrap();
		assert_eq!(checks.load(4, 1).unwrap(), Some(record));
		assert_eq!(checks.load(4, 0).unwrap(), None);
	}
}
