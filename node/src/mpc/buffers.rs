//! The worker's message buffers, each bounded:
//! - [`EarlyMessages`]: messages for runs we have not started yet (a faster peer began first).
//!   Every member may hold only its share of the buffer, so one that sends messages for
//!   sessions nobody starts fills its own quota, not everyone's.
//! - [`Undelivered`]: our messages for a member that is momentarily disconnected, sent when it
//!   reconnects if their run is still going: a run survives a member's reconnect.
//! - [`SentMessages`]: what a key generation or handover run sent each participant, sent again
//!   when that participant's key connects anew (another process with the same key, or the same
//!   one after a network break): messages in flight to a connection that then died are not
//!   lost for the whole run. The receiver ignores identical copies.

use qsign_mpc::SessionId;
use std::{
	collections::{HashMap, VecDeque},
	hash::Hash,
	time::{Duration, Instant},
};

/// Bounds of an [`EarlyMessages`] buffer.
#[derive(Clone, Copy, Debug)]
pub struct EarlyLimits {
	/// Sessions held at most (the oldest goes first).
	pub sessions: usize,
	/// Messages held for one session at most.
	pub per_session: usize,
	/// Bytes held in all.
	pub bytes: usize,
	/// Messages one sender may have in the buffer.
	pub per_sender_messages: usize,
	/// Bytes one sender may have in the buffer.
	pub per_sender_bytes: usize,
	/// How long a session's messages are kept if it never starts.
	pub ttl: Duration,
}

/// Why a message was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRoom {
	/// The whole buffer is full.
	Buffer,
	/// The sender's share of the buffer is full.
	SenderQuota,
	/// Too many messages for this one session.
	Session,
}

impl std::fmt::Display for NoRoom {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(match self {
			Self::Buffer => "early-message buffer full",
			Self::SenderQuota => "its share of the early buffer is full",
			Self::Session => "too many messages for an unknown session",
		})
	}
}

struct Early<K> {
	since: Instant,
	/// Arrival order of the session's first message (the oldest session goes first).
	order: u64,
	messages: Vec<(K, Vec<u8>)>,
	bytes: usize,
}

/// Messages for sessions we have not started yet, with the member (`K`) that sent each.
pub struct EarlyMessages<K> {
	limits: EarlyLimits,
	sessions: HashMap<SessionId, Early<K>>,
	bytes: usize,
	/// Messages and bytes each sender has in the buffer.
	by_sender: HashMap<K, (usize, usize)>,
	next_order: u64,
}

impl<K: Clone + Eq + Hash> EarlyMessages<K> {
	/// An empty buffer with `limits`.
	pub fn new(limits: EarlyLimits) -> Self {
		Self {
			limits,
			sessions: HashMap::new(),
			bytes: 0,
			by_sender: HashMap::new(),
			next_order: 0,
		}
	}

	/// Keeps `bytes` from `sender` for `session_id`. A new session beyond the session limit
	/// pushes out the oldest one.
	pub fn hold(&mut self, session_id: SessionId, sender: K, bytes: Vec<u8>) -> Result<(), NoRoom> {
		if !self.sessions.contains_key(&session_id) && self.sessions.len() >= self.limits.sessions {
			let oldest = self.sessions.iter().min_by_key(|(_, e)| e.order).map(|(id, _)| *id);
			if let Some(oldest) = oldest {
				self.take(&oldest);
			}
		}
		if self.bytes + bytes.len() > self.limits.bytes {
			return Err(NoRoom::Buffer);
		}
		let (messages, held) = self.held_by(&sender);
		if messages >= self.limits.per_sender_messages
			|| held + bytes.len() > self.limits.per_sender_bytes
		{
			return Err(NoRoom::SenderQuota);
		}
		let order = self.next_order;
		let entry = self.sessions.entry(session_id).or_insert_with(|| Early {
			since: Instant::now(),
			order,
			messages: Vec::new(),
			bytes: 0,
		});
		self.next_order += 1;
		if entry.messages.len() >= self.limits.per_session {
			return Err(NoRoom::Session);
		}
		self.bytes += bytes.len();
		entry.bytes += bytes.len();
		let quota = self.by_sender.entry(sender.clone()).or_default();
		*quota = (quota.0 + 1, quota.1 + bytes.len());
		entry.messages.push((sender, bytes));
		Ok(())
	}

