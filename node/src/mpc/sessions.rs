//! Protocol runs off the worker's loop.
//!
//! The cryptography of a run is CPU-bound (a 3-of-5 key generation takes seconds), so it never
//! runs on the worker's loop: the worker feeds a run the messages peers send
//! ([`SessionHandle::deliver`]) and receives, on one channel for all runs, what the run wants
//! sent and how it ended ([`SessionEvent`]).
//!
//! - [`spawn`] gives a run a thread of its own: key generation, resharing and a handover's
//!   proof of signing (rare; a key generation's rounds take seconds).
//! - [`SessionPool`] runs many short runs (signing) on a few threads, one per core: a burst of
//!   hundreds of runs costs no thread creation and no context switches between hundreds of
//!   runnable threads, and each thread works through its runs' messages in arrival order. A
//!   run's first round is computed on the pool's thread too ([`SessionPool::start`] takes the
//!   run's constructor), not on the worker's loop.
//!
//! Both drive a run the same way ([`Driver`]): its idle timer moves only with progress (a new
//! message, not a replayed one), every run has a total limit, and a time-out names the parties
//! whose messages for the current round never came.

use futures::channel::mpsc::UnboundedSender;
use qsign_mpc::{MpcError, OutgoingMessage, PartyIndex, Session, SessionId};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
		mpsc, Arc,
	},
	time::{Duration, Instant},
};

/// Something a session reports to the worker.
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
	/// The run could not be started (our own inputs were refused: nobody else is at fault).
	NotStarted(MpcError),
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
			Self::NotStarted(e) => write!(f, "not started: {e}"),
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

/// Messages queued for one session at most: a flood beyond it is dropped (a run needs a few
/// messages per participant and round).
pub const MAX_QUEUED_MESSAGES: usize = 1024;

/// How long a session may wait for a message and how long it may last in total.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
	/// The session fails if it makes no progress for this long (a participant is silent):
	/// only a new message is progress, a replayed one is not.
	pub idle: Duration,
	/// The session fails after this long whatever happens.
	pub total: Duration,
}

/// The worker's end of a running session. Dropping it stops the run.
pub struct SessionHandle {
	inbox: Inbox,
	/// The parties taking part (us included).
	pub participants: Vec<PartyIndex>,
	clock: Arc<RunClock>,
}

/// Where a handle's messages go.
enum Inbox {
	/// The run's own thread (it stops when this sender is dropped).
	Thread(mpsc::SyncSender<(PartyIndex, Vec<u8>)>),
	/// A pool thread, to the run `key`; `queued` counts the messages on their way to it.
	Pool { lane: mpsc::Sender<Command>, key: u64, queued: Arc<AtomicUsize> },
}

impl Drop for Inbox {
	fn drop(&mut self) {
		if let Self::Pool { lane, key, .. } = self {
			let _ = lane.send(Command::Stop(*key));
		}
	}
}

/// What a run's driver shares with the worker's handle: when the run started, when it last
/// progressed, and whether it ended.
struct RunClock {
	started: Instant,
	/// Milliseconds from `started` to the run's last progress: its construction (its first
	/// round), then each new message.
	progressed_ms: AtomicU64,
	/// The run is constructed (a pool run waits for its thread first: not idle meanwhile).
	built: AtomicBool,
	ended: AtomicBool,
}

impl RunClock {
	fn new() -> Arc<Self> {
		Arc::new(Self {
			started: Instant::now(),
			progressed_ms: AtomicU64::new(0),
			built: AtomicBool::new(false),
			ended: AtomicBool::new(false),
		})
	}

	/// Notes progress now.
	fn progressed(&self) {
		let since_start = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
		self.progressed_ms.store(since_start, Ordering::Relaxed);
	}
}

impl SessionHandle {
	/// How long the run has made no progress (no new message); a replayed message is not
	/// progress. Zero while a pool run waits to be constructed.
	pub fn idle_for(&self) -> Duration {
		if !self.clock.built.load(Ordering::Relaxed) {
			return Duration::ZERO;
		}
		let progressed = Duration::from_millis(self.clock.progressed_ms.load(Ordering::Relaxed));
		self.clock.started.elapsed().saturating_sub(progressed)
	}

