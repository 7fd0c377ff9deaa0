//! Downloads checked against the hash asked for: a corrupt, truncated or substituted artifact is
//! an error, never data. Plain HTTP/1 on hyper (the stack the server already uses); HTTPS is not
//! needed because the hash, not the transport, vouches for the bytes.

use std::time::Duration;

use cairn_primitives::{merkle::blake2_256, Hash256};
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::{body::Bytes, StatusCode, Uri};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use thiserror::Error;

/// Largest artifact a client accepts unless told otherwise: 4 GiB.
pub const DEFAULT_MAX_BYTES: usize = 4 << 30;
/// Longest a download may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Why a download failed.
#[derive(Debug, Error)]
pub enum FetchError {
	/// The URL cannot be parsed or is not `http://`.
	#[error("unusable artifact URL {url}: {reason}")]
	Url {
		/// The URL.
		url: String,
		/// What is wrong with it.
		reason: String,
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
	/// The body is larger than the client accepts.
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
}

/// The URL of artifact `hash` on the artifact server at `base` (for example
/// `http://127.0.0.1:8080`).
pub fn artifact_url(base: &str, hash: &Hash256) -> String {
	format!("{}/artifacts/{}", base.trim_end_matches('/'), hex::encode(hash))
}

/// An HTTP client whose every download is checked against a hash.
#[derive(Clone, Debug)]
pub struct ArtifactClient {
	http: Client<HttpConnector, Empty<Bytes>>,
	max_bytes: usize,
	timeout: Duration,
}

impl Default for ArtifactClient {
	fn default() -> Self {
		Self::new()
	}
}

impl ArtifactClient {
	/// A client with the default size limit and timeout.
	pub fn new() -> Self {
		Self::with_limits(DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT)
	}

	/// A client that rejects bodies over `max_bytes` and downloads that take over `timeout`.
	pub fn with_limits(max_bytes: usize, timeout: Duration) -> Self {
		let http = Client::builder(TokioExecutor::new()).build_http();
		Self { http, max_bytes, timeout }
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
		let uri: Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| FetchError::Url {
			url: url.to_owned(),
			reason: e.to_string(),
		})?;
		if uri.scheme_str() != Some("http") {
			return Err(FetchError::Url {
				url: url.to_owned(),
				reason: "only http:// URLs are supported".into(),
			});
		}
		tokio::time::timeout(self.timeout, self.download(uri, url))
			.await
			.map_err(|_| FetchError::Timeout { url: url.to_owned(), timeout: self.timeout })?
	}

	async fn download(&self, uri: Uri, url: &str) -> Result<Vec<u8>, FetchError> {
		let transport = |reason: String| FetchError::Transport { url: url.to_owned(), reason };
		let response = self.http.get(uri).await.map_err(|e| transport(e.to_string()))?;
		match response.status() {
			status if status.is_success() => {},
			StatusCode::NOT_FOUND => return Err(FetchError::NotFound { url: url.to_owned() }),
			status => {
				return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16() })
			},
		}
		let collected = Limited::new(response.into_body(), self.max_bytes)
			.collect()
			.await
			.map_err(|e| {
				if e.downcast_ref::<LengthLimitError>().is_some() {
					FetchError::TooLarge { url: url.to_owned(), limit: self.max_bytes }
				} else {
					transport(e.to_string())
				}
			})?;
		Ok(collected.to_bytes().to_vec())
	}
}
