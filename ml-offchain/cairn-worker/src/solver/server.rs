//! The solver's HTTP server: cairn-train's artifact routes (`GET /artifacts/<hex>`) over its
//! store, plus an index of each task's checkpoints, so that a verifier can prove any checkpoint
//! against the committed root without guessing hashes:
//!
//! `GET /tasks/<id>/checkpoints` answers
//! `{"task_id": 3, "complete": true, "root": "0x..", "checkpoints": ["0x..", ...]}`: the hashes
//! in order (checkpoint `i` is at step `i * interval`) and the Merkle root over them, which equals
//! the committed `checkpoint_root` once `complete`.
//!
//! `GET /tasks/<id>/checkpoints/<i>/proof` answers, for a complete run,
//! `{"task_id": 3, "leaf": "0x..", "leaf_index": i, "number_of_leaves": n, "siblings": ["0x..", ..]}`:
//! the Merkle proof of checkpoint `i` (`cairn_primitives::merkle::checkpoint_proof`), which the
//! runtime API `TasksApi::checkpoint_is_committed` checks against the committed root.
//!
//! Nothing here needs trust: every artifact is checked against its hash, and the list and the
//! proofs against the on-chain root.
//!
//! All the routes are served by a `cairn_train::server::Server`, on threads of its own and under
//! its limits: requests in flight, request bodies, stalled and slow clients, open connections.

