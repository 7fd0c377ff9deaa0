//! `run --role solver`: a solver that follows finalized blocks, claims tasks it can serve, trains
//! them, and commits the results, one task at a time.
//!
//! At every finalized block the solver reads the live tasks and brings its records
//! ([`state`]) in line with the chain before acting, so that the same code resumes after a
//! restart, a reconnection or a crash at any point:
//! - a task it holds (claimed on chain by its account) is trained, resuming from the last
//!   checkpoint on record; a trained one is committed, unless a commitment is already on chain
//!   or one was just sent;
//! - a task lost (expired, reopened, refunded) stops its training and is marked abandoned;
//! - when idle, it claims the lowest open task whose model it can train and whose dataset it
//!   has or can download (checked before claiming);
//! - a result of its own under an availability challenge gets the leaves asked for, and one
//!   under dispute gets its value at each midpoint, re-executed from its own checkpoints.
//!
//! Each claim and commitment is recorded before it is sent, mortal from the block it is sent at;
//! one whose outcome is unknown (the connection dropped) is given [`RESEND_AFTER`] blocks, its
//! whole life, to appear before it is sent again or given up, so a claim given up can never land
//! later and leave the solver holding a task it does not train. The decisions themselves are
//! pure functions in [`plan`].

mod capacity;
#[cfg(feature = "dishonest")]
pub mod cheat;
mod plan;
mod refusals;
#[cfg(test)]
mod serve_load;
mod server;
mod state;

use std::{
	collections::HashMap,
	path::PathBuf,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
};

use anyhow::{anyhow, Context};
use cairn_primitives::{
	merkle::checkpoint_proof, task::Uri, verification::Siblings, Hash256, ResultCommitment, Role,
	TaskId,
};
use cairn_train::{client::AddressPolicy, ArtifactClient, ArtifactStore};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
	chain::{
		self, BlockId, Chain, Midpoint, ModuleError, TaskRecord, TaskStatus, TasksAt, Verification,
		VerificationPhase,
	},
	datasets, hardware, metrics, models,
	offline::store_in,
	provider::{self, awaiting, Ended},
	record::{hex0x, RunRecord},
	training::{load_checkpoint, run_parent, train_run, value_at, Outcome, Stopped},
	units::format_cairn,
};
use plan::{Action, AfterTraining, Facts, OnChain, Slot, TrainingEnd, RESEND_AFTER, RETRY_AFTER};
use refusals::Refusals;
use state::{Phase, TaskDir, TaskState};

/// How the solver is set up.
pub struct Config {
	/// WebSocket RPC endpoint of a Cairn node.
	pub url: String,
	pub signer: Keypair,
	/// Holds `artifacts/` and `tasks/`.
	pub work_dir: PathBuf,
	pub listen: std::net::SocketAddr,
	/// Base URL of the artifact server as others reach it.
	pub public_url: String,
	/// What the artifact server lets its clients take.
	pub server_limits: cairn_train::server::Limits,
	/// Largest dataset to take on, in bytes.
	pub max_dataset_bytes: u64,
	/// Which hosts downloads (datasets, parents' weights) may reach.
	pub addresses: AddressPolicy,
	/// Dataset files to import into the store at start.
	pub dataset_files: Vec<PathBuf>,
	/// Bond to register with [default: the minimum solver bond].
	pub bond: Option<u128>,
	/// How to cheat (test builds only).
	#[cfg(feature = "dishonest")]
	pub cheat: Option<cheat::Cheat>,
}

