//! The compute market: providers (compute staking) and training tasks, read at finalized blocks and
//! driven with signed extrinsics. Generated types are turned into the small structs below so that
//! the rest of the worker does not depend on the shape of the generated API.

use anyhow::anyhow;
use cairn_primitives::{HardwareProfile, ResultCommitment, Role, Roles, TaskId, TaskSpec};
use subxt::utils::{AccountId32, Static, H256};
use subxt_signer::sr25519::Keypair;

use super::{api, BlockId, Chain, Explain};

type GeneratedStatus = api::runtime_types::pallet_tasks::types::TaskStatus<AccountId32, u128, u32>;

/// A registered compute provider, as far as the worker cares.
#[derive(Debug)]
pub struct Provider {
	pub roles: Roles,
	/// The hardware it declared, whose compute class verifiers are drawn from.
	pub hardware: HardwareProfile,
	/// Active bond.
	pub bonded: u128,
	/// Tasks it holds as a solver (claimed, or submitted and not yet settled).
	pub open_solver_tasks: u32,
}

/// Protocol parameters the worker needs.
#[derive(Debug)]
pub struct MarketParams {
	/// Least active bond of a solver.
	pub min_solver_bond: u128,
	/// Least active bond of a verifier.
	pub min_verifier_bond: u128,
	/// Least active bond of a whistleblower, and its collateral per open challenge.
	pub min_whistleblower_bond: u128,
	/// Blocks from a claim to its training deadline.
	pub training_window: u32,
	/// Milliseconds between blocks.
	pub block_millis: u64,
}

impl MarketParams {
	/// Seconds from a claim to its training deadline, at one block per slot. (The dev chain also
	/// seals a block for every transaction, so its windows can pass sooner.)
	pub fn training_window_seconds(&self) -> f64 {
		f64::from(self.training_window) * self.block_millis as f64 / 1000.0
	}

	/// Least active bond of `role`.
	pub fn min_bond(&self, role: Role) -> u128 {
		match role {
			Role::Solver => self.min_solver_bond,
			Role::Verifier => self.min_verifier_bond,
			Role::Whistleblower => self.min_whistleblower_bond,
		}
	}
}

/// Where a task is in its lifecycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskStatus {
	/// Claimable until block `until` (inclusive).
	Open { until: u32 },
	/// `solver` must commit by block `deadline` (inclusive).
	Claimed { solver: AccountId32, deadline: u32 },
	/// `solver` committed to `commitment`.
	Submitted { solver: AccountId32, commitment: ResultCommitment },
}

/// A live task.
#[derive(Clone, Debug)]
pub struct TaskRecord {
	pub id: TaskId,
	pub submitter: AccountId32,
	pub spec: TaskSpec,
	pub reward: u128,
	pub status: TaskStatus,
}

/// Every live task at one finalized block, by increasing id.
#[derive(Debug)]
pub struct TasksAt {
	pub block: BlockId,
	pub tasks: Vec<TaskRecord>,
}

/// A task posted by [`Chain::create_task`].
#[derive(Debug)]
pub struct CreatedTask {
	pub task_id: TaskId,
	/// The finalized block that includes the extrinsic.
	pub block: H256,
	pub flops: u128,
	pub open_until: u32,
}

/// A task claimed by [`Chain::claim_task`].
#[derive(Debug)]
pub struct ClaimedTask {
	pub bond: u128,
	pub deadline: u32,
	/// Number of the finalized block that includes the claim.
	pub block: u64,
}

impl From<GeneratedStatus> for TaskStatus {
	fn from(status: GeneratedStatus) -> Self {
		match status {
			GeneratedStatus::Open { until } => TaskStatus::Open { until },
			GeneratedStatus::Claimed { solver, deadline, .. } => {
				TaskStatus::Claimed { solver, deadline }
			},
			GeneratedStatus::Submitted { solver, commitment, .. } => {
				TaskStatus::Submitted { solver, commitment: commitment.0 }
			},
		}
	}
}

impl Chain {
	/// The provider record of `who` at the finalized block, if registered.
	pub async fn provider(&self, who: &AccountId32) -> anyhow::Result<Option<Provider>> {
		let at = self.finalized().await?;
		let provider = at
			.storage()
			.try_fetch(api::storage().compute_staking().providers(), (*who,))
			.await
			.explain("cannot read ComputeStaking.Providers")?;
		let Some(provider) = provider else {
			return Ok(None);
		};
		let provider =
			provider.decode().explain("cannot decode a ComputeStaking.Providers entry")?;
		Ok(Some(Provider {
			roles: provider.roles.0,
			hardware: provider.hardware.0,
			bonded: provider.bonded,
			open_solver_tasks: provider.open_tasks.solver,
		}))
	}

