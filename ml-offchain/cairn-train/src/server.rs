//! The artifact server: `GET /artifacts/<64 hex digits>` answers with the artifact's bytes
//! (`application/octet-stream`, streamed from disk with its `Content-Length`: a large artifact is
//! never held in memory whole), 404 when the store lacks it and 400 for a malformed hash.
//!
//! The server does not re-hash what it serves: every client checks each download against the
//! hash it asked for ([`crate::client`]), so neither the server nor the transport is trusted.

use axum::{
	body::Body,
	extract::{Path, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::get,
	Router,
};
use tokio::net::TcpListener;

use crate::store::{parse_hash, ArtifactStore};

/// The routes of the artifact server over `store`.
pub fn router(store: ArtifactStore) -> Router {
	Router::new().route("/artifacts/{hash}", get(artifact)).with_state(store)
}

/// Serves `store` on `listener` until the task is dropped or the listener fails.
pub async fn serve(listener: TcpListener, store: ArtifactStore) -> std::io::Result<()> {
	axum::serve(listener, router(store)).await
}

async fn artifact(State(store): State<ArtifactStore>, Path(hash): Path<String>) -> Response {
	let Some(hash) = parse_hash(&hash) else {
		return (StatusCode::BAD_REQUEST, "expected /artifacts/<64 hex digits>\n").into_response();
	};
	let opened = match tokio::fs::File::open(store.path(&hash)).await {
		Ok(file) => file.metadata().await.map(|metadata| (file, metadata.len())),
		Err(error) => Err(error),
	};
	match opened {
		Ok((file, length)) => {
			let headers = [
				(header::CONTENT_TYPE, "application/octet-stream".to_string()),
				(header::CONTENT_LENGTH, length.to_string()),
			];
			(headers, Body::from_stream(tokio_util::io::ReaderStream::new(file))).into_response()
		},
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
			(StatusCode::NOT_FOUND, "no such artifact\n").into_response()
		},
		Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot read artifact\n").into_response(),
	}
}
