//! The artifact server and client over loopback: checked downloads, in memory and into a store,
//! corruption, missing files, limits, schemes, the address policy, and the server's limits.

mod loopback;

use std::{
	net::SocketAddr,
	time::{Duration, Instant},
};

use cairn_primitives::merkle::blake2_256;
use cairn_train::{
	client::{
		address::{AddressPolicy, Restricted},
		artifact_url,
	},
	server::{self, Limits, Server},
	ArtifactClient, ArtifactStore, FetchError,
};
use loopback::{files_in, generated_hash, serve_generated, serve_store};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
};

/// A client allowed to reach the loopback servers of these tests.
fn client() -> ArtifactClient {
	ArtifactClient::new(AddressPolicy::AllowPrivate)
}

/// A client allowed to reach the loopback servers of these tests, within `max_bytes` and 60 s.
fn limited(max_bytes: usize) -> ArtifactClient {
	client().limited(max_bytes, Duration::from_secs(60))
}

#[tokio::test]
async fn downloads_are_checked_against_the_requested_hash() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let bytes = b"a checkpoint".repeat(1000);
	let hash = store.put(&bytes).unwrap();
	let (_server, base) = serve_store(store.clone()).await;
	let client = client();

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
	let (_server, base) = serve_store(store).await;
	let client = client();

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

	let small = client.limited(1024, Duration::from_secs(10));
	assert!(matches!(
		small.fetch_artifact(&base, &hash).await,
		Err(FetchError::TooLarge { limit: 1024, .. })
	));

	assert!(matches!(client.fetch("ftp://127.0.0.1/x", &hash).await, Err(FetchError::Url { .. })));
	assert!(matches!(client.fetch("not a url", &hash).await, Err(FetchError::Url { .. })));

	// Nothing listens on the port of a listener that has been dropped.
	let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
	let unreachable = format!("http://{closed}");
	match client.fetch_artifact(&unreachable, &hash).await {
		Err(FetchError::Transport { reason, .. }) => {
			assert!(reason.contains("onnection refused"), "the cause is named: {reason}")
		},
		other => panic!("expected a transport error, got {other:?}"),
	}
}

#[tokio::test]
async fn a_large_artifact_is_streamed_whole_with_its_length() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	// 8 MiB: many reads of the streamed file, one checked download.
	let bytes: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
	let hash = store.put(&bytes).unwrap();
	let (_server, base) = serve_store(store).await;
	assert_eq!(limited(bytes.len()).fetch_artifact(&base, &hash).await.unwrap(), bytes);
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

#[tokio::test]
async fn a_large_artifact_downloads_into_the_store_and_hashes_right() {
	let served = tempfile::tempdir().unwrap();
	let source = ArtifactStore::open(served.path()).unwrap();
	// Over 32 MiB that repeat nowhere: a piece written twice, lost or out of order changes the
	// hash; and a tail shorter than a write chunk.
	let len = (32u32 << 20) + 12_345;
	let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8 ^ (i >> 20) as u8).collect();
	let hash = source.put(&bytes).unwrap();
	let (_server, base) = serve_store(source).await;

	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let size = limited(bytes.len()).fetch_artifact_into(&base, &hash, &store).await.unwrap();
	assert_eq!(size, bytes.len() as u64);
	assert_eq!(files_in(dir.path()), [hex::encode(hash)], "the artifact and nothing else");
	let stored = std::fs::read(store.path(&hash)).unwrap();
	assert_eq!(blake2_256(&stored), hash);
	assert!(stored == bytes, "the stored bytes are those served");
}

#[tokio::test]
async fn a_body_growing_over_the_limit_is_refused_on_the_way_and_leaves_nothing() {
	// 8 MiB without a length announced: only counting what arrives can stop it.
	let block = vec![7u8; 64 << 10];
	let base = serve_generated(block.clone(), 128, None).await;
	let hash = generated_hash(&block, 128);
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();

	// Over a few write chunks, so that a temporary file was written before the refusal.
	let small = limited(3 << 20);
	assert!(matches!(
		small.fetch_into(&base, &hash, &store).await,
		Err(FetchError::TooLarge { limit, .. }) if limit == 3 << 20
	));
	assert_eq!(files_in(dir.path()), Vec::<String>::new(), "no temporary or final file");
	assert!(matches!(small.fetch(&base, &hash).await, Err(FetchError::TooLarge { .. })));

	// The same body within the limit is stored.
	assert_eq!(limited(8 << 20).fetch_into(&base, &hash, &store).await.unwrap(), 8 << 20);
	assert_eq!(files_in(dir.path()), [hex::encode(hash)]);
}

