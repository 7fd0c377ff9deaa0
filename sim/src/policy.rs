//! The protocol's parameters: a task's size and prices, the verification policy, and the
//! whistleblower layer's forced errors, jackpot, challenge bond and tax.

/// Everything that fixes the economics of one simulated task. Money is in units of account
/// (the reward is 1,000 in every preset); compute is priced in the same units.
#[derive(Clone, Debug)]
pub struct Policy {
	/// Name printed above the policy's table.
	pub name: &'static str,
	/// The reward `R` the submitter escrows.
	pub reward: f64,
	/// What a correct model is worth to the submitter; the presets set it to the reward, so an
	/// honest task leaves the submitter at zero and its column shows what a deviation costs it.
	pub model_value: f64,
	/// Segments of the run (`n − 1` for `n` checkpoints).
	pub segments: u32,
	/// Training steps in one segment: the range a dispute bisects first.
	pub steps_per_segment: u32,
	/// Positions in one step's trace after its input (`cairn_primitives::task::step_trace_len`:
	/// six per linear layer and the output state): the range bisected second.
	pub ops_per_step: u32,
	/// Share of the reward an honest solver spends on training (its margin is the rest, less
	/// fees and tax).
	pub training_share: f64,
	/// Solver's task bond as a share of the reward (`b`).
	pub bond_ratio: f64,
	/// Verifiers drawn (`v`).
	pub verifiers: usize,
	/// Segments dealt to each verifier (`s`).
	pub per_verifier: usize,
	/// Verification fee as a share of the reward (`f`): paid out of the reward on acceptance,
	/// out of the solver's bond on rejection.
	pub fee: f64,
	/// What a verifier loses for a wrong value or for silence (`S_v`).
	pub verifier_slash: f64,
	/// Arbiters who re-execute the one disputed step at the end of a game (`a`).
	pub arbiters: usize,
	/// On-chain fee of one move in a dispute game.
	pub move_fee: f64,
	/// The whistleblower layer, if the policy has one.
	pub watch: Option<Watch>,
}

/// The whistleblower layer: forced errors, the jackpot that pays for catching them, the bond a
/// challenge risks and the tax that funds the jackpots.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
	/// Whistleblowers watching the network (`W`).
	pub whistleblowers: usize,
	/// Probability that a given whistleblower re-executes a given verifier's check (`w`).
	pub probability: f64,
	/// Probability that a verifier must make a forced error on a task (`p_f`).
	pub forced_error: f64,
	/// Jackpot `J` paid from the pot for a forced error caught, shared by those who caught it.
	pub jackpot: f64,
	/// What a whistleblower loses for a wrong challenge (`B_w`).
	pub challenge_bond: f64,
	/// Tax on each task's reward that funds the pot (`t`).
	pub tax: f64,
}

/// What the whistleblower layer's prices are derived from (see [`Watch::derive`]).
#[derive(Clone, Copy, Debug)]
pub struct WatchDesign {
	/// Whistleblowers assumed to watch (`W`).
	pub whistleblowers: usize,
	/// Probability that each watches a given check (`w`).
	pub probability: f64,
	/// Forced-error probability per verifier and task (`p_f`).
	pub forced_error: f64,
	/// Margin `μ` a watcher earns over its compute on the largest check.
	pub margin: f64,
	/// Factor on the bond at which blind challenging breaks even.
	pub bond_factor: f64,
}

impl WatchDesign {
	/// The defaults: two whistleblowers each watching 30% of the checks (so that a check is
	/// watched with probability above the 0.46 a one-verifier coalition needs to lose), a forced
	/// error on one task in ten per verifier, watchers earning half their compute on top, and a
	/// challenge bond twice what would make blind challenging break even.
	pub const DEFAULT: WatchDesign = WatchDesign {
		whistleblowers: 2,
		probability: 0.3,
		forced_error: 0.1,
		margin: 0.5,
		bond_factor: 2.0,
	};
}

impl Watch {
	/// Expected share `σ` of a jackpot a watcher gets when it catches a forced error: the other
	/// `W − 1` whistleblowers each watched the same check with probability `w` and share it.
	pub fn share(&self) -> f64 {
		let others = self.whistleblowers.saturating_sub(1);
		(0..=others)
			.map(|x| binomial(others, x, self.probability) / (1.0 + x as f64))
			.sum()
	}

