//! The hardware profile a provider declares when it registers. Training on the CPU backend is
//! bit-exact only within one instruction-set class (DESIGN.md section 4), so the class is
//! detected, never configured: x86-64 with AVX2 and FMA, x86-64 without, or aarch64.

use anyhow::bail;
use cairn_primitives::{Backend, HardwareProfile, IsaClass};

/// This machine's profile: its ISA class, burn's CPU backend and its memory.
pub fn detect() -> anyhow::Result<HardwareProfile> {
	Ok(HardwareProfile {
		isa: isa_class()?,
		arithmetic: cairn_train::ARITHMETIC_VERSION,
		backend: Backend::FlexCpu,
		memory_gib: memory_gib(),
		gpu: None,
	})
}

/// The instruction-set class of the CPU this process runs on.
#[cfg(target_arch = "x86_64")]
fn isa_class() -> anyhow::Result<IsaClass> {
	if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
		Ok(IsaClass::X86_64V3)
	} else {
		Ok(IsaClass::X86_64Sse)
	}
}

/// The instruction-set class of the CPU this process runs on.
#[cfg(target_arch = "aarch64")]
fn isa_class() -> anyhow::Result<IsaClass> {
	Ok(IsaClass::Aarch64)
}

/// The instruction-set class of the CPU this process runs on.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn isa_class() -> anyhow::Result<IsaClass> {
	bail!(
		"{} CPUs belong to no ISA class the chain knows (x86-64 or aarch64)",
		std::env::consts::ARCH
	)
}

/// Total memory in whole GiB from `/proc/meminfo`; 0, with a warning, where it cannot be read.
fn memory_gib() -> u32 {
	match std::fs::read_to_string("/proc/meminfo")
		.map_err(anyhow::Error::from)
		.and_then(|text| mem_total_gib(&text))
	{
		Ok(gib) => gib,
		Err(error) => {
			tracing::warn!("cannot read the memory size ({error}); declaring 0 GiB");
			0
		},
	}
}

/// The `MemTotal` line of `/proc/meminfo` (in kB), in whole GiB.
fn mem_total_gib(meminfo: &str) -> anyhow::Result<u32> {
	let kib = meminfo_kib(meminfo, "MemTotal:")?;
	Ok(u32::try_from(kib / (1024 * 1024)).unwrap_or(u32::MAX))
}

/// Memory available to new work now, in bytes (`MemAvailable` of `/proc/meminfo`).
pub fn available_memory() -> anyhow::Result<u64> {
	let meminfo = std::fs::read_to_string("/proc/meminfo")?;
	Ok(meminfo_kib(&meminfo, "MemAvailable:")?.saturating_mul(1024))
}

/// The value of the `/proc/meminfo` line starting with `key`, in kB.
fn meminfo_kib(meminfo: &str, key: &str) -> anyhow::Result<u64> {
	let Some(line) = meminfo.lines().find(|l| l.starts_with(key)) else {
		bail!("no {key} line");
	};
	Ok(line.trim_start_matches(key).trim().trim_end_matches("kB").trim().parse()?)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn memory_comes_from_the_memtotal_line() {
		let meminfo = "MemTotal:       24589664 kB\nMemFree:         1000 kB\n";
		assert_eq!(mem_total_gib(meminfo).unwrap(), 23);
		assert!(mem_total_gib("MemFree: 1 kB").is_err());
		assert_eq!(meminfo_kib("MemAvailable:  2048 kB\n", "MemAvailable:").unwrap(), 2048);
		assert!(available_memory().unwrap() > 0);
	}

	#[test]
	fn this_machine_has_a_class() {
		let profile = detect().unwrap();
		assert_eq!(profile.backend, Backend::FlexCpu);
		#[cfg(target_arch = "aarch64")]
		assert_eq!(profile.isa, IsaClass::Aarch64);
		#[cfg(target_arch = "x86_64")]
		assert!(matches!(profile.isa, IsaClass::X86_64V3 | IsaClass::X86_64Sse));
	}
}
