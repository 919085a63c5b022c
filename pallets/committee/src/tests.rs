//! Specification of pallet-committee: the genesis key generation and every later handover.

use crate::{
	evidence::{
		EquivocationProof, EvidenceError, InvalidDealingProof, MessageStatement, SignedMessage,
		PROTOCOL_DKG, PROTOCOL_RESHARE,
	},
	mock::*,
	Authorities, BanReason, CommitteeInterface, CurrentCommitteeId, Error, Event,
	HandoverAttestation, HandoverOffenders, Heartbeat, Offenders, PendingHandover, RootKey,
};
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::{Authorize, Hooks, OneSessionHandler, UnfilteredDispatchable},
};
use qsign_primitives::committee::{
	handover_proof_hash, BanReport, Blame, BlameReport, GenesisReady,
};
use sp_core::{ecdsa, Pair};
use sp_runtime::DispatchError;

type CommitteeCall = crate::Call<Test>;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What the transaction pool would say about the call.
fn validity(call: &CommitteeCall) -> Result<ValidTransaction, TransactionValidityError> {
	call.authorize(TransactionSource::External)
		.expect("every handover call is an authorized call")
		.map(|(validity, _refund)| validity)
}

/// Validates the call as the pool would, then dispatches it with the `Authorized` origin.
fn submit(call: CommitteeCall) -> Result<(), DispatchError> {
	if let Err(e) = validity(&call) {
		panic!("the pool refused {call:?}: {e:?}");
	}
	dispatch_authorized(call)
}

/// Dispatches without asking the pool first (the state may have changed in between).
fn dispatch_authorized(call: CommitteeCall) -> Result<(), DispatchError> {
	call.dispatch_bypass_filter(frame_system::RawOrigin::Authorized.into())
		.map(|_| ())
		.map_err(|e| e.error)
}

fn stale() -> Result<ValidTransaction, TransactionValidityError> {
	Err(InvalidTransaction::Stale.into())
}

/// The attestation of next member `index` (signed by `signer`) for the pending attempt.
fn attestation_by(
	signer: &crate::crypto::AuthorityPair,
	index: u32,
	key: [u8; 33],
) -> CommitteeCall {
	let handover = PendingHandover::<Test>::get().expect("a pending handover");
	let attestation = HandoverAttestation {
		genesis_hash: Committee::genesis_hash(),
		epoch: handover.epoch,
		attempt: handover.attempt,
		member_index: index,
		public_key: key,
	};
	let signature = signer.sign(&attestation.signing_payload());
	CommitteeCall::attest_handover { attestation, signature }
}

/// Next members are `authority(i)` for the given pair numbers, in order.
fn attest_all(pairs: &[u8], key: [u8; 33]) {
	for (index, &i) in pairs.iter().enumerate() {
		assert_ok!(submit(attestation_by(&authority(i), index as u32, key)));
	}
}

/// The next committee's proof, signed with the key of `secret`.
fn proof(secret: &[u8; 32]) -> CommitteeCall {
	let handover = PendingHandover::<Test>::get().expect("a pending handover");
	let hash = handover_proof_hash(
		&Committee::genesis_hash(),
		handover.epoch,
		handover.attempt,
		&handover.members,
	);
	let signature = ecdsa::Pair::from_seed(secret).sign_prehashed(&hash).0;
	CommitteeCall::prove_handover { epoch: handover.epoch, attempt: handover.attempt, signature }
}

/// The genesis key generation completes with the key of `ROOT_SECRET`.
fn complete_genesis() {
	attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
	assert_ok!(submit(proof(&ROOT_SECRET)));
}

fn keys(pairs: &[u8]) -> Vec<crate::crypto::AuthorityId> {
	pairs.iter().map(|&i| authority(i).public()).collect()
}

/// A new session whose validators hold the `qmpc` keys of `pairs`.
fn new_session(pairs: &[u8]) {
	let validators: Vec<_> = keys(pairs).into_iter().map(|key| (ALICE, key)).collect();
	let iter = || validators.iter().map(|(account, key)| (account, key.clone()));
	Committee::on_new_session(true, iter(), iter());
}

fn run_to_block(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Committee::on_initialize(next);
	}
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Committee(event) => Some(event),
			_ => None,
		})
		.collect()
}

// ---------------------------------------------------------------------------------------------
// Genesis key generation
// ---------------------------------------------------------------------------------------------

#[test]
fn genesis_opens_the_key_generation_as_a_handover_without_dealers() {
	new_test_ext().execute_with(|| {
		assert_eq!(Authorities::<Test>::get().into_inner(), committee());
		assert_eq!(RootKey::<Test>::get(), None);
		let info = Committee::handover().expect("the key generation is pending");
		assert_eq!((info.epoch, info.attempt, info.threshold), (1, 0, 2));
		assert_eq!(info.members, committee());
		assert!(info.dealers.is_empty(), "there is no key to hand over yet");
		assert_eq!(info.deadline, info.started_at + HANDOVER_TIMEOUT);
	});
}

#[test]
fn the_root_key_goes_live_only_when_every_member_attested_and_the_committee_signed() {
	new_test_ext().execute_with(|| {
		let key = public_of(&ROOT_SECRET);
		// A threshold of attestations is not enough any more: every member must hold a share.
		attest_all(&[0, 1], key);
		assert_eq!(validity(&proof(&ROOT_SECRET)), stale());
		assert_noop!(dispatch_authorized(proof(&ROOT_SECRET)), Error::<Test>::NotAllAttested);
		assert_ok!(submit(attestation_by(&authority(2), 2, key)));
		assert_eq!(RootKey::<Test>::get(), None, "attested but not yet proven");

		// A signature by any other key proves nothing.
		assert_eq!(validity(&proof(&[9; 32])), Err(InvalidTransaction::BadProof.into()));
		assert_noop!(dispatch_authorized(proof(&[9; 32])), Error::<Test>::InvalidProof);

		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(RootKey::<Test>::get(), Some(key));
		assert_eq!(CurrentCommitteeId::<Test>::get(), 1);
		assert_eq!(Committee::handover(), None);
		assert!(events().contains(&Event::RootKeySet { committee_id: 1, public_key: key }));
	});
}

