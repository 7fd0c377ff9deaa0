//! Test-only dishonest solvers (feature `dishonest`): ways of committing a run that was not
//! trained as the spec says, so that end-to-end tests can show verification catching them. Each
//! rewrites the run record before the commitment is computed, and serves what it committed to.

use anyhow::Context;
use cairn_train::ArtifactStore;
use clap::ValueEnum;

use crate::{record::RunRecord, training::load_checkpoint};

/// How a dishonest solver cheats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Cheat {
	/// Changes one weight of checkpoint 1, as a solver that perturbs its weights would.
	Perturb,
	/// Commits checkpoint 1 again as checkpoint 2, as a solver that skips a segment would.
	CopyCheckpoint,
}

impl Cheat {
	/// Rewrites `run` (complete) the dishonest way; applying it twice changes nothing more.
	pub fn apply(self, store: &ArtifactStore, run: &mut RunRecord) -> anyhow::Result<()> {
		anyhow::ensure!(run.checkpoints.len() > 2, "too few checkpoints to cheat on");
		match self {
			Cheat::Perturb => {
				let mut bytes = load_checkpoint(store, &run.checkpoints[1])?.into_bytes();
				let last = bytes.len() - 4;
				bytes[last..].copy_from_slice(&1.5f32.to_le_bytes());
				run.checkpoints[1] = store.put(&bytes).context("cannot store a checkpoint")?;
			},
			Cheat::CopyCheckpoint => run.checkpoints[2] = run.checkpoints[1],
		}
		tracing::warn!(cheat = ?self, "committing a dishonest run");
		Ok(())
	}
}
