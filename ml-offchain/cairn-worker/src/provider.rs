//! What every provider role shares: following the chain across reconnections with backoff, and
//! stopping cleanly on SIGINT or SIGTERM.

use std::{future::Future, time::Duration};

use anyhow::anyhow;
use cairn_primitives::{HardwareProfile, Role, Roles};
use subxt_signer::sr25519::Keypair;

use crate::{
	chain::{self, Chain, ModuleError},
	hardware,
	units::format_cairn,
};

/// Reconnection delays: doubling from the first to the last.
const BACKOFF: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(30));

/// Whether something sent at block `sent_at` (if it was) may still show on chain at block `now`,
/// `after` blocks being given for it: until then it is not sent again.
pub fn awaiting(sent_at: Option<u64>, now: u64, after: u64) -> bool {
	sent_at.is_some_and(|since| now <= since.saturating_add(after))
}

/// Why a session with the node ended.
pub enum Ended {
	/// The connection or a read failed: reconnect.
	Retry(anyhow::Error),
	/// Nothing will change by retrying (for example, the account cannot register).
	Fatal(anyhow::Error),
}

impl From<anyhow::Error> for Ended {
	fn from(error: anyhow::Error) -> Self {
		Ended::Retry(error)
	}
}

/// Runs `session` (connect, then follow the chain until something fails; it sets its flag once
/// connected) again and again, waiting between attempts, until a session ends fatally,
/// `background` (a server the role runs) fails, or a termination signal arrives (`Ok`).
pub async fn reconnecting(
	mut session: impl AsyncFnMut(&mut bool) -> Ended,
	background: impl Future<Output = anyhow::Error>,
) -> anyhow::Result<()> {
	tokio::pin!(background);
	let mut delay = BACKOFF.0;
	loop {
		let mut connected = false;
		let ended = tokio::select! {
			ended = session(&mut connected) => ended,
			error = &mut background => return Err(error),
			() = terminated() => return Ok(()),
		};
		match ended {
			Ended::Fatal(error) => return Err(error),
			Ended::Retry(error) => {
				if connected {
					delay = BACKOFF.0;
				}
				tracing::warn!("{error:#}; reconnecting in {delay:?}");
			},
		}
		tokio::select! {
			() = tokio::time::sleep(delay) => {},
			() = terminated() => return Ok(()),
		}
		delay = (delay * 2).min(BACKOFF.1);
	}
}

/// Makes sure the account of `signer` serves `role` with at least the role's minimum bond,
/// registering it with the detected hardware profile and `bond` (default: the minimum) when it is
/// not a provider yet.
pub async fn ensure_registered(
	chain: &Chain,
	signer: &Keypair,
	role: Role,
	bond: Option<u128>,
) -> Result<(), Ended> {
	let me = chain::account_of(signer);
	let name = format!("{role:?}").to_lowercase();
	let params = chain.market_params().await?;
	let min_bond = params.min_bond(role);
	match chain.provider(&me).await? {
		Some(provider) if !provider.roles.contains(role) => Err(Ended::Fatal(anyhow!(
			"{me} is a provider without the {name} role: add it with \
			 ComputeStaking.update_profile"
		))),
		Some(provider) if provider.bonded < min_bond => Err(Ended::Fatal(anyhow!(
			"{me} has bonded {}, below the minimum {name} bond of {}: add to it with \
			 ComputeStaking.bond_more",
			format_cairn(provider.bonded),
			format_cairn(min_bond)
		))),
		Some(provider) => {
			let detected = hardware::detect().map_err(Ended::Fatal)?;
			same_class(&provider.hardware, &detected).map_err(|error| {
				Ended::Fatal(anyhow!(
					"{me}: {error}: update the profile with \
					 ComputeStaking.update_profile or run on matching hardware"
				))
			})?;
			tracing::info!(bond = format_cairn(provider.bonded), "registered as a {name}");
			Ok(())
		},
		None => {
			let hardware = hardware::detect().map_err(Ended::Fatal)?;
			let bond = bond.unwrap_or(min_bond);
			let roles = Roles {
				solver: role == Role::Solver,
				verifier: role == Role::Verifier,
				whistleblower: role == Role::Whistleblower,
			};
			tracing::info!(?hardware, bond = format_cairn(bond), "registering as a {name}");
			chain.register_provider(signer, roles, hardware, bond).await.map_err(|error| {
				match error.downcast_ref::<ModuleError>() {
					Some(_) => Ended::Fatal(error.context(format!("cannot register as a {name}"))),
					None => Ended::Retry(error),
				}
			})?;
			tracing::info!("registered");
			Ok(())
		},
	}
}

/// Resolves on SIGINT or SIGTERM.
async fn terminated() {
	let interrupt = tokio::signal::ctrl_c();
	#[cfg(unix)]
	{
		let mut terminate =
			match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
				Ok(signal) => signal,
				Err(_) => {
					let _ = interrupt.await;
					return;
				},
			};
		tokio::select! {
			_ = interrupt => {},
			_ = terminate.recv() => {},
		}
	}
	#[cfg(not(unix))]
	let _ = interrupt.await;
	tracing::info!("stopping");
}

/// Checks that this machine computes in the compute class the provider registered: verifiers are
/// drawn from that class, and a result computed in another one would not match theirs, at the
/// cost of the provider's bond.
fn same_class(registered: &HardwareProfile, detected: &HardwareProfile) -> anyhow::Result<()> {
	anyhow::ensure!(
		registered.class() == detected.class(),
		"registered on {:?} hardware with training arithmetic {}, but this machine is {:?} with \
		 arithmetic {}",
		registered.isa,
		registered.arithmetic,
		detected.isa,
		detected.arithmetic
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use cairn_primitives::{Backend, IsaClass};

	use super::*;

	fn profile(isa: IsaClass, arithmetic: u32, memory_gib: u32) -> HardwareProfile {
		HardwareProfile { isa, arithmetic, backend: Backend::FlexCpu, memory_gib, gpu: None }
	}

	#[test]
	fn a_machine_of_another_compute_class_is_refused() {
		let registered = profile(IsaClass::X86_64V3, 1, 16);
		// Memory is not part of the class.
		assert!(same_class(&registered, &profile(IsaClass::X86_64V3, 1, 64)).is_ok());
		let error = same_class(&registered, &profile(IsaClass::X86_64Sse, 1, 16)).unwrap_err();
		assert!(error.to_string().contains("registered on X86_64V3"), "{error}");
		assert!(same_class(&registered, &profile(IsaClass::X86_64V3, 2, 16)).is_err());
	}
}