/// Genesis member at position `index` says it is online for the pending attempt.
fn ready_by(signer: &crate::crypto::AuthorityPair, index: u32) -> CommitteeCall {
	let handover = PendingHandover::<Test>::get().expect("a pending handover");
	let ready = GenesisReady {
		genesis_hash: Committee::genesis_hash(),
		epoch: handover.epoch,
		attempt: handover.attempt,
		member_index: index,
	};
	let signature = signer.sign(&ready.signing_payload());
	CommitteeCall::ready_for_genesis { ready, signature }
}

#[test]
fn a_member_down_at_genesis_does_not_block_the_root_key_and_gets_its_share_after() {
	new_test_ext().execute_with(|| {
		// Members 0 and 1 are online, member 2 is down: the first attempt runs out of time.
		assert_ok!(submit(ready_by(&authority(0), 0)));
		assert_ok!(submit(ready_by(&authority(1), 1)));
		let first = Committee::handover().unwrap();
		run_to_block(first.deadline + 1);
		let second = Committee::handover().unwrap();
		assert_eq!((second.attempt, second.members.clone()), (1, keys(&[0, 1])));
		assert_eq!(second.threshold, 2);
		assert!(events().contains(&Event::GenesisMembersChanged {
			epoch: first.epoch,
			attempt: 1,
			members: 2
		}));
		// The two generate the key; every one of *them* attests it and they prove it.
		attest_all(&[0, 1], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(RootKey::<Test>::get(), Some(public_of(&ROOT_SECRET)));
		assert_eq!(Authorities::<Test>::get().into_inner(), keys(&[0, 1]));
		// At once a handover to the whole validator set opens: member 2 gets its share there.
		let topup = Committee::handover().expect("a handover to the full set");
		assert_eq!(topup.members, committee());
		assert_eq!(topup.dealers, vec![0, 1]);
		attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(Authorities::<Test>::get().into_inner(), committee());
		assert_eq!(Committee::handover(), None);
	});
}

#[test]
fn too_few_ready_members_keep_the_genesis_members() {
	new_test_ext().execute_with(|| {
		// Only one of three is online: below the threshold of 2, nothing changes.
		assert_ok!(submit(ready_by(&authority(0), 0)));
		let first = Committee::handover().unwrap();
		run_to_block(first.deadline + 1);
		let second = Committee::handover().unwrap();
		assert_eq!((second.attempt, second.members), (1, committee()));
		assert!(!events().iter().any(|e| matches!(e, Event::GenesisMembersChanged { .. })));
	});
}

/// Every member of the pending attempt says it is ready (by its pair number `pairs[i]`).
fn all_ready(pairs: &[u8]) {
	for (index, &pair) in pairs.iter().enumerate() {
		assert_ok!(submit(ready_by(&authority(pair), index as u32)));
	}
}

#[test]
fn a_member_that_says_it_is_ready_and_stalls_is_left_out_in_turn_until_the_key_comes() {
	new_test_ext().execute_with(|| {
		// Member 2 says it is ready every time and then stalls the key generation. Each attempt
		// in which everyone was ready but no key came leaves one member out (position
		// `attempt % len`), down to the threshold; at the threshold, the full set tries again.
		let mut expected = vec![
			(1u32, vec![0u8, 2]), // without position 1
			(2, vec![0, 1, 2]),   // at the threshold: the full set
			(3, vec![1, 2]),      // without position 0
			(4, vec![0, 1, 2]),
			(5, vec![0, 1]), // without position 2: the staller is out
		]
		.into_iter();
		let mut members: Vec<u8> = vec![0, 1, 2];
		loop {
			all_ready(&members);
			let pending = Committee::handover().unwrap();
			run_to_block(pending.deadline + 1);
			let next = Committee::handover().unwrap();
			let (attempt, pairs) = expected.next().expect("the staller is out by attempt 5");
			assert_eq!((next.attempt, next.members.clone()), (attempt, keys(&pairs)));
			members = pairs;
			if !members.contains(&2) {
				break;
			}
		}
		// Without it, the key is generated; the handover to the full set follows.
		attest_all(&[0, 1], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(RootKey::<Test>::get(), Some(public_of(&ROOT_SECRET)));
		assert_eq!(Committee::handover().expect("to the full set").members, committee());
	});
}

#[test]
fn readiness_is_signed_by_its_member_once_per_attempt_and_only_before_the_key() {
	new_test_ext().execute_with(|| {
		// Signed by another member than the index says (an attacker marking others online).
		assert_eq!(validity(&ready_by(&authority(1), 0)), Err(InvalidTransaction::BadProof.into()));
		assert_eq!(
			validity(&ready_by(&authority(3), 3)),
			Err(InvalidTransaction::BadSigner.into())
		);
		assert_ok!(submit(ready_by(&authority(0), 0)));
		assert_eq!(validity(&ready_by(&authority(0), 0)), stale());
		assert_noop!(dispatch_authorized(ready_by(&authority(0), 0)), Error::<Test>::AlreadyReady);
		complete_genesis();
		new_session(&[0, 1, 2, 3]);
		assert_noop!(dispatch_authorized(ready_by(&authority(0), 0)), Error::<Test>::NotGenesis);
	});
}

#[test]
fn members_attesting_different_keys_never_complete() {
	new_test_ext().execute_with(|| {
		attest_all(&[0, 1], public_of(&ROOT_SECRET));
		// A dishonest member attests another key: the proof can never be accepted.
		assert_ok!(submit(attestation_by(&authority(2), 2, public_of(&[8; 32]))));
		assert_noop!(dispatch_authorized(proof(&ROOT_SECRET)), Error::<Test>::NotAllAttested);
		assert_noop!(dispatch_authorized(proof(&[8; 32])), Error::<Test>::NotAllAttested);
	});
}

#[test]
fn attestations_bind_the_chain_the_attempt_and_the_member() {
	new_test_ext().execute_with(|| {
		let key = public_of(&ROOT_SECRET);
		// Signed by another member than the index says.
		let forged = attestation_by(&authority(1), 0, key);
		assert_eq!(validity(&forged), Err(InvalidTransaction::BadProof.into()));
		// An index outside the next committee.
		let outsider = attestation_by(&authority(3), 3, key);
		assert_eq!(validity(&outsider), Err(InvalidTransaction::BadSigner.into()));
		// Another chain's genesis hash, another attempt.
		let mut call = attestation_by(&authority(0), 0, key);
		if let CommitteeCall::attest_handover { attestation, signature } = &mut call {
			attestation.genesis_hash = [0xEE; 32];
			*signature = authority(0).sign(&attestation.signing_payload());
		}
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongChain);
		let mut call = attestation_by(&authority(0), 0, key);
		if let CommitteeCall::attest_handover { attestation, signature } = &mut call {
			attestation.attempt = 1;
			*signature = authority(0).sign(&attestation.signing_payload());
		}
		assert_eq!(validity(&call), stale());
		// Not a point; twice.
		assert_noop!(
			dispatch_authorized(attestation_by(&authority(0), 0, [4; 33])),
			Error::<Test>::InvalidPublicKey
		);
		assert_ok!(submit(attestation_by(&authority(0), 0, key)));
		assert_eq!(validity(&attestation_by(&authority(0), 0, key)), stale());
		assert_noop!(
			dispatch_authorized(attestation_by(&authority(0), 0, key)),
			Error::<Test>::AlreadyAttested
		);
	});
}

#[test]
fn pool_validity_provides_one_tag_per_member_and_attempt_until_the_deadline() {
	new_test_ext().execute_with(|| {
		let key = public_of(&ROOT_SECRET);
		let first = validity(&attestation_by(&authority(0), 0, key)).unwrap();
		let second = validity(&attestation_by(&authority(1), 1, key)).unwrap();
		assert_ne!(first.provides, second.provides);
		assert_eq!(first.priority, PRIORITY);
		assert_eq!(first.longevity, u64::from(HANDOVER_TIMEOUT) - 1);
	});
}

// ---------------------------------------------------------------------------------------------
// Handovers
// ---------------------------------------------------------------------------------------------

#[test]
fn a_new_validator_set_is_handed_the_same_key_and_the_old_committee_signs_until_the_proof() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		let key = public_of(&ROOT_SECRET);
		// Dave (pair 3) joins: 3-of-4.
		new_session(&[0, 1, 2, 3]);
		let info = Committee::handover().expect("a handover to four members");
		assert_eq!((info.epoch, info.attempt, info.threshold), (2, 0, 3));
		assert_eq!(info.dealers, vec![0, 1], "two current members deal (threshold 2)");
		assert_eq!(info.public_key, Some(key));
		// The current committee is untouched until the proof.
		assert_eq!(Authorities::<Test>::get().into_inner(), committee());
		assert_eq!(Committee::committee().committee_id, 1);
		assert_eq!(Committee::committee().root_key, Some(key));
		// A next member can only attest the root key.
		assert_noop!(
			dispatch_authorized(attestation_by(&authority(3), 3, public_of(&[8; 32]))),
			Error::<Test>::NotTheRootKey
		);
		attest_all(&[0, 1, 2, 3], key);
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(Authorities::<Test>::get().into_inner(), keys(&[0, 1, 2, 3]));
		assert_eq!(CurrentCommitteeId::<Test>::get(), 2);
		assert_eq!(Committee::threshold(), 3);
		assert_eq!(RootKey::<Test>::get(), Some(key), "the root key never changes");
		assert!(events().contains(&Event::CommitteeChanged {
			committee_id: 2,
			members: 4,
			threshold: 3
		}));

		// Alice (pair 0) leaves: back to 2-of-3, dealt by members that stay.
		new_session(&[1, 2, 3]);
		let info = Committee::handover().unwrap();
		assert_eq!((info.epoch, info.threshold), (3, 2));
		assert!(!info.dealers.contains(&0), "a leaving member is not asked to deal first");
		assert_eq!(info.dealers.len(), 3);
		attest_all(&[1, 2, 3], key);
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(Authorities::<Test>::get().into_inner(), keys(&[1, 2, 3]));
		assert_eq!(Committee::member(0), Some(authority(1).public()));
	});
}

