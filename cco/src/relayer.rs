//! The relayer's loop: scan finalized QSign blocks for signed transactions (durably, with the
//! cursor), get each one included on its destination chain, and report it back on QSign.

use std::{
	collections::{BTreeMap, HashMap},
	path::PathBuf,
	time::{Duration, Instant},
};

use serde::Serialize;
use sp_crypto_hashing::keccak_256;
use tokio::task::JoinHandle;

use crate::{
	chain::{QSignChain, ReportOutcome},
	config::Config,
	destination::{DestinationChain, SendError},
	error::{Error, Result},
	job::{backoff, Job, JobState},
	store::Store,
};

/// Most QSign blocks scanned in one pass (a relayer far behind catches up over several).
pub const MAX_BLOCKS_PER_PASS: u32 = 256;
/// A sent transaction without a receipt after this long is sent again (dropped from a pool).
pub const RESEND_AFTER: Duration = Duration::from_secs(30);
/// "nonce too low" this many times without a receipt: another transaction used the nonce.
pub const NONCE_TOO_LOW_LIMIT: u32 = 5;
/// Most reports submitted in one pass.
pub const MAX_REPORTS_PER_PASS: usize = 64;
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
	/// Every open job, and the latest finished ones.
	pub jobs: Vec<Job>,
}

/// The relayer.
pub struct Relayer {
	config: Config,
	store: Store,
	qsign: QSignChain,
	destinations: BTreeMap<u64, DestinationChain>,
	retry_at: HashMap<u64, Instant>,
	sent_at: HashMap<u64, Instant>,
	nonce_too_low: HashMap<u64, u32>,
	/// Reports submitted and not yet finalized: request id → (destination block, outcome).
	in_flight: HashMap<u64, (u64, JoinHandle<Result<ReportOutcome>>)>,
	/// Passes in a row whose QSign scan failed.
	qsign_failures: u32,
	finalized: Option<u32>,
}

impl Relayer {
	/// Opens the database, connects to QSign and checks every destination's chain id.
	///
	/// # Errors
	///
	/// Configuration, database or connection errors.
	pub async fn start(config: Config) -> Result<Self> {
		let store = Store::open(&config.database)?;
		let signer = crate::chain::keypair(&config.signer_suri()?)?;
		let qsign = QSignChain::connect(&config.qsign_url, signer).await?;
		let mut destinations = BTreeMap::new();
		for d in &config.destinations {
			let chain = DestinationChain::new(d.clone())?;
			// A wrong endpoint is a configuration error; an unreachable one is not fatal (its
			// jobs are retried with backoff until it answers).
			match chain.check_chain_id().await {
				Err(e @ Error::Config(_)) => return Err(e),
				Err(e) => tracing::warn!("{e}; its chain id is not checked"),
				Ok(()) => {}
			}
			destinations.insert(d.chain_id, chain);
		}
		tracing::info!(
			"relayer {} follows {}; destinations {:?}",
			qsign.signer_account(),
			config.qsign_url,
			destinations.keys().collect::<Vec<_>>()
		);
		Ok(Self {
			config,
			store,
			qsign,
			destinations,
			retry_at: HashMap::new(),
			sent_at: HashMap::new(),
			nonce_too_low: HashMap::new(),
			in_flight: HashMap::new(),
			qsign_failures: 0,
			finalized: None,
		})
	}

	/// The status file's path.
	pub fn status_path(database: &std::path::Path) -> PathBuf {
		let mut name = database.as_os_str().to_owned();
		name.push(".status.json");
		PathBuf::from(name)
	}

	/// Runs until the process is stopped: one pass every `interval`.
	pub async fn run(mut self, interval: Duration) -> Result<()> {
		loop {
			self.pass().await;
			tokio::time::sleep(interval).await;
		}
	}

	/// One pass: scan, drive every open job, write the status file. Errors are logged and the
	/// work is retried in the next pass; nothing is dropped.
	pub async fn pass(&mut self) {
		if let Err(e) = self.scan().await {
			tracing::warn!("scanning QSign: {e}");
			self.qsign_failures += 1;
			if self.qsign_failures >= RECONNECT_AFTER_FAILURES {
				self.reconnect().await;
			}
		} else {
			self.qsign_failures = 0;
		}
		if let Err(e) = self.drive_jobs().await {
			tracing::warn!("driving jobs: {e}");
		}
		if let Err(e) = self.write_status() {
			tracing::warn!("writing the status file: {e}");
		}
	}

