//! A bounded load test: how fast a solver trains while its server answers many parallel
//! downloads. On a runtime set up as `main`'s, it trains a fixed task on a blocking thread (as the
//! solver does), in rounds of three runs: idle; while [`CLIENTS`] loopback clients download an
//! 8 MiB artifact in a loop from the solver's server, under its default limits, as fast as
//! loopback lets them; and while they do so at a 1 Gbit/s link's pace, all together. Refused
//! clients wait as `Retry-After` says. It prints samples/s and their ratio to idle, what was
//! served, and where the CPU time went (figures: `cairn_train::server`'s documentation). Under a
//! minute in release:
//!
//! `cargo test --release -p cairn-worker --bin cairn-worker -- --ignored serve_load --nocapture`

use std::{
	net::SocketAddr,
	path::Path,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use cairn_primitives::{
	task::Uri, Activation, Architecture, BoundedVec, Mlp, ModelInit, Optimizer, TaskSpec,
	TrainingConfig, VerificationPolicy,
};
use cairn_train::{dataset_ref, server::Limits, ArtifactStore, Dataset, Synthetic};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
};

use super::{server, state::TaskDir};
use crate::{record::RunRecord, training::train_run};

/// Clients downloading at once.
const CLIENTS: usize = 64;
/// Size of the artifact they download.
const ARTIFACT_BYTES: usize = 8 << 20;
/// What the clients take together, in bytes per second, when they keep a link's pace.
const LINK_RATE: f64 = 125e6;
/// Steps of each timed run: about three seconds in release on one core of a 2020s CPU.
const STEPS: u32 = 3_000;
/// Rounds of runs idle and under load: alternating, so that a change in the machine's other
/// load meanwhile affects each alike.
const ROUNDS: usize = 3;

/// The task trained: `steps` steps of the reference 64-256-256-10 MLP, batches of 128 samples,
/// on `dataset`.
fn spec(dataset: &[u8], steps: u32) -> TaskSpec {
	TaskSpec {
		name: BoundedVec::truncate_from(b"serve-load".to_vec()),
		license: BoundedVec::new(),
		model: ModelInit::Fresh {
			architecture: Architecture::Mlp(Mlp {
				input: 64,
				hidden: BoundedVec::truncate_from(vec![256, 256]),
				output: 10,
				activation: Activation::Relu,
			}),
			init_seed: 1,
		},
		dataset: dataset_ref(dataset, Uri::default()),
		training: TrainingConfig {
			optimizer: Optimizer::adam(1e-3),
			batch_size: 128,
			steps,
			data_order_seed: 2,
			checkpoint_interval: steps / 4,
		},
		verification: VerificationPolicy { verifiers: 1, segments_per_verifier: 1 },
	}
}