#[test]
fn a_key_rotation_is_a_handover_to_the_new_key() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		// Bob's node rotates its qmpc key: pair 1 is replaced by pair 5.
		new_session(&[0, 5, 2]);
		let info = Committee::handover().unwrap();
		assert_eq!(info.members, keys(&[0, 5, 2]));
		assert_eq!(info.dealers, vec![0, 2], "dealers are the members that keep their key");
		attest_all(&[0, 5, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(Authorities::<Test>::get().into_inner(), keys(&[0, 5, 2]));
	});
}

#[test]
fn an_attempt_that_runs_out_of_time_is_retried_with_other_dealers() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		new_session(&[0, 1, 2, 3]);
		let first = Committee::handover().unwrap();
		let key = public_of(&ROOT_SECRET);
		assert_ok!(submit(attestation_by(&authority(0), 0, key)));
		let stale_attestation = attestation_by(&authority(1), 1, key);
		run_to_block(first.deadline - 1);
		assert_eq!(Committee::handover().unwrap().attempt, 0);
		run_to_block(first.deadline);
		let second = Committee::handover().unwrap();
		assert_eq!((second.epoch, second.attempt), (first.epoch, 1));
		assert!(second.attested.is_empty(), "attestations of the abandoned attempt are void");
		assert_ne!(second.dealers, first.dealers);
		assert_ne!(second.proof_hash, first.proof_hash);
		assert!(events().contains(&Event::HandoverRetried { epoch: first.epoch, attempt: 1 }));
		assert_eq!(validity(&stale_attestation), stale());
		// The old committee never stopped being the committee.
		assert_eq!(Authorities::<Test>::get().into_inner(), committee());
		attest_all(&[0, 1, 2, 3], key);
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(CurrentCommitteeId::<Test>::get(), first.epoch);
	});
}

#[test]
fn a_proof_for_an_abandoned_attempt_is_refused() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		new_session(&[0, 1, 2, 3]);
		attest_all(&[0, 1, 2, 3], public_of(&ROOT_SECRET));
		let late = proof(&ROOT_SECRET);
		let deadline = Committee::handover().unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(validity(&late), stale());
		assert_noop!(dispatch_authorized(late), Error::<Test>::WrongHandover);
	});
}

