//! `cairn-worker`: Cairn's off-chain worker. It talks to a Cairn node over RPC only.
//!
//! `inspect` prints the chain's state and the model registry; `register-model` registers a model
//! by the hash of its weights.

mod chain;
mod cli;

use std::{io::IsTerminal, process::ExitCode};

use cairn_primitives::{Activation, Architecture};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use chain::{Chain, ModelRecord, NewModel, Provenance};
use cli::{Cli, Command, RegisterModelArgs};

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
    let outcome = match cli.command {
        Command::Inspect => inspect(&cli.url).await,
        Command::RegisterModel(args) => register_model(&cli.url, *args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the chain's name, its best and finalized blocks, and every registered model.
async fn inspect(url: &str) -> anyhow::Result<()> {
    let chain = Chain::connect(url).await?;
    let status = chain.status().await?;
    println!("chain:     {}", status.chain);
    println!("best:      #{} {:?}", status.best.number, status.best.hash);
    println!(
        "finalized: #{} {:?}",
        status.finalized.number, status.finalized.hash
    );

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
    Ok(())
}

/// Prints one registry record, one field a line.
fn print_model(id: u64, model: &ModelRecord) {
    println!("model {id}");
    println!(
        "  name:          {:?}",
        String::from_utf8_lossy(&model.name.0)
    );
    println!("  owner:         {}", model.owner);
    println!("  weights hash:  0x{}", hex::encode(model.weights_hash));
    println!(
        "  architecture:  {}",
        describe_architecture(&model.architecture.0)
    );
    println!(
        "  parent:        {}",
        model.parent.map_or("none".into(), |p| p.to_string())
    );
    println!(
        "  dataset:       {}",
        model
            .dataset
            .map_or("none".into(), |d| format!("0x{}", hex::encode(d)))
    );
    println!(
        "  metadata uri:  {:?}",
        String::from_utf8_lossy(&model.metadata_uri.0)
    );
    println!(
        "  license:       {:?}",
        String::from_utf8_lossy(&model.license.0)
    );
    let provenance = match model.provenance {
        Provenance::Uploaded => "uploaded by its owner".to_string(),
        Provenance::Trained { task } => format!("trained and verified by task {task}"),
    };
    println!("  provenance:    {provenance}");
    println!("  deposit:       {}", model.deposit);
    println!("  registered at: block #{}", model.registered_at);
    println!(
        "  deprecated:    {}",
        if model.deprecated { "yes" } else { "no" }
    );
}

/// `MLP 64-32-10 relu (2410 parameters)` or `llama (7000000000 parameters)`.
fn describe_architecture(architecture: &Architecture) -> String {
    let parameters = architecture.parameter_count();
    match architecture {
        Architecture::Mlp(mlp) => {
            let widths: Vec<String> = mlp.widths().map(|w| w.to_string()).collect();
            let activation = match mlp.activation {
                Activation::Relu => "relu",
                Activation::Tanh => "tanh",
                Activation::Gelu => "gelu",
            };
            format!(
                "MLP {} {activation} ({parameters} parameters)",
                widths.join("-")
            )
        }
        Architecture::External { family, .. } => {
            format!(
                "{} ({parameters} parameters)",
                String::from_utf8_lossy(family)
            )
        }
    }
}

/// Registers a model and prints its new id.
async fn register_model(url: &str, args: RegisterModelArgs) -> anyhow::Result<()> {
    let architecture = args.architecture()?;
    let signer = chain::keypair(&args.key.secret()?)?;
    let chain = Chain::connect(url).await?;
    let model = NewModel {
        weights_hash: args.weights_hash,
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
