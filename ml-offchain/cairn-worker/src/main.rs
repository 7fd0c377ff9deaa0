//! `cairn-worker`: Cairn's off-chain worker. It talks to a Cairn node over RPC only.
//!
//! `inspect` prints the chain's state and the model registry; `register-model` registers a model
//! by the hash of its weights; `submit-task` posts a training task; `train` and `replay` train and
//! re-execute segments offline; `run --role solver` claims, trains and commits tasks,
//! `run --role verifier` re-executes the segments it is drawn for and commits and reveals them,
//! and `run --role whistleblower` re-executes verifiers' witnesses and challenges wrong ones.

mod chain;
mod cli;
mod datasets;
mod hardware;
mod metrics;
mod models;
mod offline;
mod provider;
mod record;
mod solver;
mod training;
mod units;
mod verifier;

use std::{io::IsTerminal, process::ExitCode};

use cairn_primitives::{Activation, Architecture};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use chain::{Chain, ModelRecord, NewModel, Provenance};
use cli::{Cli, Command, RegisterModelArgs, RoleArg, RunArgs, SubmitTaskArgs};

#[tokio::main]
async fn main() -> ExitCode {
	tracing_subscriber::fmt()
		.with_env_filter(
			EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
		)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::stderr().is_terminal())
		.init();

	let cli = Cli::parse();
	let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
	let outcome = match cli.command {
		Command::Inspect => done(inspect(&cli.url).await),
		Command::RegisterModel(args) => done(register_model(&cli.url, *args).await),
		Command::SubmitTask(args) => done(submit_task(&cli.url, *args).await),
		Command::Train(args) => done(offline::train(*args)),
		Command::WeightsHash(args) => done(models::weights_hash(args)),
		Command::Export(args) => done(models::export(&cli.url, args).await),
		Command::Replay(args) => offline::replay(args),
		Command::Run(args) => done(run(cli.url, *args).await),
	};
	match outcome {
		Ok(code) => code,
		Err(error) => {
			eprintln!("error: {error:#}");
			ExitCode::FAILURE
		},
	}
}

/// Prints the chain's name, its best and finalized blocks, every registered model, and every
/// live task with the state of its verification.
async fn inspect(url: &str) -> anyhow::Result<()> {
	let chain = Chain::connect(url).await?;
	let status = chain.status().await?;
	println!("chain:     {}", status.chain);
	println!("best:      #{} {:?}", status.best.number, status.best.hash);
	println!("finalized: #{} {:?}", status.finalized.number, status.finalized.hash);

	let registry = chain.registry().await?;
	println!(
		"models at block #{}: {} registered, next id {}",
		registry.at.number,
		registry.models.len(),
		registry.next_model_id
	);
	for (id, model) in &registry.models {
		print_model(*id, model);
	}

	let tasks = chain.tasks_at(registry.at.hash).await?;
	let verifications = chain.verifications_at(registry.at.hash).await?;
	println!("tasks at block #{}: {} live", tasks.block.number, tasks.tasks.len());
	for task in &tasks.tasks {
		print_task(task, verifications.iter().find(|v| v.task_id == task.id));
	}
	Ok(())
}