#[tokio::test]
async fn a_wrong_body_leaves_nothing_in_the_store() {
	let served = tempfile::tempdir().unwrap();
	let source = ArtifactStore::open(served.path()).unwrap();
	let bytes = vec![3u8; 3 << 20];
	let hash = source.put(&bytes).unwrap();
	let mut corrupt = bytes.clone();
	corrupt[(2 << 20) + 1] ^= 1;
	std::fs::write(source.path(&hash), &corrupt).unwrap();
	let (_server, base) = serve_store(source).await;

	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	match client().fetch_artifact_into(&base, &hash, &store).await {
		Err(FetchError::HashMismatch { expected, actual, .. }) => {
			assert_eq!(expected, hash);
			assert_eq!(actual, blake2_256(&corrupt));
		},
		other => panic!("expected a hash mismatch, got {other:?}"),
	}
	assert_eq!(files_in(dir.path()), Vec::<String>::new(), "no temporary or final file");
}

#[tokio::test]
async fn an_announced_length_over_the_limit_is_refused_before_the_body_is_read() {
	// Announces 1 GiB and sends 1 KiB: a client that read the body would find it cut short.
	let block = vec![1u8; 1024];
	let base = serve_generated(block.clone(), 1, Some(1 << 30)).await;
	let hash = generated_hash(&block, 1);
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let small = limited(1 << 20);
	for refused in [
		small.fetch_into(&base, &hash, &store).await.map(|_| ()),
		small.fetch(&base, &hash).await.map(|_| ()),
	] {
		assert!(
			matches!(refused, Err(FetchError::TooLarge { limit, .. }) if limit == 1 << 20),
			"{refused:?}"
		);
	}
	assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn https_is_spoken_to_an_https_url() {
	// A TCP listener that keeps the client's first bytes, then hangs up.
	let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
	let address = listener.local_addr().unwrap();
	let received = tokio::spawn(async move {
		let (mut stream, _) = listener.accept().await.unwrap();
		let mut first = vec![0u8; 512];
		let read = tokio::io::AsyncReadExt::read(&mut stream, &mut first).await.unwrap();
		first.truncate(read);
		first
	});
	let url = format!("https://{address}/artifacts/x");
	match limited(1024).fetch_unchecked(&url).await {
		Err(FetchError::Transport { .. }) => {},
		other => panic!("expected the handshake to fail, got {other:?}"),
	}
	let received = received.await.unwrap();
	// A TLS record of type handshake (a ClientHello), not an HTTP request.
	assert_eq!(received.first(), Some(&0x16), "{received:?}");
}

#[tokio::test]
async fn a_client_without_the_permission_does_not_connect_to_private_addresses() {
	let dir = tempfile::tempdir().unwrap();
	let source = ArtifactStore::open(dir.path()).unwrap();
	let hash = source.put(b"an artifact on loopback").unwrap();
	let (_server, base) = serve_store(source).await;
	let port = base.rsplit(':').next().unwrap().to_owned();
	let public = ArtifactClient::new(AddressPolicy::PublicOnly);

	let target = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(target.path()).unwrap();
	// By literal in either family, and by a name that resolves to loopback.
	for host in ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "localhost"] {
		let base = format!("http://{host}:{port}");
		match public.fetch_artifact(&base, &hash).await {
			Err(error @ FetchError::Refused { refused, .. }) => {
				assert_eq!(refused.class, Restricted::Loopback, "{host}");
				assert!(refused.address.is_loopback() || host.contains("ffff"), "{host}");
				let message = error.to_string();
				assert!(message.contains("--allow-private-addresses"), "{message}");
			},
			other => panic!("{host}: expected a refusal, got {other:?}"),
		}
		assert!(matches!(
			public.fetch_artifact_into(&base, &hash, &store).await,
			Err(FetchError::Refused { .. })
		));
	}
	let message = public.fetch_artifact(&base, &hash).await.unwrap_err().to_string();
	assert!(message.contains("127.0.0.1 is a loopback address"), "{message}");
	assert_eq!(files_in(target.path()), Vec::<String>::new());

	// Refused before connecting: the listener is never called.
	let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}/x", listener.local_addr().unwrap());
	assert!(matches!(public.fetch_unchecked(&url).await, Err(FetchError::Refused { .. })));
	let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
	assert!(accepted.is_err(), "no connection was made");

	// With the permission, the same download goes through.
	assert_eq!(client().fetch_artifact(&base, &hash).await.unwrap(), b"an artifact on loopback");
	client().fetch_artifact_into(&base, &hash, &store).await.unwrap();
	assert!(store.contains(&hash));
}

