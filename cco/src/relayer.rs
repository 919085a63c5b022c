//! The relayer's loop: scan finalized QSign blocks for signed transactions (durably, with the
//! cursor), get each one included on its destination chain, and report it back on QSign.

use std::{
	collections::{BTreeMap, BTreeSet, HashMap},
	path::PathBuf,
	sync::Arc,
	time::Duration,
};

use serde::Serialize;
use sp_crypto_hashing::keccak_256;
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
	chain::{QSignChain, ReportOutcome},
	config::Config,
	destination::DestinationChain,
	driver::{DestinationDriver, DestinationHealth, SharedHealth},
	error::{Error, Result},
	job::{Job, JobState, RetryTimers},
	metrics::{Health, Metrics},
	store::Store,
};

/// Most QSign blocks scanned in one pass (a relayer far behind catches up over several).
pub const MAX_BLOCKS_PER_PASS: u32 = 256;
/// Most reports submitted in one pass.
pub const MAX_REPORTS_PER_PASS: usize = 64;
/// The health a pass publishes stays valid for this many intervals plus [`HEALTH_MARGIN`]
/// (a pass itself may wait on QSign's and destinations' time-outs).
pub const HEALTH_VALID_PASSES: u32 = 5;
/// See [`HEALTH_VALID_PASSES`].
pub const HEALTH_MARGIN: Duration = Duration::from_secs(60);
/// Ready-to-report jobs the drivers may queue for the loop (a full queue makes a driver wait).
pub const READY_QUEUE: usize = 1024;
/// Failed QSign scans in a row after which the relayer reconnects to its node.
pub const RECONNECT_AFTER_FAILURES: u32 = 3;
/// Finished jobs listed in the status file (all open ones are).
pub const STATUS_FINISHED_JOBS: usize = 100;

/// What the status file holds (`<database>.status.json`, rewritten after every pass).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
	/// The reporting account.
	pub relayer: String,
	/// The next QSign block to scan.
	pub next_qsign_block: Option<u32>,
	/// The latest finalized QSign block seen.
	pub finalized_qsign_block: Option<u32>,
	/// Seconds since the Unix epoch.
	pub updated_at: u64,
	/// Jobs by state name.
	pub counts: BTreeMap<String, usize>,
	/// Each destination chain's health (its circuit breaker).
	pub destinations: BTreeMap<u64, DestinationHealth>,
	/// Every open job, and the latest finished ones.
	pub jobs: Vec<Job>,
}

/// The relayer: its loop scans QSign and reports; each destination chain has a
/// [`DestinationDriver`] task of its own.
pub struct Relayer {
	config: Config,
	store: Arc<Store>,
	qsign: QSignChain,
	/// Which of the configured QSign nodes `qsign` is.
	url_index: usize,
	/// The chains with a driver.
	served: BTreeSet<u64>,
	/// Drivers not started yet (they start with [`Relayer::run`]).
	drivers: Vec<DestinationDriver>,
	health: BTreeMap<u64, SharedHealth>,
	/// Jobs the drivers found ready to report.
	ready_tx: mpsc::Sender<Job>,
	ready: mpsc::Receiver<Job>,
	/// Reports that failed wait until then.
	retries: RetryTimers,
	/// Reports submitted and not yet finalized: request id → (destination block, outcome).
	in_flight: HashMap<u64, (u64, JoinHandle<Result<ReportOutcome>>)>,
	/// Passes in a row whose QSign scan failed, and the latest failure.
	qsign_failures: u32,
	qsign_error: Option<String>,
	finalized: Option<u32>,
	metrics: Arc<Metrics>,
	/// Time between the loop's passes (the health's validity is a few of them).
	interval: Duration,
}

/// Connects to the first configured QSign node that answers, starting at index `first` and
/// going round; checks (and on a fresh database records) that it serves the database's chain.
/// Returns the connection and the node's index.
///
/// # Errors
///
/// [`Error::OtherChain`] at once if a node serves another chain; otherwise the last node's
/// error when none answers.
async fn connect_any(config: &Config, store: &Store, first: usize) -> Result<(QSignChain, usize)> {
	let urls: Vec<&str> = config.qsign_urls().collect();
	let mut last_error = Error::Config("no QSign node configured".into());
	for offset in 0..urls.len() {
		let index = (first + offset) % urls.len();
		let url = urls[index];
		let attempt = async {
			let signer = crate::chain::keypair(&config.signer_suri()?)?;
			let qsign = QSignChain::connect(url, signer).await?;
			let genesis = qsign.genesis_hash().await?;
			Ok::<_, Error>((qsign, genesis))
		};
		match attempt.await {
			Ok((qsign, genesis)) => {
				store.bind_to_chain(genesis)?;
				if offset > 0 || first > 0 {
					tracing::info!("connected to QSign node {url}");
				}
				return Ok((qsign, index));
			}
			Err(e @ Error::Config(_)) => return Err(e),
			Err(e) => {
				tracing::warn!("QSign node {url}: {e}");
				last_error = e;
			}
		}
	}
	Err(last_error)
}

