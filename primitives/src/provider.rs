//! Compute providers: the roles they serve and the hardware they declare.

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Longest GPU model name in a [`HardwareProfile`].
pub const MAX_GPU_NAME_LEN: u32 = 64;

/// A protocol role a provider can serve.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Role {
	/// Trains tasks.
	Solver,
	/// Re-executes sampled segments of a solver's training.
	Verifier,
	/// Re-checks verifiers' verdicts.
	Whistleblower,
}

/// The set of roles a provider serves.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Roles {
	/// Trains tasks.
	pub solver: bool,
	/// Re-executes sampled segments of other solvers' training.
	pub verifier: bool,
	/// Re-checks verifiers' verdicts.
	pub whistleblower: bool,
}

impl Roles {
	/// Whether `role` is among these roles.
	pub fn contains(&self, role: Role) -> bool {
		match role {
			Role::Solver => self.solver,
			Role::Verifier => self.verifier,
			Role::Whistleblower => self.whistleblower,
		}
	}

	/// Whether no role is set.
	pub fn is_empty(&self) -> bool {
		!(self.solver || self.verifier || self.whistleblower)
	}

	/// The roles that are set.
	pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
		[Role::Solver, Role::Verifier, Role::Whistleblower]
			.into_iter()
			.filter(move |role| self.contains(*role))
	}
}

/// CPU instruction-set class. Training on the CPU backend is bit-exact within a class, so a
/// task's verifiers share the solver's class.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum IsaClass {
	/// x86-64 with AVX2 and FMA (x86-64-v3 and above).
	X86_64V3,
	/// x86-64 without FMA (SSE only).
	X86_64Sse,
	/// 64-bit Arm with NEON.
	Aarch64,
}

/// The numeric backend a provider trains with.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Backend {
	/// burn's CPU backend.
	FlexCpu,
	/// A GPU through wgpu.
	Wgpu,
	/// A GPU through CUDA.
	Cuda,
}

/// What decides whether two providers compute the same bits for a task: the instruction-set
/// class of their CPUs and the version of the training arithmetic their worker build implements.
/// A task's verifiers are drawn from the solver's class only.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct ComputeClass {
	/// CPU instruction-set class.
	pub isa: IsaClass,
	/// Version of the training arithmetic (the worker's `cairn_train::ARITHMETIC_VERSION`).
	pub arithmetic: u32,
}

/// Hardware a provider declares when it registers.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct HardwareProfile {
	/// CPU instruction-set class, which decides bit-exact reproducibility.
	pub isa: IsaClass,
	/// Version of the training arithmetic the provider's worker build implements: the same spec
	/// gives the same checkpoints only within one version (and one ISA class).
	pub arithmetic: u32,
	/// Training backend.
	pub backend: Backend,
	/// Memory available for training, in GiB.
	pub memory_gib: u32,
	/// GPU model, if any.
	pub gpu: Option<BoundedVec<u8, ConstU32<MAX_GPU_NAME_LEN>>>,
}

impl HardwareProfile {
	/// The class of providers that compute the same bits as this one.
	pub fn class(&self) -> ComputeClass {
		ComputeClass { isa: self.isa, arithmetic: self.arithmetic }
	}
}
