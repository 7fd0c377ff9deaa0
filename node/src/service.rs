//! Assembles the node: client, transaction pool, networking, RPC and block production.
//!
//! The dev chain (`--dev`, chain id `dev`) seals a block as soon as a transaction arrives, and an
//! empty one every `--dev-block-time` milliseconds, finalizing each at once: clients that wait for
//! finality return within about a second. Every other chain runs Aura and GRANDPA.

use std::{sync::Arc, time::Duration};

use cairn_runtime::{apis::RuntimeApi, opaque::Block, SLOT_DURATION};
use futures::{FutureExt, StreamExt};
use sc_client_api::{Backend, BlockBackend};
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_consensus_manual_seal::{
	consensus::aura::AuraConsensusDataProvider, EngineCommand, ManualSealParams,
};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::{OffchainTransactionPoolFactory, TransactionPool};
use sp_consensus_aura::{
	sr25519::{AuthorityPair as AuraPair, AuthoritySignature as AuraSignature},
	Slot,
};

use crate::chain_spec::DEV_CHAIN_ID;

pub(crate) type FullClient = sc_service::TFullClient<
	Block,
	RuntimeApi,
	sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>,
>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type GrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
type GrandpaLinkHalf = sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>;

/// How often GRANDPA justifications are generated and imported, in blocks.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// How the chain produces and finalizes blocks.
pub enum Consensus {
	/// Blocks sealed on demand and finalized at once (the dev chain).
	InstantSeal,
	/// Aura block production with GRANDPA finality.
	AuraGrandpa { block_import: GrandpaBlockImport, link: GrandpaLinkHalf },
}

pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(Consensus, Option<Telemetry>),
>;

/// Whether the chain is sealed on demand rather than by Aura.
fn is_instant_seal(config: &Configuration) -> bool {
	config.chain_spec.id() == DEV_CHAIN_ID
}

/// The parts of the node that commands besides `run` need too.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<sp_io::SubstrateHostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (import_queue, consensus) = if is_instant_seal(config) {
		let import_queue = sc_consensus_manual_seal::import_queue(
			Box::new(client.clone()),
			&task_manager.spawn_essential_handle(),
			config.prometheus_registry(),
		);
		(import_queue, Consensus::InstantSeal)
	} else {
		let (block_import, link) = sc_consensus_grandpa::block_import(
			client.clone(),
			GRANDPA_JUSTIFICATION_PERIOD,
			&client,
			select_chain.clone(),
			telemetry.as_ref().map(|x| x.handle()),
		)?;
		let cidp_client = client.clone();
		let import_queue = sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(
			ImportQueueParams {
				block_import: block_import.clone(),
				justification_import: Some(Box::new(block_import.clone())),
				client: client.clone(),
				create_inherent_data_providers: move |parent_hash, _| {
					let cidp_client = cidp_client.clone();
					async move {
						let slot_duration = sc_consensus_aura::standalone::slot_duration_at(
							&*cidp_client,
							parent_hash,
						)?;
						let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
						let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
						Ok((slot, timestamp))
					}
				},
				spawner: &task_manager.spawn_essential_handle(),
				registry: config.prometheus_registry(),
				check_for_equivocation: Default::default(),
				telemetry: telemetry.as_ref().map(|x| x.handle()),
				compatibility_mode: Default::default(),
			},
		)?;
		(import_queue, Consensus::AuraGrandpa { block_import, link })
	};

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (consensus, telemetry),
	})
}

