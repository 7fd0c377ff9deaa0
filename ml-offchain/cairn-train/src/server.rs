//! The artifact server: `GET /artifacts/<64 hex digits>` answers with the artifact's bytes
//! (`application/octet-stream`, streamed from disk with its `Content-Length`: a large artifact is
//! never held in memory whole), 404 when the store lacks it and 400 for a malformed hash.
//!
//! The server does not re-hash what it serves: every client checks each download against the
//! hash it asked for ([`crate::client`]), so neither the server nor the transport is trusted.
//!
//! # Limits
//!
//! Every router a [`Server`] serves (the artifact routes, and any merged with them) runs
//! under [`Limits`], so that no client, whether many at once, stalled or slow, holds more than a
//! bounded share of the process:
//! - **Requests in flight** ([`Limits::max_requests`]): a request beyond the cap is answered at
//!   once with 503 and `Retry-After`, never queued, so a burst builds no backlog of open files
//!   and buffers. A request holds its slot until the last byte of its response is sent (or its
//!   connection closes), not merely until its handler returns: responses stream from disk.
//! - **Request bodies**: every route is a GET and reads no body, so a request announcing more
//!   than [`MAX_REQUEST_BODY`] bytes, or a chunked body of unknown length, is refused with 413
//!   without reading it.
//! - **Request heads** ([`Limits::header_timeout`]): a connection must send a whole request head
//!   within this time of opening or of its previous response ending (hyper's header read
//!   timeout), so a client that connects and stalls, or trickles its headers, or keeps an idle
//!   keep-alive connection, is cut off. hyper caps the head's size (its read buffer, about
//!   400 KiB) meanwhile.
//! - **Responses** ([`Limits::response_timeout`]): a connection is closed once this much time has
//!   passed since it opened or since its latest request arrived, so a client that reads a
//!   response too slowly, or not at all, releases its request slot.
//! - **Connections** ([`Limits::max_connections`]): beyond the cap, new connections wait in the
//!   listen backlog until one closes; with the timeouts above, a slot comes back within bounded
//!   time. This bounds open sockets and hyper's per-connection buffers.
//!
//! axum's own `serve` sets hyper no timer, so hyper's header timeout cannot be turned on there:
//! connections are served here with hyper's HTTP/1 builder instead.
//!
//! These limits bound what each client holds; they do not tell clients apart, so enough
//! connections from one host still take every slot (per-host limits belong in front of the
//! server, in a reverse proxy or a firewall).
//!
//! # Threads
//!
//! Serving is CPU work, most of it the kernel's (copies, TCP). A [`Server`] runs on a runtime
//! of its own, one async thread and at most [`BLOCKING_THREADS`] for blocking work (file reads),
//! so that whatever its clients do it takes about one core, and a process that trains on other
//! threads keeps the rest; on a runtime shared with the process, a burst of downloads takes
//! every async thread and a blocking thread per file read besides. It reads files 256 KiB at a
//! time rather than tokio's 4 KiB, since every read is a hand-off to a blocking thread.
//! Measured with cairn-worker's `serve_load` (release, 2 cores, 64 loopback clients of an 8 MiB
//! artifact): at a 1 Gbit/s link's pace, serving takes 0.05 core and training keeps 0.95 to 0.99
//! of its idle speed, where 4 KiB reads on the shared runtime took 0.6 to 1 core and left it
//! 0.51 to 0.72; flat out, serving 1.4 to 1.7 GiB/s (0.2 before), the server takes 0.8 to 0.9
//! core, the clients on the same cores a third of one, and training keeps 0.55 to 0.6.

use std::{
	convert::Infallible,
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
	time::Duration,
};

use axum::{
	body::{Body, Bytes, HttpBody},
	extract::{Path, Request, State},
	http::{header, StatusCode},
	middleware::{self, Next},
	response::{IntoResponse, Response},
	routing::get,
	Router,
};
use hyper::{
	body::{Frame, SizeHint},
	server::conn::http1,
	service::{service_fn, Service},
};
use hyper_util::{
	rt::{TokioIo, TokioTimer},
	service::TowerToHyperService,
};
use tokio::{
	net::{TcpListener, TcpStream},
	runtime::Runtime,
	sync::{watch, OwnedSemaphorePermit, Semaphore},
	task::{JoinError, JoinHandle, JoinSet},
	time::Instant,
};

use crate::store::{parse_hash, ArtifactStore};

/// Default of [`Limits::max_requests`].
pub const DEFAULT_MAX_REQUESTS: usize = 32;
/// Default of [`Limits::max_connections`]: far below the usual 1024 open files per process.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Largest request body a request may announce: the routes are GET only and read none.
pub const MAX_REQUEST_BODY: u64 = 1024;
/// Threads a [`Server`] may start for blocking work, besides its one async thread.
pub const BLOCKING_THREADS: usize = 2;
/// Seconds a client refused for lack of a slot is asked to wait before trying again.
const RETRY_AFTER_SECONDS: &str = "1";
/// Bytes read from an artifact file at a time: tokio reads files on its blocking threads, one
/// hand-off per read, which costs far more than the copy at its 4 KiB default.
const READ_CHUNK: usize = 256 << 10;

/// What a server lets its clients take (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Requests served at once; more are answered 503 with `Retry-After`.
	pub max_requests: usize,
	/// Connections open at once; more wait to be accepted.
	pub max_connections: usize,
	/// Longest a connection may take to send a request head, from its opening or from the end
	/// of its previous response.
	pub header_timeout: Duration,
	/// Longest a connection stays open after it opened or its latest request arrived: the time
	/// a response has to be sent whole.
	pub response_timeout: Duration,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			max_requests: DEFAULT_MAX_REQUESTS,
			max_connections: DEFAULT_MAX_CONNECTIONS,
			header_timeout: Duration::from_secs(10),
			// As long as the longest download a Cairn worker waits for (a dataset's).
			response_timeout: Duration::from_secs(300),
		}
	}
}

