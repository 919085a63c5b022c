//! Wire format shared by all protocols: a fixed header followed by a payload.
//!
//! ```text
//! offset  size  field
//!      0     1  wire version (1)
//!      1     1  protocol (1 = DKLs23 key generation, 2 = DKLs23 signing, 3 = resharing)
//!      2    32  session id
//!     34     1  round (1-based)
//!     35     1  kind (0 = broadcast, 1 = point-to-point)
//!     36     2  sender party index, big-endian
//!     38     2  receiver party index, big-endian (0 for a broadcast)
//!     40     …  payload (postcard encoding of the round's message)
//! ```
//!
//! A whole message is at most [`MAX_MESSAGE_SIZE`] bytes.

use core::fmt;

/// Version of the header layout.
pub const WIRE_VERSION: u8 = 1;

/// Length of the fixed header.
pub const HEADER_LEN: usize = 40;

/// Largest message any protocol may send, header included (see
/// [`Protocol::max_message_size`] for the per-protocol limits, which are tighter).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;

/// A party's 1-based index in a committee (at most 255 with DKLs23).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartyIndex(u16);

impl PartyIndex {
	/// The index `i`, or `None` for 0 (indices start at 1).
	pub const fn new(i: u16) -> Option<Self> {
		if i == 0 {
			None
		} else {
			Some(Self(i))
		}
	}

	/// The index as a number.
	pub const fn get(self) -> u16 {
		self.0
	}

	/// An index the caller knows is not zero (the dkls23 `PartyIndex` guarantees it).
	pub(crate) fn from_nonzero_u8(i: u8) -> Self {
		Self(u16::from(i))
	}
}

impl fmt::Display for PartyIndex {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{}", self.0)
	}
}

/// Identifier of one protocol run, chosen by the caller (for example a hash of the request
/// and the attempt number) and identical for all participants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub [u8; 32]);

impl fmt::Display for SessionId {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		for byte in &self.0[..8] {
			write!(f, "{byte:02x}")?;
		}
		f.write_str("…")
	}
}

/// Which protocol a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
	/// DKLs23 distributed key generation.
	Dkg,
	/// DKLs23 signing.
	Sign,
	/// Resharing the root key to a new committee (see `docs/design/committee-handover.md`).
	Reshare,
}

impl Protocol {
	/// Largest message of this protocol, header included. The largest key-generation
	/// message (DKLs23's pairwise OT setup, round 4; round 3 of resharing) is about 140 KiB;
	/// the largest signing message (round 2, the multiplication output) about 54 KiB.
	pub const fn max_message_size(self) -> usize {
		match self {
			Self::Dkg | Self::Reshare => MAX_MESSAGE_SIZE,
			Self::Sign => 96 * 1024,
		}
	}

	fn to_byte(self) -> u8 {
		match self {
			Self::Dkg => 1,
			Self::Sign => 2,
			Self::Reshare => 3,
		}
	}

	fn from_byte(byte: u8) -> Option<Self> {
		match byte {
			1 => Some(Self::Dkg),
			2 => Some(Self::Sign),
			3 => Some(Self::Reshare),
			_ => None,
		}
	}
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
	/// Every other participant of the session.
	Broadcast,
	/// One party.
	Party(PartyIndex),
}

/// A message produced by a session, to be carried by the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMessage {
	/// The recipient(s).
	pub to: Recipient,
	/// The encoded message (header and payload).
	pub bytes: Vec<u8>,
}

/// The decoded fixed header of a message: enough for the node to route it to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageHeader {
	/// The protocol.
	pub protocol: Protocol,
	/// The session.
	pub session_id: SessionId,
	/// The round (1-based).
	pub round: u8,
	/// The sender claimed by the message.
	pub sender: PartyIndex,
	/// `None` for a broadcast, else the intended receiver.
	pub receiver: Option<PartyIndex>,
}

impl MessageHeader {
	/// Decodes the header of `bytes` and returns it with the payload.
	///
	/// # Errors
	///
	/// A description of the first problem: too short or too long, unknown version or
	/// protocol, zero sender, or a kind that disagrees with the receiver field.
	pub fn parse(bytes: &[u8]) -> Result<(Self, &[u8]), String> {
		if bytes.len() > MAX_MESSAGE_SIZE {
			return Err(format!("{} bytes exceed the limit of {MAX_MESSAGE_SIZE}", bytes.len()));
		}
		let (header, payload) = bytes
			.split_first_chunk::<HEADER_LEN>()
			.ok_or_else(|| format!("{} bytes are shorter than the header", bytes.len()))?;
		if header[0] != WIRE_VERSION {
			return Err(format!("unknown wire version {}", header[0]));
		}
		let protocol = Protocol::from_byte(header[1])
			.ok_or_else(|| format!("unknown protocol {}", header[1]))?;
		let mut session = [0u8; 32];
		session.copy_from_slice(&header[2..34]);
		let round = header[34];
		let kind = header[35];
		let sender = PartyIndex::new(u16::from_be_bytes([header[36], header[37]]))
			.ok_or("sender index 0")?;
		let receiver = PartyIndex::new(u16::from_be_bytes([header[38], header[39]]));
		match (kind, receiver) {
			(0, None) | (1, Some(_)) => {}
			(0 | 1, _) => return Err("kind and receiver disagree".into()),
			(other, _) => return Err(format!("unknown message kind {other}")),
		}
		Ok((Self { protocol, session_id: SessionId(session), round, sender, receiver }, payload))
	}

	/// Encodes this header followed by `payload`.
	pub fn encode(&self, payload: &[u8]) -> Vec<u8> {
		let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
		out.push(WIRE_VERSION);
		out.push(self.protocol.to_byte());
		out.extend_from_slice(&self.session_id.0);
		out.push(self.round);
		out.push(u8::from(self.receiver.is_some()));
		out.extend_from_slice(&self.sender.get().to_be_bytes());
		out.extend_from_slice(&self.receiver.map_or(0, PartyIndex::get).to_be_bytes());
		out.extend_from_slice(payload);
		out
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn header(receiver: Option<u16>) -> MessageHeader {
		MessageHeader {
			protocol: Protocol::Sign,
			session_id: SessionId([9; 32]),
			round: 2,
			sender: PartyIndex::new(3).unwrap(),
			receiver: receiver.and_then(PartyIndex::new),
		}
	}

	#[test]
	fn headers_round_trip() {
		for h in [header(None), header(Some(1))] {
			let bytes = h.encode(b"payload");
			assert_eq!(MessageHeader::parse(&bytes), Ok((h, &b"payload"[..])));
		}
	}

	#[test]
	fn bad_headers_are_rejected() {
		let good = header(Some(1)).encode(b"");
		assert!(MessageHeader::parse(&good[..HEADER_LEN - 1]).is_err());
		for (offset, value) in [(0, 2u8), (1, 9), (35, 7), (35, 0), (37, 0)] {
			let mut bad = good.clone();
			bad[offset] = value;
			assert!(MessageHeader::parse(&bad).is_err(), "byte {offset} = {value}");
		}
		let oversized = vec![0u8; MAX_MESSAGE_SIZE + 1];
		assert!(MessageHeader::parse(&oversized).is_err());
	}
}