/// Builds and starts a full node.
pub fn new_full<
	N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
	config: Configuration,
	dev_block_time: Duration,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (consensus, mut telemetry),
	} = new_partial(&config)?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as sp_runtime::traits::Block>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let grandpa_protocol_name = sc_consensus_grandpa::protocol_standard_name(
		&client.block_hash(0).ok().flatten().expect("Genesis block exists; qed"),
		&config.chain_spec,
	);
	let mut grandpa_network = None;
	let mut warp_sync_config = None;
	if let Consensus::AuraGrandpa { link, .. } = &consensus {
		let (protocol_config, notification_service) =
			sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
				grandpa_protocol_name.clone(),
				metrics.clone(),
				net_config.peer_store_handle(),
			);
		net_config.add_notification_protocol(protocol_config);
		grandpa_network = Some(notification_service);
		let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
			backend.clone(),
			link.shared_authority_set().clone(),
			Vec::default(),
		));
		warp_sync_config = Some(WarpSyncConfig::WithProvider(warp_sync));
	}

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	if config.offchain_worker.enabled {
		let offchain_workers =
			sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
				runtime_api_provider: client.clone(),
				is_validator: config.role.is_authority(),
				keystore: Some(keystore_container.keystore()),
				offchain_db: backend.offchain_storage(),
				transaction_pool: Some(OffchainTransactionPoolFactory::new(
					transaction_pool.clone(),
				)),
				network_provider: Arc::new(network.clone()),
				enable_http_requests: true,
				custom_extensions: |_| vec![],
			})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();

	let rpc_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps { client: client.clone(), pool: pool.clone() };
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: network.clone(),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if !role.is_authority() {
		return Ok(task_manager);
	}

	let proposer_factory = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		prometheus_registry.as_ref(),
		telemetry.as_ref().map(|x| x.handle()),
	);

	match consensus {
		Consensus::InstantSeal => {
			let commands_stream = seal_commands(transaction_pool.clone(), dev_block_time);
			let timestamp_client = client.clone();
			let manual_seal = sc_consensus_manual_seal::run_manual_seal(ManualSealParams {
				block_import: client.clone(),
				env: proposer_factory,
				client: client.clone(),
				pool: transaction_pool,
				commands_stream,
				select_chain,
				consensus_data_provider: Some(Box::new(AuraConsensusDataProvider::new(
					client.clone(),
				))),
				create_inherent_data_providers: move |parent_hash, ()| {
					let client = timestamp_client.clone();
					async move { Ok(next_slot_timestamp(&*client, parent_hash)?) }
				},
			});
			task_manager.spawn_essential_handle().spawn_blocking(
				"instant-seal",
				Some("block-authoring"),
				manual_seal,
			);
		},
		Consensus::AuraGrandpa { block_import, link } => {
			let slot_duration = sc_consensus_aura::slot_duration(&*client)?;
			let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
				StartAuraParams {
					slot_duration,
					client,
					select_chain,
					block_import,
					proposer_factory,
					create_inherent_data_providers: move |_, ()| async move {
						let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
						let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
						Ok((slot, timestamp))
					},
					force_authoring,
					backoff_authoring_blocks: Option::<()>::None,
					keystore: keystore_container.keystore(),
					sync_oracle: sync_service.clone(),
					justification_sync_link: sync_service.clone(),
					block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
					max_block_proposal_slot_portion: None,
					telemetry: telemetry.as_ref().map(|x| x.handle()),
					compatibility_mode: Default::default(),
				},
			)?;
			task_manager.spawn_essential_handle().spawn_blocking(
				"aura",
				Some("block-authoring"),
				aura,
			);

			if enable_grandpa {
				let grandpa_config = sc_consensus_grandpa::Config {
					gossip_duration: Duration::from_millis(333),
					justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
					name: Some(name),
					observer_enabled: false,
					keystore: Some(keystore_container.keystore()),
					local_role: role,
					telemetry: telemetry.as_ref().map(|x| x.handle()),
					protocol_name: grandpa_protocol_name,
				};
				let voter =
					sc_consensus_grandpa::run_grandpa_voter(sc_consensus_grandpa::GrandpaParams {
						config: grandpa_config,
						link,
						network,
						sync: sync_service,
						notification_service: grandpa_network
							.expect("registered above for Aura + GRANDPA chains; qed"),
						voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
						prometheus_registry,
						shared_voter_state: SharedVoterState::empty(),
						telemetry: telemetry.as_ref().map(|x| x.handle()),
						offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(
							transaction_pool,
						),
					})?;
				task_manager
					.spawn_essential_handle()
					.spawn_blocking("grandpa-voter", None, voter);
			}
		},
	}

	Ok(task_manager)
}

/// A seal-and-finalize command whenever a transaction enters the pool, and after every
/// `block_time` without one, so block numbers keep advancing on an idle dev chain.
fn seal_commands<P: TransactionPool + 'static>(
	pool: Arc<P>,
	block_time: Duration,
) -> impl futures::Stream<Item = EngineCommand<<Block as sp_runtime::traits::Block>::Hash>> {
	let transactions = pool.import_notification_stream().map(|_| ());
	let ticks = futures::stream::unfold((), move |()| async move {
		futures_timer::Delay::new(block_time).await;
		Some(((), ()))
	})
	.boxed();
	futures::stream::select(transactions, ticks).map(|()| EngineCommand::SealNewBlock {
		create_empty: true,
		finalize: true,
		parent_hash: None,
		sender: None,
	})
}

/// A timestamp for the block after `parent` that falls in a later Aura slot than the parent's:
/// wall-clock time, unless blocks were sealed faster than one per slot.
fn next_slot_timestamp(
	client: &FullClient,
	parent: <Block as sp_runtime::traits::Block>::Hash,
) -> Result<sp_timestamp::InherentDataProvider, Box<dyn std::error::Error + Send + Sync>> {
	let header = client.header(parent)?.ok_or("parent header not found")?;
	let parent_slot = sc_consensus_aura::find_pre_digest::<Block, AuraSignature>(&header)
		.unwrap_or(Slot::from(0));
	let earliest = (u64::from(parent_slot) + 1).saturating_mul(SLOT_DURATION);
	let now = sp_timestamp::InherentDataProvider::from_system_time().timestamp();
	Ok(sp_timestamp::InherentDataProvider::new(now.as_millis().max(earliest).into()))
}