/// The routes of the artifact server over `store`.
pub fn router(store: ArtifactStore) -> Router {
	Router::new().route("/artifacts/{hash}", get(artifact)).with_state(store)
}

/// An artifact server running on threads of its own; dropping it stops the server and closes
/// its connections.
pub struct Server {
	/// Always there but in `drop`, which takes it.
	runtime: Option<Runtime>,
	serving: JoinHandle<Infallible>,
}

impl Server {
	/// Serves `routes` on `listener` under `limits` on a runtime of its own (see the module's
	/// documentation on threads).
	pub fn start(listener: TcpListener, routes: Router, limits: Limits) -> std::io::Result<Self> {
		let listener = listener.into_std()?;
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.max_blocking_threads(BLOCKING_THREADS)
			.thread_name("artifact-server")
			.enable_all()
			.build()?;
		// The server's runtime drives the listener's accepts from now on.
		let registered = {
			let _runtime = runtime.enter();
			TcpListener::from_std(listener)
		};
		match registered {
			Ok(listener) => {
				let serving = runtime.spawn(serve(listener, routes, limits));
				Ok(Self { runtime: Some(runtime), serving })
			},
			Err(error) => {
				// Dropped whole, the runtime would wait for its threads on a caller's async one.
				runtime.shutdown_background();
				Err(error)
			},
		}
	}

	/// Waits for the server to stop, which it does only by panicking; returns the panic.
	pub async fn stopped(&mut self) -> JoinError {
		match (&mut self.serving).await {
			Ok(never) => match never {},
			Err(error) => error,
		}
	}
}

impl Drop for Server {
	fn drop(&mut self) {
		// Without waiting: the server may be dropped on an async thread.
		if let Some(runtime) = self.runtime.take() {
			runtime.shutdown_background();
		}
	}
}

/// Serves `routes` on `listener` under `limits` until the task is dropped, which closes every
/// connection it serves.
async fn serve(mut listener: TcpListener, routes: Router, limits: Limits) -> Infallible {
	let slots = Arc::new(Semaphore::new(limits.max_requests));
	let routes = routes.layer(middleware::from_fn_with_state(slots, admit));
	let mut connections = JoinSet::new();
	loop {
		while connections.len() >= limits.max_connections.max(1) {
			connections.join_next().await;
		}
		tokio::select! {
			// axum's listener retries failed accepts (pausing when out of file descriptors).
			(stream, _) = axum::serve::Listener::accept(&mut listener) => {
				connections.spawn(connection(stream, routes.clone(), limits));
			},
			// Reaps connections as they end, so that the count above is of open ones.
			Some(_) = connections.join_next() => {},
		}
	}
}

/// Serves one connection until the client closes it or one of `limits`' timeouts cuts it off.
async fn connection(stream: TcpStream, routes: Router, limits: Limits) {
	let (arrived, latest) = watch::channel(Instant::now());
	let routes = TowerToHyperService::new(routes);
	let service = service_fn(move |request| {
		arrived.send_replace(Instant::now());
		routes.call(request)
	});
	let serving = http1::Builder::new()
		.timer(TokioTimer::new())
		.header_read_timeout(limits.header_timeout)
		.serve_connection(TokioIo::new(stream), service);
	// Dropping the connection drops the response being sent, and with it the request's slot.
	tokio::select! {
		_ = serving => {},
		() = expiry(latest, limits.response_timeout) => {},
	}
}

/// Returns `timeout` after the latest instant `latest` holds, waiting on as it is updated.
async fn expiry(mut latest: watch::Receiver<Instant>, timeout: Duration) {
	loop {
		let deadline = *latest.borrow_and_update() + timeout;
		tokio::select! {
			() = tokio::time::sleep_until(deadline) => return,
			// Once the connection has ended nothing updates it, and the deadline alone is left.
			Ok(()) = latest.changed() => {},
		}
	}
}

/// Passes `request` on if it announces no body to speak of and a request slot is free; the
/// response keeps the slot until it is sent.
async fn admit(State(slots): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
	if request
		.body()
		.size_hint()
		.upper()
		.is_none_or(|length| length > MAX_REQUEST_BODY)
	{
		return (StatusCode::PAYLOAD_TOO_LARGE, "requests carry no body\n").into_response();
	}
	let Ok(slot) = slots.try_acquire_owned() else {
		let retry = [(header::RETRY_AFTER, RETRY_AFTER_SECONDS)];
		return (StatusCode::SERVICE_UNAVAILABLE, retry, "too many requests, retry later\n")
			.into_response();
	};
	next.run(request).await.map(|body| Body::new(Holding { body, _slot: slot }))
}

/// A response body that holds its request's slot until it is dropped: sent whole, or cut off
/// with its connection.
struct Holding {
	body: Body,
	_slot: OwnedSemaphorePermit,
}

impl HttpBody for Holding {
	type Data = Bytes;
	type Error = axum::Error;

	fn poll_frame(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
	) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
		Pin::new(&mut self.body).poll_frame(cx)
	}

	fn is_end_stream(&self) -> bool {
		self.body.is_end_stream()
	}

	fn size_hint(&self) -> SizeHint {
		self.body.size_hint()
	}
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
			let stream = tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK);
			(headers, Body::from_stream(stream)).into_response()
		},
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
			(StatusCode::NOT_FOUND, "no such artifact\n").into_response()
		},
		Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot read artifact\n").into_response(),
	}
}