/// Serves `store` under `limits` on a loopback port, until the server is dropped; returns its
/// address.
async fn serve_limited(store: ArtifactStore, limits: Limits) -> (Server, SocketAddr) {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
	let address = listener.local_addr().expect("local address");
	(Server::start(listener, server::router(store), limits).unwrap(), address)
}

/// `GET path` on a new connection, with `headers` (each ending in CRLF); returns the connection,
/// the response head and the bytes of its body read with it.
async fn get(address: SocketAddr, path: &str, headers: &str) -> (TcpStream, String, Vec<u8>) {
	let mut stream = TcpStream::connect(address).await.unwrap();
	let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
	stream.write_all(request.as_bytes()).await.unwrap();
	let (head, body) = read_head(&mut stream).await;
	(stream, head, body)
}

/// The response head `stream` receives and the bytes that came after it.
async fn read_head(stream: &mut TcpStream) -> (String, Vec<u8>) {
	let mut received = Vec::new();
	loop {
		if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
			let body = received.split_off(end + 4);
			return (String::from_utf8_lossy(&received).to_lowercase(), body);
		}
		let mut buffer = [0u8; 4096];
		let read = stream.read(&mut buffer).await.unwrap();
		assert!(read > 0, "the connection closed before a response head");
		received.extend_from_slice(&buffer[..read]);
	}
}

/// An artifact larger than loopback's socket buffers take from a client that does not read: its
/// response stays in flight until the client reads it.
fn large_artifact(store: &ArtifactStore) -> (Vec<u8>, String) {
	let bytes: Vec<u8> = (0..8u32 << 20).map(|i| (i % 253) as u8).collect();
	let path = format!("/artifacts/{}", hex::encode(store.put(&bytes).unwrap()));
	(bytes, path)
}

/// Bounds a test's wait, so that a limit that does not hold fails the test instead of hanging it.
async fn within<T>(seconds: u64, future: impl std::future::Future<Output = T>) -> T {
	tokio::time::timeout(Duration::from_secs(seconds), future)
		.await
		.expect("timed out")
}

#[tokio::test]
async fn requests_beyond_the_cap_are_refused_at_once_and_the_admitted_ones_complete() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let (bytes, path) = large_artifact(&store);
	let (_server, address) =
		serve_limited(store, Limits { max_requests: 4, ..Limits::default() }).await;
	within(15, async {
		// Four responses in flight, held there by clients that do not read them yet.
		let mut admitted = Vec::new();
		for _ in 0..4 {
			let (stream, head, body) = get(address, &path, "").await;
			assert!(head.starts_with("http/1.1 200"), "{head}");
			admitted.push((stream, body));
		}
		for _ in 0..4 {
			let (_, head, _) = get(address, &path, "").await;
			assert!(head.starts_with("http/1.1 503"), "{head}");
			assert!(head.contains("retry-after: 1\r\n"), "{head}");
		}
		for (mut stream, mut body) in admitted {
			let mut rest = vec![0u8; bytes.len() - body.len()];
			stream.read_exact(&mut rest).await.unwrap();
			body.extend_from_slice(&rest);
			assert!(body == bytes, "an admitted download arrived whole");
		}
		// Each slot came back with the end of its response.
		let (_, head, _) = get(address, &path, "").await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
	})
	.await;
}

