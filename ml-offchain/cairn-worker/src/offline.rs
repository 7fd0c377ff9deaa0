//! `train` and `replay`: the solver's and the verifier's computations, offline.
//!
//! `train --dir DIR` keeps its checkpoints in `DIR/artifacts` (a content-addressed store, the
//! layout a solver serves) and its run in `DIR/run.json` (the spec and the checkpoint hashes in
//! order). Started again on a directory holding an unfinished run of the same spec, it resumes.
//! `replay` reads such a directory, or a solver's work directory with `--task`.

use std::{path::Path, process::ExitCode, sync::atomic::AtomicBool};

use anyhow::{bail, Context};
use cairn_primitives::ModelInit;
use cairn_train::{replay_segment, ArtifactStore, Dataset, Job};

use crate::{
	cli::{ReplayArgs, TrainArgs},
	models,
	record::{hex0x, read_json, write_json, ParentRecord, RunRecord},
	training::{load_checkpoint, run_parent, train_run},
};

/// The artifact store of a run or work directory.
pub fn store_in(dir: &Path) -> anyhow::Result<ArtifactStore> {
	let path = dir.join("artifacts");
	ArtifactStore::open(&path)
		.with_context(|| format!("cannot open the artifact store {}", path.display()))
}

/// Trains the spec of `args` on its dataset file and prints every checkpoint hash, the Merkle
/// root, the final weights hash and the held-out accuracy.
pub fn train(args: TrainArgs) -> anyhow::Result<()> {
	let spec = args.spec.spec(false)?;
	let parent = match (&spec.model, &args.parent) {
		(ModelInit::FromRegistry { .. }, Some(file)) => {
			Some(models::parent_from_file(file, args.spec.architecture())?)
		},
		(ModelInit::FromRegistry { model }, None) => {
			bail!("the run continues model {model}: pass its weights with --parent FILE")
		},
		(ModelInit::Fresh { .. }, _) => None,
	};
	let Some(dataset_file) = &args.spec.dataset.dataset_file else {
		bail!("train needs the dataset itself: pass --dataset-file PATH");
	};
	let dataset = Dataset::load(dataset_file, &spec.dataset)?;
	std::fs::create_dir_all(&args.dir)
		.with_context(|| format!("cannot create {}", args.dir.display()))?;
	let store = store_in(&args.dir)?;
	let parent = parent
		.map(|(architecture, weights)| -> anyhow::Result<ParentRecord> {
			let weights = store.put(&weights.canonical()).context("cannot store the parent")?;
			Ok(ParentRecord { architecture, weights })
		})
		.transpose()?;
	let record_path = args.dir.join("run.json");
	let mut run = if record_path.exists() {
		let run: RunRecord = read_json(&record_path)?;
		if run.spec != spec || run.parent != parent {
			bail!(
				"{} holds a run of another spec: choose another --dir or remove it",
				record_path.display()
			);
		}
		tracing::info!(
			checkpoints = run.checkpoints.len(),
			"continuing the run in {}",
			args.dir.display()
		);
		run
	} else {
		RunRecord { parent, ..RunRecord::new(spec) }
	};

	let outcome = train_run(&mut run, &dataset, &store, &AtomicBool::new(false), |run| {
		write_json(&record_path, run)
	})?;
	tracing::info!(
		steps = outcome.steps_taken,
		samples_per_s = format!("{:.0}", outcome.samples_per_second),
		"trained"
	);
	let steps = run.spec.training.steps;
	println!("trained steps:    {}..{steps}", steps.saturating_sub(outcome.steps_taken));
	for (index, hash) in run.checkpoints.iter().enumerate() {
		let step = index as u64 * u64::from(run.spec.training.checkpoint_interval);
		println!("checkpoint {index:>4}  step {step:>7}  {}", hex0x(hash));
	}
	println!("checkpoint root:  {}", hex0x(&run.root()));
	println!("weights hash:     {}", hex0x(&outcome.weights_hash));
	let held_out = &outcome.accuracy;
	println!(
		"held-out accuracy: {}/{} ({:.2}%)",
		held_out.correct,
		held_out.total,
		100.0 * held_out.fraction()
	);
	println!(
		"held-out loss:     {:.4} nats a prediction ({:.4} bits), perplexity {:.2}",
		held_out.loss,
		held_out.loss / std::f64::consts::LN_2,
		held_out.perplexity()
	);
	Ok(())
}

/// Recomputes checkpoint `segment + 1` from checkpoint `segment` and says whether the hashes
/// match; a mismatch exits with status 1.
pub fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
	let record_path = match args.task {
		Some(task) => args.dir.join("tasks").join(format!("{task}.json")),
		None => args.dir.join("run.json"),
	};
	let run: RunRecord = read_json(&record_path)?;
	let store = store_in(&args.dir)?;
	let index = args.segment as usize;
	let (Some(start), Some(expected)) =
		(run.checkpoints.get(index), run.checkpoints.get(index + 1))
	else {
		bail!(
			"{} lists {} checkpoints, so segments 0 to {} (asked for {})",
			record_path.display(),
			run.checkpoints.len(),
			run.checkpoints.len().saturating_sub(2),
			args.segment
		);
	};
	let dataset = Dataset::load(&args.dataset_file, &run.spec.dataset)?;
	let start = load_checkpoint(&store, start)?;
	let parent = run_parent(&store, &run)?;
	let replayed = replay_segment(Job::new(&run.spec, parent.as_ref()), &dataset, &start)?;
	let interval = run.spec.training.checkpoint_interval;
	println!(
		"segment {}: steps {} to {}",
		args.segment,
		start.step(),
		start.step().saturating_add(interval)
	);
	println!("committed: {}", hex0x(expected));
	println!("replayed:  {}", hex0x(&replayed.hash()));
	if &replayed.hash() == expected {
		println!("match");
		Ok(ExitCode::SUCCESS)
	} else {
		println!("MISMATCH");
		Ok(ExitCode::FAILURE)
	}
}
