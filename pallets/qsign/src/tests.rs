//! Specification of pallet-qsign, as tests.

use crate::{
	mock::*, Callbacks, Error, Event, EvmTransactions, ExpiryQueue, IdempotencyKeys, KeyIds, Keys,
	NextKeyId, NextRequestId, Payload, PayloadOf, PendingRequests, RequestKind, RequestStatus,
	Requests,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::{
		fungible::{Inspect, InspectHold},
		Authorize, Hooks, OneSessionHandler, UnfilteredDispatchable,
	},
	BoundedVec,
};
use k256::elliptic_curve::PrimeField;
use pallet_committee::{
	Authorities, CurrentCommitteeId, HandoverAttestation, PendingHandover, RootKey,
};
use qsign_primitives::{
	committee::handover_proof_hash,
	derivation,
	request::{EvmTxType, FailureReason, FailureVote, Hasher},
};
use sp_core::{ecdsa, Pair};
use sp_io::hashing::{keccak_256, sha2_256};
use sp_runtime::{
	traits::{Applyable, Checkable},
	DispatchError,
};

type QSignCall = crate::Call<Test>;
type CommitteeCall = pallet_committee::Call<Test>;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn hex(s: &str) -> Vec<u8> {
	(0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn signed(who: &AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.clone())
}

fn authorized_origin() -> RuntimeOrigin {
	frame_system::RawOrigin::Authorized.into()
}

/// What the transaction pool would say about the call.
fn validity(call: &impl Authorize) -> Result<ValidTransaction, TransactionValidityError> {
	call.authorize(TransactionSource::External)
		.expect("every committee result is an authorized call")
		.map(|(validity, _refund)| validity)
}

/// Validates the call as the pool would, then dispatches it with the `Authorized` origin the
/// `AuthorizeCall` extension gives it.
fn submit<C>(call: C) -> Result<(), DispatchError>
where
	C: Authorize + UnfilteredDispatchable<RuntimeOrigin = RuntimeOrigin> + core::fmt::Debug,
{
	if let Err(e) = validity(&call) {
		panic!("the pool refused {call:?}: {e:?}");
	}
	call.dispatch_bypass_filter(authorized_origin()).map(|_| ()).map_err(|e| e.error)
}

/// Dispatches the call with the `Authorized` origin without asking the pool first (as if the
/// state changed between validation and inclusion).
fn dispatch_authorized(call: QSignCall) -> Result<(), DispatchError> {
	call.dispatch_bypass_filter(authorized_origin()).map(|_| ()).map_err(|e| e.error)
}

fn stale() -> Result<ValidTransaction, TransactionValidityError> {
	Err(InvalidTransaction::Stale.into())
}

fn bad_proof() -> Result<ValidTransaction, TransactionValidityError> {
	Err(InvalidTransaction::BadProof.into())
}

fn qsign_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::QSign(event) => Some(event),
			_ => None,
		})
		.collect()
}

fn last_event() -> Event<Test> {
	qsign_events().pop().expect("an event")
}

fn run_to_block(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		QSign::on_initialize(next);
	}
}

/// Completes pallet-committee's pending handover as the next committee would: every next
/// member (one of `committee()`'s keys) attests the key of `secret`, then the committee signs
/// the proof hash with it.
fn complete_handover(secret: &[u8; 32]) {
	let handover = PendingHandover::<Test>::get().expect("a pending handover");
	let genesis_hash = pallet_committee::Pallet::<Test>::genesis_hash();
	for (index, member) in handover.members.iter().enumerate() {
		let pair = committee().iter().position(|key| key == member).expect("a known key") as u8;
		let attestation = HandoverAttestation {
			genesis_hash,
			epoch: handover.epoch,
			attempt: handover.attempt,
			member_index: index as u32,
			public_key: public_of(secret),
		};
		let signature = authority(pair).sign(&attestation.signing_payload());
		assert_ok!(submit(CommitteeCall::attest_handover { attestation, signature }));
	}
	let hash =
		handover_proof_hash(&genesis_hash, handover.epoch, handover.attempt, &handover.members);
	let signature = ecdsa::Pair::from_seed(secret).sign_prehashed(&hash).0;
	let (epoch, attempt) = (handover.epoch, handover.attempt);
	assert_ok!(submit(CommitteeCall::prove_handover { epoch, attempt, signature }));
}

fn failure_call(member: u8, request_id: u64, reason: FailureReason) -> QSignCall {
	let vote = FailureVote {
		committee_id: CurrentCommitteeId::<Test>::get(),
		request_id,
		authority_index: member as u32,
		reason,
	};
	let signature = authority(member).sign(&vote.signing_payload());
	QSignCall::report_failure { vote, signature }
}

/// The genesis committee's key generation produces the key of `secret` (through
/// pallet-committee's handover, as on the real chain).
fn set_root_key(secret: &[u8; 32]) {
	complete_handover(secret);
	assert_eq!(RootKey::<Test>::get(), Some(public_of(secret)));
}

fn path(bytes: &[u8]) -> BoundedVec<u8, ConstPathLen> {
	bytes.to_vec().try_into().unwrap()
}
type ConstPathLen = <Test as crate::Config>::MaxPathLen;

fn create_key(owner: &AccountId, p: &[u8]) -> u64 {
	assert_ok!(QSign::request_key(signed(owner), path(p)));
	KeyIds::<Test>::get(owner, path(p)).unwrap()
}

fn payloads(items: Vec<PayloadOf<Test>>) -> crate::PayloadsOf<Test> {
	items.try_into().unwrap()
}

fn hash_payload(byte: u8) -> PayloadOf<Test> {
	Payload::Hash([byte; 32])
}

fn request_one(owner: &AccountId, key_id: u64, byte: u8) -> u64 {
	let id = NextRequestId::<Test>::get();
	assert_ok!(QSign::request_signature(
		signed(owner),
		key_id,
		payloads(vec![hash_payload(byte)]),
		None,
		None
	));
	id
}

/// Signs `hash` with the secret, as the committee would with its shares.
fn sign(secret: &[u8; 32], hash: &[u8; 32]) -> [u8; 65] {
	ecdsa::Pair::from_seed(secret).sign_prehashed(hash).0
}

