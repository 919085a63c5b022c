//! A broadcast job: one signed destination transaction the relayer must get included and
//! report, and the states it goes through.

use codec::{Decode, Encode};
use serde::Serialize;

/// Longest error text kept with a job.
pub const MAX_ERROR_LEN: usize = 512;

/// Where a job is.
///
/// `Queued → Sent → Included → Reported`, or `Failed` / `NoDestination` with the reason.
/// A job is never dropped: every state is kept in the database and shown by `cco status`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum JobState {
	/// Found on QSign; the destination has not accepted it yet (see `last_error`).
	Queued,
	/// The destination accepted it into its pool; not yet included.
	Sent,
	/// Included in destination block `block`; waiting for confirmations or the report.
	Included {
		/// Destination block number.
		block: u64,
	},
	/// Reported on QSign (by this relayer or another one): done.
	Reported {
		/// Destination block number reported.
		block: u64,
		/// Whether this relayer's report is the one that landed.
		by_us: bool,
	},
	/// This relayer serves no destination with the transaction's chain id; it is picked up
	/// again if one is configured later.
	NoDestination,
	/// Can never be broadcast (e.g. its nonce was used by another transaction).
	Failed {
		/// Why.
		reason: String,
	},
}

impl JobState {
	/// The state's name in the status file.
	pub fn name(&self) -> &'static str {
		match self {
			JobState::Queued => "queued",
			JobState::Sent => "sent",
			JobState::Included { .. } => "included",
			JobState::Reported { .. } => "reported",
			JobState::NoDestination => "noDestination",
			JobState::Failed { .. } => "failed",
		}
	}

	/// Whether the relayer still has work to do for the job.
	pub fn is_open(&self) -> bool {
		matches!(self, JobState::Queued | JobState::Sent | JobState::Included { .. })
	}
}

/// One signed transaction to broadcast.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
	/// The QSign request.
	pub request_id: u64,
	/// The destination chain.
	pub chain_id: u64,
	/// `keccak256` of the signed raw transaction: its id on the destination chain.
	#[serde(serialize_with = "hex0x")]
	pub tx_hash: [u8; 32],
	/// The signed raw transaction.
	#[serde(serialize_with = "hex0x")]
	pub raw_tx: Vec<u8>,
	/// The QSign block whose events announced it.
	pub qsign_block: u32,
	/// Where it is.
	pub state: JobState,
	/// Broadcast and report attempts that failed so far.
	pub failures: u32,
	/// The last error from the destination or QSign, if the last attempt failed.
	pub last_error: Option<String>,
}

impl Job {
	/// A new job in state [`JobState::Queued`].
	pub fn new(
		request_id: u64,
		chain_id: u64,
		tx_hash: [u8; 32],
		raw_tx: Vec<u8>,
		qsign_block: u32,
	) -> Self {
		Self {
			request_id,
			chain_id,
			tx_hash,
			raw_tx,
			qsign_block,
			state: JobState::Queued,
			failures: 0,
			last_error: None,
		}
	}

	/// Moves to `state`, clearing the error.
	pub fn advance(&mut self, state: JobState) {
		self.state = state;
		self.last_error = None;
	}

	/// Records a failed attempt (the state stays).
	pub fn record_failure(&mut self, error: impl ToString) {
		let mut text = error.to_string();
		if text.len() > MAX_ERROR_LEN {
			let mut end = MAX_ERROR_LEN;
			while !text.is_char_boundary(end) {
				end -= 1;
			}
			text.truncate(end);
		}
		self.failures = self.failures.saturating_add(1);
		self.last_error = Some(text);
	}
}

fn hex0x<S: serde::Serializer, T: AsRef<[u8]>>(bytes: &T, s: S) -> Result<S::Ok, S::Error> {
	s.serialize_str(&format!("0x{}", hex::encode(bytes)))
}

/// The delay before retrying a job that failed `failures` times: 2 s doubling to 60 s.
/// When each failed job may be tried again (after [`backoff`] of its failures).
#[derive(Debug, Default)]
pub struct RetryTimers(std::collections::HashMap<u64, std::time::Instant>);

impl RetryTimers {
	/// Whether the job of `request_id` may be tried now.
	pub fn due(&self, request_id: u64) -> bool {
		self.0.get(&request_id).is_none_or(|at| *at <= std::time::Instant::now())
	}

	/// Records `error` in `job` and holds the job back for its back-off; logs it.
	pub fn failed(&mut self, job: &mut Job, error: &dyn std::fmt::Display) {
		job.record_failure(error);
		self.0.insert(job.request_id, std::time::Instant::now() + backoff(job.failures));
		tracing::warn!(
			"request {} (chain {}): {} (attempt {}, retrying)",
			job.request_id,
			job.chain_id,
			job.last_error.as_deref().unwrap_or_default(),
			job.failures
		);
	}

	/// Forgets the job's timer (it succeeded).
	pub fn clear(&mut self, request_id: u64) {
		self.0.remove(&request_id);
	}

	/// Keeps only the timers of the jobs `keep` names.
	pub fn retain(&mut self, keep: impl Fn(u64) -> bool) {
		self.0.retain(|id, _| keep(*id));
	}
}

pub fn backoff(failures: u32) -> std::time::Duration {
	let secs = 2u64.saturating_mul(1u64 << failures.saturating_sub(1).min(5));
	std::time::Duration::from_secs(secs.min(60))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn open_states_are_the_ones_with_work_left() {
		assert!(JobState::Queued.is_open());
		assert!(JobState::Sent.is_open());
		assert!(JobState::Included { block: 1 }.is_open());
		assert!(!JobState::Reported { block: 1, by_us: true }.is_open());
		assert!(!JobState::NoDestination.is_open());
		assert!(!JobState::Failed { reason: "x".into() }.is_open());
	}

	#[test]
	fn failures_are_counted_and_errors_bounded() {
		let mut job = Job::new(1, 31337, [1; 32], vec![2; 10], 5);
		job.record_failure("é".repeat(MAX_ERROR_LEN));
		assert_eq!(job.failures, 1);
		assert!(job.last_error.as_ref().unwrap().len() <= MAX_ERROR_LEN);
		job.advance(JobState::Sent);
		assert_eq!(job.last_error, None);
		assert_eq!(job.failures, 1);
		assert_eq!(Job::decode(&mut &job.encode()[..]).unwrap(), job);
	}

	#[test]
	fn backoff_doubles_up_to_a_minute() {
		assert_eq!(backoff(0).as_secs(), 2);
		assert_eq!(backoff(1).as_secs(), 2);
		assert_eq!(backoff(2).as_secs(), 4);
		assert_eq!(backoff(3).as_secs(), 8);
		assert_eq!(backoff(6).as_secs(), 60);
		assert_eq!(backoff(u32::MAX).as_secs(), 60);
	}

	#[test]
	fn status_json_names_the_state() {
		let mut job = Job::new(7, 1, [0xab; 32], vec![0x02], 9);
		job.advance(JobState::Included { block: 12 });
		let json = serde_json::to_value(&job).unwrap();
		assert_eq!(json["state"]["state"], "included");
		assert_eq!(json["state"]["block"], 12);
		assert_eq!(json["txHash"], format!("0x{}", "ab".repeat(32)));
	}
}
