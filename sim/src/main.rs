//! `cairn-sim`: prints the incentive simulation's tables for the preset policies.

use cairn_sim::{policy::Policy, report, run};
use std::{process::ExitCode, thread};

/// Seed of the printed figures unless `--seed` says otherwise.
const DEFAULT_SEED: u64 = 1;
/// Tasks per row unless `--tasks` says otherwise.
const DEFAULT_TASKS: u64 = 50_000;

const USAGE: &str = "\
usage: cairn-sim [--seed N] [--tasks N]

Simulates Cairn's verification incentives for the preset policies and prints, per strategy,
detection, profit per role, verification compute and dispute length as Markdown tables.

  --seed N    seed of every random draw (default 1)
  --tasks N   tasks simulated per strategy and policy (default 50000)";

/// Command-line options.
struct Options {
	seed: u64,
	tasks: u64,
}

/// Parses the arguments after the program name; `Ok(None)` asks for the usage text.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
	let mut options = Options { seed: DEFAULT_SEED, tasks: DEFAULT_TASKS };
	while let Some(flag) = args.next() {
		let mut number = |name: &str| -> Result<u64, String> {
			let value = args.next().ok_or_else(|| format!("{name} needs a number"))?;
			value.parse().map_err(|_| format!("{name}: not a number: {value}"))
		};
		match flag.as_str() {
			"--seed" => options.seed = number("--seed")?,
			"--tasks" => options.tasks = number("--tasks")?.max(2),
			"-h" | "--help" => return Ok(None),
			other => return Err(format!("unknown argument: {other}")),
		}
	}
	Ok(Some(options))
}

fn main() -> ExitCode {
	let options = match parse(std::env::args().skip(1)) {
		Ok(Some(options)) => options,
		Ok(None) => {
			println!("{USAGE}");
			return ExitCode::SUCCESS;
		},
		Err(message) => {
			eprintln!("{message}\n\n{USAGE}");
			return ExitCode::from(2);
		},
	};
	let policies = Policy::presets();
	let threads = thread::available_parallelism().map_or(1, |n| n.get());
	let results = run::simulate_all(&policies, options.seed, options.tasks, threads);
	print!("{}", report::render(&policies, &results, options.seed, options.tasks));
	ExitCode::SUCCESS
}
