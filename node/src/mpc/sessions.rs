//! Protocol runs on their own threads.
//!
//! The cryptography of a run is CPU-bound (a 3-of-5 key generation takes seconds), so each
//! run gets a thread: the worker feeds it the messages peers send
//! ([`SessionHandle::deliver`]) and receives, on one channel for all runs, what the run wants
//! sent and how it ended ([`SessionEvent`]).

use futures::channel::mpsc::UnboundedSender;
use qsign_mpc::{MpcError, OutgoingMessage, PartyIndex, Session, SessionId};
use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		mpsc, Arc,
	},
	time::{Duration, Instant},
};

/// Something a session thread reports to the worker.
pub enum SessionEvent<O> {
	/// Messages to send for session `session_id`.
	Outgoing {
		/// The session.
		session_id: SessionId,
		/// The messages, in order.
		messages: Vec<OutgoingMessage>,
	},
	/// The session ended.
	Finished {
		/// The session.
		session_id: SessionId,
		/// Its output, or why it failed.
		result: Result<O, SessionError>,
	},
}

/// Why a session ended without output.
#[derive(Debug)]
pub enum SessionError {
	/// The protocol aborted (names the culprit where the engine can).
	Protocol(MpcError),
	/// Not every participant answered in time.
	TimedOut {
		/// The limit that passed.
		after: Duration,
		/// The parties whose messages for the current round never came (blamed for it).
		silent: Vec<PartyIndex>,
	},
}

impl std::fmt::Display for SessionError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Protocol(e) => write!(f, "{e}"),
			Self::TimedOut { after, silent } => {
				write!(f, "timed out after {} s", after.as_secs())?;
				if !silent.is_empty() {
					let parties: Vec<u16> = silent.iter().map(|p| p.get()).collect();
					write!(f, " waiting for parties {parties:?}")?;
				}
				Ok(())
			}
		}
	}
}

/// Messages queued for one session thread at most: a flood beyond it is dropped (a run needs a
/// few messages per participant and round).
pub const MAX_QUEUED_MESSAGES: usize = 1024;

/// The worker's end of a running session.
pub struct SessionHandle {
	inbox: mpsc::SyncSender<(PartyIndex, Vec<u8>)>,
	/// The parties taking part (us included).
	pub participants: Vec<PartyIndex>,
	started: Instant,
	/// Milliseconds from `started` to the run's last progress (a new message).
	progressed_ms: Arc<AtomicU64>,
}

impl SessionHandle {
	/// How long the run has made no progress (no new message); a replayed message is not
	/// progress.
	pub fn idle_for(&self) -> Duration {
		let progressed = Duration::from_millis(self.progressed_ms.load(Ordering::Relaxed));
		self.started.elapsed().saturating_sub(progressed)
	}

	/// Hands a message from `from` to the session. Returns `false` if the session has ended
	/// or its queue is full (the message is dropped).
	pub fn deliver(&self, from: PartyIndex, bytes: Vec<u8>) -> bool {
		self.inbox.try_send((from, bytes)).is_ok()
	}
}

/// How long a session may wait for a message and how long it may last in total.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
	/// The session fails if it makes no progress for this long (a participant is silent):
	/// only a new message is progress, a replayed one is not.
	pub idle: Duration,
	/// The session fails after this long whatever happens.
	pub total: Duration,
}

