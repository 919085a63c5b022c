//! Prometheus metrics and a health endpoint, served with `cco run --listen ADDR`:
//!
//! - `GET /metrics`: the Prometheus text format: `cco_jobs{state}`,
//!   `cco_sends_total{chain,result}`, `cco_destination_up{chain}`, `cco_reports_total{result}`,
//!   `cco_qsign_finalized_block`, `cco_qsign_next_block`;
//! - `GET /health`: JSON; `200` while the relayer follows QSign (its latest scan succeeded,
//!   and its loop made a pass recently), `503` with the reason otherwise (also while starting). Destinations' breakers are listed but do not make the
//!   relayer unhealthy (one chain down is that chain's problem, and is in `cco_destination_up`).
//!
//! Hostile input: only `GET` of these two paths is answered; request headers must arrive within
//! [`HEADER_TIMEOUT`], and at most [`MAX_CONNECTIONS`] connections are served at once.

use std::{
	collections::BTreeMap,
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::Duration,
};

use http_body_util::Full;
use hyper::{body::Bytes, Method, Request, Response, StatusCode};
use prometheus::{Encoder, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use serde::Serialize;

use crate::{
	driver::DestinationHealth,
	error::{Error, Result},
};

/// How long a client may take to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once (more wait to be accepted).
pub const MAX_CONNECTIONS: usize = 32;
/// The longest a connection is served (a client that never reads its answers is dropped).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The relayer's metrics.
pub struct Metrics {
	registry: Registry,
	/// Jobs by state.
	pub jobs: IntGaugeVec,
	/// Sends to destination chains by chain and result (`sent`, `nonceTooLow`, `rejected`,
	/// `unreachable`).
	pub sends: IntCounterVec,
	/// 1 while a destination's breaker is closed, 0 while it is open or being probed.
	pub destination_up: IntGaugeVec,
	/// Reports on QSign by outcome (`reported` by us, `byOther` relayer first, `failed`).
	pub reports: IntCounterVec,
	/// The latest finalized QSign block seen.
	pub qsign_finalized: IntGauge,
	/// The next QSign block to scan.
	pub qsign_next: IntGauge,
	/// What `/health` answers, and until when (a relayer whose loop stopped making passes
	/// is not healthy, whatever its last pass said).
	health: Mutex<(Health, Option<std::time::Instant>)>,
}

/// What `/health` shows.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
	/// Whether the relayer follows QSign (its latest scan succeeded).
	pub following_qsign: bool,
	/// Why not, when it does not.
	pub reason: Option<String>,
	/// The latest finalized QSign block seen.
	pub finalized_qsign_block: Option<u32>,
	/// The next QSign block to scan.
	pub next_qsign_block: Option<u32>,
	/// Each destination's breaker.
	pub destinations: BTreeMap<u64, DestinationHealth>,
}

fn metric_error(e: prometheus::Error) -> Error {
	Error::Config(format!("metrics: {e}"))
}

impl Metrics {
	/// A fresh set of metrics in a registry of its own.
	///
	/// # Errors
	///
	/// Only if a metric is defined twice (a bug).
	pub fn new() -> Result<Self> {
		let registry = Registry::new();
		let jobs = IntGaugeVec::new(Opts::new("cco_jobs", "Relayer jobs by state"), &["state"])
			.map_err(metric_error)?;
		let sends = IntCounterVec::new(
			Opts::new("cco_sends_total", "Transactions sent to destination chains"),
			&["chain", "result"],
		)
		.map_err(metric_error)?;
		let destination_up = IntGaugeVec::new(
			Opts::new("cco_destination_up", "1 while the destination's circuit breaker is closed"),
			&["chain"],
		)
		.map_err(metric_error)?;
		let reports = IntCounterVec::new(
			Opts::new("cco_reports_total", "Reports on QSign by result"),
			&["result"],
		)
		.map_err(metric_error)?;
		let qsign_finalized =
			IntGauge::new("cco_qsign_finalized_block", "Latest finalized QSign block seen")
				.map_err(metric_error)?;
		let qsign_next = IntGauge::new("cco_qsign_next_block", "Next QSign block to scan")
			.map_err(metric_error)?;
		registry.register(Box::new(jobs.clone())).map_err(metric_error)?;
		registry.register(Box::new(sends.clone())).map_err(metric_error)?;
		registry.register(Box::new(destination_up.clone())).map_err(metric_error)?;
		registry.register(Box::new(reports.clone())).map_err(metric_error)?;
		registry.register(Box::new(qsign_finalized.clone())).map_err(metric_error)?;
		registry.register(Box::new(qsign_next.clone())).map_err(metric_error)?;
		Ok(Self {
			registry,
			jobs,
			sends,
			destination_up,
			reports,
			qsign_finalized,
			qsign_next,
			health: Mutex::new((
				Health {
					reason: Some("starting: connecting to QSign and the destinations".into()),
					..Health::default()
				},
				None,
			)),
		})
	}

