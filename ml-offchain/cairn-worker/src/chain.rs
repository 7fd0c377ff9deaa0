//! The Cairn chain as the worker sees it: a subxt client whose API is generated at compile time
//! from `artifacts/metadata.scale` (regenerate it with `scripts/update-metadata.sh`).
//!
//! This module holds the connection, the model registry and the submission of extrinsics;
//! [`market`] the compute market (providers and training tasks).

mod market;
mod verification;

use std::fmt::Display;

use anyhow::anyhow;
use cairn_primitives::{Architecture, Hash256, ModelId, TaskId};
use subxt::{
	client::{Blocks, ClientAtBlock, OnlineClientAtBlockImpl},
	config::{
		substrate::{SubstrateExtrinsicParams, SubstrateExtrinsicParamsBuilder},
		RpcConfigFor, TransactionExtensions,
	},
	error::{DispatchError, TransactionEventsError},
	extrinsics::ExtrinsicEvents,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	tx::Payload,
	utils::{AccountId32, Static, H256},
	OnlineClient, SubstrateConfig,
};
use subxt_signer::{sr25519::Keypair, ExposeSecret, SecretString, SecretUri};

use crate::metrics;

pub use market::{TaskRecord, TaskStatus, TasksAt};

/// Blocks an extrinsic of the worker stays valid for: one whose fate is unknown (the connection
/// dropped) can no longer land once the finalized chain is this far past its first block.
pub const MORTALITY: u64 = 8;
pub use verification::{
	ArbitrationPhase, ArbitrationPoint, Check, Dispute, DisputeStage, DisputeSubject, Midpoint,
	Phase as VerificationPhase, Verification,
};

type AtBlock = ClientAtBlock<SubstrateConfig, OnlineClientAtBlockImpl<SubstrateConfig>>;

/// The API generated from the runtime's metadata. Architectures, task specs, commitments and
/// provider profiles are the types of `cairn-primitives`, so that the worker builds and checks
/// them with the runtime's own code.
#[subxt::subxt(
	runtime_metadata_path = "../artifacts/metadata.scale",
	substitute_type(
		path = "cairn_primitives::model::Architecture",
		with = "::subxt::utils::Static<::cairn_primitives::Architecture>"
	),
	substitute_type(
		path = "cairn_primitives::task::TaskSpec",
		with = "::subxt::utils::Static<::cairn_primitives::TaskSpec>"
	),
	substitute_type(
		path = "cairn_primitives::task::ResultCommitment",
		with = "::subxt::utils::Static<::cairn_primitives::ResultCommitment>"
	),
	substitute_type(
		path = "cairn_primitives::provider::Roles",
		with = "::subxt::utils::Static<::cairn_primitives::Roles>"
	),
	substitute_type(
		path = "cairn_primitives::provider::HardwareProfile",
		with = "::subxt::utils::Static<::cairn_primitives::HardwareProfile>"
	),
	substitute_type(
		path = "cairn_primitives::provider::ComputeClass",
		with = "::subxt::utils::Static<::cairn_primitives::ComputeClass>"
	),
	substitute_type(
		path = "cairn_primitives::verification::Finding",
		with = "::subxt::utils::Static<::cairn_primitives::Finding>"
	),
	substitute_type(
		path = "cairn_primitives::verification::Verdict",
		with = "::subxt::utils::Static<::cairn_primitives::Verdict>"
	)
)]
pub mod api {}

/// A model record as stored by the model registry.
pub type ModelRecord = api::runtime_types::pallet_model_registry::types::ModelRecord;
/// How a model's weights were produced.
pub type Provenance = api::runtime_types::pallet_model_registry::types::Provenance;

/// A connection to a Cairn node.
pub struct Chain {
	client: OnlineClient<SubstrateConfig>,
	rpc: LegacyRpcMethods<RpcConfigFor<SubstrateConfig>>,
}

/// A block by number and hash.
#[derive(Clone, Copy, Debug)]
pub struct BlockId {
	pub number: u64,
	pub hash: H256,
}