	/// The protocol parameters the worker needs, at the finalized block.
	pub async fn market_params(&self) -> anyhow::Result<MarketParams> {
		let at = self.finalized().await?;
		let staking = at
			.storage()
			.fetch(api::storage().compute_staking().params(), ())
			.await
			.explain("cannot read ComputeStaking.Params")?
			.decode()
			.explain("cannot decode ComputeStaking.Params")?;
		let tasks = at
			.storage()
			.fetch(api::storage().tasks().params(), ())
			.await
			.explain("cannot read Tasks.Params")?
			.decode()
			.explain("cannot decode Tasks.Params")?;
		Ok(MarketParams {
			min_solver_bond: staking.min_solver_bond,
			min_verifier_bond: staking.min_verifier_bond,
			min_whistleblower_bond: staking.min_whistleblower_bond,
			training_window: tasks.training_window,
			block_millis: at
				.constants()
				.entry(api::constants().aura().slot_duration())
				.explain("cannot read Aura.SlotDuration")?,
		})
	}

	/// Registers `signer` as a compute provider serving `roles` on `hardware`, holding `bond`.
	pub async fn register_provider(
		&self,
		signer: &Keypair,
		roles: Roles,
		hardware: HardwareProfile,
		bond: u128,
	) -> anyhow::Result<H256> {
		let call = api::transactions().compute_staking().register_provider(
			Static(roles),
			Static(hardware),
			bond,
		);
		let (block, _) = self.submit(signer, &call, "register_provider").await?;
		Ok(block)
	}

	/// Posts a training task with `reward` and returns its id from the `TaskCreated` event.
	pub async fn create_task(
		&self,
		signer: &Keypair,
		spec: TaskSpec,
		reward: u128,
	) -> anyhow::Result<CreatedTask> {
		let call = api::transactions().tasks().create_task(Static(spec), reward);
		let (block, events) = self.submit(signer, &call, "create_task").await?;
		let created = events
			.find_first::<api::tasks::events::TaskCreated>()
			.ok_or_else(|| anyhow!("the extrinsic succeeded but emitted no TaskCreated event"))?
			.explain("cannot decode the TaskCreated event")?;
		Ok(CreatedTask {
			task_id: created.task_id,
			block,
			flops: created.flops,
			open_until: created.open_until,
		})
	}

	/// Claims an open task as `signer`, mortal from block `from`; returns the bond held and the
	/// deadline to commit.
	pub async fn claim_task(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		from: BlockId,
	) -> anyhow::Result<ClaimedTask> {
		let call = api::transactions().tasks().claim_task(task_id);
		let (block, events) = self.submit_from(signer, &call, "claim_task", from).await?;
		let claimed = events
			.find_first::<api::tasks::events::TaskClaimed>()
			.ok_or_else(|| anyhow!("the extrinsic succeeded but emitted no TaskClaimed event"))?
			.explain("cannot decode the TaskClaimed event")?;
		let block = self.client.at_block(block).await.explain("cannot read the claim's block")?;
		Ok(ClaimedTask {
			bond: claimed.bond,
			deadline: claimed.deadline,
			block: block.block_number(),
		})
	}

	/// Commits to the result of a claimed task, mortal from block `from`; returns the finalized
	/// block that includes it.
	pub async fn submit_result(
		&self,
		signer: &Keypair,
		task_id: TaskId,
		commitment: ResultCommitment,
		from: BlockId,
	) -> anyhow::Result<H256> {
		let call = api::transactions().tasks().submit_result(task_id, Static(commitment));
		let (block, _) = self.submit_from(signer, &call, "submit_result", from).await?;
		Ok(block)
	}

	/// One task at the finalized block, or `None` when it does not exist (any more).
	pub async fn task(&self, task_id: TaskId) -> anyhow::Result<Option<TaskRecord>> {
		let at = self.finalized().await?;
		let record = at
			.storage()
			.try_fetch(api::storage().tasks().tasks(), (task_id,))
			.await
			.explain(format!("cannot read task {task_id}"))?;
		record
			.map(|record| {
				let record = record.decode().explain(format!("cannot decode task {task_id}"))?;
				Ok(TaskRecord {
					id: task_id,
					submitter: record.submitter,
					spec: record.spec.0,
					reward: record.reward,
					status: record.status.into(),
				})
			})
			.transpose()
	}

	/// Every live task at block `hash` (a finalized block), by increasing id.
	pub async fn tasks_at(&self, hash: H256) -> anyhow::Result<TasksAt> {
		let at = self
			.client
			.at_block(hash)
			.await
			.explain(format!("cannot read block {hash:?}"))?;
		let mut tasks = Vec::new();
		let mut entries = at
			.storage()
			.iter(api::storage().tasks().tasks(), ())
			.await
			.explain("cannot iterate over Tasks.Tasks")?;
		while let Some(entry) = entries.next().await {
			let entry = entry.explain("cannot read a Tasks.Tasks entry")?;
			let (id,) =
				entry.key().and_then(|key| key.decode()).explain("cannot decode a task id")?;
			let record = entry.value().decode().explain(format!("cannot decode task {id}"))?;
			tasks.push(TaskRecord {
				id,
				submitter: record.submitter,
				spec: record.spec.0,
				reward: record.reward,
				status: record.status.into(),
			});
		}
		tasks.sort_by_key(|task| task.id);
		Ok(TasksAt { block: BlockId { number: at.block_number(), hash }, tasks })
	}
}
