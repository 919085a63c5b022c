//! One destination chain's driver: it gets that chain's jobs included, in a task of its own,
//! so that a slow or dead destination delays only its own jobs, never another chain's (nor the
//! scanning of QSign and the reports, which stay in the relayer's loop).
//!
//! Each driver has a [`CircuitBreaker`]: after [`BREAKER_THRESHOLD`] failures in a row to reach
//! its chain (time-outs, refused connections, garbage; not refusals, which are answers) it
//! stops calling the chain for a back-off, then probes it with one cheap call (`eth_blockNumber`)
//! before resuming. Its state is in the status file.
//!
//! The driver and the relayer's loop share the database: the driver writes a job only if it is
//! still as the driver read it ([`Store::save_if_unchanged`]), so a report the loop recorded
//! meanwhile is never overwritten by an older view.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::{
	destination::{DestinationChain, SendError},
	error::{Error, Result},
	job::{Job, JobState, RetryTimers},
	metrics::Metrics,
	store::Store,
};

/// A sent transaction without a receipt after this long is sent again (dropped from a pool).
pub const RESEND_AFTER: Duration = Duration::from_secs(30);
/// "nonce too low" this many times without a receipt: another transaction used the nonce.
pub const NONCE_TOO_LOW_LIMIT: u32 = 5;
/// Failures in a row to reach a destination after which its breaker opens.
pub const BREAKER_THRESHOLD: u32 = 3;
/// How long an open breaker waits before its first probe; doubled at every re-opening.
pub const BREAKER_FIRST_WAIT: Duration = Duration::from_secs(5);
/// The longest an open breaker waits before probing.
pub const BREAKER_MAX_WAIT: Duration = Duration::from_secs(120);

/// The chain id a raw signed transaction names, or why it cannot be sent anywhere.
pub fn transaction_chain_id(raw_tx: &[u8]) -> std::result::Result<u64, String> {
	use alloy::{
		consensus::{Transaction as _, TxEnvelope},
		eips::eip2718::Decodable2718,
	};
	let tx = TxEnvelope::decode_2718_exact(raw_tx)
		.map_err(|e| format!("not a signed transaction: {e}"))?;
	tx.chain_id().ok_or_else(|| "the transaction names no chain id (replayable anywhere)".into())
}

/// Whether a destination is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BreakerState {
	/// Called normally.
	Closed,
	/// Not called until the back-off ends.
	Open,
	/// The back-off ended: the next call is a probe.
	HalfOpen,
}

/// A circuit breaker: consecutive failures to reach a destination open it for a back-off that
/// doubles each time it opens again without a success in between.
#[derive(Clone, Debug, Default)]
pub struct CircuitBreaker {
	failures: u32,
	openings: u32,
	open_until: Option<Instant>,
}

impl CircuitBreaker {
	/// The state at `now`.
	pub fn state(&self, now: Instant) -> BreakerState {
		match self.open_until {
			None => BreakerState::Closed,
			Some(until) if now < until => BreakerState::Open,
			Some(_) => BreakerState::HalfOpen,
		}
	}

	/// Records an answer from the destination: closes the breaker.
	pub fn succeeded(&mut self) {
		*self = Self::default();
	}

	/// Records a failure to reach the destination at `now`; opens the breaker at the
	/// threshold, and again at once when a probe fails.
	pub fn failed(&mut self, now: Instant) {
		self.failures = self.failures.saturating_add(1);
		let probing = self.state(now) == BreakerState::HalfOpen;
		if probing || self.failures >= BREAKER_THRESHOLD {
			let wait = BREAKER_FIRST_WAIT
				.saturating_mul(1u32 << self.openings.min(8))
				.min(BREAKER_MAX_WAIT);
			self.open_until = Some(now + wait);
			self.openings = self.openings.saturating_add(1);
		}
	}

	/// Failures in a row so far.
	pub fn failures(&self) -> u32 {
		self.failures
	}
}

/// A destination's health, as the status file shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationHealth {
	/// The breaker's state.
	pub breaker: BreakerState,
	/// Failures to reach it in a row.
	pub consecutive_failures: u32,
	/// The latest failure to reach it.
	pub last_error: Option<String>,
	/// Seconds until the next probe, while the breaker is open.
	pub probe_in_secs: Option<u64>,
}

