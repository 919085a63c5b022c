//! [`ThresholdEcdsa`] implemented with the `dkls23` crate (DKLs23 over secp256k1).
//!
//! * Key generation: DKLs23's DKG (Protocol 9.1 of eprint 2023/602, which also sets up the
//!   pairwise oblivious-transfer state that signing reuses), wrapped with a Feldman
//!   commitment layer of our own so that a party dealing inconsistent Shamir shares is
//!   named, and with echo checks that detect equivocated broadcasts. Five rounds.
//! * Resharing (a committee hands the same key to the next one, any threshold and membership):
//!   verifiable secret redistribution by `t` old members into the library's DKG phases 2–4,
//!   four rounds; see `docs/design/committee-handover.md`.
//! * Signing: DKLs23 Protocol 3.6, three rounds, no presignatures. The derived key is used
//!   by adding ε to the share and ε·G to the public key, exactly what the library's own
//!   (BIP-32) derivation does with its tweak.

mod dkg;
mod feldman;
mod reshare;
mod sign;
mod tail;

use std::panic::{catch_unwind, AssertUnwindSafe};

use dkls23::protocols::{Abort, AbortKind, AbortReason, Party};
use k256::{
	elliptic_curve::{group::GroupEncoding, PrimeField},
	AffinePoint, FieldBytes, Scalar, Secp256k1,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use dkg::Dkls23DkgSession;
pub use reshare::Dkls23ReshareSession;
pub use sign::Dkls23SignSession;

use crate::{
	DkgConfig, MpcError, PartyIndex, ReshareConfig, SessionId, SignRequest, ThresholdEcdsa,
};

type LibParty = Party<Secp256k1>;
type LibIndex = dkls23::protocols::PartyIndex;

/// The DKLs23 threshold ECDSA scheme from the `dkls23` crate, version 0.6.2.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dkls23;

impl ThresholdEcdsa for Dkls23 {
	type KeyShare = KeyShare;
	type DkgSession = Dkls23DkgSession;
	type SignSession = Dkls23SignSession;
	type ReshareSession = Dkls23ReshareSession;

	const NAME: &'static str = "dkls23-0.6.2";

	fn start_dkg(config: &DkgConfig) -> Result<Dkls23DkgSession, MpcError> {
		Dkls23DkgSession::new(config)
	}

	fn start_sign(share: &KeyShare, request: &SignRequest) -> Result<Dkls23SignSession, MpcError> {
		Dkls23SignSession::new(share, request)
	}

	fn start_reshare(
		config: &ReshareConfig,
		old_share: Option<&KeyShare>,
	) -> Result<Dkls23ReshareSession, MpcError> {
		Dkls23ReshareSession::new(config, old_share)
	}

	fn root_public_key(share: &KeyShare) -> [u8; 33] {
		share.public_key
	}

	fn share_to_bytes(share: &KeyShare) -> Zeroizing<Vec<u8>> {
		share.to_bytes()
	}

	fn share_from_bytes(bytes: &[u8]) -> Result<KeyShare, MpcError> {
		KeyShare::from_bytes(bytes)
	}
}

/// One party's share of a committee root key, with the DKLs23 state signing needs
/// (pairwise OT correlations and zero-share seeds established during key generation).
///
/// Secret material is zeroized on drop. `Debug` prints only public data.
#[derive(Clone)]
pub struct KeyShare {
	state: LibParty,
	session_id: SessionId,
	me: PartyIndex,
	threshold: u16,
	parties: u16,
	public_key: [u8; 33],
	verification_shares: Vec<[u8; 33]>,
}

impl core::fmt::Debug for KeyShare {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("KeyShare")
			.field("session_id", &self.session_id)
			.field("me", &self.me)
			.field("threshold", &self.threshold)
			.field("parties", &self.parties)
			.field("public_key", &self.public_key)
			.finish_non_exhaustive()
	}
}

/// Stored form of a [`KeyShare`] (inside the encrypted file of [`crate::storage`]).
#[derive(Serialize)]
struct StoredShareRef<'a> {
	scheme: &'a str,
	session_id: [u8; 32],
	me: u16,
	threshold: u16,
	parties: u16,
	public_key: &'a [u8],
	verification_shares: Vec<&'a [u8]>,
	state: &'a LibParty,
}

#[derive(Deserialize)]
struct StoredShare {
	scheme: String,
	session_id: [u8; 32],
	me: u16,
	threshold: u16,
	parties: u16,
	public_key: Vec<u8>,
	verification_shares: Vec<Vec<u8>>,
	state: LibParty,
}

impl KeyShare {
	/// The id of the key generation that produced this share.
	pub fn session_id(&self) -> SessionId {
		self.session_id
	}

	/// Our party index.
	pub fn me(&self) -> PartyIndex {
		self.me
	}

	/// Number of parties needed to sign.
	pub fn threshold(&self) -> u16 {
		self.threshold
	}

