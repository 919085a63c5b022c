//! The MPC worker loop.
//!
//! On every finalized block (and every second in between) the worker reads the committee and
//! the pending requests from the runtime at the finalized block (at the best block instead when
//! finality lags more than [`MAX_FINALITY_LAG`] blocks: GRANDPA needs more than two thirds of
//! the validators, so with three validators one being down stalls finality, while two can still
//! sign), and:
//! - while the committee has no root key, runs the DKG (all members must be connected) and
//!   attests the resulting root key on-chain;
//! - for every pending request picks the signers deterministically, signs if it is one of
//!   them, checks the signature and submits it as an authorized transaction.
//!
//! **Signer choice.** Members are ordered by `blake2(request id ‖ attempt ‖ member index)`; the
//! signers are the first `t` that are live (connected to us, or us). The attempt is
//! `(block − created_at) / SIGN_ATTEMPT_BLOCKS`, the same on every node, so a signer set
//! that fails (a member went silent before the others noticed) is replaced by a reshuffled one
//! a few blocks later, and a request never depends on one party.

use super::{
	communication::{check_inbound, log_dropped, Handshake, Peers},
	keys::{self, LocalMember},
	sessions::{self, SessionError, SessionEvent, SessionHandle, Timeouts},
	shares::ShareStore,
	LOG_TARGET,
};
use codec::Encode;
use futures::{channel::mpsc, FutureExt, StreamExt};
use pallet_qsign::{
	crypto::AuthorityId,
	runtime_api::{CommitteeCall, QSignApi, QSignCommitteeApi},
};
use qsign_mpc::{
	DkgConfig, Dkls23, KeyShare, OutgoingMessage, PartyIndex, Recipient, SessionId, SignRequest,
	ThresholdEcdsa,
};
use qsign_primitives::request::{
	CommitteeInfo, FailureReason, FailureVote, PendingRequest, RequestId, RootKeyAttestation,
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
pub const MAX_FINALITY_LAG: BlockNumber = 5;
/// A signing attempt lasts this many blocks before the signer set is reshuffled.
pub const SIGN_ATTEMPT_BLOCKS: BlockNumber = 6;
/// A key-generation attempt lasts this many blocks.
pub const DKG_ATTEMPT_BLOCKS: BlockNumber = 20;
/// A signing run is abandoned when no message came for 20 s, or after 5 minutes.
const SIGN_TIMEOUTS: Timeouts =
	Timeouts { idle: Duration::from_secs(20), total: Duration::from_secs(300) };
/// A key-generation run is abandoned when no message came for 60 s, or after 10 minutes.
const DKG_TIMEOUTS: Timeouts =
	Timeouts { idle: Duration::from_secs(60), total: Duration::from_secs(600) };
/// Signing runs at once on this node (requests beyond wait for the next blocks).
const MAX_CONCURRENT_SIGNING: usize = 256;
/// Pending requests read per runtime call, and at most in total per block.
const PENDING_PAGE: u32 = 256;
const MAX_PENDING_SCAN: usize = 2048;
/// After this many aborted runs for one request (misbehaviour, not time-outs) this member
/// votes that the request failed.
const MAX_ABORTS: u32 = 3;
/// Messages for sessions we have not started yet (a faster peer began first), bounded.
const MAX_EARLY_SESSIONS: usize = 512;
const MAX_EARLY_PER_SESSION: usize = 64;
const MAX_EARLY_BYTES: usize = 64 * 1024 * 1024;
const EARLY_TTL: Duration = Duration::from_secs(120);
/// Sessions remembered as finished, so late messages for them are dropped quietly.
const MAX_FINISHED_REMEMBERED: usize = 4096;
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
}

/// What a session produces.
enum Output {
	Share(Box<KeyShare>),
	Signature(qsign_mpc::Signature),
}

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
	Dkg { committee_id: u64, attempt: u32 },
	Sign { request: PendingRequest<BlockNumber>, attempt: u32 },
}

struct Running {
	handle: SessionHandle,
	purpose: Purpose,
	/// The committee when the session started (party `i` is `members[i - 1]`).
	members: Vec<AuthorityId>,
}

/// Messages held for a session we have not started yet.
struct Early {
	since: Instant,
	messages: Vec<(PartyIndex, Vec<u8>)>,
	bytes: usize,
}