#[test]
fn a_set_that_changes_again_replaces_the_handover_and_one_that_reverts_cancels_it() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		new_session(&[0, 1, 2, 3]);
		let first = Committee::handover().unwrap().epoch;
		new_session(&[0, 1, 2, 3, 4]);
		let second = Committee::handover().unwrap();
		assert!(second.epoch > first, "epochs are never reused");
		assert_eq!(second.members.len(), 5);
		// The same list again: nothing restarts.
		new_session(&[0, 1, 2, 3, 4]);
		assert_eq!(Committee::handover().unwrap().epoch, second.epoch);
		new_session(&[0, 1, 2]);
		assert_eq!(Committee::handover(), None);
		assert!(events().contains(&Event::HandoverCancelled { epoch: second.epoch }));
	});
}

#[test]
fn a_committee_of_one_gets_no_handover() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		new_session(&[0]);
		assert_eq!(Committee::handover(), None);
		assert_eq!(Authorities::<Test>::get().into_inner(), committee());
	});
}

#[test]
fn repair_is_governance_only_and_reshares_to_the_same_members() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		let call = CommitteeCall::repair { lost_shares: Default::default() };
		assert_noop!(
			call.clone().dispatch_bypass_filter(RuntimeOrigin::signed(ALICE)),
			DispatchError::BadOrigin
		);
		assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::root()));
		let info = Committee::handover().unwrap();
		assert_eq!(info.members, committee());
		assert_eq!(info.dealers.len(), 2);
		attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(CurrentCommitteeId::<Test>::get(), info.epoch);
		assert_eq!(Authorities::<Test>::get().into_inner(), committee());
	});
}

fn repair(lost: &[u32]) -> Result<(), DispatchError> {
	let call = CommitteeCall::repair { lost_shares: lost.to_vec().try_into().unwrap() };
	call.dispatch_bypass_filter(RuntimeOrigin::root()).map(|_| ()).map_err(|e| e.error)
}

#[test]
fn a_member_that_lost_its_share_is_never_a_dealer_of_its_repair() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		assert_ok!(repair(&[0]));
		for attempt in 0..4 {
			let info = Committee::handover().unwrap();
			assert_eq!(info.attempt, attempt);
			assert_eq!(info.dealers, vec![1, 2], "attempt {attempt}");
			run_to_block(info.deadline + 1);
		}
		// Too few members with a share left, or a member that does not exist: refused.
		assert_noop!(repair(&[0, 2]), Error::<Test>::TooFewToDeal);
		assert_noop!(repair(&[3]), Error::<Test>::InvalidAuthorityIndex);
	});
}

/// Member `reporter`'s ban report on `culprit`, signed by `signer`.
fn ban_report_by(
	signer: &crate::crypto::AuthorityPair,
	reporter: u32,
	culprit: u32,
) -> CommitteeCall {
	let report = BanReport {
		genesis_hash: Committee::genesis_hash(),
		epoch: CurrentCommitteeId::<Test>::get(),
		reporter_index: reporter,
		culprit_index: culprit,
		session_id: [7; 32],
		reason: BanReason::GammaUInconsistency,
	};
	let signature = signer.sign(&report.signing_payload());
	CommitteeCall::report_ban { report, signature }
}

#[test]
fn a_ban_report_separates_the_two_members_until_the_shares_change() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		assert!(Committee::banned_pairs().is_empty());
		assert_ok!(submit(ban_report_by(&authority(0), 0, 2)));
		assert_eq!(Committee::banned_pairs(), vec![(0, 2)]);
		assert!(events().contains(&Event::MemberBanned {
			committee_id: CurrentCommitteeId::<Test>::get(),
			reporter: 0,
			culprit: 2,
			session_id: [7; 32],
			reason: BanReason::GammaUInconsistency,
		}));
		// Once per pair: a second copy is stale in the pool and refused in a block.
		assert_eq!(validity(&ban_report_by(&authority(0), 0, 2)), stale());
		assert_noop!(
			dispatch_authorized(ban_report_by(&authority(0), 0, 2)),
			Error::<Test>::AlreadyReported
		);
		assert_ok!(submit(ban_report_by(&authority(1), 1, 2)));
		let mut pairs = Committee::banned_pairs();
		pairs.sort();
		assert_eq!(pairs, vec![(0, 2), (1, 2)]);

		// A repair gives everyone fresh shares (and fresh OT state): the bans are void.
		assert_ok!(repair(&[]));
		attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert!(Committee::banned_pairs().is_empty());
	});
}

#[test]
fn a_ban_report_must_be_signed_by_its_reporter_for_this_committee() {
	new_test_ext().execute_with(|| {
		// No committee with a key yet: nothing to report.
		assert_eq!(validity(&ban_report_by(&authority(0), 0, 2)), stale());
		complete_genesis();
		// Signed by someone else than the reporter it names (framing member 0).
		assert_eq!(
			validity(&ban_report_by(&authority(2), 0, 1)),
			Err(InvalidTransaction::BadProof.into())
		);
		assert_noop!(
			dispatch_authorized(ban_report_by(&authority(2), 0, 1)),
			Error::<Test>::InvalidCommitteeSignature
		);
		assert_noop!(
			dispatch_authorized(ban_report_by(&authority(0), 0, 0)),
			Error::<Test>::SelfReport
		);
		assert_noop!(
			dispatch_authorized(ban_report_by(&authority(0), 0, 3)),
			Error::<Test>::InvalidAuthorityIndex
		);
		// Another chain or another committee.
		let mut call = ban_report_by(&authority(0), 0, 2);
		if let CommitteeCall::report_ban { report, signature } = &mut call {
			report.genesis_hash = [9; 32];
			*signature = authority(0).sign(&report.signing_payload());
		}
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongChain);
		let mut call = ban_report_by(&authority(0), 0, 2);
		if let CommitteeCall::report_ban { report, signature } = &mut call {
			report.epoch += 1;
			*signature = authority(0).sign(&report.signing_payload());
		}
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongCommittee);
		assert!(Committee::banned_pairs().is_empty());
	});
}

// ---------------------------------------------------------------------------------------------
// Equivocation evidence
// ---------------------------------------------------------------------------------------------

