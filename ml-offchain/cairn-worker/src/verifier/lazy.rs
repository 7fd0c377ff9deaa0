//! A test-only lazy verifier (feature `dishonest`): it computes nothing, echoes the solver's
//! leaves and committed final weights as its findings and makes up its witnesses, so that
//! end-to-end tests can show a whistleblower catching it.

use cairn_primitives::{
	merkle::blake2_256,
	verification::{witness_step_of, Siblings},
	Computed, Finding, TaskSpec,
};

use subxt::ext::codec::Encode;

use super::replay::ServedRun;

/// What a lazy verifier reveals for `targets`: the solver's values, witnesses made up.
pub async fn findings(served: &ServedRun<'_>, spec: &TaskSpec, targets: &[u32]) -> Vec<Finding> {
	let count = served.commitment.checkpoint_count;
	let mut findings = Vec::with_capacity(targets.len());
	for &target in targets {
		if target >= count {
			let hash = served.commitment.final_weights_hash;
			findings.push(Finding { computed: Computed::Hash(hash), leaf: None });
			continue;
		}
		let Some((leaf, siblings)) = served.leaf(target).await else {
			findings.push(Finding { computed: Computed::Unavailable, leaf: None });
			continue;
		};
		let computed = match witness_step_of(spec, count, target) {
			Some(step) => Computed::Witnessed {
				hash: leaf,
				witness: blake2_256(&(b"made up", served.task_id, step).encode()),
			},
			None => Computed::Hash(leaf),
		};
		tracing::warn!(task = served.task_id, target, "echoing the solver's leaf");
		let leaf = Some((leaf, Siblings::truncate_from(siblings)));
		findings.push(Finding { computed, leaf });
	}
	findings
}
