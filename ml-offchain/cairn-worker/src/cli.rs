//! Command-line interface: flags, environment variables and their parsing.

use anyhow::{anyhow, bail, Context};
use cairn_primitives::{Activation, Architecture, BoundedVec, Hash256, Mlp, ModelId};
use clap::{Args, Parser, Subcommand, ValueEnum};
use subxt_signer::SecretString;

/// Cairn's off-chain worker: reads the Cairn chain and submits extrinsics to it.
///
/// Logs go to stderr (filter with RUST_LOG, for example RUST_LOG=debug); results go to stdout.
#[derive(Debug, Parser)]
#[command(name = "cairn-worker", version)]
pub struct Cli {
    /// WebSocket RPC endpoint of a Cairn node (ws:// is accepted for loopback addresses only).
    #[arg(
        long,
        global = true,
        env = "CAIRN_NODE_WS",
        default_value = "ws://127.0.0.1:9944"
    )]
    pub url: String,

    #[command(subcommand)]
    pub command: Command,
}

/// What the worker should do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the chain, its best and finalized blocks, and every registered model.
    Inspect,
    /// Register a model by the hash of its weights, as the account of a secret URI.
    RegisterModel(Box<RegisterModelArgs>),
}

/// Flags of `register-model`.
#[derive(Debug, Args)]
pub struct RegisterModelArgs {
    /// Hash of the weights' canonical encoding: 32 bytes as hex, with or without 0x.
    #[arg(long, value_parser = parse_hash)]
    pub weights_hash: Hash256,

    /// Human-readable name of the model.
    #[arg(long)]
    pub name: String,

    /// Layer widths of an MLP from input to output, for example 64-32-10.
    #[arg(long, value_name = "WIDTHS")]
    pub mlp: String,

    /// Non-linearity after each hidden layer of the MLP.
    #[arg(long, value_enum, default_value_t = ActivationArg::Relu)]
    pub activation: ActivationArg,

    /// Id of the registered model these weights were derived from.
    #[arg(long)]
    pub parent: Option<ModelId>,

    /// Hash of the training dataset: 32 bytes as hex, with or without 0x.
    #[arg(long, value_parser = parse_hash)]
    pub dataset: Option<Hash256>,

    /// Where the weights, model card and training recipe can be found.
    #[arg(long, default_value = "")]
    pub uri: String,

    /// License of the weights, as an SPDX expression such as Apache-2.0.
    #[arg(long, default_value = "")]
    pub license: String,

    #[command(flatten)]
    pub key: KeyArgs,
}

/// Where the signing key comes from: `--suri`, else `--suri-file`, else the environment variable
/// `CAIRN_SURI`. The secret is never printed, logged or echoed in errors.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// sr25519 secret URI of the signing account, for example //Alice on a dev chain [default: env
    /// CAIRN_SURI]. Prefer the variable or --suri-file: command lines are visible to other users.
    #[arg(long, value_parser = parse_secret, conflicts_with = "suri_file")]
    pub suri: Option<SecretString>,

    /// File whose first line is the sr25519 secret URI of the signing account.
    #[arg(long, value_name = "PATH")]
    pub suri_file: Option<std::path::PathBuf>,
}

/// Environment variable holding the signing account's secret URI.
const SURI_VAR: &str = "CAIRN_SURI";

/// The activations an MLP may use, as spelled on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ActivationArg {
    Relu,
    Tanh,
    Gelu,
}

impl RegisterModelArgs {
    /// The MLP described by `--mlp` and `--activation`, checked by the same rules as the runtime.
    pub fn architecture(&self) -> anyhow::Result<Architecture> {
        let widths = parse_widths(&self.mlp)?;
        let [input, hidden @ .., output] = widths.as_slice() else {
            bail!("--mlp needs at least an input and an output width, for example 64-10");
        };
        let hidden = BoundedVec::try_from(hidden.to_vec()).map_err(|_| {
            anyhow!(
                "--mlp has {} hidden layers; at most {} are allowed",
                hidden.len(),
                cairn_primitives::model::MAX_HIDDEN_LAYERS
            )
        })?;
        let activation = match self.activation {
            ActivationArg::Relu => Activation::Relu,
            ActivationArg::Tanh => Activation::Tanh,
            ActivationArg::Gelu => Activation::Gelu,
        };
        let architecture = Architecture::Mlp(Mlp {
            input: *input,
            hidden,
            output: *output,
            activation,
        });
        architecture.validate().map_err(|_| {
            anyhow!(
                "--mlp widths must be between 1 and {}",
                cairn_primitives::model::MAX_LAYER_WIDTH
            )
        })?;
        Ok(architecture)
    }
}