/// An MPC message header (qsign-mpc wire format) for signing round `round` of session
/// `session`, broadcast by party `sender`.
fn mpc_header(session: u8, round: u8, sender: u16) -> Vec<u8> {
	let mut header = vec![1u8, 2];
	header.extend_from_slice(&[session; 32]);
	header.extend_from_slice(&[round, 0]);
	header.extend_from_slice(&sender.to_be_bytes());
	header.extend_from_slice(&[0, 0]);
	header
}

/// `body` signed by `signer` for the current committee of this chain.
fn signed(signer: &crate::crypto::AuthorityPair, body: Vec<u8>) -> SignedMessage {
	let statement =
		MessageStatement::new(Committee::genesis_hash(), CurrentCommitteeId::<Test>::get(), &body);
	SignedMessage {
		signature: signer.sign(&statement.signing_payload()),
		body: body.try_into().expect("small"),
	}
}

/// Member `offender` (key of `signer`) signing two payloads for the same slot.
fn equivocation_by(signer: &crate::crypto::AuthorityPair, sender: u16) -> EquivocationProof {
	let header = mpc_header(7, 3, sender);
	EquivocationProof {
		genesis_hash: Committee::genesis_hash(),
		epoch: CurrentCommitteeId::<Test>::get(),
		offender: signer.public(),
		first: signed(signer, [header.clone(), b"u = 1".to_vec()].concat()),
		second: signed(signer, [header, b"u = 2".to_vec()].concat()),
	}
}

fn report(proof: EquivocationProof) -> CommitteeCall {
	CommitteeCall::report_equivocation { proof: Box::new(proof) }
}

#[test]
fn an_equivocating_member_is_recorded_and_in_no_signer_set_until_the_shares_change() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		assert_ok!(submit(report(equivocation_by(&authority(1), 2))));
		assert!(events().contains(&Event::OffenceReported {
			committee_id: CurrentCommitteeId::<Test>::get(),
			offender: 1,
			session_id: [7; 32],
			round: 3,
		}));
		assert_eq!(Offenders::<Test>::get().into_inner(), vec![1]);
		// Every other member is paired with it: no signer set holds it.
		assert_eq!(Committee::banned_pairs(), vec![(0, 1), (2, 1)]);
		// Once per offender and committee.
		assert_eq!(validity(&report(equivocation_by(&authority(1), 2))), stale());
		assert_noop!(
			dispatch_authorized(report(equivocation_by(&authority(1), 2))),
			Error::<Test>::AlreadyReported
		);

		// A handover gives everyone fresh shares: the exclusion ends (governance decides about
		// the validator), and the old evidence is for another committee.
		assert_ok!(repair(&[]));
		attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert!(Committee::banned_pairs().is_empty());
		let old = equivocation_by(&authority(1), 2);
		let mut stale_proof = old.clone();
		stale_proof.epoch -= 1;
		assert_noop!(dispatch_authorized(report(stale_proof)), Error::<Test>::WrongCommittee);
	});
}

#[test]
fn evidence_that_does_not_prove_an_equivocation_is_refused() {
	new_test_ext().execute_with(|| {
		// No committee with a key yet.
		assert_eq!(validity(&report(equivocation_by(&authority(1), 2))), stale());
		complete_genesis();
		let bad_proof = Err(InvalidTransaction::BadProof.into());

		// Signed by someone else than the member it names (framing member 1).
		let mut framed = equivocation_by(&authority(0), 2);
		framed.offender = authority(1).public();
		assert_eq!(validity(&report(framed.clone())), bad_proof);
		assert_noop!(dispatch_authorized(report(framed)), Error::<Test>::InvalidEvidence);

		// One of the two messages is not the offender's.
		let mut half = equivocation_by(&authority(1), 2);
		half.second = signed(&authority(0), half.second.body.to_vec());
		assert_noop!(dispatch_authorized(report(half)), Error::<Test>::InvalidEvidence);

		// The same message twice (a retransmission is not an equivocation).
		let mut duplicate = equivocation_by(&authority(1), 2);
		duplicate.second = signed(&authority(1), duplicate.first.body.to_vec());
		assert_eq!(duplicate.verify(&Committee::genesis_hash()), Err(EvidenceError::SameMessage));
		assert_noop!(dispatch_authorized(report(duplicate)), Error::<Test>::InvalidEvidence);

		// Two different slots (another round): both honest messages.
		let mut slots = equivocation_by(&authority(1), 2);
		slots.second = signed(&authority(1), [mpc_header(7, 2, 2), b"u = 2".to_vec()].concat());
		assert_eq!(slots.verify(&Committee::genesis_hash()), Err(EvidenceError::DifferentSlots));
		assert_noop!(dispatch_authorized(report(slots)), Error::<Test>::InvalidEvidence);

		// Shorter than a header.
		let mut short = equivocation_by(&authority(1), 2);
		short.first = signed(&authority(1), vec![1, 2, 3]);
		assert_eq!(short.verify(&Committee::genesis_hash()), Err(EvidenceError::Malformed));

		// Signed for another chain, or claimed for another one.
		let mut chain = equivocation_by(&authority(1), 2);
		chain.genesis_hash = [9; 32];
		assert_noop!(dispatch_authorized(report(chain)), Error::<Test>::WrongChain);

		// Not a member of the committee.
		let outsider = equivocation_by(&authority(5), 2);
		assert_eq!(validity(&report(outsider.clone())), Err(InvalidTransaction::BadSigner.into()));
		assert_noop!(dispatch_authorized(report(outsider)), Error::<Test>::NotAMember);
		assert!(Committee::banned_pairs().is_empty());
	});
}

// ---------------------------------------------------------------------------------------------
// Dealing evidence
// ---------------------------------------------------------------------------------------------

/// A header of `protocol`'s dealing round in run `session`: a broadcast, or the message to
/// `receiver`, from party `sender`.
fn dealing_header(protocol: u8, session: [u8; 32], sender: u16, receiver: Option<u16>) -> Vec<u8> {
	let round = if protocol == PROTOCOL_DKG { 2 } else { 1 };
	let mut header = vec![1u8, protocol];
	header.extend_from_slice(&session);
	header.extend_from_slice(&[round, u8::from(receiver.is_some())]);
	header.extend_from_slice(&sender.to_be_bytes());
	header.extend_from_slice(&receiver.unwrap_or(0).to_be_bytes());
	header
}