	/// Whether messages are held for `session_id`.
	pub fn contains(&self, session_id: &SessionId) -> bool {
		self.sessions.contains_key(session_id)
	}

	/// Removes and returns the messages held for `session_id` (freeing their senders' quotas).
	pub fn take(&mut self, session_id: &SessionId) -> Vec<(K, Vec<u8>)> {
		let Some(early) = self.sessions.remove(session_id) else { return Vec::new() };
		self.bytes = self.bytes.saturating_sub(early.bytes);
		for (sender, bytes) in &early.messages {
			if let Some(quota) = self.by_sender.get_mut(sender) {
				*quota = (quota.0.saturating_sub(1), quota.1.saturating_sub(bytes.len()));
				if quota.0 == 0 {
					self.by_sender.remove(sender);
				}
			}
		}
		early.messages
	}

	/// Drops the sessions older than the time-to-live.
	pub fn prune(&mut self) {
		let ttl = self.limits.ttl;
		let stale: Vec<SessionId> = self
			.sessions
			.iter()
			.filter(|(_, early)| early.since.elapsed() >= ttl)
			.map(|(id, _)| *id)
			.collect();
		for id in stale {
			self.take(&id);
		}
	}

	/// Messages and bytes `sender` has in the buffer.
	pub fn held_by(&self, sender: &K) -> (usize, usize) {
		self.by_sender.get(sender).copied().unwrap_or_default()
	}
}

/// A message for a member that was not connected when its run sent it.
struct Waiting {
	session_id: SessionId,
	bytes: Vec<u8>,
	since: Instant,
}

/// Our messages for members (`K`) that are momentarily disconnected: at most `per_member` for
/// each (the oldest go first), for at most `ttl`.
pub struct Undelivered<K> {
	per_member: usize,
	ttl: Duration,
	queues: HashMap<K, VecDeque<Waiting>>,
}

impl<K: Clone + Eq + Hash> Undelivered<K> {
	/// Empty queues with these bounds.
	pub fn new(per_member: usize, ttl: Duration) -> Self {
		Self { per_member, ttl, queues: HashMap::new() }
	}

	/// Keeps `bytes` of run `session_id` for `member`.
	pub fn keep(&mut self, member: K, session_id: SessionId, bytes: Vec<u8>) {
		let queue = self.queues.entry(member).or_default();
		while queue.len() >= self.per_member.max(1) {
			queue.pop_front();
		}
		queue.push_back(Waiting { session_id, bytes, since: Instant::now() });
	}

	/// What to send `member`, which just connected: its messages that are still fresh and whose
	/// run `is_running`, oldest first. The queue is emptied.
	pub fn take_for(
		&mut self,
		member: &K,
		is_running: impl Fn(&SessionId) -> bool,
	) -> Vec<Vec<u8>> {
		let Some(queue) = self.queues.remove(member) else { return Vec::new() };
		queue
			.into_iter()
			.filter(|waiting| waiting.since.elapsed() < self.ttl && is_running(&waiting.session_id))
			.map(|waiting| waiting.bytes)
			.collect()
	}

	/// Drops the messages older than the time-to-live.
	pub fn prune(&mut self) {
		let ttl = self.ttl;
		self.queues.retain(|_, queue| {
			queue.retain(|waiting| waiting.since.elapsed() < ttl);
			!queue.is_empty()
		});
	}
}

/// The messages one run sent, by recipient, up to a byte bound (past it, nothing more is kept:
/// the run then relies on [`Undelivered`] alone). Each recipient gets them again at most
/// [`MAX_RESENDS`] times per run: a member that reconnects over and over does not make us send
/// megabytes each time.
#[derive(Debug)]
pub struct SentMessages<P> {
	by_recipient: HashMap<P, Vec<Vec<u8>>>,
	resends: HashMap<P, u8>,
	bytes: usize,
	max_bytes: usize,
}

