//! Where a signing request's time goes: the validators' own stage times
//! (`qsign_signingTimes`) and MPC traffic counters (`qsign_mpcTraffic`), combined with what a
//! client saw, into one table of stage durations (for the load benchmark).

use serde::Deserialize;
use serde_json::json;

use crate::{stats::Summary, Client, RequestId, Result};

/// Request ids per `qsign_signingTimes` call (the node's limit).
pub const IDS_PER_CALL: usize = 1_024;

/// When one request passed each stage on one validator, in ms since the UNIX epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStageTimes {
	/// First seen pending at the block the validator's worker follows (finalized).
	pub seen_final: Option<u64>,
	/// Its signing run started.
	pub run_started: Option<u64>,
	/// Its run produced a valid signature.
	pub run_finished: Option<u64>,
	/// Its signature went into the transaction pool.
	pub submitted: Option<u64>,
}

/// One validator's MPC counters since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Traffic {
	/// Messages sent by signing runs.
	pub signing_messages: u64,
	/// Their bytes.
	pub signing_bytes: u64,
	/// Messages sent by all runs.
	pub all_messages: u64,
	/// Their bytes.
	pub all_bytes: u64,
	/// Signing runs started.
	pub signing_runs: u64,
	/// Signatures produced.
	pub signatures: u64,
}

impl Traffic {
	/// The counters from `earlier` to `self`.
	pub fn since(&self, earlier: &Traffic) -> Traffic {
		Traffic {
			signing_messages: self.signing_messages.saturating_sub(earlier.signing_messages),
			signing_bytes: self.signing_bytes.saturating_sub(earlier.signing_bytes),
			all_messages: self.all_messages.saturating_sub(earlier.all_messages),
			all_bytes: self.all_bytes.saturating_sub(earlier.all_bytes),
			signing_runs: self.signing_runs.saturating_sub(earlier.signing_runs),
			signatures: self.signatures.saturating_sub(earlier.signatures),
		}
	}
}

impl Client {
	/// The node's stage times of `ids` (`None` where it has no record), in as many calls as
	/// needed.
	///
	/// # Errors
	///
	/// Transport and decoding errors; a node without the method answers with [`crate::Error::Rpc`].
	pub fn signing_times(&self, ids: &[RequestId]) -> Result<Vec<Option<NodeStageTimes>>> {
		let mut out = Vec::with_capacity(ids.len());
		for chunk in ids.chunks(IDS_PER_CALL) {
			let times: Vec<Option<NodeStageTimes>> =
				self.rpc().call_as("qsign_signingTimes", json!([chunk]))?;
			if times.len() != chunk.len() {
				return Err(crate::Error::decode(
					"qsign_signingTimes",
					format!("{} answers for {} ids", times.len(), chunk.len()),
				));
			}
			out.extend(times);
		}
		Ok(out)
	}

	/// The node's MPC counters.
	///
	/// # Errors
	///
	/// Transport and decoding errors.
	pub fn mpc_traffic(&self) -> Result<Traffic> {
		self.rpc().call_as("qsign_mpcTraffic", json!([]))
	}
}

/// A request's path as seen by the client and every validator, in ms since the UNIX epoch.
#[derive(Clone, Debug, Default)]
pub struct RequestPath {
	/// The client submitted the extrinsic that made it.
	pub submitted: u64,
	/// The client saw the block that included it.
	pub included_seen: u64,
	/// Each validator's stage times (those with a record).
	pub nodes: Vec<NodeStageTimes>,
	/// The client saw the block with its `Signed` event.
	pub signed_seen: u64,
}

/// The stages of [`StageTable`], in order.
pub const STAGES: [&str; 6] = [
	"submitted -> request's block seen (client)",
	"request's block seen -> final at a worker",
	"final -> signing run started",
	"run started -> run finished (MPC)",
	"run finished -> signature in the pool",
	"in the pool -> result's block seen (client)",
];

/// Summaries of each stage's duration in ms over many requests ([`STAGES`] order), and of
/// the whole path.
#[derive(Clone, Debug, Default)]
pub struct StageTable {
	/// Per stage: its durations' summary (`None` if no request had both ends).
	pub stages: Vec<Option<Summary>>,
	/// Submitted → result's block seen.
	pub total: Option<Summary>,
}

/// The signing phase of a burst: from the first signing run started (on any validator) to the
/// last request's first finished run, with the signatures per second over it. What the MPC
/// network sustained once requests were final, without the block and finality times before
/// and after (`None` without at least two finished requests or with an empty span).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SigningPhase {
	/// Requests with a finished run.
	pub signatures: usize,
	/// Milliseconds from the first run's start to the last request's first finished run.
	pub span_ms: u64,
}

impl SigningPhase {
	/// The phase of `paths`.
	pub fn of(paths: &[RequestPath]) -> Option<Self> {
		let start = paths.iter().filter_map(|path| path.boundaries()[3]).min()?;
		let finishes: Vec<u64> = paths.iter().filter_map(|path| path.boundaries()[4]).collect();
		let end = *finishes.iter().max()?;
		let span_ms = end.checked_sub(start).filter(|span| *span > 0)?;
		(finishes.len() >= 2).then_some(Self { signatures: finishes.len(), span_ms })
	}

	/// Signatures per second over the phase.
	pub fn rate(&self) -> f64 {
		self.signatures as f64 * 1_000.0 / self.span_ms as f64
	}
}