/// `body` signed by `signer` for a run of the pending handover (its next epoch).
fn signed_for_handover(signer: &crate::crypto::AuthorityPair, body: Vec<u8>) -> SignedMessage {
	let epoch = PendingHandover::<Test>::get().expect("pending").epoch;
	let statement = MessageStatement::new(Committee::genesis_hash(), epoch, &body);
	SignedMessage {
		signature: signer.sign(&statement.signing_payload()),
		body: body.try_into().expect("small"),
	}
}

/// The session id of the pending attempt's run of `protocol`.
fn running_session(protocol: u8) -> [u8; 32] {
	let handover = PendingHandover::<Test>::get().expect("pending");
	crate::attempt_session_id(
		&Committee::genesis_hash(),
		handover.epoch,
		handover.attempt,
		protocol == PROTOCOL_DKG,
	)
}

/// `signer`'s dealing in the pending attempt's run of `protocol`, with a fragment for
/// receiver 2 that is off the committed polynomial (or on it, if `honest`).
fn dealing_by(
	signer: &crate::crypto::AuthorityPair,
	protocol: u8,
	honest: bool,
) -> InvalidDealingProof {
	dealing_in(signer, protocol, running_session(protocol), honest)
}

/// As [`dealing_by`], in the run `session`.
fn dealing_in(
	signer: &crate::crypto::AuthorityPair,
	protocol: u8,
	session: [u8; 32],
	honest: bool,
) -> InvalidDealingProof {
	let (points, wrong) = qsign_primitives::dealing::encode::example_wrong_dealing(2, 2);
	let fragment = if honest {
		// The right value is the wrong one minus one: `0x20 ‖ big-endian`, never ending in 0.
		let mut right = wrong.clone();
		*right.last_mut().expect("32 bytes") -= 1;
		right
	} else {
		wrong
	};
	InvalidDealingProof {
		genesis_hash: Committee::genesis_hash(),
		epoch: PendingHandover::<Test>::get().expect("pending").epoch,
		offender: signer.public(),
		dealing: signed_for_handover(
			signer,
			[dealing_header(protocol, session, 1, None), points].concat(),
		),
		fragment: signed_for_handover(
			signer,
			[dealing_header(protocol, session, 1, Some(2)), fragment].concat(),
		),
	}
}

fn report_dealing(proof: InvalidDealingProof) -> CommitteeCall {
	CommitteeCall::report_invalid_dealing { proof: Box::new(proof) }
}

#[test]
fn a_dealer_proven_to_deal_a_wrong_share_deals_no_more_and_its_attempt_is_retried_at_once() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		new_session(&[0, 1, 2, 3]);
		let first = Committee::handover().unwrap();
		assert_eq!(first.dealers, vec![0, 1]);
		// Dealer 1 (pair 1) deals a wrong share; the receiver shows its two signed messages.
		let evidence = dealing_by(&authority(1), PROTOCOL_RESHARE, false);
		assert_ok!(submit(report_dealing(evidence.clone())));
		assert!(events().contains(&Event::InvalidDealingReported {
			epoch: first.epoch,
			offender: authority(1).public(),
			session_id: evidence.session_id(),
		}));
		assert_eq!(HandoverOffenders::<Test>::get().into_inner(), keys(&[1]));
		// A current member: in no signer set until the shares change.
		assert_eq!(Offenders::<Test>::get().into_inner(), vec![1]);
		assert_eq!(Committee::banned_pairs(), vec![(0, 1), (2, 1)]);
		// Once per dealer and handover.
		assert_eq!(validity(&report_dealing(evidence.clone())), stale());
		assert_noop!(dispatch_authorized(report_dealing(evidence)), Error::<Test>::AlreadyReported);
		// The attempt is retried at once, not at its deadline, and the dealer deals in no later
		// attempt.
		let mut attempt = Committee::handover().unwrap();
		assert_eq!(attempt.attempt, 1);
		for _ in 0..4 {
			assert!(
				!attempt.dealers.contains(&1),
				"attempt {}: {:?}",
				attempt.attempt,
				attempt.dealers
			);
			assert_eq!(attempt.dealers.len(), 2);
			run_to_block(attempt.deadline);
			attempt = Committee::handover().unwrap();
		}
		// The handover completes without it; the new shares end the exclusion.
		attest_all(&[0, 1, 2, 3], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert!(HandoverOffenders::<Test>::get().is_empty());
		assert!(Offenders::<Test>::get().is_empty());
	});
}

#[test]
fn evidence_from_an_earlier_attempt_excludes_the_dealer_without_cutting_the_running_one_short() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		new_session(&[0, 1, 2, 3]);
		let first = Committee::handover().unwrap();
		assert_eq!(first.dealers, vec![0, 1]);
		// A receiver held back evidence against dealer 1 from an earlier run (another session)
		// and shows it now: dealer 1 is out of later attempts, but the running attempt, which
		// may well succeed, is not aborted for it.
		let earlier = dealing_in(&authority(1), PROTOCOL_RESHARE, [9; 32], false);
		assert_ok!(submit(report_dealing(earlier)));
		assert_eq!(HandoverOffenders::<Test>::get().into_inner(), keys(&[1]));
		run_to_block(first.deadline - 1);
		assert_eq!(Committee::handover().unwrap().attempt, 0);
		run_to_block(first.deadline);
		let second = Committee::handover().unwrap();
		assert_eq!(second.attempt, 1);
		assert!(!second.dealers.contains(&1), "{:?}", second.dealers);
	});
}

