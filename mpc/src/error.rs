//! Errors of the MPC engine.

use crate::wire::{PartyIndex, SessionId};
use qsign_primitives::derivation::DerivationError;

/// Why a protocol step failed. Errors caused by a peer name that peer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MpcError {
	/// The configuration or request cannot be run (our own input, not a peer's fault).
	#[error("invalid parameters: {0}")]
	InvalidParameters(String),

	/// The bytes received from `from` do not decode as a message of this protocol and round.
	#[error("malformed message from party {from}: {reason}")]
	MalformedMessage {
		/// The sender, as authenticated by the transport.
		from: PartyIndex,
		/// What was wrong.
		reason: String,
	},

	/// A message larger than the protocol allows (rejected before decoding).
	#[error("message from party {from} has {len} bytes, over the limit of {max}")]
	OversizedMessage {
		/// The sender.
		from: PartyIndex,
		/// Size of the message.
		len: usize,
		/// The limit for this message.
		max: usize,
	},

	/// A well-formed message whose content is wrong: a proof, commitment, consistency check
	/// or multiplication check failed.
	#[error("party {party} misbehaved: {reason}{}", if *ban { " (must be excluded from future sessions)" } else { "" })]
	Misbehaviour {
		/// The party at fault.
		party: PartyIndex,
		/// The check that failed.
		reason: String,
		/// The library requires this party to be excluded from every future session with
		/// this key (DKLs23: a failed OT consistency check leaks reusable OT state).
		ban: bool,
	},

	/// A dealer's fragment for us (its polynomial at our index, sent point to point) is not on
	/// the polynomial it committed to in its broadcast (Feldman check), in a key generation or
	/// a resharing. Both messages are signed by the dealer, so the pair is evidence anyone can
	/// check (`qsign_primitives::dealing`).
	#[error("party {dealer} dealt us a fragment that is not on its committed polynomial (round {round})")]
	InvalidFragment {
		/// The dealer.
		dealer: PartyIndex,
		/// The round of the broadcast and the fragment.
		round: u8,
	},

	/// A party sent different "broadcast" messages to different parties. Over a
	/// point-to-point network this is seen as a disagreement between `party`'s message and
	/// the echo of it reported by `witness`; one of the two is dishonest.
	#[error("party {party} equivocated: party {witness} saw a different broadcast")]
	Equivocation {
		/// The party whose broadcast differs.
		party: PartyIndex,
		/// The party reporting the other version.
		witness: PartyIndex,
	},

	/// The message carries another session id (stale or misrouted). Not fatal.
	#[error("message from party {from} is for session {found}, not {expected}")]
	WrongSession {
		/// The sender.
		from: PartyIndex,
		/// Our session.
		expected: SessionId,
		/// The session named in the message.
		found: SessionId,
	},

	/// The sender does not take part in this session. Not fatal.
	#[error("party {from} is not a participant of this session")]
	UnexpectedSender {
		/// The sender.
		from: PartyIndex,
	},

	/// The protocol failed in a way that cannot be pinned on one party (for example a
	/// final signature that does not verify: DKLs23 has no identifiable abort in its last
	/// round). Retrying with another signer set isolates the culprit.
	#[error("protocol failed: {reason} (suspects: {suspects:?})")]
	ProtocolFailure {
		/// What failed.
		reason: String,
		/// The parties that may be at fault.
		suspects: Vec<PartyIndex>,
	},

	/// The session was aborted by an earlier fatal error.
	#[error("session aborted by an earlier error")]
	SessionAborted,

	/// The derived key could not be computed.
	#[error("key derivation failed: {0}")]
	Derivation(#[from] DerivationError),

	/// A serialized key share is not valid.
	#[error("invalid key share: {0}")]
	InvalidKeyShare(String),

	/// A bug or corrupted local state (never caused by a peer's message).
	#[error("internal error: {0}")]
	Internal(String),
}

impl MpcError {
	/// Whether the session that returned this error is aborted. Only messages that are
	/// not part of the session ([`MpcError::WrongSession`], [`MpcError::UnexpectedSender`])
	/// are rejected without aborting it.
	pub fn is_fatal(&self) -> bool {
		!matches!(self, Self::WrongSession { .. } | Self::UnexpectedSender { .. })
	}

	/// The party this error blames, if it can be pinned on exactly one (an
	/// [`MpcError::Equivocation`] names two candidates and returns `None`).
	pub fn culprit(&self) -> Option<PartyIndex> {
		match self {
			Self::MalformedMessage { from, .. } | Self::OversizedMessage { from, .. } => {
				Some(*from)
			}
			Self::Misbehaviour { party, .. } | Self::InvalidFragment { dealer: party, .. } => {
				Some(*party)
			}
			_ => None,
		}
	}
}