/// The committee as of the block we last looked at, with our place in it.
struct CommitteeView {
	info: CommitteeInfo<AuthorityId>,
	me: Option<LocalMember>,
	/// The block read (finalized, or best when finality lags).
	at: <Block as BlockT>::Hash,
	number: BlockNumber,
}

/// The worker. Build it with [`MpcWorker::new`] and spawn [`MpcWorker::run`].
pub struct MpcWorker<C, P> {
	client: Arc<C>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	network: Arc<dyn NetworkPeers + Send + Sync>,
	sync: Arc<dyn SyncEventStream>,
	protocol: ProtocolName,
	local_peer_id: PeerId,
	genesis: [u8; 32],
	shares: ShareStore,
	peers: Peers,
	handshake_key: Option<AuthorityId>,
	view: Option<CommitteeView>,
	/// The share for the committee's root key, once loaded or generated.
	share: Option<(u64, Arc<KeyShare>)>,
	sessions: HashMap<SessionId, Running>,
	early: HashMap<SessionId, Early>,
	early_bytes: usize,
	finished: HashSet<SessionId>,
	finished_order: VecDeque<SessionId>,
	/// Requests we produced a signature for, with the attempt it was produced in.
	signed: HashMap<RequestId, u32>,
	/// Aborted runs per request.
	aborts: HashMap<RequestId, u32>,
	/// Requests we voted failed.
	voted: HashSet<RequestId>,
	/// Pending requests whose derived key we checked against our share.
	key_checked: HashSet<RequestId>,
	/// DKG attempts we attested a key for, per committee.
	attested: HashSet<(u64, u32)>,
	events_tx: mpsc::UnboundedSender<Event>,
	events_rx: Option<mpsc::UnboundedReceiver<Event>>,
	warned_no_share: bool,
	warned_small_committee: bool,
}

