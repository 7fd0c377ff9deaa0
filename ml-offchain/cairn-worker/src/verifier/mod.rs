//! `run --role verifier` and `run --role whistleblower`: workers that follow finalized blocks and
//! check others' work.
//!
//! A verifier keeps a forced-error secret committed on chain (a fresh one once a forced error
//! showed it, or once its record of the live one is lost), and at every finalized block reads the running verifications. For a check of its
//! own in the current round it:
//! - in the commit phase: recomputes its targets and their witnesses ([`replay`]), makes its
//!   forced error where its secret says so, writes the findings and a fresh secret salt to its
//!   record ([`state`]) and only then sends the commitment;
//! - in the reveal phase: reveals the findings and salt of its record.
//!
//! A whistleblower re-executes the witnesses of the checks it watches during their challenge
//! window and challenges the wrong ones ([`watch`]).
//!
//! Both play their part in running disputes ([`dispute`]): answering the defender's midpoints
//! when they challenged, defending a challenged witness (or showing it was a forced error), and
//! re-executing the pinpointed point when drawn onto a dispute's committee.
//!
//! The record is the single source of what it committed to, so a verifier killed and restarted at
//! any point reveals exactly that. A sent extrinsic whose outcome is unknown is given
//! [`RESEND_AFTER`] blocks to show on chain before it is sent again; the chain refuses a second
//! commitment or reveal, so nothing lands twice.

#[cfg(feature = "dishonest")]
pub mod dishonest;
mod dispute;
mod plan;
mod replay;
mod state;
mod watch;

use std::{
	collections::HashMap,
	path::PathBuf,
	sync::Mutex,
	time::{Duration, Instant},
};

use anyhow::{anyhow, Context};
use cairn_primitives::{
	verification::{forced_error, forced_witness, reveal_commitment},
	Computed, Finding, Hash256, ResultCommitment, Role, TaskId, TaskSpec,
};
use cairn_train::{client::AddressPolicy, ArtifactClient, ArtifactStore, Dataset, Job, Parent};
use subxt::{ext::codec::Encode, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

use crate::{
	chain::{
		self, BlockId, Chain, Check, ModuleError, TaskStatus, Verification, VerificationPhase,
	},
	datasets, metrics, models,
	offline::store_in,
	provider::{self, awaiting, Ended},
	record::hex0x,
};
use plan::{Duty, Part, Sent, Window, RESEND_AFTER};
use replay::ServedRun;
use state::{CheckDir, CheckRecord, SecretRecord};

/// Blocks between attempts to replace a live secret whose record is lost.
const LOST_SECRET_RETRY: u64 = 50;
/// How long a continuation's parent found without weights is used before they are sought again.
const PARENT_RETRY: Duration = Duration::from_secs(300);
/// Longest one download from a solver may take (a checkpoint of the widest task, nine 512 × 512
/// layers with Adam, is about 28 MB).
const SERVED_TIMEOUT: Duration = Duration::from_secs(120);

/// How the verifier or whistleblower is set up.
pub struct Config {
	/// WebSocket RPC endpoint of a Cairn node.
	pub url: String,
	pub signer: Keypair,
	/// `Role::Verifier` or `Role::Whistleblower`.
	pub role: Role,
	/// Whistleblower only: the probability of watching a check.
	pub watch: f64,
	/// Test builds only: how the verifier cheats.
	#[cfg(feature = "dishonest")]
	pub dishonesty: Option<dishonest::Dishonesty>,
	/// Holds `artifacts/` (datasets and fetched checkpoints) and `checks/`.
	pub work_dir: PathBuf,
	/// Dataset files to import into the store at start.
	pub dataset_files: Vec<PathBuf>,
	/// Which hosts downloads (datasets, the solver's artifacts, parents' weights) may reach.
	pub addresses: AddressPolicy,
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
		role: config.role,
		bond: config.bond,
		client: ArtifactClient::new(config.addresses),
		store,
		checks: CheckDir::open(config.work_dir.join("checks"))?,
		answered: HashMap::new(),
		secret_sent_at: None,
		parents: Mutex::default(),
		watching: watch::Watching::new(config.watch)?,
		#[cfg(feature = "dishonest")]
		dishonesty: config.dishonesty,
	};
	tracing::info!(
		account = %verifier.me,
		role = ?verifier.role,
		work_dir = %config.work_dir.display(),
		"starting"
	);
	provider::reconnecting(
		async |connected| verifier.session(&config.url, connected).await,
		std::future::pending(),
	)
	.await
}

