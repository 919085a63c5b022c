//! Resharing with real parties on threads exchanging the encoded messages: the root key
//! survives any change of membership and threshold, old shares die, and a cheating dealer is
//! named. A tamper hook plays the dishonest dealer by rewriting its outgoing bytes.

use std::{collections::BTreeMap, sync::Arc};

use k256::{elliptic_curve::group::GroupEncoding, ProjectivePoint, Scalar};

use super::*;
use crate::dkls::tests::{dkg_sessions, party};
use crate::{
	local::{run_threads, RunError, Tamper},
	DealFault, Dkls23, MessageHeader, SignRequest, Signature, ThresholdEcdsa,
};

fn key_generation(threshold: u16, parties: u16, session: u8) -> Vec<KeyShare> {
	let sessions = dkg_sessions(threshold, parties, session);
	run_threads(sessions, None).into_iter().map(|r| r.expect("honest key generation")).collect()
}

/// One handover as the chain would describe it.
struct Handover<'a> {
	session: u8,
	/// `(run index, old index)` of each dealer.
	dealers: &'a [(u16, u16)],
	new_threshold: u16,
	new_parties: u16,
	/// Every participant: `(run index, its old share if it was an old member)`.
	participants: Vec<(u16, Option<&'a KeyShare>)>,
}

impl Handover<'_> {
	fn config(&self, me: u16, public_key: [u8; 33]) -> ReshareConfig {
		ReshareConfig {
			session_id: SessionId([self.session; 32]),
			public_key,
			dealers: self.dealers.iter().map(|&(run, old)| (party(run), party(old))).collect(),
			new_threshold: self.new_threshold,
			new_parties: self.new_parties,
			me: party(me),
		}
	}

	fn run(
		&self,
		public_key: [u8; 33],
		tamper: Option<Tamper>,
	) -> Vec<(u16, Result<ReshareOutcome, RunError>)> {
		let sessions = self
			.participants
			.iter()
			.map(|&(me, old)| Dkls23::start_reshare(&self.config(me, public_key), old).unwrap())
			.collect();
		let runs = self.participants.iter().map(|p| p.0);
		runs.zip(run_threads(sessions, tamper)).collect()
	}

	/// Runs honestly; returns the next committee's shares by new index.
	fn new_shares(&self, public_key: [u8; 33]) -> Vec<KeyShare> {
		let mut shares: Vec<(u16, KeyShare)> = Vec::new();
		for (run, result) in self.run(public_key, None) {
			match result.expect("honest resharing") {
				ReshareOutcome::NewShare(share) => {
					assert!(run <= self.new_parties, "party {run} is not a receiver");
					shares.push((run, *share));
				}
				ReshareOutcome::Dealt => {
					assert!(run > self.new_parties, "receiver {run} got no share")
				}
			}
		}
		shares.sort_by_key(|s| s.0);
		assert_eq!(shares.len(), usize::from(self.new_parties));
		shares.into_iter().map(|s| s.1).collect()
	}
}

fn epsilon() -> [u8; 32] {
	qsign_primitives::derivation::epsilon(&[0x11; 32], b"ethereum,1")
}

/// Signs with `signers` (1-based indices into `shares`) and checks the signature under the
/// derived key of `public_key`.
fn sign_and_verify(shares: &[KeyShare], signers: &[u16], session: u8, public_key: [u8; 33]) {
	let request = SignRequest {
		session_id: SessionId([session; 32]),
		signers: signers.iter().map(|&i| party(i)).collect(),
		epsilon: epsilon(),
		message_hash: [session; 32],
	};
	let sessions = signers
		.iter()
		.map(|&i| Dkls23::start_sign(&shares[usize::from(i) - 1], &request).unwrap())
		.collect();
	let derived = qsign_primitives::derivation::derive_public_key(&public_key, &epsilon()).unwrap();
	for result in run_threads(sessions, None) {
		let signature: Signature = result.expect("signing with the new shares");
		qsign_primitives::signature::verify_signature(
			&request.message_hash,
			&signature.to_bytes(),
			&derived,
		)
		.expect("signature verifies under the derived key of the unchanged root key");
	}
}

