//! The second half of DKLs23's key generation (Protocol 9.1 of eprint 2023/602, the library's
//! `DkgSession::phase2..4`), once every holder knows its Shamir fragments: proofs of knowledge
//! of every share, the key's consistency check, fresh zero-share seeds and OT-based
//! multiplication state between every pair of holders, and a confirmation round in which all
//! holders compare what they saw.
//!
//! Shared by key generation (rounds 3–5, fragments from fresh random polynomials) and
//! resharing (rounds 2–4, fragments from the old committee's re-sharing polynomials): the two
//! differ only in where the fragments come from.
//!
//! | step      | broadcast                                      | point-to-point                         |
//! |-----------|------------------------------------------------|----------------------------------------|
//! | commit    | hash of our DLog proof, chain-code commitment  | zero-share seed commitment             |
//! | reveal    | DLog proof, chain-code reveal                  | zero-share seed, OT/multiplication setup |
//! | confirm   | public key and digests of everyone's broadcasts | –                                     |

use std::collections::BTreeMap;

use dkls23::{
	protocols::{
		dkg::{
			BroadcastDerivationPhase2to4, BroadcastDerivationPhase3to4, ProofCommitment,
			TransmitInitMulPhase3to4, TransmitInitZeroSharePhase2to4,
			TransmitInitZeroSharePhase3to4,
		},
		PublicKeyPackage,
	},
	utilities::proofs::DLogProof,
	DkgSession,
};
use k256::{AffinePoint, Scalar, Secp256k1};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{guarded, lib_index, our_index, point_to_bytes, LibIndex, LibParty};
use crate::{
	rounds::{compare_echo, decode, Received},
	MpcError, PartyIndex,
};

/// Broadcast of the commit step.
#[derive(Serialize, Deserialize)]
pub(super) struct CommitBroadcast {
	proof_commitment: [u8; 32],
	chain_code: BroadcastDerivationPhase2to4,
}

/// Broadcast of the reveal step.
#[derive(Serialize, Deserialize)]
struct RevealBroadcast {
	proof: DLogProof<Secp256k1>,
	chain_code: BroadcastDerivationPhase3to4,
}

/// Point-to-point message of the reveal step.
#[derive(Serialize, Deserialize)]
struct RevealDirect {
	zero_share: TransmitInitZeroSharePhase3to4,
	multiplication: TransmitInitMulPhase3to4<Secp256k1>,
}

/// Broadcast of the confirm step.
#[derive(Serialize, Deserialize)]
struct Confirmation {
	public_key: Vec<u8>,
	/// Digest of the recorded broadcasts of each holder `1..=n`, as we received them.
	transcript: Vec<[u8; 32]>,
}

/// Messages a step produces: one broadcast payload and point-to-point payloads.
pub(super) struct StepOutput {
	/// The broadcast payload (already encoded).
	pub broadcast: Vec<u8>,
	/// `(receiver, encoded payload)` for each point-to-point message.
	pub direct: Vec<(PartyIndex, zeroize::Zeroizing<Vec<u8>>)>,
}

/// One holder's state through the commit, reveal and confirm steps.
pub(super) struct KeyTail {
	me: PartyIndex,
	/// Every holder `1..=n`, ourselves included.
	holders: Vec<PartyIndex>,
	library: Option<DkgSession<Secp256k1>>,
	/// `x_k·G` for every holder `k`, as the fragments' Feldman commitments predict.
	expected_shares: BTreeMap<PartyIndex, AffinePoint>,
	own_proof: Option<ProofCommitment<Secp256k1>>,
	proof_commitments: BTreeMap<PartyIndex, [u8; 32]>,
	zero_share_commitments: Vec<TransmitInitZeroSharePhase2to4>,
	chain_code_commitments: BTreeMap<LibIndex, BroadcastDerivationPhase2to4>,
	chain_code_reveals: BTreeMap<LibIndex, BroadcastDerivationPhase3to4>,
	/// Running digest of each holder's recorded broadcasts.
	transcripts: BTreeMap<PartyIndex, Sha256>,
	result: Option<(LibParty, PublicKeyPackage<Secp256k1>)>,
	own_confirmation: Option<Confirmation>,
}

