//! Test-only dishonest verifiers (feature `dishonest`), so that end-to-end tests can show
//! whistleblowers catching them: a lazy one computes nothing, echoes the solver's leaves and
//! committed final weights and makes up its witnesses (and so cannot defend them); a bribed one
//! replays honestly (its witnesses are right) but vouches for the solver's values whatever it
//! computed.

use cairn_primitives::{merkle::blake2_256, verification::Siblings, Computed, Finding};
use cairn_train::Job;
use clap::ValueEnum;
use subxt::ext::codec::Encode;

use super::replay::{witness_of, ServedRun};

/// How a dishonest verifier cheats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Dishonesty {
	/// Echoes the solver's values and makes up its witnesses.
	Lazy,
	/// Replays, but agrees with the solver's values whatever it computed.
	Bribed,
}

impl Dishonesty {
	/// `findings` (what honest re-execution gave, or nothing for a lazy verifier) rewritten the
	/// dishonest way.
	pub async fn findings(
		self,
		served: &ServedRun<'_>,
		job: Job<'_>,
		targets: &[u32],
		honest: Option<Vec<Finding>>,
	) -> Vec<Finding> {
		let count = served.commitment.checkpoint_count;
		let mut findings = Vec::with_capacity(targets.len());
		for (position, &target) in targets.iter().enumerate() {
			let replayed = honest.as_ref().and_then(|honest| honest.get(position));
			if target >= count {
				let hash = served.commitment.final_weights_hash;
				findings.push(Finding { computed: Computed::Hash(hash), leaf: None });
				continue;
			}
			let Some((leaf, siblings)) = served.leaf(target).await else {
				findings.push(Finding { computed: Computed::Unavailable, leaf: None });
				continue;
			};
			let witness = match (self, replayed.and_then(|finding| finding.computed.witness())) {
				(Dishonesty::Bribed, Some(witness)) => Some(witness),
				_ => witness_of(job, count, target)
					.map(|step| blake2_256(&(b"made up", served.task_id, step).encode())),
			};
			let computed = match witness {
				Some(witness) => Computed::Witnessed { hash: leaf, witness },
				None => Computed::Hash(leaf),
			};
			tracing::warn!(task = served.task_id, target, cheat = ?self, "vouching for the solver's leaf");
			let leaf = Some((leaf, Siblings::truncate_from(siblings)));
			findings.push(Finding { computed, leaf });
		}
		findings
	}
}