struct Verifier {
	signer: Keypair,
	me: AccountId32,
	role: Role,
	bond: Option<u128>,
	/// Downloads datasets, the solvers' artifacts and parents' weights.
	client: ArtifactClient,
	store: ArtifactStore,
	checks: CheckDir,
	/// Block at which a dispute's move (task, dispute serial, round) was last sent.
	answered: HashMap<(TaskId, u8, u16), u64>,
	/// Block at which a new forced-error secret was last committed.
	secret_sent_at: Option<u64>,
	/// The parents of running continuations, and when their weights could not be had.
	parents: Mutex<HashMap<TaskId, (Parent, Option<Instant>)>>,
	/// What a whistleblower watches and has found.
	watching: watch::Watching,
	#[cfg(feature = "dishonest")]
	dishonesty: Option<dishonest::Dishonesty>,
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
			provider::ensure_registered(&chain, &self.signer, self.role, self.bond).await
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

	/// One finalized block: a verifier keeps a live secret and serves every check of its own in a
	/// current round; a whistleblower watches the checks in their challenge window; both play
	/// their part in every running dispute.
	async fn on_block(&mut self, chain: &Chain, block: BlockId) -> anyhow::Result<()> {
		metrics::finalized(block.number);
		if self.role == Role::Verifier {
			self.keep_secret(chain, block).await?;
		}
		let verifications = chain.verifications_at(block.hash).await?;
		// What was kept of verifications that ended is not needed again.
		let running = |task_id: TaskId| verifications.iter().any(|v| v.task_id == task_id);
		self.answered.retain(|(task_id, ..), _| running(*task_id));
		self.parents
			.get_mut()
			.unwrap_or_else(|e| e.into_inner())
			.retain(|task_id, _| running(*task_id));
		self.watching.forget_ended(&verifications);
		for verification in &verifications {
			if let Err(error) = self.play_dispute(chain, verification, block.number).await {
				// This dispute only (the solver's artifacts out of reach, say): next block.
				tracing::error!(task = verification.task_id, "cannot play the dispute: {error:#}");
			}
			if self.role == Role::Whistleblower {
				if let Err(error) = self.watch(chain, verification, block.number).await {
					tracing::error!(task = verification.task_id, "cannot watch: {error:#}");
				}
				continue;
			}
			let Some(check) = verification.check_of(&self.me) else { continue };
			self.serve_check(chain, verification, check, block.number).await?;
		}
		Ok(())
	}

	/// Carries out this verifier's duty for its `check` of `verification` ([`plan::duty`]).
	async fn serve_check(
		&mut self,
		chain: &Chain,
		verification: &Verification,
		check: &Check,
		now: u64,
	) -> anyhow::Result<()> {
		let (task_id, round) = (verification.task_id, verification.round);
		let window = match verification.phase {
			VerificationPhase::Commit { .. } => Window::Commit,
			VerificationPhase::Reveal { .. } => Window::Reveal,
			_ => Window::Closed,
		};
		let part = Part { committed: check.committed, revealed: check.verdicts.is_some() };
		let name = CheckRecord::name_of(task_id, verification.submitted_at, round);
		let record = self.checks.load::<CheckRecord>(&name)?;
		let sent = record
			.as_ref()
			.map(|record| Sent { commit: record.commit_sent_at, reveal: record.reveal_sent_at });
		match (plan::duty(window, part, sent, now), record) {
			(Duty::Compute, _) => match self.check(chain, verification, &check.targets).await {
				Ok(record) => self.commit(chain, record, now).await,
				// This check only (a dataset out of reach, say): try again next block.
				Err(error) => {
					tracing::error!(task = task_id, round, "cannot check the task: {error:#}");
					Ok(())
				},
			},
			(Duty::Commit { .. }, Some(record)) => self.commit(chain, record, now).await,
			(Duty::Reveal { .. }, Some(record)) => self.reveal(chain, record, now).await,
			(Duty::RecordLost, _) => {
				tracing::error!(
					task = task_id,
					round,
					"committed on chain but the check's record is gone: cannot reveal"
				);
				Ok(())
			},
			_ => Ok(()),
		}
	}

