//! Which segments the drawn verifiers re-execute: the chain's dealing, reproduced.
//!
//! `pallet-verification` shuffles the run's segments and deals them out in turn, so no verifier
//! gets a segment twice and no segment is dealt twice before every segment was dealt once; the
//! first verifier also checks the run's endpoints (the initial checkpoint and the final weights,
//! both cheap) and the last segment (targets `n − 1` and `n` need its replay).

use crate::rng::Rng;

/// What one drawn verifier checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
	/// The segments it re-executes, sorted and distinct (segment `j` ends at checkpoint `j + 1`).
	pub segments: Vec<u32>,
	/// Whether it also checks the two endpoint targets (the initial checkpoint and the final
	/// weights), which cost no replay.
	pub endpoints: bool,
}

/// Deals `per_verifier` segments of a run of `segments` segments to each of `verifiers`
/// verifiers, the way the chain does.
pub fn deal(
	rng: &mut Rng,
	segments: u32,
	verifiers: usize,
	per_verifier: usize,
) -> Vec<Assignment> {
	let total = segments as usize;
	let per = per_verifier.min(total);
	let dealt = (verifiers * per).min(total);
	let mut order: Vec<u32> = (0..segments).collect();
	// Only the dealt prefix needs shuffling: a partial Fisher–Yates gives it uniformly.
	for i in 0..dealt {
		order.swap(i, i + rng.index(total - i));
	}
	(0..verifiers)
		.map(|position| {
			let mut dealt: Vec<u32> =
				(0..per).map(|offset| order[(position * per + offset) % total]).collect();
			let first = position == 0;
			if first && segments > 0 && !dealt.contains(&(segments - 1)) {
				dealt.push(segments - 1);
			}
			dealt.sort_unstable();
			Assignment { segments: dealt, endpoints: first }
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_verifier_gets_distinct_segments_and_the_first_the_last_one_and_the_endpoints() {
		for seed in 0..200 {
			let deal = deal(&mut Rng::new(seed), 100, 4, 8);
			let mut all: Vec<u32> = Vec::new();
			for (position, assignment) in deal.iter().enumerate() {
				let mut own = assignment.segments.clone();
				own.dedup();
				assert_eq!(own.len(), assignment.segments.len(), "a segment twice to one verifier");
				assert_eq!(assignment.endpoints, position == 0);
				all.extend(assignment.segments.iter().filter(|&&s| position > 0 || s != 99));
			}
			assert!(deal[0].segments.contains(&99), "the first verifier replays the last segment");
			let count = all.len();
			all.sort_unstable();
			all.dedup();
			assert_eq!(all.len(), count, "a segment dealt twice while others were not dealt");
		}
	}

	#[test]
	fn a_deal_larger_than_the_run_covers_every_segment_before_repeating_any() {
		for seed in 0..200 {
			// 3 × 8 = 24 dealt over 16 segments: each segment once or twice, never three times.
			let deal = deal(&mut Rng::new(seed), 16, 3, 8);
			let mut times = [0u32; 16];
			for (position, assignment) in deal.iter().enumerate() {
				assert!(assignment.segments.len() >= 8);
				for &segment in &assignment.segments {
					// The first verifier's extra last segment is not part of the dealing.
					if !(position == 0 && segment == 15 && assignment.segments.len() == 9) {
						times[segment as usize] += 1;
					}
				}
			}
			assert!(times.iter().all(|&t| t == 1 || t == 2), "{times:?}");
			assert_eq!(times.iter().sum::<u32>(), 24);
		}
	}

	#[test]
	fn every_segment_is_dealt_equally_often() {
		let mut times = [0u32; 20];
		let tasks = 20_000;
		for seed in 0..tasks {
			for assignment in deal(&mut Rng::new(seed), 20, 1, 3) {
				// Count the three dealt segments; the always-checked last one is counted apart.
				for &segment in assignment.segments.iter().filter(|&&s| s != 19) {
					times[segment as usize] += 1;
				}
			}
		}
		// Segments 0..=18 are each dealt with probability 3/20: 3,000 expected, sd ≈ 50.
		assert!(times[..19].iter().all(|&t| (2_750..3_250).contains(&t)), "{times:?}");
	}

	#[test]
	fn the_deal_is_a_function_of_the_seed() {
		assert_eq!(deal(&mut Rng::new(9), 100, 2, 4), deal(&mut Rng::new(9), 100, 2, 4));
		assert_ne!(deal(&mut Rng::new(9), 100, 2, 4), deal(&mut Rng::new(10), 100, 2, 4));
	}
}
