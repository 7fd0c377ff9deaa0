//! The simulation's seeded pseudo-random generator.

/// Weyl-sequence increment of SplitMix64: the golden ratio in 64-bit fixed point.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function (Stafford's "Mix13" variant of the MurmurHash3 finaliser).
fn mix(mut z: u64) -> u64 {
	z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
	z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a counter advanced by a Weyl sequence and mixed.
///
/// Fast, passes BigCrush, and every seed starts a full-period stream. It is not cryptographic and
/// need not be: the simulation's randomness only has to be reproducible from the seed.
#[derive(Clone, Debug)]
pub struct Rng {
	state: u64,
}

impl Rng {
	/// The stream that starts from `seed`.
	pub fn new(seed: u64) -> Self {
		Rng { state: seed }
	}

	/// An independent stream named by `labels` under `seed`: the same labels always give the same
	/// stream, different labels unrelated ones. Each random decision of a simulated task draws
	/// from its own labelled stream, so two strategies simulated on the same task index see the
	/// same draw, forced errors and watchers (common random numbers), whatever else they drew.
	pub fn derive(seed: u64, labels: &[u64]) -> Self {
		let state = labels
			.iter()
			.fold(mix(seed), |acc, &label| mix(acc ^ mix(label.wrapping_add(GOLDEN_GAMMA))));
		Rng::new(state)
	}

	/// The next 64 uniformly distributed bits.
	pub fn next_u64(&mut self) -> u64 {
		self.state = self.state.wrapping_add(GOLDEN_GAMMA);
		mix(self.state)
	}

	/// A number uniformly distributed in `[0, 1)`, on a grid of 2^-53.
	pub fn unit(&mut self) -> f64 {
		(self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
	}

	/// `true` with probability `p`.
	pub fn chance(&mut self, p: f64) -> bool {
		self.unit() < p
	}

	/// A number uniformly distributed below `bound` (0 when `bound` is 0), without modulo bias
	/// (Lemire's multiply-and-reject method).
	pub fn below(&mut self, bound: u64) -> u64 {
		if bound == 0 {
			return 0;
		}
		let mut product = u128::from(self.next_u64()) * u128::from(bound);
		if (product as u64) < bound {
			// Reject the few low products that would make some results more likely than others.
			let threshold = bound.wrapping_neg() % bound;
			while (product as u64) < threshold {
				product = u128::from(self.next_u64()) * u128::from(bound);
			}
		}
		(product >> 64) as u64
	}

	/// An index uniformly distributed below `len` (0 when `len` is 0).
	pub fn index(&mut self, len: usize) -> usize {
		self.below(len as u64) as usize
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_stream_is_splitmix64_and_a_seed_always_gives_the_same_stream() {
		// The reference outputs of SplitMix64 from seed 0.
		let mut rng = Rng::new(0);
		assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
		assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
		assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
		let first: Vec<u64> = (0..100).map(|_| Rng::new(42).next_u64()).collect();
		let mut a = Rng::new(42);
		let mut b = Rng::new(42);
		assert!((0..1000).all(|_| a.next_u64() == b.next_u64()));
		assert!(first.iter().all(|&x| x == first[0]));
	}

	#[test]
	fn derived_streams_are_reproducible_and_differ_by_label() {
		let draw = |labels: &[u64]| Rng::derive(7, labels).next_u64();
		assert_eq!(draw(&[1, 2]), draw(&[1, 2]));
		assert_ne!(draw(&[1, 2]), draw(&[2, 1]));
		assert_ne!(draw(&[1, 2]), draw(&[1, 3]));
		assert_ne!(Rng::derive(7, &[1]).next_u64(), Rng::derive(8, &[1]).next_u64());
	}

	#[test]
	fn bounded_draws_stay_in_range_and_are_close_to_uniform() {
		let mut rng = Rng::new(3);
		let mut counts = [0u32; 6];
		for _ in 0..60_000 {
			counts[rng.index(6)] += 1;
		}
		// Each face expects 10,000; 5 standard deviations are about 456.
		assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
		assert_eq!(rng.below(0), 0);
		assert!((0..1000).all(|_| rng.below(1) == 0));
		assert!((0..1000).map(|_| rng.unit()).all(|u| (0.0..1.0).contains(&u)));
	}
}
