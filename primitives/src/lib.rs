//! Types and algorithms that the Cairn runtime and the Cairn worker must agree on.
//!
//! Everything here is `no_std`, SCALE-encoded and bounded, so the same definitions serve the
//! runtime (in wasm) and the off-chain worker (natively, in its own Cargo workspace).

#![cfg_attr(not(feature = "std"), no_std)]

pub mod merkle;
pub mod model;
pub mod provider;
pub mod task;
pub mod verification;

pub use bounded_collections::{BoundedVec, ConstU32};
pub use model::{Activation, Architecture, ArchitectureError, Cnn, Conv, Mlp, Transformer};
pub use provider::{Backend, ComputeClass, HardwareProfile, IsaClass, Role, Roles};
pub use task::{
	DatasetRef, Label, ModelInit, Optimizer, ResultCommitment, SpecError, TaskSpec, TrainingConfig,
	VerificationPolicy,
};
pub use verification::{Computed, Finding, Verdict};

/// A 32-byte content hash (weights, datasets, checkpoints): BLAKE2b-256 unless stated otherwise.
pub type Hash256 = [u8; 32];

/// Identifier of a model in the registry; assigned sequentially from zero.
pub type ModelId = u64;

/// Identifier of a training task; assigned sequentially from zero.
pub type TaskId = u64;