/// The same signature with `s` replaced by `n − s` (and `v` flipped): valid ECDSA, but high-s.
fn high_s(signature: &[u8; 65]) -> [u8; 65] {
	let s =
		k256::Scalar::from_repr(<[u8; 32]>::try_from(&signature[32..64]).unwrap().into()).unwrap();
	let mut out = *signature;
	out[32..64].copy_from_slice(&(-s).to_repr());
	out[64] ^= 1;
	out
}

/// Root key set, a key for Alice at path "eth", one pending signature request.
/// Returns `(key_id, request_id, derived secret)`.
fn setup_pending() -> (u64, u64, [u8; 32]) {
	set_root_key(&ROOT_SECRET);
	let key_id = create_key(&ALICE, b"eth");
	let request_id = request_one(&ALICE, key_id, 0xaa);
	(key_id, request_id, derived_secret(&ROOT_SECRET, &ALICE, b"eth"))
}

fn held(who: &AccountId) -> Balance {
	Balances::total_balance_on_hold(who)
}

fn held_for_requests(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::RequestDeposit.into(), who)
}

// Transaction vectors (see `evm_tx` for their sources).
const EIP155_UNSIGNED: &str =
	"ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080";
const EIP155_SIGNED: &str = "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
const EIP155_KEY: [u8; 32] = [0x46; 32];
const EIP1559_UNSIGNED: &str = "02ed821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc980c0";
const EIP1559_SIGNED: &str = "02f870821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc980c080a0d067f2167008c59219652f91cbf8788dbca5f771f6e91e2b7657e85b78b472e0a01d305af9fe81fdba43f0dfcd400ed24dcace0a7e30d4e85701dcaaf484cd079e";
const EIP1559_HASH: &str = "a3bf78ff247cad934aa5fb13e05f11e59c93511523ff8a622e59c3a34700e5c8";
const EIP1559_KEY: &str = "8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";

/// An unsigned legacy transaction with the given raw RLP `to` and chain id items.
fn legacy_tx(to: &[u8], chain_id: &[u8]) -> Vec<u8> {
	let mut stream = rlp::RlpStream::new_list(9);
	for item in [
		&[0x09][..],
		&[0x01],
		&[0x82, 0x52, 0x08],
		to,
		&[0x80],
		&[0x80],
		chain_id,
		&[0x80],
		&[0x80],
	] {
		stream.append_raw(item, 1);
	}
	stream.out().to_vec()
}

fn tx(hex_str: &str) -> crate::UnsignedTxOf<Test> {
	hex(hex_str).try_into().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn the_mock_configuration_passes_the_integrity_test() {
	new_test_ext().execute_with(QSign::integrity_test);
}

// ---------------------------------------------------------------------------------------------
// Committee results (the committee itself and the root key are pallet-committee's: its tests)
// ---------------------------------------------------------------------------------------------

#[test]
fn committee_results_need_the_authorized_origin() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			QSign::submit_signature(RuntimeOrigin::none(), 0, [0; 65]),
			DispatchError::BadOrigin
		);
		assert_noop!(QSign::submit_signature(signed(&ALICE), 0, [0; 65]), DispatchError::BadOrigin);
		let QSignCall::report_failure { vote, signature } =
			failure_call(0, 0, FailureReason::SigningAborted)
		else {
			unreachable!()
		};
		assert_noop!(
			QSign::report_failure(signed(&ALICE), vote, signature),
			DispatchError::BadOrigin
		);
	});
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

#[test]
fn request_key_derives_the_public_key_on_chain() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"ethereum,1");
		assert_eq!(key_id, 0);

		let root = public_of(&ROOT_SECRET);
		let epsilon = derivation::epsilon(ALICE.as_ref(), b"ethereum,1");
		let expected = derivation::derive_public_key(&root, &epsilon).unwrap();
		// The derived key is the public key of root secret + ε.
		assert_eq!(expected, public_of(&derived_secret(&ROOT_SECRET, &ALICE, b"ethereum,1")));

		assert_eq!(
			last_event(),
			Event::KeyCreated {
				key_id,
				owner: ALICE,
				path: path(b"ethereum,1"),
				public_key: expected
			}
		);
		let info = QSign::key_info(key_id).unwrap();
		assert_eq!(info.owner, ALICE);
		assert_eq!(info.path, b"ethereum,1".to_vec());
		assert_eq!(info.epsilon, epsilon);
		assert_eq!(info.public_key, expected);
		assert_eq!(info.created_at, 1);
		assert_eq!(held(&ALICE), KEY_DEPOSIT);
	});
}

#[test]
fn the_same_owner_and_path_points_to_the_existing_key() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"btc");
		assert_ok!(QSign::request_key(signed(&ALICE), path(b"btc")));
		assert_eq!(last_event(), Event::KeyExists { key_id, owner: ALICE });
		assert_eq!(NextKeyId::<Test>::get(), 1);
		assert_eq!(held(&ALICE), KEY_DEPOSIT);

		// Another owner with the same path gets another key.
		let bobs = create_key(&BOB, b"btc");
		assert_ne!(bobs, key_id);
		assert_ne!(
			Keys::<Test>::get(bobs).unwrap().public_key,
			Keys::<Test>::get(key_id).unwrap().public_key
		);
	});
}

#[test]
fn request_key_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(QSign::request_key(signed(&ALICE), path(b"x")), Error::<Test>::NoRootKey);
		set_root_key(&ROOT_SECRET);

		for p in [b"a", b"b", b"c"] {
			create_key(&ALICE, p);
		}
		assert_noop!(QSign::request_key(signed(&ALICE), path(b"d")), Error::<Test>::TooManyKeys);

		let penniless = sp_runtime::AccountId32::new([9; 32]);
		assert_noop!(
			QSign::request_key(signed(&penniless), path(b"a")),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			QSign::request_key(RuntimeOrigin::none(), path(b"a")),
			DispatchError::BadOrigin
		);

		NextKeyId::<Test>::put(u64::MAX);
		assert_noop!(QSign::request_key(signed(&BOB), path(b"a")), Error::<Test>::IdOverflow);
	});
}

