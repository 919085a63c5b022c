//! Misbehaving parties: every bad message aborts with an error naming its sender, never a
//! panic. The parties run on threads and exchange the real encoded messages; a tamper hook
//! plays the dishonest party by rewriting its outgoing bytes.

use std::{
	collections::BTreeMap,
	sync::{Arc, OnceLock},
};

use dkls23::protocols::signing::{TransmitPhase1to2, TransmitPhase2to3};

use super::*;
use crate::{
	local::{run_threads, RunError, Tamper},
	DealFault, DkgConfig, MessageHeader, Recipient, Session, SignRequest, HEADER_LEN,
	MAX_MESSAGE_SIZE,
};

pub(super) fn party(i: u16) -> PartyIndex {
	PartyIndex::new(i).unwrap()
}

/// Every party's key-generation session of one `threshold`-of-`parties` run.
pub(super) fn dkg_sessions(threshold: u16, parties: u16, session: u8) -> Vec<Dkls23DkgSession> {
	(1..=parties)
		.map(|me| {
			Dkls23::start_dkg(&DkgConfig {
				session_id: SessionId([session; 32]),
				threshold,
				parties,
				me: party(me),
			})
			.unwrap()
		})
		.collect()
}

/// One honest 2-of-3 key generation shared by the signing tests below.
fn shares() -> &'static [KeyShare] {
	static SHARES: OnceLock<Vec<KeyShare>> = OnceLock::new();
	SHARES.get_or_init(|| {
		run_threads(dkg_sessions(2, 3, 1), None)
			.into_iter()
			.map(|result| result.expect("honest key generation"))
			.collect()
	})
}

fn request(session: u8, signers: &[u16]) -> SignRequest {
	SignRequest {
		session_id: SessionId([session; 32]),
		signers: signers.iter().map(|&i| party(i)).collect(),
		epsilon: qsign_primitives::derivation::epsilon(&[0xAB; 32], b"ethereum,1"),
		message_hash: [0x42; 32],
	}
}

fn sign_sessions(session: u8, signers: &[u16]) -> Vec<Dkls23SignSession> {
	let request = request(session, signers);
	signers
		.iter()
		.map(|&i| Dkls23::start_sign(&shares()[usize::from(i) - 1], &request).unwrap())
		.collect()
}