	/// Probability `q` that at least one whistleblower watches a given check.
	pub fn coverage(&self) -> f64 {
		1.0 - (1.0 - self.probability).powi(self.whistleblowers as i32)
	}

	/// Prices derived for `policy` from `design`:
	///
	/// - jackpot: a watcher of the largest check (`K` segments of cost `C`) earns `σ·p_f·J` in
	///   expectation and spends `K·C`, so `J = (1 + μ)·K·C / (σ·p_f)`;
	/// - challenge bond: a blind challenge of one of a verifier's `k` targets finds its forced
	///   error with probability `p_f / k` and is wrong otherwise; it breaks even at
	///   `B_w = (p_f/k)·J / (1 − p_f/k)` (counting the whole jackpot, the blind challenger's best
	///   case, and the smallest check), and the bond is `bond_factor` times that;
	/// - tax: each of the `v` verifiers makes a forced error with probability `p_f`, caught with
	///   probability `q`, so the pot pays `v·p_f·q·J` a task and the tax is that share of the
	///   reward, rounded up to a tenth of a percent so the pot does not drift down.
	pub fn derive(policy: &Policy, design: &WatchDesign) -> Watch {
		let mut watch = Watch {
			whistleblowers: design.whistleblowers,
			probability: design.probability,
			forced_error: design.forced_error,
			jackpot: 0.0,
			challenge_bond: 0.0,
			tax: 0.0,
		};
		let cost = policy.segment_cost();
		let largest = f64::from(policy.largest_check());
		watch.jackpot =
			((1.0 + design.margin) * largest * cost / (watch.share() * design.forced_error)).ceil();
		let hit = design.forced_error / f64::from(policy.smallest_check());
		watch.challenge_bond = (design.bond_factor * hit * watch.jackpot / (1.0 - hit)).ceil();
		let payout =
			policy.verifiers as f64 * design.forced_error * watch.coverage() * watch.jackpot;
		watch.tax = (payout / policy.reward * 1000.0).ceil() / 1000.0;
		watch
	}
}

/// Probability of `x` successes in `n` trials of probability `p`.
fn binomial(n: usize, x: usize, p: f64) -> f64 {
	let choose = (0..x).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
	choose * p.powi(x as i32) * (1.0 - p).powi((n - x) as i32)
}

/// `⌈log2 x⌉`, the rounds a bisection of `x` positions takes (0 for one position).
pub fn ceil_log2(x: u32) -> u32 {
	x.max(1).next_power_of_two().trailing_zeros()
}

impl Policy {
	/// A policy of `verifiers` × `per_verifier` on the presets' task (reward 1,000, 100 segments
	/// of 64 steps, a network of four linear layers, 60% of the reward spent on training), with
	/// the chain's dev parameters (bond 25%, fee 10%, verifier slash 100, three arbiters) and no
	/// whistleblowers.
	pub fn new(name: &'static str, verifiers: usize, per_verifier: usize) -> Policy {
		Policy {
			name,
			reward: 1000.0,
			model_value: 1000.0,
			segments: 100,
			steps_per_segment: 64,
			ops_per_step: 6 * 4 + 1,
			training_share: 0.6,
			bond_ratio: 0.25,
			verifiers,
			per_verifier,
			fee: 0.10,
			verifier_slash: 100.0,
			arbiters: 3,
			move_fee: 0.1,
			watch: None,
		}
	}

	/// The same policy with a verification fee of `fee` (a share of the reward).
	pub fn priced(mut self, fee: f64) -> Policy {
		self.fee = fee;
		self
	}

	/// The same policy with the run cut into `segments` segments of `steps` steps each.
	pub fn segmented(mut self, segments: u32, steps: u32) -> Policy {
		self.segments = segments;
		self.steps_per_segment = steps;
		self
	}

	/// The same policy with whistleblowers, priced by [`Watch::derive`].
	pub fn watched(mut self, design: &WatchDesign) -> Policy {
		self.watch = Some(Watch::derive(&self, design));
		self
	}

