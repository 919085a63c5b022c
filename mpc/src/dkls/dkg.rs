//! Distributed key generation session (DKLs23 DKG plus Feldman and echo checks).
//!
//! Rounds 3–5 are the shared [`super::tail`] (the library's phases 2–4 and a confirmation).
//!
//! | round | broadcast                                        | point-to-point                     |
//! |-------|--------------------------------------------------|------------------------------------|
//! | 1     | hash of our Feldman points                        | –                                  |
//! | 2     | Feldman points, echo of all round-1 hashes        | our polynomial at the receiver     |
//! | 3     | hash of our DLog proof, chain-code commitment     | zero-share seed commitment         |
//! | 4     | DLog proof, chain-code reveal                     | zero-share seed, OT/multiplication setup |
//! | 5     | public key and digests of everyone's broadcasts   | –                                  |

use std::collections::{BTreeMap, BTreeSet};

use dkls23::{protocols::Parameters, DkgSession};
use k256::{AffinePoint, ProjectivePoint, Scalar, Secp256k1};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{
	feldman, lib_index,
	tail::{CommitBroadcast, KeyTail, StepOutput},
	KeyShare,
};
use crate::{
	rounds::{compare_echo, decode, encode, Inbox, Received, RoundSpec},
	DealFault, DkgConfig, MpcError, OutgoingMessage, PartyIndex, Protocol, Recipient, Session,
	SessionId,
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

/// One party's key-generation run for [`crate::Dkls23`].
pub struct Dkls23DkgSession {
	config: DkgConfig,
	inbox: Inbox,
	outbox: Vec<OutgoingMessage>,
	aborted: bool,
	finished: bool,
	output: Option<KeyShare>,

	/// Our polynomial at `1..=n` (secret until sent).
	evaluations: Zeroizing<Vec<Scalar>>,
	own_points: Vec<AffinePoint>,
	feldman_commitments: BTreeMap<PartyIndex, [u8; 32]>,
	/// Rounds 3–5: the library's phases 2–4 and the confirmation.
	tail: KeyTail,
	/// Misbehaviour to commit (tests only).
	fault: Option<DealFault>,
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
			evaluations,
			own_points,
			feldman_commitments: BTreeMap::from([(me, own_commitment)]),
			tail: KeyTail::new(me, parties, library),
			fault: None,
		};
		let payload = encode(&Round1 { feldman_commitment: own_commitment })?;
		session.outbox.push(session.inbox.outgoing(1, Recipient::Broadcast, &payload));
		Ok(session)
	}

	/// Makes this party misbehave as `fault` says (to test that the others detect it). Call
	/// it right after starting the run.
	pub fn inject_fault(&mut self, fault: DealFault) {
		self.fault = Some(fault);
	}

	fn all_parties(&self) -> impl Iterator<Item = PartyIndex> {
		(1..=self.config.parties).filter_map(PartyIndex::new)
	}

	fn peers(&self) -> Vec<PartyIndex> {
		self.inbox.peers().iter().copied().collect()
	}

	fn broadcast(&mut self, round: u8, payload: &[u8]) {
		let message = self.inbox.outgoing(round, Recipient::Broadcast, payload);
		self.outbox.push(message);
	}

	fn send(&mut self, round: u8, to: PartyIndex, payload: &[u8]) {
		let message = self.inbox.outgoing(round, Recipient::Party(to), payload);
		self.outbox.push(message);
	}

	fn send_step(&mut self, round: u8, step: StepOutput) {
		self.broadcast(round, &step.broadcast);
		for (to, payload) in step.direct {
			self.send(round, to, &payload);
		}
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
		self.tail.record(self.config.me, 2, &payload);
		self.broadcast(2, &payload);
		let first_peer = self.peers().first().copied();
		for peer in self.peers() {
			let mut share = *self
				.evaluations
				.get(usize::from(peer.get()) - 1)
				.ok_or_else(|| MpcError::Internal("missing polynomial evaluation".into()))?;
			if self.fault == Some(DealFault::WrongFragment) && Some(peer) == first_peer {
				share += Scalar::ONE;
			}
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
			if self.feldman_commitments.len() != all.len() {
				return Err(internal());
			}
			let ours = self.feldman_commitments.iter().map(|(&p, c)| (p, c));
			compare_echo(from, me, ours, &message.echo, "the round-1 commitment")?;
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
				return Err(MpcError::InvalidFragment { dealer: from, round: 2 });
			}
			shares.push(direct.share);
			if let Some(bytes) = bytes {
				self.tail.record(from, 2, bytes);
			}
			points.insert(from, message.feldman_points);
		}
		let mut expected_shares = BTreeMap::new();
		for &party in &all {
			let mut sum = ProjectivePoint::IDENTITY;
			for dealer_points in points.values() {
				sum += feldman::evaluate(dealer_points, party.get()).ok_or_else(internal)?;
			}
			expected_shares.insert(party, sum.to_affine());
		}
		let step = self.tail.commit(&shares, expected_shares)?;
		self.tail.record(me, 3, &step.broadcast);
		self.evaluations.iter_mut().for_each(|s| *s = Scalar::ZERO);
		self.send_step(3, step);
		Ok(())
	}

	/// Round 3 received: proof and chain-code commitments, zero-share commitments.
	fn round3(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		for (&from, received) in messages {
			let bytes = received.broadcast.as_deref().unwrap_or_default();
			let message: CommitBroadcast =
				decode(from, "proof commitment", received.broadcast.as_deref())?;
			self.tail.accept_commit(3, from, message, bytes, received)?;
		}
		let step = self.tail.reveal(4)?;
		self.send_step(4, step);
		Ok(())
	}

	/// Round 4 received: proofs, chain codes, zero-share seeds and OT setup. Finish DKLs23.
	fn round4(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let payload = self.tail.accept_reveals(4, messages)?;
		self.broadcast(5, &payload);
		Ok(())
	}

	/// Round 5 received: everyone saw the same broadcasts and computed the same key.
	fn round5(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let (state, verification_shares) = self.tail.accept_confirmations(messages)?;
		let public_key = super::point_to_bytes(&state.pk);
		self.output = Some(KeyShare {
			state,
			session_id: self.config.session_id,
			me: self.config.me,
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
			self.tail.clear();
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
