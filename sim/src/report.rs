//! The printed report: a table per policy, the incentive check, the overhead comparison.

use crate::{
	policy::Policy,
	run::{Mean, Row},
	strategy::{Deviant, SolverPlay, VerifierPlay, WhistleblowerPlay},
};
use std::fmt::Write;

/// The Gensyn litepaper's simulated time overhead of its protocol on training (100-epoch MNIST).
const LITEPAPER_OVERHEAD: f64 = 0.46;

/// A signed amount with one decimal, with a true minus sign.
fn money(x: f64) -> String {
	let tenths = (x * 10.0).round() / 10.0;
	if tenths < 0.0 {
		format!("−{:.1}", -tenths)
	} else if tenths > 0.0 {
		format!("+{tenths:.1}")
	} else {
		"0.0".into()
	}
}

/// A mean and the half-width of its 95% confidence interval.
fn estimate(mean: &Mean) -> String {
	format!("{} ± {:.1}", money(mean.mean()), mean.error())
}

/// A share as a percentage with one decimal.
fn percent(x: f64) -> String {
	format!("{:.1}%", 100.0 * x)
}

/// Who a row's deviating party is.
fn deviant_label(deviant: Deviant) -> String {
	let mut parts = Vec::new();
	if deviant.solver {
		parts.push("solver".to_string());
	}
	match deviant.verifiers {
		0 => {},
		1 => parts.push("verifier".into()),
		n => parts.push(format!("{n} verifiers")),
	}
	if deviant.whistleblower {
		parts.push("whistleblower".into());
	}
	if parts.is_empty() {
		"—".into()
	} else {
		parts.join(" + ")
	}
}

/// The parameters of `policy`, in one paragraph.
fn parameters(policy: &Policy) -> String {
	let base = format!(
		"R = {}, {} segments × {} steps, C = {:.2} a segment (training {}), solver bond {}, \
		 fee f = {}, S_v = {}, {} arbiters, move fee {}, a game at most {} rounds",
		policy.reward,
		policy.segments,
		policy.steps_per_segment,
		policy.segment_cost(),
		policy.training_cost(),
		policy.bond(),
		percent(policy.fee),
		policy.verifier_slash,
		policy.arbiters,
		policy.move_fee,
		policy.longest_game(),
	);
	match policy.watch {
		Some(watch) => format!(
			"{base}; {} whistleblowers watching each check with w = {}, p_f = {}, J = {}, \
			 B_w = {}, t = {}.",
			watch.whistleblowers,
			watch.probability,
			watch.forced_error,
			watch.jackpot,
			watch.challenge_bond,
			percent(watch.tax),
		),
		None => format!("{base}; no whistleblowers, forced errors, jackpots or tax."),
	}
}

