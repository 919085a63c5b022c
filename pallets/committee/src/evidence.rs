//! Transferable evidence that a committee member cheated (design:
//! `docs/design/misbehaviour-evidence.md`): it equivocated (two MPC messages it signed for the
//! same protocol slot with different contents, [`EquivocationProof`]) or dealt a wrong share in
//! a key generation or resharing (a signed fragment off its signed commitment,
//! [`InvalidDealingProof`]).
//!
//! Every MPC message a member sends is signed with its `qmpc` key over a
//! [`MessageStatement`]: the chain's genesis hash, the committee epoch the run belongs to and
//! the BLAKE2-256 hash of the message (the `qsign-mpc` wire format: a 40-byte header naming
//! protocol, session, round, kind, sender and receiver, then the payload). An honest member
//! signs at most one message per header (the node never starts a run twice, not even after a
//! restart), so two signed messages with equal headers and different bodies prove that their
//! signer cheated, whoever holds them.
//!
//! [`EquivocationProof::verify`] checks everything that does not depend on chain state; the
//! pallet adds the committee checks ([`crate::Pallet::report_equivocation`]).

use crate::crypto;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use qsign_primitives::request::CommitteeId;
use scale_info::TypeInfo;
use sp_runtime::RuntimeAppPublic;

/// Length of an MPC message's header (`qsign-mpc`'s wire format).
pub const MPC_HEADER_LEN: usize = 40;

/// Wire version byte of the header format the evidence understands.
pub const MPC_WIRE_VERSION: u8 = 1;

/// Largest MPC message (`qsign-mpc`'s `MAX_MESSAGE_SIZE`).
pub const MAX_MPC_MESSAGE_LEN: u32 = 256 * 1024;

/// An MPC message's bytes (header and payload), bounded.
pub type MessageBody = BoundedVec<u8, ConstU32<MAX_MPC_MESSAGE_LEN>>;

/// What a member signs for each MPC message it sends.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct MessageStatement {
	/// The chain's genesis hash.
	pub genesis_hash: [u8; 32],
	/// The committee the run belongs to: the current one for signing, the next one for a
	/// handover (evidence counts only while that committee is the current one).
	pub epoch: CommitteeId,
	/// BLAKE2-256 of the message (header and payload).
	pub body_hash: [u8; 32],
}

impl MessageStatement {
	/// Domain separator prepended to the encoded statement before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/mpc-message/v1";

	/// The statement for `body`, sent in a run of committee `epoch` on chain `genesis_hash`.
	pub fn new(genesis_hash: [u8; 32], epoch: CommitteeId, body: &[u8]) -> Self {
		Self { genesis_hash, epoch, body_hash: sp_io::hashing::blake2_256(body) }
	}

	/// The bytes the sender signs: [`Self::CONTEXT`] followed by the SCALE encoding.
	pub fn signing_payload(&self) -> Vec<u8> {
		qsign_primitives::signing_payload(Self::CONTEXT, self)
	}
}

/// An MPC message with its sender's signature over its [`MessageStatement`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct SignedMessage {
	/// The message (header and payload).
	pub body: MessageBody,
	/// The sender's `qmpc` signature.
	pub signature: crypto::AuthoritySignature,
}

/// Two messages signed by `offender` for the same slot (equal headers) with different bodies.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct EquivocationProof {
	/// The chain both messages were signed for.
	pub genesis_hash: [u8; 32],
	/// The committee epoch both were signed for.
	pub epoch: CommitteeId,
	/// The signer.
	pub offender: crypto::AuthorityId,
	/// One message.
	pub first: SignedMessage,
	/// Another message for the same slot.
	pub second: SignedMessage,
}

/// Why an [`EquivocationProof`] proves nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceError {
	/// The proof is for another chain.
	WrongChain,
	/// A message is shorter than a header or of an unknown wire version.
	Malformed,
	/// The two messages are for different slots (their headers differ).
	DifferentSlots,
	/// The two messages are the same: a duplicate, not an equivocation.
	SameMessage,
	/// A signature is not the offender's over that message.
	BadSignature,
	/// The fragment is on the committed polynomial: an honest dealing.
	ValidDealing,
}

impl EquivocationProof {
	/// The slot both messages claim: their common header.
	pub fn slot(&self) -> Option<[u8; MPC_HEADER_LEN]> {
		self.first.body.get(..MPC_HEADER_LEN)?.try_into().ok()
	}

	/// The run's session id (bytes 2..34 of the header).
	pub fn session_id(&self) -> [u8; 32] {
		let mut id = [0u8; 32];
		if let Some(bytes) = self.first.body.get(2..34) {
			id.copy_from_slice(bytes);
		}
		id
	}

	/// The round of the slot (byte 34 of the header).
	pub fn round(&self) -> u8 {
		self.first.body.get(34).copied().unwrap_or_default()
	}

	/// Checks that the proof is for chain `genesis_hash`, that both messages have the same
	/// header and different bodies, and that the offender signed both for the proof's epoch.
	/// Whether the offender is a member of that committee is the caller's check.
	///
	/// # Errors
	///
	/// The first check that fails.
	pub fn verify(&self, genesis_hash: &[u8; 32]) -> Result<(), EvidenceError> {
		if self.genesis_hash != *genesis_hash {
			return Err(EvidenceError::WrongChain);
		}
		let header = |body: &MessageBody| -> Result<[u8; MPC_HEADER_LEN], EvidenceError> {
			let header: [u8; MPC_HEADER_LEN] = body
				.get(..MPC_HEADER_LEN)
				.and_then(|h| h.try_into().ok())
				.ok_or(EvidenceError::Malformed)?;
			if header[0] != MPC_WIRE_VERSION {
				return Err(EvidenceError::Malformed);
			}
			Ok(header)
		};
		if header(&self.first.body)? != header(&self.second.body)? {
			return Err(EvidenceError::DifferentSlots);
		}
		if self.first.body == self.second.body {
			return Err(EvidenceError::SameMessage);
		}
		for message in [&self.first, &self.second] {
			let statement = MessageStatement::new(self.genesis_hash, self.epoch, &message.body);
			if !self.offender.verify(&statement.signing_payload(), &message.signature) {
				return Err(EvidenceError::BadSignature);
			}
		}
		Ok(())
	}
}