#[test]
fn request_key_fails_cleanly_when_the_derived_key_is_the_point_at_infinity() {
	new_test_ext().execute_with(|| {
		// Root secret −ε(Alice, "x"): root + ε·G is the identity. Probability 2⁻²⁵⁶ in real life.
		set_root_key(&root_secret_deriving(&[0; 32], &ALICE, b"x"));
		assert_noop!(
			QSign::request_key(signed(&ALICE), path(b"x")),
			Error::<Test>::KeyDerivationFailed
		);
		assert_ok!(QSign::request_key(signed(&ALICE), path(b"y")));
	});
}

// ---------------------------------------------------------------------------------------------
// Signature requests
// ---------------------------------------------------------------------------------------------

#[test]
fn request_signature_creates_one_request_per_payload_with_the_hash_computed_on_chain() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let data: BoundedVec<u8, _> = b"hello".to_vec().try_into().unwrap();
		assert_ok!(QSign::request_signature(
			signed(&ALICE),
			key_id,
			payloads(vec![
				Payload::Data { data: data.clone(), hasher: Hasher::Keccak256 },
				Payload::Data { data, hasher: Hasher::Sha256 },
				Payload::Hash([0x42; 32]),
			]),
			Some(20),
			None,
		));
		let expected = [keccak_256(b"hello"), sha2_256(b"hello"), [0x42; 32]];
		let created: Vec<_> = qsign_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::RequestCreated {
					request_id,
					owner,
					key_id: k,
					kind,
					message_hash,
					expires_at,
				} => {
					assert_eq!(
						(owner, k, kind, expires_at),
						(ALICE, key_id, RequestKind::Signature, 21)
					);
					Some((request_id, message_hash))
				}
				_ => None,
			})
			.collect();
		assert_eq!(created, vec![(0, expected[0]), (1, expected[1]), (2, expected[2])]);
		assert_eq!(held_for_requests(&ALICE), 3 * REQUEST_DEPOSIT);
		assert_eq!(PendingRequests::<Test>::count(), 3);
		assert_eq!(ExpiryQueue::<Test>::get(21).into_inner(), vec![0, 1, 2]);

		let info = QSign::request_info(1).unwrap();
		assert_eq!(info.status, RequestStatus::Pending);
		assert_eq!(info.message_hash, expected[1]);
		assert_eq!(info.deposit, REQUEST_DEPOSIT as u128);
		assert_eq!((info.created_at, info.expires_at), (1, 21));
		assert_eq!((info.unsigned_tx, info.signed_tx), (None, None));
	});
}

#[test]
fn pending_requests_are_listed_in_id_order_with_what_the_signers_need() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		for byte in 0..5 {
			request_one(&ALICE, key_id, byte);
		}
		let key = Keys::<Test>::get(key_id).unwrap();
		let all = QSign::pending_requests(None, 100);
		assert_eq!(all.iter().map(|r| r.request_id).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
		assert!(all.iter().all(|r| r.epsilon == key.epsilon
			&& r.derived_public_key == key.public_key
			&& r.key_id == key_id
			&& r.expires_at == 1 + DEFAULT_TTL));
		assert_eq!(all[3].message_hash, [3; 32]);

		let page = QSign::pending_requests(Some(1), 2);
		assert_eq!(page.iter().map(|r| r.request_id).collect::<Vec<_>>(), vec![2, 3]);
		assert!(QSign::pending_requests(Some(4), 10).is_empty());
		assert!(QSign::pending_requests(None, 0).is_empty());
	});
}

#[test]
fn request_signature_errors() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let one = || payloads(vec![hash_payload(1)]);

		assert_noop!(
			QSign::request_signature(signed(&ALICE), 99, one(), None, None),
			Error::<Test>::UnknownKey
		);
		assert_noop!(
			QSign::request_signature(signed(&BOB), key_id, one(), None, None),
			Error::<Test>::NotKeyOwner
		);
		assert_noop!(
			QSign::request_signature(signed(&ALICE), key_id, payloads(vec![]), None, None),
			Error::<Test>::EmptyBatch
		);
		assert_noop!(
			QSign::request_signature(signed(&ALICE), key_id, one(), Some(0), None),
			Error::<Test>::ZeroTtl
		);
		assert_noop!(
			QSign::request_signature(signed(&ALICE), key_id, one(), Some(MAX_TTL + 1), None),
			Error::<Test>::TtlTooLong
		);
		assert_noop!(
			QSign::request_signature(RuntimeOrigin::none(), key_id, one(), None, None),
			DispatchError::BadOrigin
		);
		NextRequestId::<Test>::put(u64::MAX);
		assert_noop!(
			QSign::request_signature(signed(&ALICE), key_id, one(), None, None),
			Error::<Test>::IdOverflow
		);
	});
}

#[test]
fn a_request_needs_the_deposit() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&POOR, b"eth");
		assert_noop!(
			QSign::request_signature(
				signed(&POOR),
				key_id,
				payloads(vec![hash_payload(1)]),
				None,
				None
			),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn an_expiry_block_holds_at_most_max_expiries_per_block_requests() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let four = || payloads((0..4).map(hash_payload).collect());
		let two = || payloads((0..2).map(hash_payload).collect());
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, four(), Some(5), None));
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, two(), Some(5), None));
		assert_noop!(
			QSign::request_signature(signed(&ALICE), key_id, two(), Some(5), None),
			Error::<Test>::ExpiryQueueFull
		);
		// Another TTL lands in another bucket.
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, two(), Some(6), None));
	});
}

#[test]
fn at_most_max_pending_requests_are_pending() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let four = || payloads((0..4).map(hash_payload).collect());
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, four(), Some(5), None));
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, four(), Some(6), None));
		assert_noop!(
			QSign::request_signature(signed(&ALICE), key_id, four(), Some(7), None),
			Error::<Test>::TooManyPendingRequests
		);
		// Signing one frees a place.
		let (hash, secret) = ([0; 32], derived_secret(&ROOT_SECRET, &ALICE, b"eth"));
		assert_ok!(submit(QSignCall::submit_signature {
			request_id: 0,
			signature: sign(&secret, &hash)
		}));
		assert_ok!(QSign::request_signature(
			signed(&ALICE),
			key_id,
			payloads(vec![hash_payload(9), hash_payload(9)]),
			Some(7),
			None
		));
	});
}

