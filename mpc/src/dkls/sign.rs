//! Signing session (DKLs23 Protocol 3.6) under a derived key.
//!
//! | round | broadcast                    | point-to-point                              |
//! |-------|------------------------------|---------------------------------------------|
//! | 1     | –                            | nonce commitment, OT-extension message      |
//! | 2     | –                            | decommitment, multiplication output, checks |
//! | 3     | our share of `s` (`u`, `w`)  | –                                           |
//!
//! Every signer assembles and verifies the signature itself.

use std::collections::{BTreeMap, BTreeSet};

use dkls23::protocols::signing::{
	Broadcast3to4, KeepPhase1to2, KeepPhase2to3, SignData, TransmitPhase1to2, TransmitPhase2to3,
	UniqueKeep1to2, UniqueKeep2to3,
};
use k256::Secp256k1;

use super::{check_route, guarded, lib_index, our_index, KeyShare, LibIndex, LibParty};
use crate::{
	rounds::{decode, encode, Inbox, Received, RoundSpec},
	MpcError, OutgoingMessage, PartyIndex, Protocol, Recipient, Session, SessionId, SignFault,
	SignRequest, Signature,
};

const ROUNDS: &[RoundSpec] = &[
	RoundSpec { broadcast: false, p2p: true },
	RoundSpec { broadcast: false, p2p: true },
	RoundSpec { broadcast: true, p2p: false },
];

/// What we keep between rounds.
enum State {
	AwaitingRound1(UniqueKeep1to2<Secp256k1>, BTreeMap<LibIndex, KeepPhase1to2<Secp256k1>>),
	AwaitingRound2(UniqueKeep2to3<Secp256k1>, BTreeMap<LibIndex, KeepPhase2to3<Secp256k1>>),
	AwaitingRound3 { x_coordinate: String, own: Broadcast3to4<Secp256k1> },
	Done,
}

/// One signer's run for [`crate::Dkls23`].
pub struct Dkls23SignSession {
	session_id: SessionId,
	me: PartyIndex,
	inbox: Inbox,
	outbox: Vec<OutgoingMessage>,
	aborted: bool,
	/// The DKLs23 state of the derived key.
	party: LibParty,
	data: SignData,
	public_key: [u8; 33],
	message_hash: [u8; 32],
	state: State,
	finished: bool,
	output: Option<Signature>,
	/// Misbehaviour to commit (tests of a real network only).
	fault: Option<SignFault>,
}

impl Dkls23SignSession {
	pub(super) fn new(share: &KeyShare, request: &SignRequest) -> Result<Self, MpcError> {
		let invalid = |reason: String| MpcError::InvalidParameters(reason);
		let me = share.me;
		let signers: BTreeSet<PartyIndex> = request.signers.iter().copied().collect();
		if signers.len() != request.signers.len() {
			return Err(invalid("duplicate signer".into()));
		}
		if signers.len() != usize::from(share.threshold) {
			return Err(invalid(format!(
				"DKLs23 needs exactly {} signers, got {}",
				share.threshold,
				signers.len()
			)));
		}
		if !signers.contains(&me) {
			return Err(invalid(format!("we (party {me}) are not among the signers")));
		}
		if let Some(outsider) = signers.iter().find(|p| p.get() > share.parties) {
			return Err(invalid(format!("signer {outsider} is not in 1..={}", share.parties)));
		}
		let party = share.derive_state(&request.epsilon)?;
		let public_key = super::point_to_bytes(&party.pk);
		let peers: BTreeSet<PartyIndex> = signers.iter().copied().filter(|&p| p != me).collect();
		let data = SignData {
			sign_id: [&b"QSign/v1/dkls23/sign"[..], &request.session_id.0].concat(),
			counterparties: peers.iter().map(|&p| lib_index(p)).collect::<Result<_, _>>()?,
			message_hash: request.message_hash,
		};
		let suspects: Vec<PartyIndex> = Vec::new();
		let (unique, kept, transmit) = guarded(&suspects, || party.sign_phase1(&data))?;
		let mut session = Self {
			session_id: request.session_id,
			me,
			inbox: Inbox::new(Protocol::Sign, request.session_id, me, peers, ROUNDS),
			outbox: Vec::new(),
			aborted: false,
			party,
			data,
			public_key,
			message_hash: request.message_hash,
			state: State::AwaitingRound1(unique, kept),
			finished: false,
			output: None,
			fault: None,
		};
		for message in &transmit {
			session.send(1, our_index(message.parties.receiver), &encode(message)?);
		}
		Ok(session)
	}