/// How many times one run sends a recipient its messages again.
pub const MAX_RESENDS: u8 = 3;

impl<P: Copy + Eq + Hash> SentMessages<P> {
	/// An empty record that keeps at most `max_bytes` of messages.
	pub fn new(max_bytes: usize) -> Self {
		Self { by_recipient: HashMap::new(), resends: HashMap::new(), bytes: 0, max_bytes }
	}

	/// Records `bytes` as sent to `recipient`; `false` if over the bound (not kept).
	pub fn keep(&mut self, recipient: P, bytes: &[u8]) -> bool {
		if self.bytes.saturating_add(bytes.len()) > self.max_bytes {
			return false;
		}
		self.bytes += bytes.len();
		self.by_recipient.entry(recipient).or_default().push(bytes.to_vec());
		true
	}

	/// Everything sent to `recipient`, in order.
	#[cfg(test)]
	pub fn to(&self, recipient: P) -> &[Vec<u8>] {
		self.by_recipient.get(&recipient).map_or(&[], Vec::as_slice)
	}

	/// Everything sent to `recipient`, to send again: empty once it was sent again
	/// [`MAX_RESENDS`] times (or if nothing was sent).
	pub fn resend_to(&mut self, recipient: P) -> &[Vec<u8>] {
		let Some(messages) = self.by_recipient.get(&recipient) else { return &[] };
		let count = self.resends.entry(recipient).or_default();
		if *count >= MAX_RESENDS {
			return &[];
		}
		*count += 1;
		messages
	}
}

