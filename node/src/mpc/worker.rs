//! The MPC worker loop: wake-ups, the committee view, the network and message routing, and
//! protocol runs on threads. Handovers (and the genesis key generation) are in [`handover`],
//! signing in [`signing`].
//!
//! On every finalized block (and every second in between) the worker reads the committee and
//! the pending requests from the runtime at the finalized block (at the best block instead when
//! finality lags more than [`MAX_FINALITY_LAG`] blocks: GRANDPA needs more than two thirds of
//! the validators, so with three validators one being down stalls finality, while two can still
//! sign), and:
//! - while a handover is pending (the genesis key generation, or the next committee of a
//!   changed validator set), takes part in it ([`handover`]);
//! - for every pending request picks the signers deterministically, signs if it is one of
//!   them, checks the signature and submits it as an authorized transaction.

mod handover;
mod signing;

pub use signing::select_signers;

use super::{
	buffers::{EarlyLimits, EarlyMessages, SentMessages, Undelivered},
	communication::{
		check_inbound, log_dropped, Handshake, HandshakeError, Peers, MAX_HANDSHAKE_KEYS,
	},
	evidence::{self, ReceivedBroadcasts, ReceivedDealings, FORWARDED},
	faults::{self, MpcFault},
	keys::{self, LocalMember},
	measurements::{self, Measurements, Stage},
	sessions::{self, SessionError, SessionEvent, SessionHandle, SessionPool, Timeouts},
	shares::ShareStore,
	started::StartedSessions,
	LOG_TARGET,
};
use codec::Encode;
use futures::{channel::mpsc, FutureExt, StreamExt};
use pallet_committee::{evidence::EquivocationProof, runtime_api::CommitteeApi};
use pallet_qsign::{
	crypto::AuthorityId,
	runtime_api::{CommitteeCall, QSignApi, QSignCommitteeApi},
};
use qsign_mpc::{
	DkgConfig, Dkls23, KeyShare, MessageHeader, MpcError, OutgoingMessage, PartyIndex, Recipient,
	SessionId, SignRequest, ThresholdEcdsa,
};
use qsign_primitives::{
	committee::{BanReason, BanReport, Blame, BlameReport, HandoverInfo, Heartbeat},
	request::{CommitteeId, CommitteeInfo, FailureReason, FailureVote, PendingRequest, RequestId},
};
use qsign_runtime::{opaque::Block, AccountId, BlockNumber};
use sc_client_api::BlockchainEvents;
use sc_network::{
	multiaddr::Protocol as AddrProtocol,
	service::traits::{NotificationEvent, ValidationResult},
	Multiaddr, NetworkPeers, NotificationService, PeerId, ProtocolName,
};
use sc_network_sync::{SyncEvent, SyncEventStream};
use sc_transaction_pool_api::{TransactionPool, TransactionSource};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_keystore::KeystorePtr;
use sp_runtime::traits::Block as BlockT;
use std::{
	collections::{HashMap, HashSet, VecDeque},
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant},
};

/// When the best block is more than this far ahead of the finalized one, the worker reads the
/// chain at the best block.
pub const MAX_FINALITY_LAG: BlockNumber = qsign_runtime::blocks_of_seconds(15);
/// A signing attempt lasts this many blocks before the signer set is reshuffled.
pub const SIGN_ATTEMPT_BLOCKS: BlockNumber = qsign_runtime::blocks_of_seconds(18);
/// A signing run is abandoned when no message came for 20 s, or after 5 minutes.
const SIGN_TIMEOUTS: Timeouts =
	Timeouts { idle: Duration::from_secs(20), total: Duration::from_secs(300) };
/// A signing run of an earlier attempt that made no progress for this long no longer keeps us
/// out of the current attempt's run (one block: an honest run's rounds come faster).
const STALLED_RUN: Duration = Duration::from_secs(3);
/// A run of a request another attempt settled, all of whose co-signers joined, that made no
/// progress for this long is left to time out (and blame) rather than stopped: half the idle
/// limit, far beyond the few seconds by which members' views of finality differ.
const SETTLED_RUN_STALLED: Duration = Duration::from_secs(10);
/// Signing runs at once on this node unless the operator says otherwise
/// (`--max-signing-runs`); requests beyond wait until a run ends.
pub const DEFAULT_MAX_SIGNING_RUNS: u16 = 64;
/// Threads the signing runs share at most (one per core up to this).
const MAX_SIGNING_THREADS: usize = 8;
/// Pending requests read per runtime call, and at most in total per block.
const PENDING_PAGE: u32 = 256;
const MAX_PENDING_SCAN: usize = 2048;
/// Messages for sessions we have not started yet (a faster peer began first), bounded.
const MAX_EARLY_SESSIONS: usize = 512;
const MAX_EARLY_PER_SESSION: usize = 64;
const MAX_EARLY_BYTES: usize = 64 * 1024 * 1024;
const EARLY_TTL: Duration = Duration::from_secs(120);
/// One member's share of the early-message buffer: messages and bytes. A member that sends
/// messages for sessions nobody starts fills its own quota, not the buffer.
const MAX_EARLY_MESSAGES_PER_SENDER: usize = MAX_EARLY_SESSIONS / 4;
const MAX_EARLY_BYTES_PER_SENDER: usize = MAX_EARLY_BYTES / 4;
const EARLY_LIMITS: EarlyLimits = EarlyLimits {
	sessions: MAX_EARLY_SESSIONS,
	per_session: MAX_EARLY_PER_SESSION,
	bytes: MAX_EARLY_BYTES,
	per_sender_messages: MAX_EARLY_MESSAGES_PER_SENDER,
	per_sender_bytes: MAX_EARLY_BYTES_PER_SENDER,
	ttl: EARLY_TTL,
};
/// Messages kept for a member that is momentarily disconnected (the oldest go first), and for
/// how long: a run survives a member's reconnect within its idle time.
const MAX_UNDELIVERED_PER_MEMBER: usize = 256;
const UNDELIVERED_TTL: Duration = Duration::from_secs(20);
/// Sessions remembered as finished, so late messages for them are dropped quietly.
const MAX_FINISHED_REMEMBERED: usize = 4096;
/// How long a failed run counts towards singling a member out (`MpcWorker::repeated_suspects`).
const SILENCE_WINDOW: Duration = Duration::from_secs(60);
/// Proofs for a committee not current yet (a handover's) kept until it is.
const MAX_LATER_EVIDENCE: usize = 16;
/// Failed runs without a named culprit remembered (see `MpcWorker::repeated_suspects`).
const MAX_RECENT_FAILURES: usize = 64;
/// Attempt-start blocks whose signer rules are cached.
const MAX_RULES_AT: usize = 512;
/// How often the worker looks at the chain between finality notifications.
const TICK: Duration = Duration::from_secs(1);

/// Everything the worker needs from the node.
pub struct MpcWorkerParams<C, P> {
	/// The client (runtime API calls, finality notifications).
	pub client: Arc<C>,
	/// The transaction pool results are submitted to.
	pub pool: Arc<P>,
	/// The keystore holding our `qmpc` key.
	pub keystore: KeystorePtr,
	/// The same keystore as the local one, if it is: signing keys are then read once
	/// ([`keys::SigningKeys`]).
	pub local_keystore: Option<Arc<sc_keystore::LocalKeystore>>,
	/// The network (reserved-set management).
	pub network: Arc<dyn NetworkPeers + Send + Sync>,
	/// Sync events: which peers are connected.
	pub sync: Arc<dyn SyncEventStream>,
	/// Our notification protocol.
	pub notifications: Box<dyn NotificationService>,
	/// Its name.
	pub protocol: ProtocolName,
	/// Where key shares are stored.
	pub share_dir: PathBuf,
	/// Our PeerId (bound into the handshake).
	pub local_peer_id: PeerId,
	/// Misbehaviour to commit (`--mpc-fault`, development chains only).
	pub fault: Option<MpcFault>,
	/// The operator's share-sealing secret, if configured.
	pub sealing_secret: Option<keys::OperatorSecret>,
	/// Where the worker notes its stage times and traffic (read by the RPC).
	pub measurements: Arc<Measurements>,
	/// Signing runs at once (0: [`DEFAULT_MAX_SIGNING_RUNS`]).
	pub max_signing_runs: u16,
}