/// A tamper hook rewriting the payload of `culprit`'s messages of `round` (point-to-point
/// messages if `direct`, else broadcasts).
fn rewrite(
	culprit: u16,
	round: u8,
	direct: bool,
	edit: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> Tamper {
	Arc::new(move |from, _to, bytes: &mut Vec<u8>| {
		let (header, payload) = MessageHeader::parse(bytes).unwrap();
		if from == party(culprit) && header.round == round && header.receiver.is_some() == direct {
			*bytes = header.encode(&edit(payload));
		}
		true
	})
}

fn misbehaviour_of(result: &Result<impl Sized, RunError>) -> (PartyIndex, String) {
	match result {
		Err(RunError::Mpc(MpcError::Misbehaviour { party, reason, .. })) => {
			(*party, reason.clone())
		}
		Err(other) => panic!("expected a misbehaviour error, got {other:?}"),
		Ok(_) => panic!("expected a misbehaviour error, got an output"),
	}
}

/// Payloads recorded by [`recorder`], by `(receiver, point to point)`.
pub(super) type Recorded = Arc<std::sync::Mutex<BTreeMap<(u16, bool), Vec<u8>>>>;

/// A hook that changes nothing and keeps the payload of each of `dealer`'s messages of
/// `round`, by `(receiver, point to point)`.
pub(super) fn recorder(dealer: u16, round: u8) -> (Tamper, Recorded) {
	let recorded = Arc::new(std::sync::Mutex::new(BTreeMap::new()));
	let keep = recorded.clone();
	let hook: Tamper = Arc::new(move |from, to, bytes: &mut Vec<u8>| {
		let (header, payload) = MessageHeader::parse(bytes).unwrap();
		if from == party(dealer) && header.round == round {
			let key = (to.get(), header.receiver.is_some());
			keep.lock().unwrap().insert(key, payload.to_vec());
		}
		true
	});
	(hook, recorded)
}

#[test]
fn a_dealer_dealing_a_wrong_fragment_is_named_with_evidence_the_runtime_checks() {
	for (t, n) in [(2u16, 3u16), (3, 5)] {
		// The last party deals party 1 (its first other receiver) a wrong fragment.
		let mut sessions = dkg_sessions(t, n, 50 + n as u8);
		sessions[usize::from(n) - 1].inject_fault(DealFault::WrongFragment);
		let (hook, recorded) = recorder(n, 2);
		let results = run_threads(sessions, Some(hook));
		match &results[0] {
			Err(RunError::Mpc(MpcError::InvalidFragment { dealer, round })) => {
				assert_eq!((*dealer, *round), (party(n), 2), "{t}-of-{n}")
			}
			other => panic!("{t}-of-{n}: party 1 must name dealer {n}, got {other:?}"),
		}
		assert!(results.iter().all(Result::is_err), "{t}-of-{n}: nobody finishes");
		// The dealer's signed pair for party 1 is evidence; its pair for party 2 is not.
		let recorded = recorded.lock().unwrap();
		let check = |receiver: u16| {
			qsign_primitives::dealing::fragment_matches(
				&recorded[&(receiver, false)],
				&recorded[&(receiver, true)],
				receiver,
				u32::from(t),
			)
		};
		assert_eq!(check(1), Ok(false), "{t}-of-{n}: the wrong fragment is evidence");
		assert_eq!(check(2), Ok(true), "{t}-of-{n}: an honest fragment is not");
		// The chain's next attempt leaves the dealer out: the others make the key.
		let retry = dkg_sessions(t, n - 1, 60 + n as u8);
		let keys: Vec<KeyShare> = run_threads(retry, None)
			.into_iter()
			.map(|r| r.expect("the key without the cheating dealer"))
			.collect();
		assert!(keys.iter().all(|k| k.public_key() == keys[0].public_key()));
	}
}

#[test]
fn a_share_off_the_committed_polynomial_names_its_dealer() {
	// Party 3 deals party 1 a Shamir share that does not match its Feldman commitment.
	let tamper = rewrite(3, 2, true, |payload| {
		let mut share: k256::Scalar = postcard::from_bytes(payload).unwrap();
		share += k256::Scalar::ONE;
		postcard::to_allocvec(&share).unwrap()
	});
	let results = run_threads(dkg_sessions(2, 3, 2), Some(tamper));
	assert!(
		matches!(
			&results[0],
			Err(RunError::Mpc(MpcError::InvalidFragment { dealer, round: 2 })) if *dealer == party(3)
		),
		"{:?}",
		results[0]
	);
	assert!(results.iter().all(Result::is_err), "nobody may finish with a bad share");
}

#[test]
fn an_equivocated_feldman_commitment_is_caught() {
	// Party 2 sends party 3 a different round-1 commitment than party 1.
	let tamper: Tamper = Arc::new(|from, to, bytes: &mut Vec<u8>| {
		let (header, _) = MessageHeader::parse(bytes).unwrap();
		if from == party(2) && to == party(3) && header.round == 1 {
			let forged = postcard::to_allocvec(&[0x66u8; 32]).unwrap();
			*bytes = header.encode(&forged);
		}
		true
	});
	let results = run_threads(dkg_sessions(2, 3, 3), Some(tamper));
	for result in &results[..1] {
		match result {
			Err(RunError::Mpc(MpcError::Equivocation { party: p, witness })) => {
				assert_eq!((*p, *witness), (party(2), party(3)));
			}
			Err(RunError::Mpc(MpcError::Misbehaviour { party: p, .. })) => assert_eq!(*p, party(2)),
			Err(RunError::PeerFailed(_)) => {}
			other => panic!("unexpected {other:?}"),
		}
	}
	assert!(results.iter().all(Result::is_err));
}

#[test]
fn a_forged_session_binding_in_signing_round_1_names_the_sender() {
	let tamper = rewrite(2, 1, true, |payload| {
		let mut message: TransmitPhase1to2 = postcard::from_bytes(payload).unwrap();
		message.session_binding[0] ^= 1;
		postcard::to_allocvec(&message).unwrap()
	});
	let results = run_threads(sign_sessions(10, &[1, 2]), Some(tamper));
	assert_eq!(misbehaviour_of(&results[0]).0, party(2));
}

#[test]
fn a_nonce_that_breaks_its_commitment_names_the_sender() {
	// Party 2 changes psi after committing to it in round 1.
	let tamper = rewrite(2, 2, true, |payload| {
		let mut message: TransmitPhase2to3<k256::Secp256k1> =
			postcard::from_bytes(payload).unwrap();
		message.psi += k256::Scalar::ONE;
		postcard::to_allocvec(&message).unwrap()
	});
	let results = run_threads(sign_sessions(11, &[1, 2]), Some(tamper));
	let (culprit, reason) = misbehaviour_of(&results[0]);
	assert_eq!(culprit, party(2));
	assert!(reason.contains("commitment"), "{reason}");
}

#[test]
fn a_wrong_final_share_fails_the_signature_and_lists_the_suspects() {
	// DKLs23's last round is not attributable: the signature check fails and the error lists
	// the other signers as suspects.
	let tamper = rewrite(2, 3, false, |payload| {
		let mut message: dkls23::protocols::signing::Broadcast3to4<k256::Secp256k1> =
			postcard::from_bytes(payload).unwrap();
		message.w += k256::Scalar::ONE;
		postcard::to_allocvec(&message).unwrap()
	});
	let results = run_threads(sign_sessions(12, &[1, 2]), Some(tamper));
	match &results[0] {
		Err(RunError::Mpc(MpcError::ProtocolFailure { suspects, .. })) => {
			assert_eq!(suspects, &[party(2)])
		}
		other => panic!("unexpected {other:?}"),
	}
}

/// A small deterministic generator for the fuzz test (reproducible failures).
struct XorShift(u64);

impl XorShift {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 << 13;
		self.0 ^= self.0 >> 7;
		self.0 ^= self.0 << 17;
		self.0
	}
}