/// Starts `session` on a thread of its own; it ends with output, a fatal error, a time-out
/// ([`Timeouts`]; idle time, so a slow but progressing run on a loaded machine is not
/// abandoned, while replayed messages do not hold a run open), or when its [`SessionHandle`]
/// is dropped. A time-out names the parties whose messages for the current round never came.
///
/// `wrap` turns the session's events into the worker's event type.
pub fn spawn<S, E>(
	name: &str,
	mut session: S,
	participants: Vec<PartyIndex>,
	timeouts: Timeouts,
	events: UnboundedSender<E>,
	wrap: fn(SessionEvent<S::Output>) -> E,
) -> std::io::Result<SessionHandle>
where
	S: Session + 'static,
	S::Output: Send + 'static,
	E: Send + 'static,
{
	let (inbox, messages) = mpsc::sync_channel::<(PartyIndex, Vec<u8>)>(MAX_QUEUED_MESSAGES);
	let session_id = session.session_id();
	let started = Instant::now();
	let progressed_ms = Arc::new(AtomicU64::new(0));
	let progress_clock = progressed_ms.clone();
	std::thread::Builder::new().name(name.into()).spawn(move || {
		let deadline = Instant::now() + timeouts.total;
		let finish = |result| {
			let _ = events.unbounded_send(wrap(SessionEvent::Finished { session_id, result }));
		};
		let mut progress = session.progress();
		let mut progressed_at = Instant::now();
		loop {
			let outgoing = session.take_outgoing();
			if !outgoing.is_empty()
				&& events
					.unbounded_send(wrap(SessionEvent::Outgoing { session_id, messages: outgoing }))
					.is_err()
			{
				return;
			}
			if let Some(output) = session.take_output() {
				return finish(Ok(output));
			}
			let now = Instant::now();
			let idle_until = progressed_at + timeouts.idle;
			if now >= deadline || now >= idle_until {
				let after = if now >= deadline { timeouts.total } else { timeouts.idle };
				let silent = session.waiting_for();
				return finish(Err(SessionError::TimedOut { after, silent }));
			}
			match messages.recv_timeout(deadline.min(idle_until).saturating_duration_since(now)) {
				Ok((from, bytes)) => {
					if let Err(error) = session.handle_message(from, &bytes) {
						if error.is_fatal() {
							return finish(Err(SessionError::Protocol(error)));
						}
						log::debug!(
							target: super::LOG_TARGET,
							"session {session_id}: ignored a message from party {from}: {error}"
						);
					}
					let now_progress = session.progress();
					if now_progress > progress {
						progress = now_progress;
						progressed_at = Instant::now();
						let since_start = progressed_at.duration_since(started).as_millis();
						progress_clock.store(
							u64::try_from(since_start).unwrap_or(u64::MAX),
							Ordering::Relaxed,
						);
					}
				}
				// Checked at the top of the loop.
				Err(mpsc::RecvTimeoutError::Timeout) => {}
				Err(mpsc::RecvTimeoutError::Disconnected) => return,
			}
		}
	})?;
	Ok(SessionHandle { inbox, participants, started, progressed_ms })
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::StreamExt;
	use qsign_mpc::{local::run_threads, DkgConfig, Dkls23, KeyShare, SignRequest, ThresholdEcdsa};

	fn party(i: u16) -> PartyIndex {
		PartyIndex::new(i).expect("non-zero")
	}

	/// A 2-of-2 key.
	fn shares() -> Vec<KeyShare> {
		let sessions = (1..=2)
			.map(|me| {
				Dkls23::start_dkg(&DkgConfig {
					session_id: SessionId([1; 32]),
					threshold: 2,
					parties: 2,
					me: party(me),
				})
				.expect("valid")
			})
			.collect();
		run_threads(sessions, None).into_iter().map(|r| r.expect("key generation")).collect()
	}

	/// Party 1's signing run (session `id`) on its own thread with `timeouts`, its events, and
	/// party 2's first-round message for it.
	fn party_one_signing(
		id: u8,
		timeouts: Timeouts,
	) -> (
		SessionHandle,
		futures::channel::mpsc::UnboundedReceiver<SessionEvent<qsign_mpc::Signature>>,
		Vec<u8>,
	) {
		let shares = shares();
		let request = SignRequest {
			session_id: SessionId([id; 32]),
			signers: vec![party(1), party(2)],
			epsilon: [0; 32],
			message_hash: [7; 32],
		};
		let mut two = Dkls23::start_sign(&shares[1], &request).expect("valid");
		let round_one = two.take_outgoing().remove(0).bytes;
		let one = Dkls23::start_sign(&shares[0], &request).expect("valid");
		let (events_tx, events) = futures::channel::mpsc::unbounded();
		let handle = spawn("test-sign", one, vec![party(1), party(2)], timeouts, events_tx, |e| e)
			.expect("a thread");
		(handle, events, round_one)
	}

	#[test]
	fn replayed_messages_do_not_hold_a_run_open_and_the_silent_party_is_blamed() {
		// Idle 300 ms; the whole run may take a minute.
		let timeouts =
			Timeouts { idle: Duration::from_millis(300), total: Duration::from_secs(60) };
		let (handle, mut events, round_one) = party_one_signing(2, timeouts);
		// Party 2 sends round 1, then only replays it, faster than the idle limit.
		let replayer = std::thread::spawn(move || {
			while handle.deliver(party(2), round_one.clone()) {
				std::thread::sleep(Duration::from_millis(50));
			}
		});
		let result = futures::executor::block_on(async {
			loop {
				match events.next().await.expect("the session reports") {
					SessionEvent::Finished { result, .. } => return result,
					SessionEvent::Outgoing { .. } => continue,
				}
			}
		});
		match result {
			Err(SessionError::TimedOut { after, silent }) => {
				assert_eq!(after, timeouts.idle, "the idle limit, not the whole run's");
				assert_eq!(silent, vec![party(2)]);
			}
			Err(other) => panic!("expected a time-out, got {other}"),
			Ok(_) => panic!("expected a time-out, got a signature"),
		}
		replayer.join().expect("the replayer stops once the session ended");
	}

	#[test]
	fn a_party_sending_garbage_is_named_as_the_culprit() {
		let timeouts = Timeouts { idle: Duration::from_secs(60), total: Duration::from_secs(60) };
		let (handle, mut events, round_one) = party_one_signing(4, timeouts);
		// Party 2's round 1 as the `garbage` fault sends it: its header, junk for the payload.
		let junk = crate::mpc::faults::garbage(&round_one);
		assert_eq!(
			(junk.len(), &junk[..qsign_mpc::HEADER_LEN]),
			(round_one.len(), &round_one[..qsign_mpc::HEADER_LEN])
		);
		assert_ne!(junk, round_one);
		assert!(handle.deliver(party(2), junk));
		let result = futures::executor::block_on(async {
			loop {
				match events.next().await.expect("the session reports") {
					SessionEvent::Finished { result, .. } => return result,
					SessionEvent::Outgoing { .. } => continue,
				}
			}
		});
		match result {
			Err(SessionError::Protocol(error)) => {
				assert_eq!(error.culprit(), Some(party(2)), "{error}");
			}
			Err(other) => panic!("expected a protocol error naming party 2, got {other}"),
			Ok(_) => panic!("expected an error, got a signature"),
		}
	}

	#[test]
	fn a_new_message_moves_the_progress_clock_and_the_idle_time_grows_until_then() {
		let timeouts = Timeouts { idle: Duration::from_secs(60), total: Duration::from_secs(60) };
		let (handle, mut events, round_one) = party_one_signing(3, timeouts);
		// Our own round 1 goes out first; no message came, so the run is idle since its start.
		let first = futures::executor::block_on(events.next()).expect("round 1");
		assert!(matches!(first, SessionEvent::Outgoing { .. }));
		assert_eq!(handle.progressed_ms.load(Ordering::Relaxed), 0);
		let before = handle.idle_for();
		assert!(handle.idle_for() >= before, "idle time only grows without progress");
		let delivered_at = handle.started.elapsed();
		assert!(handle.deliver(party(2), round_one));
		// Party 2's round 1 is progress: our round 2 follows it, after the clock moved.
		let next = futures::executor::block_on(events.next()).expect("round 2");
		assert!(matches!(next, SessionEvent::Outgoing { .. }));
		let progressed = Duration::from_millis(handle.progressed_ms.load(Ordering::Relaxed));
		assert!(progressed + Duration::from_millis(1) >= delivered_at);
	}
}