/// What a session produces.
enum Output {
	/// A key generation's or a reshare's new share.
	Share(Box<KeyShare>),
	/// A reshare's dealer that is not in the next committee: nothing to keep.
	Dealt,
	Signature(qsign_mpc::Signature),
}

/// The pending requests at one finalized block.
type PendingAt = (<Block as BlockT>::Hash, Arc<Vec<PendingRequest<BlockNumber>>>);

/// A pending handover as the runtime reports it.
type Handover = HandoverInfo<AuthorityId, BlockNumber>;

type Event = SessionEvent<Output>;

fn wrap_dkg(event: SessionEvent<KeyShare>) -> Event {
	match event {
		SessionEvent::Outgoing { session_id, messages } => {
			SessionEvent::Outgoing { session_id, messages }
		}
		SessionEvent::Finished { session_id, result } => SessionEvent::Finished {
			session_id,
			result: result.map(|share| Output::Share(Box::new(share))),
		},
	}
}

fn wrap_sign(event: SessionEvent<qsign_mpc::Signature>) -> Event {
	match event {
		SessionEvent::Outgoing { session_id, messages } => {
			SessionEvent::Outgoing { session_id, messages }
		}
		SessionEvent::Finished { session_id, result } => {
			SessionEvent::Finished { session_id, result: result.map(Output::Signature) }
		}
	}
}

/// What a running session is for.
enum Purpose {
	/// Shares for the committee of `epoch` (a reshare, or the genesis key generation).
	Handover {
		epoch: CommitteeId,
		attempt: u32,
	},
	/// The next committee's proof that it can sign.
	HandoverProof {
		epoch: CommitteeId,
		attempt: u32,
		proof_hash: [u8; 32],
		public_key: [u8; 33],
	},
	Sign {
		request: PendingRequest<BlockNumber>,
		attempt: u32,
	},
}

struct Running {
	handle: SessionHandle,
	purpose: Purpose,
	/// The session's participants by party index: party `i` is `members[i - 1]`.
	members: Vec<AuthorityId>,
	/// Our party index in the session.
	me: PartyIndex,
	/// The committee epoch the run belongs to (signed into every message).
	epoch: CommitteeId,
	/// The signed broadcasts received, kept as evidence.
	broadcasts: ReceivedBroadcasts,
	/// A key generation's or resharing's signed dealings received, kept as evidence.
	dealings: ReceivedDealings,
	/// What a key generation or resharing run sent each participant, sent again when its key
	/// connects anew (empty and unbounded-to-zero for signing runs, which are short).
	sent: SentMessages<PartyIndex>,
	/// The participants a signed message of this run came from.
	heard_from: Vec<PartyIndex>,
}

impl Running {
	/// The parties a message for `to` goes to: the one named, or every other participant.
	fn recipients(&self, to: Recipient) -> Vec<PartyIndex> {
		match to {
			Recipient::Party(party) => vec![party],
			Recipient::Broadcast => {
				self.handle.participants.iter().copied().filter(|p| *p != self.me).collect()
			}
		}
	}
}

/// A finished run's signed broadcasts, kept a while to compare with what its other
/// participants forward after a failure.
struct RecentRun {
	members: Vec<AuthorityId>,
	/// The run's participants (a forward of anyone else's message is dropped).
	participants: Vec<PartyIndex>,
	epoch: CommitteeId,
	broadcasts: ReceivedBroadcasts,
}

/// Finished runs whose broadcasts are kept ([`RecentRun`]).
const MAX_RECENT_RUNS: usize = 128;

/// The committee as of the block we last looked at, with our place in it.
struct CommitteeView {
	info: CommitteeInfo<AuthorityId>,
	/// The pending handover, if any.
	handover: Option<Handover>,
	/// Our place in the current committee.
	me: Option<LocalMember>,
	/// The block read (finalized, or best when finality lags).
	at: <Block as BlockT>::Hash,
	number: BlockNumber,
	/// Who may be chosen to sign, as of `number`.
	rules: SignerRules,
	/// Blocks between our heartbeats (the runtime's `HeartbeatInterval`).
	heartbeat_interval: BlockNumber,
}

/// What the chain says about choosing signers at one block.
#[derive(Clone, Debug, Default)]
struct SignerRules {
	/// `(reporter, culprit)` pairs (bans, blame, offenders) of the current committee: no signer
	/// set holds both.
	banned: Vec<(u32, u32)>,
	/// Member indices whose heartbeat is recent: only they are chosen.
	live: Vec<u32>,
}

/// The worker. Build it with [`MpcWorker::new`] and spawn [`MpcWorker::run`].
pub struct MpcWorker<C, P> {
	client: Arc<C>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	/// Our `qmpc` keys for signing messages and statements.
	signing_keys: keys::SigningKeys,
	network: Arc<dyn NetworkPeers + Send + Sync>,
	sync: Arc<dyn SyncEventStream>,
	protocol: ProtocolName,
	local_peer_id: PeerId,
	genesis: [u8; 32],
	shares: ShareStore,
	peers: Peers,
	handshake_keys: Vec<AuthorityId>,
	view: Option<CommitteeView>,
	/// Our share in the current committee (its epoch and the share), once loaded.
	share: Option<(CommitteeId, Arc<KeyShare>)>,
	/// Our share in the next committee, from the pending handover's `(epoch, attempt)`.
	next_share: Option<(CommitteeId, u32, Arc<KeyShare>)>,
	/// Shares of epochs below this one were erased (after a final switch).
	retired_before: CommitteeId,
	/// Peers the sync protocol connected (members or not), to reopen MPC substreams when the
	/// committees change.
	sync_peers: HashSet<PeerId>,
	sessions: HashMap<SessionId, Running>,
	/// Messages for runs we have not started yet, by sender.
	early: EarlyMessages<AuthorityId>,
	/// Messages for members that were not connected when they were sent.
	undelivered: Undelivered<AuthorityId>,
	finished: HashSet<SessionId>,
	finished_order: VecDeque<SessionId>,
	/// Requests we produced a signature for, with the attempt it was produced in.
	signed: HashMap<RequestId, u32>,
	/// The signer sets (with us) whose runs for a request aborted (misbehaviour, not
	/// time-outs): we vote the request failed only once every such set did
	/// ([`signing::every_set_with_us_aborted`]).
	aborts: HashMap<RequestId, HashSet<Vec<PartyIndex>>>,
	/// Requests we voted failed.
	voted: HashSet<RequestId>,
	/// Pending requests whose derived key we checked against our share.
	key_checked: HashSet<RequestId>,
	/// Handover attempts `(epoch, attempt)` we attested a share for.
	attested: HashSet<(CommitteeId, u32)>,
	/// Genesis key generation attempts `(epoch, attempt)` we said we are online for.
	ready_sent: HashSet<(CommitteeId, u32)>,
	/// Members we banned, by `(committee, member index)`: our report and the block we last
	/// submitted it in.
	bans: HashMap<(CommitteeId, u32), (BanReport, Option<BlockNumber>)>,
	/// The runs this node ever started (on disk): none is started twice.
	started: Option<StartedSessions>,
	/// The threads our signing runs run on (none if they could not be started).
	sign_pool: Option<SessionPool>,
	/// Recently finished runs, by session, oldest first.
	recent: VecDeque<(SessionId, RecentRun)>,
	/// Equivocation proofs to submit.
	evidence: Vec<EquivocationProof>,
	/// The `replay` fault: each signing run's first-round messages, sent again every tick.
	replays: HashMap<SessionId, Vec<OutgoingMessage>>,
	/// Signer rules read at past blocks (the starts of signing attempts): block → (committee,
	/// rules).
	rules_at: std::collections::BTreeMap<BlockNumber, (CommitteeId, SignerRules)>,
	/// Our last heartbeat submitted: committee and block.
	heartbeat_sent: Option<(CommitteeId, BlockNumber)>,
	/// Our recent signing runs that failed without a named culprit, with their suspects.
	failures: VecDeque<(Instant, Vec<AuthorityId>)>,
	/// Members we blamed, by `(committee, member index)`, with the block of the submission.
	blamed: HashMap<(CommitteeId, u32), BlockNumber>,
	/// Offenders we submitted a proof for, by committee.
	reported: HashSet<(CommitteeId, AuthorityId)>,
	/// Misbehaviour to commit (tests on development chains only).
	fault: Option<MpcFault>,
	/// The operator's share-sealing secret, if configured.
	sealing_secret: Option<keys::OperatorSecret>,
	/// The pending requests at the block last read (that block, and the requests).
	pending_cache: Option<PendingAt>,
	/// The ids of the requests pending at the best block last looked at.
	pending_ids_cache: Option<(<Block as BlockT>::Hash, Arc<HashSet<RequestId>>)>,
	/// Signing runs at once at most.
	max_signing_runs: usize,
	/// The last look at the pending requests stopped at `max_signing_runs` runs.
	signing_throttled: bool,
	/// Stage times and traffic, for the RPC.
	measurements: Arc<Measurements>,
	events_tx: mpsc::UnboundedSender<Event>,
	events_rx: Option<mpsc::UnboundedReceiver<Event>>,
	warned_no_share: bool,
	warned_small_committee: bool,
}

