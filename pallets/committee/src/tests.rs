//! Specification of pallet-committee, as tests (moved from pallet-qsign's with the committee).

use crate::{
	mock::*, Authorities, CommitteeInterface, CurrentCommitteeId, Error, Event, RootKey,
	RootKeyVotes,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
	},
	traits::{Authorize, OneSessionHandler, UnfilteredDispatchable},
};
use qsign_primitives::request::RootKeyAttestation;
use sp_core::Pair;
use sp_runtime::{
	traits::{Applyable, Checkable},
	DispatchError,
};

type CommitteeCall = crate::Call<Test>;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn authorized_origin() -> RuntimeOrigin {
	frame_system::RawOrigin::Authorized.into()
}

/// What the transaction pool would say about the call.
fn validity(call: &CommitteeCall) -> Result<ValidTransaction, TransactionValidityError> {
	call.authorize(TransactionSource::External)
		.expect("every committee attestation is an authorized call")
		.map(|(validity, _refund)| validity)
}

/// Validates the call as the pool would, then dispatches it with the `Authorized` origin the
/// `AuthorizeCall` extension gives it.
fn submit(call: CommitteeCall) -> Result<(), DispatchError> {
	if let Err(e) = validity(&call) {
		panic!("the pool refused {call:?}: {e:?}");
	}
	call.dispatch_bypass_filter(authorized_origin()).map(|_| ()).map_err(|e| e.error)
}

/// Dispatches the call with the `Authorized` origin without asking the pool first (as if the
/// state changed between validation and inclusion).
fn dispatch_authorized(call: CommitteeCall) -> Result<(), DispatchError> {
	call.dispatch_bypass_filter(authorized_origin()).map(|_| ()).map_err(|e| e.error)
}

fn stale() -> Result<ValidTransaction, TransactionValidityError> {
	Err(InvalidTransaction::Stale.into())
}

fn bad_proof() -> Result<ValidTransaction, TransactionValidityError> {
	Err(InvalidTransaction::BadProof.into())
}

fn committee_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Committee(event) => Some(event),
			_ => None,
		})
		.collect()
}

fn last_event() -> Event<Test> {
	committee_events().pop().expect("an event")
}

fn attestation_call(member: u8, public_key: [u8; 33]) -> CommitteeCall {
	let attestation = RootKeyAttestation {
		committee_id: CurrentCommitteeId::<Test>::get(),
		authority_index: member as u32,
		public_key,
	};
	let signature = authority(member).sign(&attestation.signing_payload());
	CommitteeCall::submit_root_key { attestation, signature }
}

// ---------------------------------------------------------------------------------------------
// Committee
// ---------------------------------------------------------------------------------------------

#[test]
fn the_genesis_session_installs_the_committee() {
	new_test_ext().execute_with(|| {
		let info = Committee::committee();
		assert_eq!(info.committee_id, 0);
		assert_eq!(info.authorities, committee());
		assert_eq!(info.threshold, 2);
		assert_eq!(info.root_key, None);
	});
}

#[test]
fn the_threshold_is_a_strict_majority() {
	new_test_ext().execute_with(|| {
		for (members, threshold) in [(0u8, 1u32), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (8, 5)] {
			let keys: Vec<_> = (0..members).map(|i| (ALICE, authority(i).public())).collect();
			Committee::on_genesis_session(keys.iter().map(|(a, k)| (a, k.clone())));
			assert_eq!(Committee::threshold(), threshold, "committee of {members}");
		}
	});
}

#[test]
fn a_changed_validator_set_starts_a_new_committee_and_discards_attestations() {
	new_test_ext().execute_with(|| {
		assert_ok!(submit(attestation_call(0, public_of(&ROOT_SECRET))));
		assert_eq!(RootKeyVotes::<Test>::get().len(), 1);

		let five: Vec<_> = (0..5).map(|i| (ALICE, authority(i).public())).collect();
		let iter = || five.iter().map(|(a, k)| (a, k.clone()));
		// `changed = false`: nothing happens.
		Committee::on_new_session(false, iter(), iter());
		assert_eq!(CurrentCommitteeId::<Test>::get(), 0);

		Committee::on_new_session(true, iter(), iter());
		assert_eq!(CurrentCommitteeId::<Test>::get(), 1);
		assert_eq!(Committee::threshold(), 3);
		assert!(RootKeyVotes::<Test>::get().is_empty());
		assert_eq!(
			last_event(),
			Event::CommitteeChanged { committee_id: 1, members: 5, threshold: 3 }
		);

		// The same members again: not a new committee.
		Committee::on_new_session(true, iter(), iter());
		assert_eq!(CurrentCommitteeId::<Test>::get(), 1);
	});
}

