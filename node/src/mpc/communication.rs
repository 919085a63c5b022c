//! The MPC network protocol: a notification protocol `/<genesis hash>/qsign/mpc/3` (version 2:
//! handshakes carry several keys; version 3: every message is signed).
//!
//! - **Who may talk.** A substream is accepted only from a peer whose handshake is a
//!   [`Handshake`]: up to [`MAX_HANDSHAKE_KEYS`] `qmpc` public keys of the current or the next
//!   committee, each with its signature over `"qsign/mpc-peer/v1" ‖ genesis ‖ the peer's
//!   PeerId`. The PeerId is the one libp2p's Noise handshake authenticated, so a message on the
//!   substream comes from that member (the signature cannot be replayed by another peer or on
//!   another chain). A node holds several keys while its operator rotates its `qmpc` key: the
//!   old one signs in the current committee, the new one receives its share in the handover.
//! - **What is said.** Each notification is one `qsign-mpc` message (40-byte header naming
//!   protocol, session, round, sender and receiver) followed by the sender's signature over it
//!   (see [`super::evidence`]), or a forwarded signed broadcast of another member after a
//!   failed run; at most [`MAX_NOTIFICATION_SIZE`] bytes.
//!   Point-to-point messages (they carry secret values) are sent only to their receiver. A
//!   message whose claimed sender is not the member behind the substream, or whose receiver
//!   is someone else, is dropped and logged with the peer.
//! - **Which peers.** Like GRANDPA's gossip, every peer the sync protocol connects to is added
//!   to this protocol's reserved set; the handshake then filters out non-members.

use super::LOG_TARGET;
use codec::{Decode, Encode};
use pallet_qsign::crypto::{AuthorityId, AuthoritySignature};
use qsign_mpc::{MessageHeader, PartyIndex, MAX_MESSAGE_SIZE};
use sc_network::{
	config::{NonReservedPeerMode, SetConfig},
	peer_store::PeerStoreProvider,
	NetworkBackend, NotificationMetrics, NotificationService, PeerId, ProtocolName,
};
use sp_runtime::{traits::Block as BlockT, RuntimeAppPublic};
use std::{collections::HashMap, sync::Arc};

/// Largest notification: one MPC message with its signature (and the marker of a forward).
pub const MAX_NOTIFICATION_SIZE: u64 =
	(MAX_MESSAGE_SIZE + super::evidence::SIGNATURE_LEN + 1) as u64;

/// Domain separator of the handshake signature.
const HANDSHAKE_CONTEXT: &[u8] = b"qsign/mpc-peer/v1";

/// The protocol name for the chain with genesis hash `genesis`.
pub fn protocol_name(genesis: &[u8]) -> ProtocolName {
	let hex: String = genesis.iter().map(|b| format!("{b:02x}")).collect();
	format!("/{hex}/qsign/mpc/3").into()
}

/// The protocol's network configuration and the service the worker reads and writes with.
pub fn notification_config<B: BlockT, N: NetworkBackend<B, B::Hash>>(
	protocol: ProtocolName,
	metrics: NotificationMetrics,
	peer_store: Arc<dyn PeerStoreProvider>,
) -> (N::NotificationProtocolConfig, Box<dyn NotificationService>) {
	N::notification_config(
		protocol,
		Vec::new(),
		MAX_NOTIFICATION_SIZE,
		None,
		SetConfig {
			in_peers: 0,
			out_peers: 0,
			reserved_nodes: Vec::new(),
			non_reserved_mode: NonReservedPeerMode::Deny,
		},
		metrics,
		peer_store,
	)
}

/// Most `qmpc` keys one node announces (a rotation needs two).
pub const MAX_HANDSHAKE_KEYS: usize = 4;

/// What a committee member sends when a substream opens: its `qmpc` keys, each with its
/// signature over [`Handshake::signing_payload`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Handshake {
	/// The node's keys in the current or next committee, with their signatures.
	pub keys: Vec<(AuthorityId, AuthoritySignature)>,
}

impl Handshake {
	/// The bytes a member signs to bind its key to its network identity on this chain.
	pub fn signing_payload(genesis: &[u8; 32], peer: &PeerId) -> Vec<u8> {
		let mut out = HANDSHAKE_CONTEXT.to_vec();
		out.extend_from_slice(genesis);
		out.extend_from_slice(&peer.to_bytes());
		out
	}

