//! QSign MPC engine: threshold ECDSA on secp256k1, driven message by message.
//!
//! The validators of a QSign committee jointly hold one root secp256k1 key, `t`-of-`n`
//! Shamir-shared by a distributed key generation (no dealer: the root secret key never
//! exists anywhere). They sign 32-byte hashes under *derived* keys
//! `root + ε(owner, path)` (see [`qsign_primitives::derivation`]) without reconstructing
//! anything: each signer adds the public ε to its share.
//!
//! The engine is transport-agnostic. A protocol run is a [`Session`] identified by a
//! [`SessionId`]; the node feeds it every message received from a peer with
//! [`Session::handle_message`], sends whatever [`Session::take_outgoing`] returns (to one
//! party or to every other participant) and collects the result with
//! [`Session::take_output`]. Every message is a byte string of at most
//! [`MAX_MESSAGE_SIZE`] bytes whose header ([`MessageHeader`]) carries the protocol, the
//! session id, the round and the sender, so stale or cross-session messages are rejected
//! cleanly and misbehaving peers are named in the [`MpcError`].
//!
//! The threshold scheme sits behind the [`ThresholdEcdsa`] trait; [`Dkls23`] implements it
//! with the `dkls23` crate (DKLs23, Doerner–Kondi–Lee–shelat 2023). See the crate README
//! for why, and for measurements.
//!
//! ```no_run
//! use qsign_mpc::{Dkls23, DkgConfig, PartyIndex, Session, SessionId, ThresholdEcdsa};
//! # fn send(_: &qsign_mpc::OutgoingMessage) {}
//! # fn receive() -> (PartyIndex, Vec<u8>) { (PartyIndex::new(2).unwrap(), Vec::new()) }
//! let me = PartyIndex::new(1).unwrap();
//! let config = DkgConfig { session_id: SessionId([7; 32]), threshold: 2, parties: 3, me };
//! let mut dkg = Dkls23::start_dkg(&config)?;
//! let share = loop {
//!     for message in dkg.take_outgoing() {
//!         send(&message);
//!     }
//!     if let Some(share) = dkg.take_output() {
//!         break share;
//!     }
//!     let (from, bytes) = receive();
//!     if let Err(error) = dkg.handle_message(from, &bytes) {
//!         if error.is_fatal() {
//!             return Err(error);
//!         }
//!     }
//! };
//! # Ok::<(), qsign_mpc::MpcError>(())
//! ```

#![warn(missing_docs)]

mod dkls;
mod error;
pub mod local;
mod rounds;
pub mod storage;
mod wire;

pub use dkls::{Dkls23, Dkls23DkgSession, Dkls23ReshareSession, Dkls23SignSession, KeyShare};
pub use error::MpcError;
pub use wire::{
	MessageHeader, OutgoingMessage, PartyIndex, Protocol, Recipient, SessionId, HEADER_LEN,
	MAX_MESSAGE_SIZE, WIRE_VERSION,
};

pub use qsign_primitives::derivation::DerivationError;

/// Parameters of one distributed key generation, as seen by one party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkgConfig {
	/// Unique id of this key generation (all parties use the same value, never reused).
	pub session_id: SessionId,
	/// Number of parties needed to sign (`2 ≤ threshold ≤ parties`).
	pub threshold: u16,
	/// Number of parties holding a share (at most 255); they are numbered `1..=parties`.
	pub parties: u16,
	/// Our own index.
	pub me: PartyIndex,
}

/// Parameters of one resharing run, as seen by one participant: `t` members of the old
/// committee (the dealers) hand the root key to the next committee (the receivers) under a new
/// threshold. The receivers are the parties `1..=new_parties` of the run, numbered as in the
/// next committee; a dealer that is not in the next committee takes an index above
/// `new_parties`. Every participant must use the same values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReshareConfig {
	/// Unique id of this run (never reused).
	pub session_id: SessionId,
	/// The root public key (SEC1 compressed) the next committee must hold, as the chain says.
	pub public_key: [u8; 33],
	/// The dealers: `(index in this run, index in the old committee)`, exactly the old
	/// threshold of them.
	pub dealers: Vec<(PartyIndex, PartyIndex)>,
	/// Number of next-committee members needed to sign (`2 ≤ new_threshold ≤ new_parties`).
	pub new_threshold: u16,
	/// Number of next-committee members (at most 255).
	pub new_parties: u16,
	/// Our own index in this run.
	pub me: PartyIndex,
}