	/// Makes this signer misbehave as `fault` says (to test that the others detect it). Call
	/// before handing the session any message.
	pub fn inject_fault(&mut self, fault: SignFault) {
		self.fault = Some(fault);
	}

	/// The public key this session signs for (the derived key), SEC1 compressed.
	pub fn public_key(&self) -> [u8; 33] {
		self.public_key
	}

	fn send(&mut self, round: u8, to: PartyIndex, payload: &[u8]) {
		let message = self.inbox.outgoing(round, Recipient::Party(to), payload);
		self.outbox.push(message);
	}

	fn peers(&self) -> Vec<PartyIndex> {
		self.inbox.peers().iter().copied().collect()
	}

	fn advance(&mut self) -> Result<(), MpcError> {
		while let Some(round) = self.inbox.next_round_ready() {
			let messages = self.inbox.take_round(round);
			let state = std::mem::replace(&mut self.state, State::Done);
			self.state = match (round, state) {
				(1, State::AwaitingRound1(unique, kept)) => self.round1(&messages, unique, kept)?,
				(2, State::AwaitingRound2(unique, kept)) => self.round2(&messages, unique, kept)?,
				(3, State::AwaitingRound3 { x_coordinate, own }) => {
					self.round3(&messages, &x_coordinate, own)?
				}
				_ => return Err(MpcError::Internal(format!("signing round {round} out of order"))),
			};
		}
		Ok(())
	}

	fn round1(
		&mut self,
		messages: &BTreeMap<PartyIndex, Received>,
		unique: UniqueKeep1to2<Secp256k1>,
		kept: BTreeMap<LibIndex, KeepPhase1to2<Secp256k1>>,
	) -> Result<State, MpcError> {
		let mut received = Vec::with_capacity(messages.len());
		for (&from, message) in messages {
			let message: TransmitPhase1to2 =
				decode(from, "signing round 1", message.p2p.as_deref())?;
			check_route(from, self.me, &message.parties)?;
			received.push(message);
		}
		let suspects = self.peers();
		let (party, data) = (&self.party, &self.data);
		let (unique, kept, mut transmit) =
			guarded(&suspects, || party.sign_phase2(data, unique, kept, &received))?;
		if self.fault == Some(SignFault::CorruptMultiplication) {
			use k256::ProjectivePoint;
			for message in &mut transmit {
				message.gamma_u = (ProjectivePoint::from(message.gamma_u)
					+ ProjectivePoint::GENERATOR)
					.to_affine();
			}
		}
		for message in &transmit {
			self.send(2, our_index(message.parties.receiver), &encode(message)?);
		}
		Ok(State::AwaitingRound2(unique, kept))
	}

	fn round2(
		&mut self,
		messages: &BTreeMap<PartyIndex, Received>,
		unique: UniqueKeep2to3<Secp256k1>,
		kept: BTreeMap<LibIndex, KeepPhase2to3<Secp256k1>>,
	) -> Result<State, MpcError> {
		let mut received = Vec::with_capacity(messages.len());
		for (&from, message) in messages {
			let message: TransmitPhase2to3<Secp256k1> =
				decode(from, "signing round 2", message.p2p.as_deref())?;
			check_route(from, self.me, &message.parties)?;
			received.push(message);
		}
		let suspects = self.peers();
		let (party, data) = (&self.party, &self.data);
		let (x_coordinate, own) =
			guarded(&suspects, || party.sign_phase3(data, unique, kept, &received))?;
		let mut sent = own.clone();
		if self.fault == Some(SignFault::CorruptFinalShare) {
			sent.w += k256::Scalar::ONE;
		}
		let message = self.inbox.outgoing(3, Recipient::Broadcast, &encode(&sent)?);
		if self.fault == Some(SignFault::EquivocateFinalShare) {
			let mut other = own.clone();
			other.w += k256::Scalar::ONE;
			let other = self.inbox.outgoing(3, Recipient::Broadcast, &encode(&other)?);
			let peers = self.peers();
			for (i, &peer) in peers.iter().enumerate() {
				let honest = OutgoingMessage { to: Recipient::Party(peer), ..message.clone() };
				let forged = OutgoingMessage { to: Recipient::Party(peer), ..other.clone() };
				match (i, peers.len()) {
					(0, 1) => self.outbox.extend([honest, forged]),
					(0, _) => self.outbox.push(honest),
					_ => self.outbox.push(forged),
				}
			}
			return Ok(State::AwaitingRound3 { x_coordinate, own });
		}
		self.outbox.push(message);
		Ok(State::AwaitingRound3 { x_coordinate, own })
	}