	/// Replaces the QSign connection (the node restarted or the connection dropped; subxt does
	/// not reconnect by itself). On failure the old one is kept and this is tried again later.
	async fn reconnect(&mut self) {
		let signer = match self.config.signer_suri().and_then(|s| crate::chain::keypair(&s)) {
			Ok(signer) => signer,
			Err(e) => return tracing::warn!("reconnecting: {e}"),
		};
		match QSignChain::connect(&self.config.qsign_url, signer).await {
			Ok(qsign) => {
				tracing::info!("reconnected to {}", self.config.qsign_url);
				self.qsign = qsign;
				self.qsign_failures = 0;
			}
			Err(e) => tracing::warn!("reconnecting to {}: {e}", self.config.qsign_url),
		}
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
					Some(_) if !self.destinations.contains_key(&event.chain_id) => {
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

	fn due(&self, request_id: u64) -> bool {
		self.retry_at.get(&request_id).is_none_or(|at| *at <= Instant::now())
	}

	fn fail_attempt(&mut self, job: &mut Job, error: impl ToString) {
		job.record_failure(error);
		self.retry_at.insert(job.request_id, Instant::now() + backoff(job.failures));
		tracing::warn!(
			"request {} (chain {}): {} (attempt {}, retrying)",
			job.request_id,
			job.chain_id,
			job.last_error.as_deref().unwrap_or_default(),
			job.failures
		);
	}

	/// Moves every open job one step; reports the ones with enough confirmations.
	async fn drive_jobs(&mut self) -> Result<()> {
		self.collect_reports().await?;
		let mut to_report = Vec::new();
		// Each destination's head, read at most once per pass.
		let mut heads = HashMap::new();
		for mut job in self.store.active_jobs()? {
			let before = job.clone();
			if job.state == JobState::NoDestination && self.destinations.contains_key(&job.chain_id)
			{
				tracing::info!("request {}: chain {} is served now", job.request_id, job.chain_id);
				job.advance(JobState::Queued);
			}
			if !job.state.is_open()
				|| !self.due(job.request_id)
				|| self.in_flight.contains_key(&job.request_id)
			{
				continue;
			}
			let Some(chain) = self.destinations.get(&job.chain_id).cloned() else { continue };
			if let Err(e) = self.step(&chain, &mut job, &mut heads, &mut to_report).await {
				self.fail_attempt(&mut job, e);
			}
			if job != before {
				self.store.save(&job)?;
			}
		}
		self.report(to_report).await
	}

	/// One step of one job on its destination chain.
	async fn step(
		&mut self,
		chain: &DestinationChain,
		job: &mut Job,
		heads: &mut HashMap<u64, u64>,
		to_report: &mut Vec<Job>,
	) -> Result<()> {
		let inclusion = chain.inclusion(job.tx_hash).await?;
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
				let head = match heads.get(&job.chain_id) {
					Some(head) => *head,
					None => *heads.entry(job.chain_id).or_insert(chain.head().await?),
				};
				if head.saturating_add(1)
					>= included.block.saturating_add(chain.config.confirmations)
					&& to_report.len() < MAX_REPORTS_PER_PASS
				{
					to_report.push(job.clone());
				}
			}
			(JobState::Included { .. }, None) => {
				// Reorganized out on the destination: send it again.
				tracing::warn!(
					"request {}: receipt gone (reorganization); resending",
					job.request_id
				);
				job.advance(JobState::Queued);
				self.send(chain, job).await;
			}
			(JobState::Sent, None) => {
				let stale =
					self.sent_at.get(&job.request_id).is_none_or(|at| at.elapsed() >= RESEND_AFTER);
				if stale {
					self.send(chain, job).await;
				}
			}
			(_, None) => self.send(chain, job).await,
		}
		Ok(())
	}

	/// Sends the job's transaction; records the outcome in the job.
	async fn send(&mut self, chain: &DestinationChain, job: &mut Job) {
		match chain.send(&job.raw_tx).await {
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
				self.retry_at.remove(&job.request_id);
				self.nonce_too_low.remove(&job.request_id);
				job.advance(JobState::Sent);
			}
			Err(SendError::NonceTooLow(message)) => {
				// Either it was just included (the receipt shows up next pass) or another
				// transaction used the nonce: after a few tries it is a final failure.
				self.fail_attempt(job, format!("nonce too low: {message}"));
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
			Err(e) => self.fail_attempt(job, e),
		}
	}

	/// Reports included transactions on QSign, unless another relayer already did.
	async fn report(&mut self, jobs: Vec<Job>) -> Result<()> {
		if jobs.is_empty() {
			return Ok(());
		}
		let mut nonce = self.qsign.next_nonce().await?;
		for mut job in jobs {
			let JobState::Included { block } = job.state else { continue };
			match self.qsign.request(job.request_id, None).await {
				Ok(None) => {
					job.advance(JobState::Failed {
						reason: "the request was pruned on QSign before it was reported".into(),
					});
					self.store.save(&job)?;
				}
				Ok(Some(request)) if request.status == "broadcast" => {
					let block = request.destination_block.unwrap_or(block);
					tracing::info!(
						"request {}: already reported by another relayer",
						job.request_id
					);
					job.advance(JobState::Reported { block, by_us: false });
					self.store.save(&job)?;
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
							self.fail_attempt(&mut job, e);
							self.store.save(&job)?;
							// The nonce may be off (e.g. a report from elsewhere): re-read it.
							nonce = self.qsign.next_nonce().await?;
						}
					}
				}
				Err(e) => {
					self.fail_attempt(&mut job, e);
					self.store.save(&job)?;
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
					tracing::info!(
						"request {request_id}: reported on QSign (destination block {block}{})",
						if by_us { "" } else { "; another relayer was first" }
					);
					job.advance(JobState::Reported { block, by_us });
				}
				Err(e) => self.fail_attempt(&mut job, e),
			}
			self.store.save(&job)?;
		}
		Ok(())
	}

	/// Writes the status file (atomically: a temporary file renamed).
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
			jobs,
		};
		let path = Self::status_path(&self.config.database);
		let tmp = path.with_extension("tmp");
		let text =
			serde_json::to_vec_pretty(&status).map_err(|e| Error::Database(e.to_string()))?;
		std::fs::write(&tmp, text)
			.and_then(|()| std::fs::rename(&tmp, &path))
			.map_err(|e| Error::Database(format!("{}: {e}", path.display())))
	}
}