impl<C, P> MpcWorker<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync,
	C: 'static,
	C::Api: QSignApi<Block, AccountId, BlockNumber> + QSignCommitteeApi<Block>,
	P: TransactionPool<Block = Block> + 'static,
{
	/// A worker for the chain the client follows.
	pub fn new(params: MpcWorkerParams<C, P>) -> (Self, Box<dyn NotificationService>) {
		let genesis = params.client.info().genesis_hash.into();
		let (events_tx, events_rx) = mpsc::unbounded();
		let worker = Self {
			client: params.client,
			pool: params.pool,
			keystore: params.keystore,
			network: params.network,
			sync: params.sync,
			protocol: params.protocol,
			local_peer_id: params.local_peer_id,
			genesis,
			shares: ShareStore::new(params.share_dir),
			peers: Peers::default(),
			handshake_key: None,
			view: None,
			share: None,
			sessions: HashMap::new(),
			early: HashMap::new(),
			early_bytes: 0,
			finished: HashSet::new(),
			finished_order: VecDeque::new(),
			signed: HashMap::new(),
			aborts: HashMap::new(),
			voted: HashSet::new(),
			key_checked: HashSet::new(),
			attested: HashSet::new(),
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

	/// Reads the committee at the block the worker follows (see the module docs).
	fn refresh_committee(&mut self) {
		let info = self.client.info();
		let (hash, number) =
			if info.best_number.saturating_sub(info.finalized_number) > MAX_FINALITY_LAG {
				(info.best_hash, info.best_number)
			} else {
				(info.finalized_hash, info.finalized_number)
			};
		match self.client.runtime_api().committee(hash) {
			Ok(committee) => {
				let me = keys::local_member(&self.keystore, &committee.authorities);
				if let Some(view) = &self.view {
					if view.info.committee_id != committee.committee_id {
						log::info!(
							target: LOG_TARGET,
							"committee {} takes over ({} members, threshold {})",
							committee.committee_id,
							committee.authorities.len(),
							committee.threshold
						);
					}
				}
				self.view = Some(CommitteeView { info: committee, me, at: hash, number });
			}
			Err(e) => log::warn!(target: LOG_TARGET, "reading the committee at {hash}: {e}"),
		}
	}

	/// Announces our `qmpc` key in the protocol handshake (again, if it changed).
	async fn update_handshake(&mut self, notifications: &mut Box<dyn NotificationService>) {
		let key = self
			.view
			.as_ref()
			.and_then(|view| view.me.as_ref().map(|me| me.public.clone()))
			.or_else(|| keys::local_keys(&self.keystore).into_iter().next());
		if key == self.handshake_key {
			return;
		}
		let Some(authority) = key.clone() else { return };
		let payload = Handshake::signing_payload(&self.genesis, &self.local_peer_id);
		match keys::sign(&self.keystore, &authority, &payload) {
			Ok(signature) => {
				let handshake = Handshake { authority: authority.clone(), signature }.encode();
				if notifications.set_handshake(handshake).await.is_ok() {
					log::info!(target: LOG_TARGET, "taking part as committee key {authority}");
					self.handshake_key = key;
				}
			}
			Err(e) => log::warn!(target: LOG_TARGET, "signing the handshake: {e}"),
		}
	}

	fn committee_keys(&self) -> &[AuthorityId] {
		self.view.as_ref().map_or(&[], |view| &view.info.authorities)
	}

	fn on_sync_event(&mut self, event: SyncEvent) {
		match event {
			SyncEvent::PeerConnected { peer_id, .. } => {
				let addr = Multiaddr::empty().with(AddrProtocol::P2p(*peer_id.as_ref()));
				if let Err(e) = self
					.network
					.add_peers_to_reserved_set(self.protocol.clone(), [addr].into_iter().collect())
				{
					log::debug!(target: LOG_TARGET, "adding {peer_id} to the MPC peer set: {e}");
				}
			}
			SyncEvent::PeerDisconnected(peer_id) => {
				let _ = self
					.network
					.remove_peers_from_reserved_set(self.protocol.clone(), vec![peer_id]);
			}
		}
	}

	fn on_network_event(
		&mut self,
		event: NotificationEvent,
		_notifications: &mut Box<dyn NotificationService>,
	) {
		match event {
			NotificationEvent::ValidateInboundSubstream { peer, handshake, result_tx } => {
				let result =
					Handshake::verify(&handshake, &self.genesis, &peer, self.committee_keys());
				let verdict = match &result {
					Ok(_) => ValidationResult::Accept,
					Err(e) => {
						log::debug!(target: LOG_TARGET, "refusing MPC substream from {peer}: {e}");
						ValidationResult::Reject
					}
				};
				let _ = result_tx.send(verdict);
			}
			NotificationEvent::NotificationStreamOpened { peer, handshake, .. } => {
				match Handshake::verify(&handshake, &self.genesis, &peer, self.committee_keys()) {
					Ok(authority) => {
						self.peers.insert(peer, authority.clone());
						log::info!(
							target: LOG_TARGET,
							"MPC peer {peer} is committee key {authority} ({} connected)",
							self.peers.len()
						);
					}
					Err(e) => log::debug!(target: LOG_TARGET, "ignoring MPC peer {peer}: {e}"),
				}
			}
			NotificationEvent::NotificationStreamClosed { peer } => {
				if let Some(authority) = self.peers.remove(&peer) {
					log::info!(target: LOG_TARGET, "MPC peer {peer} ({authority}) disconnected");
				}
			}
			NotificationEvent::NotificationReceived { peer, notification } => {
				self.on_message(peer, notification)
			}
		}
	}

	/// Party index of a committee member in `members`.
	fn party_of(members: &[AuthorityId], authority: &AuthorityId) -> Option<PartyIndex> {
		let position = members.iter().position(|a| a == authority)?;
		PartyIndex::new(u16::try_from(position + 1).ok()?)
	}

	fn on_message(&mut self, peer: PeerId, bytes: Vec<u8>) {
		let Some(authority) = self.peers.authority(&peer).cloned() else {
			log_dropped(&peer, None, &"not an authenticated committee member");
			return;
		};
		let Some(view) = &self.view else { return };
		let Some(me) = view.me.as_ref() else { return };
		let members = &view.info.authorities;
		let (Some(from), Some(my_party)) =
			(Self::party_of(members, &authority), PartyIndex::new(me.authority_index as u16 + 1))
		else {
			log_dropped(&peer, Some(&authority), &"not in the current committee");
			return;
		};
		let header = match check_inbound(&bytes, from, my_party) {
			Ok(header) => header,
			Err(e) => return log_dropped(&peer, Some(&authority), &e),
		};
		let session_id = header.session_id;
		if let Some(running) = self.sessions.get(&session_id) {
			if !running.handle.participants.contains(&from) {
				return log_dropped(&peer, Some(&authority), &"not a participant of the session");
			}
			running.handle.deliver(from, bytes);
			return;
		}
		if self.finished.contains(&session_id) {
			return;
		}
		// A session we have not started yet: keep the message for a while, bounded.
		if !self.early.contains_key(&session_id) && self.early.len() >= MAX_EARLY_SESSIONS {
			let oldest = self.early.iter().min_by_key(|(_, e)| e.since).map(|(id, _)| *id);
			if let Some(oldest) = oldest {
				self.drop_early(&oldest);
			}
		}
		if self.early_bytes + bytes.len() > MAX_EARLY_BYTES {
			return log_dropped(&peer, Some(&authority), &"early-message buffer full");
		}
		let entry = self.early.entry(session_id).or_insert_with(|| Early {
			since: Instant::now(),
			messages: Vec::new(),
			bytes: 0,
		});
		if entry.messages.len() >= MAX_EARLY_PER_SESSION {
			return log_dropped(
				&peer,
				Some(&authority),
				&"too many messages for an unknown session",
			);
		}
		self.early_bytes += bytes.len();
		entry.bytes += bytes.len();
		entry.messages.push((from, bytes));
	}

	fn drop_early(&mut self, session_id: &SessionId) {
		if let Some(early) = self.early.remove(session_id) {
			self.early_bytes = self.early_bytes.saturating_sub(early.bytes);
		}
	}

	fn prune_early(&mut self) {
		let stale: Vec<SessionId> = self
			.early
			.iter()
			.filter(|(_, e)| e.since.elapsed() > EARLY_TTL)
			.map(|(id, _)| *id)
			.collect();
		for id in stale {
			self.drop_early(&id);
		}
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
		if let Some(early) = self.early.remove(&session_id) {
			self.early_bytes = self.early_bytes.saturating_sub(early.bytes);
			for (from, bytes) in early.messages {
				if running.handle.participants.contains(&from) {
					running.handle.deliver(from, bytes);
				}
			}
		}
		self.sessions.insert(session_id, running);
	}

	/// One look at the chain: key generation or signing, as the state asks.
	async fn step(&mut self) {
		let Some(view) = &self.view else { return };
		let Some(me) = view.me.clone() else { return };
		let info = view.info.clone();
		let number = view.number;
		let at = view.at;
		match info.root_key {
			None => self.step_dkg(&info, &me, number).await,
			Some(root_key) => {
				if !self.load_share(&info, &me, &root_key) {
					return;
				}
				self.step_signing(&info, &me, number, at).await;
			}
		}
	}

	/// Makes sure `self.share` is the share of `root_key`; `false` if we have none.
	fn load_share(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		root_key: &[u8; 33],
	) -> bool {
		if let Some((committee_id, share)) = &self.share {
			if *committee_id == info.committee_id && share.public_key() == *root_key {
				return true;
			}
		}
		let loaded = keys::sealing_key(&self.keystore, &me.public, &self.genesis)
			.and_then(|key| self.shares.load(info.committee_id, root_key, &key));
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
						 cannot sign (was the base path lost?)",
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

	async fn step_dkg(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		number: BlockNumber,
	) {
		if info.authorities.len() < 2 || info.threshold < 2 {
			if !self.warned_small_committee {
				log::warn!(
					target: LOG_TARGET,
					"a committee of {} cannot run threshold ECDSA (at least 2 members needed): \
					 no root key on this chain (use `--chain local` for a signing network)",
					info.authorities.len()
				);
				self.warned_small_committee = true;
			}
			return;
		}
		let attempt = number / DKG_ATTEMPT_BLOCKS;
		// A share from an earlier run whose attestation has not landed: attest again, once
		// per attempt (the chain ignores repeats).
		let stored = self.shares.stored_root_keys(info.committee_id);
		if !stored.is_empty() {
			if self.attested.insert((info.committee_id, attempt)) {
				for root_key in stored {
					self.attest(info.committee_id, me, root_key).await;
				}
			}
			return;
		}
		let all_connected = info
			.authorities
			.iter()
			.all(|authority| *authority == me.public || self.peers.is_connected(authority));
		let running = self.sessions.values().any(|running| {
			matches!(running.purpose, Purpose::Dkg { committee_id, attempt: a }
				if committee_id == info.committee_id && a == attempt)
		});
		if !all_connected || running {
			return;
		}
		let (Ok(parties), Ok(threshold), Some(my_party)) = (
			u16::try_from(info.authorities.len()),
			u16::try_from(info.threshold),
			PartyIndex::new(me.authority_index as u16 + 1),
		) else {
			return;
		};
		let session_id = SessionId(sp_io::hashing::blake2_256(
			&(b"qsign/dkg", self.genesis, info.committee_id, attempt).encode(),
		));
		if self.finished.contains(&session_id) {
			return;
		}
		let config = DkgConfig { session_id, threshold, parties, me: my_party };
		let session = match Dkls23::start_dkg(&config) {
			Ok(session) => session,
			Err(e) => {
				log::error!(target: LOG_TARGET, "cannot run the DKG for committee {}: {e}", info.committee_id);
				self.remember_finished(session_id);
				return;
			}
		};
		let participants = (1..=parties).filter_map(PartyIndex::new).collect();
		match sessions::spawn(
			"qsign-dkg",
			session,
			participants,
			DKG_TIMEOUTS,
			self.events_tx.clone(),
			wrap_dkg,
		) {
			Ok(handle) => {
				log::info!(
					target: LOG_TARGET,
					"DKG {session_id} started: committee {}, attempt {attempt}, {threshold}-of-{parties}",
					info.committee_id
				);
				self.register(
					session_id,
					Running {
						handle,
						purpose: Purpose::Dkg { committee_id: info.committee_id, attempt },
						members: info.authorities.clone(),
					},
				);
			}
			Err(e) => log::error!(target: LOG_TARGET, "starting a DKG thread: {e}"),
		}
	}

	async fn attest(&mut self, committee_id: u64, me: &LocalMember, public_key: [u8; 33]) {
		let attestation =
			RootKeyAttestation { committee_id, authority_index: me.authority_index, public_key };
		match keys::sign(&self.keystore, &me.public, &attestation.signing_payload()) {
			Ok(signature) => {
				let call = CommitteeCall::SubmitRootKey { attestation, signature };
				self.submit(call, &format!("root key {}", hex(&public_key))).await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing the root key attestation: {e}"),
		}
	}

	async fn step_signing(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		number: BlockNumber,
		at: <Block as BlockT>::Hash,
	) {
		let Some((_, share)) = self.share.clone() else { return };
		let pending = self.pending_requests(at);
		let pending_ids: HashSet<RequestId> = pending.iter().map(|r| r.request_id).collect();
		self.signed.retain(|id, _| pending_ids.contains(id));
		self.aborts.retain(|id, _| pending_ids.contains(id));
		self.voted.retain(|id| pending_ids.contains(id));
		self.key_checked.retain(|id| pending_ids.contains(id));

		let Ok(threshold) = usize::try_from(info.threshold) else { return };
		let best = self.client.info().best_hash;
		let mut pending_at_best: Option<HashSet<RequestId>> = None;
		for request in pending {
			let signing_now = self
				.sessions
				.values()
				.filter(|running| matches!(running.purpose, Purpose::Sign { .. }))
				.count();
			if signing_now >= MAX_CONCURRENT_SIGNING {
				break;
			}
			if self.voted.contains(&request.request_id) {
				continue;
			}
			let attempt = number.saturating_sub(request.created_at) / SIGN_ATTEMPT_BLOCKS;
			// We signed it recently: the result is on its way to a block.
			if self.signed.get(&request.request_id).is_some_and(|a| attempt <= a + 1) {
				continue;
			}
			// A retry (attempt ≥ 1) of a request already signed in the best chain, whose block
			// is not finalized yet: the members that were not in the first signer set cannot
			// know it from finalized state, and would start runs nobody joins.
			if attempt > 0 && best != at {
				let at_best = pending_at_best.get_or_insert_with(|| {
					self.pending_requests(best).iter().map(|r| r.request_id).collect()
				});
				if !at_best.contains(&request.request_id) {
					continue;
				}
			}
			// The key must be ours: the chain derived it from the root key we hold a share of.
			if !self.key_checked.contains(&request.request_id) {
				match share.derived_public_key(&request.epsilon) {
					Ok(derived) if derived == request.derived_public_key => {
						self.key_checked.insert(request.request_id);
					}
					_ => {
						self.vote_failure(
							info,
							me,
							request.request_id,
							FailureReason::KeyUnavailable,
						)
						.await;
						continue;
					}
				}
			}
			// Our run of an earlier attempt is still going (a loaded machine): let it finish
			// rather than adding a competing run.
			let earlier_running = self.sessions.values().any(|running| {
				matches!(&running.purpose, Purpose::Sign { request: r, attempt: a }
					if r.request_id == request.request_id && *a < attempt)
			});
			if earlier_running {
				continue;
			}
			// Peers that saw the request in the previous attempt's window (their view of the
			// chain was a little ahead or behind ours) already began that run: join it.
			if attempt > 0 {
				let previous = self.sign_session_id(&request, attempt - 1);
				if self.early.contains_key(&previous)
					&& !self.start_signing(&share, info, me, &request, attempt - 1, threshold)
				{
					return;
				}
			}
			if !self.start_signing(&share, info, me, &request, attempt, threshold) {
				return;
			}
		}
	}

	/// The id of the signing run for `request` in `attempt`. It binds the request's content, so
	/// members that see different chain states never mix their messages.
	fn sign_session_id(&self, request: &PendingRequest<BlockNumber>, attempt: u32) -> SessionId {
		SessionId(sp_io::hashing::blake2_256(
			&(
				b"qsign/sign",
				self.genesis,
				request.request_id,
				request.message_hash,
				request.epsilon,
				attempt,
			)
				.encode(),
		))
	}

	/// Starts our part of signing `request` in `attempt` if we are one of its signers and it
	/// is not running or done. `false` if no thread could be started (stop for now).
	fn start_signing(
		&mut self,
		share: &Arc<KeyShare>,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		request: &PendingRequest<BlockNumber>,
		attempt: u32,
		threshold: usize,
	) -> bool {
		let session_id = self.sign_session_id(request, attempt);
		if self.sessions.contains_key(&session_id) || self.finished.contains(&session_id) {
			return true;
		}
		let Some(signers) = select_signers(
			&self.genesis,
			request.request_id,
			attempt,
			&info.authorities,
			threshold,
			|authority| *authority == me.public || self.peers.is_connected(authority),
		) else {
			log::debug!(
				target: LOG_TARGET,
				"request {}: fewer than {threshold} members online, waiting",
				request.request_id
			);
			return true;
		};
		let Some(my_party) = PartyIndex::new(me.authority_index as u16 + 1) else { return true };
		if !signers.contains(&my_party) {
			return true;
		}
		let sign_request = SignRequest {
			session_id,
			signers: signers.clone(),
			epsilon: request.epsilon,
			message_hash: request.message_hash,
		};
		let session = match Dkls23::start_sign(share, &sign_request) {
			Ok(session) => session,
			Err(e) => {
				log::error!(target: LOG_TARGET, "request {}: {e}", request.request_id);
				self.remember_finished(session_id);
				return true;
			}
		};
		match sessions::spawn(
			"qsign-sign",
			session,
			signers.clone(),
			SIGN_TIMEOUTS,
			self.events_tx.clone(),
			wrap_sign,
		) {
			Ok(handle) => {
				log::debug!(
					target: LOG_TARGET,
					"signing request {} (attempt {attempt}) with parties {:?}",
					request.request_id,
					signers.iter().map(|p| p.get()).collect::<Vec<_>>()
				);
				self.register(
					session_id,
					Running {
						handle,
						purpose: Purpose::Sign { request: request.clone(), attempt },
						members: info.authorities.clone(),
					},
				);
				true
			}
			Err(e) => {
				log::error!(target: LOG_TARGET, "starting a signing thread: {e}");
				false
			}
		}
	}

	fn pending_requests(&self, hash: <Block as BlockT>::Hash) -> Vec<PendingRequest<BlockNumber>> {
		let api = self.client.runtime_api();
		let mut out = Vec::new();
		let mut after = None;
		loop {
			match api.pending_requests(hash, after, PENDING_PAGE) {
				Ok(page) => {
					let full = page.len() as u32 == PENDING_PAGE;
					after = page.last().map(|r| r.request_id);
					out.extend(page);
					if !full || out.len() >= MAX_PENDING_SCAN {
						return out;
					}
				}
				Err(e) => {
					log::warn!(target: LOG_TARGET, "reading pending requests at {hash}: {e}");
					return out;
				}
			}
		}
	}

	async fn vote_failure(
		&mut self,
		info: &CommitteeInfo<AuthorityId>,
		me: &LocalMember,
		request_id: RequestId,
		reason: FailureReason,
	) {
		if !self.voted.insert(request_id) {
			return;
		}
		let vote = FailureVote {
			committee_id: info.committee_id,
			request_id,
			authority_index: me.authority_index,
			reason,
		};
		match keys::sign(&self.keystore, &me.public, &vote.signing_payload()) {
			Ok(signature) => {
				log::warn!(target: LOG_TARGET, "voting that request {request_id} failed: {reason:?}");
				let call = CommitteeCall::ReportFailure { vote, signature };
				self.submit(call, &format!("failure vote for request {request_id}")).await;
			}
			Err(e) => log::error!(target: LOG_TARGET, "signing a failure vote: {e}"),
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
				let Some(running) = self.sessions.remove(&session_id) else { return };
				match (running.purpose, result) {
					(Purpose::Dkg { committee_id, attempt }, Ok(Output::Share(share))) => {
						self.on_share(committee_id, attempt, *share).await
					}
					(Purpose::Sign { request, attempt }, Ok(Output::Signature(signature))) => {
						self.on_signature(request, attempt, signature).await
					}
					(Purpose::Dkg { committee_id, attempt }, Err(e)) => log::warn!(
						target: LOG_TARGET,
						"DKG of committee {committee_id} (attempt {attempt}) failed: {e}"
					),
					(Purpose::Sign { request, attempt }, Err(e)) => {
						log::warn!(
							target: LOG_TARGET,
							"signing request {} (attempt {attempt}) failed: {e}",
							request.request_id
						);
						if let SessionError::Protocol(_) = e {
							let aborts = self.aborts.entry(request.request_id).or_default();
							*aborts += 1;
							if *aborts >= MAX_ABORTS {
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
			}
		}
	}

	fn send(
		&mut self,
		session_id: SessionId,
		messages: Vec<OutgoingMessage>,
		notifications: &mut Box<dyn NotificationService>,
	) {
		let Some(running) = self.sessions.get(&session_id) else { return };
		let my_party = self
			.view
			.as_ref()
			.and_then(|view| view.me.as_ref())
			.and_then(|me| PartyIndex::new(me.authority_index as u16 + 1));
		for message in messages {
			let recipients: Vec<PartyIndex> = match message.to {
				Recipient::Party(party) => vec![party],
				Recipient::Broadcast => running
					.handle
					.participants
					.iter()
					.copied()
					.filter(|party| Some(*party) != my_party)
					.collect(),
			};
			for party in recipients {
				let Some(authority) = running.members.get(usize::from(party.get()) - 1) else {
					continue;
				};
				match self.peers.peer_of(authority) {
					Some(peer) => {
						notifications.send_sync_notification(&peer, message.bytes.clone())
					}
					None => log::debug!(
						target: LOG_TARGET,
						"session {session_id}: party {party} ({authority}) is not connected"
					),
				}
			}
		}
	}

	async fn on_share(&mut self, committee_id: u64, attempt: u32, share: KeyShare) {
		let root_key = share.public_key();
		log::info!(
			target: LOG_TARGET,
			"DKG of committee {committee_id} (attempt {attempt}) produced root key {}",
			hex(&root_key)
		);
		let Some(me) = self.view.as_ref().and_then(|view| view.me.clone()) else { return };
		let saved = keys::sealing_key(&self.keystore, &me.public, &self.genesis)
			.and_then(|key| self.shares.save(committee_id, &share, &key));
		match saved {
			Ok(path) => log::info!(target: LOG_TARGET, "share sealed in {}", path.display()),
			Err(e) => {
				// Without a stored share a restart would lose it: do not attest a key we
				// could not keep.
				log::error!(target: LOG_TARGET, "storing our share: {e}; not attesting");
				return;
			}
		}
		// Stop other attempts of this key generation.
		self.sessions.retain(|_, running| {
			!matches!(running.purpose, Purpose::Dkg { committee_id: c, .. } if c == committee_id)
		});
		self.attested.insert((committee_id, attempt));
		self.attest(committee_id, &me, root_key).await;
	}

	async fn on_signature(
		&mut self,
		request: PendingRequest<BlockNumber>,
		attempt: u32,
		signature: qsign_mpc::Signature,
	) {
		let bytes = signature.to_bytes();
		// Never put a signature on-chain that does not verify (the chain would refuse it).
		if let Err(e) = qsign_primitives::signature::verify_signature(
			&request.message_hash,
			&bytes,
			&request.derived_public_key,
		) {
			log::error!(
				target: LOG_TARGET,
				"request {}: the signing run produced an invalid signature ({e:?})",
				request.request_id
			);
			return;
		}
		self.signed.insert(request.request_id, attempt);
		let call =
			CommitteeCall::SubmitSignature { request_id: request.request_id, signature: bytes };
		self.submit(call, &format!("signature for request {}", request.request_id)).await;
	}

	/// Wraps `call` into an authorized transaction and submits it to our pool (which gossips
	/// it to the block authors).
	async fn submit(&self, call: CommitteeCall, what: &str) {
		let best = self.client.info().best_hash;
		let xt = match self.client.runtime_api().committee_extrinsic(best, call) {
			Ok(xt) => xt,
			Err(e) => {
				log::error!(target: LOG_TARGET, "building the transaction for the {what}: {e}");
				return;
			}
		};
		match self.pool.submit_one(best, TransactionSource::Local, xt).await {
			Ok(_) => log::info!(target: LOG_TARGET, "submitted the {what}"),
			// Typically another member's identical result got there first.
			Err(e) => log::debug!(target: LOG_TARGET, "the pool refused the {what}: {e}"),
		}
	}
}

/// The parties that sign request `request_id` in attempt `attempt`: members ordered by
/// `blake2(genesis ‖ request id ‖ attempt ‖ index)`, the first `threshold` that are live.
/// `None` if fewer than `threshold` are live.
pub fn select_signers(
	genesis: &[u8; 32],
	request_id: RequestId,
	attempt: u32,
	members: &[AuthorityId],
	threshold: usize,
	is_live: impl Fn(&AuthorityId) -> bool,
) -> Option<Vec<PartyIndex>> {
	let mut order: Vec<([u8; 32], usize)> = (0..members.len())
		.map(|index| {
			let key = (b"qsign/signers", genesis, request_id, attempt, index as u32).encode();
			(sp_io::hashing::blake2_256(&key), index)
		})
		.collect();
	order.sort_unstable();
	let mut signers: Vec<PartyIndex> = order
		.into_iter()
		.filter(|(_, index)| is_live(&members[*index]))
		.take(threshold)
		.filter_map(|(_, index)| PartyIndex::new(u16::try_from(index + 1).ok()?))
		.collect();
	if signers.len() < threshold || threshold == 0 {
		return None;
	}
	signers.sort_unstable();
	Some(signers)
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::Pair as _;

	fn members(n: usize) -> Vec<AuthorityId> {
		(0..n)
			.map(|i| {
				pallet_qsign::crypto::AuthorityPair::from_string(&format!("//member{i}"), None)
					.unwrap()
					.public()
			})
			.collect()
	}

	#[test]
	fn every_node_computes_the_same_signers() {
		let members = members(5);
		let a = select_signers(&[1; 32], 42, 0, &members, 3, |_| true).unwrap();
		let b = select_signers(&[1; 32], 42, 0, &members, 3, |_| true).unwrap();
		assert_eq!(a, b);
		assert_eq!(a.len(), 3);
		assert!(a.windows(2).all(|w| w[0] < w[1]));
	}

	#[test]
	fn offline_members_are_skipped_and_too_few_means_none() {
		let members = members(3);
		let offline = members[1].clone();
		for request_id in 0..50 {
			let signers =
				select_signers(&[0; 32], request_id, 0, &members, 2, |a| *a != offline).unwrap();
			assert_eq!(signers, vec![PartyIndex::new(1).unwrap(), PartyIndex::new(3).unwrap()]);
		}
		assert_eq!(select_signers(&[0; 32], 1, 0, &members, 2, |a| *a == members[0]), None);
		assert_eq!(select_signers(&[0; 32], 1, 0, &members, 0, |_| true), None);
	}

	#[test]
	fn attempts_and_requests_spread_the_work() {
		let members = members(5);
		let sets: HashSet<Vec<PartyIndex>> = (0..40)
			.map(|attempt| select_signers(&[0; 32], 7, attempt, &members, 3, |_| true).unwrap())
			.collect();
		assert!(sets.len() > 1, "the attempt number reshuffles the signers");
		let sets: HashSet<Vec<PartyIndex>> = (0..40)
			.map(|request| select_signers(&[0; 32], request, 0, &members, 3, |_| true).unwrap())
			.collect();
		assert!(sets.len() > 1, "requests are spread over the committee");
	}
}
