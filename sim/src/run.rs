//! Many seeded tasks per scenario, summarised into the figures the table prints.

use crate::{
	policy::Policy,
	strategy::{catalogue, Deviant, Scenario, WhistleblowerPlay},
	task::{simulate, Account, Ledger, Task},
};
use std::{
	sync::atomic::{AtomicUsize, Ordering},
	thread,
};

/// A running mean with the spread of its samples.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean {
	count: u64,
	sum: f64,
	squares: f64,
}

impl Mean {
	/// Adds one sample.
	pub fn add(&mut self, x: f64) {
		self.count += 1;
		self.sum += x;
		self.squares += x * x;
	}

	/// The mean of the samples (0 without samples).
	pub fn mean(&self) -> f64 {
		self.sum / self.count.max(1) as f64
	}

	/// Half-width of the mean's 95% confidence interval (normal approximation).
	pub fn error(&self) -> f64 {
		let n = self.count as f64;
		if self.count < 2 {
			return 0.0;
		}
		let variance = ((self.squares - self.sum * self.sum / n) / (n - 1.0)).max(0.0);
		1.96 * (variance / n).sqrt()
	}
}

/// A scenario's figures, per task unless said otherwise.
#[derive(Clone, Debug, Default)]
pub struct Stats {
	/// Share of tasks whose result was rejected.
	pub rejected: f64,
	/// Share of tasks in which the deviation was caught (see [`Task::caught`]).
	pub caught: f64,
	/// The deviating party's profit.
	pub deviant_profit: Mean,
	/// The deviating party's profit less what the same accounts made in honest play on the same
	/// task (same draw, forced errors and watchers).
	pub deviant_gain: Mean,
	/// The solver's profit.
	pub solver: Mean,
	/// All verifiers' profit, together (drawn and recheckers).
	pub verifiers: Mean,
	/// All whistleblowers' profit, together.
	pub whistleblowers: Mean,
	/// The submitter's profit (model value less what it paid, plus compensation).
	pub submitter: Mean,
	/// The pot's balance change: its drift.
	pub pot: Mean,
	/// Verifiers' (and recheckers') re-execution as a share of an honest run's training.
	pub verifier_share: Mean,
	/// Whistleblowers' re-execution as a share of an honest run's training.
	pub watcher_share: Mean,
	/// Arbiters' re-execution as a share of an honest run's training.
	pub arbiter_share: Mean,
	/// Rounds of the longest dispute game over all tasks.
	pub longest_dispute: u32,
	/// Checks re-executed by honest whistleblowers, over all tasks.
	pub watched_checks: u64,
	/// Honest whistleblowers' total profit, over all tasks.
	pub watcher_profit: f64,
	/// Challenges whistleblower 0 made without computing, over all tasks.
	pub blind_challenges: u64,
	/// Whistleblower 0's total profit when it does not follow the protocol, over all tasks.
	pub deviant_whistleblower_profit: f64,
	/// Largest amount by which a task's balances failed to sum to zero.
	pub worst_imbalance: f64,
}

impl Stats {
	/// Verification compute (verifiers, whistleblowers and arbiters) as a share of training.
	pub fn verification_share(&self) -> f64 {
		self.verifier_share.mean() + self.watcher_share.mean() + self.arbiter_share.mean()
	}

	/// Honest whistleblowers' profit per check they re-executed.
	pub fn profit_per_watched_check(&self) -> f64 {
		self.watcher_profit / self.watched_checks.max(1) as f64
	}

	/// A deviating whistleblower 0's profit per challenge made without computing.
	pub fn profit_per_blind_challenge(&self) -> f64 {
		self.deviant_whistleblower_profit / self.blind_challenges.max(1) as f64
	}
}

/// One printed row: a scenario and its figures.
#[derive(Clone, Debug)]
pub struct Row {
	/// What was simulated.
	pub scenario: Scenario,
	/// What came of it.
	pub stats: Stats,
}

/// The accounts that make up `deviant` in a task.
fn deviant_accounts(deviant: Deviant) -> impl Iterator<Item = Account> {
	let solver = deviant.solver.then_some(Account::Solver);
	let whistleblower = deviant.whistleblower.then_some(Account::Whistleblower(0));
	solver
		.into_iter()
		.chain((0..deviant.verifiers).map(Account::Verifier))
		.chain(whistleblower)
}