	/// Counts one send to `chain_id` with `result`.
	pub fn sent(&self, chain_id: u64, result: &str) {
		self.sends.with_label_values(&[chain_id.to_string().as_str(), result]).inc();
	}

	/// Replaces what `/health` shows (and the gauges that mirror it), valid for `valid_for`:
	/// without a newer one by then, the relayer is reported stalled.
	pub fn set_health(&self, health: Health, valid_for: Duration) {
		for (chain, destination) in &health.destinations {
			let up = destination.breaker == crate::driver::BreakerState::Closed;
			self.destination_up.with_label_values(&[chain.to_string().as_str()]).set(up.into());
		}
		if let Some(block) = health.finalized_qsign_block {
			self.qsign_finalized.set(block.into());
		}
		if let Some(block) = health.next_qsign_block {
			self.qsign_next.set(block.into());
		}
		if let Ok(mut shared) = self.health.lock() {
			*shared = (health, Some(std::time::Instant::now() + valid_for));
		}
	}

	/// Sets the jobs-by-state gauge (states absent from `counts` read 0).
	pub fn set_job_counts(&self, counts: &BTreeMap<String, usize>) {
		for state in ["queued", "sent", "included", "reported", "noDestination", "failed"] {
			let count = counts.get(state).copied().unwrap_or(0);
			self.jobs.with_label_values(&[state]).set(i64::try_from(count).unwrap_or(i64::MAX));
		}
	}

	/// The Prometheus text of every metric.
	pub fn text(&self) -> Vec<u8> {
		let mut buffer = Vec::new();
		// Encoding gathered families into a Vec cannot fail for well-formed metrics.
		if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
			tracing::warn!("encoding metrics: {e}");
		}
		buffer
	}

	/// The health as shown, and whether it is healthy.
	pub fn health(&self) -> (Health, bool) {
		let (mut health, valid_until) = self.health.lock().map(|h| h.clone()).unwrap_or_default();
		let fresh = valid_until.is_some_and(|until| std::time::Instant::now() < until);
		if valid_until.is_some() && !fresh {
			health.reason = Some("the relayer's loop made no pass recently (stalled)".into());
		}
		let healthy = health.following_qsign && fresh;
		(health, healthy)
	}

	/// The answer to one HTTP request.
	pub fn answer<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
		let reply = |status: StatusCode, content_type: &str, body: Vec<u8>| {
			let mut response = Response::new(Full::new(Bytes::from(body)));
			*response.status_mut() = status;
			if let Ok(value) = content_type.parse() {
				response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
			}
			response
		};
		if request.method() != Method::GET {
			return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", b"GET only\n".to_vec());
		}
		match request.uri().path() {
			"/metrics" => reply(StatusCode::OK, "text/plain; version=0.0.4", self.text()),
			"/health" => {
				let (health, healthy) = self.health();
				let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
				let body = serde_json::to_vec_pretty(&health).unwrap_or_default();
				reply(status, "application/json", body)
			}
			_ => reply(StatusCode::NOT_FOUND, "text/plain", b"/metrics or /health\n".to_vec()),
		}
	}
}