	/// Hands a message from `from` to the session. Returns `false` if the session has ended
	/// or its queue is full (the message is dropped).
	pub fn deliver(&self, from: PartyIndex, bytes: Vec<u8>) -> bool {
		if self.clock.ended.load(Ordering::Relaxed) {
			return false;
		}
		match &self.inbox {
			Inbox::Thread(inbox) => inbox.try_send((from, bytes)).is_ok(),
			Inbox::Pool { lane, key, queued } => {
				if queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED_MESSAGES {
					queued.fetch_sub(1, Ordering::Relaxed);
					return false;
				}
				lane.send(Command::Deliver(*key, from, bytes)).is_ok()
			}
		}
	}
}

/// One run driven to its end: messages in, outgoing messages and the result out to the worker,
/// the idle and total limits.
struct Driver<S: Session, E> {
	/// The run, its constructor until it runs, or why it could not start.
	session: State<S>,
	session_id: SessionId,
	timeouts: Timeouts,
	deadline: Instant,
	progress: usize,
	progressed_at: Instant,
	clock: Arc<RunClock>,
	events: UnboundedSender<E>,
	wrap: fn(SessionEvent<S::Output>) -> E,
}

/// A run's session: its constructor until the driver first runs, then the session.
enum State<S> {
	Unbuilt(Option<Constructor<S>>),
	Ready(S),
	NotStarted(Option<MpcError>),
}

/// Builds a session (computes its first round).
type Constructor<S> = Box<dyn FnOnce() -> Result<S, MpcError> + Send>;

/// A run as the pool holds it: any session type, any output.
trait Run: Send {
	/// Sends what the run has to send and reports its end. `true` once the run is over.
	fn flush(&mut self) -> bool;
	/// Handles a message, then flushes. `true` once the run is over.
	fn handle(&mut self, from: PartyIndex, bytes: &[u8]) -> bool;
	/// Ends the run if a limit passed by `now`. `true` if it did.
	fn expire(&mut self, now: Instant) -> bool;
	/// When a limit passes next (progress only moves it later).
	fn due(&self) -> Instant;
	/// Ends the run with an internal error (it panicked).
	fn fail(&mut self, why: &str);
}

impl<S, E> Driver<S, E>
where
	S: Session,
	E: Send,
{
	/// Drives the session `start` builds (on the driver's thread, at its first flush), timed
	/// from `clock`'s start.
	fn new(
		session_id: SessionId,
		start: Constructor<S>,
		timeouts: Timeouts,
		events: UnboundedSender<E>,
		wrap: fn(SessionEvent<S::Output>) -> E,
		clock: Arc<RunClock>,
	) -> Self {
		Self {
			progress: 0,
			session: State::Unbuilt(Some(start)),
			session_id,
			timeouts,
			deadline: clock.started + timeouts.total,
			progressed_at: Instant::now(),
			clock,
			events,
			wrap,
		}
	}

	/// Builds the session if it is not yet: its construction counts as progress.
	fn build(&mut self) {
		if let State::Unbuilt(start) = &mut self.session {
			let built = start.take().map(|start| start());
			self.session = match built {
				Some(Ok(session)) => State::Ready(session),
				Some(Err(error)) => State::NotStarted(Some(error)),
				None => State::NotStarted(None),
			};
			if let State::Ready(session) = &self.session {
				self.progress = session.progress();
			}
			self.progressed_at = Instant::now();
			self.clock.progressed();
			self.clock.built.store(true, Ordering::Relaxed);
		}
	}

	fn finish(&mut self, result: Result<S::Output, SessionError>) -> bool {
		self.clock.ended.store(true, Ordering::Relaxed);
		let session_id = self.session_id;
		let _ =
			self.events.unbounded_send((self.wrap)(SessionEvent::Finished { session_id, result }));
		true
	}
}