	/// Checks a handshake received from `peer`: decodes exactly, at most
	/// [`MAX_HANDSHAKE_KEYS`] keys, every signature binds its key to `peer` on this chain, and
	/// at least one key is in `committee` (the current and next committees' members). Returns
	/// the keys that are in `committee`.
	///
	/// # Errors
	///
	/// Why the handshake is refused.
	pub fn verify(
		bytes: &[u8],
		genesis: &[u8; 32],
		peer: &PeerId,
		committee: &[AuthorityId],
	) -> Result<Vec<AuthorityId>, HandshakeError> {
		if bytes.is_empty() {
			return Err(HandshakeError::NotAMember);
		}
		let mut input = bytes;
		let handshake = Self::decode(&mut input).map_err(|_| HandshakeError::Malformed)?;
		if !input.is_empty() || handshake.keys.is_empty() {
			return Err(HandshakeError::Malformed);
		}
		if handshake.keys.len() > MAX_HANDSHAKE_KEYS {
			return Err(HandshakeError::TooManyKeys(handshake.keys.len()));
		}
		let payload = Self::signing_payload(genesis, peer);
		let mut members = Vec::new();
		for (authority, signature) in &handshake.keys {
			if !authority.verify(&payload, signature) {
				return Err(HandshakeError::BadSignature(authority.clone()));
			}
			if committee.contains(authority) && !members.contains(authority) {
				members.push(authority.clone());
			}
		}
		if members.is_empty() {
			return Err(HandshakeError::UnknownAuthority(handshake.keys[0].0.clone()));
		}
		Ok(members)
	}
}

/// Why a peer's handshake was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeError {
	/// Empty: the peer does not claim to be a committee member (a full node).
	NotAMember,
	/// Not a SCALE-encoded [`Handshake`].
	Malformed,
	/// The key is not in the current committee.
	UnknownAuthority(AuthorityId),
	/// The signature does not bind the key to this peer and chain.
	BadSignature(AuthorityId),
	/// More keys than [`MAX_HANDSHAKE_KEYS`].
	TooManyKeys(usize),
}

impl std::fmt::Display for HandshakeError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::NotAMember => f.write_str("no committee key (not a validator)"),
			Self::Malformed => f.write_str("malformed handshake"),
			Self::UnknownAuthority(key) => {
				write!(f, "key {key} is not in the current or next committee")
			}
			Self::TooManyKeys(n) => write!(f, "{n} keys, over {MAX_HANDSHAKE_KEYS}"),
			Self::BadSignature(key) => write!(f, "bad signature for key {key}"),
		}
	}
}

/// The committee members we have an open, authenticated substream with (a peer may be
/// several members while its operator rotates its key).
#[derive(Default, Debug)]
pub struct Peers {
	by_peer: HashMap<PeerId, Vec<AuthorityId>>,
}

impl Peers {
	/// Records that `peer` holds `authorities` (replacing an older peer of the same authority,
	/// e.g. a validator restarted with a new network key).
	pub fn insert(&mut self, peer: PeerId, authorities: Vec<AuthorityId>) {
		for held in self.by_peer.values_mut() {
			held.retain(|a| !authorities.contains(a));
		}
		self.by_peer.retain(|_, held| !held.is_empty());
		self.by_peer.insert(peer, authorities);
	}

	/// Forgets `peer`; returns the authorities it held.
	pub fn remove(&mut self, peer: &PeerId) -> Option<Vec<AuthorityId>> {
		self.by_peer.remove(peer)
	}

	/// The authorities behind `peer` (empty if unknown).
	pub fn authorities(&self, peer: &PeerId) -> &[AuthorityId] {
		self.by_peer.get(peer).map_or(&[], Vec::as_slice)
	}

	/// The peer of `authority`, if connected.
	pub fn peer_of(&self, authority: &AuthorityId) -> Option<PeerId> {
		self.by_peer.iter().find_map(|(peer, held)| held.contains(authority).then_some(*peer))
	}

	/// Whether `authority` is connected.
	pub fn is_connected(&self, authority: &AuthorityId) -> bool {
		self.by_peer.values().any(|held| held.contains(authority))
	}

	/// Whether `peer` is an authenticated member.
	pub fn contains(&self, peer: &PeerId) -> bool {
		self.by_peer.contains_key(peer)
	}

	/// Number of connected member nodes.
	pub fn len(&self) -> usize {
		self.by_peer.len()
	}
}

