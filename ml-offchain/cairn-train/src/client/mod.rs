//! Downloads checked against the hash asked for: a corrupt, truncated or substituted artifact is
//! an error, never data. HTTP/1 on hyper (the stack the server already uses), over `http://` or
//! `https://` (rustls with the Mozilla roots): the hash, not the transport, vouches for the bytes,
//! and TLS reaches hosts that serve nothing else. Connections go to public addresses only unless
//! the client is allowed private ones ([`address`]). A download into the artifact store
//! ([`ArtifactClient::fetch_into`]) streams to disk and is hashed on the way, so its size never
//! shows in memory.

pub mod address;

use std::{error::Error, future::Future, time::Duration};

use cairn_primitives::{merkle::blake2_256, Hash256};
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::{
	body::{Body, Bytes, Incoming},
	http::uri::Scheme,
	StatusCode, Uri,
};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use thiserror::Error;

use crate::store::{ArtifactStore, ArtifactWriter, StoreError};
use address::CheckedConnector;
pub use address::{AddressPolicy, RefusedAddress};

/// Largest artifact a client accepts unless told otherwise: 4 GiB.
pub const DEFAULT_MAX_BYTES: usize = 4 << 30;
/// Longest a download may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Bytes of a download into the store gathered before they go to disk: what it holds at most,
/// besides one frame of the body.
const WRITE_CHUNK: usize = 1 << 20;

/// Why a download failed.
#[derive(Debug, Error)]
pub enum FetchError {
	/// The URL cannot be parsed or is neither `http://` nor `https://`.
	#[error("unusable artifact URL {url}: {reason}")]
	Url {
		/// The URL.
		url: String,
		/// What is wrong with it.
		reason: String,
	},
	/// The host is, or resolves to, an address the client's [`AddressPolicy`] refuses.
	#[error("{url}: {refused}")]
	Refused {
		/// The URL.
		url: String,
		/// The address and its kind.
		refused: RefusedAddress,
	},
	/// The connection or the transfer failed.
	#[error("fetching {url}: {reason}")]
	Transport {
		/// The URL.
		url: String,
		/// The underlying error.
		reason: String,
	},
	/// The server has no such artifact (HTTP 404).
	#[error("{url}: not found (404)")]
	NotFound {
		/// The URL.
		url: String,
	},
	/// The server answered with another non-success status.
	#[error("{url}: HTTP {status}")]
	Status {
		/// The URL.
		url: String,
		/// The status code.
		status: u16,
	},
	/// The body is larger than the client accepts (as announced, or as it arrives).
	#[error("{url}: larger than {limit} bytes")]
	TooLarge {
		/// The URL.
		url: String,
		/// The limit.
		limit: usize,
	},
	/// The download took longer than the client allows.
	#[error("{url}: no complete answer within {0:?}", .timeout)]
	Timeout {
		/// The URL.
		url: String,
		/// The limit.
		timeout: Duration,
	},
	/// The bytes received are not the artifact asked for.
	#[error(
		"{url}: expected hash {}, received bytes hash to {}",
		hex::encode(expected),
		hex::encode(actual)
	)]
	HashMismatch {
		/// The URL.
		url: String,
		/// The hash asked for.
		expected: Hash256,
		/// The hash of what arrived.
		actual: Hash256,
	},
	/// The artifact store could not take the download.
	#[error("storing {url}: {reason}")]
	Store {
		/// The URL.
		url: String,
		/// The underlying error.
		reason: String,
	},
}

/// The URL of artifact `hash` on the artifact server at `base` (for example
/// `http://127.0.0.1:8080`).
pub fn artifact_url(base: &str, hash: &Hash256) -> String {
	format!("{}/artifacts/{}", base.trim_end_matches('/'), hex::encode(hash))
}

/// An HTTP client whose every download is checked against a hash.
#[derive(Clone, Debug)]
pub struct ArtifactClient {
	http: Client<HttpsConnector<CheckedConnector>, Empty<Bytes>>,
	max_bytes: usize,
	timeout: Duration,
}

impl ArtifactClient {
	/// A client that connects where `policy` allows, with the default size limit and timeout.
	pub fn new(policy: AddressPolicy) -> Self {
		let connector = HttpsConnectorBuilder::new()
			.with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
			.expect("ring's provider supports every default protocol version of rustls; qed")
			.https_or_http()
			.enable_http1()
			.wrap_connector(CheckedConnector::new(policy));
		let http = Client::builder(TokioExecutor::new()).build(connector);
		Self { http, max_bytes: DEFAULT_MAX_BYTES, timeout: DEFAULT_TIMEOUT }
	}