/// CPU time consumed by the thread whose `/proc` directory is `dir` (Linux's `schedstat`:
/// nanoseconds on a CPU), zero where it cannot be read.
fn cpu_time(dir: &Path) -> Duration {
	let text = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
	Duration::from_nanos(text.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// CPU time of this process, threads that have ended included (user and system time from
/// Linux's `/proc/self/stat`, in its fixed 100 ticks per second), zero where it cannot be read.
fn process_cpu_time() -> Duration {
	let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
	// The fields after the command's name, from the third (the state) on.
	let fields: Vec<&str> =
		text.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
	let ticks: u64 = fields
		.get(11..13)
		.into_iter()
		.flatten()
		.filter_map(|n| n.parse::<u64>().ok())
		.sum();
	Duration::from_millis(ticks * 10)
}

/// What a training run measured (or several, summed).
#[derive(Clone, Copy, Default)]
struct Run {
	samples_per_second: f64,
	/// CPU time of the thread that trained, from its first checkpoint to its last.
	training: Duration,
	/// CPU time of the whole process.
	process: Duration,
}

impl Run {
	/// `self` and `other` summed.
	fn add(self, other: Run) -> Run {
		Run {
			samples_per_second: self.samples_per_second + other.samples_per_second,
			training: self.training + other.training,
			process: self.process + other.process,
		}
	}
}

/// One training run of `spec` on a blocking thread of `runtime`.
fn train(
	runtime: &tokio::runtime::Runtime,
	spec: &TaskSpec,
	dataset: &Dataset,
	store: &ArtifactStore,
) -> Run {
	let (spec, dataset, store) = (spec.clone(), dataset.clone(), store.clone());
	let process = process_cpu_time();
	let (samples_per_second, training) = runtime
		.block_on(runtime.spawn_blocking(move || {
			// Each checkpoint is saved from the thread that trains (a pool's, not this one).
			let mut cpu = Vec::new();
			let outcome = train_run(
				&mut RunRecord::new(spec),
				&dataset,
				&store,
				&AtomicBool::new(false),
				|_| {
					cpu.push(cpu_time(Path::new("/proc/thread-self")));
					Ok(())
				},
			)
			.unwrap();
			let training = cpu.last().zip(cpu.first()).map_or(Duration::ZERO, |(l, f)| *l - *f);
			(outcome.samples_per_second, training)
		}))
		.unwrap();
	Run { samples_per_second, training, process: process_cpu_time().saturating_sub(process) }
}

/// What the clients did, counted as they go.
#[derive(Default)]
struct Counters {
	/// Downloads completed.
	served: AtomicU64,
	/// Requests answered 503.
	refused: AtomicU64,
	/// Body bytes received.
	bytes: AtomicU64,
}

/// What the clients did over a loaded run (or several, summed), and what it cost.
#[derive(Clone, Copy, Default)]
struct Load {
	served: u64,
	refused: u64,
	bytes: u64,
	/// CPU time of the clients' thread.
	clients: Duration,
	seconds: f64,
}

impl Load {
	/// `self` and `other` summed.
	fn add(self, other: Load) -> Load {
		Load {
			served: self.served + other.served,
			refused: self.refused + other.refused,
			bytes: self.bytes + other.bytes,
			clients: self.clients + other.clients,
			seconds: self.seconds + other.seconds,
		}
	}
}

/// Downloads `path` from `address` over kept-alive connections until `stop`, counting into
/// `counters`; a refused request waits a second, as `Retry-After` says, before asking again.
/// With a `pace`, every client waits after each read until the bytes all of them received since
/// `started` are within that many per second.
async fn client(
	address: SocketAddr,
	path: String,
	pace: Option<(tokio::time::Instant, f64)>,
	counters: Arc<Counters>,
	stop: Arc<AtomicBool>,
) {
	let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
	let mut buffer = vec![0u8; 64 << 10];
	while !stop.load(Ordering::Relaxed) {
		let Ok(mut stream) = TcpStream::connect(address).await else {
			tokio::time::sleep(Duration::from_millis(10)).await;
			continue;
		};
		while !stop.load(Ordering::Relaxed) {
			if stream.write_all(request.as_bytes()).await.is_err() {
				break;
			}
			let Some((status, mut left)) = read_head(&mut stream, &mut buffer, &counters).await
			else {
				break;
			};
			// Stopped clients leave a download half read: the connection is dropped.
			while left > 0 && !stop.load(Ordering::Relaxed) {
				let read = match stream.read(&mut buffer[..left.min(64 << 10)]).await {
					Ok(0) | Err(_) => break,
					Ok(read) => read,
				};
				left -= read;
				let total = counters.bytes.fetch_add(read as u64, Ordering::Relaxed) + read as u64;
				if let Some((started, rate)) = pace {
					let due = started + Duration::from_secs_f64(total as f64 / rate);
					tokio::time::sleep_until(due).await;
				}
			}
			if left > 0 {
				break;
			}
			if status == 200 {
				counters.served.fetch_add(1, Ordering::Relaxed);
			} else {
				counters.refused.fetch_add(1, Ordering::Relaxed);
				tokio::time::sleep(Duration::from_secs(1)).await;
			}
		}
	}
}

/// Reads a response head from `stream`: its status and the body bytes still to read (body bytes
/// read with the head are counted as received). `None` when the connection ends first.
async fn read_head(
	stream: &mut TcpStream,
	buffer: &mut [u8],
	counters: &Counters,
) -> Option<(u16, usize)> {
	let mut head = Vec::new();
	loop {
		let read = stream.read(buffer).await.ok().filter(|&read| read > 0)?;
		head.extend_from_slice(&buffer[..read]);
		let Some(end) = head.windows(4).position(|window| window == b"\r\n\r\n") else {
			continue;
		};
		let text = String::from_utf8_lossy(&head[..end]).to_lowercase();
		let status = text.get(9..12)?.parse().ok()?;
		let length: usize = text
			.lines()
			.find_map(|line| line.strip_prefix("content-length:"))
			.and_then(|value| value.trim().parse().ok())?;
		let received = head.len() - end - 4;
		counters.bytes.fetch_add(received as u64, Ordering::Relaxed);
		return Some((status, length.saturating_sub(received)));
	}
}

/// Runs `work` while [`CLIENTS`] clients download `path` from `address` (at `rate` bytes per
/// second, all together, if given) on a thread of their own, as they would from other machines,
/// from half a second before it starts until it ends.
fn under_load<R>(
	address: SocketAddr,
	path: &str,
	rate: Option<f64>,
	work: impl FnOnce() -> R,
) -> (R, Load) {
	let counters = Arc::new(Counters::default());
	let stop = Arc::new(AtomicBool::new(false));
	let (thread_dir, clients_dir) = std::sync::mpsc::channel();
	let clients = std::thread::spawn({
		let (counters, stop, path) = (counters.clone(), stop.clone(), path.to_owned());
		move || {
			let _ = thread_dir.send(std::fs::canonicalize("/proc/thread-self").unwrap_or_default());
			let runtime =
				tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
			runtime.block_on(async {
				let pace = rate.map(|rate| (tokio::time::Instant::now(), rate));
				let clients: Vec<_> = (0..CLIENTS)
					.map(|_| {
						let client =
							client(address, path.clone(), pace, counters.clone(), stop.clone());
						tokio::spawn(client)
					})
					.collect();
				for client in clients {
					let _ = client.await;
				}
			});
		}
	});
	let clients_dir = clients_dir.recv().unwrap();
	// Every client has asked by then, and some have been refused.
	std::thread::sleep(Duration::from_millis(500));
	let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
	let before = (count(&counters.served), count(&counters.refused), count(&counters.bytes));
	let (cpu, started) = (cpu_time(&clients_dir), Instant::now());
	let result = work();
	let load = Load {
		served: count(&counters.served) - before.0,
		refused: count(&counters.refused) - before.1,
		bytes: count(&counters.bytes) - before.2,
		clients: cpu_time(&clients_dir).saturating_sub(cpu),
		seconds: started.elapsed().as_secs_f64(),
	};
	stop.store(true, Ordering::Relaxed);
	clients.join().unwrap();
	(result, load)
}

#[test]
#[ignore = "a load benchmark: run it in release with --ignored serve_load --nocapture"]
fn serve_load() {
	// As `#[tokio::main]` builds the worker's: one async worker thread per core.
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	let dir = tempfile::tempdir().unwrap();
	let store = ArtifactStore::open(dir.path().join("artifacts")).unwrap();
	let tasks = TaskDir::open(dir.path().join("tasks")).unwrap();
	let artifact: Vec<u8> = (0..ARTIFACT_BYTES).map(|i| (i % 251) as u8).collect();
	let path = format!("/artifacts/{}", hex::encode(store.put(&artifact).unwrap()));
	let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
	let address = listener.local_addr().unwrap();
	let _server = server::start(listener, store.clone(), tasks, Limits::default()).unwrap();

	let bytes = Synthetic { seed: 1, samples: 60_000, features: 64, classes: 10 }
		.generate()
		.unwrap();
	let dataset = Dataset::from_bytes(&bytes, &spec(&bytes, STEPS).dataset).unwrap();
	// The first run pays for allocations and page faults.
	train(&runtime, &spec(&bytes, STEPS / 10), &dataset, &store);
	let spec = spec(&bytes, STEPS);
	let train_once = || train(&runtime, &spec, &dataset, &store);

	let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
	println!(
		"serve_load: {STEPS} steps of a 64-256-256-10 MLP, batches of 128, on {cores} cores; \
		 {CLIENTS} clients, {} requests served at once at most",
		Limits::default().max_requests
	);
	let modes = [("flat out", None), ("at 1 Gbit/s", Some(LINK_RATE))];
	let mut idle = 0.0;
	let mut loaded = [(Run::default(), Load::default()); 2];
	for round in 1..=ROUNDS {
		let alone = train_once().samples_per_second;
		idle += alone;
		let mut line = format!("  round {round}: {alone:.0} samples/s idle");
		for ((name, rate), total) in modes.iter().zip(&mut loaded) {
			let (run, load) = under_load(address, &path, *rate, train_once);
			let samples = run.samples_per_second;
			line += &format!(", {samples:.0} {name} ({:.2})", samples / alone);
			*total = (total.0.add(run), total.1.add(load));
		}
		println!("{line}");
	}
	let idle = idle / ROUNDS as f64;
	println!("  mean idle: {idle:.0} samples/s");
	for ((name, _), (run, load)) in modes.iter().zip(loaded) {
		let samples = run.samples_per_second / ROUNDS as f64;
		let per_second = |count: u64| count as f64 / load.seconds;
		println!(
			"  {name}: {samples:.0} samples/s, ratio {:.2}; served {:.1} downloads/s \
			 ({:.0} MiB/s), refused {:.1}/s; CPU over {:.1} s: training {:.1?}, clients \
			 {:.1?}, server and the rest {:.1?}",
			samples / idle,
			per_second(load.served),
			per_second(load.bytes) / f64::from(1 << 20),
			per_second(load.refused),
			load.seconds,
			run.training,
			load.clients,
			run.process.saturating_sub(run.training + load.clients),
		);
	}
}
