//! The artifact server and client over loopback: checked downloads, corruption, missing files.

use cairn_primitives::merkle::blake2_256;
use cairn_train::{client::artifact_url, server, ArtifactClient, ArtifactStore, FetchError};
use tokio::net::TcpListener;

async fn serve(store: ArtifactStore) -> String {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
	let base = format!("http://{}", listener.local_addr().expect("local address"));
	tokio::spawn(server::serve(listener, store));
	base
}

#[tokio::test]
async fn downloads_are_checked_against_the_requested_hash() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let bytes = b"a checkpoint".repeat(1000);
	let hash = store.put(&bytes).unwrap();
	let base = serve(store.clone()).await;
	let client = ArtifactClient::new();

	assert_eq!(client.fetch_artifact(&base, &hash).await.unwrap(), bytes);

	// Corrupt the file on disk: the server serves it, the client refuses it.
	let mut corrupt = bytes.clone();
	corrupt[5] ^= 0x20;
	std::fs::write(store.path(&hash), &corrupt).unwrap();
	match client.fetch_artifact(&base, &hash).await {
		Err(FetchError::HashMismatch { expected, actual, .. }) => {
			assert_eq!(expected, hash);
			assert_eq!(actual, blake2_256(&corrupt));
		},
		other => panic!("expected a hash mismatch, got {other:?}"),
	}

	// Asking for bytes under the wrong hash is the same error.
	let other = store.put(b"another artifact").unwrap();
	let url = artifact_url(&base, &other);
	assert!(matches!(client.fetch(&url, &hash).await, Err(FetchError::HashMismatch { .. })));
}

#[tokio::test]
async fn missing_malformed_and_oversized_requests_fail_clearly() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let hash = store.put(&[1u8; 4096]).unwrap();
	let base = serve(store).await;
	let client = ArtifactClient::new();

	let missing = [0xab; 32];
	match client.fetch_artifact(&base, &missing).await {
		Err(error @ FetchError::NotFound { .. }) => {
			assert!(error.to_string().ends_with("not found (404)"))
		},
		other => panic!("expected 404, got {other:?}"),
	}
	let malformed = format!("{base}/artifacts/not-a-hash");
	assert!(matches!(
		client.fetch(&malformed, &hash).await,
		Err(FetchError::Status { status: 400, .. })
	));

	let small = ArtifactClient::with_limits(1024, std::time::Duration::from_secs(10));
	assert!(matches!(
		small.fetch_artifact(&base, &hash).await,
		Err(FetchError::TooLarge { limit: 1024, .. })
	));

	assert!(matches!(
		client.fetch("https://127.0.0.1/x", &hash).await,
		Err(FetchError::Url { .. })
	));
	assert!(matches!(client.fetch("not a url", &hash).await, Err(FetchError::Url { .. })));

	// Nothing listens on the port of a listener that has been dropped.
	let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
	let unreachable = format!("http://{closed}");
	assert!(matches!(
		client.fetch_artifact(&unreachable, &hash).await,
		Err(FetchError::Transport { .. })
	));
}

#[tokio::test]
async fn a_large_artifact_is_streamed_whole_with_its_length() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	// 8 MiB: many reads of the streamed file, one checked download.
	let bytes: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
	let hash = store.put(&bytes).unwrap();
	let base = serve(store).await;
	let client = ArtifactClient::with_limits(bytes.len(), std::time::Duration::from_secs(60));
	assert_eq!(client.fetch_artifact(&base, &hash).await.unwrap(), bytes);
	// Announced up front, so a client can refuse an oversized body before reading it.
	let address = base.trim_start_matches("http://");
	let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
	let request = format!("GET /artifacts/{} HTTP/1.1\r\nHost: x\r\n\r\n", hex::encode(hash));
	tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
		.await
		.unwrap();
	let mut head = vec![0u8; 512];
	let read = tokio::io::AsyncReadExt::read(&mut stream, &mut head).await.unwrap();
	let head = String::from_utf8_lossy(&head[..read]).to_lowercase();
	assert!(head.contains(&format!("content-length: {}", bytes.len())), "{head}");
}
