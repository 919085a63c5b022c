//! Collection of one session's incoming messages, round by round.
//!
//! Validates everything that does not depend on the protocol's content (size, header,
//! session, sender, round and kind), buffers messages for later rounds, ignores identical
//! duplicates and reports a party that sends two different messages for the same slot.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::{
	error::MpcError,
	wire::{MessageHeader, OutgoingMessage, PartyIndex, Protocol, Recipient, SessionId},
};

/// Which kinds of message every other participant sends in a round.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RoundSpec {
	/// One broadcast message from each other participant.
	pub broadcast: bool,
	/// One point-to-point message from each other participant.
	pub p2p: bool,
}

/// The messages of one round from one sender.
#[derive(Default)]
pub(crate) struct Received {
	pub broadcast: Option<Vec<u8>>,
	pub p2p: Option<Vec<u8>>,
}

/// Slot of a message: round, kind (true = broadcast) and sender.
type Slot = (u8, bool, PartyIndex);

pub(crate) struct Inbox {
	protocol: Protocol,
	session_id: SessionId,
	me: PartyIndex,
	peers: BTreeSet<PartyIndex>,
	rounds: &'static [RoundSpec],
	/// Who sends in each round (`senders[r − 1]`), a subset of `peers`.
	senders: Vec<BTreeSet<PartyIndex>>,
	/// Payloads not yet consumed.
	pending: BTreeMap<Slot, Vec<u8>>,
	/// Digest of every accepted message, kept to recognise duplicates.
	seen: BTreeMap<Slot, [u8; 32]>,
	/// Rounds already consumed.
	consumed: u8,
}

impl Inbox {
	pub fn new(
		protocol: Protocol,
		session_id: SessionId,
		me: PartyIndex,
		peers: BTreeSet<PartyIndex>,
		rounds: &'static [RoundSpec],
	) -> Self {
		let senders = vec![peers.clone(); rounds.len()];
		Self::with_senders(protocol, session_id, me, peers, rounds, senders)
	}

	/// An inbox where round `r` is sent only by `senders[r − 1]` (each a subset of `peers`,
	/// the parties that may send us anything). Used by protocols whose participants have
	/// different roles (resharing: dealers speak first, then the receivers).
	pub fn with_senders(
		protocol: Protocol,
		session_id: SessionId,
		me: PartyIndex,
		peers: BTreeSet<PartyIndex>,
		rounds: &'static [RoundSpec],
		senders: Vec<BTreeSet<PartyIndex>>,
	) -> Self {
		Self {
			protocol,
			session_id,
			me,
			peers,
			rounds,
			senders,
			pending: BTreeMap::new(),
			seen: BTreeMap::new(),
			consumed: 0,
		}
	}

	pub fn peers(&self) -> &BTreeSet<PartyIndex> {
		&self.peers
	}

	/// Encodes an outgoing message of `round`.
	pub fn outgoing(&self, round: u8, to: Recipient, payload: &[u8]) -> OutgoingMessage {
		let header = MessageHeader {
			protocol: self.protocol,
			session_id: self.session_id,
			round,
			sender: self.me,
			receiver: match to {
				Recipient::Broadcast => None,
				Recipient::Party(party) => Some(party),
			},
		};
		OutgoingMessage { to, bytes: header.encode(payload) }
	}

	/// Validates and stores one message received from `from`.
	pub fn accept(&mut self, from: PartyIndex, bytes: &[u8]) -> Result<(), MpcError> {
		if !self.peers.contains(&from) {
			return Err(MpcError::UnexpectedSender { from });
		}
		let max = self.protocol.max_message_size();
		if bytes.len() > max {
			return Err(MpcError::OversizedMessage { from, len: bytes.len(), max });
		}
		let malformed = |reason: String| MpcError::MalformedMessage { from, reason };
		let (header, payload) = MessageHeader::parse(bytes).map_err(malformed)?;
		if header.session_id != self.session_id {
			return Err(MpcError::WrongSession {
				from,
				expected: self.session_id,
				found: header.session_id,
			});
		}
		if header.protocol != self.protocol {
			return Err(malformed(format!(
				"{:?} message in a {:?} session",
				header.protocol, self.protocol
			)));
		}
		if header.sender != from {
			return Err(malformed(format!("claims to come from party {}", header.sender)));
		}
		let spec = usize::from(header.round)
			.checked_sub(1)
			.and_then(|i| self.rounds.get(i))
			.ok_or_else(|| malformed(format!("no round {}", header.round)))?;
		let round_senders = usize::from(header.round).saturating_sub(1);
		if !self.senders.get(round_senders).is_some_and(|senders| senders.contains(&from)) {
			return Err(malformed(format!("sends no message in round {}", header.round)));
		}
		let broadcast = match header.receiver {
			None if spec.broadcast => true,
			Some(receiver) if spec.p2p && receiver == self.me => false,
			Some(receiver) if spec.p2p => {
				return Err(malformed(format!("addressed to party {receiver}, not to us")))
			}
			_ => {
				return Err(malformed(format!("unexpected message kind in round {}", header.round)))
			}
		};
		let slot = (header.round, broadcast, from);
		let digest: [u8; 32] = Sha256::digest(bytes).into();
		if let Some(previous) = self.seen.get(&slot) {
			return if *previous == digest {
				Ok(()) // A duplicate delivery: harmless.
			} else {
				Err(MpcError::Misbehaviour {
					party: from,
					reason: format!("sent two different messages for round {}", header.round),
					ban: false,
				})
			};
		}
		self.seen.insert(slot, digest);
		self.pending.insert(slot, payload.to_vec());
		Ok(())
	}

