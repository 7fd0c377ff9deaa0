//! The dispute game: bisection over the disputed segment's steps, then over one step's trace,
//! then a committee that re-executes the one operation left.

use crate::{
	policy::{ceil_log2, Policy},
	rng::Rng,
};

/// How a party plays a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduct {
	/// Answers every round.
	PlaysOut,
	/// Cannot answer at all (it computed nothing to bisect): misses its first move.
	Silent,
	/// Stops answering at a uniformly random round of the bisection.
	Quits,
}

/// Which side of a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
	/// The author of the disputed value, who posts the midpoints.
	Defender,
	/// The party that disputes it, who answers them.
	Challenger,
}

/// A dispute about to be played.
#[derive(Clone, Copy, Debug)]
pub struct Dispute {
	/// Whether the challenger is right (the disputed value is wrong).
	pub challenger_right: bool,
	/// The defender's conduct.
	pub defender: Conduct,
	/// The challenger's conduct.
	pub challenger: Conduct,
	/// The side of the solver's coalition, which colluding arbiters vote for, if it plays.
	pub coalition: Option<Side>,
}

/// How a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
	/// Who won.
	pub winner: Side,
	/// Rounds played, arbitration included.
	pub rounds: u32,
	/// Moves the defender made (each paid the move fee).
	pub defender_moves: u32,
	/// Moves the challenger made.
	pub challenger_moves: u32,
	/// Whether the committee re-executed the final step (its compute is paid by the loser).
	pub arbitrated: bool,
}

/// The round at which a party of `conduct` misses its move, if it does.
fn misses(conduct: Conduct, rounds: u32, rng: &mut Rng) -> Option<u32> {
	match conduct {
		Conduct::PlaysOut => None,
		Conduct::Silent => Some(1),
		Conduct::Quits => Some(1 + rng.below(u64::from(rounds)) as u32),
	}
}

/// Plays `dispute` under `policy`, with each arbiter in the solver's coalition with probability
/// `arbiter_collusion`.
///
/// Each round the defender posts its value at the midpoint, then the challenger agrees or not;
/// a missed move loses at once. A game both sides play out ends with the arbiters, who each
/// vote for the side that is right unless they collude; the majority wins.
pub fn play(policy: &Policy, arbiter_collusion: f64, dispute: Dispute, rng: &mut Rng) -> Outcome {
	let rounds = ceil_log2(policy.steps_per_segment) + ceil_log2(policy.ops_per_step);
	let defender_misses = misses(dispute.defender, rounds, rng);
	let challenger_misses = misses(dispute.challenger, rounds, rng);
	match (defender_misses, challenger_misses) {
		// The defender moves first in a round, so it misses first when both stop together.
		(Some(d), c) if c.is_none_or(|c| d <= c) => Outcome {
			winner: Side::Challenger,
			rounds: d,
			defender_moves: d - 1,
			challenger_moves: d - 1,
			arbitrated: false,
		},
		(_, Some(c)) => Outcome {
			winner: Side::Defender,
			rounds: c,
			defender_moves: c,
			challenger_moves: c - 1,
			arbitrated: false,
		},
		(_, None) => {
			let right = if dispute.challenger_right { Side::Challenger } else { Side::Defender };
			let for_challenger = (0..policy.arbiters)
				.filter(|_| match dispute.coalition {
					Some(side) if rng.chance(arbiter_collusion) => side == Side::Challenger,
					_ => right == Side::Challenger,
				})
				.count();
			Outcome {
				winner: if 2 * for_challenger > policy.arbiters {
					Side::Challenger
				} else {
					Side::Defender
				},
				rounds: rounds + 1,
				defender_moves: rounds,
				challenger_moves: rounds,
				arbitrated: true,
			}
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn dispute(challenger_right: bool, defender: Conduct, challenger: Conduct) -> Dispute {
		Dispute { challenger_right, defender, challenger, coalition: None }
	}

	#[test]
	fn the_right_side_wins_a_game_played_out_before_an_honest_committee() {
		let policy = Policy::new("p", 2, 4);
		let mut rng = Rng::new(5);
		for right in [true, false] {
			let outcome =
				play(&policy, 0.0, dispute(right, Conduct::PlaysOut, Conduct::PlaysOut), &mut rng);
			let expected = if right { Side::Challenger } else { Side::Defender };
			assert_eq!(outcome.winner, expected);
			assert!(outcome.arbitrated);
			assert_eq!(outcome.rounds, policy.longest_game());
		}
	}

	#[test]
	fn a_party_that_stops_answering_loses_within_the_bound() {
		let policy = Policy::new("p", 2, 4);
		let mut rng = Rng::new(6);
		for _ in 0..1000 {
			let outcome =
				play(&policy, 0.0, dispute(false, Conduct::Quits, Conduct::PlaysOut), &mut rng);
			assert_eq!(
				outcome.winner,
				Side::Challenger,
				"the right defender still loses by timeout"
			);
			assert!(outcome.rounds < policy.longest_game() && !outcome.arbitrated);
			let outcome =
				play(&policy, 0.0, dispute(true, Conduct::PlaysOut, Conduct::Quits), &mut rng);
			assert_eq!(outcome.winner, Side::Defender);
			assert!(outcome.rounds < policy.longest_game());
		}
		// Neither computed anything: the defender cannot post the first midpoint.
		let outcome = play(&policy, 0.0, dispute(true, Conduct::Silent, Conduct::Silent), &mut rng);
		assert_eq!((outcome.winner, outcome.rounds), (Side::Challenger, 1));
	}

	#[test]
	fn a_colluding_committee_majority_decides_for_the_coalition() {
		let policy = Policy::new("p", 2, 4);
		let mut rng = Rng::new(7);
		let rigged = Dispute {
			coalition: Some(Side::Defender),
			..dispute(true, Conduct::PlaysOut, Conduct::PlaysOut)
		};
		assert_eq!(play(&policy, 1.0, rigged, &mut rng).winner, Side::Defender);
		assert_eq!(play(&policy, 0.0, rigged, &mut rng).winner, Side::Challenger);
	}
}