#[test]
fn random_corruption_of_signing_messages_never_panics_and_blames_the_sender() {
	let mut rng = XorShift(0x5eed_1234_abcd_0001);
	for trial in 0..60u8 {
		let round = 1 + (rng.next() % 3) as u8;
		let seed = rng.next();
		let tamper: Tamper = Arc::new(move |from, _to, bytes: &mut Vec<u8>| {
			let header = MessageHeader::parse(bytes).unwrap().0;
			if from == party(2) && header.round == round {
				let mut local = XorShift(seed);
				let payload_len = bytes.len() - HEADER_LEN;
				for _ in 0..=(local.next() % 3) {
					let position = HEADER_LEN + (local.next() as usize) % payload_len;
					bytes[position] ^= 1 << (local.next() % 8);
				}
			}
			true
		});
		let results = run_threads(sign_sessions(100 + trial, &[1, 2]), Some(tamper));
		match &results[0] {
			Ok(signature) => {
				// An unharmful flip: the signature must still be valid.
				let request = request(100 + trial, &[1, 2]);
				let key = shares()[0].derived_public_key(&request.epsilon).unwrap();
				qsign_primitives::signature::verify_signature(
					&request.message_hash,
					&signature.to_bytes(),
					&key,
				)
				.unwrap();
			}
			Err(RunError::Mpc(MpcError::ProtocolFailure { suspects, .. })) => {
				assert_eq!(suspects, &[party(2)], "trial {trial}");
			}
			Err(RunError::Mpc(error)) => {
				assert_eq!(error.culprit(), Some(party(2)), "trial {trial}: {error}");
			}
			Err(other) => panic!("trial {trial}: {other:?}"),
		}
	}
}

