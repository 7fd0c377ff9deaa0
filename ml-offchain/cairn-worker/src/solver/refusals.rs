//! The tasks a solver will not consider for a while, kept in `WORK/refusals.json` so that a
//! restart does not try them again at once. Examining a task before claiming it (fetching its
//! parent and dataset, decoding them) is marked in the same file while it runs: a task whose
//! examination stopped the worker (a crash, the kernel's out-of-memory killer) is found marked at
//! the next start and refused for good, so a poisoned task cannot crash-loop a provider.

use std::{collections::BTreeMap, path::PathBuf};

use cairn_primitives::TaskId;
use serde::{Deserialize, Serialize};

use crate::record::{read_json, set_aside, write_json};

/// Why and until when a task is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
	/// First block at which the task may be considered again.
	pub until: u64,
	pub reason: String,
}

/// What the file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Kept {
	refused: BTreeMap<TaskId, Refusal>,
	/// The task being examined, if one is.
	examining: Option<TaskId>,
}

/// The refused tasks, written through to their file.
#[derive(Debug)]
pub struct Refusals {
	path: PathBuf,
	kept: Kept,
}

impl Refusals {
	/// The refusals kept at `path`. A task marked as under examination stopped the previous run
	/// of the worker: it is refused for good, with a log line. An unreadable file is set aside.
	pub fn open(path: impl Into<PathBuf>) -> anyhow::Result<Self> {
		let path = path.into();
		let kept = match path.exists().then(|| read_json::<Kept>(&path)).transpose() {
			Ok(kept) => kept.unwrap_or_default(),
			Err(error) => {
				set_aside(&path, &error)?;
				Kept::default()
			},
		};
		let mut refusals = Self { path, kept };
		if let Some(task_id) = refusals.kept.examining.take() {
			let reason = "examining it stopped the worker".to_string();
			tracing::error!(task = task_id, "refusing the task for good: {reason}");
			refusals.kept.refused.insert(task_id, Refusal { until: u64::MAX, reason });
			refusals.save()?;
		}
		Ok(refusals)
	}

	/// Whether `task_id` is refused at block `now`.
	pub fn refuses(&self, task_id: TaskId, now: u64) -> bool {
		self.kept.refused.get(&task_id).is_some_and(|refusal| now < refusal.until)
	}

	/// Refuses `task_id` until block `until`, for `reason`.
	pub fn refuse(&mut self, task_id: TaskId, until: u64, reason: String) -> anyhow::Result<()> {
		self.kept.refused.insert(task_id, Refusal { until, reason });
		self.save()
	}

	/// Marks `task_id` as under examination, until [`examined`](Self::examined).
	pub fn examining(&mut self, task_id: TaskId) -> anyhow::Result<()> {
		self.kept.examining = Some(task_id);
		self.save()
	}

	/// The examination ended (whatever its outcome) without stopping the worker.
	pub fn examined(&mut self) -> anyhow::Result<()> {
		if self.kept.examining.take().is_some() {
			self.save()?;
		}
		Ok(())
	}

	/// Forgets the refusals of tasks `live` does not hold (the chain forgot them too), so that
	/// the file stays as small as the set of live tasks.
	pub fn retain_live(&mut self, live: impl Fn(TaskId) -> bool) -> anyhow::Result<()> {
		let before = self.kept.refused.len();
		self.kept.refused.retain(|task_id, _| live(*task_id));
		if self.kept.refused.len() != before {
			self.save()?;
		}
		Ok(())
	}

	fn save(&self) -> anyhow::Result<()> {
		write_json(&self.path, &self.kept)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn refusals_survive_a_restart_and_expire_at_their_block() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("refusals.json");
		let mut refusals = Refusals::open(&path).unwrap();
		refusals.refuse(7, 120, "the dataset is not reachable".into()).unwrap();
		assert!(refusals.refuses(7, 119) && !refusals.refuses(8, 119));

		let reopened = Refusals::open(&path).unwrap();
		assert!(reopened.refuses(7, 119), "a restart forgot the refusal");
		assert!(!reopened.refuses(7, 120));
	}

	#[test]
	fn a_task_whose_examination_stopped_the_worker_is_refused_for_good() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("refusals.json");
		let mut refusals = Refusals::open(&path).unwrap();
		refusals.examining(3).unwrap();
		refusals.examined().unwrap();
		refusals.examining(4).unwrap();
		// The worker dies here: the next start finds task 4 marked.
		drop(refusals);
		let reopened = Refusals::open(&path).unwrap();
		assert!(reopened.refuses(4, u64::MAX - 1), "the task that stopped the worker is retried");
		assert!(!reopened.refuses(3, 0), "a task examined to the end is refused");
		// Marked once: the start after that does not refuse anything more.
		assert_eq!(Refusals::open(&path).unwrap().kept, reopened.kept);
	}

	#[test]
	fn refusals_of_tasks_gone_from_the_chain_are_forgotten() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("refusals.json");
		let mut refusals = Refusals::open(&path).unwrap();
		for task_id in 1..=4 {
			refusals.refuse(task_id, 500, "capacity".into()).unwrap();
		}
		refusals.retain_live(|task_id| task_id % 2 == 0).unwrap();
		let reopened = Refusals::open(&path).unwrap();
		assert_eq!(reopened.kept.refused.keys().copied().collect::<Vec<_>>(), vec![2, 4]);
	}

	#[test]
	fn an_unreadable_file_is_set_aside() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("refusals.json");
		std::fs::write(&path, "{ torn").unwrap();
		let refusals = Refusals::open(&path).unwrap();
		assert!(!refusals.refuses(1, 0));
		assert!(dir.path().join("refusals.json.unreadable").exists());
	}
}