impl Relayer {
	/// Opens the database, connects to QSign, refuses a database of another QSign chain, and
	/// checks every destination's chain id; `metrics` (possibly served already, showing the
	/// relayer as starting) are the relayer's from then on.
	///
	/// # Errors
	///
	/// Configuration, database or connection errors.
	pub async fn start(config: Config, metrics: Arc<Metrics>) -> Result<Self> {
		let store = Arc::new(Store::open(&config.database)?);
		let (qsign, url_index) = connect_any(&config, &store, 0).await?;
		let mut drivers = Vec::new();
		for d in &config.destinations {
			let chain = DestinationChain::new(d.clone())?;
			// A wrong endpoint is a configuration error; an unreachable one is not fatal (its
			// jobs are retried with backoff until it answers).
			match chain.check_chain_id().await {
				Err(e @ Error::Config(_)) => return Err(e),
				Err(e) => tracing::warn!("{e}; its chain id is not checked"),
				Ok(()) => {}
			}
			drivers.push(DestinationDriver::new(chain, store.clone(), metrics.clone()));
		}
		let served: BTreeSet<u64> = drivers.iter().map(DestinationDriver::chain_id).collect();
		let health = drivers.iter().map(|d| (d.chain_id(), d.health())).collect();
		tracing::info!(
			"relayer {} follows {}; destinations {served:?}",
			qsign.signer_account(),
			config.qsign_urls().nth(url_index).unwrap_or_default(),
		);
		let (ready_tx, ready) = mpsc::channel(READY_QUEUE);
		Ok(Self {
			config,
			store,
			qsign,
			url_index,
			served,
			drivers,
			health,
			ready_tx,
			ready,
			retries: RetryTimers::default(),
			in_flight: HashMap::new(),
			qsign_failures: 0,
			qsign_error: None,
			finalized: None,
			metrics,
			interval: Duration::from_secs(2),
		})
	}

	/// The relayer's metrics and health (served by `cco run --listen`).
	pub fn metrics(&self) -> Arc<Metrics> {
		self.metrics.clone()
	}

	/// The status file's path.
	pub fn status_path(database: &std::path::Path) -> PathBuf {
		let mut name = database.as_os_str().to_owned();
		name.push(".status.json");
		PathBuf::from(name)
	}

	/// Runs until the process is stopped: each destination's driver in a task of its own, and
	/// this loop's pass (scan, report, status) every `interval`.
	///
	/// # Errors
	///
	/// Only what the relayer must not go on after: the node it reconnected to serves another
	/// chain ([`Error::OtherChain`]).
	pub async fn run(mut self, interval: Duration) -> Result<()> {
		self.interval = interval;
		for driver in std::mem::take(&mut self.drivers) {
			tokio::spawn(driver.run(interval, self.ready_tx.clone()));
		}
		loop {
			self.pass().await?;
			tokio::time::sleep(interval).await;
		}
	}

	/// One pass: scan, report what the drivers found included, write the status file. Errors
	/// are logged and the work is retried in the next pass; nothing is dropped.
	///
	/// # Errors
	///
	/// [`Error::OtherChain`] when the node reconnected to serves another chain.
	pub async fn pass(&mut self) -> Result<()> {
		if let Err(e) = self.scan().await {
			tracing::warn!("scanning QSign: {e}");
			self.qsign_error = Some(e.to_string());
			self.qsign_failures += 1;
			if self.qsign_failures >= RECONNECT_AFTER_FAILURES {
				self.reconnect().await?;
			}
		} else {
			self.qsign_failures = 0;
			self.qsign_error = None;
		}
		if let Err(e) = self.report_ready().await {
			tracing::warn!("reporting: {e}");
		}
		if let Err(e) = self.write_status() {
			tracing::warn!("writing the status file: {e}");
		}
		Ok(())
	}