#[test]
fn a_committee_larger_than_max_authorities_is_truncated() {
	new_test_ext().execute_with(|| {
		let ten: Vec<_> = (0..10).map(|i| (ALICE, authority(i).public())).collect();
		Committee::on_genesis_session(ten.iter().map(|(a, k)| (a, k.clone())));
		assert_eq!(Authorities::<Test>::get().len(), 8);
	});
}

// ---------------------------------------------------------------------------------------------
// Root key
// ---------------------------------------------------------------------------------------------

#[test]
fn the_root_key_is_set_when_a_threshold_of_members_attest_it() {
	new_test_ext().execute_with(|| {
		let public_key = public_of(&ROOT_SECRET);
		assert_ok!(submit(attestation_call(0, public_key)));
		assert_eq!(RootKey::<Test>::get(), None);
		assert_eq!(
			last_event(),
			Event::RootKeyAttested { committee_id: 0, authority_index: 0, public_key }
		);

		assert_ok!(submit(attestation_call(2, public_key)));
		assert_eq!(RootKey::<Test>::get(), Some(public_key));
		assert_eq!(last_event(), Event::RootKeySet { committee_id: 0, public_key });
		assert!(RootKeyVotes::<Test>::get().is_empty());
		assert_eq!(Committee::committee().root_key, Some(public_key));
	});
}

#[test]
fn attestations_of_different_keys_do_not_add_up() {
	new_test_ext().execute_with(|| {
		let (k1, k2) = (public_of(&[1; 32]), public_of(&[2; 32]));
		assert_ok!(submit(attestation_call(0, k1)));
		assert_ok!(submit(attestation_call(1, k2)));
		assert_eq!(RootKey::<Test>::get(), None);
		assert_ok!(submit(attestation_call(2, k1)));
		assert_eq!(RootKey::<Test>::get(), Some(k1));
	});
}

#[test]
fn root_key_attestations_are_pool_transactions_with_a_unique_tag() {
	new_test_ext().execute_with(|| {
		let call = attestation_call(1, public_of(&ROOT_SECRET));
		let valid = validity(&call).unwrap();
		assert_eq!(valid.priority, PRIORITY);
		assert_eq!(valid.provides.len(), 1);
		assert!(valid.propagate);
		// Another member's attestation provides another tag.
		let other = validity(&attestation_call(0, public_of(&ROOT_SECRET))).unwrap();
		assert_ne!(valid.provides, other.provides);
	});
}

#[test]
fn invalid_root_key_attestations_never_enter_the_pool_nor_a_block() {
	new_test_ext().execute_with(|| {
		let key = public_of(&ROOT_SECRET);

		// Not a point: x ≥ p.
		let mut not_a_point = [0xff; 33];
		not_a_point[0] = 0x02;
		let call = attestation_call(0, not_a_point);
		assert_eq!(validity(&call), Err(InvalidTransaction::Call.into()));
		assert_noop!(dispatch_authorized(call), Error::<Test>::InvalidPublicKey);
		// Not compressed.
		let mut uncompressed_prefix = key;
		uncompressed_prefix[0] = 0x04;
		assert_noop!(
			dispatch_authorized(attestation_call(0, uncompressed_prefix)),
			Error::<Test>::InvalidPublicKey
		);

		// Index out of range (signed by a key outside the committee).
		let call = attestation_call(3, key);
		assert_eq!(validity(&call), Err(InvalidTransaction::BadSigner.into()));
		assert_noop!(dispatch_authorized(call), Error::<Test>::InvalidAuthorityIndex);

		// Signed by another member than the index says.
		let CommitteeCall::submit_root_key { attestation, .. } = attestation_call(0, key);
		let forged = CommitteeCall::submit_root_key {
			attestation,
			signature: authority(1).sign(&attestation.signing_payload()),
		};
		assert_eq!(validity(&forged), bad_proof());
		assert_noop!(dispatch_authorized(forged), Error::<Test>::InvalidCommitteeSignature);

		// Signature over the bare encoding (no domain separation).
		let forged = CommitteeCall::submit_root_key {
			attestation,
			signature: authority(0).sign(&attestation.encode()),
		};
		assert_eq!(validity(&forged), bad_proof());

		// Another committee.
		let attestation = RootKeyAttestation { committee_id: 1, ..attestation };
		let call = CommitteeCall::submit_root_key {
			attestation,
			signature: authority(0).sign(&attestation.signing_payload()),
		};
		assert_eq!(validity(&call), stale());
		assert_noop!(dispatch_authorized(call), Error::<Test>::WrongCommittee);

		// Twice by the same member.
		assert_ok!(submit(attestation_call(0, key)));
		let again = attestation_call(0, key);
		assert_eq!(validity(&again), stale());
		assert_noop!(dispatch_authorized(again), Error::<Test>::AlreadyAttested);

		// After the root key is set.
		assert_ok!(submit(attestation_call(1, key)));
		let late = attestation_call(2, key);
		assert_eq!(validity(&late), stale());
		assert_noop!(dispatch_authorized(late), Error::<Test>::RootKeyAlreadySet);
	});
}