#[test]
fn an_idempotency_key_returns_the_existing_requests_instead_of_duplicates() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let idem = Some([0x77; 32]);
		let batch = || payloads(vec![hash_payload(1), hash_payload(2)]);
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, batch(), None, idem));
		let held_once = held_for_requests(&ALICE);

		// Retried (even with another TTL): nothing new, the same ids.
		assert_ok!(QSign::request_signature(signed(&ALICE), key_id, batch(), Some(50), idem));
		assert_eq!(
			last_event(),
			Event::IdempotentReplay {
				owner: ALICE,
				idempotency_key: [0x77; 32],
				request_ids: vec![0, 1].try_into().unwrap()
			}
		);
		assert_eq!(NextRequestId::<Test>::get(), 2);
		assert_eq!(held_for_requests(&ALICE), held_once);

		// The same key with other payloads is an error, not a silent replay.
		assert_noop!(
			QSign::request_signature(
				signed(&ALICE),
				key_id,
				payloads(vec![hash_payload(3)]),
				None,
				idem
			),
			Error::<Test>::IdempotencyKeyReused
		);

		// Idempotency keys are per owner.
		let bobs_key = create_key(&BOB, b"eth");
		assert_ok!(QSign::request_signature(signed(&BOB), bobs_key, batch(), None, idem));
		assert_eq!(NextRequestId::<Test>::get(), 4);

		// Once the requests are pruned, the key is free again.
		run_to_block(1 + DEFAULT_TTL + RETENTION);
		assert_eq!(IdempotencyKeys::<Test>::get(&ALICE, [0x77; 32]), None);
		assert_ok!(QSign::request_signature(
			signed(&ALICE),
			key_id,
			payloads(vec![hash_payload(3)]),
			None,
			idem
		));
	});
}

// ---------------------------------------------------------------------------------------------
// Signature results
// ---------------------------------------------------------------------------------------------

#[test]
fn a_valid_signature_signs_the_request_and_burns_the_deposit() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		let issuance = Balances::total_issuance();
		let signature = sign(&secret, &[0xaa; 32]);
		let call = QSignCall::submit_signature { request_id, signature };

		let valid = validity(&call).unwrap();
		assert_eq!(valid.priority, PRIORITY);
		assert_eq!(valid.longevity, DEFAULT_TTL as u64);
		assert_eq!(valid.provides, vec![("QSignSignature", ("qsign/sig", request_id)).encode()]);

		assert_ok!(submit(call));
		assert_eq!(
			Requests::<Test>::get(request_id).unwrap().status,
			RequestStatus::Signed { signature }
		);
		assert_eq!(last_event(), Event::Signed { request_id, signature });
		assert!(!PendingRequests::<Test>::contains_key(request_id));
		assert_eq!(held_for_requests(&ALICE), 0);
		assert_eq!(Balances::total_issuance(), issuance - REQUEST_DEPOSIT);
		assert!(QSign::pending_requests(None, 10).is_empty());
	});
}

#[test]
fn duplicate_signatures_share_one_tag_and_the_second_is_stale() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		let first =
			QSignCall::submit_signature { request_id, signature: sign(&secret, &[0xaa; 32]) };
		// The same result submitted again (e.g. by another worker) provides the same tag, so
		// the pool keeps only one of them.
		let twin =
			QSignCall::submit_signature { request_id, signature: sign(&secret, &[0xaa; 32]) };
		assert_eq!(validity(&first).unwrap().provides, validity(&twin).unwrap().provides);

		assert_ok!(submit(first));
		assert_eq!(validity(&twin), stale());
		assert_noop!(dispatch_authorized(twin), Error::<Test>::RequestNotPending);
	});
}

#[test]
fn signatures_that_do_not_verify_never_enter_the_pool_nor_a_block() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		let hash = [0xaa; 32];
		let good = sign(&secret, &hash);
		let call = |signature| QSignCall::submit_signature { request_id, signature };

		// Signed by the root key instead of the derived key.
		let wrong_key = sign(&ROOT_SECRET, &hash);
		assert_eq!(validity(&call(wrong_key)), bad_proof());
		assert_noop!(dispatch_authorized(call(wrong_key)), Error::<Test>::SignatureMismatch);

		// Over another message.
		let wrong_message = sign(&secret, &[0xab; 32]);
		assert_eq!(validity(&call(wrong_message)), bad_proof());
		assert_noop!(dispatch_authorized(call(wrong_message)), Error::<Test>::SignatureMismatch);

		// Garbage and zero signatures.
		let mut garbage = [0x33; 65];
		garbage[64] = 0;
		assert_noop!(dispatch_authorized(call(garbage)), Error::<Test>::SignatureMismatch);
		assert_noop!(dispatch_authorized(call([0; 65])), Error::<Test>::SignatureMismatch);

		// The wrong recovery id recovers another key.
		let mut flipped = good;
		flipped[64] ^= 1;
		assert_noop!(dispatch_authorized(call(flipped)), Error::<Test>::SignatureMismatch);

		// v in Ethereum's 27/28 form.
		let mut v27 = good;
		v27[64] += 27;
		assert_eq!(validity(&call(v27)), bad_proof());
		assert_noop!(dispatch_authorized(call(v27)), Error::<Test>::InvalidRecoveryId);

		// The malleated high-s twin of a valid signature.
		let high = high_s(&good);
		assert_eq!(validity(&call(high)), bad_proof());
		assert_noop!(dispatch_authorized(call(high)), Error::<Test>::HighS);

		// The valid one still works after all that.
		assert_ok!(submit(call(good)));
	});
}

#[test]
fn results_for_unknown_finished_or_expired_requests_are_stale() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		let signature = sign(&secret, &[0xaa; 32]);

		let unknown = QSignCall::submit_signature { request_id: 42, signature };
		assert_eq!(validity(&unknown), stale());
		assert_noop!(dispatch_authorized(unknown), Error::<Test>::UnknownRequest);

		// In the block where it expires (before `on_initialize` ran, as in the pool).
		System::set_block_number(1 + DEFAULT_TTL);
		let late = QSignCall::submit_signature { request_id, signature };
		assert_eq!(validity(&late), stale());
		assert_noop!(dispatch_authorized(late), Error::<Test>::RequestNotPending);
	});
}

