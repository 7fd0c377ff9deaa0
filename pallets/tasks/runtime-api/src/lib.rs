//! Runtime API of Cairn's training tasks, for verifiers and clients that check what a solver
//! serves against what it committed on chain.

#![cfg_attr(not(feature = "std"), no_std)]

use cairn_primitives::{merkle::CheckpointProof, TaskId};

sp_api::decl_runtime_apis! {
	/// Queries of training tasks.
	pub trait TasksApi {
		/// Whether `proof` shows a checkpoint of the run that task `task_id`'s solver committed
		/// to: the task awaits verification, the proof covers the committed number of
		/// checkpoints, and its leaf is under the committed Merkle root.
		fn checkpoint_is_committed(task_id: TaskId, proof: CheckpointProof) -> bool;
	}
}
