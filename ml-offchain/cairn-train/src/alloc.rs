//! How the process's allocator treats the memory training frees.
//!
//! A training step allocates its large tensors anew and frees them at its end. With glibc's
//! defaults those blocks are `mmap`ed and handed back to the OS when freed, so every step faulted
//! its tensors in again: a quarter of a CNN's training time. Which memory a tensor gets changes
//! no bit of training (`tests/golden.rs` and `tests/cnn.rs` train both ways).

/// Keeps the memory training frees in the process for the next step to reuse. It is process-wide
/// and lasting, so call it first in `main`; resident memory then stays near its peak.
///
/// Returns `false` if glibc refused the setting; other allocators have nothing to set (`true`).
pub fn retain_freed_memory() -> bool {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	{
		use libc::{c_int, mallopt, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD};
		// The largest value `mallopt` takes (just under 2 GiB): every block comes from the heap
		// (off the main thread, up to the 64 MiB an arena holds) and the heap keeps its free top.
		// SAFETY: `mallopt` only changes glibc's allocation parameters, under its own lock.
		unsafe {
			mallopt(M_MMAP_THRESHOLD, c_int::MAX) == 1 && mallopt(M_TRIM_THRESHOLD, c_int::MAX) == 1
		}
	}
	#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
	true
}
