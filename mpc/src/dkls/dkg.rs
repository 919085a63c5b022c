//! Distributed key generation session (DKLs23 DKG plus Feldman and echo checks).
//!
//! | round | broadcast                                        | point-to-point                     |
//! |-------|--------------------------------------------------|------------------------------------|
//! | 1     | hash of our Feldman points                        | –                                  |
//! | 2     | Feldman points, echo of all round-1 hashes        | our polynomial at the receiver     |
//! | 3     | hash of our DLog proof, chain-code commitment     | zero-share seed commitment         |
//! | 4     | DLog proof, chain-code reveal                     | zero-share seed, OT/multiplication setup |
//! | 5     | public key and digests of everyone's broadcasts   | –                                  |

use std::collections::{BTreeMap, BTreeSet};

use dkls23::{
	protocols::{
		dkg::{
			BroadcastDerivationPhase2to4, BroadcastDerivationPhase3to4, ProofCommitment,
			TransmitInitMulPhase3to4, TransmitInitZeroSharePhase2to4,
			TransmitInitZeroSharePhase3to4,
		},
		Parameters, PublicKeyPackage,
	},
	utilities::proofs::DLogProof,
	DkgSession,
};
use k256::{AffinePoint, ProjectivePoint, Scalar, Secp256k1};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{feldman, guarded, lib_index, our_index, point_to_bytes, KeyShare, LibIndex, LibParty};
use crate::{
	rounds::{decode, encode, Inbox, Received, RoundSpec},
	DkgConfig, MpcError, OutgoingMessage, PartyIndex, Protocol, Recipient, Session, SessionId,
};

const ROUNDS: &[RoundSpec] = &[
	RoundSpec { broadcast: true, p2p: false },
	RoundSpec { broadcast: true, p2p: true },
	RoundSpec { broadcast: true, p2p: true },
	RoundSpec { broadcast: true, p2p: true },
	RoundSpec { broadcast: true, p2p: false },
];

#[derive(Serialize, Deserialize)]
struct Round1 {
	feldman_commitment: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct Round2Broadcast {
	feldman_points: Vec<AffinePoint>,
	/// The round-1 commitment we received from each party `1..=n` (our own included).
	echo: Vec<[u8; 32]>,
}

#[derive(Serialize, Deserialize)]
struct Round2Direct {
	share: Scalar,
}

#[derive(Serialize, Deserialize)]
struct Round3Broadcast {
	proof_commitment: [u8; 32],
	chain_code: BroadcastDerivationPhase2to4,
}

#[derive(Serialize, Deserialize)]
struct Round4Broadcast {
	proof: DLogProof<Secp256k1>,
	chain_code: BroadcastDerivationPhase3to4,
}

#[derive(Serialize, Deserialize)]
struct Round4Direct {
	zero_share: TransmitInitZeroSharePhase3to4,
	multiplication: TransmitInitMulPhase3to4<Secp256k1>,
}

#[derive(Serialize, Deserialize)]
struct Round5 {
	public_key: Vec<u8>,
	/// Digest of the round 2–4 broadcasts of each party `1..=n`, as we received them.
	transcript: Vec<[u8; 32]>,
}

/// One party's key-generation run for [`crate::Dkls23`].
pub struct Dkls23DkgSession {
	config: DkgConfig,
	inbox: Inbox,
	outbox: Vec<OutgoingMessage>,
	aborted: bool,
	finished: bool,
	output: Option<KeyShare>,

