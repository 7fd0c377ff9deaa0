//! Loopback HTTP servers for the download tests.
#![allow(dead_code)] // each test binary uses part of this module

use std::sync::Arc;

use cairn_primitives::Hash256;
use cairn_train::{server, ArtifactStore};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
};

/// Serves `store` as an artifact server on loopback under the default limits, until the server
/// is dropped; returns it and its base URL.
pub async fn serve_store(store: ArtifactStore) -> (server::Server, String) {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
	let base = format!("http://{}", listener.local_addr().expect("local address"));
	let routes = server::router(store);
	(server::Server::start(listener, routes, server::Limits::default()).expect("serve"), base)
}

/// Answers every request on loopback with `count` copies of `block`, written as they are sent
/// (the body is never held whole), then closes the connection: the body is announced as
/// `Content-Length: announced` if given (true or not), else delimited by the close. Returns the
/// base URL.
pub async fn serve_generated(block: Vec<u8>, count: u64, announced: Option<u64>) -> String {
	let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
	let base = format!("http://{}", listener.local_addr().expect("local address"));
	let block = Arc::new(block);
	tokio::spawn(async move {
		while let Ok((mut stream, _)) = listener.accept().await {
			let block = block.clone();
			tokio::spawn(async move {
				read_request(&mut stream).await;
				let length =
					announced.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
				let head = format!("HTTP/1.1 200 OK\r\n{length}Connection: close\r\n\r\n");
				if stream.write_all(head.as_bytes()).await.is_err() {
					return;
				}
				for _ in 0..count {
					if stream.write_all(&block).await.is_err() {
						return;
					}
				}
				let _ = stream.shutdown().await;
			});
		}
	});
	base
}

/// Reads a request's head, up to its blank line (or the end of the connection).
async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
	let mut head = Vec::new();
	let mut buffer = [0u8; 1024];
	while !head.windows(4).any(|w| w == b"\r\n\r\n") {
		match stream.read(&mut buffer).await {
			Ok(0) | Err(_) => break,
			Ok(read) => head.extend_from_slice(&buffer[..read]),
		}
	}
	head
}

/// BLAKE2b-256 of `count` copies of `block`, computed a block at a time.
pub fn generated_hash(block: &[u8], count: u64) -> Hash256 {
	let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
	for _ in 0..count {
		state.update(block);
	}
	state.finalize().as_bytes().try_into().expect("32-byte hash")
}

/// The names of the files in `dir`.
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
	let mut names: Vec<String> = std::fs::read_dir(dir)
		.expect("readable directory")
		.map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
		.collect();
	names.sort();
	names
}