/// Binds `addr` for [`serve`].
///
/// # Errors
///
/// [`Error::Config`] when the address cannot be bound (in use, not local).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
	tokio::net::TcpListener::bind(addr)
		.await
		.map_err(|e| Error::Config(format!("--listen {addr}: {e}")))
}

/// Serves `/metrics` and `/health` on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
	let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
	loop {
		let Ok(permit) = slots.clone().acquire_owned().await else { return };
		let stream = match listener.accept().await {
			Ok((stream, _)) => stream,
			Err(e) => {
				// E.g. out of file descriptors: wait rather than spin.
				tracing::debug!("metrics endpoint: accept: {e}");
				tokio::time::sleep(Duration::from_millis(100)).await;
				continue;
			}
		};
		let metrics = metrics.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |request: Request<_>| {
				let response = metrics.answer(&request);
				async move { Ok::<_, std::convert::Infallible>(response) }
			});
			let connection = hyper::server::conn::http1::Builder::new()
				.timer(hyper_util::rt::TokioTimer::new())
				.header_read_timeout(HEADER_TIMEOUT)
				.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
			match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
				Ok(Err(e)) => tracing::debug!("metrics endpoint: {e}"),
				Err(_) => tracing::debug!("metrics endpoint: connection served too long; closed"),
				Ok(Ok(())) => {}
			}
			drop(permit);
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::driver::BreakerState;

	fn get(path: &str) -> Request<()> {
		Request::builder().uri(path).body(()).unwrap()
	}

	#[test]
	fn metrics_are_in_the_prometheus_text_format() {
		let metrics = Metrics::new().unwrap();
		metrics.sent(31337, "sent");
		metrics.sent(31337, "sent");
		metrics.set_job_counts(&BTreeMap::from([("sent".to_string(), 3)]));
		let text = String::from_utf8(metrics.text()).unwrap();
		assert!(text.contains("cco_sends_total{chain=\"31337\",result=\"sent\"} 2"), "{text}");
		assert!(text.contains("cco_jobs{state=\"sent\"} 3"), "{text}");
		assert!(text.contains("cco_jobs{state=\"failed\"} 0"), "{text}");
		assert_eq!(metrics.answer(&get("/metrics")).status(), StatusCode::OK);
	}

	#[test]
	fn health_follows_qsign_and_lists_destinations() {
		let metrics = Metrics::new().unwrap();
		// Before the first scan: not healthy.
		assert_eq!(metrics.answer(&get("/health")).status(), StatusCode::SERVICE_UNAVAILABLE);
		let down = DestinationHealth {
			breaker: BreakerState::Open,
			consecutive_failures: 3,
			last_error: Some("connection refused".into()),
			probe_in_secs: Some(5),
		};
		let following = Health {
			following_qsign: true,
			reason: None,
			finalized_qsign_block: Some(10),
			next_qsign_block: Some(11),
			destinations: BTreeMap::from([(1, down)]),
		};
		metrics.set_health(following.clone(), Duration::from_secs(60));
		// A destination down does not make the relayer unhealthy; it shows in the gauge.
		assert_eq!(metrics.answer(&get("/health")).status(), StatusCode::OK);
		// A health that was not renewed in time: the loop stalled.
		metrics.set_health(following, Duration::ZERO);
		assert_eq!(metrics.answer(&get("/health")).status(), StatusCode::SERVICE_UNAVAILABLE);
		assert!(metrics.health().0.reason.unwrap().contains("stalled"));
		let text = String::from_utf8(metrics.text()).unwrap();
		assert!(text.contains("cco_destination_up{chain=\"1\"} 0"), "{text}");
		assert!(text.contains("cco_qsign_finalized_block 10"), "{text}");
	}

	#[test]
	fn anything_else_is_refused() {
		let metrics = Metrics::new().unwrap();
		assert_eq!(metrics.answer(&get("/")).status(), StatusCode::NOT_FOUND);
		let post = Request::builder().method(Method::POST).uri("/metrics").body(()).unwrap();
		assert_eq!(metrics.answer(&post).status(), StatusCode::METHOD_NOT_ALLOWED);
	}
}