	library: Option<DkgSession<Secp256k1>>,
	/// Our polynomial at `1..=n` (secret until sent).
	evaluations: Zeroizing<Vec<Scalar>>,
	own_points: Vec<AffinePoint>,
	feldman_commitments: BTreeMap<PartyIndex, [u8; 32]>,
	/// `x_k·G` for every party `k`, from the Feldman commitments.
	expected_shares: BTreeMap<PartyIndex, AffinePoint>,
	own_proof: Option<ProofCommitment<Secp256k1>>,
	proof_commitments: BTreeMap<PartyIndex, [u8; 32]>,
	zero_share_commitments: Vec<TransmitInitZeroSharePhase2to4>,
	chain_code_commitments: BTreeMap<LibIndex, BroadcastDerivationPhase2to4>,
	chain_code_reveals: BTreeMap<LibIndex, BroadcastDerivationPhase3to4>,
	/// Running digest of each party's round 2–4 broadcasts.
	transcripts: BTreeMap<PartyIndex, Sha256>,
	result: Option<(LibParty, PublicKeyPackage<Secp256k1>)>,
	own_confirmation: Option<Round5>,
}

impl Dkls23DkgSession {
	pub(super) fn new(config: &DkgConfig) -> Result<Self, MpcError> {
		let DkgConfig { session_id, threshold, parties, me } = *config;
		let invalid = |reason: String| MpcError::InvalidParameters(reason);
		let (t, n) = match (u8::try_from(threshold), u8::try_from(parties)) {
			(Ok(t), Ok(n)) if t >= 2 && t <= n => (t, n),
			_ => {
				return Err(invalid(format!(
					"need 2 ≤ threshold ≤ parties ≤ 255, got {threshold}-of-{parties}"
				)))
			}
		};
		if me.get() > parties {
			return Err(invalid(format!("party {me} is not in 1..={parties}")));
		}
		let parameters = Parameters::new(t, n).map_err(|e| invalid(e.to_string()))?;
		let library_session = [&b"QSign/v1/dkls23/dkg"[..], &session_id.0, &[t, n]].concat();
		let library = DkgSession::<Secp256k1>::new(parameters, lib_index(me)?, library_session);
		let evaluations = Zeroizing::new(library.phase1());

		let all: Vec<PartyIndex> = (1..=parties).filter_map(PartyIndex::new).collect();
		let peers: BTreeSet<PartyIndex> = all.iter().copied().filter(|&p| p != me).collect();
		let own_points: Vec<AffinePoint> = evaluations
			.iter()
			.take(usize::from(t))
			.map(|s| (ProjectivePoint::GENERATOR * s).to_affine())
			.collect();
		let own_commitment = feldman::commitment(&session_id, me, &own_points);

		let mut session = Self {
			config: config.clone(),
			inbox: Inbox::new(Protocol::Dkg, session_id, me, peers, ROUNDS),
			outbox: Vec::new(),
			aborted: false,
			finished: false,
			output: None,
			library: Some(library),
			evaluations,
			own_points,
			feldman_commitments: BTreeMap::from([(me, own_commitment)]),
			expected_shares: BTreeMap::new(),
			own_proof: None,
			proof_commitments: BTreeMap::new(),
			zero_share_commitments: Vec::new(),
			chain_code_commitments: BTreeMap::new(),
			chain_code_reveals: BTreeMap::new(),
			transcripts: all.iter().map(|&p| (p, Sha256::new())).collect(),
			result: None,
			own_confirmation: None,
		};
		let payload = encode(&Round1 { feldman_commitment: own_commitment })?;
		session.outbox.push(session.inbox.outgoing(1, Recipient::Broadcast, &payload));
		Ok(session)
	}

	fn all_parties(&self) -> impl Iterator<Item = PartyIndex> {
		(1..=self.config.parties).filter_map(PartyIndex::new)
	}

	fn peers(&self) -> Vec<PartyIndex> {
		self.inbox.peers().iter().copied().collect()
	}

	/// Adds a broadcast payload of `party` to its transcript (rounds 2–4).
	fn record(&mut self, party: PartyIndex, round: u8, payload: &[u8]) {
		if let Some(hasher) = self.transcripts.get_mut(&party) {
			hasher.update([round]);
			hasher.update(u64::try_from(payload.len()).unwrap_or(u64::MAX).to_be_bytes());
			hasher.update(payload);
		}
	}

	fn broadcast(&mut self, round: u8, payload: &[u8]) {
		if (2..=4).contains(&round) {
			self.record(self.config.me, round, payload);
		}
		let message = self.inbox.outgoing(round, Recipient::Broadcast, payload);
		self.outbox.push(message);
	}

	fn send(&mut self, round: u8, to: PartyIndex, payload: &[u8]) {
		let message = self.inbox.outgoing(round, Recipient::Party(to), payload);
		self.outbox.push(message);
	}