#[test]
fn root_key_attestations_need_the_authorized_origin() {
	new_test_ext().execute_with(|| {
		let call = attestation_call(0, public_of(&ROOT_SECRET));
		assert_noop!(
			call.clone().dispatch_bypass_filter(RuntimeOrigin::signed(ALICE)),
			DispatchError::BadOrigin
		);
		assert_noop!(call.dispatch_bypass_filter(RuntimeOrigin::none()), DispatchError::BadOrigin);
	});
}

// ---------------------------------------------------------------------------------------------
// What pallet-qsign sees
// ---------------------------------------------------------------------------------------------

#[test]
fn the_committee_interface_reports_the_current_committee() {
	new_test_ext().execute_with(|| {
		type Interface = crate::Pallet<Test>;
		assert_eq!(<Interface as CommitteeInterface<_>>::committee_id(), 0);
		assert_eq!(<Interface as CommitteeInterface<_>>::threshold(), 2);
		assert_eq!(<Interface as CommitteeInterface<_>>::root_key(), None);
		for (index, key) in committee().into_iter().enumerate() {
			assert_eq!(<Interface as CommitteeInterface<_>>::member(index as u32), Some(key));
		}
		assert_eq!(<Interface as CommitteeInterface<_>>::member(3), None);

		let public_key = public_of(&ROOT_SECRET);
		assert_ok!(submit(attestation_call(0, public_key)));
		assert_ok!(submit(attestation_call(1, public_key)));
		assert_eq!(<Interface as CommitteeInterface<_>>::root_key(), Some(public_key));
		assert_eq!(<Interface as CommitteeInterface<_>>::committee(), Committee::committee());

		let two: Vec<_> = (3..5).map(|i| (ALICE, authority(i).public())).collect();
		let iter = || two.iter().map(|(a, k)| (a, k.clone()));
		Committee::on_new_session(true, iter(), iter());
		assert_eq!(<Interface as CommitteeInterface<_>>::committee_id(), 1);
		assert_eq!(<Interface as CommitteeInterface<_>>::member(0), Some(authority(3).public()));
		assert_eq!(<Interface as CommitteeInterface<_>>::member(2), None);
		// The root key stays: it belongs to the chain, not to one committee.
		assert_eq!(<Interface as CommitteeInterface<_>>::root_key(), Some(public_key));
	});
}

// ---------------------------------------------------------------------------------------------
// Through the transaction extension pipeline
// ---------------------------------------------------------------------------------------------

#[test]
fn an_attestation_travels_as_an_authorized_general_transaction() {
	new_test_ext().execute_with(|| {
		let xt = UncheckedExtrinsic::new_transaction(
			RuntimeCall::Committee(attestation_call(0, public_of(&ROOT_SECRET))),
			(frame_system::AuthorizeCall::<Test>::new(),),
		);
		let info = xt.get_dispatch_info();
		let len = xt.encoded_size();

		let checked = xt.clone().check(&frame_system::ChainContext::<Test>::default()).unwrap();
		let valid = checked.validate::<Test>(TransactionSource::External, &info, len).unwrap();
		assert_eq!(valid.provides, vec![("QSignRootKey", ("qsign/root", 0u64, 0u32)).encode()]);
		assert_ok!(checked.apply::<Test>(&info, len).unwrap());
		assert_eq!(RootKeyVotes::<Test>::get().len(), 1);

		// The same transaction again is refused before dispatch.
		let checked = xt.check(&frame_system::ChainContext::<Test>::default()).unwrap();
		assert_eq!(
			checked.validate::<Test>(TransactionSource::External, &info, len),
			Err(InvalidTransaction::Stale.into())
		);

		// Without the extension (a bare extrinsic) nothing authorizes the call.
		let bare = UncheckedExtrinsic::new_bare(RuntimeCall::Committee(attestation_call(
			1,
			public_of(&ROOT_SECRET),
		)));
		let checked = bare.check(&frame_system::ChainContext::<Test>::default()).unwrap();
		assert!(checked.validate::<Test>(TransactionSource::External, &info, len).is_err());
	});
}