	/// Commits to a fresh forced-error secret when the chain has none unrevealed for this
	/// verifier (it is drawn only with one). The secret is recorded before it is committed to.
	async fn keep_secret(&mut self, chain: &Chain, block: BlockId) -> anyhow::Result<()> {
		// A live secret this worker does not hold (its records were lost) is replaced too, once
		// no check of the verifier is open (the chain refuses it before); meanwhile it makes no
		// forced errors, which costs it nothing.
		let wait = match chain.secret_of(block.hash, &self.me).await? {
			Some((commitment, false)) if self.secret_of(Some(commitment))?.is_some() => {
				return Ok(());
			},
			Some((_, false)) => LOST_SECRET_RETRY,
			_ => RESEND_AFTER,
		};
		if awaiting(self.secret_sent_at, block.number, wait) {
			return Ok(());
		}
		self.secret_sent_at = Some(block.number);
		let record = SecretRecord { secret: fresh_salt()? };
		self.checks.save(&record)?;
		let commitment = cairn_primitives::verification::secret_commitment(&record.secret);
		tracing::info!(commitment = hex0x(&commitment), "committing a forced-error secret");
		match chain.commit_secret(&self.signer, commitment).await {
			Ok(block) => tracing::info!(block = ?block, "secret committed"),
			// Committed before, or the old one is still in use: the next block shows which.
			Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
				tracing::warn!("secret refused: {error:#}")
			},
			Err(error) => return Err(error),
		}
		Ok(())
	}

	/// The forced-error secret a check was drawn with, if this verifier still has it.
	fn secret_of(&self, commitment: Option<Hash256>) -> anyhow::Result<Option<Hash256>> {
		let Some(commitment) = commitment else { return Ok(None) };
		let record = self.checks.load::<SecretRecord>(&SecretRecord::name_of(&commitment))?;
		Ok(record.map(|record| record.secret))
	}

	/// Commits to the findings of `record`, noting first when it was sent.
	async fn commit(
		&mut self,
		chain: &Chain,
		mut record: CheckRecord,
		now: u64,
	) -> anyhow::Result<()> {
		let (task_id, round) = (record.task_id, record.round);
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

	/// Reveals what `record` says was committed, noting first when it was sent.
	async fn reveal(
		&mut self,
		chain: &Chain,
		mut record: CheckRecord,
		now: u64,
	) -> anyhow::Result<()> {
		let (task_id, round) = (record.task_id, record.round);
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
		let base = String::from_utf8(commitment.artifacts_uri.to_vec())
			.map_err(|_| anyhow!("task {task_id}'s artifacts URI is not UTF-8"))?;
		let parent = self.parent(chain, task_id, &task.spec, &base).await?;
		let architecture = Job::new(&task.spec, parent.as_ref())
			.architecture()
			.cloned()
			.ok_or_else(|| anyhow!("task {task_id} trains no known network"))?;
		let dataset =
			datasets::obtain(&self.client, &self.store, &task.spec, &architecture, Some(&base))
				.await?;
		Ok(SubmittedRun { spec: task.spec, parent, dataset, commitment, base })
	}

	/// The parent a continuation (task `task_id` of `spec`, served at `base`) trains from, once
	/// per task: without its weights (the solver withholds them, and so does the registry's
	/// location) its network still replays every segment, and checkpoint 0 is unavailable; that
	/// is tried again after [`PARENT_RETRY`], so that a stalling server costs little.
	async fn parent(
		&self,
		chain: &Chain,
		task_id: TaskId,
		spec: &TaskSpec,
		base: &str,
	) -> anyhow::Result<Option<Parent>> {
		let known = self.parents.lock().unwrap_or_else(|e| e.into_inner()).get(&task_id).cloned();
		if let Some((parent, failed_at)) = known {
			if failed_at.is_none_or(|at| at.elapsed() < PARENT_RETRY) {
				return Ok(Some(parent));
			}
		}
		let Some((model, record)) = models::parent_record(chain, spec).await? else {
			return Ok(None);
		};
		let architecture = record.architecture.0.clone();
		let (parent, failed_at) = match models::parent_weights(
			&self.client,
			&self.store,
			model,
			record,
			Some(base),
		)
		.await
		{
			Ok((_, parent)) => (parent, None),
			Err(error) => {
				tracing::warn!(task = task_id, "the parent's weights are unavailable: {error:#}");
				(Parent::without_weights(&architecture)?, Some(Instant::now()))
			},
		};
		let mut parents = self.parents.lock().unwrap_or_else(|e| e.into_inner());
		parents.insert(task_id, (parent.clone(), failed_at));
		Ok(Some(parent))
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
		#[cfg(feature = "dishonest")]
		let findings = match self.dishonesty {
			Some(dishonest::Dishonesty::Lazy) => {
				dishonest::Dishonesty::Lazy.findings(&served, run.job(), targets, None).await
			},
			Some(cheat) => {
				let honest = replay::findings(&served, run.job(), &run.dataset, targets).await?;
				cheat.findings(&served, run.job(), targets, Some(honest)).await
			},
			None => replay::findings(&served, run.job(), &run.dataset, targets).await?,
		};
		#[cfg(not(feature = "dishonest"))]
		let findings = replay::findings(&served, run.job(), &run.dataset, targets).await?;
		for (target, finding) in targets.iter().zip(&findings) {
			tracing::info!(task = task_id, target, computed = ?finding.computed, "recomputed");
		}
		let secret = self.secret_of(verification.check_of(&self.me).and_then(|c| c.secret))?;
		let (round, rate) = (verification.round, verification.forced_error_rate);
		let findings = match secret {
			Some(secret) => with_forced_error(task_id, round, rate, &secret, findings),
			None => findings,
		};
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

/// `findings` with the forced error `secret` calls for on the check of `task_id` in `round` at
/// `rate` (parts per billion), if any: the witness it names replaced by `forced_witness` of it.
fn with_forced_error(
	task_id: TaskId,
	round: u8,
	rate: u32,
	secret: &Hash256,
	mut findings: Vec<Finding>,
) -> Vec<Finding> {
	let witnessed: Vec<usize> = (0..findings.len())
		.filter(|i| findings[*i].computed.witness().is_some())
		.collect();
	let Some(position) = forced_error(secret, task_id, round, rate, witnessed.len() as u32) else {
		return findings;
	};
	let finding = &mut findings[witnessed[position as usize]];
	if let Computed::Witnessed { hash, witness } = finding.computed {
		tracing::info!(task = task_id, round, position, "making the forced error");
		finding.computed = Computed::Witnessed { hash, witness: forced_witness(&witness) };
	}
	findings
}

/// A submitted task's spec, parent (for a continuation), dataset and commitment.
struct SubmittedRun {
	spec: TaskSpec,
	parent: Option<Parent>,
	dataset: Dataset,
	commitment: ResultCommitment,
	/// The solver's artifacts URI.
	base: String,
}

impl SubmittedRun {
	/// What re-execution trains: the spec, with its parent.
	fn job(&self) -> Job<'_> {
		Job::new(&self.spec, self.parent.as_ref())
	}

	/// The run as the solver serves it, fetched into `verifier`'s store, with the leaves `proved`
	/// before: no download may be longer than one of its checkpoints (or 64 KiB, for proofs) or
	/// take more than [`SERVED_TIMEOUT`].
	fn served<'a>(
		&'a self,
		verifier: &'a Verifier,
		task_id: TaskId,
		proved: &[(u32, Hash256)],
	) -> ServedRun<'a> {
		let longest = self.job().checkpoint_len().unwrap_or(0).max(64 << 10);
		ServedRun {
			client: verifier.client.limited(longest, SERVED_TIMEOUT),
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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_forced_error_replaces_the_one_witness_the_secret_names() {
		let witnessed =
			|hash, witness| Finding { computed: Computed::Witnessed { hash, witness }, leaf: None };
		let findings = vec![
			Finding { computed: Computed::Hash([1; 32]), leaf: None },
			witnessed([2; 32], [3; 32]),
			Finding { computed: Computed::Unavailable, leaf: None },
			witnessed([4; 32], [5; 32]),
		];
		assert_eq!(with_forced_error(7, 0, 0, &[9; 32], findings.clone()), findings);
		for task_id in 0..8 {
			let forced = with_forced_error(task_id, 0, 1_000_000_000, &[9; 32], findings.clone());
			let position = forced_error(&[9; 32], task_id, 0, 1_000_000_000, 2).expect("due");
			let mut expected = findings.clone();
			let (hash, witness) = [([2; 32], [3; 32]), ([4; 32], [5; 32])][position as usize];
			expected[[1, 3][position as usize]] = witnessed(hash, forced_witness(&witness));
			assert_eq!(forced, expected, "task {task_id}");
		}
	}
}