	/// Number of parties holding a share.
	pub fn parties(&self) -> u16 {
		self.parties
	}

	/// The committee's root public key (SEC1 compressed).
	pub fn public_key(&self) -> [u8; 33] {
		self.public_key
	}

	/// The public key `x_i·G` of party `party`'s (root) Shamir share, if it exists.
	pub fn verification_share(&self, party: PartyIndex) -> Option<[u8; 33]> {
		let i = usize::from(party.get()).checked_sub(1)?;
		self.verification_shares.get(i).copied()
	}

	/// The public key derived by `epsilon` ([`qsign_primitives::derivation::derive_public_key`]).
	///
	/// # Errors
	///
	/// [`MpcError::Derivation`] for a non-canonical ε or the (negligible) identity case.
	pub fn derived_public_key(&self, epsilon: &[u8; 32]) -> Result<[u8; 33], MpcError> {
		Ok(qsign_primitives::derivation::derive_public_key(&self.public_key, epsilon)?)
	}

	/// Serializes the share (plaintext, versioned by the scheme name).
	pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
		let stored = StoredShareRef {
			scheme: Dkls23::NAME,
			session_id: self.session_id.0,
			me: self.me.get(),
			threshold: self.threshold,
			parties: self.parties,
			public_key: &self.public_key,
			verification_shares: self.verification_shares.iter().map(|v| &v[..]).collect(),
			state: &self.state,
		};
		// Serializing plain data into a Vec cannot fail.
		Zeroizing::new(postcard::to_allocvec(&stored).unwrap_or_default())
	}

	/// Parses and checks a share produced by [`KeyShare::to_bytes`].
	///
	/// # Errors
	///
	/// [`MpcError::InvalidKeyShare`] naming the inconsistency.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, MpcError> {
		let invalid = |reason: &str| MpcError::InvalidKeyShare(reason.into());
		let (stored, rest) = postcard::take_from_bytes::<StoredShare>(bytes)
			.map_err(|e| MpcError::InvalidKeyShare(format!("cannot decode: {e}")))?;
		if !rest.is_empty() {
			return Err(invalid("trailing bytes"));
		}
		if stored.scheme != Dkls23::NAME {
			return Err(MpcError::InvalidKeyShare(format!(
				"share of scheme {:?}, expected {:?}",
				stored.scheme,
				Dkls23::NAME
			)));
		}
		let me = PartyIndex::new(stored.me).ok_or_else(|| invalid("party index 0"))?;
		let state = stored.state;
		if u16::from(state.party_index.as_u8()) != stored.me
			|| u16::from(state.parameters.threshold) != stored.threshold
			|| u16::from(state.parameters.share_count) != stored.parties
		{
			return Err(invalid("header disagrees with the protocol state"));
		}
		let public_key: [u8; 33] =
			stored.public_key.as_slice().try_into().map_err(|_| invalid("public key length"))?;
		if point_to_bytes(&state.pk) != public_key {
			return Err(invalid("public key disagrees with the protocol state"));
		}
		let mut verification_shares = Vec::with_capacity(stored.verification_shares.len());
		for share in &stored.verification_shares {
			let share: [u8; 33] =
				share.as_slice().try_into().map_err(|_| invalid("verification share length"))?;
			point_from_bytes(&share)
				.ok_or_else(|| invalid("verification share not on the curve"))?;
			verification_shares.push(share);
		}
		if verification_shares.len() != usize::from(stored.parties) {
			return Err(invalid("wrong number of verification shares"));
		}
		let others = (1..=stored.parties).filter(|&i| i != stored.me).count();
		if state.mul_senders.len() != others || state.mul_receivers.len() != others {
			return Err(invalid("missing pairwise signing state"));
		}
		Ok(Self {
			state,
			session_id: SessionId(stored.session_id),
			me,
			threshold: stored.threshold,
			parties: stored.parties,
			public_key,
			verification_shares,
		})
	}

	/// The library state of the child key `root + ε`: share `x_i + ε`, public key
	/// `root_pub + ε·G`. Correct because Lagrange coefficients sum to one, so the signers'
	/// interpolated secret is `x + ε`; everything else (OT and zero-share state) is
	/// key-independent and reused, as the library's own BIP-32 derivation does.
	fn derive_state(&self, epsilon: &[u8; 32]) -> Result<LibParty, MpcError> {
		let expected = self.derived_public_key(epsilon)?;
		let tweak = scalar_from_bytes(epsilon).ok_or(MpcError::Derivation(
			qsign_primitives::derivation::DerivationError::InvalidEpsilon,
		))?;
		let mut child = self.state.clone();
		child.poly_point += tweak;
		child.pk = (k256::ProjectivePoint::from(child.pk)
			+ k256::ProjectivePoint::GENERATOR * tweak)
			.to_affine();
		child.derivation_data.poly_point = child.poly_point;
		child.derivation_data.pk = child.pk;
		child.address = String::new();
		if point_to_bytes(&child.pk) != expected {
			return Err(MpcError::Internal("derived key disagrees with qsign-primitives".into()));
		}
		Ok(child)
	}
}