#[test]
fn resharing_keeps_the_key_through_growing_and_shrinking_committees() {
	// Genesis: 2-of-3.
	let genesis = key_generation(2, 3, 1);
	let key = genesis[0].public_key();
	sign_and_verify(&genesis, &[1, 3], 2, key);

	// 2-of-3 → 3-of-4: Dave joins as party 4; old parties 1 and 2 deal.
	let step = Handover {
		session: 3,
		dealers: &[(1, 1), (2, 2)],
		new_threshold: 3,
		new_parties: 4,
		participants: vec![
			(1, Some(&genesis[0])),
			(2, Some(&genesis[1])),
			(3, Some(&genesis[2])),
			(4, None),
		],
	};
	let four = step.new_shares(key);
	assert!(four.iter().all(|s| s.public_key() == key && s.threshold() == 3 && s.parties() == 4));
	sign_and_verify(&four, &[2, 3, 4], 4, key);

	// 3-of-4 → 2-of-3: Alice (old 1) leaves but deals (run index 4); Bob, Charlie, Dave
	// become 1, 2, 3.
	let step = Handover {
		session: 5,
		dealers: &[(4, 1), (1, 2), (3, 4)],
		new_threshold: 2,
		new_parties: 3,
		participants: vec![
			(1, Some(&four[1])),
			(2, Some(&four[2])),
			(3, Some(&four[3])),
			(4, Some(&four[0])),
		],
	};
	let three = step.new_shares(key);
	assert!(three.iter().all(|s| s.public_key() == key && s.threshold() == 2));
	sign_and_verify(&three, &[1, 2], 6, key);
	sign_and_verify(&three, &[2, 3], 7, key);

	// 2-of-3 → 3-of-5: two members join without any old share.
	let step = Handover {
		session: 8,
		dealers: &[(2, 2), (3, 3)],
		new_threshold: 3,
		new_parties: 5,
		participants: vec![
			(1, Some(&three[0])),
			(2, Some(&three[1])),
			(3, Some(&three[2])),
			(4, None),
			(5, None),
		],
	};
	let five = step.new_shares(key);
	assert!(five.iter().all(|s| s.public_key() == key && s.threshold() == 3 && s.parties() == 5));
	sign_and_verify(&five, &[1, 4, 5], 9, key);
	sign_and_verify(&five, &[2, 3, 5], 10, key);
}

/// `Σ λ_i(0)·x_i·G` over the given `(index, share scalar)` points.
fn interpolate_in_the_exponent(points: &[(u16, Scalar)]) -> [u8; 33] {
	let set: Vec<PartyIndex> = points.iter().map(|p| party(p.0)).collect();
	let mut sum = ProjectivePoint::IDENTITY;
	for &(i, x) in points {
		sum += ProjectivePoint::GENERATOR * (x * super::lagrange_at_zero(party(i), &set).unwrap());
	}
	let mut out = [0u8; 33];
	out.copy_from_slice(&sum.to_affine().to_bytes());
	out
}

#[test]
fn old_share_cannot_sign_with_the_new_committee() {
	let genesis = key_generation(2, 3, 20);
	let key = genesis[0].public_key();
	// Re-randomise the same membership (a repair or key rotation is this same handover).
	let step = Handover {
		session: 21,
		dealers: &[(2, 2), (3, 3)],
		new_threshold: 2,
		new_parties: 3,
		participants: vec![(1, Some(&genesis[0])), (2, Some(&genesis[1])), (3, Some(&genesis[2]))],
	};
	let fresh = step.new_shares(key);

	// Algebra: new shares interpolate to the key, a mix of old and new does not.
	let old = |i: usize| genesis[i].state.poly_point;
	let new = |i: usize| fresh[i].state.poly_point;
	assert_eq!(interpolate_in_the_exponent(&[(1, new(0)), (2, new(1))]), key);
	assert_ne!(interpolate_in_the_exponent(&[(1, old(0)), (2, new(1))]), key);
	assert_ne!(interpolate_in_the_exponent(&[(1, new(0)), (3, old(2))]), key);

	// Protocol: party 1 keeps its old share and tries to sign with new parties 2 and 3.
	let request = SignRequest {
		session_id: SessionId([22; 32]),
		signers: vec![party(1), party(2)],
		epsilon: epsilon(),
		message_hash: [22; 32],
	};
	let sessions = vec![
		Dkls23::start_sign(&genesis[0], &request).unwrap(),
		Dkls23::start_sign(&fresh[1], &request).unwrap(),
	];
	for result in run_threads(sessions, None) {
		assert!(result.is_err(), "an old share signed together with a new one: {result:?}");
	}
}

