//! A download into the artifact store holds a bounded buffer, never the body: the process's peak
//! resident memory grows by a few MiB over a 256 MiB download. Alone in its test binary, so that
//! no other test's allocations count.

mod loopback;

use std::time::Duration;

use cairn_train::{client::address::AddressPolicy, ArtifactClient, ArtifactStore};
use loopback::{files_in, generated_hash, serve_generated};

/// The body: 256 MiB, far more than the client may hold.
const BLOCK: usize = 64 << 10;
const BLOCKS: u64 = 4096;
/// Largest growth of the peak allowed: the write chunk, a frame or two and their allocator's
/// slack, with room to spare on a loaded machine.
const ALLOWED_GROWTH_KIB: u64 = 32 << 10;

/// The process's peak resident set size (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
	let status = std::fs::read_to_string("/proc/self/status").expect("Linux's /proc");
	let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("a VmHWM line");
	line.split_whitespace()
		.nth(1)
		.and_then(|kib| kib.parse().ok())
		.expect("VmHWM in kB")
}

#[tokio::test]
async fn a_download_into_the_store_is_never_held_in_memory() {
	// Bytes that differ within a block, so that their order matters to the hash.
	let block: Vec<u8> = (0..BLOCK).map(|i| (i % 251) as u8).collect();
	let size = BLOCK as u64 * BLOCKS;
	let hash = generated_hash(&block, BLOCKS);
	let base = serve_generated(block.clone(), BLOCKS, Some(size)).await;
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let client = ArtifactClient::new(AddressPolicy::AllowPrivate)
		.limited(usize::try_from(size).unwrap(), Duration::from_secs(600));

	// A small download first, so that what any download sets up once is in the baseline.
	let warm = serve_generated(block.clone(), 16, Some(16 * BLOCK as u64)).await;
	client.fetch_into(&warm, &generated_hash(&block, 16), &store).await.unwrap();
	let before = peak_rss_kib();

	assert_eq!(client.fetch_into(&base, &hash, &store).await.unwrap(), size);
	let growth = peak_rss_kib().saturating_sub(before);
	eprintln!("peak RSS {before} KiB before a {} MiB download, +{growth} KiB after", size >> 20);
	assert!(
		growth < ALLOWED_GROWTH_KIB,
		"the peak grew by {growth} KiB over a {} MiB download",
		size >> 20
	);
	assert!(files_in(dir.path()).contains(&hex::encode(hash)));
	assert_eq!(std::fs::metadata(store.path(&hash)).unwrap().len(), size);
}