	fn round3(
		&mut self,
		messages: &BTreeMap<PartyIndex, Received>,
		x_coordinate: &str,
		own: Broadcast3to4<Secp256k1>,
	) -> Result<State, MpcError> {
		if self.fault == Some(SignFault::CorruptFinalShare) {
			// The attacker keeps the signature it could assemble to itself.
			return Err(MpcError::Internal("fault injection: the signature is withheld".into()));
		}
		let mut received = vec![own];
		for (&from, message) in messages {
			received.push(decode(from, "signing round 3", message.broadcast.as_deref())?);
		}
		let suspects = self.peers();
		let (party, data) = (&self.party, &self.data);
		let (s_hex, recovery_id) =
			guarded(&suspects, || party.sign_phase4(data, x_coordinate, &received, true))?;
		let failure = |reason: &str| MpcError::ProtocolFailure {
			reason: reason.into(),
			suspects: suspects.clone(),
		};
		let mut r = [0u8; 32];
		let mut s = [0u8; 32];
		decode_hex(x_coordinate, &mut r).ok_or_else(|| failure("bad r encoding"))?;
		decode_hex(&s_hex, &mut s).ok_or_else(|| failure("bad s encoding"))?;
		if recovery_id > 1 {
			// r ≥ n (probability ≈ 2⁻¹²⁸): Ethereum cannot use it; sign again.
			return Err(failure("recovery id ≥ 2 (nonce x-coordinate above the group order)"));
		}
		let signature = Signature { r, s, recovery_id };
		qsign_primitives::signature::verify_signature(
			&self.message_hash,
			&signature.to_bytes(),
			&self.public_key,
		)
		.map_err(|e| failure(&format!("assembled signature rejected: {e}")))?;
		self.output = Some(signature);
		self.finished = true;
		Ok(State::Done)
	}
}

/// Decodes exactly `out.len()` bytes of hex.
fn decode_hex(hex: &str, out: &mut [u8]) -> Option<()> {
	let digits = hex.as_bytes();
	if digits.len() != 2 * out.len() {
		return None;
	}
	let nibble = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
	for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
		*byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
	}
	Some(())
}

impl core::fmt::Debug for Dkls23SignSession {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("Dkls23SignSession")
			.field("session_id", &self.session_id)
			.field("me", &self.me)
			.field("public_key", &self.public_key)
			.field("finished", &self.finished)
			.field("aborted", &self.aborted)
			.finish_non_exhaustive()
	}
}

impl Session for Dkls23SignSession {
	type Output = Signature;

	fn session_id(&self) -> SessionId {
		self.session_id
	}

	fn me(&self) -> PartyIndex {
		self.me
	}

	fn handle_message(&mut self, from: PartyIndex, bytes: &[u8]) -> Result<(), MpcError> {
		if self.aborted {
			return Err(MpcError::SessionAborted);
		}
		let result = self.inbox.accept(from, bytes).and_then(|()| self.advance());
		if matches!(&result, Err(error) if error.is_fatal()) {
			self.aborted = true;
			self.outbox.clear();
			self.state = State::Done;
		}
		result
	}

	fn take_outgoing(&mut self) -> Vec<OutgoingMessage> {
		std::mem::take(&mut self.outbox)
	}

	fn is_finished(&self) -> bool {
		self.finished
	}

	fn take_output(&mut self) -> Option<Signature> {
		self.output.take()
	}

	fn progress(&self) -> usize {
		self.inbox.accepted()
	}

	fn waiting_for(&self) -> Vec<PartyIndex> {
		if self.aborted || self.is_finished() {
			return Vec::new();
		}
		self.inbox.missing()
	}
}