	fn advance(&mut self) -> Result<(), MpcError> {
		while let Some(round) = self.inbox.next_round_ready() {
			let messages = self.inbox.take_round(round);
			match round {
				1 => self.round1(&messages)?,
				2 => self.round2(&messages)?,
				3 => self.round3(&messages)?,
				4 => self.round4(&messages)?,
				5 => self.round5(&messages)?,
				_ => return Err(MpcError::Internal(format!("no DKG round {round}"))),
			}
		}
		Ok(())
	}

	/// Round 1 received: everyone's Feldman commitment. Reveal ours and deal the shares.
	fn round1(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		for (&from, received) in messages {
			let message: Round1 =
				decode(from, "Feldman commitment", received.broadcast.as_deref())?;
			self.feldman_commitments.insert(from, message.feldman_commitment);
		}
		let echo = self.feldman_commitments.values().copied().collect();
		let payload = encode(&Round2Broadcast { feldman_points: self.own_points.clone(), echo })?;
		self.broadcast(2, &payload);
		for peer in self.peers() {
			let share = *self
				.evaluations
				.get(usize::from(peer.get()) - 1)
				.ok_or_else(|| MpcError::Internal("missing polynomial evaluation".into()))?;
			let payload = Zeroizing::new(encode(&Round2Direct { share })?);
			self.send(2, peer, &payload);
		}
		Ok(())
	}

	/// Round 2 received: Feldman points and shares. Check them, then run DKLs23 phase 2.
	fn round2(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let me = self.config.me;
		let session_id = self.config.session_id;
		let internal = || MpcError::Internal("missing DKG state".into());
		let own_share = *self.evaluations.get(usize::from(me.get()) - 1).ok_or_else(internal)?;
		let mut shares = Zeroizing::new(vec![own_share]);
		let mut points: BTreeMap<PartyIndex, Vec<AffinePoint>> =
			BTreeMap::from([(me, self.own_points.clone())]);
		let all: Vec<PartyIndex> = self.all_parties().collect();
		for (&from, received) in messages {
			let bytes = received.broadcast.as_deref();
			let message: Round2Broadcast = decode(from, "Feldman points", bytes)?;
			if message.echo.len() != all.len() {
				return Err(MpcError::MalformedMessage {
					from,
					reason: "echo of the wrong length".into(),
				});
			}
			for (&party, echoed) in all.iter().zip(&message.echo) {
				if self.feldman_commitments.get(&party) != Some(echoed) {
					return Err(if party == from || party == me {
						MpcError::Misbehaviour {
							party: from,
							reason: format!("misreports the round-1 commitment of party {party}"),
							ban: false,
						}
					} else {
						MpcError::Equivocation { party, witness: from }
					});
				}
			}
			let misbehaviour = |reason: &str| MpcError::Misbehaviour {
				party: from,
				reason: reason.into(),
				ban: false,
			};
			if message.feldman_points.len() != usize::from(self.config.threshold) {
				return Err(MpcError::MalformedMessage {
					from,
					reason: "wrong number of Feldman points".into(),
				});
			}
			if message.feldman_points.contains(&AffinePoint::IDENTITY) {
				return Err(misbehaviour("Feldman point at infinity"));
			}
			if self.feldman_commitments.get(&from)
				!= Some(&feldman::commitment(&session_id, from, &message.feldman_points))
			{
				return Err(misbehaviour("Feldman points do not match its round-1 commitment"));
			}
			let direct: Round2Direct = decode(from, "Shamir share", received.p2p.as_deref())?;
			let expected =
				feldman::evaluate(&message.feldman_points, me.get()).ok_or_else(internal)?;
			if ProjectivePoint::GENERATOR * direct.share != expected {
				return Err(misbehaviour(
					"its Shamir share for us is not on its committed polynomial",
				));
			}
			shares.push(direct.share);
			if let Some(bytes) = bytes {
				self.record(from, 2, bytes);
			}
			points.insert(from, message.feldman_points);
		}
		for &party in &all {
			let mut sum = ProjectivePoint::IDENTITY;
			for dealer_points in points.values() {
				sum += feldman::evaluate(dealer_points, party.get()).ok_or_else(internal)?;
			}
			self.expected_shares.insert(party, sum.to_affine());
		}

		let suspects = self.peers();
		let library = self.library.as_mut().ok_or_else(internal)?;
		let (proof, zero_share_commitments, chain_code) =
			guarded(&suspects, || library.phase2(&shares))?;
		self.evaluations.iter_mut().for_each(|s| *s = Scalar::ZERO);

		self.proof_commitments.insert(me, proof.commitment);
		self.chain_code_commitments.insert(lib_index(me)?, chain_code.clone());
		let payload = encode(&Round3Broadcast { proof_commitment: proof.commitment, chain_code })?;
		self.own_proof = Some(proof);
		self.broadcast(3, &payload);
		for message in zero_share_commitments {
			let payload = encode(&message)?;
			self.send(3, our_index(message.parties.receiver), &payload);
		}
		Ok(())
	}

