//! One simulated task, from the solver's run to settlement, every payment on a ledger.
//!
//! Order of events: the solver commits its run; the chain draws the verifiers and deals their
//! segments; each verifier reveals, per target, its verdict on the solver's leaf and (for a
//! segment) a witness, one of them deliberately wrong when it is due a forced error; every
//! `Disagree` opens a dispute the solver defends, every `Unavailable` an availability challenge;
//! a target left without a standing verdict (its verifier was silent, or gave up the dispute it
//! opened) goes to a fresh verifier in a recheck round; in the challenge window whistleblowers
//! challenge the verifiers' values; then the task settles.

use crate::{
	game::{self, Conduct, Dispute, Side},
	policy::{Policy, Watch},
	rng::Rng,
	sampling::{self, Assignment},
	strategy::{Run, Scenario, VerifierPlay, WhistleblowerPlay},
};
use std::ops::Range;

/// Who holds money or spends compute in a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Account {
	/// The solver.
	Solver,
	/// The submitter.
	Submitter,
	/// The arbitration committees (paid exactly their compute by the losers).
	Arbiters,
	/// The protocol pot that pays jackpots.
	Pot,
	/// Block authors, who collect the on-chain fees of dispute moves.
	Network,
	/// The fresh verifiers of the recheck round, together.
	Rechecker,
	/// The drawn verifier at this position.
	Verifier(usize),
	/// The whistleblower at this position.
	Whistleblower(usize),
}

/// Accounts before the verifiers in a ledger's slots.
const FIXED: usize = 6;

/// Money moved and compute spent in one task. Money only moves between accounts, so the
/// balances always sum to zero; compute is spent outside the ledger.
#[derive(Clone, Debug)]
pub struct Ledger {
	verifiers: usize,
	balance: Vec<f64>,
	compute: Vec<f64>,
	value: f64,
}

impl Ledger {
	/// An empty ledger for a task with `verifiers` verifiers and `whistleblowers` whistleblowers.
	pub fn new(verifiers: usize, whistleblowers: usize) -> Ledger {
		let slots = FIXED + verifiers + whistleblowers;
		Ledger { verifiers, balance: vec![0.0; slots], compute: vec![0.0; slots], value: 0.0 }
	}

	fn slot(&self, account: Account) -> usize {
		match account {
			Account::Solver => 0,
			Account::Submitter => 1,
			Account::Arbiters => 2,
			Account::Pot => 3,
			Account::Network => 4,
			Account::Rechecker => 5,
			Account::Verifier(i) => FIXED + i,
			Account::Whistleblower(j) => FIXED + self.verifiers + j,
		}
	}

	/// Every account of the task, in slot order.
	pub fn accounts(&self) -> impl Iterator<Item = Account> + '_ {
		let fixed = [
			Account::Solver,
			Account::Submitter,
			Account::Arbiters,
			Account::Pot,
			Account::Network,
			Account::Rechecker,
		];
		let whistleblowers = self.balance.len() - FIXED - self.verifiers;
		fixed
			.into_iter()
			.chain((0..self.verifiers).map(Account::Verifier))
			.chain((0..whistleblowers).map(Account::Whistleblower))
	}

	/// Moves `amount` from `from` to `to`.
	pub fn transfer(&mut self, from: Account, to: Account, amount: f64) {
		let (from, to) = (self.slot(from), self.slot(to));
		self.balance[from] -= amount;
		self.balance[to] += amount;
	}

	/// Records `amount` of compute spent by `who`.
	pub fn spend(&mut self, who: Account, amount: f64) {
		let slot = self.slot(who);
		self.compute[slot] += amount;
	}

	/// Net money `who` received.
	pub fn balance(&self, who: Account) -> f64 {
		self.balance[self.slot(who)]
	}

	/// Compute `who` spent.
	pub fn compute(&self, who: Account) -> f64 {
		self.compute[self.slot(who)]
	}

	/// What `who` made: money received, less compute spent, plus (for the submitter) the value
	/// of the model it received.
	pub fn profit(&self, who: Account) -> f64 {
		let value = if who == Account::Submitter { self.value } else { 0.0 };
		self.balance(who) - self.compute(who) + value
	}

	/// Sum of all balances: zero up to rounding, since money only moves.
	pub fn imbalance(&self) -> f64 {
		self.balance.iter().sum()
	}
}

