//! What a provider is doing, as Prometheus metrics: `run --metrics-listen ADDR` serves
//! `GET /metrics` in the text exposition format. One set of counters per process, updated where
//! the work happens (the block loop, training, the artifact server):
//!
//! - `cairn_worker_tasks{phase}`: a solver's task records by phase;
//! - `cairn_worker_training_steps_total` and `cairn_worker_training_samples_per_second` (over the
//!   last segment trained);
//! - `cairn_worker_artifact_bytes_served_total` and `cairn_worker_artifact_requests_total`;
//! - `cairn_worker_finalized_block` (the last finalized block handled) and
//!   `cairn_worker_seconds_since_finalized_block` (chain lag: a stalled node or a stuck loop shows
//!   as a growing age);
//! - `cairn_worker_extrinsics_total{outcome}`: extrinsics sent, by outcome.

use std::{
	collections::BTreeMap,
	fmt::Write,
	sync::{
		atomic::{AtomicU64, Ordering},
		LazyLock, Mutex,
	},
	time::Instant,
};

use axum::{http::header, response::IntoResponse, routing::get, Router};
use tokio::net::TcpListener;

/// The process's metrics.
static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::default);

#[derive(Default)]
struct Metrics {
	tasks: Mutex<BTreeMap<&'static str, u64>>,
	training_steps: AtomicU64,
	/// `f64` bits.
	samples_per_second: AtomicU64,
	bytes_served: AtomicU64,
	requests: AtomicU64,
	finalized_block: AtomicU64,
	finalized_at: Mutex<Option<Instant>>,
	extrinsics: Mutex<BTreeMap<&'static str, u64>>,
}

/// Replaces the counts of task records by phase.
pub fn set_tasks(by_phase: impl IntoIterator<Item = &'static str>) {
	let mut counts = BTreeMap::new();
	for phase in by_phase {
		*counts.entry(phase).or_insert(0u64) += 1;
	}
	*lock(&METRICS.tasks) = counts;
}

/// `steps` more training steps were taken, at `samples_per_second`.
pub fn trained(steps: u32, samples_per_second: f64) {
	METRICS.training_steps.fetch_add(u64::from(steps), Ordering::Relaxed);
	METRICS
		.samples_per_second
		.store(samples_per_second.to_bits(), Ordering::Relaxed);
}

/// An artifact request was answered with `bytes` bytes of body.
pub fn served(bytes: u64) {
	METRICS.requests.fetch_add(1, Ordering::Relaxed);
	METRICS.bytes_served.fetch_add(bytes, Ordering::Relaxed);
}

/// Finalized block `number` is being handled.
pub fn finalized(number: u64) {
	METRICS.finalized_block.store(number, Ordering::Relaxed);
	*lock(&METRICS.finalized_at) = Some(Instant::now());
}

/// An extrinsic was sent with `outcome` (`included`, `refused` or `unknown`).
pub fn extrinsic(outcome: &'static str) {
	*lock(&METRICS.extrinsics).entry(outcome).or_insert(0) += 1;
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The metrics in Prometheus' text exposition format.
pub fn render() -> String {
	let metrics = &*METRICS;
	let mut out = String::new();
	let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
		let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
		for (labels, value) in samples {
			let _ = writeln!(out, "{name}{labels} {value}");
		}
	};
	let labelled = |label: &str, counts: &BTreeMap<&'static str, u64>| -> Vec<(String, String)> {
		counts
			.iter()
			.map(|(key, n)| (format!("{{{label}=\"{key}\"}}"), n.to_string()))
			.collect()
	};
	let plain = |value: String| vec![(String::new(), value)];
	family(
		"cairn_worker_tasks",
		"gauge",
		"Task records of this solver, by phase.",
		&labelled("phase", &lock(&metrics.tasks)),
	);
	family(
		"cairn_worker_training_steps_total",
		"counter",
		"Training steps taken.",
		&plain(metrics.training_steps.load(Ordering::Relaxed).to_string()),
	);
	family(
		"cairn_worker_training_samples_per_second",
		"gauge",
		"Training throughput over the last segment trained.",
		&plain(f64::from_bits(metrics.samples_per_second.load(Ordering::Relaxed)).to_string()),
	);
	family(
		"cairn_worker_artifact_requests_total",
		"counter",
		"Artifact requests answered with a body.",
		&plain(metrics.requests.load(Ordering::Relaxed).to_string()),
	);
	family(
		"cairn_worker_artifact_bytes_served_total",
		"counter",
		"Bytes of artifacts served.",
		&plain(metrics.bytes_served.load(Ordering::Relaxed).to_string()),
	);
	family(
		"cairn_worker_finalized_block",
		"gauge",
		"Number of the last finalized block handled.",
		&plain(metrics.finalized_block.load(Ordering::Relaxed).to_string()),
	);
	let age = lock(&metrics.finalized_at).map(|at| at.elapsed().as_secs_f64());
	family(
		"cairn_worker_seconds_since_finalized_block",
		"gauge",
		"Seconds since the last finalized block was handled (NaN before the first).",
		&plain(age.map_or("NaN".into(), |age| format!("{age:.3}"))),
	);
	family(
		"cairn_worker_extrinsics_total",
		"counter",
		"Extrinsics sent, by outcome.",
		&labelled("outcome", &lock(&metrics.extrinsics)),
	);
	out
}

/// Serves `GET /metrics` on `listener` until the listener fails.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
	let metrics = || async {
		([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], render()).into_response()
	};
	axum::serve(listener, Router::new().route("/metrics", get(metrics))).await
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The value of the sample line starting with `prefix` (name and labels).
	fn sample(text: &str, prefix: &str) -> f64 {
		text.lines()
			.find_map(|line| line.strip_prefix(prefix)?.strip_prefix(' '))
			.unwrap_or_else(|| panic!("no sample {prefix} in\n{text}"))
			.parse()
			.unwrap()
	}

	#[test]
	fn the_exposition_carries_every_family_with_what_was_counted() {
		set_tasks(["claimed", "submitted", "submitted"]);
		trained(30, 1500.0);
		served(4096);
		finalized(17);
		extrinsic("included");
		let text = render();
		assert_eq!(sample(&text, "cairn_worker_tasks{phase=\"submitted\"}"), 2.0);
		assert_eq!(sample(&text, "cairn_worker_tasks{phase=\"claimed\"}"), 1.0);
		assert!(sample(&text, "cairn_worker_training_steps_total") >= 30.0);
		assert_eq!(sample(&text, "cairn_worker_training_samples_per_second"), 1500.0);
		assert!(sample(&text, "cairn_worker_artifact_bytes_served_total") >= 4096.0);
		assert_eq!(sample(&text, "cairn_worker_finalized_block"), 17.0);
		assert!(sample(&text, "cairn_worker_seconds_since_finalized_block") < 60.0);
		assert!(sample(&text, "cairn_worker_extrinsics_total{outcome=\"included\"}") >= 1.0);
		for line in text.lines().filter(|line| !line.starts_with('#')) {
			assert!(line.starts_with("cairn_worker_"), "{line}");
		}
		assert_eq!(text.matches("# TYPE ").count(), 8);
	}
}