/// Sum of `accounts`' profits in `ledger`.
fn profit_of(ledger: &Ledger, accounts: impl Iterator<Item = Account>) -> f64 {
	accounts.map(|account| ledger.profit(account)).sum()
}

/// Simulates the tasks of `scenario` and compares them, task by task, with `baseline`.
fn summarise(policy: &Policy, scenario: &Scenario, seed: u64, baseline: &[Ledger]) -> Stats {
	let mut stats = Stats::default();
	let training = policy.training_cost();
	let (mut rejected, mut caught) = (0u64, 0u64);
	let honest_watcher = |j: usize| j > 0 || scenario.whistleblower == WhistleblowerPlay::Honest;
	for (index, honest) in baseline.iter().enumerate() {
		let task: Task = simulate(policy, scenario, seed, index as u64);
		let ledger = &task.ledger;
		let deviant = profit_of(ledger, deviant_accounts(scenario.deviant));
		stats.deviant_profit.add(deviant);
		stats
			.deviant_gain
			.add(deviant - profit_of(honest, deviant_accounts(scenario.deviant)));
		rejected += u64::from(task.rejected);
		caught += u64::from(task.caught);
		stats.solver.add(ledger.profit(Account::Solver));
		stats.submitter.add(ledger.profit(Account::Submitter));
		stats.pot.add(ledger.profit(Account::Pot));
		let (mut verifiers, mut verifier_compute) = (0.0, 0.0);
		let (mut whistleblowers, mut watcher_compute) = (0.0, 0.0);
		for account in ledger.accounts() {
			match account {
				Account::Verifier(_) | Account::Rechecker => {
					verifiers += ledger.profit(account);
					verifier_compute += ledger.compute(account);
				},
				Account::Whistleblower(j) => {
					whistleblowers += ledger.profit(account);
					watcher_compute += ledger.compute(account);
					if honest_watcher(j) {
						stats.watcher_profit += ledger.profit(account);
					} else {
						stats.deviant_whistleblower_profit += ledger.profit(account);
					}
				},
				_ => {},
			}
		}
		stats.verifiers.add(verifiers);
		stats.whistleblowers.add(whistleblowers);
		stats.verifier_share.add(verifier_compute / training);
		stats.watcher_share.add(watcher_compute / training);
		stats.arbiter_share.add(ledger.compute(Account::Arbiters) / training);
		stats.longest_dispute = stats.longest_dispute.max(task.longest_dispute);
		stats.watched_checks += u64::from(task.watched_checks);
		stats.blind_challenges += u64::from(task.blind_challenges);
		stats.worst_imbalance = stats.worst_imbalance.max(ledger.imbalance().abs());
	}
	let tasks = baseline.len().max(1) as f64;
	stats.rejected = rejected as f64 / tasks;
	stats.caught = caught as f64 / tasks;
	stats
}

/// Simulates every scenario of the catalogue under `policy`, `tasks` tasks each, from `seed`.
/// Task `i` of every scenario shares the honest baseline's random draws.
pub fn simulate_policy(policy: &Policy, seed: u64, tasks: u64) -> Vec<Row> {
	let honest = Scenario::honest();
	let baseline: Vec<Ledger> =
		(0..tasks).map(|index| simulate(policy, &honest, seed, index).ledger).collect();
	catalogue(policy)
		.into_iter()
		.map(|scenario| {
			let stats = summarise(policy, &scenario, seed, &baseline);
			Row { scenario, stats }
		})
		.collect()
}