/// Shared view of a driver's health (read by the relayer's status file).
pub type SharedHealth = Arc<Mutex<DestinationHealth>>;

/// Whether an error means the destination could not be reached (as opposed to an answer, even
/// a JSON-RPC error: the node is up).
fn unreachable(error: &Error) -> bool {
	matches!(error, Error::Destination { .. })
}

/// Drives the jobs of one destination chain.
pub struct DestinationDriver {
	chain: DestinationChain,
	store: Arc<Store>,
	retries: RetryTimers,
	sent_at: HashMap<u64, Instant>,
	nonce_too_low: HashMap<u64, u32>,
	breaker: CircuitBreaker,
	last_error: Option<String>,
	health: SharedHealth,
	metrics: Arc<Metrics>,
}

impl DestinationDriver {
	/// A driver for `chain`'s jobs in `store`, counting its sends in `metrics`.
	pub fn new(chain: DestinationChain, store: Arc<Store>, metrics: Arc<Metrics>) -> Self {
		let health = Arc::new(Mutex::new(DestinationHealth {
			breaker: BreakerState::Closed,
			consecutive_failures: 0,
			last_error: None,
			probe_in_secs: None,
		}));
		Self {
			chain,
			store,
			retries: RetryTimers::default(),
			sent_at: HashMap::new(),
			nonce_too_low: HashMap::new(),
			breaker: CircuitBreaker::default(),
			last_error: None,
			health,
			metrics,
		}
	}

	/// The chain this driver serves.
	pub fn chain_id(&self) -> u64 {
		self.chain.config.chain_id
	}

	/// Its health, shared (updated after every pass).
	pub fn health(&self) -> SharedHealth {
		self.health.clone()
	}

	/// Runs passes every `interval`, offering the jobs ready to be reported to `reports`, until
	/// the receiver is gone. A job not taken (the queue is full) is offered again next pass.
	pub async fn run(mut self, interval: Duration, reports: mpsc::Sender<Job>) {
		loop {
			match self.pass().await {
				Ok(ready) => {
					for job in ready {
						if let Err(mpsc::error::TrySendError::Closed(_)) = reports.try_send(job) {
							return;
						}
					}
				}
				Err(e) => tracing::warn!("destination chain {}: {e}", self.chain_id()),
			}
			if reports.is_closed() {
				return;
			}
			tokio::time::sleep(interval).await;
		}
	}

	/// One pass over this chain's open jobs; returns those included deep enough to be
	/// reported.
	///
	/// # Errors
	///
	/// [`Error::Database`] only: destination errors are recorded in the jobs and the breaker.
	pub async fn pass(&mut self) -> Result<Vec<Job>> {
		let mut ready = Vec::new();
		let jobs: Vec<Job> = self
			.store
			.active_jobs()?
			.into_iter()
			.filter(|job| job.chain_id == self.chain_id())
			.collect();
		// Forget the timers of jobs that are no longer open here (finished, or reported).
		let open: std::collections::HashSet<u64> = jobs.iter().map(|job| job.request_id).collect();
		self.retries.retain(|id| open.contains(&id));
		self.sent_at.retain(|id, _| open.contains(id));
		self.nonce_too_low.retain(|id, _| open.contains(id));
		if self.may_call().await {
			let mut head = None;
			for job in jobs {
				let before = job.clone();
				let mut job = job;
				if job.state == JobState::NoDestination {
					tracing::info!(
						"request {}: chain {} is served now",
						job.request_id,
						job.chain_id
					);
					job.advance(JobState::Queued);
				}
				if job.state.is_open() && self.retries.due(job.request_id) {
					if let Err(e) = self.step(&mut job, &mut head, &mut ready).await {
						self.retries.failed(&mut job, &e);
						if unreachable(&e) {
							self.unreached(&e);
						}
					}
				}
				if job != before && !self.store.save_if_unchanged(&before, &job)? {
					tracing::debug!(
						"request {}: changed meanwhile; re-read next pass",
						job.request_id
					);
				}
				if self.breaker.state(Instant::now()) != BreakerState::Closed {
					break;
				}
			}
		}
		self.publish_health();
		Ok(ready)
	}

