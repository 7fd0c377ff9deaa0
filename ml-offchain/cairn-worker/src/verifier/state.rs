//! What a verifier remembers about each check and each arbitration, one JSON file each in
//! `WORK/checks/`: `<task>-<submitted>-<round>.json` for a check,
//! `<task>-<submitted>-dispute<serial>-<attempt>.json` for a seat on a dispute's committee,
//! `secret-<commitment>.json` for each forced-error secret it committed to, where
//! `<submitted>` is the block of the result's commitment (a reopened task is verified afresh). What it computed and the salt are written before the
//! commitment is sent, so a verifier restarted at any point reveals exactly what it committed to.

use std::path::PathBuf;

use anyhow::Context;
use cairn_primitives::{verification::secret_commitment, Computed, Finding, Hash256, TaskId};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::record::{read_json, scale_hex, set_aside, write_json};

/// A check: the targets drawn, what was found for them, the secret salt, and which extrinsics
/// were sent at which block (to resend one that did not land).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRecord {
	pub task_id: TaskId,
	/// Block of the result's commitment.
	#[serde(default)]
	pub submitted_at: u32,
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
	/// The solver's leaves this check fetched and proved, SCALE-encoded as hex: a dispute over
	/// the check starts from them without asking the solver again.
	#[serde(with = "scale_hex", default)]
	pub leaves: Vec<(u32, Hash256)>,
}

impl CheckRecord {
	/// The computed values, in target order: what the commitment hashes.
	pub fn computed(&self) -> Vec<Computed> {
		self.findings.iter().map(|finding| finding.computed.clone()).collect()
	}

	/// The file name of the record of `task_id`'s result committed at `submitted_at`, in
	/// `round`.
	pub fn name_of(task_id: TaskId, submitted_at: u32, round: u8) -> String {
		format!("{task_id}-{submitted_at}-{round}")
	}
}

/// A seat on a dispute's committee: what was computed at the arbitration point, the secret salt,
/// and which extrinsics were sent at which block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArbitrationRecord {
	pub task_id: TaskId,
	/// Block of the result's commitment.
	pub submitted_at: u32,
	/// The dispute's serial number within the task's verification.
	pub dispute: u8,
	/// The committee's attempt within the dispute.
	pub attempt: u8,
	/// What was computed, SCALE-encoded as hex.
	#[serde(with = "scale_hex")]
	pub computed: Computed,
	/// The salt of the commitment, SCALE-encoded as hex. Secret until revealed.
	#[serde(with = "scale_hex")]
	pub salt: Hash256,
	pub commit_sent_at: Option<u64>,
	pub reveal_sent_at: Option<u64>,
}

impl ArbitrationRecord {
	/// The file name of the record of a seat on committee `attempt` of dispute `dispute`.
	pub fn name_of(task_id: TaskId, submitted_at: u32, dispute: u8, attempt: u8) -> String {
		format!("{task_id}-{submitted_at}-dispute{dispute}-{attempt}")
	}
}

/// A forced-error secret (`cairn_primitives::verification::secret_commitment`), written before
/// its commitment is sent and kept after a new one replaces it: a check drawn with it may still
/// need it to show that a challenged witness was a forced error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
	/// The secret, SCALE-encoded as hex. Never sent but to show a forced error.
	#[serde(with = "scale_hex")]
	pub secret: Hash256,
}

impl SecretRecord {
	/// The file name of the record of the secret committed to as `commitment`.
	pub fn name_of(commitment: &Hash256) -> String {
		format!("secret-{}", hex::encode(commitment))
	}
}

/// A record kept in a [`CheckDir`].
pub trait Record: Serialize + DeserializeOwned {
	/// Its file name, without the extension.
	fn name(&self) -> String;
}

impl Record for CheckRecord {
	fn name(&self) -> String {
		Self::name_of(self.task_id, self.submitted_at, self.round)
	}
}

impl Record for SecretRecord {
	fn name(&self) -> String {
		Self::name_of(&secret_commitment(&self.secret))
	}
}

impl Record for ArbitrationRecord {
	fn name(&self) -> String {
		Self::name_of(self.task_id, self.submitted_at, self.dispute, self.attempt)
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

	fn path(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.json"))
	}

	/// Writes a record, atomically.
	pub fn save(&self, record: &impl Record) -> anyhow::Result<()> {
		write_json(&self.path(&record.name()), record)
	}

	/// The record named `name`, if there is one. An unreadable record is set aside as
	/// `<name>.json.unreadable` with a log line and counts as none: the work is done again
	/// rather than stopping every other check.
	pub fn load<R: Record>(&self, name: &str) -> anyhow::Result<Option<R>> {
		let path = self.path(name);
		if !path.exists() {
			return Ok(None);
		}
		match read_json(&path) {
			Ok(record) => Ok(Some(record)),
			Err(error) => {
				set_aside(&path, &error)?;
				Ok(None)
			},
		}
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
			submitted_at: 9,
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
			leaves: vec![(2, [8; 32])],
		};
		checks.save(&record).unwrap();
		assert_eq!(checks.load(&CheckRecord::name_of(4, 9, 1)).unwrap(), Some(record));
		assert_eq!(checks.load::<CheckRecord>(&CheckRecord::name_of(4, 9, 0)).unwrap(), None);
		// The same task submitted again is checked afresh.
		assert_eq!(checks.load::<CheckRecord>(&CheckRecord::name_of(4, 30, 1)).unwrap(), None);
		let seat = ArbitrationRecord {
			task_id: 4,
			submitted_at: 9,
			dispute: 0,
			attempt: 1,
			computed: Computed::Hash([5; 32]),
			salt: [6; 32],
			commit_sent_at: None,
			reveal_sent_at: None,
		};
		checks.save(&seat).unwrap();
		assert_eq!(checks.load(&ArbitrationRecord::name_of(4, 9, 0, 1)).unwrap(), Some(seat));
		let secret = SecretRecord { secret: [4; 32] };
		checks.save(&secret).unwrap();
		let name = SecretRecord::name_of(&secret_commitment(&[4; 32]));
		assert_eq!(checks.load(&name).unwrap(), Some(secret));
		// An unreadable record is set aside and counts as none.
		std::fs::write(dir.path().join("4-9-2.json"), b"{ not json").unwrap();
		assert_eq!(checks.load::<CheckRecord>(&CheckRecord::name_of(4, 9, 2)).unwrap(), None);
		assert!(dir.path().join("4-9-2.json.unreadable").exists());
	}
}