/// Why an incoming notification was dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboundError {
	/// Over [`MAX_MESSAGE_SIZE`].
	Oversized(usize),
	/// The MPC header does not parse.
	BadHeader(String),
	/// The header names a sender other than the member behind the substream.
	WrongSender {
		/// Who sent it (by the substream).
		actual: PartyIndex,
		/// Who the header claims.
		claimed: PartyIndex,
	},
	/// A point-to-point message for another party.
	NotForUs(PartyIndex),
	/// Bigger than its protocol allows.
	OverProtocolLimit(usize),
}

impl std::fmt::Display for InboundError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Oversized(len) => write!(f, "{len} bytes, over {MAX_MESSAGE_SIZE}"),
			Self::BadHeader(e) => write!(f, "bad header: {e}"),
			Self::WrongSender { actual, claimed } => {
				write!(f, "party {actual} sent a message claiming to be party {claimed}")
			}
			Self::NotForUs(to) => write!(f, "a point-to-point message for party {to}"),
			Self::OverProtocolLimit(len) => write!(f, "{len} bytes, over the protocol's limit"),
		}
	}
}

/// Checks an MPC message received from committee party `from` by us, party `me`, and
/// returns its header.
///
/// # Errors
///
/// Why it must be dropped.
pub fn check_inbound(
	bytes: &[u8],
	from: PartyIndex,
	me: PartyIndex,
) -> Result<MessageHeader, InboundError> {
	if bytes.len() > MAX_MESSAGE_SIZE {
		return Err(InboundError::Oversized(bytes.len()));
	}
	let (header, _) = MessageHeader::parse(bytes).map_err(InboundError::BadHeader)?;
	if bytes.len() > header.protocol.max_message_size() {
		return Err(InboundError::OverProtocolLimit(bytes.len()));
	}
	if header.sender != from {
		return Err(InboundError::WrongSender { actual: from, claimed: header.sender });
	}
	if let Some(to) = header.receiver {
		if to != me {
			return Err(InboundError::NotForUs(to));
		}
	}
	Ok(header)
}