fn internal() -> MpcError {
	MpcError::Internal("missing key-generation state".into())
}

impl KeyTail {
	/// A tail for holder `me` of `1..=holders`, driving `library` (a fresh library session).
	pub fn new(me: PartyIndex, holders: u16, library: DkgSession<Secp256k1>) -> Self {
		let holders: Vec<PartyIndex> = (1..=holders).filter_map(PartyIndex::new).collect();
		Self {
			me,
			transcripts: holders.iter().map(|&p| (p, Sha256::new())).collect(),
			holders,
			library: Some(library),
			expected_shares: BTreeMap::new(),
			own_proof: None,
			proof_commitments: BTreeMap::new(),
			zero_share_commitments: Vec::new(),
			chain_code_commitments: BTreeMap::new(),
			chain_code_reveals: BTreeMap::new(),
			result: None,
			own_confirmation: None,
		}
	}

	fn peers(&self) -> Vec<PartyIndex> {
		self.holders.iter().copied().filter(|&p| p != self.me).collect()
	}

	/// Adds a broadcast payload of `party` of `round` to its transcript (compared in the
	/// confirm step).
	pub fn record(&mut self, party: PartyIndex, round: u8, payload: &[u8]) {
		if let Some(hasher) = self.transcripts.get_mut(&party) {
			hasher.update([round]);
			hasher.update(u64::try_from(payload.len()).unwrap_or(u64::MAX).to_be_bytes());
			hasher.update(payload);
		}
	}

	/// Commit step: our share is the sum of `fragments`; every holder `k`'s share must prove
	/// to be `expected_shares[k]` (from the dealers' Feldman commitments). The caller records
	/// the broadcast it sends (it may wrap the returned one).
	pub fn commit(
		&mut self,
		fragments: &[Scalar],
		expected_shares: BTreeMap<PartyIndex, AffinePoint>,
	) -> Result<StepOutput, MpcError> {
		self.expected_shares = expected_shares;
		let suspects = self.peers();
		let library = self.library.as_mut().ok_or_else(internal)?;
		let (proof, zero_share_commitments, chain_code) =
			guarded(&suspects, || library.phase2(fragments))?;
		self.proof_commitments.insert(self.me, proof.commitment);
		self.chain_code_commitments.insert(lib_index(self.me)?, chain_code.clone());
		let broadcast = crate::rounds::encode(&CommitBroadcast {
			proof_commitment: proof.commitment,
			chain_code,
		})?;
		self.own_proof = Some(proof);
		let direct = zero_share_commitments
			.iter()
			.map(|m| {
				Ok((
					our_index(m.parties.receiver),
					zeroize::Zeroizing::new(crate::rounds::encode(m)?),
				))
			})
			.collect::<Result<_, MpcError>>()?;
		Ok(StepOutput { broadcast, direct })
	}

	/// Takes one holder's commit broadcast (decoded by the caller, which may have wrapped it)
	/// and its point-to-point message.
	pub fn accept_commit(
		&mut self,
		round: u8,
		from: PartyIndex,
		message: CommitBroadcast,
		raw_broadcast: &[u8],
		received: &Received,
	) -> Result<(), MpcError> {
		if message.chain_code.sender_index != lib_index(from)? {
			return Err(MpcError::MalformedMessage {
				from,
				reason: "chain-code commitment of another party".into(),
			});
		}
		self.record(from, round, raw_broadcast);
		self.proof_commitments.insert(from, message.proof_commitment);
		self.chain_code_commitments.insert(lib_index(from)?, message.chain_code);
		let zero: TransmitInitZeroSharePhase2to4 =
			decode(from, "zero-share commitment", received.p2p.as_deref())?;
		super::check_route(from, self.me, &zero.parties)?;
		self.zero_share_commitments.push(zero);
		Ok(())
	}