impl<S, E> Run for Driver<S, E>
where
	S: Session,
	E: Send,
{
	fn flush(&mut self) -> bool {
		self.build();
		let session = match &mut self.session {
			State::Ready(session) => session,
			State::NotStarted(error) => {
				let error = error.take().unwrap_or(MpcError::SessionAborted);
				return self.finish(Err(SessionError::NotStarted(error)));
			}
			State::Unbuilt(_) => return false,
		};
		let outgoing = session.take_outgoing();
		let session_id = self.session_id;
		if !outgoing.is_empty()
			&& self
				.events
				.unbounded_send((self.wrap)(SessionEvent::Outgoing {
					session_id,
					messages: outgoing,
				}))
				.is_err()
		{
			// The worker is gone.
			self.clock.ended.store(true, Ordering::Relaxed);
			return true;
		}
		match session.take_output() {
			Some(output) => self.finish(Ok(output)),
			None => false,
		}
	}

	fn handle(&mut self, from: PartyIndex, bytes: &[u8]) -> bool {
		let State::Ready(session) = &mut self.session else { return self.flush() };
		if let Err(error) = session.handle_message(from, bytes) {
			if error.is_fatal() {
				return self.finish(Err(SessionError::Protocol(error)));
			}
			log::debug!(
				target: super::LOG_TARGET,
				"session {}: ignored a message from party {from}: {error}",
				self.session_id
			);
		}
		let progress = session.progress();
		if progress > self.progress {
			self.progress = progress;
			self.progressed_at = Instant::now();
			self.clock.progressed();
		}
		self.flush()
	}

	fn expire(&mut self, now: Instant) -> bool {
		if now < self.due() {
			return false;
		}
		let after = if now >= self.deadline { self.timeouts.total } else { self.timeouts.idle };
		let silent = match &self.session {
			State::Ready(session) => session.waiting_for(),
			_ => Vec::new(),
		};
		self.finish(Err(SessionError::TimedOut { after, silent }))
	}

	fn due(&self) -> Instant {
		self.deadline.min(self.progressed_at + self.timeouts.idle)
	}

	fn fail(&mut self, why: &str) {
		self.finish(Err(SessionError::Protocol(MpcError::Internal(why.into()))));
	}
}

/// Starts `session` on a thread of its own; it ends with output, a fatal error, a time-out
/// ([`Timeouts`]; idle time, so a slow but progressing run on a loaded machine is not
/// abandoned, while replayed messages do not hold a run open), or when its [`SessionHandle`]
/// is dropped. A time-out names the parties whose messages for the current round never came.
///
/// `wrap` turns the session's events into the worker's event type.
pub fn spawn<S, E>(
	name: &str,
	session: S,
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
	let clock = RunClock::new();
	let start: Constructor<S> = Box::new(move || Ok(session));
	let mut driver = Driver::new(session_id, start, timeouts, events, wrap, clock.clone());
	std::thread::Builder::new().name(name.into()).spawn(move || {
		if driver.flush() {
			return;
		}
		loop {
			let now = Instant::now();
			if driver.expire(now) {
				return;
			}
			match messages.recv_timeout(driver.due().saturating_duration_since(now)) {
				Ok((from, bytes)) => {
					if driver.handle(from, &bytes) {
						return;
					}
				}
				// Checked at the top of the loop.
				Err(mpsc::RecvTimeoutError::Timeout) => {}
				Err(mpsc::RecvTimeoutError::Disconnected) => return,
			}
		}
	})?;
	Ok(SessionHandle { inbox: Inbox::Thread(inbox), participants, clock })
}

/// What the worker asks of a pool thread.
enum Command {
	/// Drive a run (its first flush builds it: the first round is computed there).
	Start(u64, Box<dyn Run>, Arc<AtomicUsize>),
	/// A message for a run.
	Deliver(u64, PartyIndex, Vec<u8>),
	/// Stop a run (its handle was dropped).
	Stop(u64),
}

/// A fixed set of threads driving many runs each (see the module docs).
pub struct SessionPool {
	lanes: Vec<mpsc::Sender<Command>>,
	next_key: u64,
}

