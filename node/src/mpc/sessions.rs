//! Protocol runs on their own threads.
//!
//! The cryptography of a run is CPU-bound (a 3-of-5 key generation takes seconds), so each
//! run gets a thread: the worker feeds it the messages peers send
//! ([`SessionHandle::deliver`]) and receives, on one channel for all runs, what the run wants
//! sent and how it ended ([`SessionEvent`]).

use futures::channel::mpsc::UnboundedSender;
use qsign_mpc::{MpcError, OutgoingMessage, PartyIndex, Session, SessionId};
use std::{
	sync::mpsc,
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
	},
}

impl std::fmt::Display for SessionError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Protocol(e) => write!(f, "{e}"),
			Self::TimedOut { after } => write!(f, "timed out after {} s", after.as_secs()),
		}
	}
}

/// The worker's end of a running session.
pub struct SessionHandle {
	inbox: mpsc::Sender<(PartyIndex, Vec<u8>)>,
	/// The parties taking part (us included).
	pub participants: Vec<PartyIndex>,
}

impl SessionHandle {
	/// Hands a message from `from` to the session. Returns `false` if the session has ended.
	pub fn deliver(&self, from: PartyIndex, bytes: Vec<u8>) -> bool {
		self.inbox.send((from, bytes)).is_ok()
	}
}

/// How long a session may wait for a message and how long it may last in total.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
	/// The session fails if no message arrives for this long (a participant is silent).
	pub idle: Duration,
	/// The session fails after this long whatever happens.
	pub total: Duration,
}

/// Starts `session` on a thread of its own; it ends with output, a fatal error, a time-out
/// ([`Timeouts`]; idle time, so a slow but progressing run on a loaded machine is not
/// abandoned), or when its [`SessionHandle`] is dropped.
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
	let (inbox, messages) = mpsc::channel::<(PartyIndex, Vec<u8>)>();
	let session_id = session.session_id();
	std::thread::Builder::new().name(name.into()).spawn(move || {
		let deadline = Instant::now() + timeouts.total;
		let finish = |result| {
			let _ = events.unbounded_send(wrap(SessionEvent::Finished { session_id, result }));
		};
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
			let left = deadline.saturating_duration_since(Instant::now()).min(timeouts.idle);
			match messages.recv_timeout(left) {
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
				}
				Err(mpsc::RecvTimeoutError::Timeout) => {
					let after =
						if Instant::now() >= deadline { timeouts.total } else { timeouts.idle };
					return finish(Err(SessionError::TimedOut { after }));
				}
				Err(mpsc::RecvTimeoutError::Disconnected) => return,
			}
		}
	})?;
	Ok(SessionHandle { inbox, participants })
}