	/// Replaces the QSign connection (the node restarted or the connection dropped; subxt does
	/// not reconnect by itself): the next configured node first, then the others in turn. On
	/// failure the old one is kept and this is tried again later.
	/// The failure count is kept until a scan succeeds.
	///
	/// # Errors
	///
	/// [`Error::OtherChain`] when the node now serves another chain (e.g. a development chain
	/// reset while the relayer ran): the database is that of the old chain.
	async fn reconnect(&mut self) -> Result<()> {
		let count = self.config.qsign_urls().count().max(1);
		match connect_any(&self.config, &self.store, (self.url_index + 1) % count).await {
			Ok((qsign, url_index)) => {
				self.qsign = qsign;
				self.url_index = url_index;
			}
			Err(e @ Error::OtherChain { .. }) => return Err(e),
			Err(e) => tracing::warn!("reconnecting: {e}"),
		}
		Ok(())
	}

	/// Scans finalized QSign blocks from the cursor on; each block's jobs and the cursor's
	/// move are one database transaction.
	async fn scan(&mut self) -> Result<()> {
		let finalized = self.qsign.finalized_number().await?;
		self.finalized = Some(finalized);
		let mut next = match self.store.next_block()? {
			Some(next) => next,
			None => {
				let start = finalized.saturating_sub(self.config.initial_lookback_blocks).max(1);
				tracing::info!("fresh database: starting at QSign block #{start}");
				self.store.set_next_block(start)?;
				start
			}
		};
		let last = finalized.min(next.saturating_add(MAX_BLOCKS_PER_PASS - 1));
		while next <= last {
			let (hash, events) = self.qsign.signed_transactions(next).await?;
			let mut jobs = Vec::with_capacity(events.len());
			for event in events {
				let request = self.qsign.request(event.request_id, Some(hash)).await?;
				let raw = request.and_then(|r| r.signed_tx);
				let mut job = Job::new(
					event.request_id,
					event.chain_id,
					event.tx_hash,
					raw.clone().unwrap_or_default(),
					next,
				);
				match raw {
					None => job.advance(JobState::Failed {
						reason: "QSign announced a signed transaction but returned none".into(),
					}),
					Some(raw) if keccak_256(&raw) != event.tx_hash => {
						job.advance(JobState::Failed {
							reason: "the signed transaction's hash is not the announced one".into(),
						})
					}
					Some(_) if !self.served.contains(&event.chain_id) => {
						job.advance(JobState::NoDestination)
					}
					Some(_) => {}
				}
				tracing::info!(
					"QSign #{next}: request {} for chain {} ({})",
					job.request_id,
					job.chain_id,
					job.state.name()
				);
				jobs.push(job);
			}
			self.store.commit_block(next, &jobs)?;
			next += 1;
		}
		Ok(())
	}

	/// Reports the jobs the drivers found included deep enough (each once at a time).
	async fn report_ready(&mut self) -> Result<()> {
		self.collect_reports().await?;
		let mut ready = BTreeMap::new();
		while let Ok(job) = self.ready.try_recv() {
			ready.insert(job.request_id, job);
		}
		// Timers of jobs no longer offered (reported, failed) are forgotten.
		self.retries.retain(|id| ready.contains_key(&id));
		let mut to_report = Vec::new();
		for (request_id, job) in ready {
			if to_report.len() >= MAX_REPORTS_PER_PASS {
				break; // the drivers offer them again
			}
			if self.in_flight.contains_key(&request_id) || !self.retries.due(request_id) {
				continue;
			}
			// The driver's view may be stale: report what the database holds.
			match self.store.job(request_id)? {
				Some(stored) if matches!(stored.state, JobState::Included { .. }) => {
					to_report.push(stored)
				}
				_ => tracing::debug!("request {}: no longer to report", job.request_id),
			}
		}
		self.report(to_report).await
	}