impl SessionPool {
	/// Starts `threads` (at least one) threads named `name-N`. They end when the pool and every
	/// handle of theirs are dropped.
	///
	/// # Errors
	///
	/// A thread could not be started.
	pub fn new(name: &str, threads: usize) -> std::io::Result<Self> {
		let lanes = (0..threads.max(1))
			.map(|n| {
				let (lane, commands) = mpsc::channel();
				std::thread::Builder::new()
					.name(format!("{name}-{n}"))
					.spawn(move || drive_lane(commands))
					.map(|_| lane)
			})
			.collect::<std::io::Result<_>>()?;
		Ok(Self { lanes, next_key: 0 })
	}

	/// Starts a run on one of the pool's threads: `start` builds the session there (its first
	/// round is computed off the caller's thread); a session that cannot be built ends at once
	/// with [`SessionError::NotStarted`]. Otherwise as [`spawn`].
	pub fn start<S, E>(
		&mut self,
		session_id: SessionId,
		start: impl FnOnce() -> Result<S, MpcError> + Send + 'static,
		participants: Vec<PartyIndex>,
		timeouts: Timeouts,
		events: UnboundedSender<E>,
		wrap: fn(SessionEvent<S::Output>) -> E,
	) -> SessionHandle
	where
		S: Session + 'static,
		S::Output: Send + 'static,
		E: Send + 'static,
	{
		let key = self.next_key;
		self.next_key = self.next_key.wrapping_add(1);
		let lane = self.lanes[(key % self.lanes.len() as u64) as usize].clone();
		let clock = RunClock::new();
		let run: Box<dyn Run> = Box::new(Driver::new(
			session_id,
			Box::new(start),
			timeouts,
			events,
			wrap,
			clock.clone(),
		));
		let queued = Arc::new(AtomicUsize::new(0));
		if let Err(mpsc::SendError(Command::Start(_, mut run, _))) =
			lane.send(Command::Start(key, run, queued.clone()))
		{
			// The thread is gone: the run ends at once (the worker frees its slot).
			run.fail("the signing thread is gone");
		}
		SessionHandle { inbox: Inbox::Pool { lane, key, queued }, participants, clock }
	}
}