/// What one task came to.
#[derive(Clone, Debug)]
pub struct Task {
	/// Every account's money and compute.
	pub ledger: Ledger,
	/// Whether the result was rejected.
	pub rejected: bool,
	/// Whether the scenario's deviation was caught: a cheating run rejected, a deviant verifier
	/// slashed or unpaid, a deviant whistleblower's bond lost.
	pub caught: bool,
	/// Rounds of the task's longest dispute game (0 without disputes).
	pub longest_dispute: u32,
	/// Checks that honest whistleblowers re-executed.
	pub watched_checks: u32,
	/// Challenges whistleblower 0 made without computing.
	pub blind_challenges: u32,
}

/// A verifier's verdict on one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
	Agree,
	Disagree,
	Unavailable,
}

/// One revealed value: a verifier's verdict on a target and, for a segment, its witness.
#[derive(Clone, Copy, Debug)]
struct Check {
	verifier: usize,
	/// The segment replayed, or `None` for an endpoint target.
	segment: Option<usize>,
	verdict: Verdict,
	witness_right: bool,
	/// The wrong witness is the verifier's forced error, and it will show its secret.
	forced: bool,
}

/// What a whistleblower's challenge disputes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
	/// The verifier's verdict on the solver's leaf: the solver defends the leaf.
	Leaf,
	/// The verifier's witness: the verifier defends it.
	Witness,
}

/// Every whistleblower that challenged the same value.
struct Challenge {
	check: usize,
	kind: Kind,
	challengers: Vec<usize>,
	/// Whether any challenger re-executed (and can play the game out).
	computed: bool,
}

/// Labels of each task's independent random streams.
mod stream {
	pub const RUN: u64 = 1;
	pub const DRAW: u64 = 2;
	pub const FORCED: u64 = 3;
	pub const WATCH: u64 = 4;
	pub const BLIND: u64 = 5;
	pub const GAMES: u64 = 6;
}

/// A task in progress.
struct State<'a> {
	policy: &'a Policy,
	scenario: &'a Scenario,
	seed: u64,
	index: u64,
	run: Run,
	assignments: Vec<Assignment>,
	/// Per verifier, the position among its segments of its forced error, if it is due one.
	forced: Vec<Option<usize>>,
	ledger: Ledger,
	games: Rng,
	/// Every revealed value, grouped by verifier.
	checks: Vec<Check>,
	/// Each verifier's values in `checks`.
	own: Vec<Range<usize>>,
	/// Targets left without a standing verdict, for the recheck round (`None`: an endpoint).
	open: Vec<Option<usize>>,
	refuted: Vec<bool>,
	endpoint_refuted: bool,
	/// Parties whose verdict or challenge showed the solver's fault, one entry per value.
	showers: Vec<Account>,
	/// Verifiers that lost their fee: a value of theirs was proven wrong, or they were silent.
	voided: Vec<bool>,
	/// Values a whistleblower proved wrong (their verifier's slash already went to it).
	proven: Vec<bool>,
	/// Verdicts the recheck round confirmed.
	rechecked: usize,
	longest: u32,
	watched_checks: u32,
	blind_challenges: u32,
	/// Whether whistleblower 0 lost a challenge bond.
	lost_bond: bool,
}