impl KeyArgs {
    /// The secret URI from `--suri`, `--suri-file` or `CAIRN_SURI`, in that order.
    pub fn secret(&self) -> anyhow::Result<SecretString> {
        if let Some(suri) = &self.suri {
            return Ok(suri.clone());
        }
        if let Some(path) = &self.suri_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the secret URI file {}", path.display()))?;
            let line = text.lines().next().unwrap_or_default().trim();
            if line.is_empty() {
                bail!("the secret URI file {} is empty", path.display());
            }
            return Ok(SecretString::from(line));
        }
        match std::env::var(SURI_VAR) {
            Ok(suri) if !suri.is_empty() => Ok(SecretString::from(suri)),
            _ => bail!("no signing key: pass --suri or --suri-file, or set {SURI_VAR}"),
        }
    }
}

/// Parses `64-32-10` into layer widths.
fn parse_widths(text: &str) -> anyhow::Result<Vec<u32>> {
    text.split('-')
        .map(|width| {
            width.trim().parse::<u32>().with_context(|| {
                format!("--mlp {text:?}: {width:?} is not a layer width (expected e.g. 64-32-10)")
            })
        })
        .collect()
}

/// Parses a 32-byte hash written as 64 hex digits, with or without a `0x` prefix.
fn parse_hash(text: &str) -> Result<Hash256, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits).map_err(|e| format!("not hex: {e}"))?;
    Hash256::try_from(bytes.as_slice())
        .map_err(|_| format!("expected 32 bytes (64 hex digits), got {}", bytes.len()))
}

/// Wraps a secret URI so that it cannot be printed; it is parsed, without echoing it, when used.
fn parse_secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use subxt_signer::ExposeSecret;

    fn register_args(extra: &[&str]) -> Result<RegisterModelArgs, clap::Error> {
        let hash = "11".repeat(32);
        let mut argv = vec![
            "cairn-worker",
            "register-model",
            "--weights-hash",
            &hash,
            "--name",
            "digits",
            "--suri",
            "//Alice",
        ];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv)?.command {
            Command::RegisterModel(args) => Ok(*args),
            Command::Inspect => unreachable!("parsed register-model"),
        }
    }

    #[test]
    fn mlp_flag_becomes_the_runtime_architecture() {
        let args = register_args(&["--mlp", "64-32-10", "--activation", "tanh"]).unwrap();
        let Architecture::Mlp(mlp) = args.architecture().unwrap() else {
            panic!("not an MLP")
        };
        assert_eq!(
            (mlp.input, mlp.hidden.to_vec(), mlp.output),
            (64, vec![32], 10)
        );
        assert_eq!(mlp.activation, Activation::Tanh);
        assert_eq!(args.weights_hash, [0x11; 32]);
    }

    #[test]
    fn mlp_without_hidden_layers_is_accepted() {
        let args = register_args(&["--mlp", "4-3"]).unwrap();
        assert_eq!(args.architecture().unwrap().parameter_count(), 15);
    }

    #[test]
    fn bad_mlp_flags_are_explained() {
        for (mlp, expected) in [
            ("64", "at least an input and an output"),
            ("64-x-10", "\"x\" is not a layer width"),
            ("64-0-10", "between 1 and"),
            ("1-1-1-1-1-1-1-1-1-1-1", "at most 8"),
        ] {
            let error = register_args(&["--mlp", mlp])
                .unwrap()
                .architecture()
                .unwrap_err();
            assert!(error.to_string().contains(expected), "{mlp}: {error}");
        }
    }

    #[test]
    fn hashes_need_32_bytes_of_hex() {
        assert_eq!(
            parse_hash(&format!("0x{}", "ab".repeat(32))),
            Ok([0xab; 32])
        );
        assert!(parse_hash("0x1234").unwrap_err().contains("got 2"));
        assert!(parse_hash("zz").unwrap_err().contains("not hex"));
    }

    #[test]
    fn the_key_comes_from_the_flag_or_the_first_line_of_a_file() {
        let flag = register_args(&["--mlp", "4-3"]).unwrap();
        assert_eq!(flag.key.secret().unwrap().expose_secret(), "//Alice");

        let path = std::env::temp_dir().join(format!("cairn-worker-suri-{}", std::process::id()));
        std::fs::write(&path, "//Bob\nignored\n").unwrap();
        let file = Cli::try_parse_from([
            "cairn-worker",
            "register-model",
            "--weights-hash",
            &"11".repeat(32),
            "--name",
            "digits",
            "--mlp",
            "4-3",
            "--suri-file",
            path.to_str().unwrap(),
        ])
        .unwrap();
        let Command::RegisterModel(file) = file.command else {
            panic!("not register-model")
        };
        let secret = file.key.secret();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(secret.unwrap().expose_secret(), "//Bob");

        let both = register_args(&["--mlp", "4-3", "--suri-file", "/dev/null"]);
        assert!(both
            .unwrap_err()
            .to_string()
            .contains("cannot be used with"));
    }

    #[test]
    fn the_secret_uri_is_not_shown_in_debug_output() {
        let args = register_args(&["--mlp", "4-3"]).unwrap();
        assert!(!format!("{args:?}").contains("Alice"));
    }
}
