//! Prints how likely a solver that fakes part of its run escapes verification, for several
//! policies and runs: a seeded simulation of many tasks through the chain's own target sampling
//! (`pallet_verification::sampling`), beside the exact probability, with the verifiers' compute as
//! a share of the solver's.
//!
//! `cargo run --release --example escape -p pallet-verification`

use cairn_primitives::merkle::blake2_256;
use codec::Encode;
use pallet_verification::sampling::{escape_probability, sample_targets, DrawRng};

/// Tasks simulated per row.
const TASKS: u32 = 20_000;

fn main() {
	println!(
		"{:>8} {:>9} {:>7} {:>10} {:>10} {:>12}",
		"segments", "policy", "faked", "simulated", "exact", "verify/train"
	);
	for segments in [100u32, 1_000] {
		for (verifiers, per) in [(1usize, 1usize), (2, 4), (3, 8), (16, 32)] {
			// The last segment is the first verifier's anyway: the others are sampled from the rest.
			let sampled = (verifiers * per).min(segments as usize - 1) as u32;
			// Every verifier replays its segments; the first also the last segment.
			let share = f64::from(sampled + 1) / f64::from(segments);
			for fraction in [0.01, 0.05, 0.1, 0.25] {
				let faked = ((f64::from(segments) * fraction).round() as u32).max(1);
				// The solver fakes the first segments; the sample is uniform, so which is moot.
				let escapes = (0..TASKS)
					.filter(|task| {
						let mut rng =
							DrawRng::new(blake2_256(&(segments, verifiers as u32, task).encode()));
						!sample_targets(&mut rng, segments + 1, verifiers, per)
							.iter()
							.flatten()
							.any(|target| (1..=faked).contains(target))
					})
					.count();
				println!(
					"{segments:>8} {:>9} {:>6.0}% {:>10.5} {:>10.5} {:>11.1}%",
					format!("{verifiers}x{per}"),
					fraction * 100.0,
					escapes as f64 / f64::from(TASKS),
					escape_probability(segments - 1, sampled, faked),
					share * 100.0
				);
			}
		}
	}
}