	/// Whether the chain may be called now: the breaker is closed, or half-open and a probe
	/// (`eth_blockNumber`) answers.
	async fn may_call(&mut self) -> bool {
		match self.breaker.state(Instant::now()) {
			BreakerState::Closed => true,
			BreakerState::Open => false,
			// The probe also re-checks the chain id: the endpoint may now be another chain's.
			BreakerState::HalfOpen => match self.chain.check_chain_id().await {
				Ok(()) => {
					tracing::info!("destination chain {} answers again", self.chain_id());
					self.reached();
					true
				}
				Err(e) => {
					self.unreached(&e);
					false
				}
			},
		}
	}

	fn reached(&mut self) {
		self.breaker.succeeded();
		self.last_error = None;
	}

	fn unreached(&mut self, error: &dyn std::fmt::Display) {
		let now = Instant::now();
		let was = self.breaker.state(now);
		self.breaker.failed(now);
		self.last_error = Some(error.to_string());
		if was != BreakerState::Open && self.breaker.state(now) == BreakerState::Open {
			tracing::warn!(
				"destination chain {}: unreachable {} times in a row; not called until a probe \
				 answers ({error})",
				self.chain_id(),
				self.breaker.failures()
			);
		}
	}

	fn publish_health(&self) {
		let now = Instant::now();
		let health = DestinationHealth {
			breaker: self.breaker.state(now),
			consecutive_failures: self.breaker.failures(),
			last_error: self.last_error.clone(),
			probe_in_secs: self
				.breaker
				.open_until
				.filter(|until| *until > now)
				.map(|until| until.duration_since(now).as_secs()),
		};
		if let Ok(mut shared) = self.health.lock() {
			*shared = health;
		}
	}

	/// One step of one job: find its receipt; send it if there is none.
	async fn step(
		&mut self,
		job: &mut Job,
		head: &mut Option<u64>,
		ready: &mut Vec<Job>,
	) -> Result<()> {
		let inclusion = self.chain.inclusion(job.tx_hash).await?;
		self.reached();
		match (job.state.clone(), inclusion) {
			(_, Some(included)) => {
				if job.state != (JobState::Included { block: included.block }) {
					tracing::info!(
						"request {}: included in chain {} block {}{}",
						job.request_id,
						job.chain_id,
						included.block,
						if included.success { "" } else { " (reverted)" }
					);
					job.advance(JobState::Included { block: included.block });
				}
				let head = match head {
					Some(head) => *head,
					None => *head.insert(self.chain.head().await?),
				};
				if head.saturating_add(1)
					>= included.block.saturating_add(self.chain.config.confirmations)
				{
					ready.push(job.clone());
				}
			}
			(JobState::Included { .. }, None) => {
				// Reorganized out on the destination: send it again.
				tracing::warn!(
					"request {}: receipt gone (reorganization); resending",
					job.request_id
				);
				job.advance(JobState::Queued);
				self.send(job).await;
			}
			(JobState::Sent, None) => {
				let stale =
					self.sent_at.get(&job.request_id).is_none_or(|at| at.elapsed() >= RESEND_AFTER);
				if stale {
					self.send(job).await;
				}
			}
			(_, None) => self.send(job).await,
		}
		Ok(())
	}

