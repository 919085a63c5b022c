//! Resharing the root key to a new committee: verifiable secret redistribution
//! (Desmedt–Jajodia, Wong–Wang–Wing) into the library's own key-generation phases. Design and
//! security argument: `docs/design/committee-handover.md` §2.
//!
//! | round | sender    | broadcast                                     | point-to-point              |
//! |-------|-----------|-----------------------------------------------|-----------------------------|
//! | 1     | dealers   | Feldman points of `g_j` (`g_j(0) = λ_j·x_j`)  | `g_j(i)` to each receiver   |
//! | 2     | receivers | echo of the dealings, commit step of the tail | zero-share commitment       |
//! | 3     | receivers | reveal step of the tail                       | zero-share seed, OT setup   |
//! | 4     | receivers | confirm step of the tail                      | –                           |
//!
//! Rounds 2–4 are [`super::tail`], the same code as key generation's rounds 3–5.

use std::collections::{BTreeMap, BTreeSet};

use dkls23::{protocols::Parameters, DkgSession};
use k256::{
	elliptic_curve::ops::Reduce, AffinePoint, ProjectivePoint, Scalar, Secp256k1, WideBytes,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{
	feldman, lib_index, point_from_bytes, point_to_bytes,
	tail::{CommitBroadcast, KeyTail, StepOutput},
	KeyShare,
};
use crate::{
	rounds::{compare_echo, decode, encode, Inbox, Received, RoundSpec},
	DealFault, MpcError, OutgoingMessage, PartyIndex, Protocol, Recipient, ReshareConfig,
	ReshareOutcome, Session, SessionId,
};

const ROUNDS: &[RoundSpec] = &[
	RoundSpec { broadcast: true, p2p: true },
	RoundSpec { broadcast: true, p2p: true },
	RoundSpec { broadcast: true, p2p: true },
	RoundSpec { broadcast: true, p2p: false },
];

/// A dealer's public commitment to its re-sharing polynomial.
#[derive(Serialize, Deserialize)]
struct Dealing {
	/// `(g_j(1)·G, …, g_j(t')·G)`.
	feldman_points: Vec<AffinePoint>,
}

/// A dealer's fragment for one receiver.
#[derive(Serialize, Deserialize)]
struct Fragment {
	value: Scalar,
}

/// A receiver's round-2 broadcast.
#[derive(Serialize, Deserialize)]
struct Round2 {
	/// Digest of each dealer's round-1 broadcast as we received it, in dealer order.
	echo: Vec<[u8; 32]>,
	commit: CommitBroadcast,
}

/// What a receiver checks and computes (absent for a dealer that receives nothing).
struct Receiving {
	/// `X_j = x_j·G` of every old member, by old index (only if we hold an old share).
	old_verification_shares: Option<Vec<[u8; 33]>>,
	/// Our fragment from ourselves and our Feldman points, if we are also a dealer.
	own_fragment: Option<Zeroizing<Scalar>>,
	own_points: Option<Vec<AffinePoint>>,
	/// Digest of each dealer's round-1 broadcast, by run index.
	dealings: BTreeMap<PartyIndex, [u8; 32]>,
	tail: KeyTail,
}

/// One participant's run of a reshare for [`crate::Dkls23`].
pub struct Dkls23ReshareSession {
	config: ReshareConfig,
	inbox: Inbox,
	outbox: Vec<OutgoingMessage>,
	aborted: bool,
	finished: bool,
	output: Option<ReshareOutcome>,
	receiving: Option<Receiving>,
}

/// `λ_j(0)` over the old indices `set` (distinct and non-zero).
fn lagrange_at_zero(j: PartyIndex, set: &[PartyIndex]) -> Option<Scalar> {
	let xj = Scalar::from(u64::from(j.get()));
	let mut numerator = Scalar::ONE;
	let mut denominator = Scalar::ONE;
	for &m in set.iter().filter(|&&m| m != j) {
		let xm = Scalar::from(u64::from(m.get()));
		numerator *= xm;
		denominator *= xm - xj;
	}
	let inverse: Option<Scalar> = denominator.invert().into();
	Some(numerator * inverse?)
}

/// A uniformly random scalar (64 bytes from the OS, reduced: bias below 2⁻²⁵⁶).
fn random_scalar() -> Result<Scalar, MpcError> {
	let mut bytes = Zeroizing::new([0u8; 64]);
	getrandom::getrandom(&mut bytes[..])
		.map_err(|e| MpcError::Internal(format!("no randomness: {e}")))?;
	Ok(<Scalar as Reduce<WideBytes>>::reduce(&WideBytes::from(*bytes)))
}

fn dealing_digest(session: &SessionId, payload: &[u8]) -> [u8; 32] {
	let mut hasher = Sha256::new();
	hasher.update(b"QSign/v1/reshare/dealing");
	hasher.update(session.0);
	hasher.update(payload);
	hasher.finalize().into()
}

impl Dkls23ReshareSession {
	pub(super) fn new(
		config: &ReshareConfig,
		old_share: Option<&KeyShare>,
	) -> Result<Self, MpcError> {
		let invalid = |reason: String| MpcError::InvalidParameters(reason);
		let ReshareConfig { session_id, public_key, new_threshold, new_parties, me, .. } = *config;
		let (t, n) = match (u8::try_from(new_threshold), u8::try_from(new_parties)) {
			(Ok(t), Ok(n)) if t >= 2 && t <= n => (t, n),
			_ => {
				return Err(invalid(format!(
					"need 2 ≤ threshold ≤ parties ≤ 255, got {new_threshold}-of-{new_parties}"
				)))
			}
		};
		point_from_bytes(&public_key)
			.ok_or_else(|| invalid("the root public key is not a valid point".into()))?;
		let runs: BTreeSet<PartyIndex> = config.dealers.iter().map(|d| d.0).collect();
		let olds: BTreeSet<PartyIndex> = config.dealers.iter().map(|d| d.1).collect();
		if config.dealers.len() < 2
			|| runs.len() != config.dealers.len()
			|| olds.len() != config.dealers.len()
		{
			return Err(invalid("need at least 2 dealers, with distinct indices".into()));
		}
		if runs.iter().any(|p| p.get() > 255) {
			return Err(invalid("dealer index over 255".into()));
		}
		let dealer = config.dealers.iter().find(|d| d.0 == me).map(|d| d.1);
		let receiver = me.get() <= new_parties;
		if dealer.is_none() && !receiver {
			return Err(invalid(format!("party {me} neither deals nor receives")));
		}
		if let Some(share) = old_share {
			if share.public_key != public_key {
				return Err(invalid("our old share is of another key".into()));
			}
			if let Some(outsider) = olds.iter().find(|p| p.get() > share.parties) {
				return Err(invalid(format!("dealer {outsider} is not an old member")));
			}
		}
		let participants: BTreeSet<PartyIndex> =
			(1..=new_parties).filter_map(PartyIndex::new).chain(runs.iter().copied()).collect();
		let peers: BTreeSet<PartyIndex> =
			participants.iter().copied().filter(|&p| p != me).collect();

		// Round 1, as a dealer: share λ_j·x_j with a fresh polynomial of degree t' − 1.
		let mut outbox = Vec::new();
		let mut own_fragment = None;
		let mut own_dealing = None;
		let mut own_points = None;
		let header = Inbox::new(Protocol::Reshare, session_id, me, peers.clone(), ROUNDS);
		if let Some(old_index) = dealer {
			let share = old_share.ok_or_else(|| invalid("a dealer needs its old share".into()))?;
			if share.me != old_index {
				return Err(invalid(format!(
					"our old share has index {}, the config says {old_index}",
					share.me
				)));
			}
			if usize::from(share.threshold) != config.dealers.len() {
				return Err(invalid(format!(
					"{} dealers for an old threshold of {}",
					config.dealers.len(),
					share.threshold
				)));
			}
			let old_set: Vec<PartyIndex> = olds.iter().copied().collect();
			let lambda = lagrange_at_zero(old_index, &old_set)
				.ok_or_else(|| MpcError::Internal("Lagrange coefficient".into()))?;
			let mut coefficients = Zeroizing::new(vec![lambda * share.state.poly_point]);
			for _ in 1..t {
				coefficients.push(random_scalar()?);
			}
			let evaluate = |x: u16| {
				let x = Scalar::from(u64::from(x));
				coefficients.iter().rev().fold(Scalar::ZERO, |acc, c| acc * x + c)
			};
			let feldman_points: Vec<AffinePoint> = (1..=u16::from(t))
				.map(|x| (ProjectivePoint::GENERATOR * evaluate(x)).to_affine())
				.collect();
			let payload = encode(&Dealing { feldman_points: feldman_points.clone() })?;
			own_points = Some(feldman_points);
			own_dealing = Some(dealing_digest(&session_id, &payload));
			outbox.push(header.outgoing(1, Recipient::Broadcast, &payload));
			for i in (1..=new_parties).filter_map(PartyIndex::new) {
				let value = evaluate(i.get());
				if i == me {
					own_fragment = Some(Zeroizing::new(value));
				} else {
					let payload = Zeroizing::new(encode(&Fragment { value })?);
					outbox.push(header.outgoing(1, Recipient::Party(i), &payload));
				}
			}
		}

		let others = |set: &BTreeSet<PartyIndex>| -> BTreeSet<PartyIndex> {
			set.iter().copied().filter(|&p| p != me).collect()
		};
		let receivers: BTreeSet<PartyIndex> =
			(1..=new_parties).filter_map(PartyIndex::new).collect();
		let (senders, receiving) = if receiver {
			let parameters = Parameters::new(t, n).map_err(|e| invalid(e.to_string()))?;
			let library_session =
				[&b"QSign/v1/dkls23/reshare"[..], &session_id.0, &[t, n]].concat();
			let library = DkgSession::<Secp256k1>::new(parameters, lib_index(me)?, library_session);
			let mut dealings = BTreeMap::new();
			if let Some(digest) = own_dealing {
				dealings.insert(me, digest);
			}
			let receiving = Receiving {
				old_verification_shares: old_share.map(|s| s.verification_shares.clone()),
				own_fragment,
				own_points,
				dealings,
				tail: KeyTail::new(me, new_parties, library),
			};
			let rest = others(&receivers);
			(vec![others(&runs), rest.clone(), rest.clone(), rest], Some(receiving))
		} else {
			(vec![BTreeSet::new(); ROUNDS.len()], None)
		};
		let finished = receiving.is_none();
		Ok(Self {
			config: config.clone(),
			inbox: Inbox::with_senders(Protocol::Reshare, session_id, me, peers, ROUNDS, senders),
			outbox,
			aborted: false,
			finished,
			output: finished.then_some(ReshareOutcome::Dealt),
			receiving,
		})
	}

	/// Makes this party misbehave as `fault` says (to test that the others detect it). Call
	/// it right after starting the run: a dealer's fragments are already queued, and the one for
	/// the first other receiver is replaced.
	pub fn inject_fault(&mut self, fault: DealFault) {
		match fault {
			DealFault::WrongFragment => {
				let me = self.config.me;
				let target = self
					.outbox
					.iter_mut()
					.filter(|m| matches!(m.to, Recipient::Party(p) if p != me))
					.min_by_key(|m| match m.to {
						Recipient::Party(p) => p.get(),
						Recipient::Broadcast => u16::MAX,
					});
				let Some(message) = target else { return };
				let Some(payload) = message.bytes.get(crate::wire::HEADER_LEN..) else { return };
				let Ok(fragment) = postcard::from_bytes::<Fragment>(payload) else { return };
				let wrong = Fragment { value: fragment.value + Scalar::ONE };
				if let Ok(payload) = encode(&wrong) {
					message.bytes.truncate(crate::wire::HEADER_LEN);
					message.bytes.extend_from_slice(&payload);
				}
			}
		}
	}

	fn internal() -> MpcError {
		MpcError::Internal("missing reshare state".into())
	}

	fn receiving(&mut self) -> Result<&mut Receiving, MpcError> {
		self.receiving.as_mut().ok_or_else(Self::internal)
	}

	fn send_step(&mut self, round: u8, step: StepOutput) {
		self.outbox.push(self.inbox.outgoing(round, Recipient::Broadcast, &step.broadcast));
		for (to, payload) in step.direct {
			self.outbox.push(self.inbox.outgoing(round, Recipient::Party(to), &payload));
		}
	}

	fn advance(&mut self) -> Result<(), MpcError> {
		while let Some(round) = self.inbox.next_round_ready() {
			let messages = self.inbox.take_round(round);
			match round {
				1 => self.round1(&messages)?,
				2 => self.round2(&messages)?,
				3 => {
					let payload = self.receiving()?.tail.accept_reveals(3, &messages)?;
					self.outbox.push(self.inbox.outgoing(4, Recipient::Broadcast, &payload));
				}
				4 => self.round4(&messages)?,
				_ => return Err(MpcError::Internal(format!("no reshare round {round}"))),
			}
		}
		Ok(())
	}

	/// Round 1 received: every dealer's Feldman points and our fragment from it.
	fn round1(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let config = self.config.clone();
		let me = config.me;
		let internal = Self::internal;
		let old_set: Vec<PartyIndex> = config.dealers.iter().map(|d| d.1).collect();
		let threshold = usize::from(config.new_threshold);
		let receiving = self.receiving()?;
		let mut fragments = Zeroizing::new(Vec::with_capacity(config.dealers.len()));
		if let Some(own) = &receiving.own_fragment {
			fragments.push(**own);
		}
		// Every dealer's points, ours included (recomputed from our own broadcast below).
		let mut points: BTreeMap<PartyIndex, Vec<AffinePoint>> = BTreeMap::new();
		let mut constant_sum = ProjectivePoint::IDENTITY;
		for &(run, old) in &config.dealers {
			let received = if run == me { None } else { messages.get(&run) };
			let Some(received) = received else { continue };
			let bytes = received.broadcast.as_deref();
			let dealing: Dealing = decode(run, "dealing", bytes)?;
			let misbehaviour = |reason: &str| MpcError::Misbehaviour {
				party: run,
				reason: reason.into(),
				ban: false,
			};
			if dealing.feldman_points.len() != threshold {
				return Err(MpcError::MalformedMessage {
					from: run,
					reason: format!(
						"{} Feldman points for a threshold of {threshold}",
						dealing.feldman_points.len()
					),
				});
			}
			if dealing.feldman_points.contains(&AffinePoint::IDENTITY) {
				return Err(misbehaviour("Feldman point at infinity"));
			}
			let constant = feldman::evaluate(&dealing.feldman_points, 0).ok_or_else(internal)?;
			if let Some(old_shares) = &receiving.old_verification_shares {
				let lambda = lagrange_at_zero(old, &old_set).ok_or_else(internal)?;
				let verification = old_shares
					.get(usize::from(old.get()) - 1)
					.and_then(point_from_bytes)
					.ok_or_else(internal)?;
				if constant != ProjectivePoint::from(verification) * lambda {
					return Err(misbehaviour(
						"its re-sharing polynomial does not hide its old share (constant term)",
					));
				}
			}
			let fragment: Fragment = decode(run, "fragment", received.p2p.as_deref())?;
			let expected =
				feldman::evaluate(&dealing.feldman_points, me.get()).ok_or_else(internal)?;
			if ProjectivePoint::GENERATOR * fragment.value != expected {
				return Err(MpcError::InvalidFragment { dealer: run, round: 1 });
			}
			constant_sum += constant;
			fragments.push(fragment.value);
			receiving
				.dealings
				.insert(run, dealing_digest(&config.session_id, bytes.unwrap_or_default()));
			points.insert(run, dealing.feldman_points);
		}
		if let Some(own) = receiving.own_points.take() {
			constant_sum += feldman::evaluate(&own, 0).ok_or_else(internal)?;
			points.insert(me, own);
		}
		let root = point_from_bytes(&config.public_key).ok_or_else(internal)?;
		if constant_sum != ProjectivePoint::from(root) {
			return Err(MpcError::ProtocolFailure {
				reason: "the dealers' constant terms do not add up to the root key".into(),
				suspects: config.dealers.iter().map(|d| d.0).collect(),
			});
		}
		let mut expected_shares = BTreeMap::new();
		for k in (1..=config.new_parties).filter_map(PartyIndex::new) {
			let mut sum = ProjectivePoint::IDENTITY;
			for dealer_points in points.values() {
				sum += feldman::evaluate(dealer_points, k.get()).ok_or_else(internal)?;
			}
			expected_shares.insert(k, sum.to_affine());
		}
		let receiving = self.receiving()?;
		let echo: Vec<[u8; 32]> = receiving.dealings.values().copied().collect();
		let step = receiving.tail.commit(&fragments, expected_shares)?;
		receiving.own_fragment = None;
		let commit: CommitBroadcast = decode(me, "our own commit", Some(&step.broadcast))?;
		let payload = encode(&Round2 { echo, commit })?;
		receiving.tail.record(me, 2, &payload);
		self.send_step(2, StepOutput { broadcast: payload, direct: step.direct });
		Ok(())
	}

	/// Round 2 received: everyone saw the same dealings; the tail's commit step.
	fn round2(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let me = self.config.me;
		let receiving = self.receiving()?;
		for (&from, received) in messages {
			let bytes = received.broadcast.as_deref().unwrap_or_default();
			let message: Round2 =
				decode(from, "echo and commitment", received.broadcast.as_deref())?;
			let ours = receiving.dealings.iter().map(|(&p, d)| (p, d));
			compare_echo(from, me, ours, &message.echo, "the dealing")?;
			receiving.tail.accept_commit(2, from, message.commit, bytes, received)?;
		}
		let step = receiving.tail.reveal(3)?;
		self.send_step(3, step);
		Ok(())
	}

	/// Round 4 received: everyone confirmed the same transcript and key.
	fn round4(&mut self, messages: &BTreeMap<PartyIndex, Received>) -> Result<(), MpcError> {
		let (state, verification_shares) = self.receiving()?.tail.accept_confirmations(messages)?;
		let public_key = point_to_bytes(&state.pk);
		if public_key != self.config.public_key {
			// Unreachable when the checks above passed; never hand out a share of another key.
			return Err(MpcError::Internal("the reshared key is not the root key".into()));
		}
		self.output = Some(ReshareOutcome::NewShare(Box::new(KeyShare {
			state,
			session_id: self.config.session_id,
			me: self.config.me,
			threshold: self.config.new_threshold,
			parties: self.config.new_parties,
			public_key,
			verification_shares,
		})));
		self.receiving = None;
		self.finished = true;
		Ok(())
	}
}

impl core::fmt::Debug for Dkls23ReshareSession {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("Dkls23ReshareSession")
			.field("session_id", &self.config.session_id)
			.field("me", &self.config.me)
			.field("new_threshold", &self.config.new_threshold)
			.field("new_parties", &self.config.new_parties)
			.field("finished", &self.finished)
			.field("aborted", &self.aborted)
			.finish_non_exhaustive()
	}
}

impl Session for Dkls23ReshareSession {
	type Output = ReshareOutcome;

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
		if self.finished {
			// A dealer that receives nothing, or a late duplicate: nothing left to do.
			return Ok(());
		}
		let result = self.inbox.accept(from, bytes).and_then(|()| self.advance());
		if matches!(&result, Err(error) if error.is_fatal()) {
			self.aborted = true;
			self.outbox.clear();
			self.receiving = None;
		}
		result
	}

	fn take_outgoing(&mut self) -> Vec<OutgoingMessage> {
		std::mem::take(&mut self.outbox)
	}

	fn is_finished(&self) -> bool {
		self.finished
	}

	fn take_output(&mut self) -> Option<ReshareOutcome> {
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

#[cfg(test)]
#[path = "reshare_tests.rs"]
mod tests;