/// The chain's name and its best and finalized blocks.
#[derive(Debug)]
pub struct Status {
	pub chain: String,
	pub best: BlockId,
	pub finalized: BlockId,
}

/// The model registry's contents at one block.
pub struct Registry {
	/// The block the registry was read at (the finalized one).
	pub at: BlockId,
	/// The id the next registered model will get.
	pub next_model_id: ModelId,
	/// Every registered model, by increasing id.
	pub models: Vec<(ModelId, ModelRecord)>,
}

/// A model to register, as `register_model` takes it.
pub struct NewModel {
	pub weights_hash: Hash256,
	pub name: String,
	pub architecture: Architecture,
	pub parent: Option<ModelId>,
	pub dataset: Option<Hash256>,
	pub metadata_uri: String,
	pub license: String,
}

/// A model registered by [`Chain::register_model`].
#[derive(Debug)]
pub struct Registered {
	pub model_id: ModelId,
	/// The finalized block that includes the extrinsic.
	pub block: H256,
	pub deposit: u128,
}

impl Chain {
	/// Connects to the node at `url` (`wss://`, or `ws://` on a loopback address).
	pub async fn connect(url: &str) -> anyhow::Result<Self> {
		let rpc_client = RpcClient::from_url(url)
			.await
			.explain(format!("cannot connect to a Cairn node at {url}"))?;
		let client = OnlineClient::<SubstrateConfig>::from_rpc_client(rpc_client.clone())
			.await
			.explain(format!("cannot start a subxt client on {url}"))?;
		tracing::debug!(url, genesis = ?client.genesis_hash(), "connected");
		Ok(Chain { client, rpc: LegacyRpcMethods::new(rpc_client) })
	}

	/// The chain's name and its best and finalized blocks.
	pub async fn status(&self) -> anyhow::Result<Status> {
		let chain = self.rpc.system_chain().await.explain("system_chain failed")?;
		let best_hash = self
			.rpc
			.chain_get_block_hash(None)
			.await
			.explain("cannot read the best block hash")?
			.ok_or_else(|| anyhow!("the node returned no best block"))?;
		let best = self
			.rpc
			.chain_get_header(Some(best_hash))
			.await
			.explain("cannot read the best block header")?
			.ok_or_else(|| {
				anyhow!("the node returned no header for its best block {best_hash:?}")
			})?;
		Ok(Status {
			chain,
			best: BlockId { number: best.number, hash: best_hash },
			finalized: self.finalized_block().await?,
		})
	}

	/// A client at the finalized block.
	async fn finalized(&self) -> anyhow::Result<AtBlock> {
		self.client.at_current_block().await.explain("cannot read the finalized block")
	}

	/// The latest finalized block.
	pub async fn finalized_block(&self) -> anyhow::Result<BlockId> {
		let finalized = self.finalized().await?;
		Ok(BlockId { number: finalized.block_number(), hash: finalized.block_hash() })
	}

	/// Every model in the registry at the finalized block.
	pub async fn registry(&self) -> anyhow::Result<Registry> {
		let at = self.finalized().await?;
		let storage = at.storage();
		let next_model_id = storage
			.fetch(api::storage().model_registry().next_model_id(), ())
			.await
			.explain("cannot read ModelRegistry.NextModelId")?
			.decode()
			.explain("cannot decode ModelRegistry.NextModelId")?;

		let mut models = Vec::new();
		let mut entries = storage
			.iter(api::storage().model_registry().models(), ())
			.await
			.explain("cannot iterate over ModelRegistry.Models")?;
		while let Some(entry) = entries.next().await {
			let entry = entry.explain("cannot read a ModelRegistry.Models entry")?;
			let (model_id,) =
				entry.key().and_then(|key| key.decode()).explain("cannot decode a model id")?;
			let record =
				entry.value().decode().explain(format!("cannot decode model {model_id}"))?;
			models.push((model_id, record));
		}
		models.sort_by_key(|(id, _)| *id);

		Ok(Registry {
			at: BlockId { number: at.block_number(), hash: at.block_hash() },
			next_model_id,
			models,
		})
	}