	/// Sends the job's transaction; records the outcome in the job. A transaction that names
	/// another chain than this destination (or none) is abandoned with the reason: no
	/// endpoint of this chain could include it.
	async fn send(&mut self, job: &mut Job) {
		match transaction_chain_id(&job.raw_tx) {
			Ok(id) if id == self.chain_id() => {}
			Ok(id) => {
				return job.advance(JobState::Failed {
					reason: format!(
						"abandoned: the transaction is for chain {id}, not {}",
						self.chain_id()
					),
				})
			}
			Err(reason) => {
				return job.advance(JobState::Failed { reason: format!("abandoned: {reason}") })
			}
		}
		let result = self.chain.send(&job.raw_tx).await;
		let outcome = match &result {
			Ok(()) => "sent",
			Err(SendError::AlreadyKnown) => "sent",
			Err(SendError::NonceTooLow(_)) => "nonceTooLow",
			Err(SendError::Rejected(_)) => "rejected",
			Err(SendError::Unreachable(_)) => "unreachable",
		};
		self.metrics.sent(self.chain_id(), outcome);
		match result {
			Ok(()) => {
				if job.state != JobState::Sent {
					tracing::info!(
						"request {}: sent to chain {} (0x{})",
						job.request_id,
						job.chain_id,
						hex::encode(job.tx_hash)
					);
				}
				self.sent_at.insert(job.request_id, Instant::now());
				self.retries.clear(job.request_id);
				self.nonce_too_low.remove(&job.request_id);
				job.advance(JobState::Sent);
			}
			Err(SendError::NonceTooLow(message)) => {
				// Either it was just included (the receipt shows up next pass) or another
				// transaction used the nonce: after a few tries it is a final failure.
				self.retries.failed(job, &format!("nonce too low: {message}"));
				let streak = self.nonce_too_low.entry(job.request_id).or_insert(0);
				*streak += 1;
				let streak = *streak;
				if streak >= NONCE_TOO_LOW_LIMIT {
					tracing::error!(
						"request {}: nonce used by another transaction; it can never be included",
						job.request_id
					);
					job.advance(JobState::Failed {
						reason: format!(
							"nonce too low {streak} times without a receipt: the key's nonce was \
							 used by another transaction ({message})"
						),
					});
				}
			}
			Err(e @ SendError::Unreachable(_)) => {
				self.retries.failed(job, &e);
				self.unreached(&e);
			}
			Err(e) => self.retries.failed(job, &e),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_breaker_opens_after_failures_in_a_row_and_backs_off_longer_each_time() {
		let start = Instant::now();
		let mut breaker = CircuitBreaker::default();
		for _ in 1..BREAKER_THRESHOLD {
			breaker.failed(start);
			assert_eq!(breaker.state(start), BreakerState::Closed);
		}
		breaker.failed(start);
		assert_eq!(breaker.state(start), BreakerState::Open);
		let probe = start + BREAKER_FIRST_WAIT;
		assert_eq!(breaker.state(probe), BreakerState::HalfOpen);
		// A failed probe opens it again at once, for twice as long.
		breaker.failed(probe);
		assert_eq!(breaker.state(probe + BREAKER_FIRST_WAIT), BreakerState::Open);
		assert_eq!(breaker.state(probe + 2 * BREAKER_FIRST_WAIT), BreakerState::HalfOpen);
		// The wait is bounded.
		let mut now = probe;
		for _ in 0..20 {
			now += BREAKER_MAX_WAIT;
			breaker.failed(now);
		}
		assert_eq!(breaker.state(now + BREAKER_MAX_WAIT), BreakerState::HalfOpen);
		// One answer closes it and forgets the history.
		breaker.succeeded();
		assert_eq!(breaker.state(now), BreakerState::Closed);
		assert_eq!(breaker.failures(), 0);
	}

	#[test]
	fn a_transaction_names_its_chain() {
		use alloy::{
			consensus::{SignableTransaction, TxEip1559},
			eips::eip2718::Encodable2718,
			primitives::Signature,
		};
		let tx = TxEip1559 { chain_id: 31337, gas_limit: 21_000, ..Default::default() };
		let signature = Signature::new(
			alloy::primitives::U256::from(1),
			alloy::primitives::U256::from(2),
			false,
		);
		let raw = alloy::consensus::TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
		assert_eq!(transaction_chain_id(&raw), Ok(31337));
		assert!(transaction_chain_id(&raw[..raw.len() - 1]).unwrap_err().contains("not a signed"));
		assert!(transaction_chain_id(&[]).is_err());
	}

	#[test]
	fn failures_with_answers_in_between_never_open_it() {
		let now = Instant::now();
		let mut breaker = CircuitBreaker::default();
		for _ in 0..10 {
			breaker.failed(now);
			breaker.succeeded();
		}
		assert_eq!(breaker.state(now), BreakerState::Closed);
	}
}
