//! What verifiers re-execute: the random choice of targets for a task's sampled round, from a
//! seed. Deterministic in the seed, so that the chain, tests and simulations draw alike.

use alloc::vec::Vec;
use cairn_primitives::{merkle::blake2_256, Hash256};
use codec::Encode;

/// A stream of random numbers from a seed: BLAKE2b-256 of the seed and a counter.
pub struct DrawRng {
	seed: Hash256,
	counter: u64,
}

impl DrawRng {
	/// The stream of `seed`.
	pub fn new(seed: Hash256) -> Self {
		DrawRng { seed, counter: 0 }
	}

	fn next_u128(&mut self) -> u128 {
		let bytes = blake2_256(&(self.seed, self.counter).encode());
		self.counter = self.counter.saturating_add(1);
		let mut word = [0u8; 16];
		word.copy_from_slice(&bytes[..16]);
		u128::from_le_bytes(word)
	}

	/// A number below `bound` (1 when `bound` is 0); the bias is below 2^-64 for any `u64` bound.
	pub fn below(&mut self, bound: u128) -> u128 {
		self.next_u128() % bound.max(1)
	}
}

/// Targets of the sampled round of a run of `checkpoint_count` checkpoints, for `verifiers`
/// verifiers of `per_verifier` segments each: the segments (targets `1..checkpoint_count`; target
/// `j` ends segment `j - 1`) are shuffled and dealt out in turn, so no segment is given twice
/// before every segment was given once, and no verifier gets one twice. The first verifier also
/// checks the run's endpoints: the initial checkpoint (0), the last one and the final weights
/// (`checkpoint_count`); the last one is therefore dealt after all others. Sorted per verifier.
pub fn sample_targets(
	rng: &mut DrawRng,
	checkpoint_count: u32,
	verifiers: usize,
	per_verifier: usize,
) -> Vec<Vec<u32>> {
	let last = checkpoint_count.saturating_sub(1);
	let mut order: Vec<u32> = (1..last).collect();
	for i in (1..order.len()).rev() {
		let j = rng.below(i as u128 + 1) as usize;
		order.swap(i, j);
	}
	order.extend((last >= 1).then_some(last));
	let per_verifier = per_verifier.min(order.len());
	let mut cursor = 0usize;
	(0..verifiers)
		.map(|position| {
			let mut targets: Vec<u32> =
				(0..per_verifier).map(|offset| order[(cursor + offset) % order.len()]).collect();
			cursor = (cursor + per_verifier) % order.len().max(1);
			if position == 0 {
				targets.extend([0, checkpoint_count.saturating_sub(1), checkpoint_count]);
			}
			targets.sort_unstable();
			targets.dedup();
			targets
		})
		.collect()
}

/// Probability that none of `sampled` distinct segments drawn uniformly from `segments` is one of
/// `faked`: C(segments - faked, sampled) / C(segments, sampled). For figures, off chain.
#[cfg(feature = "std")]
pub fn escape_probability(segments: u32, sampled: u32, faked: u32) -> f64 {
	(0..sampled.min(segments))
		.map(|i| f64::from(segments.saturating_sub(faked + i)) / f64::from(segments - i))
		.product()
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Fraction of `tasks` seeded draws in which a solver that faked segments `faked` (never the
	/// last, which the first verifier always checks) escapes every target.
	fn simulated_escape(
		segments: u32,
		verifiers: usize,
		per: usize,
		faked: &[u32],
		tasks: u32,
	) -> f64 {
		let escapes = (0..tasks)
			.filter(|task| {
				let mut rng = DrawRng::new(blake2_256(&task.encode()));
				let targets = sample_targets(&mut rng, segments + 1, verifiers, per);
				// Faking segment s makes checkpoint s + 1 wrong: target s + 1 catches it.
				!targets.iter().flatten().any(|target| {
					target.checked_sub(1).is_some_and(|segment| faked.contains(&segment))
				})
			})
			.count();
		escapes as f64 / f64::from(tasks)
	}

	#[test]
	fn every_verifier_gets_distinct_segments_spread_over_the_run() {
		// The last segment too: the first verifier's endpoint, never dealt to another before all.
		for (count, verifiers, per) in [(101, 4, 8), (5, 3, 1), (6, 2, 2)] {
			for seed in 0..200u32 {
				let mut rng = DrawRng::new(blake2_256(&seed.encode()));
				let targets = sample_targets(&mut rng, count, verifiers, per);
				let mut segments: Vec<u32> =
					targets.iter().flatten().copied().filter(|t| (1..count).contains(t)).collect();
				let dealt = segments.len();
				segments.sort();
				segments.dedup();
				assert_eq!(segments.len(), dealt, "no segment sampled twice while others were not");
				assert!(targets[0].starts_with(&[0]) && targets[0].ends_with(&[count - 1, count]));
				assert!(targets.iter().skip(1).all(|t| t.len() == per));
			}
		}
	}

	#[test]
	fn segments_are_dealt_again_only_once_all_were_dealt() {
		// Three segments for three verifiers of two: every segment is checked, some twice.
		let mut rng = DrawRng::new([7; 32]);
		let targets = sample_targets(&mut rng, 4, 3, 2);
		let segments: Vec<u32> =
			targets.iter().flatten().copied().filter(|t| (1..4).contains(t)).collect();
		assert!((1..4).all(|segment| segments.contains(&segment)));
		assert!(targets.iter().all(|t| t.iter().filter(|s| (1..4).contains(*s)).count() >= 2));
	}

	#[test]
	fn a_seeded_simulation_of_escapes_matches_the_formula() {
		// 100 segments, 2 verifiers of 4: 8 sampled segments (and the last, always checked).
		for faked_count in [1u32, 5, 10, 30] {
			let faked: Vec<u32> = (0..faked_count).map(|i| i * 3 % 99).collect();
			let simulated = simulated_escape(100, 2, 4, &faked, 20_000);
			// The 8 sampled segments are a uniform 8-subset of the 99 before the last.
			let formula = escape_probability(99, 8, faked_count);
			assert!(
				(simulated - formula).abs() < 0.012,
				"{faked_count} faked: simulated {simulated:.4}, formula {formula:.4}"
			);
		}
	}
}
