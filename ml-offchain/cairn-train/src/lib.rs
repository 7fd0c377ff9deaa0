//! Deterministic, replayable training for Cairn.
//!
//! A solver trains a [`TaskSpec`](cairn_primitives::TaskSpec) with [`train`], which hands out a
//! [`Checkpoint`] at step 0 and after every `checkpoint_interval` steps. Checkpoint hashes are
//! BLAKE2b-256 over a canonical encoding (see [`encoding`]), so the Merkle root over them
//! (`cairn_primitives::merkle::checkpoint_root`) is what the solver commits. A verifier fetches
//! checkpoint `i` from the solver's [`store`] over HTTP ([`client`], every download checked
//! against its hash), runs [`replay_segment`] and compares the result with leaf `i + 1`. When two
//! parties disagree on a segment, a dispute bisects over its steps with [`state_at_step`], then
//! over the positions of the one disputed step's [`trace`]. A task that continues a registered
//! model trains a [`Job`] with its [`Parent`]; trained [`weights`] go out and come in as
//! safetensors, with the same hash as their canonical encoding.
//!
//! Everything that decides the bits of a checkpoint is fixed here: initial weights and data
//! order come from [`SplitMix64`](rng::SplitMix64) streams, the optimizers are written out on
//! tensors with their state in the checkpoint, and training runs on burn's `flex` CPU backend,
//! which is bit-exact across runs and processes within one CPU ISA class (see
//! `shared/research/measured-here.md`) and across thread counts: large matrix products run on
//! every core (burn's `rayon` feature: gemm splits the output into tiles, each dot product keeps
//! its order), and `tests/processes.rs` shows one thread and two computing the same bits.
//! Convolutions and their gradients split the same way (by sample, output tile and channel
//! plane; max-pooling by plane), as `tests/cnn.rs` shows for a CNN, and a transformer's
//! attention products, softmax and layer norm rows split by head and row, its embedding's
//! gradient adding token rows in batch order (`tests/processes.rs`). How many threads a run gets
//! is a speed choice ([`kernel_threads`]).

#![warn(missing_docs)]

/// Version of the training arithmetic this build implements. Providers declare it in their
/// hardware profile and verifiers are drawn from the solver's version only, so that no honest
/// provider is judged by a machine that computes other bits. Bump it whenever a change (of this
/// crate, burn, or any kernel) changes a checkpoint hash: `tests/golden.rs` fails until then.
pub const ARITHMETIC_VERSION: u32 = 1;

pub mod alloc;
pub mod batches;
pub mod checkpoint;
pub mod client;
pub mod dataset;
pub mod encoding;
mod model;
mod optim;
pub mod rng;
pub mod server;
pub mod store;
pub mod trace;
mod trainer;
pub mod weights;

pub use checkpoint::Checkpoint;
pub use client::{ArtifactClient, FetchError};
pub use dataset::{
	dataset_ref,
	synthetic::Synthetic,
	text::{windows, SyntheticText},
	Dataset, DatasetError,
};
pub use encoding::MalformedCheckpoint;
pub use store::{ArtifactStore, StoreError};
pub use trace::{step_trace, trace_value};
pub use trainer::{
	evaluate, kernel_threads, on_kernel_threads, replay_segment, state_at_step, train, Accuracy,
	Job, Parent, TrainError, Trainer,
};
pub use weights::{Weights, WeightsError};