#[test]
fn messages_outside_the_session_are_rejected_without_aborting_it() {
	let mut sessions = sign_sessions(20, &[1, 2]);
	sessions[0].take_outgoing();
	let from_2 = sessions[1].take_outgoing().remove(0);
	let (header, payload) = MessageHeader::parse(&from_2.bytes).unwrap();
	let receiver = &mut sessions[0];

	// A message of another (e.g. stale) session: rejected, not fatal.
	let stale = MessageHeader { session_id: SessionId([19; 32]), ..header }.encode(payload);
	let error = receiver.handle_message(party(2), &stale).unwrap_err();
	assert!(matches!(error, MpcError::WrongSession { from, .. } if from == party(2)));
	assert!(!error.is_fatal());

	// Party 3 holds a share but is not a signer of this session.
	let error = receiver.handle_message(party(3), &from_2.bytes).unwrap_err();
	assert_eq!(error, MpcError::UnexpectedSender { from: party(3) });

	// The real message is still accepted, twice (a duplicate delivery is harmless).
	receiver.handle_message(party(2), &from_2.bytes).unwrap();
	receiver.handle_message(party(2), &from_2.bytes).unwrap();
	assert_eq!(receiver.take_outgoing().len(), 1, "round 2 message to party 2");
}

/// Rewrites a genuine message into a bad one.
type Corruption = Box<dyn Fn(&[u8]) -> Vec<u8>>;

#[test]
fn malformed_and_oversized_messages_abort_the_session_and_name_the_sender() {
	let cases: Vec<(&str, Corruption)> = vec![
		("garbage", Box::new(|_| b"definitely not a protocol message".to_vec())),
		("truncated payload", Box::new(|bytes| bytes[..bytes.len() - 10].to_vec())),
		("trailing bytes", Box::new(|bytes| [bytes, &[0u8]].concat())),
		("oversized", Box::new(|_| vec![0u8; MAX_MESSAGE_SIZE + 1])),
		(
			"sender field lies",
			Box::new(|bytes| {
				let (header, payload) = MessageHeader::parse(bytes).unwrap();
				MessageHeader { sender: party(3), ..header }.encode(payload)
			}),
		),
		(
			"unknown round",
			Box::new(|bytes| {
				let (header, payload) = MessageHeader::parse(bytes).unwrap();
				MessageHeader { round: 9, ..header }.encode(payload)
			}),
		),
		(
			"broadcast where a direct message is due",
			Box::new(|bytes| {
				let (header, payload) = MessageHeader::parse(bytes).unwrap();
				MessageHeader { receiver: None, ..header }.encode(payload)
			}),
		),
		(
			"signing message in a key generation slot",
			Box::new(|bytes| {
				let (header, payload) = MessageHeader::parse(bytes).unwrap();
				MessageHeader { protocol: crate::Protocol::Dkg, ..header }.encode(payload)
			}),
		),
	];
	for (name, corrupt) in cases {
		let mut sessions = sign_sessions(21, &[1, 2]);
		let from_2 = sessions[1].take_outgoing().remove(0);
		assert_eq!(from_2.to, Recipient::Party(party(1)));
		let error = sessions[0].handle_message(party(2), &corrupt(&from_2.bytes)).unwrap_err();
		assert!(error.is_fatal(), "{name}: {error}");
		assert_eq!(error.culprit(), Some(party(2)), "{name}: {error}");
		// The session is dead: even the genuine message is refused now.
		assert_eq!(
			sessions[0].handle_message(party(2), &from_2.bytes),
			Err(MpcError::SessionAborted)
		);
	}
}