/// Runs the solver until a fatal error or a termination signal.
pub async fn run(config: Config) -> anyhow::Result<()> {
	let store = store_in(&config.work_dir)?;
	let tasks = TaskDir::open(config.work_dir.join("tasks"))?;
	datasets::import(&store, &config.dataset_files)?;

	let listener = TcpListener::bind(config.listen)
		.await
		.with_context(|| format!("cannot listen on {}", config.listen))?;
	let address = listener.local_addr().context("the listener has no address")?;
	let public_url = config.public_url.clone();
	let artifacts_uri = Uri::try_from(public_url.clone().into_bytes()).map_err(|_| {
		anyhow!("--public-url is longer than {} bytes", cairn_primitives::task::MAX_URI_LEN)
	})?;
	let mut server = server::start(listener, store.clone(), tasks.clone(), config.server_limits)
		.context("cannot start the artifact server")?;
	tracing::info!(listen = %address, public_url, "serving artifacts");

	let mut solver = Solver {
		me: chain::account_of(&config.signer),
		signer: config.signer,
		bond: config.bond,
		client: ArtifactClient::new(config.addresses),
		store,
		tasks,
		artifacts_uri,
		job: None,
		refusals: Refusals::open(config.work_dir.join("refusals.json"))?,
		retrain_at: HashMap::new(),
		max_dataset_bytes: config.max_dataset_bytes,
		throughput: measure_throughput()?,
		posted: HashMap::new(),
		defended: HashMap::new(),
		next_block: 0,
		#[cfg(feature = "dishonest")]
		cheat: config.cheat,
	};
	tracing::info!(account = %solver.me, work_dir = %config.work_dir.display(), "solver starting");
	let server_failed =
		async { anyhow!("the artifact server panicked: {}", server.stopped().await) };
	let outcome = provider::reconnecting(
		async |connected| solver.session(&config.url, connected).await,
		server_failed,
	)
	.await;
	solver.stop_job("the solver is shutting down");
	// A stop asked for is not a crash: a task under examination is not to blame.
	solver.refusals.examined()?;
	outcome
}

/// Training in progress on a blocking thread.
struct Job {
	task_id: TaskId,
	stop: Arc<AtomicBool>,
	/// Why the task is being given up, once it is.
	abandon: Option<String>,
	/// The record as training left it, and how training ended.
	handle: JoinHandle<(TaskState, anyhow::Result<Outcome>)>,
}

/// How a training job ended: the record as training left it, and the outcome.
type JobResult = Result<(TaskState, anyhow::Result<Outcome>), tokio::task::JoinError>;

/// What woke the solver up.
enum Event {
	Block(Option<anyhow::Result<BlockId>>),
	JobDone(Box<JobResult>),
}

struct Solver {
	signer: Keypair,
	me: AccountId32,
	bond: Option<u128>,
	/// Downloads datasets and parents' weights.
	client: ArtifactClient,
	store: ArtifactStore,
	tasks: TaskDir,
	artifacts_uri: Uri,
	job: Option<Job>,
	/// Tasks not to consider for a while, and the one being examined.
	refusals: Refusals,
	/// Held tasks whose training failed, and the block from which it may start again.
	retrain_at: HashMap<TaskId, u64>,
	/// Largest dataset to take on, in bytes.
	max_dataset_bytes: u64,
	/// How fast this machine trains, measured at start.
	throughput: capacity::Throughput,
	/// Block at which leaves were last posted for a task under an availability challenge.
	posted: HashMap<TaskId, u64>,
	/// Block at which a dispute's midpoint (task, dispute serial, round) was last posted.
	defended: HashMap<(TaskId, u8, u16), u64>,
	#[cfg(feature = "dishonest")]
	cheat: Option<cheat::Cheat>,
	/// Lowest finalized block number still to handle: a new subscription starts with a few
	/// older finalized blocks, and blocks queued while a claim was waiting for finality come in
	/// after it; their stale view of the tasks must not be acted on.
	next_block: u64,
}

impl Solver {
	/// Connects, checks the registration (registering if needed), and follows finalized blocks
	/// until something fails.
	async fn session(&mut self, url: &str, connected: &mut bool) -> Ended {
		let chain = match Chain::connect(url).await {
			Ok(chain) => chain,
			Err(error) => return Ended::Retry(error),
		};
		*connected = true;
		tracing::info!(url, "connected");
		if let Err(ended) =
			provider::ensure_registered(&chain, &self.signer, Role::Solver, self.bond).await
		{
			return ended;
		}
		match self.follow(&chain).await {
			Ok(never) => match never {},
			Err(ended) => ended,
		}
	}

	/// Handles finalized blocks and finished training until the connection fails.
	async fn follow(&mut self, chain: &Chain) -> Result<std::convert::Infallible, Ended> {
		let mut blocks = chain.finalized_blocks().await?;
		self.next_block = self.next_block.max(chain.finalized_block().await?.number);
		loop {
			let event = tokio::select! {
				block = blocks.next() => Event::Block(block),
				done = job_done(&mut self.job) => Event::JobDone(Box::new(done)),
			};
			match event {
				Event::Block(None) => {
					return Err(anyhow!("the node ended the finalized-block subscription").into())
				},
				Event::Block(Some(block)) => {
					let block = block?;
					if block.number < self.next_block {
						tracing::debug!(block = block.number, "skipping an older finalized block");
						continue;
					}
					self.on_block(chain, block).await?;
					self.next_block = self.next_block.max(block.number + 1);
				},
				Event::JobDone(done) => self.on_job_done(*done)?,
			}
		}
	}