/// Wire protocol byte of the key generation (`qsign-mpc`).
pub const PROTOCOL_DKG: u8 = 1;

/// Wire protocol byte of resharing (`qsign-mpc`).
pub const PROTOCOL_RESHARE: u8 = 3;

/// The round in which a protocol's dealers broadcast their Feldman points and send their
/// fragments: round 2 of the key generation, round 1 of resharing.
pub fn dealing_round(protocol: u8) -> Option<u8> {
	match protocol {
		PROTOCOL_DKG => Some(2),
		PROTOCOL_RESHARE => Some(1),
		_ => None,
	}
}

/// Proof that `offender` dealt a wrong share in a key generation or a resharing: its signed
/// broadcast of Feldman points and its signed fragment for one receiver, which is not on the
/// committed polynomial (`qsign_primitives::dealing`). An honest dealer never signs such a
/// pair. The fragment is of an aborted run: publishing it reveals one value the cheater chose,
/// nothing of any honest member's share.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct InvalidDealingProof {
	/// The chain both messages were signed for.
	pub genesis_hash: [u8; 32],
	/// The committee epoch both were signed for (the handover's next epoch).
	pub epoch: CommitteeId,
	/// The dealer.
	pub offender: crypto::AuthorityId,
	/// Its broadcast of the round (the Feldman points).
	pub dealing: SignedMessage,
	/// Its point-to-point message of the same round to one receiver (the fragment).
	pub fragment: SignedMessage,
}

/// The fields of an MPC header the evidence checks.
struct Header {
	protocol: u8,
	session: [u8; 32],
	round: u8,
	broadcast: bool,
	sender: u16,
	receiver: u16,
}

fn parse_header(body: &[u8]) -> Result<(Header, &[u8]), EvidenceError> {
	let (header, payload) =
		body.split_at_checked(MPC_HEADER_LEN).ok_or(EvidenceError::Malformed)?;
	if header[0] != MPC_WIRE_VERSION {
		return Err(EvidenceError::Malformed);
	}
	let mut session = [0u8; 32];
	session.copy_from_slice(&header[2..34]);
	let broadcast = match header[35] {
		0 => true,
		1 => false,
		_ => return Err(EvidenceError::Malformed),
	};
	let header = Header {
		protocol: header[1],
		session,
		round: header[34],
		broadcast,
		sender: u16::from_be_bytes([header[36], header[37]]),
		receiver: u16::from_be_bytes([header[38], header[39]]),
	};
	Ok((header, payload))
}

impl InvalidDealingProof {
	/// The run's protocol byte ([`PROTOCOL_DKG`] or [`PROTOCOL_RESHARE`] in a valid proof).
	pub fn protocol(&self) -> u8 {
		self.dealing.body.get(1).copied().unwrap_or_default()
	}

	/// The run's session id (bytes 2..34 of the header).
	pub fn session_id(&self) -> [u8; 32] {
		parse_header(&self.dealing.body).map(|(h, _)| h.session).unwrap_or_default()
	}

	/// Checks that the proof is for chain `genesis_hash`, that both messages are the dealing
	/// round's broadcast and fragment of one run from one sender (the fragment addressed to a
	/// receiver), that the offender signed both for the proof's epoch, and that the fragment is
	/// not on the polynomial of at most `max_points` points the broadcast commits to. Whether
	/// the offender deals in that epoch's handover is the caller's check.
	///
	/// # Errors
	///
	/// The first check that fails.
	pub fn verify(&self, genesis_hash: &[u8; 32], max_points: u32) -> Result<(), EvidenceError> {
		if self.genesis_hash != *genesis_hash {
			return Err(EvidenceError::WrongChain);
		}
		let (dealing, points) = parse_header(&self.dealing.body)?;
		let (fragment, value) = parse_header(&self.fragment.body)?;
		let round = dealing_round(dealing.protocol).ok_or(EvidenceError::Malformed)?;
		if !dealing.broadcast
			|| dealing.receiver != 0
			|| fragment.broadcast
			|| fragment.receiver == 0
		{
			return Err(EvidenceError::Malformed);
		}
		if (dealing.protocol, dealing.session, dealing.round, dealing.sender)
			!= (fragment.protocol, fragment.session, fragment.round, fragment.sender)
			|| dealing.round != round
		{
			return Err(EvidenceError::DifferentSlots);
		}
		for message in [&self.dealing, &self.fragment] {
			let statement = MessageStatement::new(self.genesis_hash, self.epoch, &message.body);
			if !self.offender.verify(&statement.signing_payload(), &message.signature) {
				return Err(EvidenceError::BadSignature);
			}
		}
		match qsign_primitives::dealing::fragment_matches(
			points,
			value,
			fragment.receiver,
			max_points,
		) {
			Ok(false) => Ok(()),
			Ok(true) => Err(EvidenceError::ValidDealing),
			Err(_) => Err(EvidenceError::Malformed),
		}
	}
}