#[test]
fn two_different_messages_for_the_same_round_are_misbehaviour() {
	let mut first = sign_sessions(22, &[1, 2]);
	let mut second = sign_sessions(22, &[1, 2]);
	let a = first[1].take_outgoing().remove(0);
	let b = second[1].take_outgoing().remove(0);
	first[0].handle_message(party(2), &a.bytes).unwrap();
	let error = first[0].handle_message(party(2), &b.bytes).unwrap_err();
	assert_eq!(error.culprit(), Some(party(2)));
}

#[test]
fn signing_requests_that_do_not_fit_the_share_are_refused() {
	let share = &shares()[0];
	for signers in [&[1u16][..], &[1, 2, 3], &[2, 3], &[1, 1], &[1, 4]] {
		let error = Dkls23::start_sign(share, &request(23, signers)).unwrap_err();
		assert!(matches!(error, MpcError::InvalidParameters(_)), "{signers:?}: {error}");
	}
	let mut bad_epsilon = request(23, &[1, 2]);
	bad_epsilon.epsilon = [0xFF; 32];
	assert!(matches!(Dkls23::start_sign(share, &bad_epsilon), Err(MpcError::Derivation(_))));
}

#[test]
fn impossible_key_generations_are_refused() {
	for (threshold, parties, me) in [(1, 3, 1), (4, 3, 1), (2, 256, 1), (2, 3, 4)] {
		let config =
			DkgConfig { session_id: SessionId([0; 32]), threshold, parties, me: party(me) };
		assert!(matches!(Dkls23::start_dkg(&config), Err(MpcError::InvalidParameters(_))));
	}
}

#[test]
fn a_corrupted_multiplication_gets_the_library_ban_verdict_naming_the_cheater() {
	// Party 2 is told to cheat in the OT-based multiplication (the node's `--mpc-fault`).
	let mut sessions = sign_sessions(12, &[1, 2]);
	sessions[1].inject_fault(crate::SignFault::CorruptMultiplication);
	let results = run_threads(sessions, None);
	match &results[0] {
		Err(RunError::Mpc(MpcError::Misbehaviour { party: culprit, reason, ban })) => {
			assert_eq!(*culprit, party(2));
			assert!(*ban, "the library must ask for a ban: {reason}");
		}
		other => panic!("expected the ban verdict, got {other:?}"),
	}
	// Without the fault the same signers sign.
	let results = run_threads(sign_sessions(13, &[1, 2]), None);
	assert!(results.iter().all(Result::is_ok));
}

#[test]
fn a_replayed_message_is_no_progress_and_the_silent_party_is_named() {
	// Parties 1 and 2 sign; party 2's round-1 message reaches party 1 again and again.
	let mut sessions = sign_sessions(14, &[1, 2]);
	let from_two = sessions[1].take_outgoing();
	let one = &mut sessions[0];
	assert_eq!(one.progress(), 0);
	assert_eq!(one.waiting_for(), vec![party(2)], "round 1 waits for party 2");
	one.handle_message(party(2), &from_two[0].bytes).unwrap();
	assert_eq!(one.progress(), 1);
	for _ in 0..10 {
		one.handle_message(party(2), &from_two[0].bytes).unwrap();
	}
	assert_eq!(one.progress(), 1, "a replay is not progress");
	// Round 1 done; round 2 waits for party 2 again (it has not sent it).
	assert_eq!(one.waiting_for(), vec![party(2)]);
}

#[test]
fn a_corrupted_final_share_fails_the_run_without_a_culprit() {
	// The node's `--mpc-fault=corrupt-final-share`: as the tampered broadcast above.
	let mut sessions = sign_sessions(15, &[1, 2]);
	sessions[1].inject_fault(crate::SignFault::CorruptFinalShare);
	let results = run_threads(sessions, None);
	match &results[0] {
		Err(RunError::Mpc(MpcError::ProtocolFailure { suspects, .. })) => {
			assert_eq!(suspects, &[party(2)])
		}
		other => panic!("unexpected {other:?}"),
	}
}