impl<'a> State<'a> {
	/// The solver's run and the draw of task `index`.
	fn new(policy: &'a Policy, scenario: &'a Scenario, seed: u64, index: u64) -> State<'a> {
		let stream = |label: u64| Rng::derive(seed, &[index, label]);
		let v = policy.verifiers;
		let whistleblowers = policy.watch.map_or(0, |watch| watch.whistleblowers);
		let mut ledger = Ledger::new(v, whistleblowers);
		let run = scenario.solver.run(policy.segments, &mut stream(stream::RUN));
		ledger.spend(Account::Solver, run.trained * policy.segment_cost());
		let assignments =
			sampling::deal(&mut stream(stream::DRAW), policy.segments, v, policy.per_verifier);
		let mut forced_rng = stream(stream::FORCED);
		let due = policy.watch.map_or(0.0, |watch| watch.forced_error);
		let forced = assignments
			.iter()
			.map(|assignment| {
				// Both draws always happen, so every scenario sees the same forced errors.
				let forced = forced_rng.chance(due);
				let position = forced_rng.index(assignment.segments.len());
				forced.then_some(position)
			})
			.collect();
		State {
			policy,
			scenario,
			seed,
			index,
			refuted: vec![false; run.wrong.len()],
			run,
			assignments,
			forced,
			ledger,
			games: stream(stream::GAMES),
			checks: Vec::new(),
			own: Vec::with_capacity(v),
			open: Vec::new(),
			endpoint_refuted: false,
			showers: Vec::new(),
			voided: vec![false; v],
			proven: Vec::new(),
			rechecked: 0,
			longest: 0,
			watched_checks: 0,
			blind_challenges: 0,
			lost_bond: false,
		}
	}

	/// Whether honest parties can fetch and prove the solver's checkpoints.
	fn checkable(&self) -> bool {
		self.run.serves && self.run.proofs_valid
	}

	/// How the solver defends a leaf that is `wrong` or right.
	fn solver_conduct(&self, wrong: bool) -> Conduct {
		if wrong && self.scenario.solver_quits {
			Conduct::Quits
		} else {
			Conduct::PlaysOut
		}
	}

	/// Whether `account` belongs to the solver's coalition.
	fn colluder(&self, account: Account) -> bool {
		let colluding = |i: usize| self.scenario.verifier_play(i) == VerifierPlay::Colluding;
		match account {
			Account::Solver => (0..self.policy.verifiers).any(colluding),
			Account::Verifier(i) => colluding(i),
			_ => false,
		}
	}

	/// Plays a game of `defender` against `challengers` (who play as one and share its costs)
	/// and charges its moves and arbitration; returns the winner.
	fn dispute(&mut self, defender: Account, challengers: &[Account], dispute: Dispute) -> Side {
		let coalition = if self.colluder(defender) {
			Some(Side::Defender)
		} else if challengers.iter().any(|&c| self.colluder(c)) {
			Some(Side::Challenger)
		} else {
			None
		};
		let dispute = Dispute { coalition, ..dispute };
		let outcome =
			game::play(self.policy, self.scenario.arbiter_collusion, dispute, &mut self.games);
		self.longest = self.longest.max(outcome.rounds);
		let fee = self.policy.move_fee;
		self.ledger
			.transfer(defender, Account::Network, f64::from(outcome.defender_moves) * fee);
		let each = f64::from(outcome.challenger_moves) * fee / challengers.len() as f64;
		for &challenger in challengers {
			self.ledger.transfer(challenger, Account::Network, each);
		}
		if outcome.arbitrated {
			let step = self.policy.segment_cost() / f64::from(self.policy.steps_per_segment);
			let cost = self.policy.arbiters as f64 * step;
			self.ledger.spend(Account::Arbiters, cost);
			let losers: &[Account] = match outcome.winner {
				Side::Challenger => &[defender],
				Side::Defender => challengers,
			};
			for &loser in losers {
				self.ledger.transfer(loser, Account::Arbiters, cost / losers.len() as f64);
			}
		}
		outcome.winner
	}

	/// Splits `amount` from `from` equally among `to`.
	fn split(&mut self, from: Account, to: &[Account], amount: f64) {
		for &receiver in to {
			self.ledger.transfer(from, receiver, amount / to.len() as f64);
		}
	}

	/// The reveals: each verifier's verdicts and witnesses, as its play makes them.
	fn reveal(&mut self) {
		let cost = self.policy.segment_cost();
		let checkable = self.checkable();
		for (i, assignment) in self.assignments.iter().enumerate() {
			let play = self.scenario.verifier_play(i);
			let start = self.checks.len();
			if play == VerifierPlay::Silent {
				self.ledger.transfer(
					Account::Verifier(i),
					Account::Pot,
					self.policy.verifier_slash,
				);
				self.voided[i] = true;
				self.own.push(start..start);
				self.open.extend(assignment.segments.iter().map(|&s| Some(s as usize)));
				if assignment.endpoints {
					self.open.extend([None, None]);
				}
				continue;
			}
			// A colluder is served privately; nobody can make a forged proof verify.
			let sees_data =
				self.run.proofs_valid && (self.run.serves || play == VerifierPlay::Colluding);
			if play.computes() && checkable {
				let replays = assignment.segments.len() as f64;
				self.ledger.spend(Account::Verifier(i), replays * cost);
			}
			for (position, &segment) in assignment.segments.iter().enumerate() {
				let wrong = self.run.wrong[segment as usize];
				let forced_here = self.forced[i] == Some(position);
				let verdict = match (sees_data, play.computes()) {
					(false, _) => Verdict::Unavailable,
					(true, true) if wrong => Verdict::Disagree,
					_ => Verdict::Agree,
				};
				let witness_right = verdict == Verdict::Unavailable
					|| match play {
						VerifierPlay::Colluding => !wrong && !forced_here,
						play if play.computes() => !forced_here,
						_ => false,
					};
				self.checks.push(Check {
					verifier: i,
					segment: Some(segment as usize),
					verdict,
					witness_right,
					forced: forced_here
						&& verdict != Verdict::Unavailable
						&& play != VerifierPlay::AlwaysAgree,
				});
			}
			if assignment.endpoints {
				let verdict = if sees_data { Verdict::Agree } else { Verdict::Unavailable };
				let endpoint = Check {
					verifier: i,
					segment: None,
					verdict,
					witness_right: true,
					forced: false,
				};
				self.checks.extend([endpoint, endpoint]);
			}
			self.own.push(start..self.checks.len());
		}
		self.proven = vec![false; self.checks.len()];
	}

	/// The disputes and availability challenges the verdicts open.
	fn decide(&mut self) {
		for index in 0..self.checks.len() {
			let check = self.checks[index];
			let verifier = Account::Verifier(check.verifier);
			match (check.verdict, check.segment) {
				(Verdict::Disagree, Some(segment)) => {
					let wrong = self.run.wrong[segment];
					let challenger = if self.scenario.verifier_play(check.verifier)
						== VerifierPlay::AbandonsDisputes
					{
						Conduct::Quits
					} else {
						Conduct::PlaysOut
					};
					let dispute = Dispute {
						challenger_right: wrong,
						defender: self.solver_conduct(wrong),
						challenger,
						coalition: None,
					};
					if self.dispute(Account::Solver, &[verifier], dispute) == Side::Challenger {
						self.refuted[segment] = true;
						self.showers.push(verifier);
					} else {
						// A lost challenge is a wrong verdict: slashed to the wronged solver. The
						// target is decided again, as if its verifier had been silent.
						self.ledger.transfer(verifier, Account::Solver, self.policy.verifier_slash);
						self.voided[check.verifier] = true;
						self.open.push(Some(segment));
					}
				},
				(Verdict::Unavailable, segment) => {
					// The solver cannot post a leaf it does not serve or cannot prove: it loses.
					match segment {
						Some(segment) => self.refuted[segment] = true,
						None => self.endpoint_refuted = true,
					}
					self.showers.push(verifier);
				},
				_ => {},
			}
		}
	}

	/// The recheck round: a fresh honest verifier checks every open target.
	fn recheck(&mut self) {
		for target in std::mem::take(&mut self.open) {
			if !self.checkable() {
				match target {
					Some(segment) => self.refuted[segment] = true,
					None => self.endpoint_refuted = true,
				}
				self.showers.push(Account::Rechecker);
				continue;
			}
			let Some(segment) = target else {
				self.rechecked += 1;
				continue;
			};
			self.ledger.spend(Account::Rechecker, self.policy.segment_cost());
			if !self.run.wrong[segment] {
				self.rechecked += 1;
				continue;
			}
			let dispute = Dispute {
				challenger_right: true,
				defender: self.solver_conduct(true),
				challenger: Conduct::PlaysOut,
				coalition: None,
			};
			if self.dispute(Account::Solver, &[Account::Rechecker], dispute) == Side::Challenger {
				self.refuted[segment] = true;
				self.showers.push(Account::Rechecker);
			} else {
				self.ledger.transfer(
					Account::Rechecker,
					Account::Solver,
					self.policy.verifier_slash,
				);
			}
		}
	}

	/// The challenges whistleblowers make in the challenge window, grouped by value.
	fn watch(&mut self, watch: &Watch) -> Vec<Challenge> {
		let cost = self.policy.segment_cost();
		let mut watch_rng = Rng::derive(self.seed, &[self.index, stream::WATCH]);
		let mut blind_rng = Rng::derive(self.seed, &[self.index, stream::BLIND]);
		let mut challenges: Vec<Challenge> = Vec::new();
		let mut challenge = |check: usize, kind: Kind, j: usize, computed: bool| match challenges
			.iter_mut()
			.find(|c| c.check == check && c.kind == kind)
		{
			Some(existing) => {
				existing.challengers.push(j);
				existing.computed |= computed;
			},
			None => challenges.push(Challenge { check, kind, challengers: vec![j], computed }),
		};
		for j in 0..watch.whistleblowers {
			let play = if j == 0 { self.scenario.whistleblower } else { WhistleblowerPlay::Honest };
			for (i, range) in self.own.iter().enumerate() {
				// Both draws always happen, so every scenario sees the same watchers.
				let watches = watch_rng.chance(watch.probability);
				let pick = blind_rng.unit();
				let checks = &self.checks;
				let find =
					|test: &dyn Fn(&Check) -> bool| range.clone().find(|&c| test(&checks[c]));
				match play {
					WhistleblowerPlay::Honest
						if watches && self.checkable() && !range.is_empty() =>
					{
						let replays = self.assignments[i].segments.len() as f64;
						self.ledger.spend(Account::Whistleblower(j), replays * cost);
						self.watched_checks += 1;
						if let Some(forced) = find(&|c| c.forced) {
							challenge(forced, Kind::Witness, j, true);
						}
						// One real error suffices: a wrong leaf verdict first, else a witness.
						let wrong = &self.run.wrong;
						let leaf = find(&|c| {
							c.verdict == Verdict::Agree && c.segment.is_some_and(|s| wrong[s])
						});
						let real = leaf.map(|c| (c, Kind::Leaf)).or_else(|| {
							find(&|c| !c.witness_right && !c.forced).map(|c| (c, Kind::Witness))
						});
						if let Some((check, kind)) = real {
							challenge(check, kind, j, true);
						}
					},
					WhistleblowerPlay::Blind if watches => {
						let witnesses: Vec<usize> = range
							.clone()
							.filter(|&c| {
								checks[c].segment.is_some()
									&& checks[c].verdict != Verdict::Unavailable
							})
							.collect();
						if !witnesses.is_empty() {
							let check = witnesses[(pick * witnesses.len() as f64) as usize];
							challenge(check, Kind::Witness, j, false);
							self.blind_challenges += 1;
						}
					},
					WhistleblowerPlay::Tipped
						if self.scenario.verifier_play(i) == VerifierPlay::TipsOff =>
					{
						if let Some(forced) = find(&|c| c.forced) {
							challenge(forced, Kind::Witness, j, false);
						}
					},
					_ => {},
				}
			}
		}
		challenges
	}

	/// Settles the whistleblowers' challenges: jackpots for forced errors, games for the rest.
	fn resolve(&mut self, watch: &Watch, challenges: Vec<Challenge>) {
		for challenge in challenges {
			let check = self.checks[challenge.check];
			let verifier = Account::Verifier(check.verifier);
			let challengers: Vec<Account> =
				challenge.challengers.iter().map(|&j| Account::Whistleblower(j)).collect();
			let conduct = if challenge.computed { Conduct::PlaysOut } else { Conduct::Silent };
			let winner = match (challenge.kind, check.segment) {
				(Kind::Witness, _) if check.forced => {
					// The verifier shows its secret: a forced error, paid from the pot.
					self.split(Account::Pot, &challengers, watch.jackpot);
					continue;
				},
				(Kind::Witness, _) => {
					let play = self.scenario.verifier_play(check.verifier);
					let defends = play.computes() || play == VerifierPlay::Colluding;
					let dispute = Dispute {
						challenger_right: !check.witness_right,
						defender: if defends { Conduct::PlaysOut } else { Conduct::Silent },
						challenger: conduct,
						coalition: None,
					};
					self.dispute(verifier, &challengers, dispute)
				},
				(Kind::Leaf, Some(segment)) => {
					let wrong = self.run.wrong[segment];
					if wrong && self.refuted[segment] {
						// Already refuted by a verifier's dispute: nothing left to play.
						Side::Challenger
					} else {
						let dispute = Dispute {
							challenger_right: wrong,
							defender: self.solver_conduct(wrong),
							challenger: conduct,
							coalition: None,
						};
						let winner = self.dispute(Account::Solver, &challengers, dispute);
						if winner == Side::Challenger {
							self.refuted[segment] = true;
							self.showers.extend(&challengers);
						}
						winner
					}
				},
				(Kind::Leaf, None) => continue,
			};
			match winner {
				Side::Challenger => {
					self.split(verifier, &challengers, self.policy.verifier_slash);
					self.voided[check.verifier] = true;
					self.proven[challenge.check] = true;
				},
				Side::Defender => {
					// A wrong challenge: its bond goes to the party that had to defend.
					let defender =
						if challenge.kind == Kind::Leaf { Account::Solver } else { verifier };
					for &challenger in &challengers {
						self.ledger.transfer(challenger, defender, watch.challenge_bond);
					}
					self.lost_bond |= challenge.challengers.contains(&0);
				},
			}
		}
	}

	/// Pays out: reward, fees and tax on acceptance; the bond and slashes on rejection.
	fn settle(&mut self) -> bool {
		let policy = self.policy;
		let rejected = self.endpoint_refuted || self.refuted.iter().any(|&r| r);
		let (reward, tax, fees) = (policy.reward, policy.tax(), policy.fee * policy.reward);
		if rejected {
			// The tax is due on a rejected run too, from the bond, so attacks do not drain the pot.
			self.ledger.transfer(Account::Solver, Account::Pot, tax);
			let showers = std::mem::take(&mut self.showers);
			if showers.is_empty() {
				self.ledger.transfer(Account::Solver, Account::Submitter, fees);
			} else {
				self.split(Account::Solver, &showers, fees);
			}
			self.ledger
				.transfer(Account::Solver, Account::Submitter, policy.bond() - tax - fees);
			for index in 0..self.checks.len() {
				let check = self.checks[index];
				let vouched = check.verdict == Verdict::Agree
					&& check.segment.is_some_and(|s| self.refuted[s]);
				if vouched && !self.proven[index] {
					// An Agree on a refuted target wronged the submitter.
					let verifier = Account::Verifier(check.verifier);
					self.ledger.transfer(verifier, Account::Submitter, policy.verifier_slash);
					self.voided[check.verifier] = true;
				}
			}
		} else {
			self.ledger.transfer(Account::Submitter, Account::Solver, reward - fees - tax);
			self.ledger.transfer(Account::Submitter, Account::Pot, tax);
			// Each verdict dealt earns the same share of the fee; unearned shares stay with the
			// submitter, and the recheckers take those of the verdicts they replaced.
			let dealt: usize = self
				.assignments
				.iter()
				.map(|a| a.segments.len() + if a.endpoints { 2 } else { 0 })
				.sum();
			let per_verdict = fees / dealt as f64;
			for (i, range) in self.own.iter().enumerate() {
				if !self.voided[i] {
					let agreed =
						range.clone().filter(|&c| self.checks[c].verdict == Verdict::Agree);
					let earned = per_verdict * agreed.count() as f64;
					self.ledger.transfer(Account::Submitter, Account::Verifier(i), earned);
				}
			}
			let rechecked = per_verdict * self.rechecked as f64;
			self.ledger.transfer(Account::Submitter, Account::Rechecker, rechecked);
			self.ledger.value = if self.run.cheated() { 0.0 } else { policy.model_value };
		}
		rejected
	}
}

/// Simulates task number `index` of `scenario` under `policy`, from `seed`.
pub fn simulate(policy: &Policy, scenario: &Scenario, seed: u64, index: u64) -> Task {
	let mut state = State::new(policy, scenario, seed, index);
	state.reveal();
	state.decide();
	state.recheck();
	if let Some(watch) = &policy.watch {
		let challenges = state.watch(watch);
		state.resolve(watch, challenges);
	}
	let rejected = state.settle();
	let deviant = scenario.deviant;
	let caught = if state.run.cheated() && deviant.solver {
		rejected
	} else if deviant.verifiers > 0 {
		state.voided[..deviant.verifiers].iter().any(|&voided| voided)
	} else {
		deviant.whistleblower && state.lost_bond
	};
	Task {
		ledger: state.ledger,
		rejected,
		caught,
		longest_dispute: state.longest,
		watched_checks: state.watched_checks,
		blind_challenges: state.blind_challenges,
	}
}
