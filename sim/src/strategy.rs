//! The catalogue of strategies: what each role may do instead of following the protocol, and
//! the scenarios that pit them (alone or in pairs) against honest play.

use crate::{policy::Policy, rng::Rng};

/// How the solver produces its run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SolverPlay {
	/// Trains every segment and serves every checkpoint.
	Honest,
	/// Trains only a fraction `trained` of each segment's steps and fakes the rest: every
	/// segment's checkpoint is wrong.
	SkipSteps {
		/// Share of each segment's steps actually trained.
		trained: f64,
	},
	/// Trains honestly but corrupts one segment (never the always-checked last one): saves
	/// nothing, poisons the model.
	Perturb,
	/// Duplicates a checkpoint instead of training `segments` segments (never the last one).
	Copy {
		/// Segments not trained.
		segments: u32,
	},
	/// Interpolates the checkpoints instead of training: every segment wrong, no compute.
	Interpolate,
	/// Trains nothing and serves no checkpoint, hoping the verifiers take the blame.
	Withhold,
	/// Trains nothing and serves leaves whose Merkle proofs do not verify.
	Forge,
}

/// What the solver committed: which segments end in a wrong checkpoint and what it cost.
#[derive(Clone, Debug)]
pub struct Run {
	/// `wrong[j]`: segment `j`'s end checkpoint is not what training from checkpoint `j` gives.
	pub wrong: Vec<bool>,
	/// Segments' worth of training compute the solver spent.
	pub trained: f64,
	/// Whether the solver serves its checkpoints.
	pub serves: bool,
	/// Whether the leaf proofs it serves verify against its root.
	pub proofs_valid: bool,
}

impl Run {
	/// Whether any checkpoint of the run is wrong.
	pub fn cheated(&self) -> bool {
		self.wrong.iter().any(|&wrong| wrong)
	}
}

impl SolverPlay {
	/// The run this play commits for a task of `segments` segments.
	pub fn run(self, segments: u32, rng: &mut Rng) -> Run {
		let total = f64::from(segments);
		let all_wrong = |trained: f64, serves: bool, proofs_valid: bool| Run {
			wrong: vec![true; segments as usize],
			trained,
			serves,
			proofs_valid,
		};
		match self {
			SolverPlay::Honest => Run {
				wrong: vec![false; segments as usize],
				trained: total,
				serves: true,
				proofs_valid: true,
			},
			SolverPlay::SkipSteps { trained } => all_wrong(trained * total, true, true),
			SolverPlay::Perturb => fake_some(segments, 1, total, rng),
			SolverPlay::Copy { segments: copied } => {
				fake_some(segments, copied, total - f64::from(copied), rng)
			},
			SolverPlay::Interpolate => all_wrong(0.0, true, true),
			SolverPlay::Withhold => all_wrong(0.0, false, true),
			SolverPlay::Forge => all_wrong(0.0, true, false),
		}
	}
}

/// A run with `count` wrong segments drawn among all but the last (which the first verifier
/// always replays, so a rational faker leaves it alone).
fn fake_some(segments: u32, count: u32, trained: f64, rng: &mut Rng) -> Run {
	let candidates = segments.saturating_sub(1) as usize;
	let count = (count as usize).min(candidates);
	let mut order: Vec<usize> = (0..candidates).collect();
	let mut wrong = vec![false; segments as usize];
	for i in 0..count {
		order.swap(i, i + rng.index(candidates - i));
		wrong[order[i]] = true;
	}
	Run { wrong, trained, serves: true, proofs_valid: true }
}

/// What a drawn verifier does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifierPlay {
	/// Replays its segments, reveals what it computed, makes its forced errors, plays its
	/// disputes out.
	Honest,
	/// Replays nothing: echoes the solver's leaves and makes up its witnesses (one of which is
	/// excused when it was due a forced error).
	Lazy,
	/// Like [`VerifierPlay::Lazy`], but ignores forced errors altogether, so none of its
	/// made-up witnesses is ever excused.
	AlwaysAgree,
	/// Commits but never reveals.
	Silent,
	/// Colludes with the solver: agrees with every leaf and reveals the witnesses the solver
	/// hands it (wrong ones for faked segments), replaying nothing.
	Colluding,
	/// Verifies honestly but goes silent in the disputes its disagreements open.
	AbandonsDisputes,
	/// Verifies honestly but tells a friendly whistleblower which target carries its forced
	/// error.
	TipsOff,
}

impl VerifierPlay {
	/// Whether this play replays its segments.
	pub fn computes(self) -> bool {
		matches!(
			self,
			VerifierPlay::Honest | VerifierPlay::AbandonsDisputes | VerifierPlay::TipsOff
		)
	}
}