	/// Round 3 received: proof and chain-code commitments, zero-share commitments.
	fn round3(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let me = self.config.me;
		for (&from, received) in messages {
			let bytes = received.broadcast.as_deref();
			let message: Round3Broadcast = decode(from, "proof commitment", bytes)?;
			if message.chain_code.sender_index != lib_index(from)? {
				return Err(MpcError::MalformedMessage {
					from,
					reason: "chain-code commitment of another party".into(),
				});
			}
			if let Some(bytes) = bytes {
				self.record(from, 3, bytes);
			}
			self.proof_commitments.insert(from, message.proof_commitment);
			self.chain_code_commitments.insert(lib_index(from)?, message.chain_code);
			let zero: TransmitInitZeroSharePhase2to4 =
				decode(from, "zero-share commitment", received.p2p.as_deref())?;
			super::check_route(from, me, &zero.parties)?;
			self.zero_share_commitments.push(zero);
		}

		let suspects = self.peers();
		let internal = || MpcError::Internal("missing DKG state".into());
		let library = self.library.as_mut().ok_or_else(internal)?;
		let (zero_shares, multiplications, chain_code) = guarded(&suspects, || library.phase3())?;
		let proof = self.own_proof.as_ref().ok_or_else(internal)?.proof.clone();
		self.chain_code_reveals.insert(lib_index(me)?, chain_code.clone());
		let payload = encode(&Round4Broadcast { proof, chain_code })?;
		self.broadcast(4, &payload);
		let mut zero_shares: BTreeMap<LibIndex, TransmitInitZeroSharePhase3to4> =
			zero_shares.into_iter().map(|m| (m.parties.receiver, m)).collect();
		for multiplication in multiplications {
			let receiver = multiplication.parties.receiver;
			let zero_share = zero_shares.remove(&receiver).ok_or_else(internal)?;
			let payload = Zeroizing::new(encode(&Round4Direct { zero_share, multiplication })?);
			self.send(4, our_index(receiver), &payload);
		}
		Ok(())
	}

	/// Round 4 received: proofs, chain codes, zero-share seeds and OT setup. Finish DKLs23.
	fn round4(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let me = self.config.me;
		let internal = || MpcError::Internal("missing DKG state".into());
		let mut proofs = vec![self.own_proof.clone().ok_or_else(internal)?];
		let mut zero_shares = Vec::new();
		let mut multiplications = Vec::new();
		for (&from, received) in messages {
			let bytes = received.broadcast.as_deref();
			let message: Round4Broadcast = decode(from, "DLog proof", bytes)?;
			if Some(&message.proof.point) != self.expected_shares.get(&from) {
				return Err(MpcError::Misbehaviour {
					party: from,
					reason: "its key-share point disagrees with the Feldman commitments".into(),
					ban: false,
				});
			}
			if message.chain_code.sender_index != lib_index(from)? {
				return Err(MpcError::MalformedMessage {
					from,
					reason: "chain code of another party".into(),
				});
			}
			if let Some(bytes) = bytes {
				self.record(from, 4, bytes);
			}
			let commitment = *self.proof_commitments.get(&from).ok_or_else(internal)?;
			proofs.push(ProofCommitment {
				index: lib_index(from)?,
				proof: message.proof,
				commitment,
			});
			self.chain_code_reveals.insert(lib_index(from)?, message.chain_code);
			let direct: Round4Direct = decode(from, "OT setup", received.p2p.as_deref())?;
			super::check_route(from, me, &direct.zero_share.parties)?;
			super::check_route(from, me, &direct.multiplication.parties)?;
			zero_shares.push(direct.zero_share);
			multiplications.push(direct.multiplication);
		}

		let suspects = self.peers();
		let library = self.library.take().ok_or_else(internal)?;
		let (party, package) = guarded(&suspects, || {
			library.phase4(
				&proofs,
				&self.zero_share_commitments,
				&zero_shares,
				&multiplications,
				&self.chain_code_commitments,
				&self.chain_code_reveals,
				|_| String::new(),
			)
		})?;
		let transcript = self.transcripts.values().map(|h| h.clone().finalize().into()).collect();
		let confirmation = Round5 { public_key: point_to_bytes(&party.pk).to_vec(), transcript };
		let payload = encode(&confirmation)?;
		self.broadcast(5, &payload);
		self.own_confirmation = Some(confirmation);
		self.result = Some((party, package));
		Ok(())
	}