	/// Registered model `id` at the finalized block, if there is one.
	pub async fn model(&self, id: ModelId) -> anyhow::Result<Option<ModelRecord>> {
		let at = self.finalized().await?;
		let record = at
			.storage()
			.try_fetch(api::storage().model_registry().models(), (id,))
			.await
			.explain(format!("cannot read model {id}"))?;
		record
			.map(|record| record.decode().explain(format!("cannot decode model {id}")))
			.transpose()
	}

	/// Registers a model as the account of `signer`, waits until the extrinsic is finalized and
	/// returns the id the registry assigned. A dispatch error is reported by name, for example
	/// `ModelRegistry.DuplicateWeightsHash`.
	pub async fn register_model(
		&self,
		signer: &Keypair,
		model: NewModel,
	) -> anyhow::Result<Registered> {
		let call = api::transactions().model_registry().register_model(
			model.weights_hash,
			model.name.into_bytes(),
			Static(model.architecture),
			model.parent,
			model.dataset,
			model.metadata_uri.into_bytes(),
			model.license.into_bytes(),
		);
		let (block, events) = self.submit(signer, &call, "register_model").await?;
		let registered = events
			.find_first::<api::model_registry::events::ModelRegistered>()
			.ok_or_else(|| anyhow!("the extrinsic succeeded but emitted no ModelRegistered event"))?
			.explain("cannot decode the ModelRegistered event")?;
		Ok(Registered { model_id: registered.model_id, block, deposit: registered.deposit })
	}

	/// Signs `call` as `signer`, submits it, waits until a finalized block includes it and
	/// returns that block and the extrinsic's events. A dispatch error is reported by name. The
	/// extrinsic is mortal: valid for [`MORTALITY`] blocks from the latest finalized one.
	async fn submit<Call: Payload>(
		&self,
		signer: &Keypair,
		call: &Call,
		what: &str,
	) -> anyhow::Result<(H256, ExtrinsicEvents<SubstrateConfig>)> {
		let params = SubstrateExtrinsicParamsBuilder::new().mortal(MORTALITY).build();
		self.submit_with(signer, call, what, params).await
	}

	/// [`submit`](Self::submit), mortal from block `from`: once a finalized block past
	/// `from.number + MORTALITY` does not include it, it never will be.
	async fn submit_from<Call: Payload>(
		&self,
		signer: &Keypair,
		call: &Call,
		what: &str,
		from: BlockId,
	) -> anyhow::Result<(H256, ExtrinsicEvents<SubstrateConfig>)> {
		let params = SubstrateExtrinsicParamsBuilder::new()
			.mortal_from_unchecked(MORTALITY, from.number, from.hash)
			.build();
		self.submit_with(signer, call, what, params).await
	}

	async fn submit_with<Call: Payload>(
		&self,
		signer: &Keypair,
		call: &Call,
		what: &str,
		params: <SubstrateExtrinsicParams<SubstrateConfig> as TransactionExtensions<
			SubstrateConfig,
		>>::Params,
	) -> anyhow::Result<(H256, ExtrinsicEvents<SubstrateConfig>)> {
		let outcome: anyhow::Result<_> = async {
			let progress = self
				.client
				.tx()
				.await
				.explain("cannot read the finalized block")?
				.sign_and_submit_then_watch(call, signer, params)
				.await
				.explain(format!("the node rejected the {what} extrinsic"))?;
			tracing::info!(extrinsic = ?progress.extrinsic_hash(), what, "submitted; waiting for finality");
			let in_block = progress
				.wait_for_finalized()
				.await
				.explain(format!("the {what} extrinsic did not reach a finalized block"))?;
			let events = in_block.wait_for_success().await.map_err(explain_failure)?;
			Ok((in_block.block_hash(), events))
		}
		.await;
		metrics::extrinsic(match &outcome {
			Ok(_) => "included",
			Err(error) if error.downcast_ref::<ModuleError>().is_some() => "refused",
			Err(_) => "failed",
		});
		outcome
	}

