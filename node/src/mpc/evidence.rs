//! Signed MPC messages and the evidence they yield (design:
//! `docs/design/misbehaviour-evidence.md`).
//!
//! - **Envelopes.** Every message on the wire is the `qsign-mpc` message followed by its
//!   sender's 64-byte `qmpc` signature over a [`MessageStatement`] (genesis hash, committee
//!   epoch of the run, hash of the message). A receiver checks it against the session's member
//!   list before the engine sees the message; an unsigned or wrongly signed message is dropped
//!   and never blamed on its claimed sender (anyone can forge garbage).
//! - **Collecting.** Each run keeps the signed broadcasts it received ([`ReceivedBroadcasts`]),
//!   one per slot. A second, different broadcast for a slot is an equivocation with proof.
//! - **Forwarding.** Over point-to-point links a member can show different broadcasts to
//!   different peers. When a run fails, each member forwards the signed broadcasts it received
//!   to the run's other participants ([`FORWARDED`] notifications): whoever was shown another
//!   version now holds two, hence the proof. This costs nothing on the success path.
//! - Only broadcasts become equivocation evidence: point-to-point messages carry values meant
//!   for one receiver (OT and multiplication data), which must not be published on-chain.
//! - **Dealings.** Key generation and resharing runs keep each dealer's signed Feldman points
//!   and fragment for us ([`ReceivedDealings`]); a fragment off the points is evidence
//!   ([`InvalidDealingProof`]), submitted at once (the handover is retried without the dealer).

use pallet_committee::{
	crypto::{AuthorityId, AuthoritySignature},
	evidence::{
		EquivocationProof, InvalidDealingProof, MessageStatement, SignedMessage, MPC_HEADER_LEN,
	},
	CommitteeId,
};
use qsign_mpc::{MessageHeader, PartyIndex, Protocol};
use sp_core::crypto::ByteArray;
use sp_runtime::RuntimeAppPublic;
use std::collections::BTreeMap;

/// Length of the signature appended to every message.
pub const SIGNATURE_LEN: usize = 64;

/// First byte of a notification that carries another member's signed broadcast, forwarded
/// after a failed run (an MPC message starts with its wire version, 1).
pub const FORWARDED: u8 = 0xfe;

/// Most broadcasts one run keeps (rounds × participants is far below it).
pub const MAX_BROADCASTS_PER_RUN: usize = 1024;

/// Most bytes of broadcasts one run keeps (a signing run's are a few hundred bytes, a key
/// generation's a few KiB per participant): a participant signing junk for made-up rounds
/// fills this, not the node's memory.
pub const MAX_BROADCAST_BYTES_PER_RUN: usize = 1024 * 1024;

/// `body` with its signature appended.
pub fn seal(body: &[u8], signature: &AuthoritySignature) -> Vec<u8> {
	let mut out = Vec::with_capacity(body.len() + SIGNATURE_LEN);
	out.extend_from_slice(body);
	out.extend_from_slice(signature.as_slice());
	out
}

/// Splits an envelope into the message and its signature.
pub fn unseal(bytes: &[u8]) -> Option<(&[u8], AuthoritySignature)> {
	let split = bytes.len().checked_sub(SIGNATURE_LEN)?;
	let (body, signature) = bytes.split_at(split);
	Some((body, AuthoritySignature::from_slice(signature).ok()?))
}

/// Whether `signature` is `sender`'s over `body` in a run of committee `epoch` on this chain.
pub fn verify(
	genesis: &[u8; 32],
	epoch: CommitteeId,
	sender: &AuthorityId,
	body: &[u8],
	signature: &AuthoritySignature,
) -> bool {
	sender.verify(&MessageStatement::new(*genesis, epoch, body).signing_payload(), signature)
}

/// The signed broadcasts one run received, one per slot (header).
#[derive(Default)]
pub struct ReceivedBroadcasts {
	by_slot: BTreeMap<[u8; MPC_HEADER_LEN], (AuthorityId, SignedMessage)>,
	/// Bytes in `by_slot`.
	bytes: usize,
	/// Slots already proven equivocated (one proof each).
	proven: std::collections::BTreeSet<[u8; MPC_HEADER_LEN]>,
}