/// The table of one policy.
fn table(rows: &[Row]) -> String {
	let mut text = String::from(
		"| strategy | deviant | rejected | caught | deviant profit | Δ vs honest (95%) | solver \
		 | verifiers | whistleblowers | submitter | pot | verify/train | longest dispute |\n\
		 |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	);
	for row in rows {
		let stats = &row.stats;
		let (caught, profit, gain) = if row.scenario.deviant.any() {
			(
				percent(stats.caught),
				money(stats.deviant_profit.mean()),
				estimate(&stats.deviant_gain),
			)
		} else {
			("—".into(), "—".into(), "—".into())
		};
		writeln!(
			text,
			"| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
			row.scenario.name,
			deviant_label(row.scenario.deviant),
			percent(stats.rejected),
			caught,
			profit,
			gain,
			money(stats.solver.mean()),
			money(stats.verifiers.mean()),
			money(stats.whistleblowers.mean()),
			money(stats.submitter.mean()),
			money(stats.pot.mean()),
			percent(stats.verification_share()),
			stats.longest_dispute,
		)
		.expect("writing to a String cannot fail");
	}
	text
}

/// The incentive check of a watched policy: the closed forms beside what the simulation measured.
fn incentives(policy: &Policy, rows: &[Row]) -> Option<String> {
	let watch = policy.watch?;
	let honest = &rows.iter().find(|row| !row.scenario.deviant.any())?.stats;
	let find =
		|test: &dyn Fn(&Row) -> bool| rows.iter().find(|row| test(row)).map(|row| &row.stats);
	let blind = find(&|row| row.scenario.whistleblower == WhistleblowerPlay::Blind)?;
	let coalition = find(&|row| {
		row.scenario.solver == SolverPlay::Interpolate
			&& row.scenario.verifier == VerifierPlay::Colluding
			&& row.scenario.deviant_verifiers == policy.verifiers
			&& row.scenario.arbiter_collusion == 0.0
	})?;
	let cost = policy.segment_cost();
	let (share, coverage) = (watch.share(), watch.coverage());
	let jackpot = share * watch.forced_error * watch.jackpot;
	let mut text = format!(
		"Incentive check (σ = {share:.3}, a catcher's expected share of a jackpot; q = \
		 {coverage:.3}, the probability that a check is watched):\n\n"
	);
	let watching: Vec<String> = [policy.largest_check(), policy.smallest_check()]
		.into_iter()
		.map(|k| {
			let spent = f64::from(k) * cost;
			format!("{jackpot:.2} + 0 − {spent:.2} = {} for k = {k}", money(jackpot - spent))
		})
		.collect();
	let hit = watch.forced_error / f64::from(policy.smallest_check());
	let (blind_gain, blind_loss) =
		(hit * share * watch.jackpot, (1.0 - hit) * watch.challenge_bond);
	let tax = policy.tax();
	let payout = policy.verifiers as f64 * watch.forced_error * coverage * watch.jackpot;
	let caught = 1.0 - (1.0 - coverage).powi(policy.verifiers as i32);
	let saved = policy.training_cost() + policy.expected_replays() * cost;
	let at_stake = policy.reward - tax + policy.bond() + policy.verifier_slash;
	writeln!(
		text,
		"- honest watching, per watched check of k segments, σ·p_f·J + catches − k·C: {}; \
		 simulated {} per watched check ({} checks).\n\
		 - blind challenging, per challenge of one of k targets, (p_f/k)·σ·J − (1 − p_f/k)·B_w: \
		 {blind_gain:.2} − {blind_loss:.2} = {} for k = {} (its best case); simulated {} per \
		 challenge ({} challenges).\n\
		 - pot drift, per task, t·R − v·p_f·q·J: {tax:.2} − {payout:.2} = {}; simulated {} in \
		 honest play.\n\
		 - a solver with all {} drawn verifiers colluding is caught when any of their checks is \
		 watched, Q = 1 − (1 − q)^v = {caught:.3}; faking everything loses iff Q > (compute \
		 saved) / (R − t·R + b·R + S_v) = {saved:.1} / {at_stake:.1} = {:.3}; simulated Δ {}.",
		watching.join("; "),
		money(honest.profit_per_watched_check()),
		honest.watched_checks,
		money(blind_gain - blind_loss),
		policy.smallest_check(),
		money(blind.profit_per_blind_challenge()),
		blind.blind_challenges,
		money(tax - payout),
		estimate(&honest.pot),
		policy.verifiers,
		saved / at_stake,
		estimate(&coalition.deviant_gain),
	)
	.expect("writing to a String cannot fail");
	Some(text)
}

/// The honest rows' verification compute beside the litepaper's overhead.
fn overhead(policies: &[Policy], results: &[Vec<Row>]) -> String {
	let mut text = String::from(
		"Verification compute in honest play, as a share of training (verifiers + whistleblowers \
		 + arbiters):\n\n",
	);
	for (policy, rows) in policies.iter().zip(results) {
		if let Some(row) = rows.first() {
			let stats = &row.stats;
			writeln!(
				text,
				"- {}: {} ({} + {} + {})",
				policy.name,
				percent(stats.verification_share()),
				percent(stats.verifier_share.mean()),
				percent(stats.watcher_share.mean()),
				percent(stats.arbiter_share.mean()),
			)
			.expect("writing to a String cannot fail");
		}
	}
	writeln!(
		text,
		"\nThe Gensyn litepaper reports a ~{:.0}% simulated time overhead on training (100-epoch \
		 MNIST). Sampled re-execution costs about (v·s + 1)/S of training plus the watchers' \
		 share w·W of that, so it stays below the litepaper's figure while a run has many more \
		 segments than a policy samples, and exceeds it when it has not (16 segments).",
		100.0 * LITEPAPER_OVERHEAD
	)
	.expect("writing to a String cannot fail");
	text
}

/// The whole report for `policies` and their simulated rows.
pub fn render(policies: &[Policy], results: &[Vec<Row>], seed: u64, tasks: u64) -> String {
	let mut text = format!(
		"# Cairn incentive simulation\n\nSeed {seed}, {tasks} tasks per row. Money in units of \
		 account, per task; profit is money received less compute spent. Δ vs honest compares \
		 the deviating party with the same accounts in honest play on the same tasks (same \
		 draws), with its 95% confidence interval.\n"
	);
	for (policy, rows) in policies.iter().zip(results) {
		write!(text, "\n## {}\n\n{}\n\n{}", policy.name, parameters(policy), table(rows))
			.expect("writing to a String cannot fail");
		if let Some(check) = incentives(policy, rows) {
			write!(text, "\n{check}").expect("writing to a String cannot fail");
		}
		let worst = rows.iter().map(|row| row.stats.worst_imbalance).fold(0.0, f64::max);
		writeln!(
			text,
			"\nFunds conserved: the largest imbalance of any task's ledger is {worst:.1e}."
		)
		.expect("writing to a String cannot fail");
	}
	write!(text, "\n## Overhead\n\n{}", overhead(policies, results))
		.expect("writing to a String cannot fail");
	text
}