	/// One finalized block: answer availability challenges, align the records with the chain,
	/// then act.
	async fn on_block(&mut self, chain: &Chain, block: BlockId) -> anyhow::Result<()> {
		metrics::finalized(block.number);
		let verifications = chain.verifications_at(block.hash).await?;
		self.answer_challenges(chain, &verifications, block).await?;
		self.defend(chain, &verifications, block).await?;
		let view = chain.tasks_at(block.hash).await?;
		tracing::debug!(block = view.block.number, tasks = view.tasks.len(), "finalized block");
		let mut busy = self.job.is_some();
		let mut records = self.tasks.load_all()?;
		for state in records.iter_mut().filter(|s| s.phase.is_active()) {
			busy |= self.reconcile(chain, &view, state).await?;
		}
		metrics::set_tasks(records.iter().map(|state| state.phase.name()));
		if busy {
			return Ok(());
		}
		if self.adopt(&view).await? {
			return Ok(());
		}
		self.claim_next(chain, &view).await
	}

	/// Posts on chain the leaves verifiers said they could not fetch, for every result of this
	/// solver under an availability challenge, from its run records.
	async fn answer_challenges(
		&mut self,
		chain: &Chain,
		verifications: &[Verification],
		block: BlockId,
	) -> anyhow::Result<()> {
		for verification in verifications.iter().filter(|v| v.solver == self.me) {
			let task_id = verification.task_id;
			let challenged: Vec<u32> =
				verification.targets.iter().filter(|t| t.challenged).map(|t| t.index).collect();
			if !matches!(verification.phase, VerificationPhase::Availability { .. })
				|| challenged.is_empty()
				|| awaiting(self.posted.get(&task_id).copied(), block.number, RESEND_AFTER)
			{
				continue;
			}
			let Some(state) = self.tasks.load(task_id)? else {
				tracing::error!(
					task = task_id,
					"asked for leaves of a run this solver has no record of"
				);
				continue;
			};
			let leaves = challenged
				.iter()
				.filter_map(|&index| checkpoint_proof(&state.run.checkpoints, index))
				.map(|proof| {
					(proof.leaf_index, proof.leaf, Siblings::truncate_from(proof.siblings))
				})
				.collect();
			self.posted.insert(task_id, block.number);
			tracing::info!(task = task_id, ?challenged, "posting the leaves verifiers asked for");
			match chain.post_leaves(&self.signer, task_id, leaves).await {
				Ok(block) => tracing::info!(task = task_id, block = ?block, "leaves posted"),
				Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
					tracing::warn!(task = task_id, "leaves refused: {error:#}")
				},
				Err(error) => return Err(error),
			}
		}
		Ok(())
	}

	/// Posts this solver's value at the midpoint of every dispute over one of its results,
	/// re-executed from its own checkpoint that starts the disputed segment. A dispute it cannot
	/// compute for is logged and tried again next block, without holding up anything else.
	async fn defend(
		&mut self,
		chain: &Chain,
		verifications: &[Verification],
		block: BlockId,
	) -> anyhow::Result<()> {
		for verification in verifications.iter().filter(|v| v.solver == self.me) {
			let task_id = verification.task_id;
			// A dispute over a verifier's witness is the verifier's to defend.
			let Some(dispute) = verification.dispute.as_ref().filter(|d| d.defender == self.me)
			else {
				continue;
			};
			let (None, Some(point)) = (dispute.midpoint, dispute.stage.midpoint()) else {
				continue;
			};
			let key = (task_id, dispute.serial, dispute.rounds);
			if awaiting(self.defended.get(&key).copied(), block.number, RESEND_AFTER) {
				continue;
			}
			let value = match self.midpoint_value(task_id, dispute.target, point).await {
				Ok(value) => value,
				Err(error) => {
					tracing::error!(task = task_id, ?point, "cannot defend the result: {error:#}");
					continue;
				},
			};
			self.defended.insert(key, block.number);
			tracing::info!(task = task_id, ?point, value = hex0x(&value), "defending");
			let sent = chain.bisect(&self.signer, task_id, dispute.rounds, value).await;
			chain::log_sent(task_id, "midpoint posted", sent)?;
		}
		Ok(())
	}

	/// This solver's value at `point` of the segment that ends at checkpoint `target`, from its
	/// own run record and checkpoints.
	async fn midpoint_value(
		&self,
		task_id: TaskId,
		target: u32,
		point: Midpoint,
	) -> anyhow::Result<Hash256> {
		let state = self
			.tasks
			.load(task_id)?
			.ok_or_else(|| anyhow!("no record of the disputed run"))?;
		let start = state
			.run
			.checkpoints
			.get(target.saturating_sub(1) as usize)
			.ok_or_else(|| anyhow!("the dispute is past the checkpoints on record"))?;
		let start = load_checkpoint(&self.store, start)?;
		let dataset = datasets::obtain(
			&self.client,
			&self.store,
			&state.run.spec,
			state.run.architecture()?,
			None,
		)
		.await?;
		let parent = run_parent(&self.store, &state.run)?;
		value_at(cairn_train::Job::new(&state.run.spec, parent.as_ref()), &dataset, &start, point)
	}

	/// Brings one active record in line with the chain and moves it on ([`plan::next_step`]);
	/// returns whether the task keeps the solver busy.
	async fn reconcile(
		&mut self,
		chain: &Chain,
		view: &TasksAt,
		state: &mut TaskState,
	) -> anyhow::Result<bool> {
		let now = view.block.number;
		let status = view.tasks.iter().find(|t| t.id == state.task_id).map(|t| &t.status);
		let on_chain = match status {
			Some(TaskStatus::Submitted { solver, .. }) if *solver == self.me => OnChain::Committed,
			Some(TaskStatus::Claimed { solver, deadline }) if *solver == self.me => {
				OnChain::Held { deadline: *deadline }
			},
			Some(TaskStatus::Open { .. }) => OnChain::Open,
			_ => OnChain::Lost,
		};
		let slot = match &self.job {
			None => Slot::Idle,
			Some(job) if job.task_id == state.task_id => Slot::This,
			Some(_) => Slot::Other,
		};
		let step = plan::next_step(Facts {
			phase: &state.phase,
			on_chain,
			now,
			trained: state.run.is_complete(),
			slot,
			retrain_at: self.retrain_at.get(&state.task_id).copied(),
		});
		if let Some(phase) = step.record {
			tracing::info!(task = state.task_id, "claim confirmed");
			state.phase = phase;
			self.tasks.save(state)?;
		}
		match step.action {
			Action::Wait { busy } => Ok(busy),
			Action::RecordCommitted => {
				tracing::info!(task = state.task_id, "the commitment is on chain");
				state.phase = Phase::Submitted { block: format!("{:?}", view.block.hash) };
				self.tasks.save(state)?;
				Ok(false)
			},
			Action::Train => {
				self.retrain_at.remove(&state.task_id);
				self.start_job(state.clone()).await?;
				Ok(true)
			},
			Action::Commit { deadline, resend } => {
				if resend {
					tracing::warn!(
						task = state.task_id,
						"the commitment did not land; sending it again"
					);
				}
				self.submit(chain, state, deadline).await?;
				Ok(true)
			},
			Action::GiveUp { reason } => {
				self.give_up(state, slot == Slot::This, reason)?;
				Ok(slot == Slot::This)
			},
		}
	}

	/// Marks a task abandoned, stopping its training first if it runs (the record is then
	/// written when training has stopped).
	fn give_up(
		&mut self,
		state: &mut TaskState,
		training: bool,
		reason: String,
	) -> anyhow::Result<()> {
		if training && self.job.as_ref().is_some_and(|job| job.abandon.is_some()) {
			return Ok(()); // already stopping
		}
		tracing::warn!(task = state.task_id, "giving the task up: {reason}");
		if training {
			self.stop_job(&reason);
			return Ok(());
		}
		state.phase = Phase::Abandoned { reason };
		self.tasks.save(state)
	}

	/// Asks the running training, if any, to stop; its record is marked abandoned when it has.
	fn stop_job(&mut self, reason: &str) {
		if let Some(job) = &mut self.job {
			job.stop.store(true, Ordering::Relaxed);
			job.abandon.get_or_insert_with(|| reason.to_string());
		}
	}

	/// Starts training for a task this solver holds and has no record of (its records were lost,
	/// or it claimed from elsewhere); returns whether it did. A task with a record is left to
	/// [`reconcile`](Self::reconcile) (active) or stays given up (abandoned).
	async fn adopt(&mut self, view: &TasksAt) -> anyhow::Result<bool> {
		for task in &view.tasks {
			let TaskStatus::Claimed { solver, deadline } = &task.status else {
				continue;
			};
			if *solver != self.me
				|| view.block.number > u64::from(*deadline)
				|| self.tasks.load(task.id)?.is_some()
			{
				continue;
			}
			tracing::info!(task = task.id, "adopting a task this account holds");
			let state = TaskState {
				task_id: task.id,
				run: RunRecord::new(task.spec.clone()),
				phase: Phase::Claimed { deadline: *deadline },
			};
			self.tasks.save(&state)?;
			self.start_job(state).await?;
			return Ok(true);
		}
		Ok(false)
	}

	/// Claims the lowest open task this solver can serve, if any, and starts training it.
	async fn claim_next(&mut self, chain: &Chain, view: &TasksAt) -> anyhow::Result<()> {
		let now = view.block.number;
		self.refusals
			.retain_live(|task_id| view.tasks.iter().any(|task| task.id == task_id))?;
		if !view.tasks.iter().any(|task| matches!(task.status, TaskStatus::Open { .. })) {
			return Ok(());
		}
		// Every open task needs one minimum bond: a claim beyond that would only be refused.
		let params = chain.market_params().await?;
		let min_bond = params.min_solver_bond;
		if let Some(me) = chain.provider(&self.me).await? {
			let needed = min_bond.saturating_mul(u128::from(me.open_solver_tasks) + 1);
			if me.bonded < needed {
				tracing::debug!(
					open = me.open_solver_tasks,
					bonded = format_cairn(me.bonded),
					"the bond covers no further task until one settles"
				);
				return Ok(());
			}
		}
		// Training may take half the memory free now; where that cannot be read, nothing is
		// refused for it.
		let limits = capacity::Limits {
			max_dataset_bytes: self.max_dataset_bytes,
			memory_bytes: hardware::available_memory().map_or(u64::MAX, |bytes| bytes / 2),
			throughput: self.throughput,
			window_seconds: params.training_window_seconds(),
		};
		for task in &view.tasks {
			let TaskStatus::Open { until } = task.status else {
				continue;
			};
			let known = self.tasks.load(task.id)?;
			if !plan::may_claim(
				until,
				now,
				task.submitter == self.me,
				self.refusals.refuses(task.id, now),
				known.as_ref().map(|state| &state.phase),
			) {
				continue;
			}
			self.refusals.examining(task.id)?;
			let examined = self.examine(chain, task, &limits).await;
			self.refusals.examined()?;
			let run = match examined {
				Ok(run) => run,
				Err(reason) => {
					tracing::info!(task = task.id, "refusing the task: {reason:#}");
					self.refusals.refuse(task.id, now + RETRY_AFTER, format!("{reason:#}"))?;
					continue;
				},
			};
			return self.claim(chain, task, run).await;
		}
		Ok(())
	}

	/// The run this solver would train for `task`, if it can serve it: a continuation's parent
	/// weights are here and checked, the task fits `limits`, the dataset is here (fetched if need
	/// be) and fits the network, and a trial of its first steps finishes it in time.
	async fn examine(
		&self,
		chain: &Chain,
		task: &TaskRecord,
		limits: &capacity::Limits,
	) -> anyhow::Result<RunRecord> {
		let (parent, weights) =
			models::parent_of(chain, &self.client, &self.store, &task.spec, None)
				.await
				.context("cannot get the parent model")?
				.unzip();
		let run = RunRecord { parent, ..RunRecord::new(task.spec.clone()) };
		let architecture = run.architecture()?;
		capacity::check(&task.spec, architecture, limits)?;
		let dataset = datasets::obtain(&self.client, &self.store, &task.spec, architecture, None)
			.await
			.context("cannot obtain the dataset")?;
		let (spec, window) = (task.spec.clone(), limits.window_seconds);
		tokio::task::spawn_blocking(move || {
			capacity::trial(cairn_train::Job::new(&spec, weights.as_ref()), &dataset, window)
		})
		.await
		.context("the trial run panicked")??;
		Ok(run)
	}

	/// Claims `task`, recording the attempt first, and starts training `run` of it.
	async fn claim(
		&mut self,
		chain: &Chain,
		task: &TaskRecord,
		run: RunRecord,
	) -> anyhow::Result<()> {
		// Mortal from the newest finalized block: examining the task may have taken minutes.
		let birth = chain.finalized_block().await?;
		let now = birth.number;
		let mut state = TaskState {
			task_id: task.id,
			run: reuse(self.tasks.load(task.id)?, run),
			phase: Phase::Claiming { since: now },
		};
		self.tasks.save(&state)?;
		tracing::info!(task = task.id, reward = format_cairn(task.reward), "claiming");
		match chain.claim_task(&self.signer, task.id, birth).await {
			Ok(claimed) => {
				tracing::info!(
					task = task.id,
					bond = format_cairn(claimed.bond),
					deadline = claimed.deadline,
					"claimed"
				);
				state.phase = Phase::Claimed { deadline: claimed.deadline };
				self.tasks.save(&state)?;
				// Blocks before the claim's would show the task open, as if the claim were lost.
				self.next_block = self.next_block.max(claimed.block);
				self.start_job(state).await
			},
			Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
				tracing::warn!(task = task.id, "claim refused: {error:#}");
				state.phase = Phase::Abandoned { reason: error.to_string() };
				self.tasks.save(&state)?;
				self.refusals.refuse(task.id, now + RETRY_AFTER, error.to_string())
			},
			Err(error) => Err(error),
		}
	}

	/// Starts (or resumes) training `state` on a blocking thread.
	async fn start_job(&mut self, mut state: TaskState) -> anyhow::Result<()> {
		let architecture = state.run.architecture()?.clone();
		let dataset =
			match datasets::obtain(&self.client, &self.store, &state.run.spec, &architecture, None)
				.await
			{
				Ok(dataset) => dataset,
				// Held: a download cut short may pass, and giving up would not save the bond.
				Err(error) => {
					let ended = TrainingEnd::Failed {
						error: format!("cannot obtain the dataset: {error:#}"),
					};
					return self.after_training(&mut state, ended, None);
				},
			};
		let stop = Arc::new(AtomicBool::new(false));
		let (store, tasks, flag) = (self.store.clone(), self.tasks.clone(), stop.clone());
		let task_id = state.task_id;
		tracing::info!(
			task = task_id,
			checkpoints_done = state.run.checkpoints.len(),
			checkpoints = state.run.spec.training.checkpoint_count(),
			"training"
		);
		let handle = tokio::task::spawn_blocking(move || {
			let _span = tracing::info_span!("task", id = task_id).entered();
			let mut run = state.run.clone();
			let outcome = train_run(&mut run, &dataset, &store, &flag, |run| {
				tasks.save(&TaskState { run: run.clone(), ..state.clone() })
			});
			state.run = run;
			(state, outcome)
		});
		self.job = Some(Job { task_id, stop, abandon: None, handle });
		Ok(())
	}

	/// Training ended: log it, pause a failed run before it trains again, or record why the task
	/// is given up ([`plan::after_training`]). The commitment is sent from the next finalized
	/// block, after checking the task's status there.
	fn on_job_done(&mut self, done: JobResult) -> anyhow::Result<()> {
		let Some(job) = self.job.take() else {
			return Ok(());
		};
		let (mut state, outcome) =
			done.map_err(|error| anyhow!("training of task {} panicked: {error}", job.task_id))?;
		let ended = match &outcome {
			Ok(outcome) => {
				tracing::info!(
					task = state.task_id,
					root = hex0x(&state.run.root()),
					weights = hex0x(&outcome.weights_hash),
					accuracy = format!("{}/{}", outcome.accuracy.correct, outcome.accuracy.total),
					loss = format!("{:.4}", outcome.accuracy.loss),
					perplexity = format!("{:.2}", outcome.accuracy.perplexity()),
					steps = outcome.steps_taken,
					samples_per_s = format!("{:.0}", outcome.samples_per_second),
					"trained"
				);
				TrainingEnd::Trained
			},
			Err(error) if error.downcast_ref::<Stopped>().is_some() => TrainingEnd::Stopped,
			Err(error) => TrainingEnd::Failed { error: format!("{error:#}") },
		};
		self.after_training(&mut state, ended, job.abandon)
	}

	/// Applies [`plan::after_training`] to the record of a task whose training ended (or could
	/// not start) at the last block handled.
	fn after_training(
		&mut self,
		state: &mut TaskState,
		ended: TrainingEnd,
		abandon: Option<String>,
	) -> anyhow::Result<()> {
		let failure = match &ended {
			TrainingEnd::Failed { error } => Some(error.clone()),
			_ => None,
		};
		match plan::after_training(ended, abandon, self.next_block.saturating_sub(1)) {
			AfterTraining::Commit => Ok(()),
			AfterTraining::Retrain { at } => {
				let error = failure.unwrap_or_default();
				tracing::error!(
					task = state.task_id,
					retry_at = at,
					"training failed; the task is still held, so it trains again: {error}"
				);
				self.retrain_at.insert(state.task_id, at);
				Ok(())
			},
			AfterTraining::Abandon { reason } => {
				state.phase = Phase::Abandoned { reason };
				self.tasks.save(state)
			},
		}
	}

	/// Commits a trained task, recording the attempt first. A pallet error is re-checked against
	/// the chain (the first commitment may have landed after all).
	async fn submit(
		&mut self,
		chain: &Chain,
		state: &mut TaskState,
		deadline: u32,
	) -> anyhow::Result<()> {
		#[cfg(feature = "dishonest")]
		if let Some(cheat) = self.cheat {
			cheat.apply(&self.store, &mut state.run)?;
		}
		let commitment = self.commitment(&state.run)?;
		let root = hex0x(&commitment.checkpoint_root);
		// Mortal from the newest finalized block, which the block being handled may trail.
		let birth = chain.finalized_block().await?;
		state.phase = Phase::Submitting { deadline, since: birth.number };
		self.tasks.save(state)?;
		tracing::info!(task = state.task_id, root, "committing");
		match chain.submit_result(&self.signer, state.task_id, commitment, birth).await {
			Ok(block) => {
				tracing::info!(task = state.task_id, root, block = ?block, "committed");
				state.phase = Phase::Submitted { block: format!("{block:?}") };
				self.tasks.save(state)
			},
			Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
				match chain.task(state.task_id).await?.map(|task| task.status) {
					Some(TaskStatus::Submitted { solver, .. }) if solver == self.me => {
						state.phase = Phase::Submitted { block: "unknown".into() };
					},
					_ => {
						tracing::error!(
							task = state.task_id,
							"the commitment was refused: {error:#}"
						);
						state.phase = Phase::Abandoned { reason: error.to_string() };
					},
				}
				self.tasks.save(state)
			},
			Err(error) => Err(error),
		}
	}

	/// The commitment of a complete run: the final weights' hash, the root over the checkpoints,
	/// their count and this solver's artifact URL.
	fn commitment(&self, run: &RunRecord) -> anyhow::Result<ResultCommitment> {
		let last = run.checkpoints.last().ok_or_else(|| anyhow!("the run has no checkpoint"))?;
		let weights = load_checkpoint(&self.store, last)?.weights()?;
		let weights_hash = self.store.put(&weights).context("cannot store the final weights")?;
		Ok(ResultCommitment {
			final_weights_hash: weights_hash,
			checkpoint_root: run.root(),
			checkpoint_count: run.checkpoints.len() as u32,
			artifacts_uri: self.artifacts_uri.clone(),
		})
	}
}

/// The run to continue for `fresh`: an earlier record's checkpoints when it trained the same spec
/// from the same parent (training is deterministic, so they are the same checkpoints), else
/// `fresh`.
fn reuse(known: Option<TaskState>, fresh: RunRecord) -> RunRecord {
	match known {
		Some(state) if state.run.spec == fresh.spec && state.run.parent == fresh.parent => {
			state.run
		},
		_ => fresh,
	}
}

/// Resolves when the running job ends; never when there is none.
async fn job_done(job: &mut Option<Job>) -> JobResult {
	match job {
		Some(job) => (&mut job.handle).await,
		None => std::future::pending().await,
	}
}

/// This machine's training throughput, logged: what the solver expects of itself.
fn measure_throughput() -> anyhow::Result<capacity::Throughput> {
	let measured = capacity::Throughput::measure()?;
	tracing::info!(
		micros_per_step = format!("{:.1}", measured.seconds_per_step * 1e6),
		gflops_per_s = format!("{:.2}", measured.flops_per_second / 1e9),
		"measured training throughput"
	);
	Ok(measured)
}