	/// Finalized blocks as the node announces them. The first ones may be older than the latest
	/// finalized block (a new subscription starts with recent finalized blocks).
	pub async fn finalized_blocks(&self) -> anyhow::Result<FinalizedBlocks> {
		let blocks = self
			.client
			.stream_blocks()
			.await
			.explain("cannot subscribe to finalized blocks")?;
		Ok(FinalizedBlocks(blocks))
	}
}

/// A subscription to finalized blocks; it ends (or fails) when the connection drops.
pub struct FinalizedBlocks(Blocks<SubstrateConfig>);

impl FinalizedBlocks {
	/// The next finalized block; `None` when the subscription ended.
	pub async fn next(&mut self) -> Option<anyhow::Result<BlockId>> {
		let block = self.0.next().await?;
		Some(
			block
				.map(|block| BlockId { number: block.number(), hash: block.hash() })
				.explain("the finalized-block subscription failed"),
		)
	}
}

/// The account a key pair signs for.
pub fn account_of(signer: &Keypair) -> AccountId32 {
	signer.public_key().to_account_id()
}

/// A pallet error that made an extrinsic fail, such as `Tasks.DeadlinePassed`. Callers that
/// react to particular errors find it with `anyhow::Error::downcast_ref`.
#[derive(Debug)]
pub struct ModuleError {
	pub pallet: String,
	pub error: String,
	pub docs: String,
}

impl Display for ModuleError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "the extrinsic failed: {}.{}", self.pallet, self.error)?;
		if !self.docs.is_empty() {
			write!(f, ": {}", self.docs)?;
		}
		Ok(())
	}
}

impl std::error::Error for ModuleError {}

/// Logs what became of an extrinsic sent for `task_id` (`what` it did): included, or refused by a
/// pallet, which the next finalized block explains (a move already made, a phase that ended).
/// Any other failure, such as a lost connection, is returned.
pub fn log_sent(task_id: TaskId, what: &str, sent: anyhow::Result<H256>) -> anyhow::Result<()> {
	match sent {
		Ok(block) => tracing::info!(task = task_id, block = ?block, "{what}"),
		Err(error) if error.downcast_ref::<ModuleError>().is_some() => {
			tracing::warn!(task = task_id, "refused ({what}): {error:#}")
		},
		Err(error) => return Err(error),
	}
	Ok(())
}

/// Parses a secret URI and derives its sr25519 key pair. Errors never contain the secret.
pub fn keypair(secret: &SecretString) -> anyhow::Result<Keypair> {
	let uri: SecretUri = secret.expose_secret().parse().map_err(|_| {
		anyhow!("the secret URI is malformed (expected e.g. //Alice or a phrase//path)")
	})?;
	Keypair::from_uri(&uri).map_err(|_| {
		anyhow!("cannot derive an sr25519 key from the secret URI (bad phrase or seed)")
	})
}

/// Turns a failed extrinsic into an error that names the cause; a module error reads
/// `Pallet.Error: documentation`.
fn explain_failure(error: TransactionEventsError) -> anyhow::Error {
	match &error {
		TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module)) => {
			match module.details() {
				Ok(details) => ModuleError {
					pallet: details.pallet.name().to_string(),
					error: details.variant.name.clone(),
					docs: details.variant.docs.join(" "),
				}
				.into(),
				Err(_) => anyhow!(
					"the extrinsic failed with an unknown module error {:?}",
					module.bytes()
				),
			}
		},
		TransactionEventsError::ExtrinsicFailed(dispatch) => {
			anyhow!("the extrinsic failed: {dispatch}")
		},
		_ => anyhow!("cannot read the outcome of the extrinsic: {error}"),
	}
}

/// Says what the worker was doing when a subxt call failed. subxt's messages already contain their
/// causes, so the result is one message rather than an error chain that would repeat them.
trait Explain<T> {
	fn explain(self, doing: impl Display) -> anyhow::Result<T>;
}

impl<T, E: Display> Explain<T> for Result<T, E> {
	fn explain(self, doing: impl Display) -> anyhow::Result<T> {
		self.map_err(|error| anyhow!("{doing}: {error}"))
	}
}