impl RequestPath {
	/// The stage boundaries: client times, and for node stages the earliest validator (the
	/// first to reach a stage is the one that moves the request on). `None` where unknown.
	pub fn boundaries(&self) -> [Option<u64>; 7] {
		let earliest =
			|f: fn(&NodeStageTimes) -> Option<u64>| self.nodes.iter().filter_map(f).min();
		[
			Some(self.submitted),
			Some(self.included_seen),
			earliest(|t| t.seen_final),
			earliest(|t| t.run_started),
			earliest(|t| t.run_finished),
			earliest(|t| t.submitted),
			Some(self.signed_seen),
		]
	}
}

impl StageTable {
	/// The table of `paths`. A stage's duration is counted for a request only if both of its
	/// ends are known and in order (clocks of one machine; a negative span means the stage
	/// overlapped the previous one, e.g. a block seen by a worker before the client polled it,
	/// and counts as 0).
	pub fn of(paths: &[RequestPath]) -> Self {
		let mut spans: Vec<Vec<f64>> = vec![Vec::new(); STAGES.len()];
		let mut totals = Vec::new();
		for path in paths {
			let b = path.boundaries();
			for (stage, span) in spans.iter_mut().enumerate() {
				if let (Some(from), Some(to)) = (b[stage], b[stage + 1]) {
					span.push(to.saturating_sub(from) as f64);
				}
			}
			totals.push(path.signed_seen.saturating_sub(path.submitted) as f64);
		}
		StageTable {
			stages: spans.iter().map(|span| Summary::of(span)).collect(),
			total: Summary::of(&totals),
		}
	}

	/// The table as text lines: stage, p50 and p99 in ms.
	pub fn lines(&self) -> Vec<String> {
		let mut lines =
			vec![format!("  {:<46} {:>9} {:>9} {:>6}", "stage", "p50 ms", "p99 ms", "n")];
		let row = |name: &str, summary: &Option<Summary>| match summary {
			Some(s) => format!("  {name:<46} {:>9.0} {:>9.0} {:>6}", s.p50, s.p99, s.count),
			None => format!("  {name:<46} {:>9} {:>9} {:>6}", "-", "-", 0),
		};
		for (name, summary) in STAGES.iter().zip(&self.stages) {
			lines.push(row(name, summary));
		}
		lines.push(row("total: submitted -> result's block seen", &self.total));
		lines
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn node(seen: u64, started: u64, finished: u64, pooled: u64) -> NodeStageTimes {
		NodeStageTimes {
			seen_final: Some(seen),
			run_started: Some(started),
			run_finished: Some(finished),
			submitted: Some(pooled),
		}
	}

	#[test]
	fn the_signing_phase_runs_from_the_first_run_to_the_last_signature() {
		let path = |started: u64, finished: u64| RequestPath {
			submitted: 0,
			included_seen: 100,
			// The second validator is later on both counts: the first one's times count.
			nodes: vec![
				node(200, started, finished, finished + 5),
				node(200, started + 7, finished + 9, 0),
			],
			signed_seen: 9_000,
		};
		let phase = SigningPhase::of(&[path(1_000, 1_400), path(1_100, 3_000), path(900, 2_000)]);
		assert_eq!(phase, Some(SigningPhase { signatures: 3, span_ms: 2_100 }));
		assert!((phase.unwrap().rate() - 3.0 / 2.1).abs() < 1e-9);
		assert_eq!(SigningPhase::of(&[path(1_000, 1_400)]), None, "one signature is no rate");
		assert_eq!(SigningPhase::of(&[]), None);
	}

	#[test]
	fn each_stage_is_taken_from_the_first_validator_to_reach_it() {
		let path = RequestPath {
			submitted: 1_000,
			included_seen: 4_000,
			nodes: vec![node(5_000, 5_010, 5_100, 5_120), node(4_900, 5_020, 5_090, 5_200)],
			signed_seen: 8_000,
		};
		assert_eq!(
			path.boundaries(),
			[
				Some(1_000),
				Some(4_000),
				Some(4_900),
				Some(5_010),
				Some(5_090),
				Some(5_120),
				Some(8_000)
			]
		);
		let table = StageTable::of(&[path]);
		let p50: Vec<f64> = table.stages.iter().map(|s| s.unwrap().p50).collect();
		assert_eq!(p50, vec![3_000.0, 900.0, 110.0, 80.0, 30.0, 2_880.0]);
		assert_eq!(table.total.unwrap().p50, 7_000.0);
		assert_eq!(table.lines().len(), STAGES.len() + 2);
	}

	#[test]
	fn unknown_node_stages_are_left_out_not_counted_as_zero() {
		let path = RequestPath {
			submitted: 0,
			included_seen: 3_000,
			nodes: vec![NodeStageTimes::default()],
			signed_seen: 9_000,
		};
		let table = StageTable::of(&[path]);
		assert!(table.stages[0].is_some());
		assert!(table.stages[1].is_none() && table.stages[5].is_none());
		assert_eq!(table.total.unwrap().p50, 9_000.0);
	}

	#[test]
	fn traffic_differences_do_not_underflow() {
		let later = Traffic { signing_bytes: 10, ..Default::default() };
		let earlier = Traffic { signing_bytes: 4, signatures: 3, ..Default::default() };
		let since = later.since(&earlier);
		assert_eq!((since.signing_bytes, since.signatures), (6, 0));
	}
}
