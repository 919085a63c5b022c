//! Running all parties of a session in one process: one thread per party exchanging the
//! real encoded messages over channels ([`run_threads`]), or a deterministic
//! single-threaded loop ([`run_in_turn`]) for measurements.
//!
//! This is how tests and the benchmark drive sessions, and a small reference for the node's
//! worker: send what [`Session::take_outgoing`] returns, feed what arrives to
//! [`Session::handle_message`], stop at the output or the first fatal error.

use std::{
	collections::BTreeMap,
	sync::{mpsc, Arc},
	thread,
	time::Duration,
};

use crate::{MpcError, PartyIndex, Recipient, Session};

/// Rewrites (or drops, by returning `false`) the bytes a sender sends to one receiver; used
/// to simulate a misbehaving party. Broadcasts are offered once per receiver, so a hook can
/// also simulate equivocation.
pub type Tamper = Arc<dyn Fn(PartyIndex, PartyIndex, &mut Vec<u8>) -> bool + Send + Sync>;

/// How one party's run ended, when it did not produce an output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
	/// The party's own session failed with this error.
	Mpc(MpcError),
	/// Another party's session failed first, so this one stopped waiting.
	PeerFailed(PartyIndex),
	/// Every other party stopped, or nothing arrived for [`STALL_TIMEOUT`], while this one
	/// still waited for messages.
	Stalled,
}

/// How long [`run_threads`] lets a party wait for its next message before giving up.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(600);

enum Event {
	Message(PartyIndex, Vec<u8>),
	Stopped { party: PartyIndex, failed: bool },
}

/// Runs each session on its own thread until it finishes or fails; returns the results in
/// the order of `sessions`. Parties not given a session are offline: messages to them are
/// dropped.
pub fn run_threads<S>(sessions: Vec<S>, tamper: Option<Tamper>) -> Vec<Result<S::Output, RunError>>
where
	S: Session + 'static,
	S::Output: Send + 'static,
{
	let mut senders = BTreeMap::new();
	let mut receivers = Vec::new();
	for session in &sessions {
		let (sender, receiver) = mpsc::channel::<Event>();
		senders.insert(session.me(), sender);
		receivers.push(receiver);
	}
	let handles: Vec<_> = sessions
		.into_iter()
		.zip(receivers)
		.map(|(session, inbox)| {
			let me = session.me();
			let peers: BTreeMap<_, _> = senders
				.iter()
				.filter(|(&party, _)| party != me)
				.map(|(&party, sender)| (party, sender.clone()))
				.collect();
			let tamper = tamper.clone();
			thread::spawn(move || run_party(session, &peers, &inbox, tamper.as_ref()))
		})
		.collect();
	drop(senders);
	handles
		.into_iter()
		.map(|handle| {
			handle.join().unwrap_or_else(|_| {
				Err(RunError::Mpc(MpcError::Internal("party thread panicked".into())))
			})
		})
		.collect()
}

fn run_party<S: Session>(
	mut session: S,
	peers: &BTreeMap<PartyIndex, mpsc::Sender<Event>>,
	inbox: &mpsc::Receiver<Event>,
	tamper: Option<&Tamper>,
) -> Result<S::Output, RunError> {
	let me = session.me();
	let stop = |failed: bool| {
		for sender in peers.values() {
			// A peer that already left does not need to know.
			let _ = sender.send(Event::Stopped { party: me, failed });
		}
	};
	let mut live: Vec<PartyIndex> = peers.keys().copied().collect();
	loop {
		for message in session.take_outgoing() {
			let targets: Vec<PartyIndex> = match message.to {
				Recipient::Broadcast => peers.keys().copied().collect(),
				Recipient::Party(party) => vec![party],
			};
			for target in targets {
				let Some(sender) = peers.get(&target) else { continue };
				let mut bytes = message.bytes.clone();
				if tamper.is_none_or(|tamper| tamper(me, target, &mut bytes)) {
					let _ = sender.send(Event::Message(me, bytes));
				}
			}
		}
		if let Some(output) = session.take_output() {
			stop(false);
			return Ok(output);
		}
		// A liveness guard for tests and benchmarks only (a real node times sessions out).
		match inbox.recv_timeout(STALL_TIMEOUT) {
			Ok(Event::Message(from, bytes)) => match session.handle_message(from, &bytes) {
				Err(error) if error.is_fatal() => {
					stop(true);
					return Err(RunError::Mpc(error));
				}
				_ => {}
			},
			Ok(Event::Stopped { party, failed: true }) => {
				stop(true);
				return Err(RunError::PeerFailed(party));
			}
			Ok(Event::Stopped { party, failed: false }) => {
				live.retain(|&p| p != party);
				if live.is_empty() {
					stop(true);
					return Err(RunError::Stalled);
				}
			}
			Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {
				stop(true);
				return Err(RunError::Stalled);
			}
		}
	}
}

/// Runs all sessions on the calling thread, delivering messages in a fixed order, until all
/// finish. Returns the outputs in the order of `sessions`, or the first fatal error with
/// the party that hit it.
///
/// # Errors
///
/// The first fatal [`MpcError`], or [`MpcError::Internal`] if no session can make progress.
pub fn run_in_turn<S: Session>(
	sessions: &mut [S],
) -> Result<Vec<S::Output>, (PartyIndex, MpcError)> {
	let index: BTreeMap<PartyIndex, usize> =
		sessions.iter().enumerate().map(|(i, s)| (s.me(), i)).collect();
	let mut outputs: Vec<Option<S::Output>> = sessions.iter().map(|_| None).collect();
	loop {
		let mut queue = Vec::new();
		for session in sessions.iter_mut() {
			let me = session.me();
			for message in session.take_outgoing() {
				match message.to {
					Recipient::Broadcast => {
						for &party in index.keys().filter(|&&p| p != me) {
							queue.push((me, party, message.bytes.clone()));
						}
					}
					Recipient::Party(party) => queue.push((me, party, message.bytes)),
				}
			}
		}
		for (slot, session) in outputs.iter_mut().zip(sessions.iter_mut()) {
			if slot.is_none() {
				*slot = session.take_output();
			}
		}
		if outputs.iter().all(Option::is_some) {
			return Ok(outputs.into_iter().flatten().collect());
		}
		if queue.is_empty() {
			let stuck = outputs.iter().zip(sessions.iter()).find(|(slot, _)| slot.is_none());
			if let Some((_, session)) = stuck {
				return Err((session.me(), MpcError::Internal("no messages in flight".into())));
			}
		}
		for (from, to, bytes) in queue {
			if let Some(&i) = index.get(&to) {
				if let Err(error) = sessions[i].handle_message(from, &bytes) {
					if error.is_fatal() {
						return Err((to, error));
					}
				}
			}
		}
	}
}
