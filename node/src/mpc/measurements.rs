//! What the MPC worker measures about itself, for the load benchmark and operators: when each
//! signing request passed each stage on this node, and how many bytes the worker sent.
//!
//! Read through two RPC methods (see [`rpc_module`]):
//! - `qsign_signingTimes(ids)`: for each request id (at most [`MAX_IDS_PER_CALL`]), the times
//!   in milliseconds since the UNIX epoch at which this node first saw it pending at the block it
//!   follows (finalized), started its signing run, finished that run with a signature and put
//!   the signature into the transaction pool; `null` for a request it has no record of.
//! - `qsign_mpcTraffic()`: counters since the node started: MPC messages and bytes sent (by
//!   signing runs, and by all runs), signing runs started and signatures produced.
//!
//! Both are read-only and bounded: the times of at most [`MAX_TRACKED`] requests are kept (the
//! oldest ids go first), so nothing a client sends or the chain holds makes the record grow
//! without limit. Times are this node's wall clock: comparable across nodes on one machine (the
//! benchmark's setting), roughly (NTP) across machines.

use std::{
	collections::BTreeMap,
	sync::{Arc, Mutex, MutexGuard},
	time::{SystemTime, UNIX_EPOCH},
};

use jsonrpsee::{types::ErrorObjectOwned, RpcModule};
use qsign_primitives::request::RequestId;
use serde::{Deserialize, Serialize};

/// Requests whose stage times are kept.
pub const MAX_TRACKED: usize = 65_536;
/// Request ids one `qsign_signingTimes` call may ask for.
pub const MAX_IDS_PER_CALL: usize = 1_024;

/// A stage of a signing request, as one node sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
	/// First seen pending at the block the worker follows (finalized).
	SeenFinal,
	/// Our signing run for it started (its first run, if several).
	RunStarted,
	/// A run of ours finished with a valid signature.
	RunFinished,
	/// Our signature went into the transaction pool.
	Submitted,
}

/// When one request passed each [`Stage`] on this node, in ms since the UNIX epoch (the first
/// time each happened).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTimes {
	/// [`Stage::SeenFinal`].
	pub seen_final: Option<u64>,
	/// [`Stage::RunStarted`].
	pub run_started: Option<u64>,
	/// [`Stage::RunFinished`].
	pub run_finished: Option<u64>,
	/// [`Stage::Submitted`].
	pub submitted: Option<u64>,
}

/// The worker's traffic and run counters since the node started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Traffic {
	/// MPC messages sent by signing runs (one per recipient).
	pub signing_messages: u64,
	/// Their bytes (as sent: sealed, with header and signature).
	pub signing_bytes: u64,
	/// MPC messages sent by all runs (signing, key generation, handover, resends).
	pub all_messages: u64,
	/// Their bytes.
	pub all_bytes: u64,
	/// Signing runs started.
	pub signing_runs: u64,
	/// Signing runs that produced a valid signature.
	pub signatures: u64,
}

#[derive(Default)]
struct Inner {
	times: BTreeMap<RequestId, StageTimes>,
	traffic: Traffic,
}

/// The record, shared by the worker (writes) and the RPC (reads).
#[derive(Default)]
pub struct Measurements {
	inner: Mutex<Inner>,
}

/// Now, in ms since the UNIX epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Measurements {
	/// An empty record.
	pub fn new() -> Arc<Self> {
		Arc::new(Self::default())
	}

	/// The record, also after a panic elsewhere while it was held (it stays consistent: every
	/// update is a single assignment).
	fn lock(&self) -> MutexGuard<'_, Inner> {
		self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
	}

	/// Notes that `request` reached `stage` at `at_ms`, unless it did before. A new request
	/// pushes the oldest id out once [`MAX_TRACKED`] are kept.
	pub fn record(&self, request: RequestId, stage: Stage, at_ms: u64) {
		let mut inner = self.lock();
		if !inner.times.contains_key(&request) && inner.times.len() >= MAX_TRACKED {
			// Ids grow with time: the smallest is the oldest request.
			if inner.times.first_key_value().is_some_and(|(oldest, _)| *oldest > request) {
				return;
			}
			inner.times.pop_first();
		}
		let times = inner.times.entry(request).or_default();
		let slot = match stage {
			Stage::SeenFinal => &mut times.seen_final,
			Stage::RunStarted => &mut times.run_started,
			Stage::RunFinished => &mut times.run_finished,
			Stage::Submitted => &mut times.submitted,
		};
		slot.get_or_insert(at_ms);
	}

	/// The times of `requests`, in order (`None` for one without a record).
	pub fn times(&self, requests: &[RequestId]) -> Vec<Option<StageTimes>> {
		let inner = self.lock();
		requests.iter().map(|id| inner.times.get(id).copied()).collect()
	}

	/// Counts a message of `bytes` bytes sent by a signing run (`signing`) or another run.
	pub fn sent(&self, bytes: usize, signing: bool) {
		let bytes = bytes as u64;
		let mut inner = self.lock();
		let traffic = &mut inner.traffic;
		traffic.all_messages += 1;
		traffic.all_bytes += bytes;
		if signing {
			traffic.signing_messages += 1;
			traffic.signing_bytes += bytes;
		}
	}

	/// Counts a signing run started.
	pub fn signing_run_started(&self) {
		self.lock().traffic.signing_runs += 1;
	}

	/// Counts a signature produced.
	pub fn signature_produced(&self) {
		self.lock().traffic.signatures += 1;
	}

	/// The counters.
	pub fn traffic(&self) -> Traffic {
		self.lock().traffic
	}
}