/// The library's party index of ours (DKLs23 indices are `u8`).
fn lib_index(party: PartyIndex) -> Result<LibIndex, MpcError> {
	u8::try_from(party.get())
		.ok()
		.and_then(|i| LibIndex::new(i).ok())
		.ok_or_else(|| MpcError::InvalidParameters(format!("party index {party} exceeds 255")))
}

/// Our party index of the library's (never zero by construction).
fn our_index(party: LibIndex) -> PartyIndex {
	PartyIndex::from_nonzero_u8(party.as_u8())
}

/// Checks the sender/receiver fields inside a library message against the transport.
fn check_route(
	from: PartyIndex,
	me: PartyIndex,
	parties: &dkls23::protocols::PartiesMessage,
) -> Result<(), MpcError> {
	let (sender, receiver) = (our_index(parties.sender), our_index(parties.receiver));
	if sender != from || receiver != me {
		return Err(MpcError::MalformedMessage {
			from,
			reason: format!("routing fields say party {sender} to party {receiver}"),
		});
	}
	Ok(())
}

/// SEC1 compressed encoding (all zeros for the identity).
fn point_to_bytes(point: &AffinePoint) -> [u8; 33] {
	let mut out = [0u8; 33];
	out.copy_from_slice(&point.to_bytes());
	out
}

/// A non-identity point from SEC1 compressed bytes (`02`/`03` ‖ x only).
fn point_from_bytes(bytes: &[u8; 33]) -> Option<AffinePoint> {
	if !matches!(bytes[0], 0x02 | 0x03) {
		return None;
	}
	let repr = k256::CompressedPoint::from(*bytes);
	let point: Option<AffinePoint> = AffinePoint::from_bytes(&repr).into();
	point.filter(|p| *p != AffinePoint::IDENTITY)
}

/// A canonical scalar (`< n`) from big-endian bytes.
fn scalar_from_bytes(bytes: &[u8; 32]) -> Option<Scalar> {
	Scalar::from_repr(FieldBytes::from(*bytes)).into()
}

/// Maps a library abort to our error, naming the counterparty the library blames.
fn abort_error(abort: Abort, suspects: &[PartyIndex]) -> MpcError {
	use AbortReason as R;
	let reason = abort.reason.to_string();
	let banned = match abort.kind {
		AbortKind::BanCounterparty(party) => Some(party),
		AbortKind::Recoverable => None,
	};
	let culprit = match &abort.reason {
		R::UnexpectedSender { sender } | R::DuplicateSender { sender } => Some(*sender),
		R::MissingMessageFromParty { party }
		| R::MissingCommittedPoint { party }
		| R::ChainCodeCommitmentFailed { party } => Some(*party),
		R::SessionBindingMismatch { counterparty }
		| R::ProofVerificationFailed { counterparty }
		| R::CommitmentMismatch { counterparty }
		| R::TrivialInstancePoint { counterparty }
		| R::OtConsistencyCheckFailed { counterparty }
		| R::MultiplicationVerificationFailed { counterparty, .. }
		| R::GammaUInconsistency { counterparty }
		| R::ZeroShareDecommitFailed { counterparty } => Some(*counterparty),
		R::InvalidLocalState { .. }
		| R::MissingMulState { .. }
		| R::PhaseCalledOutOfOrder { .. }
		| R::InvalidPartyIndex { .. }
		| R::WrongCounterpartyCount { .. }
		| R::DuplicateCounterparty { .. }
		| R::SelfInCounterparties
		| R::WrongMessageCount { .. }
		| R::MisroutedMessage { .. } => {
			return MpcError::Internal(format!("dkls23 rejected our own input: {reason}"))
		}
		_ => None,
	}
	.or(banned);
	match culprit {
		Some(party) => {
			MpcError::Misbehaviour { party: our_index(party), reason, ban: banned.is_some() }
		}
		None => MpcError::ProtocolFailure { reason, suspects: suspects.to_vec() },
	}
}

/// Runs a library step on peer-supplied data; a library panic becomes an error instead of
/// taking the node down (defence in depth: we validate routing and sizes before calling).
fn guarded<T>(
	suspects: &[PartyIndex],
	step: impl FnOnce() -> Result<T, Abort>,
) -> Result<T, MpcError> {
	match catch_unwind(AssertUnwindSafe(step)) {
		Ok(Ok(value)) => Ok(value),
		Ok(Err(abort)) => Err(abort_error(abort, suspects)),
		Err(_) => Err(MpcError::ProtocolFailure {
			reason: "dkls23 panicked on this round's messages".into(),
			suspects: suspects.to_vec(),
		}),
	}
}

#[cfg(test)]
mod tests;