	/// Reports included transactions on QSign, unless another relayer already did.
	async fn report(&mut self, jobs: Vec<Job>) -> Result<()> {
		if jobs.is_empty() {
			return Ok(());
		}
		let mut nonce = self.qsign.next_nonce().await?;
		for mut job in jobs {
			let JobState::Included { block } = job.state else { continue };
			// A driver may change the job while QSign is asked (e.g. a destination reorg):
			// then this pass's view is dropped, and the driver offers the job again.
			let before = job.clone();
			match self.qsign.request(job.request_id, None).await {
				Ok(None) => {
					job.advance(JobState::Failed {
						reason: "the request was pruned on QSign before it was reported".into(),
					});
					self.store.save_if_unchanged(&before, &job)?;
				}
				Ok(Some(request)) if request.status == "broadcast" => {
					let block = request.destination_block.unwrap_or(block);
					tracing::info!(
						"request {}: already reported by another relayer",
						job.request_id
					);
					job.advance(JobState::Reported { block, by_us: false });
					self.metrics.reports.with_label_values(&["byOther"]).inc();
					self.store.save_if_unchanged(&before, &job)?;
				}
				Ok(Some(_)) => {
					match self.qsign.submit_report(job.request_id, job.tx_hash, block, nonce).await
					{
						Ok(report) => {
							nonce += 1;
							// Waiting for finality does not hold up the next passes.
							let handle = tokio::spawn(report.outcome());
							self.in_flight.insert(job.request_id, (block, handle));
						}
						Err(e) => {
							self.retries.failed(&mut job, &e);
							self.store.save_if_unchanged(&before, &job)?;
							// The nonce may be off (e.g. a report from elsewhere): re-read it.
							nonce = self.qsign.next_nonce().await?;
						}
					}
				}
				Err(e) => {
					self.retries.failed(&mut job, &e);
					self.store.save_if_unchanged(&before, &job)?;
				}
			}
		}
		Ok(())
	}

	/// Applies the outcomes of reports that are finalized (or failed) by now.
	async fn collect_reports(&mut self) -> Result<()> {
		let done: Vec<u64> = self
			.in_flight
			.iter()
			.filter(|(_, (_, h))| h.is_finished())
			.map(|(id, _)| *id)
			.collect();
		for request_id in done {
			let Some((block, handle)) = self.in_flight.remove(&request_id) else { continue };
			let outcome = handle
				.await
				.unwrap_or_else(|e| Err(Error::QSign(format!("report task failed: {e}"))));
			let Some(mut job) = self.store.job(request_id)? else { continue };
			match outcome {
				Ok(outcome) => {
					let by_us = outcome == ReportOutcome::Reported;
					let result = if by_us { "reported" } else { "byOther" };
					self.metrics.reports.with_label_values(&[result]).inc();
					tracing::info!(
						"request {request_id}: reported on QSign (destination block {block}{})",
						if by_us { "" } else { "; another relayer was first" }
					);
					job.advance(JobState::Reported { block, by_us });
				}
				Err(e) => {
					self.metrics.reports.with_label_values(&["failed"]).inc();
					self.retries.failed(&mut job, &e)
				}
			}
			self.store.save(&job)?;
		}
		Ok(())
	}

	/// Writes the status file (atomically: a temporary file renamed) and updates the metrics
	/// and health from the same figures.
	fn write_status(&self) -> Result<()> {
		let mut jobs = self.store.active_jobs()?;
		jobs.extend(self.store.finished_jobs(STATUS_FINISHED_JOBS)?);
		let status = Status {
			relayer: self.qsign.signer_account(),
			next_qsign_block: self.store.next_block()?,
			finalized_qsign_block: self.finalized,
			updated_at: std::time::SystemTime::now()
				.duration_since(std::time::UNIX_EPOCH)
				.map(|d| d.as_secs())
				.unwrap_or_default(),
			counts: self.store.counts()?,
			destinations: self
				.health
				.iter()
				.filter_map(|(id, h)| h.lock().ok().map(|h| (*id, h.clone())))
				.collect(),
			jobs,
		};
		self.metrics.set_job_counts(&status.counts);
		self.metrics.set_health(
			Health {
				following_qsign: self.qsign_failures == 0 && self.finalized.is_some(),
				reason: self.qsign_error.clone().or_else(|| {
					self.finalized.is_none().then(|| "no QSign block scanned yet".to_string())
				}),
				finalized_qsign_block: status.finalized_qsign_block,
				next_qsign_block: status.next_qsign_block,
				destinations: status.destinations.clone(),
			},
			HEALTH_VALID_PASSES * self.interval + HEALTH_MARGIN,
		);
		let path = Self::status_path(&self.config.database);
		let tmp = path.with_extension("tmp");
		let text =
			serde_json::to_vec_pretty(&status).map_err(|e| Error::Database(e.to_string()))?;
		std::fs::write(&tmp, text)
			.and_then(|()| std::fs::rename(&tmp, &path))
			.map_err(|e| Error::Database(format!("{}: {e}", path.display())))
	}
}