// ---------------------------------------------------------------------------------------------
// Expiry and pruning
// ---------------------------------------------------------------------------------------------

#[test]
fn a_request_not_signed_in_time_expires_and_its_deposit_is_refunded() {
	new_test_ext().execute_with(|| {
		let (_, request_id, _) = setup_pending();
		let free = Balances::balance(&ALICE);
		run_to_block(DEFAULT_TTL);
		assert_eq!(Requests::<Test>::get(request_id).unwrap().status, RequestStatus::Pending);

		run_to_block(1 + DEFAULT_TTL);
		assert_eq!(Requests::<Test>::get(request_id).unwrap().status, RequestStatus::Expired);
		assert_eq!(last_event(), Event::Expired { request_id });
		assert_eq!(held_for_requests(&ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), free + REQUEST_DEPOSIT);
		assert_eq!(PendingRequests::<Test>::count(), 0);
	});
}

#[test]
fn finished_requests_stay_readable_for_the_retention_period_then_are_pruned() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		let signature = sign(&secret, &[0xaa; 32]);
		assert_ok!(submit(QSignCall::submit_signature { request_id, signature }));
		let expires_at = 1 + DEFAULT_TTL;

		// A signed request does not expire.
		run_to_block(expires_at);
		assert_eq!(
			QSign::request_info(request_id).unwrap().status,
			RequestStatus::Signed { signature }
		);
		assert!(!qsign_events().contains(&Event::Expired { request_id }));

		run_to_block(expires_at + RETENTION - 1);
		assert!(QSign::request_info(request_id).is_some());
		run_to_block(expires_at + RETENTION);
		assert!(QSign::request_info(request_id).is_none());
		assert!(!ExpiryQueue::<Test>::contains_key(expires_at));
	});
}

#[test]
fn the_ttl_defaults_to_default_ttl_and_can_be_chosen() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		request_one(&ALICE, key_id, 1);
		assert_eq!(Requests::<Test>::get(0).unwrap().expires_at, 1 + DEFAULT_TTL);
		assert_ok!(QSign::request_signature(
			signed(&ALICE),
			key_id,
			payloads(vec![hash_payload(2)]),
			Some(MAX_TTL),
			None
		));
		assert_eq!(Requests::<Test>::get(1).unwrap().expires_at, 1 + MAX_TTL);
	});
}

// ---------------------------------------------------------------------------------------------
// Failure votes
// ---------------------------------------------------------------------------------------------

#[test]
fn a_threshold_of_failure_votes_fails_the_request_and_refunds_it() {
	new_test_ext().execute_with(|| {
		let (_, request_id, _) = setup_pending();
		let reason = FailureReason::CommitteeUnavailable;
		assert_ok!(submit(failure_call(0, request_id, reason)));
		assert_eq!(last_event(), Event::FailureReported { request_id, authority_index: 0, reason });
		assert!(Requests::<Test>::get(request_id).unwrap().status.is_pending());

		assert_ok!(submit(failure_call(2, request_id, reason)));
		assert_eq!(
			Requests::<Test>::get(request_id).unwrap().status,
			RequestStatus::Failed { reason }
		);
		assert_eq!(last_event(), Event::Failed { request_id, reason });
		assert_eq!(held_for_requests(&ALICE), 0);
		assert_eq!(PendingRequests::<Test>::count(), 0);
	});
}

#[test]
fn failure_votes_for_different_reasons_do_not_add_up() {
	new_test_ext().execute_with(|| {
		let (_, request_id, _) = setup_pending();
		assert_ok!(submit(failure_call(0, request_id, FailureReason::SigningAborted)));
		assert_ok!(submit(failure_call(1, request_id, FailureReason::Other(7))));
		assert!(Requests::<Test>::get(request_id).unwrap().status.is_pending());
		assert_ok!(submit(failure_call(2, request_id, FailureReason::Other(7))));
		assert_eq!(
			Requests::<Test>::get(request_id).unwrap().status,
			RequestStatus::Failed { reason: FailureReason::Other(7) }
		);
	});
}

#[test]
fn a_request_can_still_be_signed_after_some_failure_votes() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		assert_ok!(submit(failure_call(0, request_id, FailureReason::SigningAborted)));
		let signature = sign(&secret, &[0xaa; 32]);
		assert_ok!(submit(QSignCall::submit_signature { request_id, signature }));
		let late_vote = failure_call(1, request_id, FailureReason::SigningAborted);
		assert_eq!(validity(&late_vote), stale());
		assert_noop!(dispatch_authorized(late_vote), Error::<Test>::RequestNotPending);
	});
}

#[test]
fn invalid_failure_votes_never_enter_the_pool_nor_a_block() {
	new_test_ext().execute_with(|| {
		let (_, request_id, _) = setup_pending();
		let reason = FailureReason::SigningAborted;

		let vote_tags = validity(&failure_call(0, request_id, reason)).unwrap().provides;
		assert_ne!(vote_tags, validity(&failure_call(1, request_id, reason)).unwrap().provides);

		let unknown = failure_call(0, 42, reason);
		assert_eq!(validity(&unknown), stale());
		assert_noop!(dispatch_authorized(unknown), Error::<Test>::UnknownRequest);

		let outsider = failure_call(5, request_id, reason);
		assert_eq!(validity(&outsider), Err(InvalidTransaction::BadSigner.into()));
		assert_noop!(dispatch_authorized(outsider), Error::<Test>::InvalidAuthorityIndex);

		let QSignCall::report_failure { vote, .. } = failure_call(0, request_id, reason) else {
			unreachable!()
		};
		let forged = QSignCall::report_failure {
			vote,
			signature: authority(1).sign(&vote.signing_payload()),
		};
		assert_eq!(validity(&forged), bad_proof());
		assert_noop!(dispatch_authorized(forged), Error::<Test>::InvalidCommitteeSignature);

		let other_committee = FailureVote { committee_id: 9, ..vote };
		let call = QSignCall::report_failure {
			vote: other_committee,
			signature: authority(0).sign(&other_committee.signing_payload()),
		};
		assert_eq!(validity(&call), stale());
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongCommittee);

		assert_ok!(submit(failure_call(0, request_id, reason)));
		let twice = failure_call(0, request_id, FailureReason::Other(1));
		assert_eq!(validity(&twice), stale());
		assert_noop!(dispatch_authorized(twice), Error::<Test>::AlreadyVoted);
	});
}