/// Rewrites `culprit`'s round-1 messages (Feldman points broadcast and fragments) to deal a
/// polynomial shifted by `shift(x)` at every `x`, consistently, as a cheater that wants its
/// checks to pass would. `only_to` limits the rewrite to the messages for one receiver.
fn shift_dealing(
	culprit: u16,
	only_to: Option<u16>,
	shift: impl Fn(u16) -> Scalar + Send + Sync + 'static,
) -> Tamper {
	Arc::new(move |from, to, bytes: &mut Vec<u8>| {
		let (header, payload) = MessageHeader::parse(bytes).unwrap();
		if from != party(culprit) || header.round != 1 || only_to.is_some_and(|t| party(t) != to) {
			return true;
		}
		let payload = if header.receiver.is_some() {
			let mut fragment: Fragment = postcard::from_bytes(payload).unwrap();
			fragment.value += shift(to.get());
			postcard::to_allocvec(&fragment).unwrap()
		} else {
			let mut dealing: Dealing = postcard::from_bytes(payload).unwrap();
			for (x, point) in (1..).zip(dealing.feldman_points.iter_mut()) {
				*point = (ProjectivePoint::from(*point) + ProjectivePoint::GENERATOR * shift(x))
					.to_affine();
			}
			postcard::to_allocvec(&dealing).unwrap()
		};
		*bytes = header.encode(&payload);
		true
	})
}

fn errors(results: &[(u16, Result<ReshareOutcome, RunError>)]) -> BTreeMap<u16, MpcError> {
	results
		.iter()
		.filter_map(|(run, result)| match result {
			Err(RunError::Mpc(error)) => Some((*run, error.clone())),
			_ => None,
		})
		.collect()
}

fn two_of_three_to_three_of_four(genesis: &[KeyShare]) -> Handover<'_> {
	Handover {
		session: 31,
		dealers: &[(1, 1), (2, 2)],
		new_threshold: 3,
		new_parties: 4,
		participants: vec![
			(1, Some(&genesis[0])),
			(2, Some(&genesis[1])),
			(3, Some(&genesis[2])),
			(4, None),
		],
	}
}

#[test]
fn a_fragment_off_the_committed_polynomial_names_the_dealer() {
	let genesis = key_generation(2, 3, 30);
	let step = two_of_three_to_three_of_four(&genesis);
	// Dealer 2 sends receiver 3 a wrong fragment, leaving its broadcast alone.
	let tamper: Tamper = Arc::new(|from, to, bytes: &mut Vec<u8>| {
		let (header, payload) = MessageHeader::parse(bytes).unwrap();
		if from == party(2) && to == party(3) && header.round == 1 && header.receiver.is_some() {
			let mut fragment: Fragment = postcard::from_bytes(payload).unwrap();
			fragment.value += Scalar::ONE;
			*bytes = header.encode(&postcard::to_allocvec(&fragment).unwrap());
		}
		true
	});
	let results = step.run(genesis[0].public_key(), Some(tamper));
	match errors(&results).get(&3) {
		Some(MpcError::InvalidFragment { dealer, round: 1 }) => assert_eq!(*dealer, party(2)),
		other => panic!("receiver 3 should name dealer 2, got {other:?}"),
	}
}