impl ReceivedBroadcasts {
	/// Records `sender`'s broadcast `body` (signature already verified). Returns the proof of an
	/// equivocation if another body was recorded for the same slot (once per slot); ignores an
	/// identical copy, anything past [`MAX_BROADCASTS_PER_RUN`] or
	/// [`MAX_BROADCAST_BYTES_PER_RUN`], and what is not a broadcast.
	pub fn record(
		&mut self,
		genesis: [u8; 32],
		epoch: CommitteeId,
		sender: &AuthorityId,
		body: &[u8],
		signature: AuthoritySignature,
	) -> Option<EquivocationProof> {
		let (header, _) = MessageHeader::parse(body).ok()?;
		if header.receiver.is_some() {
			return None;
		}
		let slot: [u8; MPC_HEADER_LEN] = body.get(..MPC_HEADER_LEN)?.try_into().ok()?;
		let message = SignedMessage { body: body.to_vec().try_into().ok()?, signature };
		match self.by_slot.get(&slot) {
			Some((_, first)) if first.body == message.body => None,
			Some(_) if self.proven.contains(&slot) => None,
			Some((offender, first)) => {
				self.proven.insert(slot);
				Some(EquivocationProof {
					genesis_hash: genesis,
					epoch,
					offender: offender.clone(),
					first: first.clone(),
					second: message,
				})
			}
			None if self.by_slot.len() < MAX_BROADCASTS_PER_RUN
				&& self.bytes + body.len() <= MAX_BROADCAST_BYTES_PER_RUN =>
			{
				self.bytes += body.len();
				self.by_slot.insert(slot, (sender.clone(), message));
				None
			}
			None => None,
		}
	}

	/// The recorded broadcasts as [`FORWARDED`] notifications, except those of `skip` (our own
	/// party: the others have those from us).
	pub fn forwards(&self, skip: PartyIndex) -> Vec<Vec<u8>> {
		self.by_slot
			.values()
			.filter(|(_, message)| {
				MessageHeader::parse(&message.body).is_ok_and(|(h, _)| h.sender != skip)
			})
			.map(|(_, message)| {
				let mut out = vec![FORWARDED];
				out.extend_from_slice(&seal(&message.body, &message.signature));
				out
			})
			.collect()
	}

	/// Whether nothing is recorded.
	pub fn is_empty(&self) -> bool {
		self.by_slot.is_empty()
	}
}

/// The signed dealing-round messages one key generation or resharing run received: each
/// dealer's broadcast of Feldman points and its fragment for us, first copy of each. When the
/// engine finds a fragment off its dealer's points ([`qsign_mpc::MpcError::InvalidFragment`]),
/// the pair is the evidence ([`InvalidDealingProof`]). The fragment is published only then: it
/// is a value of a cheater's polynomial in a run that aborted.
#[derive(Default)]
pub struct ReceivedDealings {
	/// By dealer party index: its key, broadcast and fragment.
	by_dealer: BTreeMap<u16, (AuthorityId, Option<SignedMessage>, Option<SignedMessage>)>,
}

impl ReceivedDealings {
	/// Records `sender`'s message `body` (signature already verified) if it is a dealing-round
	/// broadcast or fragment (key generation round 2, resharing round 1) and the first of its
	/// kind from that sender. At most two messages per participant.
	pub fn record(&mut self, sender: &AuthorityId, body: &[u8], signature: AuthoritySignature) {
		let Ok((header, _)) = MessageHeader::parse(body) else { return };
		let round = match header.protocol {
			Protocol::Dkg => 2,
			Protocol::Reshare => 1,
			Protocol::Sign => return,
		};
		if header.round != round {
			return;
		}
		let Ok(body) = body.to_vec().try_into() else { return };
		let message = SignedMessage { body, signature };
		let entry = self
			.by_dealer
			.entry(header.sender.get())
			.or_insert_with(|| (sender.clone(), None, None));
		if entry.0 != *sender {
			return;
		}
		let slot = if header.receiver.is_some() { &mut entry.2 } else { &mut entry.1 };
		slot.get_or_insert(message);
	}