#[test]
fn failure_votes_of_a_previous_committee_no_longer_count() {
	new_test_ext().execute_with(|| {
		let (_, request_id, _) = setup_pending();
		let reason = FailureReason::SigningAborted;
		assert_ok!(submit(failure_call(0, request_id, reason)));

		// Same members, new order: a new committee once the handover completes.
		let reordered: Vec<_> =
			[2u8, 1, 0].iter().map(|i| (ALICE, authority(*i).public())).collect();
		let iter = || reordered.iter().map(|(a, k)| (a, k.clone()));
		Committee::on_new_session(true, iter(), iter());
		complete_handover(&ROOT_SECRET);

		// Authority 2 is now index 0 and may vote again; one vote is not a threshold.
		assert_ok!(submit(failure_call(2, request_id, reason).reindexed(0)));
		assert!(Requests::<Test>::get(request_id).unwrap().status.is_pending());
		assert_ok!(submit(failure_call(1, request_id, reason)));
		assert_eq!(
			Requests::<Test>::get(request_id).unwrap().status,
			RequestStatus::Failed { reason }
		);
	});
}

// ---------------------------------------------------------------------------------------------
// Broadcast requests
// ---------------------------------------------------------------------------------------------

/// A key for Alice at `p` whose derived secret is `secret` (the root key is chosen so).
fn key_with_secret(secret: &[u8; 32], p: &[u8]) -> u64 {
	set_root_key(&root_secret_deriving(secret, &ALICE, p));
	let key_id = create_key(&ALICE, p);
	assert_eq!(Keys::<Test>::get(key_id).unwrap().public_key, public_of(secret));
	key_id
}

#[test]
fn a_legacy_eip155_transaction_is_signed_assembled_and_reported_end_to_end() {
	new_test_ext().execute_with(|| {
		let key_id = key_with_secret(&EIP155_KEY, b"eth,1");
		assert_ok!(QSign::request_broadcast(
			signed(&ALICE),
			key_id,
			1,
			tx(EIP155_UNSIGNED),
			None,
			None
		));
		let request_id = 0;
		let request = Requests::<Test>::get(request_id).unwrap();
		assert_eq!(
			request.kind,
			RequestKind::EvmTransaction { chain_id: 1, tx_type: EvmTxType::Legacy }
		);
		// The sighash given in EIP-155.
		assert_eq!(
			request.message_hash.to_vec(),
			hex("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
		);
		assert_eq!(
			QSign::request_info(request_id).unwrap().unsigned_tx,
			Some(hex(EIP155_UNSIGNED))
		);

		let signature = sign(&EIP155_KEY, &request.message_hash);
		assert_ok!(submit(QSignCall::submit_signature { request_id, signature }));

		let signed_tx = hex(EIP155_SIGNED);
		let tx_hash = keccak_256(&signed_tx);
		assert!(qsign_events().contains(&Event::TransactionSigned {
			request_id,
			chain_id: 1,
			tx_hash
		}));
		assert_eq!(QSign::request_info(request_id).unwrap().signed_tx, Some(signed_tx));

		// The relayer reports it.
		assert_ok!(QSign::report_broadcast(signed(&BOB), request_id, tx_hash, 1234));
		assert_eq!(
			last_event(),
			Event::Broadcast { request_id, tx_hash, destination_block: 1234, relayer: BOB }
		);
		let broadcast = RequestStatus::Broadcast { signature, tx_hash, destination_block: 1234 };
		assert_eq!(QSign::request_info(request_id).unwrap().status, broadcast);

		// A second relayer's report is a no-op, not an error: the first report stands.
		let events = System::events().len();
		assert_ok!(QSign::report_broadcast(signed(&ALICE), request_id, tx_hash, 1235));
		assert_eq!(System::events().len(), events);
		assert_eq!(QSign::request_info(request_id).unwrap().status, broadcast);
		// Another hash is refused.
		assert_noop!(
			QSign::report_broadcast(signed(&BOB), request_id, [0; 32], 1234),
			Error::<Test>::TxHashMismatch
		);
	});
}

#[test]
fn an_eip1559_transaction_reproduces_the_published_signed_transaction_and_hash() {
	new_test_ext().execute_with(|| {
		let secret: [u8; 32] = hex(EIP1559_KEY).try_into().unwrap();
		let key_id = key_with_secret(&secret, b"eth,7822");
		assert_ok!(QSign::request_broadcast(
			signed(&ALICE),
			key_id,
			7822,
			tx(EIP1559_UNSIGNED),
			Some(3),
			None
		));
		let request = Requests::<Test>::get(0).unwrap();
		assert_eq!(
			request.kind,
			RequestKind::EvmTransaction { chain_id: 7822, tx_type: EvmTxType::Eip1559 }
		);
		assert_eq!(request.message_hash, keccak_256(&hex(EIP1559_UNSIGNED)));

		let signature = sign(&secret, &request.message_hash);
		assert_ok!(submit(QSignCall::submit_signature { request_id: 0, signature }));
		let (signed_tx, tx_hash) = EvmTransactions::<Test>::get(0).unwrap().signed.unwrap();
		assert_eq!(signed_tx.into_inner(), hex(EIP1559_SIGNED));
		assert_eq!(tx_hash.to_vec(), hex(EIP1559_HASH));

		assert_ok!(QSign::report_broadcast(signed(&BOB), 0, tx_hash, 1));
		// Pruned with the rest of the request.
		run_to_block(1 + 3 + RETENTION);
		assert!(EvmTransactions::<Test>::get(0).is_none());
		assert_noop!(
			QSign::report_broadcast(signed(&BOB), 0, tx_hash, 1),
			Error::<Test>::UnknownRequest
		);
	});
}

#[test]
fn request_broadcast_errors() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let broadcast = |chain_id: u64, bytes: Vec<u8>| {
			QSign::request_broadcast(
				signed(&ALICE),
				key_id,
				chain_id,
				bytes.try_into().unwrap(),
				None,
				None,
			)
		};

		assert_noop!(broadcast(5, hex(EIP155_UNSIGNED)), Error::<Test>::ChainIdMismatch);
		assert_noop!(broadcast(1, hex(EIP1559_UNSIGNED)), Error::<Test>::ChainIdMismatch);
		assert_noop!(broadcast(1, vec![]), Error::<Test>::TxInvalidRlp);
		assert_noop!(broadcast(1, vec![0xc2, 0x80]), Error::<Test>::TxInvalidRlp);
		assert_noop!(broadcast(1, vec![0x01, 0xc0]), Error::<Test>::TxUnsupportedType);
		assert_noop!(broadcast(1, vec![0xc1, 0x80]), Error::<Test>::TxWrongFieldCount);
		assert_noop!(broadcast(1, hex(EIP155_SIGNED)), Error::<Test>::TxNotUnsigned);
		// `to` of 19 bytes.
		let short_to = legacy_tx(&hex("9335353535353535353535353535353535353535"), &[0x01]);
		assert_noop!(broadcast(1, short_to), Error::<Test>::TxInvalidField);
		// A chain id of 9 bytes.
		let big_chain = legacy_tx(
			&hex("943535353535353535353535353535353535353535"),
			&hex("89010000000000000000"),
		);
		assert_noop!(broadcast(1, big_chain), Error::<Test>::TxChainIdTooLarge);
		// The helper itself builds valid transactions.
		let fine = legacy_tx(&hex("943535353535353535353535353535353535353535"), &[0x01]);
		assert_ok!(broadcast(1, fine));

		assert_noop!(
			QSign::request_broadcast(signed(&BOB), key_id, 1, tx(EIP155_UNSIGNED), None, None),
			Error::<Test>::NotKeyOwner
		);
		assert_noop!(
			QSign::request_broadcast(signed(&ALICE), 7, 1, tx(EIP155_UNSIGNED), None, None),
			Error::<Test>::UnknownKey
		);
	});
}