	/// The policies the simulation prints: the dev preset with and without whistleblowers, a
	/// cheaper and a stricter sampling (at the dev fee, and at a fee that pays its replays), and
	/// the dev sampling on a run of only 16 segments.
	pub fn presets() -> Vec<Policy> {
		let design = WatchDesign::DEFAULT;
		vec![
			Policy::new("2×4 (dev preset), whistleblowers", 2, 4).watched(&design),
			Policy::new("2×4 (dev preset), no whistleblowers", 2, 4),
			Policy::new("1×2, whistleblowers", 1, 2).watched(&design),
			Policy::new("3×8, whistleblowers", 3, 8).watched(&design),
			Policy::new("3×8, fee 20%, whistleblowers", 3, 8).priced(0.2).watched(&design),
			Policy::new("2×4 on 16 segments (17 checkpoints), whistleblowers", 2, 4)
				.segmented(16, 400)
				.watched(&design),
		]
	}

	/// Training cost `C` of one segment, which is also what re-executing it costs.
	pub fn segment_cost(&self) -> f64 {
		self.reward * self.training_share / f64::from(self.segments)
	}

	/// What an honest solver spends on training.
	pub fn training_cost(&self) -> f64 {
		self.segment_cost() * f64::from(self.segments)
	}

	/// The solver's task bond.
	pub fn bond(&self) -> f64 {
		self.bond_ratio * self.reward
	}

	/// Segments dealt to one verifier (no more than the run has).
	pub fn dealt(&self) -> u32 {
		(self.per_verifier as u32).min(self.segments)
	}

	/// Segments of the largest check: the first verifier's, which adds the last segment when it
	/// was not dealt to it.
	pub fn largest_check(&self) -> u32 {
		(self.dealt() + 1).min(self.segments)
	}

	/// Segments of the smallest check.
	pub fn smallest_check(&self) -> u32 {
		self.dealt()
	}

	/// Segments the drawn verifiers replay in a task, in expectation: the dealt ones, plus the
	/// last segment when it was not dealt to the first verifier.
	pub fn expected_replays(&self) -> f64 {
		let dealt = f64::from(self.dealt());
		let total = f64::from(self.segments);
		(self.verifiers as f64 * dealt).min(total) + (total - dealt) / total
	}

	/// Rounds of a game that is played out: bisection over the segment's steps, then over one
	/// step's trace, then one round of arbitration.
	pub fn longest_game(&self) -> u32 {
		ceil_log2(self.steps_per_segment) + ceil_log2(self.ops_per_step) + 1
	}

	/// Tax on one task (zero without whistleblowers).
	pub fn tax(&self) -> f64 {
		self.watch.map_or(0.0, |watch| watch.tax * self.reward)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_bisection_takes_the_ceiling_of_the_logarithm() {
		assert_eq!([1, 2, 3, 4, 24, 64, 400].map(ceil_log2), [0, 1, 2, 2, 5, 6, 9]);
		assert_eq!(Policy::new("p", 2, 4).longest_game(), 6 + 5 + 1);
	}

	#[test]
	fn the_jackpot_share_counts_the_other_watchers() {
		let watch = Policy::new("p", 2, 4).watched(&WatchDesign::DEFAULT).watch.unwrap();
		// One other watcher, watching with 0.3: alone (share 1) or with it (share 1/2).
		assert!((watch.share() - (0.7 + 0.3 / 2.0)).abs() < 1e-12);
		assert!((watch.coverage() - (1.0 - 0.7 * 0.7)).abs() < 1e-12);
	}

	#[test]
	fn derived_prices_make_watching_pay_blind_challenges_lose_and_the_pot_hold() {
		for policy in Policy::presets() {
			let Some(watch) = policy.watch else { continue };
			let cost = policy.segment_cost();
			let jackpot = watch.share() * watch.forced_error * watch.jackpot;
			assert!(jackpot > f64::from(policy.largest_check()) * cost, "{}", policy.name);
			let hit = watch.forced_error / f64::from(policy.smallest_check());
			assert!(hit * watch.jackpot < (1.0 - hit) * watch.challenge_bond, "{}", policy.name);
			let payout =
				policy.verifiers as f64 * watch.forced_error * watch.coverage() * watch.jackpot;
			assert!(policy.tax() >= payout, "{}", policy.name);
		}
	}
}