/// The RPC methods `qsign_signingTimes` and `qsign_mpcTraffic` over `measurements`.
pub fn rpc_module(measurements: Arc<Measurements>) -> RpcModule<Arc<Measurements>> {
	let mut module = RpcModule::new(measurements);
	module
		.register_method("qsign_signingTimes", |params, measurements, _| {
			let ids: Vec<RequestId> = params.one()?;
			if ids.len() > MAX_IDS_PER_CALL {
				return Err(ErrorObjectOwned::owned(
					jsonrpsee::types::error::INVALID_PARAMS_CODE,
					format!("at most {MAX_IDS_PER_CALL} request ids per call, got {}", ids.len()),
					None::<()>,
				));
			}
			Ok::<_, ErrorObjectOwned>(measurements.times(&ids))
		})
		.expect("the method names are unique");
	module
		.register_method("qsign_mpcTraffic", |_, measurements, _| {
			Ok::<_, ErrorObjectOwned>(measurements.traffic())
		})
		.expect("the method names are unique");
	module
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn each_stage_keeps_its_first_time() {
		let measurements = Measurements::new();
		measurements.record(7, Stage::SeenFinal, 100);
		measurements.record(7, Stage::SeenFinal, 200);
		measurements.record(7, Stage::Submitted, 300);
		assert_eq!(
			measurements.times(&[7, 8]),
			vec![
				Some(StageTimes {
					seen_final: Some(100),
					submitted: Some(300),
					..Default::default()
				}),
				None
			]
		);
	}

	#[test]
	fn the_record_is_bounded_and_forgets_the_oldest_requests() {
		let measurements = Measurements::new();
		for id in 0..MAX_TRACKED as u64 + 10 {
			measurements.record(id, Stage::SeenFinal, id);
		}
		assert_eq!(measurements.lock().times.len(), MAX_TRACKED);
		assert_eq!(
			measurements.times(&[9, 10]),
			vec![None, Some(StageTimes { seen_final: Some(10), ..Default::default() })]
		);
		// An id older than every kept one is not let in.
		measurements.record(3, Stage::SeenFinal, 1);
		assert_eq!(measurements.times(&[3]), vec![None]);
	}

	#[test]
	fn traffic_counts_signing_apart() {
		let measurements = Measurements::new();
		measurements.sent(100, true);
		measurements.sent(50, false);
		measurements.signing_run_started();
		measurements.signature_produced();
		let traffic = measurements.traffic();
		assert_eq!((traffic.signing_messages, traffic.signing_bytes), (1, 100));
		assert_eq!((traffic.all_messages, traffic.all_bytes), (2, 150));
		assert_eq!((traffic.signing_runs, traffic.signatures), (1, 1));
	}

	#[test]
	fn the_rpc_answers_and_refuses_too_many_ids() {
		let measurements = Measurements::new();
		measurements.record(1, Stage::RunStarted, 5);
		measurements.sent(10, true);
		let module = rpc_module(measurements);
		let times: Vec<Option<StageTimes>> =
			futures::executor::block_on(module.call("qsign_signingTimes", [vec![1u64, 2]]))
				.expect("answered");
		assert_eq!(times[0].and_then(|t| t.run_started), Some(5));
		assert_eq!(times[1], None);
		let traffic: Traffic =
			futures::executor::block_on(module.call("qsign_mpcTraffic", jsonrpsee::rpc_params![]))
				.expect("answered");
		assert_eq!(traffic.signing_bytes, 10);
		let many: Vec<u64> = (0..=MAX_IDS_PER_CALL as u64).collect();
		let refused = futures::executor::block_on(
			module.call::<_, Vec<Option<StageTimes>>>("qsign_signingTimes", [many]),
		)
		.expect_err("too many ids");
		assert!(refused.to_string().contains("at most 1024 request ids"), "{refused}");
	}
}