impl<P> Default for SentMessages<P> {
	/// Kept only by runs that ask for it: a record that keeps nothing.
	fn default() -> Self {
		Self { by_recipient: HashMap::new(), resends: HashMap::new(), bytes: 0, max_bytes: 0 }
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const LIMITS: EarlyLimits = EarlyLimits {
		sessions: 4,
		per_session: 3,
		bytes: 100,
		per_sender_messages: 2,
		per_sender_bytes: 25,
		ttl: Duration::from_secs(3600),
	};

	fn session(n: u8) -> SessionId {
		SessionId([n; 32])
	}

	#[test]
	fn a_flooding_member_fills_its_own_quota_and_others_are_still_kept() {
		let mut early = EarlyMessages::new(LIMITS);
		assert_eq!(early.hold(session(1), 'm', vec![0; 10]), Ok(()));
		assert_eq!(early.hold(session(2), 'm', vec![0; 10]), Ok(()));
		// Its third message (count) and a large one (bytes) are refused...
		assert_eq!(early.hold(session(3), 'm', vec![0; 1]), Err(NoRoom::SenderQuota));
		let mut other = EarlyMessages::new(LIMITS);
		other.hold(session(1), 'm', vec![0; 20]).unwrap();
		assert_eq!(other.hold(session(2), 'm', vec![0; 6]), Err(NoRoom::SenderQuota));
		// ...while honest members' messages still find room.
		assert_eq!(early.hold(session(1), 'a', vec![0; 10]), Ok(()));
		assert_eq!(early.hold(session(3), 'b', vec![0; 10]), Ok(()));
		assert_eq!(early.held_by(&'m'), (2, 20));
	}

	#[test]
	fn taking_a_session_frees_its_senders_quotas() {
		let mut early = EarlyMessages::new(LIMITS);
		early.hold(session(1), 'm', vec![1; 10]).unwrap();
		early.hold(session(1), 'a', vec![2; 5]).unwrap();
		early.hold(session(2), 'm', vec![3; 10]).unwrap();
		assert_eq!(early.take(&session(1)), vec![('m', vec![1; 10]), ('a', vec![2; 5])]);
		assert!(!early.contains(&session(1)));
		assert_eq!(early.held_by(&'m'), (1, 10));
		assert_eq!(early.held_by(&'a'), (0, 0));
		assert_eq!(early.hold(session(3), 'm', vec![0; 10]), Ok(()), "room again");
		assert!(early.take(&session(9)).is_empty());
	}

	#[test]
	fn the_buffer_and_each_session_are_bounded_and_the_oldest_session_goes_first() {
		let mut early = EarlyMessages::new(LIMITS);
		// Per session.
		for sender in ['a', 'b', 'c'] {
			early.hold(session(1), sender, vec![0; 1]).unwrap();
		}
		assert_eq!(early.hold(session(1), 'd', vec![0; 1]), Err(NoRoom::Session));
		// A fifth session pushes out the oldest (session 1).
		for n in 2..=5 {
			early.hold(session(n), char::from(b'e' + n), vec![0; 1]).unwrap();
		}
		assert!(!early.contains(&session(1)));
		assert!(early.contains(&session(5)));
		assert_eq!(early.held_by(&'a'), (0, 0), "its quota went with it");
		// In bytes, whoever sends.
		let mut full = EarlyMessages::new(LIMITS);
		for (n, sender) in ['a', 'b', 'c', 'd'].into_iter().enumerate() {
			full.hold(session(n as u8), sender, vec![0; 25]).unwrap();
		}
		assert_eq!(full.hold(session(0), 'e', vec![0; 1]), Err(NoRoom::Buffer));
	}

	#[test]
	fn sessions_that_never_start_expire() {
		let mut early = EarlyMessages::new(EarlyLimits { ttl: Duration::ZERO, ..LIMITS });
		early.hold(session(1), 'm', vec![0; 10]).unwrap();
		early.prune();
		assert!(!early.contains(&session(1)));
		assert_eq!(early.held_by(&'m'), (0, 0));
	}

	#[test]
	fn a_member_that_reconnects_gets_what_its_running_runs_sent_it_in_order() {
		let mut waiting = Undelivered::new(3, Duration::from_secs(3600));
		waiting.keep('b', session(1), vec![1]);
		waiting.keep('b', session(2), vec![2]);
		waiting.keep('b', session(1), vec![3]);
		waiting.keep('c', session(1), vec![9]);
		// Session 2 ended meanwhile: its message is not sent.
		assert_eq!(waiting.take_for(&'b', |id| *id == session(1)), vec![vec![1], vec![3]]);
		assert!(waiting.take_for(&'b', |_| true).is_empty(), "sent once");
		assert_eq!(waiting.take_for(&'c', |_| true), vec![vec![9]]);
	}

	#[test]
	fn a_member_away_too_long_or_sent_too_much_loses_the_oldest_messages() {
		let mut waiting = Undelivered::new(2, Duration::from_secs(3600));
		for n in 1..=3 {
			waiting.keep('b', session(n), vec![n]);
		}
		assert_eq!(waiting.take_for(&'b', |_| true), vec![vec![2], vec![3]]);
		let mut expired = Undelivered::new(2, Duration::ZERO);
		expired.keep('b', session(1), vec![1]);
		assert!(expired.take_for(&'b', |_| true).is_empty());
		expired.keep('b', session(1), vec![1]);
		expired.prune();
		assert!(expired.queues.is_empty());
	}

	#[test]
	fn sent_messages_are_kept_by_recipient_up_to_the_bound() {
		let mut sent = SentMessages::new(10);
		assert!(sent.keep(2u16, b"abcd"));
		assert!(sent.keep(3, b"efg"));
		assert!(sent.keep(2, b"hi"));
		assert!(!sent.keep(3, b"jk"), "11 bytes is over the bound");
		assert_eq!(sent.to(2), &[b"abcd".to_vec(), b"hi".to_vec()]);
		assert_eq!(sent.to(3), &[b"efg".to_vec()]);
		assert!(sent.to(4).is_empty());
		let mut nothing = SentMessages::default();
		assert!(!nothing.keep(1u16, b"x"));
		// Sent again at most three times per recipient.
		for _ in 0..MAX_RESENDS {
			assert_eq!(sent.resend_to(3).len(), 1);
		}
		assert!(sent.resend_to(3).is_empty());
		assert_eq!(sent.resend_to(2).len(), 2, "counted per recipient");
		assert!(sent.resend_to(4).is_empty());
	}
}