/// How a resharing run ended for one participant.
#[derive(Debug)]
pub enum ReshareOutcome {
	/// We only dealt (we are not in the next committee): nothing to keep. Our old share stays
	/// valid for signing until the chain switches to the next committee.
	Dealt,
	/// Our share of the root key in the next committee.
	NewShare(Box<KeyShare>),
}

/// Misbehaviour a signer can be told to commit, so that tests of a real network can check that
/// honest members detect, name and exclude it. The node accepts it only on development chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignFault {
	/// Sends every co-signer a round-2 multiplication message whose `gamma_u` is off by the
	/// generator: the honest receivers' library aborts with its ban verdict
	/// (`BanCounterparty`, `GammaUInconsistency`).
	CorruptMultiplication,
	/// Broadcasts a wrong share of `s` in the last round, and keeps the signature it could
	/// assemble itself. DKLs23 cannot attribute it: the signature check fails and every other
	/// signer is a suspect, so the run is only counted as an aborted signer set.
	CorruptFinalShare,
	/// Equivocates in the last round: the first co-signer (by index) gets the honest share of
	/// `s`, every other one a wrong share under the same header (alone with one co-signer, it
	/// gets both). The message is a broadcast, so the signed copies the receivers hold are
	/// transferable evidence once they compare them (the node forwards them after a failed run).
	EquivocateFinalShare,
}

/// Misbehaviour a dealer of a key generation or a resharing can be told to commit (tests; the
/// node accepts it only on development chains).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DealFault {
	/// Sends the first other receiver (the lowest index) a fragment off the polynomial it
	/// committed to (the right value plus one). That receiver's run aborts with
	/// [`MpcError::InvalidFragment`] naming the dealer, and holds both signed messages: the
	/// evidence.
	WrongFragment,
}

/// What a signing run signs, as seen by one signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignRequest {
	/// Unique id of this signing run (all signers use the same value).
	pub session_id: SessionId,
	/// Exactly `threshold` distinct parties, including ourselves, all online.
	pub signers: Vec<PartyIndex>,
	/// The derivation tweak of the key to sign with:
	/// [`qsign_primitives::derivation::epsilon`]`(owner, path)`. All zeros signs with the
	/// root key itself.
	pub epsilon: [u8; 32],
	/// The 32-byte hash to sign (the caller hashes the message, e.g. with keccak256).
	pub message_hash: [u8; 32],
}

/// A finished ECDSA signature: low-s, with the recovery id `ecrecover` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
	/// `r`, the x-coordinate of the nonce point, big-endian.
	pub r: [u8; 32],
	/// `s`, big-endian, always `≤ n/2`.
	pub s: [u8; 32],
	/// Recovery id: 0 or 1, the parity of the nonce point's y-coordinate.
	pub recovery_id: u8,
}

impl Signature {
	/// The 65-byte form `r ‖ s ‖ v` checked by [`qsign_primitives::signature::verify_signature`].
	pub fn to_bytes(&self) -> [u8; 65] {
		let mut out = [0u8; 65];
		out[..32].copy_from_slice(&self.r);
		out[32..64].copy_from_slice(&self.s);
		out[64] = self.recovery_id;
		out
	}
}

/// One party's side of one protocol run (key generation or signing).
///
/// Messages may arrive in any order and early (messages for a later round are buffered);
/// identical duplicates are ignored. The first fatal error ([`MpcError::is_fatal`]) aborts
/// the session: it names the party at fault where that is possible, and every later call
/// returns [`MpcError::SessionAborted`].
pub trait Session: Send {
	/// What a successful run produces.
	type Output;