/// Simulates every policy on up to `threads` threads; results in the order of `policies`.
pub fn simulate_all(policies: &[Policy], seed: u64, tasks: u64, threads: usize) -> Vec<Vec<Row>> {
	let next = AtomicUsize::new(0);
	let mut results: Vec<(usize, Vec<Row>)> = thread::scope(|scope| {
		let workers: Vec<_> = (0..threads.clamp(1, policies.len().max(1)))
			.map(|_| {
				scope.spawn(|| {
					let mut done = Vec::new();
					loop {
						let index = next.fetch_add(1, Ordering::Relaxed);
						let Some(policy) = policies.get(index) else { break done };
						done.push((index, simulate_policy(policy, seed, tasks)));
					}
				})
			})
			.collect();
		workers
			.into_iter()
			.flat_map(|worker| {
				worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
			})
			.collect()
	});
	results.sort_by_key(|(index, _)| *index);
	results.into_iter().map(|(_, rows)| rows).collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::strategy::{SolverPlay, VerifierPlay};

	/// Tasks per row in the tests: enough for the signs below to be many intervals wide.
	const TASKS: u64 = 3_000;

	fn dev() -> Policy {
		Policy::presets().remove(0)
	}

	fn row(rows: &[Row], test: impl Fn(&Scenario) -> bool) -> &Stats {
		&rows
			.iter()
			.find(|row| test(&row.scenario))
			.expect("the catalogue has the row")
			.stats
	}

	#[test]
	fn honest_play_pays_every_role_and_rejects_nothing_under_the_dev_policy() {
		let rows = simulate_policy(&dev(), 11, TASKS);
		let honest = row(&rows, |s| !s.deviant.any());
		assert_eq!(honest.rejected, 0.0);
		assert!(honest.solver.mean() > 200.0, "{:?}", honest.solver);
		assert!(honest.verifiers.mean() > 0.0 && honest.whistleblowers.mean() > 0.0);
		assert_eq!(honest.submitter.mean(), 0.0, "a correct model, paid at its value");
		assert!(honest.profit_per_watched_check() > 0.0);
	}

	#[test]
	fn copying_a_checkpoint_loses_for_the_solver_under_the_dev_policy() {
		let rows = simulate_policy(&dev(), 12, TASKS);
		let copy = row(&rows, |s| {
			s.solver == SolverPlay::Copy { segments: 1 } && s.deviant.verifiers == 0
		});
		let gain = &copy.deviant_gain;
		assert!(gain.mean() + gain.error() < 0.0, "{gain:?}");
		assert!(copy.solver.mean() < row(&rows, |s| !s.deviant.any()).solver.mean());
	}

	#[test]
	fn under_the_dev_policy_every_strategy_of_the_catalogue_loses_and_only_the_limits_pay() {
		let rows = simulate_policy(&dev(), 13, TASKS);
		for row in rows.iter().filter(|row| row.scenario.deviant.any()) {
			let gain = &row.stats.deviant_gain;
			if row.scenario.limit {
				assert!(gain.mean() - gain.error() > 0.0, "{}: {gain:?}", row.scenario.name);
			} else {
				assert!(gain.mean() + gain.error() < 0.0, "{}: {gain:?}", row.scenario.name);
			}
		}
	}

	#[test]
	fn whistleblowers_turn_the_lazy_verifiers_gain_into_a_loss() {
		let lazy = |policy: &Policy| {
			let rows = simulate_policy(policy, 15, TASKS);
			let lazy =
				|s: &Scenario| s.verifier == VerifierPlay::Lazy && s.solver == SolverPlay::Honest;
			row(&rows, lazy).deviant_gain.mean()
		};
		let presets = Policy::presets();
		assert!(lazy(&presets[0]) < 0.0, "watched: laziness loses");
		assert!(lazy(&presets[1]) > 0.0, "unwatched: the verifier's dilemma");
	}

	#[test]
	fn funds_are_conserved_and_every_game_ends_within_its_bound_in_every_row() {
		for policy in Policy::presets() {
			for row in simulate_policy(&policy, 16, 300) {
				assert!(row.stats.worst_imbalance < 1e-9, "{}: {}", policy.name, row.scenario.name);
				assert!(
					row.stats.longest_dispute <= policy.longest_game(),
					"{}",
					row.scenario.name
				);
			}
		}
	}

	#[test]
	fn the_same_seed_gives_the_same_figures() {
		let a = simulate_policy(&dev(), 17, 200);
		let b = simulate_policy(&dev(), 17, 200);
		for (a, b) in a.iter().zip(&b) {
			assert_eq!(a.stats.deviant_gain.mean(), b.stats.deviant_gain.mean());
			assert_eq!(a.stats.pot.mean(), b.stats.pot.mean());
		}
	}
}