/// Logs a dropped message with the peer and member that sent it.
pub fn log_dropped(peer: &PeerId, authority: Option<&AuthorityId>, why: &dyn std::fmt::Display) {
	match authority {
		Some(authority) => {
			log::warn!(target: LOG_TARGET, "dropped a message from {peer} ({authority}): {why}")
		}
		None => log::warn!(target: LOG_TARGET, "dropped a message from {peer}: {why}"),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use qsign_mpc::{Protocol, SessionId};
	use sp_core::Pair as _;

	fn pair(seed: &str) -> pallet_qsign::crypto::AuthorityPair {
		pallet_qsign::crypto::AuthorityPair::from_string(seed, None).unwrap()
	}

	fn handshake(
		signer: &pallet_qsign::crypto::AuthorityPair,
		genesis: &[u8; 32],
		peer: &PeerId,
	) -> Vec<u8> {
		Handshake {
			keys: vec![(signer.public(), signer.sign(&Handshake::signing_payload(genesis, peer)))],
		}
		.encode()
	}

	#[test]
	fn a_member_handshake_is_accepted_only_for_its_peer_and_chain() {
		let alice = pair("//Alice");
		let committee = vec![alice.public(), pair("//Bob").public()];
		let peer = PeerId::random();
		let genesis = [1u8; 32];
		let bytes = handshake(&alice, &genesis, &peer);

		assert_eq!(
			Handshake::verify(&bytes, &genesis, &peer, &committee),
			Ok(vec![alice.public()])
		);
		assert_eq!(
			Handshake::verify(&bytes, &genesis, &PeerId::random(), &committee),
			Err(HandshakeError::BadSignature(alice.public()))
		);
		assert_eq!(
			Handshake::verify(&bytes, &[2u8; 32], &peer, &committee),
			Err(HandshakeError::BadSignature(alice.public()))
		);
	}

	#[test]
	fn non_members_and_garbage_are_refused() {
		let eve = pair("//Eve");
		let committee = vec![pair("//Alice").public()];
		let peer = PeerId::random();
		let genesis = [1u8; 32];
		assert_eq!(
			Handshake::verify(&handshake(&eve, &genesis, &peer), &genesis, &peer, &committee),
			Err(HandshakeError::UnknownAuthority(eve.public()))
		);
		assert_eq!(
			Handshake::verify(&[], &genesis, &peer, &committee),
			Err(HandshakeError::NotAMember)
		);
		assert_eq!(
			Handshake::verify(&[7; 5], &genesis, &peer, &committee),
			Err(HandshakeError::Malformed)
		);
		let mut long = handshake(&pair("//Alice"), &genesis, &peer);
		long.push(0);
		assert_eq!(
			Handshake::verify(&long, &genesis, &peer, &committee),
			Err(HandshakeError::Malformed)
		);
	}

	#[test]
	fn a_rotating_member_announces_both_keys() {
		let (old, new, eve) = (pair("//Bob"), pair("//Bob//rotated"), pair("//Eve"));
		let peer = PeerId::random();
		let genesis = [1u8; 32];
		let payload = Handshake::signing_payload(&genesis, &peer);
		let signed = |p: &pallet_qsign::crypto::AuthorityPair| (p.public(), p.sign(&payload));
		let both = Handshake { keys: vec![signed(&old), signed(&new)] }.encode();
		// Current committee has the old key, the next one the new key: both count.
		let committees = vec![old.public(), new.public()];
		assert_eq!(
			Handshake::verify(&both, &genesis, &peer, &committees),
			Ok(vec![old.public(), new.public()])
		);
		// Only the keys in a committee are returned.
		assert_eq!(
			Handshake::verify(&both, &genesis, &peer, &[new.public()]),
			Ok(vec![new.public()])
		);
		// One forged signature spoils the whole handshake.
		let forged = Handshake { keys: vec![signed(&old), (eve.public(), old.sign(&payload))] };
		assert_eq!(
			Handshake::verify(&forged.encode(), &genesis, &peer, &committees),
			Err(HandshakeError::BadSignature(eve.public()))
		);
		let many = Handshake { keys: vec![signed(&old); MAX_HANDSHAKE_KEYS + 1] };
		assert_eq!(
			Handshake::verify(&many.encode(), &genesis, &peer, &committees),
			Err(HandshakeError::TooManyKeys(MAX_HANDSHAKE_KEYS + 1))
		);
		let mut peers = Peers::default();
		peers.insert(peer, vec![old.public(), new.public()]);
		assert_eq!(peers.peer_of(&new.public()), Some(peer));
		assert_eq!(peers.authorities(&peer).len(), 2);
	}

	fn message(sender: u16, receiver: Option<u16>, len: usize) -> Vec<u8> {
		MessageHeader {
			protocol: Protocol::Sign,
			session_id: SessionId([5; 32]),
			round: 1,
			sender: PartyIndex::new(sender).unwrap(),
			receiver: receiver.and_then(PartyIndex::new),
		}
		.encode(&vec![0u8; len])
	}

	#[test]
	fn inbound_messages_must_come_from_their_sender_and_be_for_us() {
		let p = |i| PartyIndex::new(i).unwrap();
		assert!(check_inbound(&message(2, None, 10), p(2), p(1)).is_ok());
		assert!(check_inbound(&message(2, Some(1), 10), p(2), p(1)).is_ok());
		assert_eq!(
			check_inbound(&message(3, None, 10), p(2), p(1)),
			Err(InboundError::WrongSender { actual: p(2), claimed: p(3) })
		);
		assert_eq!(
			check_inbound(&message(2, Some(3), 10), p(2), p(1)),
			Err(InboundError::NotForUs(p(3)))
		);
		assert!(matches!(
			check_inbound(&message(2, None, 100 * 1024), p(2), p(1)),
			Err(InboundError::OverProtocolLimit(_))
		));
		assert!(matches!(check_inbound(&[0u8; 12], p(2), p(1)), Err(InboundError::BadHeader(_))));
		assert!(matches!(
			check_inbound(&vec![0u8; MAX_MESSAGE_SIZE + 1], p(2), p(1)),
			Err(InboundError::Oversized(_))
		));
	}

	#[test]
	fn peers_map_members_both_ways() {
		let alice = pair("//Alice").public();
		let mut peers = Peers::default();
		let (p1, p2) = (PeerId::random(), PeerId::random());
		peers.insert(p1, vec![alice.clone()]);
		assert_eq!(peers.peer_of(&alice), Some(p1));
		peers.insert(p2, vec![alice.clone()]);
		assert_eq!(peers.peer_of(&alice), Some(p2));
		assert_eq!(peers.len(), 1);
		assert_eq!(peers.remove(&p2), Some(vec![alice.clone()]));
		assert!(!peers.is_connected(&alice));
	}
}