/// What a whistleblower does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhistleblowerPlay {
	/// Re-executes each check with the policy's watch probability and challenges what is wrong.
	Honest,
	/// Never watches.
	Lazy,
	/// Challenges a random witness of a check, with the watch probability, without computing.
	Blind,
	/// Challenges the forced error a verifier told it about, and nothing else.
	Tipped,
}

/// Which accounts make up the deviating party whose profit a scenario measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deviant {
	/// The solver is (part of) the deviating party.
	pub solver: bool,
	/// The first this many drawn verifiers are.
	pub verifiers: usize,
	/// Whistleblower 0 is.
	pub whistleblower: bool,
}

impl Deviant {
	/// Whether anybody deviates.
	pub fn any(self) -> bool {
		self.solver || self.verifiers > 0 || self.whistleblower
	}
}

/// One row of the table: a strategy (or a pair) against everyone else honest.
#[derive(Clone, Debug)]
pub struct Scenario {
	/// Row label.
	pub name: String,
	/// The solver's play.
	pub solver: SolverPlay,
	/// Whether the solver, defending a wrong leaf, goes silent at a random round of the game.
	pub solver_quits: bool,
	/// The play of the first `deviant_verifiers` drawn verifiers; the others are honest.
	pub verifier: VerifierPlay,
	/// How many drawn verifiers follow `verifier`.
	pub deviant_verifiers: usize,
	/// The play of whistleblower 0; the others are honest.
	pub whistleblower: WhistleblowerPlay,
	/// Probability that an arbiter belongs to the solver's coalition (and votes for it).
	pub arbiter_collusion: f64,
	/// Whose profit the row reports as the deviant's.
	pub deviant: Deviant,
	/// Whether the row shows a known limit of the protocol (a deviation that pays), rather than
	/// a strategy the incentives are meant to defeat.
	pub limit: bool,
}

impl Scenario {
	/// Everyone honest: the baseline every row is compared with.
	pub fn honest() -> Scenario {
		Scenario {
			name: "honest".into(),
			solver: SolverPlay::Honest,
			solver_quits: false,
			verifier: VerifierPlay::Honest,
			deviant_verifiers: 0,
			whistleblower: WhistleblowerPlay::Honest,
			arbiter_collusion: 0.0,
			deviant: Deviant { solver: false, verifiers: 0, whistleblower: false },
			limit: false,
		}
	}

	fn solver(name: impl Into<String>, play: SolverPlay) -> Scenario {
		Scenario {
			name: name.into(),
			solver: play,
			deviant: Deviant { solver: true, verifiers: 0, whistleblower: false },
			..Scenario::honest()
		}
	}

	fn verifier(name: impl Into<String>, play: VerifierPlay) -> Scenario {
		Scenario {
			name: name.into(),
			verifier: play,
			deviant_verifiers: 1,
			deviant: Deviant { solver: false, verifiers: 1, whistleblower: false },
			..Scenario::honest()
		}
	}

	fn whistleblower(name: impl Into<String>, play: WhistleblowerPlay) -> Scenario {
		Scenario {
			name: name.into(),
			whistleblower: play,
			deviant: Deviant { solver: false, verifiers: 0, whistleblower: true },
			..Scenario::honest()
		}
	}

	fn colluding(name: impl Into<String>, play: SolverPlay, verifiers: usize) -> Scenario {
		Scenario {
			name: name.into(),
			solver: play,
			verifier: VerifierPlay::Colluding,
			deviant_verifiers: verifiers,
			deviant: Deviant { solver: true, verifiers, whistleblower: false },
			..Scenario::honest()
		}
	}

	/// The play of drawn verifier `position`.
	pub fn verifier_play(&self, position: usize) -> VerifierPlay {
		if position < self.deviant_verifiers {
			self.verifier
		} else {
			VerifierPlay::Honest
		}
	}

	/// Whether the scenario needs whistleblowers to mean anything.
	fn needs_watch(&self) -> bool {
		self.whistleblower != WhistleblowerPlay::Honest
	}
}