#[test]
fn a_dealer_dealing_a_wrong_fragment_is_named_with_evidence_and_other_dealers_hand_over() {
	// 2-of-3 → 3-of-4 (dealers 1, 2) and 3-of-5 → 3-of-5 (dealers 1, 2, 3); the last dealer
	// deals receiver 1 a wrong fragment.
	let genesis = key_generation(2, 3, 70);
	let small = two_of_three_to_three_of_four(&genesis);
	let five = key_generation(3, 5, 71);
	let large = Handover {
		session: 72,
		dealers: &[(1, 1), (2, 2), (3, 3)],
		new_threshold: 3,
		new_parties: 5,
		participants: (1..=5u16).map(|i| (i, Some(&five[usize::from(i) - 1]))).collect(),
	};
	for (step, old, cheat) in [(&small, &genesis, 2u16), (&large, &five, 3)] {
		let public_key = old[0].public_key();
		let sessions: Vec<_> = step
			.participants
			.iter()
			.map(|&(me, share)| {
				let mut session =
					Dkls23::start_reshare(&step.config(me, public_key), share).unwrap();
				if me == cheat {
					session.inject_fault(DealFault::WrongFragment);
				}
				session
			})
			.collect();
		let (hook, recorded) = crate::dkls::tests::recorder(cheat, 1);
		let runs: Vec<u16> = step.participants.iter().map(|p| p.0).collect();
		let results: Vec<_> = runs.into_iter().zip(run_threads(sessions, Some(hook))).collect();
		match errors(&results).get(&1) {
			Some(MpcError::InvalidFragment { dealer, round: 1 }) => {
				assert_eq!(*dealer, party(cheat))
			}
			other => panic!("receiver 1 should name dealer {cheat}, got {other:?}"),
		}
		assert!(results.iter().all(|(_, r)| !matches!(r, Ok(ReshareOutcome::NewShare(_)))));
		let recorded = recorded.lock().unwrap();
		let check = |receiver: u16| {
			qsign_primitives::dealing::fragment_matches(
				&recorded[&(receiver, false)],
				&recorded[&(receiver, true)],
				receiver,
				u32::from(step.new_threshold),
			)
		};
		assert_eq!(check(1), Ok(false), "the wrong fragment is evidence");
		assert_eq!(check(4), Ok(true), "an honest fragment is not");
	}
	// The chain's next attempt has other dealers: 2-of-3 → 3-of-4 with dealers 1 and 3.
	let retry = Handover {
		session: 73,
		dealers: &[(1, 1), (3, 3)],
		..two_of_three_to_three_of_four(&genesis)
	};
	let shares = retry.new_shares(genesis[0].public_key());
	sign_and_verify(&shares, &[2, 3, 4], 74, genesis[0].public_key());
}

#[test]
fn a_wrong_fragment_under_points_in_another_encoding_is_still_evidence() {
	// Dealer 2 writes its points uncompressed with padded varints (the engine's decoder reads
	// that too) and deals receiver 1 a wrong fragment: the runtime's parser must read the same
	// points, or the evidence would prove nothing.
	let genesis = key_generation(2, 3, 75);
	let step = two_of_three_to_three_of_four(&genesis);
	let public_key = genesis[0].public_key();
	let sessions: Vec<_> = step
		.participants
		.iter()
		.map(|&(me, share)| {
			let mut session = Dkls23::start_reshare(&step.config(me, public_key), share).unwrap();
			if me == 2 {
				session.inject_fault(DealFault::WrongFragment);
			}
			session
		})
		.collect();
	let recorded: crate::dkls::tests::Recorded = Default::default();
	let keep = recorded.clone();
	let tamper: Tamper = Arc::new(move |from, to, bytes: &mut Vec<u8>| {
		let (header, payload) = MessageHeader::parse(bytes).unwrap();
		if from == party(2) && header.round == 1 {
			let payload = if header.receiver.is_none() {
				qsign_primitives::dealing::encode::other_forms(payload).expect("canonical")
			} else {
				payload.to_vec()
			};
			*bytes = header.encode(&payload);
			keep.lock().unwrap().insert((to.get(), header.receiver.is_some()), payload);
		}
		true
	});
	let runs: Vec<u16> = step.participants.iter().map(|p| p.0).collect();
	let results: Vec<_> = runs.into_iter().zip(run_threads(sessions, Some(tamper))).collect();
	match errors(&results).get(&1) {
		Some(MpcError::InvalidFragment { dealer, round: 1 }) => assert_eq!(*dealer, party(2)),
		other => panic!("receiver 1 should name dealer 2, got {other:?}"),
	}
	let recorded = recorded.lock().unwrap();
	let check = |receiver: u16| {
		qsign_primitives::dealing::fragment_matches(
			&recorded[&(receiver, false)],
			&recorded[&(receiver, true)],
			receiver,
			3,
		)
	};
	assert_eq!(check(1), Ok(false), "the wrong fragment is evidence");
	assert_eq!(check(3), Ok(true), "an honest fragment is not");
}