	/// The id all participants share for this run.
	fn session_id(&self) -> SessionId;

	/// Our own party index.
	fn me(&self) -> PartyIndex;

	/// Processes one message received from `from` (the sender as authenticated by the
	/// transport).
	///
	/// # Errors
	///
	/// A fatal error if the message (or the round it completes) is invalid; a non-fatal one
	/// if the message is simply not for this session or not from a participant.
	fn handle_message(&mut self, from: PartyIndex, bytes: &[u8]) -> Result<(), MpcError>;

	/// Messages to send now, in order. Each is either for one party or for every other
	/// participant ([`Recipient::Broadcast`]).
	fn take_outgoing(&mut self) -> Vec<OutgoingMessage>;

	/// Whether the run has completed successfully (its output may already be taken).
	fn is_finished(&self) -> bool;

	/// The result of the run, once: `Some` the first time it is called after completion.
	fn take_output(&mut self) -> Option<Self::Output>;

	/// How far the run got: the number of distinct messages it accepted. It grows only with new
	/// messages (a replayed or duplicate message leaves it unchanged), so a driver that resets
	/// its idle timer only when it grows cannot be held open by a party replaying messages.
	fn progress(&self) -> usize;

	/// The parties whose messages for the current round have not arrived: the ones to blame
	/// if the run times out (empty once the run has all it needs).
	fn waiting_for(&self) -> Vec<PartyIndex>;
}

/// A threshold ECDSA scheme the node can run: the seam that lets us swap the library.
pub trait ThresholdEcdsa {
	/// One party's long-lived secret share of a root key (and any precomputed state).
	type KeyShare: Send + Sync;
	/// A key-generation run producing a [`Self::KeyShare`].
	type DkgSession: Session<Output = Self::KeyShare>;
	/// A signing run producing a [`Signature`].
	type SignSession: Session<Output = Signature>;
	/// A resharing run handing the root key to the next committee.
	type ReshareSession: Session<Output = ReshareOutcome>;

	/// Short name of the scheme and library version, for logs and stored shares.
	const NAME: &'static str;

	/// Starts a key generation; the returned session already has round-1 messages queued.
	///
	/// # Errors
	///
	/// [`MpcError::InvalidParameters`] for an impossible configuration.
	fn start_dkg(config: &DkgConfig) -> Result<Self::DkgSession, MpcError>;

	/// Starts signing `request.message_hash` under the key derived by `request.epsilon`.
	///
	/// # Errors
	///
	/// [`MpcError::InvalidParameters`] if the signer set does not fit the share.
	fn start_sign(
		share: &Self::KeyShare,
		request: &SignRequest,
	) -> Result<Self::SignSession, MpcError>;

	/// Starts a resharing run. `old_share` is required from a dealer and used by any other
	/// old member to check the dealers (it knows their verification shares); a member joining
	/// without an old share passes `None`. A dealer's round-1 messages are queued at once.
	///
	/// # Errors
	///
	/// [`MpcError::InvalidParameters`] if the configuration is impossible or does not fit
	/// the old share.
	fn start_reshare(
		config: &ReshareConfig,
		old_share: Option<&Self::KeyShare>,
	) -> Result<Self::ReshareSession, MpcError>;

	/// The committee's root public key (SEC1 compressed).
	fn root_public_key(share: &Self::KeyShare) -> [u8; 33];

	/// Serializes a share (plaintext; use [`storage`] to encrypt it at rest).
	fn share_to_bytes(share: &Self::KeyShare) -> zeroize::Zeroizing<Vec<u8>>;

	/// Parses a share produced by [`Self::share_to_bytes`].
	///
	/// # Errors
	///
	/// [`MpcError::InvalidKeyShare`] if the bytes are not a consistent share.
	fn share_from_bytes(bytes: &[u8]) -> Result<Self::KeyShare, MpcError>;
}
