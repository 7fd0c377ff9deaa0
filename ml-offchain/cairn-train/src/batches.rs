//! Which samples each step trains on: a pure function of `(data_order_seed, step)`.
//!
//! The training samples are visited in epochs. Epoch `e` is a Fisher-Yates permutation of
//! `0..train_len` drawn from the stream `("cairn/data-order", data_order_seed, e)`. Concatenating
//! the epochs gives one endless sequence, and step `s` trains on its positions
//! `s * batch_size .. (s + 1) * batch_size` (a batch may straddle two epochs). A verifier can
//! therefore start at any step without replaying the ones before it.

use crate::rng::SplitMix64;

const DOMAIN: &[u8] = b"cairn/data-order";

/// Batch indices for one dataset and seed; caches the permutation of the current epoch.
#[derive(Clone, Debug)]
pub struct BatchOrder {
	seed: u64,
	train_len: usize,
	cached: Option<(u64, Vec<u32>)>,
}

impl BatchOrder {
	/// The order over `train_len` samples (at least 1) for `data_order_seed`.
	pub fn new(data_order_seed: u64, train_len: usize) -> Self {
		Self { seed: data_order_seed, train_len, cached: None }
	}

	/// Sample indices of step `step`, in batch order.
	pub fn batch(&mut self, step: u32, batch_size: u32) -> Vec<usize> {
		let n = self.train_len as u64;
		let start = u64::from(step) * u64::from(batch_size);
		(start..start + u64::from(batch_size))
			.map(|position| self.permutation(position / n)[(position % n) as usize] as usize)
			.collect()
	}

	fn permutation(&mut self, epoch: u64) -> &[u32] {
		if self.cached.as_ref().map(|(e, _)| *e) != Some(epoch) {
			let mut rng = SplitMix64::derive(DOMAIN, self.seed, epoch);
			let mut order: Vec<u32> = (0..self.train_len as u32).collect();
			for i in (1..order.len()).rev() {
				let j = rng.below(i as u64 + 1) as usize;
				order.swap(i, j);
			}
			self.cached = Some((epoch, order));
		}
		self.cached.as_ref().map(|(_, order)| order.as_slice()).unwrap_or_default()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_step_is_the_same_whether_reached_in_order_or_directly() {
		let mut sequential = BatchOrder::new(11, 100);
		let in_order: Vec<_> = (0..40).map(|step| sequential.batch(step, 32)).collect();
		for step in (0..40).rev() {
			assert_eq!(BatchOrder::new(11, 100).batch(step, 32), in_order[step as usize]);
		}
		assert_ne!(BatchOrder::new(12, 100).batch(0, 32), in_order[0]);
	}

	#[test]
	fn each_epoch_visits_every_sample_once() {
		let mut order = BatchOrder::new(3, 50);
		// Batches of 25: steps 0 and 1 are epoch 0, steps 2 and 3 epoch 1.
		for epoch in 0..2 {
			let mut seen: Vec<usize> =
				(0..2).flat_map(|s| order.batch(epoch * 2 + s, 25)).collect();
			seen.sort_unstable();
			assert_eq!(seen, (0..50).collect::<Vec<_>>());
		}
	}

	#[test]
	fn batches_larger_than_the_data_wrap_into_the_next_epoch() {
		let batch = BatchOrder::new(1, 3).batch(0, 7);
		assert_eq!(batch.len(), 7);
		assert!(batch.iter().all(|&i| i < 3));
	}
}
