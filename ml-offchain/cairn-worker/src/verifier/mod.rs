//! `run --role verifier`: a verifier that follows finalized blocks and serves the checks it is
//! drawn for.
//!
//! At every finalized block it reads the running verifications. For a check of its own in the
//! current round it:
//! - in the commit phase: recomputes its targets ([`replay`]), writes the findings and a fresh
//!   secret salt to its record ([`state`]) and only then sends the commitment;
//! - in the reveal phase: reveals the findings and salt of its record.
//!
//! It also plays its part in running disputes ([`dispute`]): answering the solver's midpoints
//! when its finding is the one disputed, and re-executing the pinpointed point when drawn onto a
//! dispute's committee.
//!
//! The record is the single source of what it committed to, so a verifier killed and restarted at
//! any point reveals exactly that. A sent extrinsic whose outcome is unknown is given
//! [`RESEND_AFTER`] blocks to show on chain before it is sent again; the chain refuses a second
//! commitment or reveal, so nothing lands twice.

mod dispute;
mod replay;
mod state;

use std::{collections::HashMap, path::PathBuf};

use anyhow::{anyhow, Context};
use cairn_primitives::{
	verification::reveal_commitment, Hash256, ResultCommitment, Role, TaskId, TaskSpec,
};
use cairn_train::{ArtifactClient, ArtifactStore, Dataset};
use subxt::{ext::codec::Encode, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

use crate::{
	chain::{self, BlockId, Chain, ModuleError, TaskStatus, Verification, VerificationPhase},
	datasets,
	offline::store_in,
	provider::{self, Ended},
	record::hex0x,
};
use replay::ServedRun;
use state::{CheckDir, CheckRecord};

/// Blocks to wait for a sent commitment or reveal to show on chain before sending it again.
const RESEND_AFTER: u64 = 3;

/// How the verifier is set up.
pub struct Config {
	/// WebSocket RPC endpoint of a Cairn node.
	pub url: String,
	pub signer: Keypair,
	/// Holds `artifacts/` (datasets and fetched checkpoints) and `checks/`.
	pub work_dir: PathBuf,
	/// Dataset files to import into the store at start.
	pub dataset_files: Vec<PathBuf>,
	/// Bond to register with [default: the minimum verifier bond].
	pub bond: Option<u128>,
}

/// Runs the verifier until a fatal error or a termination signal.
pub async fn run(config: Config) -> anyhow::Result<()> {
	let store = store_in(&config.work_dir)?;
	datasets::import(&store, &config.dataset_files)?;
	let mut verifier = Verifier {
		me: chain::account_of(&config.signer),
		signer: config.signer,
		bond: config.bond,
		store,
		checks: CheckDir::open(config.work_dir.join("checks"))?,
		client: ArtifactClient::new(),
		answered: HashMap::new(),
	};
	tracing::info!(account = %verifier.me, work_dir = %config.work_dir.display(), "verifier starting");
	provider::reconnecting(
		async |connected| verifier.session(&config.url, connected).await,
		std::future::pending(),
	)
	.await
}

struct Verifier {
	signer: Keypair,
	me: AccountId32,
	bond: Option<u128>,
	store: ArtifactStore,
	checks: CheckDir,
	client: ArtifactClient,
	/// Block at which a dispute's midpoint (task, dispute serial, round) was last answered.
	answered: HashMap<(TaskId, u8, u16), u64>,
}

impl Verifier {
	/// Connects, makes sure the account is a verifier, and follows finalized blocks until
	/// something fails.
	async fn session(&mut self, url: &str, connected: &mut bool) -> Ended {
		let chain = match Chain::connect(url).await {
			Ok(chain) => chain,
			Err(error) => return Ended::Retry(error),
		};
		*connected = true;
		tracing::info!(url, "connected");
		if let Err(ended) =
			provider::ensure_registered(&chain, &self.signer, Role::Verifier, self.bond).await
		{
			return ended;
		}
		let mut blocks = match chain.finalized_blocks().await {
			Ok(blocks) => blocks,
			Err(error) => return Ended::Retry(error),
		};
		loop {
			let block = match blocks.next().await {
				Some(Ok(block)) => block,
				Some(Err(error)) => return Ended::Retry(error),
				None => {
					return Ended::Retry(anyhow!("the node ended the finalized-block subscription"))
				},
			};
			if let Err(error) = self.on_block(&chain, block).await {
				return Ended::Retry(error);
			}
		}
	}

	/// One finalized block: serve every check of this verifier in a current round, and its part
	/// in every running dispute.
	async fn on_block(&mut self, chain: &Chain, block: BlockId) -> anyhow::Result<()> {
		for verification in &chain.verifications_at(block.hash).await? {
			if let Err(error) = self.play_dispute(chain, verification, block.number).await {
				// This dispute only (the solver's artifacts out of reach, say): next block.
				tracing::error!(task = verification.task_id, "cannot play the dispute: {error:#}");
			}
			let Some(check) = verification.check_of(&self.me) else { continue };
			match verification.phase {
				VerificationPhase::Commit { .. } if !check.committed => {
					self.commit(chain, verification, &check.targets, block.number).await?
				},
				VerificationPhase::Reveal { .. } if check.committed && check.verdicts.is_none() => {
					self.reveal(chain, verification, block.number).await?
				},
				_ => {},
			}
		}
		Ok(())
	}

	/// Recomputes the targets (once: the record keeps them) and commits to the findings.
	async fn commit(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		targets: &[u32],
		now: u64,
	) -> anyhow::Result<()> {
		let (task_id, round) = (verification.task_id, verification.round);
		let name = CheckRecord::name_of(task_id, verification.submitted_at, round);
		let mut record = match self.checks.load(&name)? {
			Some(record) => record,
			None => match self.check(chain, verification, targets).await {
				Ok(record) => {
					self.checks.save(&record)?;
					record
				},
				// This check only (a dataset out of reach, say): try again next block.
				Err(error) => {
					tracing::error!(task = task_id, round, "cannot check the task: {error:#}");
					return Ok(());
				},
			},
		};
		if record.commit_sent_at.is_some_and(|since| now <= since + RESEND_AFTER) {
			return Ok(());
		}
		record.commit_sent_at = Some(now);
		self.checks.save(&record)?;
		let commitment =
			reveal_commitment(task_id, round, &self.me.encode(), &record.computed(), &record.salt);
		tracing::info!(task = task_id, round, commitment = hex0x(&commitment), "committing");
		match chain.commit_findings(&self.signer, task_id, commitment).await {
			Ok(block) => tracing::info!(task = task_id, round, block = ?block, "committed"),
			// Committed before, or the phase ended: the next block shows which.
			Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
				tracing::warn!(task = task_id, round, "commitment refused: {error:#}")
			},
			Err(error) => return Err(error),
		}
		Ok(())
	}

	/// Reveals what the record says was committed.
	async fn reveal(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		now: u64,
	) -> anyhow::Result<()> {
		let (task_id, round) = (verification.task_id, verification.round);
		let name = CheckRecord::name_of(task_id, verification.submitted_at, round);
		let Some(mut record) = self.checks.load::<CheckRecord>(&name)? else {
			tracing::error!(
				task = task_id,
				round,
				"committed on chain but the check's record is gone: cannot reveal"
			);
			return Ok(());
		};
		if record.reveal_sent_at.is_some_and(|since| now <= since + RESEND_AFTER) {
			return Ok(());
		}
		record.reveal_sent_at = Some(now);
		self.checks.save(&record)?;
		tracing::info!(task = task_id, round, "revealing");
		match chain.reveal_findings(&self.signer, task_id, record.findings, record.salt).await {
			Ok(block) => tracing::info!(task = task_id, round, block = ?block, "revealed"),
			Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
				tracing::warn!(task = task_id, round, "reveal refused: {error:#}")
			},
			Err(error) => return Err(error),
		}
		Ok(())
	}

	/// A submitted task's spec, dataset and commitment, as re-execution needs them.
	async fn submitted(&self, chain: &Chain, task_id: TaskId) -> anyhow::Result<SubmittedRun> {
		let task = chain.task(task_id).await?.ok_or_else(|| anyhow!("task {task_id} is gone"))?;
		let TaskStatus::Submitted { commitment, .. } = task.status else {
			return Err(anyhow!("task {task_id} has no submitted result"));
		};
		let dataset = datasets::obtain(&self.store, &task.spec).await?;
		let base = String::from_utf8(commitment.artifacts_uri.to_vec())
			.map_err(|_| anyhow!("task {task_id}'s artifacts URI is not UTF-8"))?;
		Ok(SubmittedRun { spec: task.spec, dataset, commitment, base })
	}

	/// Recomputes `targets` of a submitted task into a new record with a fresh salt.
	async fn check(
		&self,
		chain: &Chain,
		verification: &Verification,
		targets: &[u32],
	) -> anyhow::Result<CheckRecord> {
		let task_id = verification.task_id;
		let run = self.submitted(chain, task_id).await?;
		tracing::info!(task = task_id, round = verification.round, ?targets, "recomputing");
		let started = std::time::Instant::now();
		let served = run.served(self, task_id, &[]);
		let findings = replay::findings(&served, &run.spec, &run.dataset, targets).await?;
		for (target, finding) in targets.iter().zip(&findings) {
			tracing::info!(task = task_id, target, computed = ?finding.computed, "recomputed");
		}
		tracing::info!(
			task = task_id,
			round = verification.round,
			targets = targets.len(),
			millis = started.elapsed().as_millis() as u64,
			"checked"
		);
		Ok(CheckRecord {
			task_id,
			submitted_at: verification.submitted_at,
			round: verification.round,
			targets: targets.to_vec(),
			findings,
			salt: fresh_salt()?,
			commit_sent_at: None,
			reveal_sent_at: None,
			leaves: served.proved_leaves(),
		})
	}
}

/// A submitted task's spec, dataset and commitment.
struct SubmittedRun {
	spec: TaskSpec,
	dataset: Dataset,
	commitment: ResultCommitment,
	/// The solver's artifacts URI.
	base: String,
}

impl SubmittedRun {
	/// The run as the solver serves it, fetched through `verifier`'s client and store, with the
	/// leaves `proved` before.
	fn served<'a>(
		&'a self,
		verifier: &'a Verifier,
		task_id: TaskId,
		proved: &[(u32, Hash256)],
	) -> ServedRun<'a> {
		ServedRun {
			client: &verifier.client,
			store: &verifier.store,
			base: self.base.clone(),
			task_id,
			commitment: &self.commitment,
			leaves: std::sync::Mutex::new(proved.iter().copied().collect()),
		}
	}
}

/// 32 bytes from the operating system's random source.
fn fresh_salt() -> anyhow::Result<Hash256> {
	use std::io::Read;
	let mut salt = [0u8; 32];
	std::fs::File::open("/dev/urandom")
		.and_then(|mut source| source.read_exact(&mut salt))
		.context("cannot read /dev/urandom for a commitment salt")?;
	Ok(salt)
}