	/// The evidence against `dealer`, if both its messages were recorded.
	pub fn proof(
		&self,
		genesis: [u8; 32],
		epoch: CommitteeId,
		dealer: PartyIndex,
	) -> Option<InvalidDealingProof> {
		let (offender, dealing, fragment) = self.by_dealer.get(&dealer.get())?;
		Some(InvalidDealingProof {
			genesis_hash: genesis,
			epoch,
			offender: offender.clone(),
			dealing: dealing.clone()?,
			fragment: fragment.clone()?,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_committee::crypto::AuthorityPair;
	use qsign_mpc::{
		local::run_in_turn, DealFault, DkgConfig, Dkls23, KeyShare, MpcError, OutgoingMessage,
		Recipient, Session, SessionId, SignFault, SignRequest, ThresholdEcdsa,
	};
	use sp_core::Pair as _;
	use std::collections::VecDeque;

	const GENESIS: [u8; 32] = [3; 32];
	const EPOCH: CommitteeId = 4;

	fn keys(n: usize) -> Vec<AuthorityPair> {
		(0..n).map(|i| AuthorityPair::from_string(&format!("//member{i}"), None).unwrap()).collect()
	}

	fn party(i: u16) -> PartyIndex {
		PartyIndex::new(i).unwrap()
	}

	fn dkg_shares(t: u16, n: u16) -> Vec<KeyShare> {
		let mut sessions: Vec<_> = (1..=n)
			.map(|i| {
				let config = DkgConfig {
					session_id: SessionId([1; 32]),
					threshold: t,
					parties: n,
					me: party(i),
				};
				Dkls23::start_dkg(&config).unwrap()
			})
			.collect();
		run_in_turn(&mut sessions).expect("key generation")
	}

	/// One signing run of `signers` (1-based) among `n` members with threshold `t`, party
	/// `cheat` equivocating in the last (broadcast) round, over a signed transport: every
	/// message is sealed by its sender and checked by its receiver as the worker does. Failed
	/// runs forward their broadcasts. Returns each honest signer's outcome (signed or not) and
	/// every proof any of them collected.
	fn run(
		n: u16,
		t: u16,
		signers: &[u16],
		cheat: u16,
	) -> (BTreeMap<u16, bool>, Vec<EquivocationProof>) {
		let keys = keys(n.into());
		let shares = dkg_shares(t, n);
		let request = || SignRequest {
			session_id: SessionId([2; 32]),
			signers: signers.iter().map(|&i| party(i)).collect(),
			epsilon: [5; 32],
			message_hash: [6; 32],
		};
		let mut sessions: BTreeMap<u16, _> = signers
			.iter()
			.map(|&i| {
				let mut session =
					Dkls23::start_sign(&shares[usize::from(i) - 1], &request()).unwrap();
				if i == cheat {
					session.inject_fault(SignFault::EquivocateFinalShare);
				}
				(i, session)
			})
			.collect();
		let mut received: BTreeMap<u16, ReceivedBroadcasts> =
			signers.iter().map(|&i| (i, ReceivedBroadcasts::default())).collect();
		let mut outcome = BTreeMap::new();
		let mut proofs = Vec::new();
		// (from, to, sealed bytes)
		let mut wire: VecDeque<(u16, u16, Vec<u8>)> = VecDeque::new();
		let post = |from: u16, messages: Vec<OutgoingMessage>, wire: &mut VecDeque<_>| {
			let key = &keys[usize::from(from) - 1];
			for message in messages {
				let statement = MessageStatement::new(GENESIS, EPOCH, &message.bytes);
				let sealed = seal(&message.bytes, &key.sign(&statement.signing_payload()));
				let to: Vec<u16> = match message.to {
					Recipient::Party(p) => vec![p.get()],
					Recipient::Broadcast => {
						signers.iter().copied().filter(|&i| i != from).collect()
					}
				};
				for to in to {
					wire.push_back((from, to, sealed.clone()));
				}
			}
		};
		for (&i, session) in sessions.iter_mut() {
			post(i, session.take_outgoing(), &mut wire);
		}
		while let Some((from, to, bytes)) = wire.pop_front() {
			let sender = keys[usize::from(from) - 1].public();
			let (body, signature, forwarded) = if bytes[0] == FORWARDED {
				let (body, signature) = unseal(&bytes[1..]).unwrap();
				(body.to_vec(), signature, true)
			} else {
				let (body, signature) = unseal(&bytes).unwrap();
				(body.to_vec(), signature, false)
			};
			// The signer is the message's own sender (a forward carries someone else's).
			let (header, _) = MessageHeader::parse(&body).unwrap();
			let signer = keys[usize::from(header.sender.get()) - 1].public();
			assert!(verify(&GENESIS, EPOCH, &signer, &body, &signature));
			if let Some(proof) =
				received.get_mut(&to).unwrap().record(GENESIS, EPOCH, &signer, &body, signature)
			{
				proofs.push(proof);
			}
			if forwarded || outcome.contains_key(&to) {
				continue;
			}
			assert_eq!(signer, sender);
			let session = sessions.get_mut(&to).unwrap();
			let result = session.handle_message(party(from), &body);
			post(to, session.take_outgoing(), &mut wire);
			if let Err(e) = result {
				if e.is_fatal() {
					outcome.insert(to, false);
					for forward in received[&to].forwards(party(to)) {
						for &other in signers.iter().filter(|&&i| i != to) {
							wire.push_back((to, other, forward.clone()));
						}
					}
				}
			} else if let Some(_signature) = session.take_output() {
				outcome.insert(to, true);
			}
		}
		outcome.remove(&cheat);
		(outcome, proofs)
	}

	fn assert_caught(n: u16, t: u16, signers: &[u16], cheat: u16) {
		let (outcome, proofs) = run(n, t, signers, cheat);
		assert!(!proofs.is_empty(), "{t}-of-{n}: no evidence ({outcome:?})");
		let offender = keys(n.into())[usize::from(cheat) - 1].public();
		for proof in &proofs {
			assert_eq!(proof.offender, offender);
			assert_eq!(proof.verify(&GENESIS), Ok(()), "the runtime's check accepts it");
		}
		// The first honest receiver was shown the honest version: the signature is produced.
		assert!(outcome.values().any(|&signed| signed), "{t}-of-{n}: {outcome:?}");
	}

	#[test]
	fn an_equivocating_signer_is_caught_with_evidence_the_runtime_accepts_2_of_3() {
		// Alone with one honest signer, the cheat shows it both versions.
		assert_caught(3, 2, &[1, 3], 3);
	}

	#[test]
	fn an_equivocating_signer_is_caught_with_evidence_the_runtime_accepts_3_of_5() {
		// Signer 2 is shown the honest version and signs; signer 4 the other one and fails,
		// forwards what it saw, and signer 2 then holds both.
		assert_caught(5, 3, &[2, 3, 4], 3);
	}

	/// A `t`-of-`n` key generation over a signed transport in which party `cheat` deals its
	/// first other receiver a wrong fragment (the node's `wrong-fragment` fault). Each party
	/// records the signed dealings it receives, as the worker does; returns the evidence each
	/// party that aborted with [`MpcError::InvalidFragment`] builds.
	fn dealing_run(n: u16, t: u16, cheat: u16) -> Vec<(u16, InvalidDealingProof)> {
		let keys = keys(n.into());
		let mut sessions: BTreeMap<u16, _> = (1..=n)
			.map(|i| {
				let config = DkgConfig {
					session_id: SessionId([8; 32]),
					threshold: t,
					parties: n,
					me: party(i),
				};
				let mut session = Dkls23::start_dkg(&config).unwrap();
				if i == cheat {
					session.inject_fault(DealFault::WrongFragment);
				}
				(i, session)
			})
			.collect();
		let mut received: BTreeMap<u16, ReceivedDealings> =
			(1..=n).map(|i| (i, ReceivedDealings::default())).collect();
		let mut aborted = BTreeMap::new();
		let mut wire: VecDeque<(u16, u16, Vec<u8>)> = VecDeque::new();
		let post = |from: u16, messages: Vec<OutgoingMessage>, wire: &mut VecDeque<_>| {
			for message in messages {
				let statement = MessageStatement::new(GENESIS, EPOCH, &message.bytes);
				let signature = keys[usize::from(from) - 1].sign(&statement.signing_payload());
				let to: Vec<u16> = match message.to {
					Recipient::Party(p) => vec![p.get()],
					Recipient::Broadcast => (1..=n).filter(|&i| i != from).collect(),
				};
				for to in to {
					wire.push_back((from, to, seal(&message.bytes, &signature)));
				}
			}
		};
		for (&i, session) in sessions.iter_mut() {
			post(i, session.take_outgoing(), &mut wire);
		}
		while let Some((from, to, bytes)) = wire.pop_front() {
			if aborted.contains_key(&to) {
				continue;
			}
			let (body, signature) = unseal(&bytes).unwrap();
			let sender = keys[usize::from(from) - 1].public();
			assert!(verify(&GENESIS, EPOCH, &sender, body, &signature));
			received.get_mut(&to).unwrap().record(&sender, body, signature);
			let session = sessions.get_mut(&to).unwrap();
			match session.handle_message(party(from), body) {
				Err(MpcError::InvalidFragment { dealer, .. }) => {
					aborted.insert(to, received[&to].proof(GENESIS, EPOCH, dealer));
				}
				Err(e) if e.is_fatal() => {
					aborted.insert(to, None);
				}
				_ => post(to, session.take_outgoing(), &mut wire),
			}
		}
		aborted.into_iter().filter_map(|(to, proof)| Some((to, proof?))).collect()
	}

	#[test]
	fn a_dealer_of_a_wrong_fragment_is_caught_with_evidence_the_runtime_accepts() {
		for (n, t) in [(3u16, 2u16), (5, 3)] {
			let proofs = dealing_run(n, t, n);
			// Party 1 (the cheat's first other receiver) holds the evidence, nobody else.
			assert_eq!(proofs.len(), 1, "{t}-of-{n}");
			let (receiver, proof) = &proofs[0];
			assert_eq!(*receiver, 1);
			assert_eq!(proof.offender, keys(n.into())[usize::from(n) - 1].public());
			assert_eq!(proof.verify(&GENESIS, 51), Ok(()), "{t}-of-{n}: the runtime's check");
			// The fragment cannot be passed off as another receiver's.
			let mut other = proof.clone();
			let mut body = other.fragment.body.to_vec();
			body[39] = 2;
			other.fragment.body = body.try_into().unwrap();
			assert_ne!(other.verify(&GENESIS, 51), Ok(()));
		}
		assert!(dealing_run(3, 2, 0).is_empty(), "an honest run yields no evidence");
	}

	#[test]
	fn honest_runs_yield_no_evidence_and_forged_envelopes_do_not_verify() {
		let (outcome, proofs) = run(3, 2, &[1, 2], 0);
		assert!(proofs.is_empty());
		assert_eq!(outcome.into_values().collect::<Vec<_>>(), vec![true, true]);
		let keys = keys(2);
		let body = b"a message".to_vec();
		let statement = MessageStatement::new(GENESIS, EPOCH, &body);
		let signature = keys[0].sign(&statement.signing_payload());
		assert!(verify(&GENESIS, EPOCH, &keys[0].public(), &body, &signature));
		assert!(!verify(&GENESIS, EPOCH, &keys[1].public(), &body, &signature));
		assert!(!verify(&GENESIS, EPOCH + 1, &keys[0].public(), &body, &signature));
		assert!(!verify(&[0; 32], EPOCH, &keys[0].public(), &body, &signature));
		assert!(unseal(&[0; 10]).is_none());
		let sealed = seal(&body, &signature);
		let (opened, again) = unseal(&sealed).unwrap();
		assert_eq!((opened, again), (&body[..], signature));
	}
}
