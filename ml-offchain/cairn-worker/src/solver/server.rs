//! The solver's HTTP server: cairn-train's artifact routes (`GET /artifacts/<hex>`) over its
//! store, plus an index of each task's checkpoints, so that a verifier can prove any checkpoint
//! against the committed root without guessing hashes:
//!
//! `GET /tasks/<id>/checkpoints` answers
//! `{"task_id": 3, "complete": true, "root": "0x..", "checkpoints": ["0x..", ...]}`: the hashes
//! in order (checkpoint `i` is at step `i * interval`) and the Merkle root over them, which equals
//! the committed `checkpoint_root` once `complete`. Nothing here needs trust: every artifact is
//! checked against its hash and the list against the on-chain root.

use axum::{
	extract::{Path, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::get,
	Router,
};
use cairn_primitives::TaskId;
use cairn_train::ArtifactStore;
use tokio::net::TcpListener;

use super::state::TaskDir;
use crate::record::hex0x;

/// The routes: artifacts from `store`, checkpoint indexes from `tasks`.
pub fn router(store: ArtifactStore, tasks: TaskDir) -> Router {
	let index = Router::new()
		.route("/tasks/{task_id}/checkpoints", get(checkpoints))
		.with_state(tasks);
	cairn_train::server::router(store).merge(index)
}

/// Serves [`router`] on `listener` until the listener fails.
pub async fn serve(
	listener: TcpListener,
	store: ArtifactStore,
	tasks: TaskDir,
) -> std::io::Result<()> {
	axum::serve(listener, router(store, tasks)).await
}

async fn checkpoints(State(tasks): State<TaskDir>, Path(task_id): Path<String>) -> Response {
	let Ok(task_id) = task_id.parse::<TaskId>() else {
		return (StatusCode::BAD_REQUEST, "expected /tasks/<task id>/checkpoints\n")
			.into_response();
	};
	let state = match tokio::task::spawn_blocking(move || tasks.load(task_id)).await {
		Ok(Ok(Some(state))) => state,
		Ok(Ok(None)) => return (StatusCode::NOT_FOUND, "no such task\n").into_response(),
		Ok(Err(error)) => {
			tracing::warn!("cannot serve the checkpoints of task {task_id}: {error:#}");
			return (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the task record\n")
				.into_response();
		},
		Err(_) => {
			return (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the task record\n")
				.into_response()
		},
	};
	let body = serde_json::json!({
		"task_id": task_id,
		"complete": state.run.is_complete(),
		"root": hex0x(&state.run.root()),
		"checkpoints": state.run.checkpoints.iter().map(|hash| hex0x(hash)).collect::<Vec<_>>(),
	});
	([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		record::{tests::spec, RunRecord},
		solver::state::{Phase, TaskState},
	};
	use cairn_primitives::merkle::checkpoint_root;
	use cairn_train::ArtifactClient;

	/// A raw HTTP/1.0 GET; returns the status line and the body.
	async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
		stream
			.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
			.await
			.unwrap();
		let mut response = String::new();
		stream.read_to_string(&mut response).await.unwrap();
		let (head, body) = response.split_once("\r\n\r\n").unwrap();
		(head.lines().next().unwrap().to_string(), body.to_string())
	}

	#[tokio::test]
	async fn serves_artifacts_and_checkpoint_indexes() {
		let dir = tempfile::tempdir().unwrap();
		let store = ArtifactStore::open(dir.path().join("artifacts")).unwrap();
		let tasks = TaskDir::open(dir.path().join("tasks")).unwrap();
		let first = store.put(b"checkpoint 0").unwrap();
		let second = store.put(b"checkpoint 1").unwrap();
		let mut run = RunRecord::new(spec());
		run.checkpoints = vec![first, second];
		tasks
			.save(&TaskState { task_id: 7, run, phase: Phase::Claimed { deadline: 9 } })
			.unwrap();

		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		let server = tokio::spawn(serve(listener, store, tasks));

		let (status, body) = get(addr, "/tasks/7/checkpoints").await;
		assert!(status.contains("200"), "{status}");
		let index: serde_json::Value = serde_json::from_str(&body).unwrap();
		assert_eq!(index["task_id"], 7);
		assert_eq!(index["complete"], false);
		assert_eq!(index["checkpoints"], serde_json::json!([hex0x(&first), hex0x(&second)]));
		assert_eq!(index["root"], hex0x(&checkpoint_root(&[first, second])));
		assert!(get(addr, "/tasks/8/checkpoints").await.0.contains("404"));
		assert!(get(addr, "/tasks/x/checkpoints").await.0.contains("400"));

		let bytes = ArtifactClient::new()
			.fetch_artifact(&format!("http://{addr}"), &second)
			.await
			.unwrap();
		assert_eq!(bytes, b"checkpoint 1");
		server.abort();
	}
}