/// Prints a live task and, while its result is being verified, where verification stands.
fn print_task(task: &chain::TaskRecord, verification: Option<&chain::Verification>) {
	println!("task {}", task.id);
	println!("  submitter:     {}", task.submitter);
	println!("  reward:        {}", units::format_cairn(task.reward));
	let status = match &task.status {
		chain::TaskStatus::Open { until } => format!("open for claims until block #{until}"),
		chain::TaskStatus::Claimed { solver, deadline } => {
			format!("claimed by {solver}, to commit by block #{deadline}")
		},
		chain::TaskStatus::Submitted { solver, commitment } => format!(
			"submitted by {solver}: root 0x{}, {} checkpoints",
			hex::encode(commitment.checkpoint_root),
			commitment.checkpoint_count
		),
	};
	println!("  status:        {status}");
	let Some(verification) = verification else { return };
	println!("  verification:  round {}, {:?}", verification.round, verification.phase);
	for target in &verification.targets {
		let challenged = if target.challenged { ", asked of the solver" } else { "" };
		println!("    target {:>4}: {}{challenged}", target.index, target.status);
	}
	for check in &verification.checks {
		let state = match (&check.verdicts, check.committed) {
			(Some(verdicts), _) => format!("revealed {verdicts:?}"),
			(None, true) => "committed".to_string(),
			(None, false) => "not committed".to_string(),
		};
		let defeated = if check.defeated { ", defeated" } else { "" };
		println!(
			"    round {} verifier {}: targets {:?}, {state}{defeated}",
			check.round, check.verifier, check.targets
		);
	}
	for challenge in &verification.challenges {
		let verifier = verification.checks.get(challenge.check as usize).map(|c| &c.verifier);
		println!(
			"    challenge by {} of the witness of target {} of {}",
			challenge.whistleblower,
			challenge.target,
			verifier.map_or("?".to_string(), ToString::to_string)
		);
	}
	let Some(dispute) = &verification.dispute else { return };
	let waiting = match (dispute.stage.midpoint(), dispute.midpoint) {
		(Some(point), None) => format!("the defender to post its value at {point:?}"),
		(Some(point), Some(value)) => {
			format!("the challenger to answer 0x{} at {point:?}", hex::encode(value))
		},
		(None, _) => "the committee".to_string(),
	};
	println!(
		"    dispute {} over the {:?} of target {}, {} against {}: {:?}, {} rounds answered, \
		 waiting for {waiting}",
		dispute.serial,
		dispute.subject,
		dispute.target,
		dispute.defender,
		dispute.challenger,
		dispute.stage,
		dispute.rounds
	);
	for arbiter in &dispute.arbiters {
		let state = match (arbiter.committed, arbiter.revealed) {
			(_, true) => "revealed",
			(true, false) => "committed",
			(false, false) => "not committed",
		};
		println!("      arbiter {}: {state}", arbiter.account);
	}
}

/// Prints one registry record, one field a line.
fn print_model(id: u64, model: &ModelRecord) {
	println!("model {id}");
	println!("  name:          {:?}", String::from_utf8_lossy(&model.name.0));
	println!("  owner:         {}", model.owner);
	println!("  weights hash:  0x{}", hex::encode(model.weights_hash));
	println!("  architecture:  {}", describe_architecture(&model.architecture.0));
	println!("  parent:        {}", model.parent.map_or("none".into(), |p| p.to_string()));
	println!(
		"  dataset:       {}",
		model.dataset.map_or("none".into(), |d| format!("0x{}", hex::encode(d)))
	);
	println!("  metadata uri:  {:?}", String::from_utf8_lossy(&model.metadata_uri.0));
	println!("  license:       {:?}", String::from_utf8_lossy(&model.license.0));
	let provenance = match model.provenance {
		Provenance::Uploaded => "uploaded by its owner".to_string(),
		Provenance::Trained { task } => format!("trained and verified by task {task}"),
	};
	println!("  provenance:    {provenance}");
	println!("  deposit:       {}", model.deposit);
	println!("  registered at: block #{}", model.registered_at);
	println!("  deprecated:    {}", if model.deprecated { "yes" } else { "no" });
}

/// `MLP 64-32-10 relu (2410 parameters)`, `CNN 1x28x28 c8k3p-c16k3p-10 relu (9098 parameters)`
/// (a `p` after a convolution's kernel when it is pooled) or `llama (7000000000 parameters)`.
fn describe_architecture(architecture: &Architecture) -> String {
	let parameters = architecture.parameter_count();
	let name = |activation| match activation {
		Activation::Relu => "relu",
		Activation::Tanh => "tanh",
		Activation::Gelu => "gelu",
	};
	match architecture {
		Architecture::Mlp(mlp) => {
			let widths: Vec<String> = mlp.widths().map(|w| w.to_string()).collect();
			let activation = name(mlp.activation);
			format!("MLP {} {activation} ({parameters} parameters)", widths.join("-"))
		},
		Architecture::Cnn(cnn) => {
			let layers: Vec<String> = cnn
				.convs
				.iter()
				.map(|c| format!("c{}k{}{}", c.channels, c.kernel, if c.pool { "p" } else { "" }))
				.chain(cnn.hidden.iter().chain([&cnn.output]).map(u32::to_string))
				.collect();
			let (c, h, w, activation) = (cnn.channels, cnn.height, cnn.width, name(cnn.activation));
			format!("CNN {c}x{h}x{w} {} {activation} ({parameters} parameters)", layers.join("-"))
		},
		Architecture::Transformer(net) => format!(
			"transformer vocab {} context {} width {} heads {} blocks {} feed-forward {} {} \
			 ({parameters} parameters)",
			net.vocab,
			net.context,
			net.width,
			net.heads,
			net.blocks,
			net.feed_forward,
			name(net.activation)
		),
		Architecture::External { family, .. } => {
			format!("{} ({parameters} parameters)", String::from_utf8_lossy(family))
		},
	}
}