	/// Round 5 received: everyone saw the same broadcasts and computed the same key.
	fn round5(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let me = self.config.me;
		let internal = || MpcError::Internal("missing DKG state".into());
		let own = self.own_confirmation.take().ok_or_else(internal)?;
		let all: Vec<PartyIndex> = self.all_parties().collect();
		for (&from, received) in messages {
			let message: Round5 = decode(from, "confirmation", received.broadcast.as_deref())?;
			if message.transcript.len() != all.len() {
				return Err(MpcError::MalformedMessage {
					from,
					reason: "transcript of the wrong length".into(),
				});
			}
			for ((&party, theirs), ours) in all.iter().zip(&message.transcript).zip(&own.transcript)
			{
				if theirs != ours {
					return Err(if party == from || party == me {
						MpcError::Misbehaviour {
							party: from,
							reason: format!("misreports the broadcasts of party {party}"),
							ban: false,
						}
					} else {
						MpcError::Equivocation { party, witness: from }
					});
				}
			}
			if message.public_key != own.public_key {
				return Err(MpcError::Misbehaviour {
					party: from,
					reason: "reports a different public key".into(),
					ban: false,
				});
			}
		}
		let (state, package) = self.result.take().ok_or_else(internal)?;
		let mut verification_shares = Vec::with_capacity(all.len());
		for &party in &all {
			let share = package.verifying_share(lib_index(party)?).ok_or_else(internal)?;
			verification_shares.push(point_to_bytes(share));
		}
		let public_key = point_to_bytes(&state.pk);
		self.output = Some(KeyShare {
			state,
			session_id: self.config.session_id,
			me,
			threshold: self.config.threshold,
			parties: self.config.parties,
			public_key,
			verification_shares,
		});
		self.finished = true;
		Ok(())
	}
}

impl core::fmt::Debug for Dkls23DkgSession {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("Dkls23DkgSession")
			.field("session_id", &self.config.session_id)
			.field("me", &self.config.me)
			.field("threshold", &self.config.threshold)
			.field("parties", &self.config.parties)
			.field("finished", &self.finished)
			.field("aborted", &self.aborted)
			.finish_non_exhaustive()
	}
}

impl Session for Dkls23DkgSession {
	type Output = KeyShare;

	fn session_id(&self) -> SessionId {
		self.config.session_id
	}

	fn me(&self) -> PartyIndex {
		self.config.me
	}

	fn handle_message(&mut self, from: PartyIndex, bytes: &[u8]) -> Result<(), MpcError> {
		if self.aborted {
			return Err(MpcError::SessionAborted);
		}
		let result = self.inbox.accept(from, bytes).and_then(|()| self.advance());
		if matches!(&result, Err(error) if error.is_fatal()) {
			self.aborted = true;
			self.outbox.clear();
			self.library = None;
			self.result = None;
			self.evaluations.iter_mut().for_each(|s| *s = Scalar::ZERO);
		}
		result
	}

	fn take_outgoing(&mut self) -> Vec<OutgoingMessage> {
		std::mem::take(&mut self.outbox)
	}

	fn is_finished(&self) -> bool {
		self.finished
	}

	fn take_output(&mut self) -> Option<KeyShare> {
		self.output.take()
	}
}
