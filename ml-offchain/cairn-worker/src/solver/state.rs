//! What a solver remembers about each task, one JSON file per task in `WORK/tasks/<id>.json`.
//! The record is written before every action on chain and after every checkpoint, so a solver
//! restarted after a crash knows what it claimed, how far it trained and whether it committed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use cairn_primitives::TaskId;
use serde::{Deserialize, Serialize};

use crate::record::{read_json, set_aside, write_json, RunRecord};

/// Where a task stands for this solver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
	/// A claim was sent at block `since`; the chain says whether it landed.
	Claiming { since: u64 },
	/// The solver holds the task and must commit by block `deadline`.
	Claimed { deadline: u32 },
	/// The commitment was sent at block `since` and has not been seen on chain yet.
	Submitting { deadline: u32, since: u64 },
	/// The commitment is on chain, in finalized block `block`.
	Submitted { block: String },
	/// The solver gave the task up: `reason`.
	Abandoned { reason: String },
}

impl Phase {
	/// The phase's name, as records and metrics spell it.
	pub fn name(&self) -> &'static str {
		match self {
			Phase::Claiming { .. } => "claiming",
			Phase::Claimed { .. } => "claimed",
			Phase::Submitting { .. } => "submitting",
			Phase::Submitted { .. } => "submitted",
			Phase::Abandoned { .. } => "abandoned",
		}
	}

	/// Whether the solver still has something to do for the task.
	pub fn is_active(&self) -> bool {
		matches!(self, Phase::Claiming { .. } | Phase::Claimed { .. } | Phase::Submitting { .. })
	}
}

/// A task's record: its id, the training run (spec and checkpoint hashes) and its phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
	pub task_id: TaskId,
	#[serde(flatten)]
	pub run: RunRecord,
	pub phase: Phase,
}

/// The directory of task records.
#[derive(Clone, Debug)]
pub struct TaskDir {
	dir: PathBuf,
}

impl TaskDir {
	/// The records in `dir`, created if needed.
	pub fn open(dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
		let dir = dir.into();
		std::fs::create_dir_all(&dir)
			.with_context(|| format!("cannot create {}", dir.display()))?;
		Ok(Self { dir })
	}

	/// The file of task `task_id`.
	pub fn path(&self, task_id: TaskId) -> PathBuf {
		self.dir.join(format!("{task_id}.json"))
	}

	/// Writes the record of `state.task_id`, atomically.
	pub fn save(&self, state: &TaskState) -> anyhow::Result<()> {
		write_json(&self.path(state.task_id), state)
	}

	/// The record of `task_id`, if there is one.
	pub fn load(&self, task_id: TaskId) -> anyhow::Result<Option<TaskState>> {
		let path = self.path(task_id);
		if !path.exists() {
			return Ok(None);
		}
		let state: TaskState = read_json(&path)?;
		anyhow::ensure!(
			state.task_id == task_id,
			"{} is the record of task {}",
			path.display(),
			state.task_id
		);
		Ok(Some(state))
	}

	/// Every record, by increasing task id. Files that are not `<id>.json` are ignored; a record
	/// that cannot be read as one (corrupt, or of another task) is set aside as
	/// `<id>.json.unreadable` with a log line, so that one bad file cannot stop the solver's
	/// work on every other task, block after block.
	pub fn load_all(&self) -> anyhow::Result<Vec<TaskState>> {
		let entries = std::fs::read_dir(&self.dir)
			.with_context(|| format!("cannot list {}", self.dir.display()))?;
		let mut states = Vec::new();
		for entry in entries {
			let entry = entry.with_context(|| format!("cannot list {}", self.dir.display()))?;
			let Some(task_id) = task_id_of(&entry.path()) else { continue };
			match self.load(task_id) {
				Ok(state) => states.extend(state),
				Err(error) => set_aside(&self.path(task_id), &error)?,
			}
		}
		states.sort_by_key(|state| state.task_id);
		Ok(states)
	}
}