#[tokio::test]
async fn a_client_waits_out_a_busy_server_instead_of_failing() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let (bytes, path) = large_artifact(&store);
	let hash = store.put(&bytes).unwrap();
	let (_server, address) =
		serve_limited(store, Limits { max_requests: 1, ..Limits::default() }).await;
	within(20, async {
		// The one slot is held by a client that reads nothing for 1.5 s.
		let (mut holder, _, mut body) = get(address, &path, "").await;
		let release = tokio::spawn(async move {
			tokio::time::sleep(Duration::from_millis(1500)).await;
			let mut rest = vec![0u8; bytes.len() - body.len()];
			holder.read_exact(&mut rest).await.unwrap();
			body.extend_from_slice(&rest);
			body == bytes
		});
		let started = Instant::now();
		let fetched = client().fetch_artifact(&format!("http://{address}"), &hash).await.unwrap();
		assert_eq!(blake2_256(&fetched), hash);
		assert!(started.elapsed() >= Duration::from_secs(1), "it waited for the slot");
		assert!(release.await.unwrap(), "the held download arrived whole");
	})
	.await;
}

#[tokio::test]
async fn requests_with_a_body_are_refused() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let path = format!("/artifacts/{}", hex::encode(store.put(b"an artifact").unwrap()));
	let (_server, address) = serve_limited(store, Limits::default()).await;
	within(10, async {
		for body in ["content-length: 4096\r\n", "transfer-encoding: chunked\r\n"] {
			let (_, head, _) = get(address, &path, body).await;
			assert!(head.starts_with("http/1.1 413"), "{body}: {head}");
		}
		let (_, head, _) = get(address, &path, "content-length: 0\r\n").await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
	})
	.await;
}

#[tokio::test]
async fn stalled_and_slow_clients_are_cut_off() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let (bytes, path) = large_artifact(&store);
	let small = format!("/artifacts/{}", hex::encode(store.put(b"an artifact").unwrap()));
	let limits = Limits {
		max_requests: 1,
		header_timeout: Duration::from_millis(300),
		response_timeout: Duration::from_secs(2),
		..Limits::default()
	};
	let (_server, address) = serve_limited(store, limits).await;
	within(15, async {
		// Connects and sends nothing or half a request head, or idles after a response: closed
		// after the header timeout, well before the response timeout would close it too.
		let mut stalled = Vec::new();
		for sent in ["", "GET /artifacts/"] {
			let mut stream = TcpStream::connect(address).await.unwrap();
			stream.write_all(sent.as_bytes()).await.unwrap();
			stalled.push(stream);
		}
		let (kept_alive, head, _) = get(address, &small, "").await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
		stalled.push(kept_alive);
		let started = Instant::now();
		for mut stream in stalled {
			let _ = stream.read_to_end(&mut Vec::new()).await;
		}
		let waited = started.elapsed();
		assert!(waited >= Duration::from_millis(250) && waited < Duration::from_millis(1500));
		// Takes a response and does not read it: cut off after the response timeout, which
		// frees its request slot.
		let (mut stream, _, body) = get(address, &path, "").await;
		tokio::time::sleep(Duration::from_millis(2500)).await;
		let mut rest = Vec::new();
		let _ = stream.read_to_end(&mut rest).await;
		assert!(body.len() + rest.len() < bytes.len(), "the slow download was cut off");
		let (_, head, _) = get(address, &path, "").await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
	})
	.await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_one_to_close() {
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path()).unwrap();
	let path = format!("/artifacts/{}", hex::encode(store.put(b"an artifact").unwrap()));
	let (server, address) =
		serve_limited(store, Limits { max_connections: 2, ..Limits::default() }).await;
	within(10, async {
		let (first, head, _) = get(address, &path, "").await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
		let (_second, head, _) = get(address, &path, "").await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
		// Both kept alive: a third connection is not served until one of them closes.
		let mut third = TcpStream::connect(address).await.unwrap();
		let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
		third.write_all(request.as_bytes()).await.unwrap();
		let waiting = tokio::time::timeout(Duration::from_millis(500), read_head(&mut third));
		assert!(waiting.await.is_err(), "served beyond the connection cap");
		drop(first);
		let (head, _) = read_head(&mut third).await;
		assert!(head.starts_with("http/1.1 200"), "{head}");
		// Dropping the server closes its connections and its listener.
		drop(server);
		assert_eq!(third.read(&mut [0u8; 64]).await.unwrap_or(0), 0);
		while TcpStream::connect(address).await.is_ok() {
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	})
	.await;
}