/// The rows simulated for `policy`: the baseline, every strategy of the catalogue against honest
/// play, and the pairs (coalitions first, then the limits the incentive layer does not close).
pub fn catalogue(policy: &Policy) -> Vec<Scenario> {
	let v = policy.verifiers;
	let quarter = (policy.segments / 4).max(1);
	let copy_one = SolverPlay::Copy { segments: 1 };
	let copy_quarter = SolverPlay::Copy { segments: quarter };
	let all = if v == 1 { "the verifier".to_string() } else { format!("all {v} verifiers") };
	let rows = vec![
		Scenario::honest(),
		Scenario::solver(
			"solver: skip steps (trains 25%)",
			SolverPlay::SkipSteps { trained: 0.25 },
		),
		Scenario::solver("solver: perturb weights (1 segment)", SolverPlay::Perturb),
		Scenario::solver("solver: copy 1 checkpoint", copy_one),
		Scenario::solver(format!("solver: copy {quarter} checkpoints"), copy_quarter),
		Scenario::solver("solver: interpolate checkpoints", SolverPlay::Interpolate),
		Scenario::solver("solver: withhold data", SolverPlay::Withhold),
		Scenario::solver("solver: forge proofs", SolverPlay::Forge),
		Scenario {
			solver_quits: true,
			..Scenario::solver(
				format!("solver: copy {quarter}, goes silent in disputes"),
				copy_quarter,
			)
		},
		Scenario::verifier("verifier: lazy (echoes leaves)", VerifierPlay::Lazy),
		Scenario::verifier("verifier: always agree", VerifierPlay::AlwaysAgree),
		Scenario::verifier("verifier: silent (never reveals)", VerifierPlay::Silent),
		Scenario::whistleblower("whistleblower: lazy (never watches)", WhistleblowerPlay::Lazy),
		Scenario::whistleblower("whistleblower: blind challenger", WhistleblowerPlay::Blind),
		Scenario {
			solver: copy_quarter,
			..Scenario::verifier(
				format!("pair: lazy verifier, solver copies {quarter}"),
				VerifierPlay::Lazy,
			)
		},
		Scenario {
			solver: copy_quarter,
			..Scenario::verifier(
				format!("pair: verifier quits its disputes, solver copies {quarter}"),
				VerifierPlay::AbandonsDisputes,
			)
		},
		Scenario::colluding("coalition: solver copies 1 + 1 colluding verifier", copy_one, 1),
		Scenario::colluding(
			format!("coalition: solver copies {quarter} + 1 colluding verifier"),
			copy_quarter,
			1,
		),
		Scenario::colluding(
			format!("coalition: solver interpolates + {all} colluding"),
			SolverPlay::Interpolate,
			v,
		),
		Scenario {
			limit: true,
			..Scenario::colluding(
				"limit: honest solver hands 1 verifier its witnesses",
				SolverPlay::Honest,
				1,
			)
		},
		Scenario {
			arbiter_collusion: 2.0 / 3.0,
			limit: true,
			..Scenario::colluding(
				format!("limit: solver interpolates + {all} + 2/3 of arbiters colluding"),
				SolverPlay::Interpolate,
				v,
			)
		},
		Scenario {
			name: "limit: verifier tips a whistleblower off on its forced errors".into(),
			verifier: VerifierPlay::TipsOff,
			deviant_verifiers: 1,
			whistleblower: WhistleblowerPlay::Tipped,
			deviant: Deviant { solver: false, verifiers: 1, whistleblower: true },
			limit: true,
			..Scenario::honest()
		},
	];
	rows.into_iter()
		.filter(|row| policy.watch.is_some() || !row.needs_watch())
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fakers_leave_the_last_segment_alone_and_save_what_they_skip() {
		let mut rng = Rng::new(1);
		for _ in 0..500 {
			let run = SolverPlay::Copy { segments: 25 }.run(100, &mut rng);
			assert_eq!(run.wrong.iter().filter(|&&w| w).count(), 25);
			assert!(!run.wrong[99]);
			assert_eq!(run.trained, 75.0);
			let run = SolverPlay::Perturb.run(100, &mut rng);
			assert_eq!(run.wrong.iter().filter(|&&w| w).count(), 1);
			assert!(!run.wrong[99] && run.trained == 100.0);
		}
		assert!(!SolverPlay::Honest.run(100, &mut rng).cheated());
		assert!(!SolverPlay::Withhold.run(100, &mut rng).serves);
		assert!(!SolverPlay::Forge.run(100, &mut rng).proofs_valid);
	}

	#[test]
	fn without_whistleblowers_the_catalogue_drops_the_rows_about_them() {
		let watched = Policy::presets().remove(0);
		let unwatched = Policy::presets().remove(1);
		assert!(watched.watch.is_some() && unwatched.watch.is_none());
		assert_eq!(catalogue(&watched).len(), catalogue(&unwatched).len() + 3);
		assert!(catalogue(&unwatched)
			.iter()
			.all(|row| row.whistleblower == WhistleblowerPlay::Honest));
	}
}