/// Registers a model and prints its new id.
async fn register_model(url: &str, args: RegisterModelArgs) -> anyhow::Result<()> {
	let architecture = args.architecture()?;
	let weights_hash = match (&args.weights_file, args.weights_hash) {
		(Some(file), _) => models::hash_for(file, &architecture)?,
		(None, Some(hash)) => hash,
		(None, None) => {
			anyhow::bail!("name the weights: --weights-hash HEX or --weights-file FILE")
		},
	};
	let signer = chain::keypair(&args.key.secret()?)?;
	let chain = Chain::connect(url).await?;
	let model = NewModel {
		weights_hash,
		name: args.name,
		architecture,
		parent: args.parent,
		dataset: args.dataset,
		metadata_uri: args.uri,
		license: args.license,
	};
	let registered = chain.register_model(&signer, model).await?;
	tracing::info!(block = ?registered.block, deposit = registered.deposit, "registered");
	println!("{}", registered.model_id);
	Ok(())
}

/// Posts a task and prints its id.
async fn submit_task(url: &str, args: SubmitTaskArgs) -> anyhow::Result<()> {
	let spec = args.spec.task_spec()?;
	let signer = chain::keypair(&args.key.secret()?)?;
	let chain = Chain::connect(url).await?;
	let created = chain.create_task(&signer, spec, args.reward).await?;
	tracing::info!(
		block = ?created.block,
		flops = created.flops,
		open_until = created.open_until,
		reward = units::format_cairn(args.reward),
		"task created"
	);
	println!("{}", created.task_id);
	Ok(())
}

/// Serves a protocol role until stopped.
async fn run(url: String, args: RunArgs) -> anyhow::Result<()> {
	if let Some(address) = args.metrics_listen {
		let listener = tokio::net::TcpListener::bind(address)
			.await
			.map_err(|error| anyhow::anyhow!("cannot listen on {address} for metrics: {error}"))?;
		tracing::info!(listen = %address, "serving metrics at /metrics");
		// Metrics are for the operator: their server failing must not stop the work.
		tokio::spawn(async move {
			if let Err(error) = metrics::serve(listener).await {
				tracing::error!("the metrics server stopped: {error}");
			}
		});
	}
	match args.role {
		RoleArg::Solver => {
			let public_url = args.public_url.ok_or_else(|| {
				anyhow::anyhow!(
					"--public-url is required for --role solver: the http(s) URL under which \
					 verifiers reach the artifact server (committed on chain with every result)"
				)
			})?;
			anyhow::ensure!(
				public_url.starts_with("http://") || public_url.starts_with("https://"),
				"--public-url {public_url} is not an http or https URL"
			);
			let signer = chain::keypair(&args.key.secret()?)?;
			solver::run(solver::Config {
				url,
				signer,
				work_dir: args.work_dir,
				listen: args.listen,
				public_url,
				server_limits: cairn_train::server::Limits {
					max_requests: args.max_requests,
					..Default::default()
				},
				max_dataset_bytes: args.max_dataset_bytes,
				addresses: args.addresses.policy(),
				dataset_files: args.dataset_file,
				bond: args.bond,
				#[cfg(feature = "dishonest")]
				cheat: args.cheat,
			})
			.await
		},
		RoleArg::Verifier | RoleArg::Whistleblower => {
			let signer = chain::keypair(&args.key.secret()?)?;
			let role = match args.role {
				RoleArg::Verifier => cairn_primitives::Role::Verifier,
				_ => cairn_primitives::Role::Whistleblower,
			};
			verifier::run(verifier::Config {
				url,
				signer,
				role,
				watch: args.watch,
				#[cfg(feature = "dishonest")]
				dishonesty: args.dishonest,
				work_dir: args.work_dir,
				dataset_files: args.dataset_file,
				addresses: args.addresses.policy(),
				bond: args.bond,
			})
			.await
		},
	}
}