#[test]
fn a_genesis_member_proven_to_deal_a_wrong_share_is_left_out_of_the_key_generation() {
	new_test_ext().execute_with(|| {
		// Pair 2 deals a wrong share in the genesis key generation, which every member said it
		// is ready for (so no member is left out for being offline).
		all_ready(&[0, 1, 2]);
		assert_eq!(
			validity(&report_dealing(dealing_by(&authority(2), PROTOCOL_RESHARE, false))),
			Err(InvalidTransaction::BadProof.into()),
			"at genesis the runs are key generations"
		);
		assert_ok!(submit(report_dealing(dealing_by(&authority(2), PROTOCOL_DKG, false))));
		assert!(Offenders::<Test>::get().is_empty(), "no committee with shares yet");
		let second = Committee::handover().unwrap();
		assert_eq!((second.attempt, second.members.clone()), (1, keys(&[0, 1])));
		// Later attempts leave it out too, even when nobody said it is ready.
		run_to_block(second.deadline);
		let third = Committee::handover().unwrap();
		assert_eq!((third.attempt, third.members.clone()), (2, keys(&[0, 1])));
		// The key comes from the other two; the validator set's handover gives it a share
		// (governance decides about the validator).
		attest_all(&[0, 1], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(Committee::handover().expect("to the full set").members, committee());
		assert!(HandoverOffenders::<Test>::get().is_empty());
	});
}

#[test]
fn evidence_that_does_not_prove_a_wrong_dealing_is_refused() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		// No handover pending.
		assert_eq!(
			dispatch_authorized(report_dealing(equivocation_free_dealing())),
			Err(Error::<Test>::NoHandover.into())
		);
		new_session(&[0, 1, 2, 3]);
		let bad_proof = Err(InvalidTransaction::BadProof.into());

		// An honest dealing: the fragment is on the polynomial.
		let honest = dealing_by(&authority(1), PROTOCOL_RESHARE, true);
		assert_eq!(honest.verify(&Committee::genesis_hash(), 8), Err(EvidenceError::ValidDealing));
		assert_eq!(validity(&report_dealing(honest)), bad_proof);

		// Signed by someone else than the dealer it names (framing member 1).
		let mut framed = dealing_by(&authority(0), PROTOCOL_RESHARE, false);
		framed.offender = authority(1).public();
		assert_noop!(dispatch_authorized(report_dealing(framed)), Error::<Test>::InvalidEvidence);

		// The fragment of another run (two honest messages of different runs).
		let mut runs = dealing_by(&authority(1), PROTOCOL_RESHARE, false);
		let mut body = runs.fragment.body.to_vec();
		body[2] ^= 1;
		runs.fragment = signed_for_handover(&authority(1), body);
		assert_eq!(runs.verify(&Committee::genesis_hash(), 8), Err(EvidenceError::DifferentSlots));
		assert_noop!(dispatch_authorized(report_dealing(runs)), Error::<Test>::InvalidEvidence);

		// Two broadcasts, or a fragment of a later round.
		let mut broadcasts = dealing_by(&authority(1), PROTOCOL_RESHARE, false);
		broadcasts.fragment = broadcasts.dealing.clone();
		assert_eq!(broadcasts.verify(&Committee::genesis_hash(), 8), Err(EvidenceError::Malformed));
		let mut later = dealing_by(&authority(1), PROTOCOL_RESHARE, false);
		let mut body = later.fragment.body.to_vec();
		body[34] = 2;
		later.fragment = signed_for_handover(&authority(1), body);
		assert_eq!(later.verify(&Committee::genesis_hash(), 8), Err(EvidenceError::DifferentSlots));

		// Signed for another epoch, claimed for another chain, or by a non-member.
		let mut epoch = dealing_by(&authority(1), PROTOCOL_RESHARE, false);
		epoch.epoch += 1;
		assert_noop!(dispatch_authorized(report_dealing(epoch)), Error::<Test>::WrongHandover);
		let mut chain = dealing_by(&authority(1), PROTOCOL_RESHARE, false);
		chain.genesis_hash = [9; 32];
		assert_noop!(dispatch_authorized(report_dealing(chain)), Error::<Test>::WrongChain);
		let outsider = dealing_by(&authority(5), PROTOCOL_RESHARE, false);
		assert_eq!(
			validity(&report_dealing(outsider.clone())),
			Err(InvalidTransaction::BadSigner.into())
		);
		assert_noop!(dispatch_authorized(report_dealing(outsider)), Error::<Test>::NotAMember);
		assert!(HandoverOffenders::<Test>::get().is_empty());
		assert!(Committee::banned_pairs().is_empty());
	});
}

/// Some dealing evidence when no handover is pending (its epoch is the current one).
fn equivocation_free_dealing() -> InvalidDealingProof {
	let (points, wrong) = qsign_primitives::dealing::encode::example_wrong_dealing(2, 2);
	InvalidDealingProof {
		genesis_hash: Committee::genesis_hash(),
		epoch: CurrentCommitteeId::<Test>::get(),
		offender: authority(1).public(),
		dealing: signed(
			&authority(1),
			[dealing_header(PROTOCOL_RESHARE, [9; 32], 1, None), points].concat(),
		),
		fragment: signed(
			&authority(1),
			[dealing_header(PROTOCOL_RESHARE, [9; 32], 1, Some(2)), wrong].concat(),
		),
	}
}

// ---------------------------------------------------------------------------------------------
// Blame
// ---------------------------------------------------------------------------------------------

/// Member `reporter`'s blame of `blamed`, signed by `signer`.
fn blame_by(signer: &crate::crypto::AuthorityPair, reporter: u32, blamed: u32) -> CommitteeCall {
	let report = BlameReport {
		genesis_hash: Committee::genesis_hash(),
		epoch: CurrentCommitteeId::<Test>::get(),
		reporter_index: reporter,
		blamed_index: blamed,
		session_id: [8; 32],
		reason: Blame::Silent,
	};
	let signature = signer.sign(&report.signing_payload());
	CommitteeCall::report_blame { report, signature }
}

#[test]
fn a_blamed_member_signs_with_its_reporter_in_no_run_until_the_exclusion_ends() {
	new_test_ext().execute_with(|| {
		complete_genesis();
		let now = System::block_number();
		assert_ok!(submit(blame_by(&authority(0), 0, 2)));
		assert!(events().contains(&Event::MemberBlamed {
			committee_id: CurrentCommitteeId::<Test>::get(),
			reporter: 0,
			blamed: 2,
			session_id: [8; 32],
			reason: Blame::Silent,
			until: now + BLAME_EXCLUSION,
		}));
		// Only the reporter's pairing: sets without member 0 may still hold member 2.
		assert_eq!(Committee::banned_pairs(), vec![(0, 2)]);
		// Once while it lasts.
		assert_eq!(validity(&blame_by(&authority(0), 0, 2)), stale());
		assert_ok!(submit(blame_by(&authority(1), 1, 2)));
		assert_eq!(Committee::banned_pairs(), vec![(0, 2), (1, 2)]);

		// It lapses by itself; the reporter may blame again (a member still silent).
		run_to_block(now + BLAME_EXCLUSION + 1);
		assert!(Committee::banned_pairs().is_empty());
		assert_ok!(submit(blame_by(&authority(0), 0, 2)));
		assert_eq!(Committee::banned_pairs(), vec![(0, 2)]);

		// A new committee has other indices: the blame is cleared.
		assert_ok!(repair(&[]));
		attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert!(Committee::banned_pairs().is_empty());
	});
}