	/// This client (its connections and address policy) rejecting bodies over `max_bytes` and
	/// downloads that take over `timeout`.
	pub fn limited(&self, max_bytes: usize, timeout: Duration) -> Self {
		Self { http: self.http.clone(), max_bytes, timeout }
	}

	/// Artifact `hash` from the artifact server at `base`.
	pub async fn fetch_artifact(&self, base: &str, hash: &Hash256) -> Result<Vec<u8>, FetchError> {
		self.fetch(&artifact_url(base, hash), hash).await
	}

	/// The body at `url`, which must hash to `expected` (a dataset's URI with its
	/// `DatasetRef::hash`, for example).
	pub async fn fetch(&self, url: &str, expected: &Hash256) -> Result<Vec<u8>, FetchError> {
		let body = self.fetch_unchecked(url).await?;
		let actual = blake2_256(&body);
		if &actual != expected {
			return Err(FetchError::HashMismatch {
				url: url.to_owned(),
				expected: *expected,
				actual,
			});
		}
		Ok(body)
	}

	/// The body at `url`, within the size limit and the timeout but checked against nothing: for
	/// documents whose content the caller checks itself (a Merkle proof against an on-chain root).
	pub async fn fetch_unchecked(&self, url: &str) -> Result<Vec<u8>, FetchError> {
		self.within_timeout(url, async {
			let collected =
				self.body(url).await?.collect().await.map_err(|e| self.body_error(url, e))?;
			Ok(collected.to_bytes().to_vec())
		})
		.await
	}

	/// Artifact `hash` from the artifact server at `base`, downloaded into `store` (see
	/// [`fetch_into`](Self::fetch_into)); returns its size.
	pub async fn fetch_artifact_into(
		&self,
		base: &str,
		hash: &Hash256,
		store: &ArtifactStore,
	) -> Result<u64, FetchError> {
		self.fetch_into(&artifact_url(base, hash), hash, store).await
	}

	/// Downloads the body at `url` into `store`, where it is stored under `expected` once it has
	/// all arrived and hashes to it; returns its size. The bytes go to a temporary file of the
	/// store and into the hash as they arrive (about 1 MiB of them held at a time); whatever fails (the size limit, the timeout, the hash, the disk) leaves nothing
	/// in the store. The timeout covers the transfer; the final flush to disk comes after it.
	pub async fn fetch_into(
		&self,
		url: &str,
		expected: &Hash256,
		store: &ArtifactStore,
	) -> Result<u64, FetchError> {
		let writer = self
			.within_timeout(url, async {
				let body = self.body(url).await?;
				let writer = store.writer().map_err(|e| store_error(url, e))?;
				self.spool(url, body, writer).await
			})
			.await?;
		let actual = writer.hash();
		if &actual != expected {
			return Err(FetchError::HashMismatch {
				url: url.to_owned(),
				expected: *expected,
				actual,
			});
		}
		let size = writer.written();
		on_blocking_thread(url, move || writer.commit()).await?;
		Ok(size)
	}

	/// Writes `body` with `writer`, a chunk at a time on a blocking thread, and hands the writer
	/// back once the body has ended.
	async fn spool(
		&self,
		url: &str,
		mut body: Limited<Incoming>,
		mut writer: ArtifactWriter,
	) -> Result<ArtifactWriter, FetchError> {
		let mut chunk = Vec::with_capacity(WRITE_CHUNK);
		loop {
			let frame = body.frame().await.transpose().map_err(|e| self.body_error(url, e))?;
			let ended = frame.is_none();
			// Trailers, the only other kind of frame, carry nothing to store.
			if let Some(data) = frame.and_then(|frame| frame.into_data().ok()) {
				chunk.extend_from_slice(&data);
			}
			if chunk.len() >= WRITE_CHUNK || (ended && !chunk.is_empty()) {
				(writer, chunk) = on_blocking_thread(url, move || {
					writer.write(&chunk)?;
					chunk.clear();
					Ok((writer, chunk))
				})
				.await?;
			}
			if ended {
				return Ok(writer);
			}
		}
	}