#[test]
fn broadcast_requests_are_idempotent_too() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let idem = Some([1; 32]);
		assert_ok!(QSign::request_broadcast(
			signed(&ALICE),
			key_id,
			1,
			tx(EIP155_UNSIGNED),
			None,
			idem
		));
		assert_ok!(QSign::request_broadcast(
			signed(&ALICE),
			key_id,
			1,
			tx(EIP155_UNSIGNED),
			None,
			idem
		));
		assert_eq!(NextRequestId::<Test>::get(), 1);
		assert_noop!(
			QSign::request_broadcast(
				signed(&ALICE),
				key_id,
				7822,
				tx(EIP1559_UNSIGNED),
				None,
				idem
			),
			Error::<Test>::IdempotencyKeyReused
		);
	});
}

#[test]
fn report_broadcast_errors() {
	new_test_ext().execute_with(|| {
		let (key_id, signature_request, secret) = setup_pending();
		assert_noop!(
			QSign::report_broadcast(signed(&BOB), 99, [0; 32], 1),
			Error::<Test>::UnknownRequest
		);
		assert_noop!(
			QSign::report_broadcast(signed(&BOB), signature_request, [0; 32], 1),
			Error::<Test>::NotATransaction
		);

		assert_ok!(QSign::request_broadcast(
			signed(&ALICE),
			key_id,
			1,
			tx(EIP155_UNSIGNED),
			None,
			None
		));
		let tx_request = signature_request + 1;
		let unsigned_hash = keccak_256(&hex(EIP155_UNSIGNED));
		assert_noop!(
			QSign::report_broadcast(signed(&BOB), tx_request, unsigned_hash, 1),
			Error::<Test>::NotSigned
		);

		let signature = sign(&secret, &unsigned_hash);
		assert_ok!(submit(QSignCall::submit_signature { request_id: tx_request, signature }));
		// The hash of the unsigned transaction is not the hash of the signed one.
		assert_noop!(
			QSign::report_broadcast(signed(&BOB), tx_request, unsigned_hash, 1),
			Error::<Test>::TxHashMismatch
		);
		assert_noop!(
			QSign::report_broadcast(RuntimeOrigin::none(), tx_request, unsigned_hash, 1),
			DispatchError::BadOrigin
		);
	});
}

// ---------------------------------------------------------------------------------------------
// Through the transaction extension pipeline
// ---------------------------------------------------------------------------------------------

fn general_transaction(call: QSignCall) -> UncheckedExtrinsic {
	UncheckedExtrinsic::new_transaction(
		RuntimeCall::QSign(call),
		(frame_system::AuthorizeCall::<Test>::new(),),
	)
}

#[test]
fn a_signature_travels_as_an_authorized_general_transaction() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		let signature = sign(&secret, &[0xaa; 32]);
		let xt = general_transaction(QSignCall::submit_signature { request_id, signature });
		let info = xt.get_dispatch_info();
		let len = xt.encoded_size();

		let checked = xt.clone().check(&frame_system::ChainContext::<Test>::default()).unwrap();
		let valid = checked.validate::<Test>(TransactionSource::External, &info, len).unwrap();
		assert_eq!(valid.provides, vec![("QSignSignature", ("qsign/sig", request_id)).encode()]);
		assert_ok!(checked.apply::<Test>(&info, len).unwrap());
		assert!(matches!(
			Requests::<Test>::get(request_id).unwrap().status,
			RequestStatus::Signed { .. }
		));

		// The same transaction again is refused before dispatch.
		let checked = xt.check(&frame_system::ChainContext::<Test>::default()).unwrap();
		assert_eq!(
			checked.validate::<Test>(TransactionSource::External, &info, len),
			Err(InvalidTransaction::Stale.into())
		);
		assert_eq!(checked.apply::<Test>(&info, len), Err(InvalidTransaction::Stale.into()));
	});
}