#[test]
fn a_blame_must_be_signed_by_its_reporter_for_this_committee() {
	new_test_ext().execute_with(|| {
		assert_eq!(validity(&blame_by(&authority(0), 0, 2)), stale());
		complete_genesis();
		// Framing: signed by another member than the reporter it names.
		assert_eq!(
			validity(&blame_by(&authority(2), 0, 1)),
			Err(InvalidTransaction::BadProof.into())
		);
		assert_noop!(dispatch_authorized(blame_by(&authority(0), 0, 0)), Error::<Test>::SelfReport);
		assert_noop!(
			dispatch_authorized(blame_by(&authority(0), 0, 3)),
			Error::<Test>::InvalidAuthorityIndex
		);
		let mut call = blame_by(&authority(0), 0, 2);
		if let CommitteeCall::report_blame { report, signature } = &mut call {
			report.epoch += 1;
			*signature = authority(0).sign(&report.signing_payload());
		}
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongCommittee);
		assert!(Committee::banned_pairs().is_empty());
	});
}

// ---------------------------------------------------------------------------------------------
// Liveness (heartbeats)
// ---------------------------------------------------------------------------------------------

/// Member `index`'s heartbeat as of `block`, signed by `signer`.
fn heartbeat_by(signer: &crate::crypto::AuthorityPair, index: u32, block: u32) -> CommitteeCall {
	let heartbeat = Heartbeat {
		genesis_hash: Committee::genesis_hash(),
		epoch: CurrentCommitteeId::<Test>::get(),
		member_index: index,
		block,
	};
	let signature = signer.sign(&heartbeat.signing_payload());
	CommitteeCall::heartbeat { heartbeat, signature }
}

#[test]
fn a_completed_handover_makes_every_new_member_live_for_two_intervals() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		assert!(Committee::live_members().is_empty(), "no key, nobody to choose");
		complete_genesis();
		// Every member just attested its share.
		assert_eq!(Committee::live_members(), vec![0, 1, 2]);
		run_to_block(2 + 2 * HEARTBEAT_INTERVAL);
		assert_eq!(Committee::live_members(), vec![0, 1, 2]);
		run_to_block(3 + 2 * HEARTBEAT_INTERVAL);
		assert!(Committee::live_members().is_empty(), "nobody sent a heartbeat since");
	});
}

#[test]
fn a_member_stays_live_by_its_heartbeats_and_drops_out_when_they_stop() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		complete_genesis();
		let mut now = 2;
		// Members 0 and 1 send a heartbeat every interval; member 2 (down) sends none.
		for _ in 0..3 {
			now += HEARTBEAT_INTERVAL;
			run_to_block(now);
			assert_ok!(submit(heartbeat_by(&authority(0), 0, now)));
			assert_ok!(submit(heartbeat_by(&authority(1), 1, now - 1)));
		}
		assert_eq!(Committee::live_members(), vec![0, 1]);
		// A member that comes back is live in the block its heartbeat lands in.
		assert_ok!(submit(heartbeat_by(&authority(2), 2, now)));
		assert_eq!(Committee::live_members(), vec![0, 1, 2]);
		// A new committee starts from its own attestations, not the old heartbeats.
		assert_ok!(repair(&[]));
		attest_all(&[0, 1, 2], public_of(&ROOT_SECRET));
		assert_ok!(submit(proof(&ROOT_SECRET)));
		assert_eq!(crate::Heartbeats::<Test>::get().into_inner(), vec![now; 3]);
	});
}

#[test]
fn a_heartbeat_must_be_recent_signed_by_its_member_for_this_committee_and_not_too_frequent() {
	new_test_ext().execute_with(|| {
		run_to_block(2);
		assert_eq!(validity(&heartbeat_by(&authority(0), 0, 2)), stale(), "no root key yet");
		complete_genesis();
		run_to_block(20);
		// A block in the future, or more than one interval old (a recorded heartbeat replayed
		// later to fake liveness).
		assert_noop!(
			dispatch_authorized(heartbeat_by(&authority(0), 0, 21)),
			Error::<Test>::StaleHeartbeat
		);
		assert_noop!(
			dispatch_authorized(heartbeat_by(&authority(0), 0, 20 - HEARTBEAT_INTERVAL - 1)),
			Error::<Test>::StaleHeartbeat
		);
		// Signed by another member than the one it names.
		assert_eq!(
			validity(&heartbeat_by(&authority(1), 0, 20)),
			Err(InvalidTransaction::BadProof.into())
		);
		assert_noop!(
			dispatch_authorized(heartbeat_by(&authority(0), 3, 20)),
			Error::<Test>::InvalidAuthorityIndex
		);
		let mut call = heartbeat_by(&authority(0), 0, 20);
		if let CommitteeCall::heartbeat { heartbeat, signature } = &mut call {
			heartbeat.epoch += 1;
			*signature = authority(0).sign(&heartbeat.signing_payload());
		}
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongCommittee);
		let mut call = heartbeat_by(&authority(0), 0, 20);
		if let CommitteeCall::heartbeat { heartbeat, signature } = &mut call {
			heartbeat.genesis_hash = [9; 32];
			*signature = authority(0).sign(&heartbeat.signing_payload());
		}
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongChain);
		// At most one per half interval: the pool keeps the next one for later.
		assert_ok!(submit(heartbeat_by(&authority(0), 0, 19)));
		assert_eq!(
			validity(&heartbeat_by(&authority(0), 0, 20)),
			Err(InvalidTransaction::Future.into())
		);
		run_to_block(19 + HEARTBEAT_INTERVAL / 2);
		assert_ok!(submit(heartbeat_by(&authority(0), 0, 19 + HEARTBEAT_INTERVAL / 2)));
	});
}