use axum::{
	body::HttpBody,
	extract::{Path, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::get,
	Router,
};
use cairn_primitives::{merkle::checkpoint_proof, TaskId};
use cairn_train::{
	server::{Limits, Server},
	ArtifactStore,
};
use tokio::net::TcpListener;

use super::state::{TaskDir, TaskState};
use crate::{metrics, record::hex0x};

/// The routes: artifacts from `store`, checkpoint indexes from `tasks`.
pub fn router(store: ArtifactStore, tasks: TaskDir) -> Router {
	let index = Router::new()
		.route("/tasks/{task_id}/checkpoints", get(checkpoints))
		.route("/tasks/{task_id}/checkpoints/{index}/proof", get(proof))
		.with_state(tasks);
	cairn_train::server::router(store)
		.merge(index)
		.layer(axum::middleware::map_response(count_served))
}

/// Counts each successful answer and its body's length for the metrics.
async fn count_served(response: Response) -> Response {
	if response.status().is_success() {
		let announced = response
			.headers()
			.get(header::CONTENT_LENGTH)
			.and_then(|length| length.to_str().ok()?.parse().ok());
		metrics::served(announced.or(response.body().size_hint().exact()).unwrap_or(0));
	}
	response
}

/// Serves [`router`] on `listener` under `limits` on threads of its own, until dropped.
pub fn start(
	listener: TcpListener,
	store: ArtifactStore,
	tasks: TaskDir,
	limits: Limits,
) -> std::io::Result<Server> {
	Server::start(listener, router(store, tasks), limits)
}

/// The record of task `task_id`, or the response that explains why there is none.
async fn task_state(tasks: TaskDir, task_id: TaskId) -> Result<TaskState, Response> {
	let failed = || (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the task record\n");
	match tokio::task::spawn_blocking(move || tasks.load(task_id)).await {
		Ok(Ok(Some(state))) => Ok(state),
		Ok(Ok(None)) => Err((StatusCode::NOT_FOUND, "no such task\n").into_response()),
		Ok(Err(error)) => {
			tracing::warn!("cannot serve the checkpoints of task {task_id}: {error:#}");
			Err(failed().into_response())
		},
		Err(_) => Err(failed().into_response()),
	}
}

fn json(body: serde_json::Value) -> Response {
	([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn checkpoints(State(tasks): State<TaskDir>, Path(task_id): Path<String>) -> Response {
	let Ok(task_id) = task_id.parse::<TaskId>() else {
		return (StatusCode::BAD_REQUEST, "expected /tasks/<task id>/checkpoints\n")
			.into_response();
	};
	let state = match task_state(tasks, task_id).await {
		Ok(state) => state,
		Err(response) => return response,
	};
	json(serde_json::json!({
		"task_id": task_id,
		"complete": state.run.is_complete(),
		"root": hex0x(&state.run.root()),
		"checkpoints": state.run.checkpoints.iter().map(|hash| hex0x(hash)).collect::<Vec<_>>(),
	}))
}

async fn proof(
	State(tasks): State<TaskDir>,
	Path((task_id, index)): Path<(String, String)>,
) -> Response {
	let (Ok(task_id), Ok(index)) = (task_id.parse::<TaskId>(), index.parse::<u32>()) else {
		return (StatusCode::BAD_REQUEST, "expected /tasks/<task id>/checkpoints/<index>/proof\n")
			.into_response();
	};
	let state = match task_state(tasks, task_id).await {
		Ok(state) => state,
		Err(response) => return response,
	};
	// Proofs of an unfinished run would be against a root nobody committed to.
	if !state.run.is_complete() {
		return (StatusCode::CONFLICT, "the run is not complete yet\n").into_response();
	}
	let Some(proof) = checkpoint_proof(&state.run.checkpoints, index) else {
		return (StatusCode::NOT_FOUND, "no such checkpoint\n").into_response();
	};
	json(serde_json::json!({
		"task_id": task_id,
		"leaf": hex0x(&proof.leaf),
		"leaf_index": proof.leaf_index,
		"number_of_leaves": proof.number_of_leaves,
		"siblings": proof.siblings.iter().map(|hash| hex0x(hash)).collect::<Vec<_>>(),
	}))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		record::{tests::spec, RunRecord},
		solver::state::{Phase, TaskState},
	};
	use cairn_primitives::merkle::{checkpoint_root, verify_checkpoint, CheckpointProof};
	use cairn_train::{client::AddressPolicy, ArtifactClient};

	/// A raw HTTP/1.0 GET; returns the status line and the body.
	async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
		exchange(addr, &format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n")).await
	}

	/// Sends `request` on a new connection; returns the status line and the body.
	async fn exchange(addr: std::net::SocketAddr, request: &str) -> (String, String) {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
		stream.write_all(request.as_bytes()).await.unwrap();
		let mut response = String::new();
		stream.read_to_string(&mut response).await.unwrap();
		let (head, body) = response.split_once("\r\n\r\n").unwrap();
		(head.lines().next().unwrap().to_string(), body.to_string())
	}

	#[tokio::test]
	async fn serves_artifacts_checkpoint_indexes_and_proofs() {
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
		let _server = start(listener, store.clone(), tasks.clone(), Limits::default()).unwrap();

		let (status, body) = get(addr, "/tasks/7/checkpoints").await;
		assert!(status.contains("200"), "{status}");
		let index: serde_json::Value = serde_json::from_str(&body).unwrap();
		assert_eq!(index["task_id"], 7);
		assert_eq!(index["complete"], false);
		assert_eq!(index["checkpoints"], serde_json::json!([hex0x(&first), hex0x(&second)]));
		assert_eq!(index["root"], hex0x(&checkpoint_root(&[first, second])));
		assert!(get(addr, "/tasks/8/checkpoints").await.0.contains("404"));
		assert!(get(addr, "/tasks/x/checkpoints").await.0.contains("400"));
		// The index is served under the artifact server's limits too.
		let with_body =
			"GET /tasks/7/checkpoints HTTP/1.0\r\nHost: x\r\nContent-Length: 4096\r\n\r\n";
		assert!(exchange(addr, with_body).await.0.contains("413"));

		let bytes = ArtifactClient::new(AddressPolicy::AllowPrivate)
			.fetch_artifact(&format!("http://{addr}"), &second)
			.await
			.unwrap();
		assert_eq!(bytes, b"checkpoint 1");

		assert!(get(addr, "/tasks/7/checkpoints/1/proof").await.0.contains("409"), "incomplete");
		let mut run = RunRecord::new(spec());
		run.checkpoints = vec![first, second, store.put(b"checkpoint 2").unwrap()];
		let root = run.root();
		tasks
			.save(&TaskState { task_id: 7, run, phase: Phase::Claimed { deadline: 9 } })
			.unwrap();
		let (status, body) = get(addr, "/tasks/7/checkpoints/1/proof").await;
		assert!(status.contains("200"), "{status}");
		let served: serde_json::Value = serde_json::from_str(&body).unwrap();
		let hash = |value: &serde_json::Value| -> [u8; 32] {
			hex::decode(&value.as_str().unwrap()[2..]).unwrap().try_into().unwrap()
		};
		let proof = CheckpointProof {
			leaf: hash(&served["leaf"]),
			leaf_index: served["leaf_index"].as_u64().unwrap() as u32,
			number_of_leaves: served["number_of_leaves"].as_u64().unwrap() as u32,
			siblings: served["siblings"].as_array().unwrap().iter().map(hash).collect(),
		};
		assert_eq!((proof.leaf, proof.leaf_index, proof.number_of_leaves), (second, 1, 3));
		assert!(verify_checkpoint(&root, &proof));
		assert!(get(addr, "/tasks/7/checkpoints/3/proof").await.0.contains("404"));
		assert!(get(addr, "/tasks/7/checkpoints/x/proof").await.0.contains("400"));
	}
}