#[test]
fn a_dealer_hiding_a_wrong_constant_is_named_by_old_members() {
	let genesis = key_generation(2, 3, 40);
	let step = two_of_three_to_three_of_four(&genesis);
	// Dealer 2 shifts its whole polynomial by 1: every Feldman check passes, but the new
	// committee would hold x + 1.
	let results = step.run(genesis[0].public_key(), Some(shift_dealing(2, None, |_| Scalar::ONE)));
	let errors = errors(&results);
	// Old members 1 and 3 can check dealer 2's constant against its old verification share.
	// The first to notice stops the run, so the other may have stopped before looking.
	let mut named = 0;
	for old_member in [1, 3] {
		match errors.get(&old_member) {
			Some(MpcError::Misbehaviour { party: culprit, reason, .. }) => {
				assert_eq!(*culprit, party(2), "named by {old_member}");
				assert!(reason.contains("constant term"), "{reason}");
				named += 1;
			}
			None => {}
			other => panic!("old member {old_member} should name dealer 2, got {other:?}"),
		}
	}
	assert!(named >= 1, "no old member named dealer 2: {errors:?}");
	// The joiner has no old verification shares: it detects, and suspects the dealers.
	match errors.get(&4) {
		Some(MpcError::ProtocolFailure { suspects, .. }) => {
			assert_eq!(suspects, &vec![party(1), party(2)]);
		}
		Some(MpcError::Misbehaviour { .. }) | None => {
			// It may also have stopped because an old member aborted first; it must never
			// have produced a share.
			assert!(
				!matches!(results[3].1, Ok(ReshareOutcome::NewShare(_))),
				"the joiner accepted a share of another key"
			);
		}
		other => panic!("unexpected error at the joiner: {other:?}"),
	}
	assert!(results.iter().all(|(_, r)| !matches!(r, Ok(ReshareOutcome::NewShare(_)))));
}

#[test]
fn a_dealer_showing_receivers_different_dealings_is_named_as_equivocating() {
	let genesis = key_generation(2, 3, 50);
	let step = two_of_three_to_three_of_four(&genesis);
	// Dealer 2 shows receiver 4 a different polynomial, g(x) + x·(x − 4), that still agrees
	// at 0 and at 4: receiver 4's own checks pass, only the echo reveals it.
	let shift = |x: u16| {
		let x = Scalar::from(u64::from(x));
		x * (x - Scalar::from(4u64))
	};
	let results = step.run(genesis[0].public_key(), Some(shift_dealing(2, Some(4), shift)));
	let errors = errors(&results);
	// Receivers 1 and 3 see receiver 4's echo differ (equivocation of 2, 4 as witness);
	// receiver 4 sees dealer 2's own echo differ from what it was shown.
	let named = errors.values().any(|error| match error {
		MpcError::Equivocation { party: p, .. } => *p == party(2),
		MpcError::Misbehaviour { party: p, reason, .. } => {
			*p == party(2) && reason.contains("misreports the dealing of party 2")
		}
		_ => false,
	});
	assert!(named, "nobody named dealer 2 as equivocating: {errors:?}");
	assert!(results.iter().all(|(_, r)| !matches!(r, Ok(ReshareOutcome::NewShare(_)))));
}

#[test]
fn impossible_configurations_are_refused() {
	let genesis = key_generation(2, 3, 60);
	let key = genesis[0].public_key();
	let step = two_of_three_to_three_of_four(&genesis);
	let refused = |config: ReshareConfig, old: Option<&KeyShare>| {
		matches!(Dkls23::start_reshare(&config, old), Err(MpcError::InvalidParameters(_)))
	};
	// A dealer without its old share, or with another member's.
	assert!(refused(step.config(1, key), None));
	assert!(refused(step.config(1, key), Some(&genesis[1])));
	// Too few dealers for the old threshold, duplicate dealers, wrong key.
	let mut config = step.config(1, key);
	config.dealers.truncate(1);
	assert!(refused(config, Some(&genesis[0])));
	let mut config = step.config(1, key);
	config.dealers[1] = (party(2), party(1));
	assert!(refused(config, Some(&genesis[0])));
	let mut other_key = key;
	other_key[5] ^= 1;
	assert!(refused(step.config(1, other_key), Some(&genesis[0])));
	// Threshold 1, a party that neither deals nor receives.
	let mut config = step.config(4, key);
	config.new_threshold = 1;
	assert!(refused(config, None));
	assert!(refused(step.config(9, key), None));
}