impl<C, P> MpcWorker<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync,
	C: 'static,
	C::Api: QSignApi<Block, AccountId, BlockNumber>
		+ QSignCommitteeApi<Block>
		+ CommitteeApi<Block, BlockNumber>,
	P: TransactionPool<Block = Block> + 'static,
{
	/// A worker for the chain the client follows.
	pub fn new(params: MpcWorkerParams<C, P>) -> (Self, Box<dyn NotificationService>) {
		let genesis = params.client.info().genesis_hash.into();
		let (events_tx, events_rx) = mpsc::unbounded();
		let started = StartedSessions::open(&params.share_dir)
			.map_err(|e| {
				log::error!(
					target: LOG_TARGET,
					"cannot open the record of started runs in {}: {e}; this node will not \
					 take part in any run",
					params.share_dir.display()
				)
			})
			.ok();
		let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
		let sign_pool = SessionPool::new("qsign-sign", threads.min(MAX_SIGNING_THREADS))
			.map_err(|e| {
				log::error!(
					target: LOG_TARGET,
					"cannot start the signing threads: {e}; this node will not sign"
				)
			})
			.ok();
		let worker = Self {
			client: params.client,
			pool: params.pool,
			signing_keys: keys::SigningKeys::new(params.keystore.clone(), params.local_keystore),
			keystore: params.keystore,
			network: params.network,
			sync: params.sync,
			protocol: params.protocol,
			local_peer_id: params.local_peer_id,
			genesis,
			shares: ShareStore::new(params.share_dir),
			peers: Peers::default(),
			handshake_keys: Vec::new(),
			view: None,
			share: None,
			next_share: None,
			retired_before: 0,
			sync_peers: HashSet::new(),
			sessions: HashMap::new(),
			early: EarlyMessages::new(EARLY_LIMITS),
			undelivered: Undelivered::new(MAX_UNDELIVERED_PER_MEMBER, UNDELIVERED_TTL),
			finished: HashSet::new(),
			finished_order: VecDeque::new(),
			signed: HashMap::new(),
			aborts: HashMap::new(),
			voted: HashSet::new(),
			key_checked: HashSet::new(),
			attested: HashSet::new(),
			ready_sent: HashSet::new(),
			bans: HashMap::new(),
			started,
			sign_pool,
			recent: VecDeque::new(),
			evidence: Vec::new(),
			replays: HashMap::new(),
			blamed: HashMap::new(),
			failures: VecDeque::new(),
			rules_at: Default::default(),
			heartbeat_sent: None,
			reported: HashSet::new(),
			fault: params.fault,
			sealing_secret: params.sealing_secret,
			measurements: params.measurements,
			pending_cache: None,
			pending_ids_cache: None,
			max_signing_runs: usize::from(if params.max_signing_runs == 0 {
				DEFAULT_MAX_SIGNING_RUNS
			} else {
				params.max_signing_runs
			}),
			signing_throttled: false,
			events_tx,
			events_rx: Some(events_rx),
			warned_no_share: false,
			warned_small_committee: false,
		};
		(worker, params.notifications)
	}

	/// Runs until the node shuts down.
	pub async fn run(mut self, mut notifications: Box<dyn NotificationService>) {
		let mut finality = self.client.finality_notification_stream().fuse();
		let mut sync_events = self.sync.event_stream("qsign-mpc").fuse();
		let Some(events) = self.events_rx.take() else { return };
		let mut events = events.fuse();
		self.refresh_committee();
		self.update_handshake(&mut notifications).await;
		log::info!(
			target: LOG_TARGET,
			"MPC worker started (protocol {}, shares in {})",
			self.protocol,
			self.shares.dir().display()
		);

		loop {
			// One value per wake-up, moved straight into its handler: boxing would only add an
			// allocation.
			#[allow(clippy::large_enum_variant)]
			enum Wake {
				Finalized,
				Network(Option<NotificationEvent>),
				Sync(Option<SyncEvent>),
				Session(Option<Event>),
				Tick,
			}
			let wake = {
				let network_event = notifications.next_event().fuse();
				let tick = futures_timer::Delay::new(TICK).fuse();
				futures::pin_mut!(network_event, tick);
				futures::select! {
					n = finality.next() => match n {
						Some(_) => Wake::Finalized,
						None => return,
					},
					e = network_event => Wake::Network(e),
					e = sync_events.next() => Wake::Sync(e),
					e = events.next() => Wake::Session(e),
					_ = tick => Wake::Tick,
				}
			};
			match wake {
				Wake::Finalized | Wake::Tick => {
					self.refresh_committee();
					self.update_handshake(&mut notifications).await;
					self.prune_early();
					self.submit_evidence().await;
					if self.fault == Some(MpcFault::Replay) {
						self.replay(&mut notifications);
					}
					self.step().await;
				}
				Wake::Network(Some(event)) => self.on_network_event(event, &mut notifications),
				Wake::Network(None) => {
					log::error!(target: LOG_TARGET, "the network stopped; MPC worker exits");
					return;
				}
				Wake::Sync(Some(event)) => self.on_sync_event(event),
				Wake::Sync(None) => return,
				Wake::Session(Some(event)) => {
					self.on_session_event(event, &mut notifications).await
				}
				Wake::Session(None) => return,
			}
		}
	}

	/// Reads the committee and the pending handover at the block the worker follows (see the
	/// module docs).
	fn refresh_committee(&mut self) {
		let info = self.client.info();
		let finalized = info.best_number.saturating_sub(info.finalized_number) <= MAX_FINALITY_LAG;
		let (hash, number) = if finalized {
			(info.finalized_hash, info.finalized_number)
		} else {
			(info.best_hash, info.best_number)
		};
		let api = self.client.runtime_api();
		let (committee, handover) = match (api.committee(hash), api.handover(hash)) {
			(Ok(committee), Ok(handover)) => (committee, handover),
			(Err(e), _) | (_, Err(e)) => {
				log::warn!(target: LOG_TARGET, "reading the committee at {hash}: {e}");
				return;
			}
		};
		let rules = Self::read_signer_rules(&api, hash, committee.authorities.len());
		let heartbeat_interval = api.heartbeat_interval(hash).unwrap_or(SIGN_ATTEMPT_BLOCKS);
		let me = keys::local_member(&self.keystore, &committee.authorities);
		let previous = self.view.as_ref().map(|view| {
			(view.info.committee_id, view.handover.as_ref().map(|h| (h.epoch, h.attempt)))
		});
		let now = (committee.committee_id, handover.as_ref().map(|h| (h.epoch, h.attempt)));
		if previous.is_some_and(|(id, _)| id != committee.committee_id) {
			log::info!(
				target: LOG_TARGET,
				"committee of epoch {} takes over ({} members, threshold {})",
				committee.committee_id,
				committee.authorities.len(),
				committee.threshold
			);
		}
		if finalized && committee.root_key.is_some() && committee.committee_id > self.retired_before
		{
			// The switch is final: shares of older committees are worthless and must go (once
			// per switch, not on every look at the chain).
			for path in self.shares.erase_before(committee.committee_id) {
				log::info!(target: LOG_TARGET, "erased our retired share {}", path.display());
			}
			self.retired_before = committee.committee_id;
		}
		if let Some(handover) = &handover {
			if previous.and_then(|(_, h)| h) != Some((handover.epoch, handover.attempt)) {
				log::info!(
					target: LOG_TARGET,
					"handover to epoch {} pending (attempt {}): {} members, threshold {}",
					handover.epoch,
					handover.attempt,
					handover.members.len(),
					handover.threshold
				);
			}
		}
		let changed = previous != Some(now);
		self.view = Some(CommitteeView {
			info: committee,
			handover,
			me,
			at: hash,
			number,
			rules,
			heartbeat_interval,
		});
		if changed {
			self.reconnect_non_members();
		}
	}

	/// The signer rules at block `hash` of a committee of `members`. A runtime without the
	/// liveness API (none in use) counts every member live.
	fn read_signer_rules(
		api: &sp_api::ApiRef<'_, C::Api>,
		hash: <Block as BlockT>::Hash,
		members: usize,
	) -> SignerRules {
		let banned = api.banned_pairs(hash).unwrap_or_else(|e| {
			log::debug!(target: LOG_TARGET, "reading the reported bans at {hash}: {e}");
			Vec::new()
		});
		let live = api.live_members(hash).unwrap_or_else(|e| {
			log::debug!(target: LOG_TARGET, "reading the live members at {hash}: {e}");
			(0..members).filter_map(|index| u32::try_from(index).ok()).collect()
		});
		SignerRules { banned, live }
	}

	/// The keys that may talk to us: the current and the next committee's members.
	fn committee_keys(&self) -> Vec<AuthorityId> {
		let Some(view) = &self.view else { return Vec::new() };
		let mut keys = view.info.authorities.clone();
		for member in view.handover.iter().flat_map(|h| &h.members) {
			if !keys.contains(member) {
				keys.push(member.clone());
			}
		}
		keys
	}

	/// Reopens the MPC substream of every connected peer that is not an authenticated member:
	/// when the committees change, a peer we refused (a joining validator) may now be one.
	fn reconnect_non_members(&mut self) {
		let strangers: Vec<PeerId> =
			self.sync_peers.iter().filter(|peer| !self.peers.contains(peer)).copied().collect();
		if strangers.is_empty() {
			return;
		}
		let _ =
			self.network.remove_peers_from_reserved_set(self.protocol.clone(), strangers.clone());
		let addrs = strangers
			.iter()
			.map(|peer| Multiaddr::empty().with(AddrProtocol::P2p(*peer.as_ref())))
			.collect();
		if let Err(e) = self.network.add_peers_to_reserved_set(self.protocol.clone(), addrs) {
			log::debug!(target: LOG_TARGET, "re-adding peers to the MPC peer set: {e}");
		}
	}

	/// Announces our `qmpc` keys of the current and next committee in the protocol handshake
	/// (again, if they changed); members already connected reconnect to learn them.
	async fn update_handshake(&mut self, notifications: &mut Box<dyn NotificationService>) {
		if let Some(MpcFault::Impersonate(victim)) = &self.fault {
			return self.impersonate(victim.clone(), notifications).await;
		}
		let committee = self.committee_keys();
		let local = keys::local_keys(&self.keystore);
		self.signing_keys.retain(&local);
		let mut announced: Vec<AuthorityId> =
			local.iter().filter(|key| committee.contains(key)).cloned().collect();
		if announced.is_empty() {
			announced.extend(local.into_iter().next());
		}
		announced.truncate(MAX_HANDSHAKE_KEYS);
		if announced.is_empty() || announced == self.handshake_keys {
			return;
		}
		let payload = Handshake::signing_payload(&self.genesis, &self.local_peer_id);
		let mut signed = Vec::with_capacity(announced.len());
		for key in &announced {
			match self.signing_keys.sign(key, &payload) {
				Ok(signature) => signed.push((key.clone(), signature)),
				Err(e) => return log::warn!(target: LOG_TARGET, "signing the handshake: {e}"),
			}
		}
		let handshake = Handshake { keys: signed }.encode();
		if notifications.set_handshake(handshake).await.is_ok() {
			log::info!(target: LOG_TARGET, "taking part as committee key(s) {announced:?}");
			let had_keys = !self.handshake_keys.is_empty();
			self.handshake_keys = announced;
			if had_keys {
				// Peers learn our keys from the handshake only: open the substreams again.
				let members: Vec<PeerId> = self
					.sync_peers
					.iter()
					.filter(|peer| self.peers.contains(peer))
					.copied()
					.collect();
				for peer in members {
					self.network.disconnect_peer(peer, self.protocol.clone());
				}
				self.reconnect_non_members();
			}
		}
	}

	/// The `impersonate` fault: announce `victim`'s key, signed with a key that is not its own
	/// (we do not hold the victim's). Every member must refuse us.
	async fn impersonate(
		&mut self,
		victim: AuthorityId,
		notifications: &mut Box<dyn NotificationService>,
	) {
		if self.handshake_keys == [victim.clone()] {
			return;
		}
		use sp_core::Pair as _;
		let (impostor, _) = pallet_qsign::crypto::AuthorityPair::generate();
		let payload = Handshake::signing_payload(&self.genesis, &self.local_peer_id);
		let handshake = Handshake { keys: vec![(victim.clone(), impostor.sign(&payload))] };
		if notifications.set_handshake(handshake.encode()).await.is_ok() {
			log::warn!(target: LOG_TARGET, "fault injection: impersonating committee key {victim:?}");
			self.handshake_keys = vec![victim];
		}
	}

	fn on_sync_event(&mut self, event: SyncEvent) {
		match event {
			SyncEvent::PeerConnected { peer_id, .. } => {
				self.sync_peers.insert(peer_id);
				let addr = Multiaddr::empty().with(AddrProtocol::P2p(*peer_id.as_ref()));
				if let Err(e) = self
					.network
					.add_peers_to_reserved_set(self.protocol.clone(), [addr].into_iter().collect())
				{
					log::debug!(target: LOG_TARGET, "adding {peer_id} to the MPC peer set: {e}");
				}
			}
			SyncEvent::PeerDisconnected(peer_id) => {
				self.sync_peers.remove(&peer_id);
				let _ = self
					.network
					.remove_peers_from_reserved_set(self.protocol.clone(), vec![peer_id]);
			}
		}
	}

	fn on_network_event(
		&mut self,
		event: NotificationEvent,
		notifications: &mut Box<dyn NotificationService>,
	) {
		match event {
			NotificationEvent::ValidateInboundSubstream { peer, handshake, result_tx } => {
				let result =
					Handshake::verify(&handshake, &self.genesis, &peer, &self.committee_keys());
				let verdict = match &result {
					Ok(_) => ValidationResult::Accept,
					Err(e) => {
						log_refused(&peer, e);
						ValidationResult::Reject
					}
				};
				let _ = result_tx.send(verdict);
			}
			NotificationEvent::NotificationStreamOpened { peer, handshake, .. } => {
				match Handshake::verify(&handshake, &self.genesis, &peer, &self.committee_keys()) {
					Ok(authorities) => {
						log::info!(
							target: LOG_TARGET,
							"MPC peer {peer} is committee key(s) {authorities:?} ({} connected)",
							self.peers.len() + 1
						);
						self.peers.insert(peer, authorities.clone());
						self.resend_undelivered(peer, &authorities, notifications);
						self.resend_sent(peer, &authorities, notifications);
					}
					Err(e) => log_refused(&peer, &e),
				}
			}
			NotificationEvent::NotificationStreamClosed { peer } => {
				if let Some(authorities) = self.peers.remove(&peer) {
					log::info!(target: LOG_TARGET, "MPC peer {peer} ({authorities:?}) disconnected");
				}
			}
			NotificationEvent::NotificationReceived { peer, notification } => {
				self.on_message(peer, notification)
			}
		}
	}

	/// Party index of `authority` among a session's `members`.
	fn party_of(members: &[AuthorityId], authority: &AuthorityId) -> Option<PartyIndex> {
		let position = members.iter().position(|a| a == authority)?;
		PartyIndex::new(u16::try_from(position + 1).ok()?)
	}

	/// The party behind `peer` in a session with `members`: the one the message claims
	/// (`claimed`) if the peer holds that party's key, else the first of the peer's keys among
	/// `members` (then the message's claim is wrong and [`check_inbound`] refuses it).
	fn party_in(
		&self,
		members: &[AuthorityId],
		peer: &PeerId,
		claimed: PartyIndex,
	) -> Option<(AuthorityId, PartyIndex)> {
		let held = self.peers.authorities(peer);
		let mut first = None;
		for authority in held {
			let Some(party) = Self::party_of(members, authority) else { continue };
			if party == claimed {
				return Some((authority.clone(), party));
			}
			first.get_or_insert((authority.clone(), party));
		}
		first
	}

	fn on_message(&mut self, peer: PeerId, bytes: Vec<u8>) {
		let Some(sender) = self.peers.authorities(&peer).first().cloned() else {
			log_dropped(&peer, None, &"not an authenticated committee member");
			return;
		};
		if bytes.first() == Some(&FORWARDED) {
			return self.on_forwarded(&peer, &sender, &bytes[1..]);
		}
		let Some((body, _)) = evidence::unseal(&bytes) else {
			return log_dropped(&peer, Some(&sender), &"shorter than a signature");
		};
		let (session_id, claimed) = match MessageHeader::parse(body) {
			Ok((header, _)) => (header.session_id, header.sender),
			Err(e) => return log_dropped(&peer, Some(&sender), &e),
		};
		if self.sessions.contains_key(&session_id) {
			self.deliver(&peer, session_id, claimed, &bytes);
			return;
		}
		if self.finished.contains(&session_id) {
			return;
		}
		// A session we have not started yet: keep the message for a while, bounded. Which of
		// the peer's keys sent it is known once the session (and its members) is.
		if let Err(refused) = self.early.hold(session_id, sender.clone(), bytes) {
			log_dropped(&peer, Some(&sender), &refused);
		}
	}

	/// Checks a signed message (`sealed`) from `peer` for the running session `session_id` and
	/// hands it to the run: the sender must be the participant `claimed`, the signature its own
	/// for this chain and the run's epoch; a signed broadcast is kept as evidence.
	fn deliver(
		&mut self,
		peer: &PeerId,
		session_id: SessionId,
		claimed: PartyIndex,
		sealed: &[u8],
	) {
		let Some(running) = self.sessions.get(&session_id) else { return };
		let Some((body, signature)) = evidence::unseal(sealed) else { return };
		let Some((authority, from)) = self.party_in(&running.members, peer, claimed) else {
			return log_dropped(peer, None, &"not a participant of the session");
		};
		if let Err(e) = check_inbound(body, from, running.me) {
			return log_dropped(peer, Some(&authority), &e);
		}
		if !running.handle.participants.contains(&from) {
			return log_dropped(peer, Some(&authority), &"not a participant of the session");
		}
		if !evidence::verify(&self.genesis, running.epoch, &authority, body, &signature) {
			return log_dropped(peer, Some(&authority), &"bad message signature");
		}
		let genesis = self.genesis;
		let Some(running) = self.sessions.get_mut(&session_id) else { return };
		if matches!(running.purpose, Purpose::Handover { .. }) {
			running.dealings.record(&authority, body, signature.clone());
		}
		if !running.heard_from.contains(&from) {
			running.heard_from.push(from);
		}
		if let Some(proof) =
			running.broadcasts.record(genesis, running.epoch, &authority, body, signature)
		{
			log::warn!(
				target: LOG_TARGET,
				"session {session_id}: party {from} ({authority}) sent two different signed \
				 broadcasts for one slot: reporting the equivocation"
			);
			self.evidence.push(proof);
			// The run would abort on the second version: keep it going with the first.
			return;
		}
		running.handle.deliver(from, body.to_vec());
	}

	/// A signed broadcast of a run's participant, forwarded by `peer` (`sender`) after the run
	/// failed for it: compared with the version we were shown.
	fn on_forwarded(&mut self, peer: &PeerId, sender: &AuthorityId, sealed: &[u8]) {
		let Some((body, signature)) = evidence::unseal(sealed) else {
			return log_dropped(peer, Some(sender), &"a forward shorter than a signature");
		};
		let header = match MessageHeader::parse(body) {
			Ok((header, _)) if header.receiver.is_none() => header,
			Ok(_) => return log_dropped(peer, Some(sender), &"a forwarded point-to-point message"),
			Err(e) => return log_dropped(peer, Some(sender), &e),
		};
		let genesis = self.genesis;
		let run =
			match self.sessions.get_mut(&header.session_id) {
				Some(running) => Some((
					&running.members,
					&running.handle.participants,
					running.epoch,
					&mut running.broadcasts,
				)),
				None => self.recent.iter_mut().find(|(id, _)| *id == header.session_id).map(
					|(_, run)| (&run.members, &run.participants, run.epoch, &mut run.broadcasts),
				),
			};
		// A run we never took part in, or forgot: nothing to compare with.
		let Some((members, participants, epoch, broadcasts)) = run else { return };
		let author = participants
			.contains(&header.sender)
			.then(|| members.get(usize::from(header.sender.get()) - 1).cloned())
			.flatten();
		let Some(author) = author else {
			return log_dropped(peer, Some(sender), &"a forward of a non-participant's message");
		};
		if !evidence::verify(&genesis, epoch, &author, body, &signature) {
			// The forwarder altered it (or made it up): it cannot frame `author`.
			return log_dropped(peer, Some(sender), &"a forward with a bad signature");
		}
		if let Some(proof) = broadcasts.record(genesis, epoch, &author, body, signature) {
			log::warn!(
				target: LOG_TARGET,
				"session {}: {author} showed another member a different signed broadcast \
				 (forwarded by {sender}): reporting the equivocation",
				header.session_id
			);
			self.evidence.push(proof);
		}
	}

	/// After a failed run, sends its other participants the signed broadcasts we received, so
	/// that a member shown different versions is caught (see [`evidence`]).
	fn forward_broadcasts(
		&self,
		running: &Running,
		notifications: &mut Box<dyn NotificationService>,
	) {
		let forwards = running.broadcasts.forwards(running.me);
		if forwards.is_empty() {
			return;
		}
		for party in running.recipients(Recipient::Broadcast) {
			let Some(authority) = running.members.get(usize::from(party.get()) - 1) else {
				continue;
			};
			if let Some(peer) = self.peers.peer_of(authority) {
				for forward in &forwards {
					self.measurements.sent(forward.len(), false);
					notifications.send_sync_notification(&peer, forward.clone());
				}
			}
		}
	}

	/// Records a failed run (timed out, or failed without a named culprit) with `suspects`
	/// (parties of `members`) and returns the parties the recent failures single out (see
	/// [`Self::repeated_suspects`]).
	fn single_out(&mut self, members: &[AuthorityId], suspects: &[PartyIndex]) -> Vec<PartyIndex> {
		let suspects: Vec<AuthorityId> = suspects
			.iter()
			.filter_map(|party| members.get(usize::from(party.get()) - 1))
			.cloned()
			.collect();
		self.repeated_suspects(suspects)
			.into_iter()
			.filter_map(|culprit| {
				let position = members.iter().position(|member| *member == culprit)?;
				PartyIndex::new(u16::try_from(position + 1).ok()?)
			})
			.collect()
	}

	/// Records a failed run whose culprit nobody could name (`suspects`: its other signers)
	/// and returns the members the recent failures single out: the only suspect of two
	/// failures, or the one suspect two failures with different suspect lists have in common
	/// (an honest co-signer shares a failure with the culprit, but not two with different
	/// co-suspects). A guess, hence only a blame: a wrong guess costs the reporter its own
	/// pairing for a while.
	fn repeated_suspects(&mut self, suspects: Vec<AuthorityId>) -> Vec<AuthorityId> {
		self.failures.retain(|(at, _)| at.elapsed() < SILENCE_WINDOW);
		let singled_out =
			signing::singled_out(self.failures.iter().map(|(_, earlier)| earlier), &suspects);
		if self.failures.len() >= MAX_RECENT_FAILURES {
			self.failures.pop_front();
		}
		self.failures.push_back((Instant::now(), suspects));
		singled_out
	}

	/// Keeps a finished run's broadcasts a while (for forwards that arrive later).
	/// Keeps the signed broadcasts of a run that ended (`running`, taken out of `sessions`), to
	/// compare with forwards that come later.
	fn keep_broadcasts_of(&mut self, session_id: SessionId, running: &mut Running) {
		let broadcasts = std::mem::take(&mut running.broadcasts);
		self.keep_recent(
			session_id,
			RecentRun {
				members: running.members.clone(),
				participants: running.handle.participants.clone(),
				epoch: running.epoch,
				broadcasts,
			},
		);
	}

	fn keep_recent(&mut self, session_id: SessionId, run: RecentRun) {
		if run.broadcasts.is_empty() {
			return;
		}
		if self.recent.len() >= MAX_RECENT_RUNS {
			self.recent.pop_front();
		}
		self.recent.push_back((session_id, run));
	}

	/// Submits the equivocation proofs found since the last call, one per offender and
	/// committee.
	async fn submit_evidence(&mut self) {
		let current = self.view.as_ref().map_or(0, |view| view.info.committee_id);
		let mut later = Vec::new();
		for proof in std::mem::take(&mut self.evidence) {
			// A handover run's messages are signed for the next committee: its evidence counts
			// once that committee is the current one (kept until then, a few at most).
			if proof.epoch > current {
				if later.len() < MAX_LATER_EVIDENCE {
					later.push(proof);
				}
				continue;
			}
			if proof.epoch < current || !self.reported.insert((proof.epoch, proof.offender.clone()))
			{
				continue;
			}
			let what = format!("equivocation evidence against {}", proof.offender);
			self.submit(CommitteeCall::ReportEquivocation { proof: Box::new(proof) }, &what).await;
		}
		self.evidence = later;
	}

	/// Submits the evidence that `dealer` of a handover run for `epoch` (whose signed dealings
	/// are `dealings`) dealt us a fragment off its committed polynomial: the chain retries the
	/// attempt without it.
	async fn report_invalid_dealing(
		&self,
		dealings: &ReceivedDealings,
		epoch: CommitteeId,
		dealer: PartyIndex,
	) {
		let Some(proof) = dealings.proof(self.genesis, epoch, dealer) else {
			log::warn!(
				target: LOG_TARGET,
				"party {dealer} dealt us a wrong fragment, but its signed messages were not kept"
			);
			return;
		};
		log::warn!(
			target: LOG_TARGET,
			"party {dealer} ({}) dealt us a fragment off its committed polynomial in the handover \
			 to epoch {}: reporting it",
			proof.offender,
			epoch
		);
		let what = format!("dealing evidence against {}", proof.offender);
		self.submit(CommitteeCall::ReportInvalidDealing { proof: Box::new(proof) }, &what).await;
	}

	/// Records `session_id` as started (on disk) before its run starts. `false` if it was
	/// started before, in this life of the node or an earlier one (a second run would send
	/// different messages for the same slots: an equivocation), or cannot be recorded.
	fn claim_session(&mut self, session_id: SessionId) -> bool {
		let Some(started) = self.started.as_mut() else { return false };
		match started.claim(session_id) {
			Ok(true) => true,
			Ok(false) => {
				log::info!(
					target: LOG_TARGET,
					"session {session_id} was started before this node restarted: not running it \
					 again (its peers retry without it)"
				);
				self.remember_finished(session_id);
				false
			}
			Err(e) => {
				log::error!(target: LOG_TARGET, "recording session {session_id} as started: {e}");
				false
			}
		}
	}

	/// Sends `peer` (member key(s) `authorities`, just connected) what its runs missed while
	/// it was away.
	fn resend_undelivered(
		&mut self,
		peer: PeerId,
		authorities: &[AuthorityId],
		notifications: &mut Box<dyn NotificationService>,
	) {
		for authority in authorities {
			let sessions = &self.sessions;
			let messages = self.undelivered.take_for(authority, |id| sessions.contains_key(id));
			let resent = messages.len();
			for bytes in messages {
				self.measurements.sent(bytes.len(), false);
				notifications.send_sync_notification(&peer, bytes);
			}
			if resent > 0 {
				log::debug!(
					target: LOG_TARGET,
					"sent {resent} message(s) {authority} missed while disconnected"
				);
			}
		}
	}

	/// Sends `peer` (member key(s) `authorities`, just connected) again what our running key
	/// generation and handover runs already sent its keys' parties: if the messages went to an
	/// earlier connection of the key that then died (a node replaced mid-run, a network break),
	/// they were lost, and the run would wait for the other side until it times out. An
	/// identical copy is ignored by the receiver. At most a few times per run and party.
	fn resend_sent(
		&mut self,
		peer: PeerId,
		authorities: &[AuthorityId],
		notifications: &mut Box<dyn NotificationService>,
	) {
		for (session_id, running) in self.sessions.iter_mut() {
			for authority in authorities {
				let Some(party) = Self::party_of(&running.members, authority) else { continue };
				let messages = running.sent.resend_to(party);
				for bytes in messages {
					self.measurements.sent(bytes.len(), false);
					notifications.send_sync_notification(&peer, bytes.clone());
				}
				if !messages.is_empty() {
					log::debug!(
						target: LOG_TARGET,
						"session {session_id}: sent party {party} ({authority}) our {} message(s) \
						 again on its new connection",
						messages.len()
					);
				}
			}
		}
	}

	fn prune_early(&mut self) {
		self.undelivered.prune();
		self.early.prune();
	}

	fn remember_finished(&mut self, session_id: SessionId) {
		if self.finished.insert(session_id) {
			self.finished_order.push_back(session_id);
			while self.finished_order.len() > MAX_FINISHED_REMEMBERED {
				if let Some(old) = self.finished_order.pop_front() {
					self.finished.remove(&old);
				}
			}
		}
	}

	/// Registers a started session and hands it the messages that arrived early.
	fn register(&mut self, session_id: SessionId, running: Running) {
		self.sessions.insert(session_id, running);
		for (sender, sealed) in self.early.take(&session_id) {
			let Some((body, _)) = evidence::unseal(&sealed) else { continue };
			let Ok((header, _)) = MessageHeader::parse(body) else { continue };
			let Some(peer) = self.peers.peer_of(&sender) else { continue };
			self.deliver(&peer, session_id, header.sender, &sealed);
		}
	}

	/// One look at the chain: the pending handover, then signing, as the state asks.
	async fn step(&mut self) {
		let Some(view) = &self.view else { return };
		let info = view.info.clone();
		let handover = view.handover.clone();
		let me = view.me.clone();
		let (number, at) = (view.number, view.at);
		// Our share in the current committee: for signing, and to deal in a handover.
		let can_sign = match (&me, info.root_key) {
			(Some(me), Some(root_key)) => self.load_share(&info, me, &root_key),
			_ => false,
		};
		if let Some(handover) = &handover {
			self.step_handover(&info, handover, number).await;
		}
		if let (true, Some(me)) = (can_sign, me) {
			self.send_heartbeat(&info, &me, number).await;
			self.step_signing(&info, &me, number, at).await;
		}
	}

	/// The key sealing the shares of our `qmpc` key `member`: with the operator's secret if one
	/// is configured and `with_secret`, else from the keystore alone ([`keys::sealing_key`]).
	fn sealing_key(
		&self,
		member: &AuthorityId,
		with_secret: bool,
	) -> Result<qsign_mpc::storage::StorageKey, String> {
		let secret = self.sealing_secret.as_ref().filter(|_| with_secret);
		keys::sealing_key(&self.keystore, member, &self.genesis, secret)
	}

	/// Our (`member`'s) stored share of `root_key` in committee `epoch`. A share sealed before
	/// the operator configured a sealing secret is opened with the keystore's key and sealed
	/// again under the secret.
	fn load_sealed(
		&self,
		root_key: &[u8; 33],
		member: &AuthorityId,
		epoch: CommitteeId,
	) -> Result<Option<KeyShare>, String> {
		let key = self.sealing_key(member, true)?;
		let old_key = if self.sealing_secret.is_some() {
			Some(self.sealing_key(member, false)?)
		} else {
			None
		};
		let (share, resealed) =
			self.shares.load_or_reseal(root_key, member, epoch, &key, old_key.as_ref())?;
		if resealed {
			log::info!(
				target: LOG_TARGET,
				"sealed our share of epoch {epoch} again under the operator's sealing secret"
			);
		}
		Ok(share)
	}

	/// Makes sure `self.share` is the share of `root_key`; `false` if we have none.
	fn load_share(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		root_key: &[u8; 33],
	) -> bool {
		if let Some((epoch, share)) = &self.share {
			if *epoch == info.committee_id && share.public_key() == *root_key {
				return true;
			}
		}
		self.share = None;
		// The handover that formed this committee left our share in memory: adopt it.
		if let Some((epoch, _, share)) = self.next_share.clone() {
			if epoch == info.committee_id && share.public_key() == *root_key {
				self.share = Some((epoch, share));
				self.next_share = None;
				return true;
			}
		}
		let loaded = self.load_sealed(root_key, &me.public, info.committee_id);
		match loaded {
			Ok(Some(share)) => {
				log::info!(
					target: LOG_TARGET,
					"loaded our share of root key {} (party {} of {}, threshold {})",
					hex(root_key),
					share.me(),
					share.parties(),
					share.threshold()
				);
				self.share = Some((info.committee_id, Arc::new(share)));
				true
			}
			Ok(None) => {
				if !self.warned_no_share {
					log::warn!(
						target: LOG_TARGET,
						"committee {} has root key {} but this node holds no share of it: it \
						 cannot sign until governance repairs it (was the base path lost?)",
						info.committee_id,
						hex(root_key)
					);
					self.warned_no_share = true;
				}
				false
			}
			Err(e) => {
				if !self.warned_no_share {
					log::error!(target: LOG_TARGET, "loading our key share: {e}");
					self.warned_no_share = true;
				}
				false
			}
		}
	}

	async fn on_session_event(
		&mut self,
		event: Event,
		notifications: &mut Box<dyn NotificationService>,
	) {
		match event {
			SessionEvent::Outgoing { session_id, messages } => {
				self.send(session_id, messages, notifications)
			}
			SessionEvent::Finished { session_id, result } => {
				self.remember_finished(session_id);
				let Some(mut running) = self.sessions.remove(&session_id) else { return };
				if result.is_err() {
					self.forward_broadcasts(&running, notifications);
				}
				self.keep_broadcasts_of(session_id, &mut running);
				let signing = matches!(running.purpose, Purpose::Sign { .. });
				match (running.purpose, result) {
					(Purpose::Handover { epoch, attempt }, Ok(Output::Share(share))) => {
						self.on_handover_output(epoch, attempt, Some(*share)).await
					}
					(Purpose::Handover { epoch, attempt }, Ok(Output::Dealt)) => {
						self.on_handover_output(epoch, attempt, None).await
					}
					(
						Purpose::HandoverProof { epoch, attempt, proof_hash, public_key },
						Ok(Output::Signature(signature)),
					) => {
						self.on_handover_proof(epoch, attempt, proof_hash, public_key, signature)
							.await
					}
					(Purpose::Sign { request, attempt }, Ok(Output::Signature(signature))) => {
						self.on_signature(request, attempt, signature).await
					}
					(Purpose::Handover { epoch, attempt }, Err(e)) => {
						log::warn!(
							target: LOG_TARGET,
							"handover to epoch {epoch} (attempt {attempt}) failed: {e}"
						);
						if let SessionError::Protocol(MpcError::InvalidFragment {
							dealer, ..
						}) = e
						{
							self.report_invalid_dealing(&running.dealings, running.epoch, dealer)
								.await;
						}
					}
					(Purpose::HandoverProof { epoch, attempt, .. }, Err(e)) => log::warn!(
						target: LOG_TARGET,
						"proof of signing for epoch {epoch} (attempt {attempt}) failed: {e}"
					),
					(Purpose::Sign { request, attempt }, Err(e)) => {
						log::warn!(
							target: LOG_TARGET,
							"signing request {} (attempt {attempt}) failed: {e}",
							request.request_id
						);
						// A silent or (attributably) misbehaving co-signer is left out of the
						// next attempts: blame it on-chain (a ban verdict is reported instead).
						// A time-out's suspects are all the other signers, not only those we
						// waited for: one that withholds its message from a co-signer stalls that
						// co-signer, and must share the suspicion with it.
						let others: Vec<PartyIndex> = running
							.handle
							.participants
							.iter()
							.copied()
							.filter(|party| *party != running.me)
							.collect();
						let blamed: Vec<(PartyIndex, Blame)> = match &e {
							// Our own inputs were refused: nobody to blame.
							SessionError::NotStarted(_) => Vec::new(),
							SessionError::TimedOut { .. } => self
								.single_out(&running.members, &others)
								.into_iter()
								.map(|party| (party, Blame::Silent))
								.collect(),
							SessionError::Protocol(MpcError::Misbehaviour {
								ban: true, ..
							}) => Vec::new(),
							SessionError::Protocol(MpcError::ProtocolFailure {
								suspects, ..
							}) => self
								.single_out(&running.members, suspects)
								.into_iter()
								.map(|party| (party, Blame::Misbehaved))
								.collect(),
							SessionError::Protocol(error) => error
								.culprit()
								.map(|p| (p, Blame::Misbehaved))
								.into_iter()
								.collect(),
						};
						// Our place in the committee the run belongs to (none if it changed since).
						let member = self
							.view
							.as_ref()
							.and_then(|view| Some((view.info.clone(), view.me.clone()?)))
							.filter(|(info, _)| info.authorities == running.members);
						if let Some((info, me)) = &member {
							for (party, reason) in blamed {
								self.blame(info, me, session_id, party, reason).await;
							}
						}
						if let SessionError::Protocol(MpcError::Misbehaviour {
							party,
							reason,
							ban: true,
						}) = &e
						{
							// The culprit is named and excluded from now on: not an abort that
							// counts towards giving the request up.
							if let Some((info, me)) = &member {
								self.on_ban_verdict(info, me, session_id, *party, reason).await;
							}
						} else if let SessionError::Protocol(_) = e {
							let aborted = self.aborts.entry(request.request_id).or_default();
							aborted.insert(running.handle.participants.clone());
							let aborted = aborted.len();
							let members = running.members.len();
							let threshold = running.handle.participants.len();
							if signing::every_set_with_us_aborted(aborted, members, threshold) {
								if let Some(view) = &self.view {
									if let Some(me) = view.me.clone() {
										let info = view.info.clone();
										self.vote_failure(
											&info,
											&me,
											request.request_id,
											FailureReason::SigningAborted,
										)
										.await;
									}
								}
							}
						}
					}
					_ => log::error!(target: LOG_TARGET, "session {session_id}: unexpected output"),
				}
				if signing {
					self.refill_signing().await;
				}
			}
		}
	}

	fn send(
		&mut self,
		session_id: SessionId,
		messages: Vec<OutgoingMessage>,
		notifications: &mut Box<dyn NotificationService>,
	) {
		if self.fault == Some(MpcFault::Silent) {
			return;
		}
		let Some(running) = self.sessions.get(&session_id) else { return };
		let Some(my_key) = running.members.get(usize::from(running.me.get()) - 1) else { return };
		let mut delivered = Vec::new();
		let signing = matches!(running.purpose, Purpose::Sign { .. });
		let garble = self.fault == Some(MpcFault::Garbage) && signing;
		for mut message in messages {
			if garble {
				message.bytes = faults::garbage(&message.bytes);
			}
			let statement = pallet_committee::evidence::MessageStatement::new(
				self.genesis,
				running.epoch,
				&message.bytes,
			);
			let signature = match self.signing_keys.sign(my_key, &statement.signing_payload()) {
				Ok(signature) => signature,
				Err(e) => {
					log::error!(target: LOG_TARGET, "session {session_id}: signing a message: {e}");
					return;
				}
			};
			let replay = self.fault == Some(MpcFault::Replay)
				&& matches!(running.purpose, Purpose::Sign { .. });
			if replay && MessageHeader::parse(&message.bytes).map_or(true, |(h, _)| h.round > 1) {
				// The `replay` fault: nothing after the first round.
				continue;
			}
			let message = OutgoingMessage {
				to: message.to,
				bytes: evidence::seal(&message.bytes, &signature),
			};
			if replay {
				self.replays.entry(session_id).or_default().push(message.clone());
			}
			for party in running.recipients(message.to) {
				let Some(authority) = running.members.get(usize::from(party.get()) - 1) else {
					continue;
				};
				match self.peers.peer_of(authority) {
					Some(peer) => {
						self.measurements.sent(message.bytes.len(), signing);
						notifications.send_sync_notification(&peer, message.bytes.clone());
						delivered.push((party, message.bytes.clone()));
					}
					None => {
						log::debug!(
							target: LOG_TARGET,
							"session {session_id}: party {party} ({authority}) is not connected; \
							 the message waits for it"
						);
						self.undelivered.keep(authority.clone(), session_id, message.bytes.clone());
					}
				}
			}
		}
		if let Some(running) = self.sessions.get_mut(&session_id) {
			for (party, bytes) in delivered {
				if !running.sent.keep(party, &bytes) {
					break;
				}
			}
		}
	}

	/// The `replay` fault: sends every running signing run's first-round messages again.
	fn replay(&mut self, notifications: &mut Box<dyn NotificationService>) {
		let sessions = &self.sessions;
		self.replays.retain(|id, _| sessions.contains_key(id));
		for (session_id, messages) in &self.replays {
			let Some(running) = self.sessions.get(session_id) else { continue };
			for message in messages {
				for party in running.recipients(message.to) {
					let authority = running.members.get(usize::from(party.get()) - 1);
					if let Some(peer) = authority.and_then(|a| self.peers.peer_of(a)) {
						notifications.send_sync_notification(&peer, message.bytes.clone());
					}
				}
			}
		}
	}

	/// Tells the chain we are up with our share of committee `info` (a [`Heartbeat`]), once per
	/// heartbeat interval: only members with a recent heartbeat are chosen to sign, so every
	/// member computes the same signer sets (design: `docs/design/signer-liveness.md`).
	async fn send_heartbeat(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		number: BlockNumber,
	) {
		let Some(view) = &self.view else { return };
		let interval = view.heartbeat_interval.max(1);
		// The best block, not the (lagging) finalized one we follow: the chain counts a
		// heartbeat from the block it names, so a recent one leaves more of the window.
		let number = self.client.info().best_number.max(number);
		if self
			.heartbeat_sent
			.is_some_and(|(epoch, at)| epoch == info.committee_id && number < at + interval)
		{
			return;
		}
		self.heartbeat_sent = Some((info.committee_id, number));
		let heartbeat = Heartbeat {
			genesis_hash: self.genesis,
			epoch: info.committee_id,
			member_index: me.authority_index,
			block: number,
		};
		match self.signing_keys.sign(&me.public, &heartbeat.signing_payload()) {
			Ok(signature) => {
				let call = CommitteeCall::Heartbeat { heartbeat, signature };
				self.submit_logged(
					call,
					&format!("heartbeat at block {number}"),
					log::Level::Debug,
				)
				.await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing a heartbeat: {e}"),
		}
	}

	/// Wraps `call` into an authorized transaction and submits it to our pool (which gossips
	/// it to the block authors).
	async fn submit(&self, call: CommitteeCall, what: &str) -> bool {
		self.submit_logged(call, what, log::Level::Info).await
	}

	/// [`Self::submit`], logging a successful submission at `level`.
	async fn submit_logged(&self, call: CommitteeCall, what: &str, level: log::Level) -> bool {
		if self.fault == Some(MpcFault::Silent) {
			log::warn!(target: LOG_TARGET, "fault injection: not submitting the {what}");
			return false;
		}
		let best = self.client.info().best_hash;
		let xt = match self.client.runtime_api().committee_extrinsic(best, call) {
			Ok(xt) => xt,
			Err(e) => {
				log::error!(target: LOG_TARGET, "building the transaction for the {what}: {e}");
				return false;
			}
		};
		match self.pool.submit_one(best, TransactionSource::Local, xt).await {
			Ok(_) => {
				log::log!(target: LOG_TARGET, level, "submitted the {what}");
				true
			}
			// Typically another member's identical result got there first.
			Err(e) => {
				log::debug!(target: LOG_TARGET, "the pool refused the {what}: {e}");
				false
			}
		}
	}
}

/// Logs a refused MPC handshake: a forged or malformed one is an attack (warning), a peer that
/// is simply not a member (a full node, a validator that has not joined yet) is routine.
fn log_refused(peer: &PeerId, error: &HandshakeError) {
	match error {
		HandshakeError::NotAMember | HandshakeError::UnknownAuthority(_) => {
			log::debug!(target: LOG_TARGET, "refusing MPC peer {peer}: {error}")
		}
		_ => log::warn!(target: LOG_TARGET, "refusing MPC peer {peer}: {error}"),
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