/// `7` for `.../7.json`.
fn task_id_of(path: &Path) -> Option<TaskId> {
	if path.extension()? != "json" {
		return None;
	}
	path.file_stem()?.to_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::record::tests::spec;

	#[test]
	fn records_survive_a_restart_and_stray_files_are_ignored() {
		let dir = tempfile::tempdir().unwrap();
		let tasks = TaskDir::open(dir.path().join("tasks")).unwrap();
		let mut claimed = TaskState {
			task_id: 12,
			run: RunRecord::new(spec()),
			phase: Phase::Claimed { deadline: 250 },
		};
		claimed.run.checkpoints.push([9; 32]);
		let submitted = TaskState {
			task_id: 3,
			run: RunRecord::new(spec()),
			phase: Phase::Submitted { block: "0xab".into() },
		};
		tasks.save(&claimed).unwrap();
		tasks.save(&submitted).unwrap();
		std::fs::write(dir.path().join("tasks").join("notes.txt"), "x").unwrap();
		std::fs::write(dir.path().join("tasks").join("12.json.tmp"), "torn").unwrap();

		// A new process sees the same records.
		let reopened = TaskDir::open(dir.path().join("tasks")).unwrap();
		assert_eq!(reopened.load_all().unwrap(), vec![submitted.clone(), claimed.clone()]);
		assert_eq!(reopened.load(12).unwrap(), Some(claimed.clone()));
		assert_eq!(reopened.load(13).unwrap(), None);
		assert!(claimed.phase.is_active() && !submitted.phase.is_active());

		// Progress overwrites the record in place.
		claimed.run.checkpoints.push([10; 32]);
		reopened.save(&claimed).unwrap();
		assert_eq!(tasks.load(12).unwrap().unwrap().run.checkpoints.len(), 2);
	}

	#[test]
	fn the_record_is_plain_json_with_the_phase_by_name() {
		let dir = tempfile::tempdir().unwrap();
		let tasks = TaskDir::open(dir.path()).unwrap();
		tasks
			.save(&TaskState {
				task_id: 1,
				run: RunRecord::new(spec()),
				phase: Phase::Abandoned { reason: "deadline passed".into() },
			})
			.unwrap();
		let json: serde_json::Value =
			serde_json::from_slice(&std::fs::read(tasks.path(1)).unwrap()).unwrap();
		assert_eq!(json["task_id"], 1);
		assert_eq!(json["phase"]["abandoned"]["reason"], "deadline passed");
		assert!(json["spec"].as_str().unwrap().starts_with("0x"));
		assert_eq!(json["checkpoints"], serde_json::json!([]));
	}

	#[test]
	fn a_record_under_the_wrong_name_is_an_error() {
		let dir = tempfile::tempdir().unwrap();
		let tasks = TaskDir::open(dir.path()).unwrap();
		let state = TaskState {
			task_id: 4,
			run: RunRecord::new(spec()),
			phase: Phase::Claiming { since: 3 },
		};
		tasks.save(&state).unwrap();
		std::fs::rename(tasks.path(4), tasks.path(5)).unwrap();
		assert!(tasks.load(5).is_err());
	}

	#[test]
	fn an_unreadable_record_is_set_aside_and_the_others_still_load() {
		let dir = tempfile::tempdir().unwrap();
		let tasks = TaskDir::open(dir.path()).unwrap();
		let state = TaskState {
			task_id: 2,
			run: RunRecord::new(spec()),
			phase: Phase::Claiming { since: 3 },
		};
		tasks.save(&state).unwrap();
		std::fs::write(tasks.path(3), b"{ not json").unwrap();
		assert_eq!(tasks.load_all().unwrap(), vec![state.clone()]);
		assert!(!tasks.path(3).exists());
		assert!(dir.path().join("3.json.unreadable").exists());
		// Set aside once: the next pass finds nothing to complain about.
		assert_eq!(tasks.load_all().unwrap(), vec![state]);
	}
}