	/// Distinct messages accepted so far: grows with every new message and only then (an
	/// identical duplicate leaves it unchanged).
	pub fn accepted(&self) -> usize {
		self.seen.len()
	}

	/// The senders whose messages of the next unconsumed round have not all arrived (empty
	/// once every round is consumed).
	pub fn missing(&self) -> Vec<PartyIndex> {
		let Some(round) = self.consumed.checked_add(1) else { return Vec::new() };
		let index = usize::from(self.consumed);
		let (Some(spec), Some(senders)) = (self.rounds.get(index), self.senders.get(index)) else {
			return Vec::new();
		};
		senders
			.iter()
			.copied()
			.filter(|&peer| {
				(spec.broadcast && !self.pending.contains_key(&(round, true, peer)))
					|| (spec.p2p && !self.pending.contains_key(&(round, false, peer)))
			})
			.collect()
	}

	/// Whether every message of the next unconsumed round has arrived.
	pub fn next_round_ready(&self) -> Option<u8> {
		let round = self.consumed.checked_add(1)?;
		let spec = self.rounds.get(usize::from(self.consumed))?;
		let senders = self.senders.get(usize::from(self.consumed))?;
		let complete = senders.iter().all(|&peer| {
			(!spec.broadcast || self.pending.contains_key(&(round, true, peer)))
				&& (!spec.p2p || self.pending.contains_key(&(round, false, peer)))
		});
		complete.then_some(round)
	}

	/// Removes and returns the messages of `round` (which must be ready), by sender.
	pub fn take_round(&mut self, round: u8) -> BTreeMap<PartyIndex, Received> {
		self.consumed = round;
		let mut out: BTreeMap<PartyIndex, Received> = BTreeMap::new();
		let senders =
			self.senders.get(usize::from(round).saturating_sub(1)).cloned().unwrap_or_default();
		for peer in senders {
			let entry = out.entry(peer).or_default();
			entry.broadcast = self.pending.remove(&(round, true, peer));
			entry.p2p = self.pending.remove(&(round, false, peer));
		}
		out
	}
}

/// Decodes a postcard payload completely (no trailing bytes), naming the sender on failure.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
	from: PartyIndex,
	what: &str,
	payload: Option<&[u8]>,
) -> Result<T, MpcError> {
	let malformed = |reason: String| MpcError::MalformedMessage { from, reason };
	let payload = payload.ok_or_else(|| malformed(format!("missing {what}")))?;
	let (value, rest) = postcard::take_from_bytes::<T>(payload)
		.map_err(|e| malformed(format!("cannot decode {what}: {e}")))?;
	if !rest.is_empty() {
		return Err(malformed(format!("{} trailing bytes after {what}", rest.len())));
	}
	Ok(value)
}

/// Checks the digests `theirs` that `from` reports having received from each party against
/// ours (`ours`, in the same party order). A difference about a third party means that party
/// sent different broadcasts to different parties (equivocation, `from` as witness); a
/// difference about `from` itself or about us is `from`'s own lie. `what` names the digests
/// in the error ("the round-1 commitment", "the broadcasts", ...).
pub(crate) fn compare_echo<'a>(
	from: PartyIndex,
	me: PartyIndex,
	ours: impl ExactSizeIterator<Item = (PartyIndex, &'a [u8; 32])>,
	theirs: &[[u8; 32]],
	what: &str,
) -> Result<(), MpcError> {
	if ours.len() != theirs.len() {
		return Err(MpcError::MalformedMessage {
			from,
			reason: format!("echo of {what} of the wrong length"),
		});
	}
	for ((party, ours), theirs) in ours.zip(theirs) {
		if ours != theirs {
			return Err(if party == from || party == me {
				MpcError::Misbehaviour {
					party: from,
					reason: format!("misreports {what} of party {party}"),
					ban: false,
				}
			} else {
				MpcError::Equivocation { party, witness: from }
			});
		}
	}
	Ok(())
}

/// Encodes a payload with postcard.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, MpcError> {
	postcard::to_allocvec(value).map_err(|e| MpcError::Internal(format!("cannot encode: {e}")))
}