	/// The body at `url`, once the server has answered with success and announced no more than
	/// the size limit (which also holds for what arrives, announced or not). A server at its cap
	/// (503) is asked again after the `Retry-After` it names (1 to 10 s), until the caller's
	/// timeout: a busy honest server is not an unavailable one.
	async fn body(&self, url: &str) -> Result<Limited<Incoming>, FetchError> {
		let uri = http_uri(url)?;
		let response = loop {
			let response =
				self.http.get(uri.clone()).await.map_err(|e| transport_error(url, &e))?;
			if response.status() != StatusCode::SERVICE_UNAVAILABLE {
				break response;
			}
			tokio::time::sleep(retry_after(response.headers())).await;
		};
		match response.status() {
			status if status.is_success() => {},
			StatusCode::NOT_FOUND => return Err(FetchError::NotFound { url: url.to_owned() }),
			status => {
				return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16() })
			},
		}
		if response.body().size_hint().lower() > self.max_bytes as u64 {
			return Err(self.too_large(url));
		}
		Ok(Limited::new(response.into_body(), self.max_bytes))
	}

	/// Runs `download` within the timeout.
	async fn within_timeout<T>(
		&self,
		url: &str,
		download: impl Future<Output = Result<T, FetchError>>,
	) -> Result<T, FetchError> {
		tokio::time::timeout(self.timeout, download)
			.await
			.map_err(|_| FetchError::Timeout { url: url.to_owned(), timeout: self.timeout })?
	}

	/// What a failure to read a limited body means.
	fn body_error(&self, url: &str, error: Box<dyn Error + Send + Sync>) -> FetchError {
		if error.downcast_ref::<LengthLimitError>().is_some() {
			self.too_large(url)
		} else {
			transport_error(url, &*error)
		}
	}

	/// A body over the size limit.
	fn too_large(&self, url: &str) -> FetchError {
		FetchError::TooLarge { url: url.to_owned(), limit: self.max_bytes }
	}
}

/// How long a busy server asks to be left alone: its `Retry-After` in seconds, between 1 and 10
/// (1 when it names none or a date).
fn retry_after(headers: &hyper::HeaderMap) -> Duration {
	let seconds = headers
		.get(hyper::header::RETRY_AFTER)
		.and_then(|value| value.to_str().ok()?.trim().parse::<u64>().ok())
		.unwrap_or(1);
	Duration::from_secs(seconds.clamp(1, 10))
}

/// `url` as a URI with a host, if it is `http://` or `https://`.
fn http_uri(url: &str) -> Result<Uri, FetchError> {
	let unusable = |reason: String| FetchError::Url { url: url.to_owned(), reason };
	let uri: Uri =
		url.parse().map_err(|e: hyper::http::uri::InvalidUri| unusable(e.to_string()))?;
	if ![Some(&Scheme::HTTP), Some(&Scheme::HTTPS)].contains(&uri.scheme()) {
		return Err(unusable("only http:// and https:// URLs are supported".into()));
	}
	if uri.host().is_none_or(str::is_empty) {
		return Err(unusable("it names no host".into()));
	}
	Ok(uri)
}

/// A failed connection or transfer: [`FetchError::Refused`] if the address policy refused it,
/// else every cause in the chain (hyper's own message alone says only "client error (Connect)").
fn transport_error(url: &str, error: &(dyn Error + 'static)) -> FetchError {
	let causes = std::iter::successors(Some(error), |&error| error.source());
	let mut reasons = Vec::new();
	for cause in causes {
		if let Some(refused) = cause.downcast_ref::<RefusedAddress>() {
			return FetchError::Refused { url: url.to_owned(), refused: *refused };
		}
		reasons.push(cause.to_string());
	}
	FetchError::Transport { url: url.to_owned(), reason: reasons.join(": ") }
}

/// The store could not take the download of `url`.
fn store_error(url: &str, error: StoreError) -> FetchError {
	FetchError::Store { url: url.to_owned(), reason: error.to_string() }
}

/// Runs `work` (file I/O, which would hold up other downloads on this thread) on a blocking
/// thread.
async fn on_blocking_thread<T: Send + 'static>(
	url: &str,
	work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, FetchError> {
	match tokio::task::spawn_blocking(work).await {
		Ok(done) => done.map_err(|e| store_error(url, e)),
		Err(failed) => Err(FetchError::Store { url: url.to_owned(), reason: failed.to_string() }),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_http_and_https_urls_with_a_host_are_used() {
		for url in [
			"http://example.com/artifacts",
			"https://example.com/artifacts",
			"HTTPS://example.com/artifacts",
			"http://[2001:db8::1]:8080/x",
		] {
			assert!(http_uri(url).is_ok(), "{url}");
		}
		for url in [
			"ftp://example.com/artifacts",
			"file:///etc/passwd",
			"gopher://example.com/",
			"example.com/artifacts",
			"example.com:80",
			"/artifacts/x",
			"not a url",
			"",
		] {
			match http_uri(url) {
				Err(FetchError::Url { url: named, .. }) => assert_eq!(named, url),
				other => panic!("{url}: expected an unusable URL, got {other:?}"),
			}
		}
		let Err(error) = http_uri("ftp://example.com/artifacts") else { panic!("accepted") };
		assert!(error.to_string().contains("only http:// and https://"), "{error}");
	}
}