#[test]
fn an_invalid_signature_is_refused_by_the_pipeline_and_a_bare_extrinsic_is_not_authorized() {
	new_test_ext().execute_with(|| {
		let (_, request_id, _) = setup_pending();
		let signature = sign(&ROOT_SECRET, &[0xaa; 32]);
		let xt = general_transaction(QSignCall::submit_signature { request_id, signature });
		let info = xt.get_dispatch_info();
		let len = xt.encoded_size();
		let checked = xt.check(&frame_system::ChainContext::<Test>::default()).unwrap();
		assert_eq!(
			checked.validate::<Test>(TransactionSource::External, &info, len),
			Err(InvalidTransaction::BadProof.into())
		);

		// Without the extension (a bare extrinsic) nothing authorizes the call.
		let bare = UncheckedExtrinsic::new_bare(RuntimeCall::QSign(QSignCall::submit_signature {
			request_id,
			signature: sign(&derived_secret(&ROOT_SECRET, &ALICE, b"eth"), &[0xaa; 32]),
		}));
		let checked = bare.check(&frame_system::ChainContext::<Test>::default()).unwrap();
		assert!(checked.validate::<Test>(TransactionSource::External, &info, len).is_err());
	});
}

// ---------------------------------------------------------------------------------------------
// Small helpers on test values
// ---------------------------------------------------------------------------------------------

trait Reindexed {
	fn reindexed(self, index: u32) -> Self;
}
impl Reindexed for QSignCall {
	/// The same vote, cast under another authority index by the same key.
	fn reindexed(self, index: u32) -> Self {
		let QSignCall::report_failure { vote, .. } = self else { unreachable!() };
		let vote = FailureVote { authority_index: index, ..vote };
		let member = committee()
			.iter()
			.position(|key| *key == Authorities::<Test>::get()[index as usize])
			.unwrap() as u8;
		QSignCall::report_failure {
			vote,
			signature: authority(member).sign(&vote.signing_payload()),
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Callbacks (requests made from contracts)
// ---------------------------------------------------------------------------------------------

#[test]
fn the_helpers_return_the_ids_they_create_and_replay() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = QSign::do_request_key(ALICE, path(b"vault")).unwrap();
		assert_eq!(QSign::do_request_key(ALICE, path(b"vault")), Ok(key_id));
		assert_eq!(last_event(), Event::KeyExists { key_id, owner: ALICE });

		let ids = QSign::do_request_signature(
			ALICE,
			key_id,
			payloads(vec![hash_payload(1), hash_payload(2)]),
			None,
			Some([7; 32]),
			true,
		)
		.unwrap();
		assert_eq!(ids.to_vec(), vec![0, 1]);
		assert!(Callbacks::<Test>::contains_key(0) && Callbacks::<Test>::contains_key(1));
		let replay = QSign::do_request_signature(
			ALICE,
			key_id,
			payloads(vec![hash_payload(1), hash_payload(2)]),
			None,
			Some([7; 32]),
			true,
		)
		.unwrap();
		assert_eq!(replay, ids);
		assert_eq!(
			QSign::do_request_signature(ALICE, key_id, payloads(vec![]), None, None, true),
			Err(Error::<Test>::EmptyBatch.into())
		);
		assert_eq!(
			QSign::do_request_signature(
				BOB,
				key_id,
				payloads(vec![hash_payload(1)]),
				None,
				None,
				true
			),
			Err(Error::<Test>::NotKeyOwner.into())
		);
	});
}

#[test]
fn a_signed_request_made_with_a_callback_calls_its_owner_back_once() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let secret = derived_secret(&ROOT_SECRET, &ALICE, b"eth");
		let ids = QSign::do_request_signature(
			ALICE,
			key_id,
			payloads(vec![hash_payload(0xaa)]),
			None,
			None,
			true,
		)
		.unwrap();
		let request_id = ids[0];
		let signature = sign(&secret, &[0xaa; 32]);
		let call = QSignCall::submit_signature { request_id, signature };
		let declared = call.get_dispatch_info().call_weight;
		assert!(declared.all_gte(CALLBACK_WEIGHT));

		let post = call.dispatch_bypass_filter(authorized_origin()).unwrap();
		assert_eq!(
			take_callbacks(),
			vec![(request_id, ALICE, RequestStatus::Signed { signature })]
		);
		assert_eq!(last_event(), Event::CallbackDone { request_id });
		assert!(post.actual_weight.unwrap().all_lt(declared), "unused callback weight is refunded");
		assert!(!Callbacks::<Test>::contains_key(request_id));
		// The result is stored whatever the callback did.
		assert_eq!(
			Requests::<Test>::get(request_id).unwrap().status,
			RequestStatus::Signed { signature }
		);
	});
}

#[test]
fn requests_made_without_a_callback_are_not_called_back() {
	new_test_ext().execute_with(|| {
		let (_, request_id, secret) = setup_pending();
		assert_ok!(submit(QSignCall::submit_signature {
			request_id,
			signature: sign(&secret, &[0xaa; 32])
		}));
		assert!(take_callbacks().is_empty());
	});
}

#[test]
fn a_failed_request_made_with_a_callback_calls_its_owner_back_and_an_expired_one_does_not() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let ids = QSign::do_request_signature(
			ALICE,
			key_id,
			payloads(vec![hash_payload(1), hash_payload(2)]),
			Some(3),
			None,
			true,
		)
		.unwrap();
		let reason = FailureReason::CommitteeUnavailable;
		assert_ok!(submit(failure_call(0, ids[0], reason)));
		assert!(take_callbacks().is_empty(), "one vote does not fail the request");
		assert_ok!(submit(failure_call(1, ids[0], reason)));
		assert_eq!(take_callbacks(), vec![(ids[0], ALICE, RequestStatus::Failed { reason })]);

		run_to_block(System::block_number() + 3);
		assert_eq!(Requests::<Test>::get(ids[1]).unwrap().status, RequestStatus::Expired);
		assert!(take_callbacks().is_empty());
		assert!(!Callbacks::<Test>::contains_key(ids[1]));
	});
}

#[test]
fn a_broadcast_request_made_with_a_callback_returns_its_id() {
	new_test_ext().execute_with(|| {
		set_root_key(&ROOT_SECRET);
		let key_id = create_key(&ALICE, b"eth");
		let id =
			QSign::do_request_broadcast(ALICE, key_id, 1, tx(EIP155_UNSIGNED), None, None, true)
				.unwrap();
		assert!(Callbacks::<Test>::contains_key(id));
		assert_eq!(
			QSign::do_request_broadcast(ALICE, key_id, 5, tx(EIP155_UNSIGNED), None, None, true),
			Err(Error::<Test>::ChainIdMismatch.into())
		);
	});
}