/// A pool thread: builds runs, hands them their messages in arrival order, ends them on their
/// limits.
fn drive_lane(commands: mpsc::Receiver<Command>) {
	struct Entry {
		run: Box<dyn Run>,
		queued: Arc<AtomicUsize>,
	}
	const IDLE_WAIT: Duration = Duration::from_secs(3600);
	/// Commands handled before runs are expired, at most (messages that came before a run's
	/// limit passed are handed to it first).
	const DRAIN_BEFORE_EXPIRY: usize = 4 * MAX_QUEUED_MESSAGES;
	/// Runs `step` on `entry`'s run; a run that panics ends with an internal error.
	fn guarded(entry: &mut Entry, step: impl FnOnce(&mut dyn Run) -> bool) -> bool {
		match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(&mut *entry.run))) {
			Ok(over) => over,
			Err(_) => {
				log::error!(target: super::LOG_TARGET, "a signing run panicked; it is ended");
				entry.run.fail("the run panicked");
				true
			}
		}
	}
	let mut runs: HashMap<u64, Entry> = HashMap::new();
	// No run's limit passes before this (progress only moves limits later).
	let mut next_due = Instant::now() + IDLE_WAIT;
	let handle_command =
		|runs: &mut HashMap<u64, Entry>, next_due: &mut Instant, command| match command {
			Command::Start(key, run, queued) => {
				let mut entry = Entry { run, queued };
				if !guarded(&mut entry, |run| run.flush()) {
					*next_due = (*next_due).min(entry.run.due());
					runs.insert(key, entry);
				}
			}
			Command::Deliver(key, from, bytes) => {
				if let Some(entry) = runs.get_mut(&key) {
					entry.queued.fetch_sub(1, Ordering::Relaxed);
					if guarded(entry, |run| run.handle(from, &bytes)) {
						runs.remove(&key);
					}
				}
			}
			Command::Stop(key) => {
				runs.remove(&key);
			}
		};
	loop {
		let now = Instant::now();
		if now >= next_due {
			// What is already queued came before the limits passed: handle it first.
			for _ in 0..DRAIN_BEFORE_EXPIRY {
				match commands.try_recv() {
					Ok(command) => handle_command(&mut runs, &mut next_due, command),
					Err(_) => break,
				}
			}
			runs.retain(|_, entry| !entry.run.expire(now));
			next_due = runs.values().map(|entry| entry.run.due()).min().unwrap_or(now + IDLE_WAIT);
		}
		match commands.recv_timeout(next_due.saturating_duration_since(now)) {
			Ok(command) => handle_command(&mut runs, &mut next_due, command),
			// Checked at the top of the loop.
			Err(mpsc::RecvTimeoutError::Timeout) => {}
			Err(mpsc::RecvTimeoutError::Disconnected) => return,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::StreamExt;
	use qsign_mpc::{
		local::run_threads, DkgConfig, Dkls23, KeyShare, Recipient, SignRequest, Signature,
		ThresholdEcdsa,
	};

	type Events = futures::channel::mpsc::UnboundedReceiver<SessionEvent<Signature>>;

	/// Limits no test reaches: a minute idle, a minute in all.
	const A_MINUTE: Timeouts =
		Timeouts { idle: Duration::from_secs(60), total: Duration::from_secs(60) };

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

	fn request(id: u8) -> SignRequest {
		SignRequest {
			session_id: SessionId([id; 32]),
			signers: vec![party(1), party(2)],
			epsilon: [0; 32],
			message_hash: [7; 32],
		}
	}

	/// How a test drives its runs: each test runs with both.
	#[derive(Clone, Copy, Debug)]
	enum Driving {
		OwnThread,
		Pool,
	}

	/// Party 1's signing run (session `id`) driven as `driving` with `timeouts`, its events,
	/// party 2's first-round message for it, and the pool (kept alive for the test).
	fn party_one_signing(
		id: u8,
		timeouts: Timeouts,
		driving: Driving,
	) -> (SessionHandle, Events, Vec<u8>, Option<SessionPool>) {
		let shares = shares();
		let request = request(id);
		let mut two = Dkls23::start_sign(&shares[1], &request).expect("valid");
		let round_one = two.take_outgoing().remove(0).bytes;
		let (events_tx, events) = futures::channel::mpsc::unbounded();
		let signers = vec![party(1), party(2)];
		match driving {
			Driving::OwnThread => {
				let one = Dkls23::start_sign(&shares[0], &request).expect("valid");
				let handle =
					spawn("test-sign", one, signers, timeouts, events_tx, |e| e).expect("a thread");
				(handle, events, round_one, None)
			}
			Driving::Pool => {
				let mut pool = SessionPool::new("test-pool", 2).expect("threads");
				let share = shares[0].clone();
				let start = move || Dkls23::start_sign(&share, &request);
				let handle =
					pool.start(SessionId([id; 32]), start, signers, timeouts, events_tx, |e| e);
				(handle, events, round_one, Some(pool))
			}
		}
	}

	fn finished(events: &mut Events) -> Result<Signature, SessionError> {
		futures::executor::block_on(async {
			loop {
				match events.next().await.expect("the session reports") {
					SessionEvent::Finished { result, .. } => return result,
					SessionEvent::Outgoing { .. } => continue,
				}
			}
		})
	}

	#[test]
	fn replayed_messages_do_not_hold_a_run_open_and_the_silent_party_is_blamed() {
		for driving in [Driving::OwnThread, Driving::Pool] {
			// Idle 300 ms; the whole run may take a minute.
			let timeouts =
				Timeouts { idle: Duration::from_millis(300), total: Duration::from_secs(60) };
			let (handle, mut events, round_one, _pool) = party_one_signing(2, timeouts, driving);
			// Party 2 sends round 1, then only replays it, faster than the idle limit.
			let replayer = std::thread::spawn(move || {
				while handle.deliver(party(2), round_one.clone()) {
					std::thread::sleep(Duration::from_millis(50));
				}
			});
			match finished(&mut events) {
				Err(SessionError::TimedOut { after, silent }) => {
					assert_eq!(after, timeouts.idle, "{driving:?}: the idle limit, not the run's");
					assert_eq!(silent, vec![party(2)], "{driving:?}");
				}
				Err(other) => panic!("{driving:?}: expected a time-out, got {other}"),
				Ok(_) => panic!("{driving:?}: expected a time-out, got a signature"),
			}
			replayer.join().expect("the replayer stops once the session ended");
		}
	}

	#[test]
	fn a_party_sending_garbage_is_named_as_the_culprit() {
		for driving in [Driving::OwnThread, Driving::Pool] {
			let timeouts = A_MINUTE;
			let (handle, mut events, round_one, _pool) = party_one_signing(4, timeouts, driving);
			// Party 2's round 1 as the `garbage` fault sends it: its header, junk for the payload.
			let junk = crate::mpc::faults::garbage(&round_one);
			assert_eq!(
				(junk.len(), &junk[..qsign_mpc::HEADER_LEN]),
				(round_one.len(), &round_one[..qsign_mpc::HEADER_LEN])
			);
			assert_ne!(junk, round_one);
			assert!(handle.deliver(party(2), junk));
			match finished(&mut events) {
				Err(SessionError::Protocol(error)) => {
					assert_eq!(error.culprit(), Some(party(2)), "{driving:?}: {error}");
				}
				Err(other) => panic!("{driving:?}: expected an error naming party 2, got {other}"),
				Ok(_) => panic!("{driving:?}: expected an error, got a signature"),
			}
			assert!(!handle.deliver(party(2), round_one), "{driving:?}: the run has ended");
		}
	}

	#[test]
	fn a_new_message_moves_the_progress_clock_and_the_idle_time_grows_until_then() {
		for driving in [Driving::OwnThread, Driving::Pool] {
			let timeouts = A_MINUTE;
			let (handle, mut events, round_one, _pool) = party_one_signing(3, timeouts, driving);
			// Our own round 1 goes out first; no message came, so the run is idle since then.
			let first = futures::executor::block_on(events.next()).expect("round 1");
			assert!(matches!(first, SessionEvent::Outgoing { .. }), "{driving:?}");
			let at_start = handle.clock.progressed_ms.load(Ordering::Relaxed);
			let before = handle.idle_for();
			std::thread::sleep(Duration::from_millis(20));
			assert!(handle.idle_for() > before, "{driving:?}: idle grows without progress");
			assert_eq!(handle.clock.progressed_ms.load(Ordering::Relaxed), at_start);
			let delivered_at = handle.clock.started.elapsed();
			assert!(handle.deliver(party(2), round_one));
			// Party 2's round 1 is progress: our round 2 follows it, after the clock moved.
			let next = futures::executor::block_on(events.next()).expect("round 2");
			assert!(matches!(next, SessionEvent::Outgoing { .. }), "{driving:?}");
			let progressed =
				Duration::from_millis(handle.clock.progressed_ms.load(Ordering::Relaxed));
			assert!(progressed + Duration::from_millis(1) >= delivered_at, "{driving:?}");
		}
	}

	/// Many runs on one pool thread: both parties of 16 signatures at once, their messages
	/// routed between them by the test as the worker would. Every run ends with the same
	/// signature on both sides, and the pool made no thread per run.
	#[test]
	fn a_pool_thread_drives_many_runs_to_their_signatures() {
		let shares = shares();
		let timeouts = A_MINUTE;
		let mut pool = SessionPool::new("test-pool", 1).expect("a thread");
		let (events_tx, mut events) = futures::channel::mpsc::unbounded();
		let mut handles: HashMap<(SessionId, u16), SessionHandle> = HashMap::new();
		for id in 0..16u8 {
			for me in [1u16, 2] {
				let share = shares[usize::from(me) - 1].clone();
				let request = request(100 + id);
				let session_id = request.session_id;
				let handle = pool.start(
					session_id,
					move || Dkls23::start_sign(&share, &request),
					vec![party(1), party(2)],
					timeouts,
					events_tx.clone(),
					|e| e,
				);
				handles.insert((session_id, me), handle);
			}
		}
		let mut signatures: HashMap<SessionId, Vec<Signature>> = HashMap::new();
		// Outgoing events do not say who sent them: both parties' round-1 and later messages
		// name the sender in their header.
		while signatures.values().map(Vec::len).sum::<usize>() < 32 {
			match futures::executor::block_on(events.next()).expect("events") {
				SessionEvent::Outgoing { session_id, messages } => {
					for message in messages {
						let (header, _) =
							qsign_mpc::MessageHeader::parse(&message.bytes).expect("a header");
						let to = match message.to {
							Recipient::Party(to) => to,
							Recipient::Broadcast => {
								if header.sender == party(1) {
									party(2)
								} else {
									party(1)
								}
							}
						};
						let handle = &handles[&(session_id, to.get())];
						assert!(handle.deliver(header.sender, message.bytes));
					}
				}
				SessionEvent::Finished { session_id, result } => {
					let signature = result.unwrap_or_else(|e| panic!("{session_id}: {e}"));
					signatures.entry(session_id).or_default().push(signature);
				}
			}
		}
		for (session_id, both) in &signatures {
			assert_eq!(both.len(), 2, "{session_id}");
			assert_eq!(both[0], both[1], "{session_id}: both parties hold one signature");
		}
		assert_eq!(signatures.len(), 16);
	}

	#[test]
	fn a_run_that_cannot_start_says_so_and_blames_nobody() {
		let mut pool = SessionPool::new("test-pool", 1).expect("a thread");
		let (events_tx, mut events) = futures::channel::mpsc::unbounded();
		let share = shares()[0].clone();
		// We are party 1 but the request names parties 2 and 3: our own input is wrong.
		let mut request = request(9);
		request.signers = vec![party(2), party(3)];
		let handle = pool.start(
			request.session_id,
			move || Dkls23::start_sign(&share, &request),
			vec![party(2), party(3)],
			A_MINUTE,
			events_tx,
			|e| e,
		);
		match finished(&mut events) {
			Err(SessionError::NotStarted(_)) => {}
			Err(other) => panic!("expected NotStarted, got {other}"),
			Ok(_) => panic!("expected NotStarted, got a signature"),
		}
		assert!(!handle.deliver(party(2), vec![0; 8]), "the run has ended");
	}

	#[test]
	fn a_flood_for_one_run_is_cut_at_its_queue_limit() {
		let mut pool = SessionPool::new("test-pool", 1).expect("a thread");
		let (events_tx, mut events) = futures::channel::mpsc::unbounded();
		// A run whose thread is kept busy building it until the test says so: its queue fills
		// meanwhile.
		let (release, released) = mpsc::channel::<()>();
		let handle = pool.start(
			SessionId([5; 32]),
			move || {
				let _ = released.recv();
				Err::<qsign_mpc::Dkls23SignSession, _>(MpcError::SessionAborted)
			},
			vec![party(1), party(2)],
			A_MINUTE,
			events_tx.clone(),
			|e| e,
		);
		let accepted = (0..2 * MAX_QUEUED_MESSAGES)
			.take_while(|_| handle.deliver(party(2), vec![0; 8]))
			.count();
		assert_eq!(accepted, MAX_QUEUED_MESSAGES);
		release.send(()).expect("the run is being built");
		assert!(matches!(finished(&mut events), Err(SessionError::NotStarted(_))));
		// The pool goes on with other runs.
		let _other = pool.start(
			SessionId([6; 32]),
			|| Err::<qsign_mpc::Dkls23SignSession, _>(MpcError::SessionAborted),
			vec![party(1), party(2)],
			A_MINUTE,
			events_tx,
			|e| e,
		);
		assert!(matches!(finished(&mut events), Err(SessionError::NotStarted(_))));
	}
}