	/// Reveal step, once every commit was accepted.
	pub fn reveal(&mut self, round: u8) -> Result<StepOutput, MpcError> {
		let suspects = self.peers();
		let library = self.library.as_mut().ok_or_else(internal)?;
		let (zero_shares, multiplications, chain_code) = guarded(&suspects, || library.phase3())?;
		let proof = self.own_proof.as_ref().ok_or_else(internal)?.proof.clone();
		self.chain_code_reveals.insert(lib_index(self.me)?, chain_code.clone());
		let broadcast = crate::rounds::encode(&RevealBroadcast { proof, chain_code })?;
		self.record(self.me, round, &broadcast);
		let mut zero_shares: BTreeMap<LibIndex, TransmitInitZeroSharePhase3to4> =
			zero_shares.into_iter().map(|m| (m.parties.receiver, m)).collect();
		let mut direct = Vec::with_capacity(multiplications.len());
		for multiplication in multiplications {
			let receiver = multiplication.parties.receiver;
			let zero_share = zero_shares.remove(&receiver).ok_or_else(internal)?;
			let payload = crate::rounds::encode(&RevealDirect { zero_share, multiplication })?;
			direct.push((our_index(receiver), zeroize::Zeroizing::new(payload)));
		}
		Ok(StepOutput { broadcast, direct })
	}

	/// Takes the reveal messages of every other holder, finishes the library's key generation
	/// and returns the confirm step's broadcast.
	pub fn accept_reveals(
		&mut self,
		round: u8,
		messages: &BTreeMap<PartyIndex, Received>,
	) -> Result<Vec<u8>, MpcError> {
		let me = self.me;
		let mut proofs = vec![self.own_proof.clone().ok_or_else(internal)?];
		let mut zero_shares = Vec::new();
		let mut multiplications = Vec::new();
		for (&from, received) in messages {
			let bytes = received.broadcast.as_deref();
			let message: RevealBroadcast = decode(from, "DLog proof", bytes)?;
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
				self.record(from, round, bytes);
			}
			let commitment = *self.proof_commitments.get(&from).ok_or_else(internal)?;
			proofs.push(ProofCommitment {
				index: lib_index(from)?,
				proof: message.proof,
				commitment,
			});
			self.chain_code_reveals.insert(lib_index(from)?, message.chain_code);
			let direct: RevealDirect = decode(from, "OT setup", received.p2p.as_deref())?;
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
		let confirmation =
			Confirmation { public_key: point_to_bytes(&party.pk).to_vec(), transcript };
		let payload = crate::rounds::encode(&confirmation)?;
		self.own_confirmation = Some(confirmation);
		self.result = Some((party, package));
		Ok(payload)
	}

	/// Checks every other holder's confirmation: same broadcasts seen, same key computed.
	/// Returns our library state and every holder's verification share `x_k·G`.
	pub fn accept_confirmations(
		&mut self,
		messages: &BTreeMap<PartyIndex, Received>,
	) -> Result<(LibParty, Vec<[u8; 33]>), MpcError> {
		let me = self.me;
		let own = self.own_confirmation.take().ok_or_else(internal)?;
		for (&from, received) in messages {
			let message: Confirmation =
				decode(from, "confirmation", received.broadcast.as_deref())?;
			let ours = self.holders.iter().copied().zip(&own.transcript);
			compare_echo(from, me, ours, &message.transcript, "the broadcasts")?;
			if message.public_key != own.public_key {
				return Err(MpcError::Misbehaviour {
					party: from,
					reason: "reports a different public key".into(),
					ban: false,
				});
			}
		}
		let (state, package) = self.result.take().ok_or_else(internal)?;
		let mut verification_shares = Vec::with_capacity(self.holders.len());
		for &party in &self.holders {
			let share = package.verifying_share(lib_index(party)?).ok_or_else(internal)?;
			verification_shares.push(point_to_bytes(share));
		}
		Ok((state, verification_shares))
	}

	/// Drops all secret state (after a fatal error).
	pub fn clear(&mut self) {
		self.library = None;
		self.result = None;
	}
}
