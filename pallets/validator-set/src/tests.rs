//! Specification of the validator set, on a test runtime with pallet-session (see `mock.rs`:
//! validators 1, 2 and 3 at genesis, at most 4 and at least 2 validators, 5-block sessions).

use crate::{mock::*, Error, Event, PlannedValidators};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, StorageInfoTrait},
};
use pallet_session::SessionManager;
use sp_runtime::{BuildStorage, DispatchError};

fn add(who: AccountId) -> sp_runtime::DispatchResult {
	ValidatorSet::add_validator(RuntimeOrigin::root(), who)
}

fn remove(who: AccountId) -> sp_runtime::DispatchResult {
	ValidatorSet::remove_validator(RuntimeOrigin::root(), who)
}

fn session_validators() -> Vec<AccountId> {
	pallet_session::Validators::<Test>::get()
}

mod genesis {
	use super::*;

	#[test]
	fn the_genesis_validators_are_the_set_and_pallet_sessions_first_validators() {
		new_test_ext().execute_with(|| {
			assert_eq!(ValidatorSet::validators(), GENESIS_VALIDATORS);
			assert_eq!(session_validators(), GENESIS_VALIDATORS);
			let queued: Vec<_> =
				pallet_session::QueuedKeys::<Test>::get().into_iter().map(|(v, _)| v).collect();
			assert_eq!(queued, GENESIS_VALIDATORS, "session 1 has the same validators");
			assert_eq!(PlannedValidators::<Test>::get().into_inner(), GENESIS_VALIDATORS);
		});
	}

	#[test]
	#[should_panic(expected = "duplicate validator")]
	fn a_duplicate_genesis_validator_is_refused() {
		let _ = crate::GenesisConfig::<Test> { validators: vec![1, 2, 1] }.build_storage();
	}

	#[test]
	#[should_panic(expected = "more than MaxValidators")]
	fn more_than_max_genesis_validators_are_refused() {
		let _ = crate::GenesisConfig::<Test> { validators: vec![1, 2, 3, 4, 5] }.build_storage();
	}

	#[test]
	#[should_panic(expected = "fewer than MinValidators")]
	fn fewer_than_min_genesis_validators_are_refused() {
		let _ = crate::GenesisConfig::<Test> { validators: vec![1] }.build_storage();
	}

	#[test]
	fn an_empty_genesis_list_leaves_the_genesis_set_to_pallet_session() {
		let storage = RuntimeGenesisConfig {
			session: pallet_session::GenesisConfig {
				keys: vec![(7, 7, 7.into()), (8, 8, 8.into())],
				non_authority_keys: Vec::new(),
			},
			..Default::default()
		}
		.build_storage()
		.unwrap();
		sp_io::TestExternalities::new(storage).execute_with(|| {
			assert!(ValidatorSet::validators().is_empty());
			assert_eq!(session_validators(), vec![7, 8]);
			assert_eq!(ValidatorSet::new_session(2), None, "nothing changed, nothing planned");
		});
	}
}

mod origin {
	use super::*;

	#[test]
	fn only_the_manager_origin_adds_validators() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			for origin in
				[RuntimeOrigin::signed(1), RuntimeOrigin::signed(4), RuntimeOrigin::none()]
			{
				assert_noop!(ValidatorSet::add_validator(origin, 4), DispatchError::BadOrigin);
			}
			assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 4));
		});
	}

	#[test]
	fn only_the_manager_origin_removes_validators() {
		new_test_ext().execute_with(|| {
			for origin in
				[RuntimeOrigin::signed(1), RuntimeOrigin::signed(3), RuntimeOrigin::none()]
			{
				assert_noop!(ValidatorSet::remove_validator(origin, 3), DispatchError::BadOrigin);
			}
			assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 3));
		});
	}
}

mod add_validator {
	use super::*;

	#[test]
	fn an_account_with_session_keys_is_appended_and_an_event_says_so() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert_eq!(ValidatorSet::validators(), vec![1, 2, 3, 4]);
			assert_eq!(validator_set_events(), vec![Event::ValidatorAdded { account: 4 }]);
		});
	}

	#[test]
	fn an_account_without_session_keys_cannot_be_added() {
		new_test_ext().execute_with(|| {
			assert_noop!(add(4), Error::<Test>::NoSessionKeys);
		});
	}

	#[test]
	fn session_keys_cost_the_key_deposit_so_a_poor_account_cannot_register() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_eq!(key_deposit_held(4), KEY_DEPOSIT);
			assert_eq!(Balances::balance(&4), ENDOWMENT - KEY_DEPOSIT);

			assert!(set_keys(POOR).is_err(), "cannot pay the deposit");
			assert_noop!(add(POOR), Error::<Test>::NoSessionKeys);
		});
	}

	#[test]
	fn a_validator_cannot_be_added_twice() {
		new_test_ext().execute_with(|| {
			assert_noop!(add(1), Error::<Test>::AlreadyValidator);
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert_noop!(add(4), Error::<Test>::AlreadyValidator);
		});
	}

	#[test]
	fn the_set_holds_at_most_max_validators() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_ok!(set_keys(5));
			assert_ok!(add(4));
			assert_eq!(ValidatorSet::validators().len(), MAX_VALIDATORS as usize);
			assert_noop!(add(5), Error::<Test>::TooManyValidators);
		});
	}
}

mod remove_validator {
	use super::*;

	#[test]
	fn a_validator_is_removed_keeping_the_others_order_and_an_event_says_so() {
		new_test_ext().execute_with(|| {
			assert_ok!(remove(2));
			assert_eq!(ValidatorSet::validators(), vec![1, 3]);
			assert_eq!(validator_set_events(), vec![Event::ValidatorRemoved { account: 2 }]);
		});
	}

	#[test]
	fn an_account_that_is_not_a_validator_cannot_be_removed() {
		new_test_ext().execute_with(|| {
			assert_noop!(remove(4), Error::<Test>::NotValidator);
			assert_ok!(remove(3));
			assert_noop!(remove(3), Error::<Test>::NotValidator);
		});
	}

	#[test]
	fn the_set_keeps_at_least_min_validators() {
		new_test_ext().execute_with(|| {
			assert_ok!(remove(3));
			assert_eq!(ValidatorSet::validators().len(), MIN_VALIDATORS as usize);
			assert_noop!(remove(2), Error::<Test>::TooFewValidators);
			assert_noop!(remove(1), Error::<Test>::TooFewValidators);
		});
	}

	#[test]
	fn a_removed_validator_keeps_its_keys_and_deposit_until_it_purges_them() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert_ok!(remove(4));
			assert_eq!(key_deposit_held(4), KEY_DEPOSIT);
			assert_ok!(Session::purge_keys(RuntimeOrigin::signed(4)));
			assert_eq!(key_deposit_held(4), 0);
			assert_eq!(Balances::balance(&4), ENDOWMENT);
		});
	}
}

mod session_manager {
	use super::*;

	#[test]
	fn new_session_returns_nothing_while_the_set_is_unchanged() {
		new_test_ext().execute_with(|| {
			assert_eq!(ValidatorSet::new_session(2), None);
			assert_eq!(ValidatorSet::new_session(3), None);
			assert!(validator_set_events().is_empty());
		});
	}

	#[test]
	fn new_session_returns_the_changed_set_once() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert_ok!(remove(1));
			assert_eq!(ValidatorSet::new_session(2), Some(vec![2, 3, 4]));
			assert_eq!(
				validator_set_events().last(),
				Some(&Event::NewSessionValidators {
					session_index: 2,
					validators: vec![2, 3, 4].try_into().unwrap()
				})
			);
			assert_eq!(ValidatorSet::new_session(3), None, "already handed over");
		});
	}

	#[test]
	fn a_change_that_is_undone_before_the_next_session_plans_nothing() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert_ok!(remove(4));
			assert_eq!(ValidatorSet::new_session(2), None);
		});
	}

	#[test]
	fn all_storage_is_bounded() {
		let info = <ValidatorSet as StorageInfoTrait>::storage_info();
		assert_eq!(info.len(), 3, "Validators, PlannedValidators and RotationsDue");
		for item in info {
			let expected = if item.storage_name == b"RotationsDue".to_vec() {
				4
			} else {
				// A length prefix and MaxValidators 8-byte accounts.
				1 + MAX_VALIDATORS * 8
			};
			assert_eq!(item.max_size, Some(expected), "{:?}", item.storage_name);
		}
	}
}

/// The whole path through pallet-session, block by block (`on_initialize` rotates sessions).
mod with_pallet_session {
	use super::*;

	#[test]
	fn an_added_validator_validates_from_the_session_after_the_next_one() {
		new_test_ext().execute_with(|| {
			// Session 0: Dave (4) registers keys and governance adds him.
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert_eq!(session_validators(), GENESIS_VALIDATORS);

			// Session 1 starts: session 2's set is planned (queued) with 4 in it.
			run_to_session(1);
			assert_eq!(session_validators(), GENESIS_VALIDATORS);
			let queued: Vec<_> =
				pallet_session::QueuedKeys::<Test>::get().into_iter().map(|(v, _)| v).collect();
			assert_eq!(queued, vec![1, 2, 3, 4]);

			// Session 2: 4 validates.
			run_to_session(2);
			assert_eq!(session_validators(), vec![1, 2, 3, 4]);

			// Nothing changes in later sessions.
			run_to_session(4);
			assert_eq!(session_validators(), vec![1, 2, 3, 4]);
		});
	}

	#[test]
	fn a_removed_validator_leaves_from_the_session_after_the_next_one() {
		new_test_ext().execute_with(|| {
			run_to_session(1);
			assert_ok!(remove(1));
			run_to_session(2);
			assert_eq!(session_validators(), GENESIS_VALIDATORS, "still queued for session 2");
			run_to_session(3);
			assert_eq!(session_validators(), vec![2, 3]);
		});
	}

	#[test]
	fn pallet_session_is_told_of_each_change_once() {
		new_test_ext().execute_with(|| {
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			run_to_session(3);
			let planned: Vec<_> = validator_set_events()
				.into_iter()
				.filter(|e| matches!(e, Event::NewSessionValidators { .. }))
				.collect();
			assert_eq!(
				planned,
				vec![Event::NewSessionValidators {
					session_index: 2,
					validators: vec![1, 2, 3, 4].try_into().unwrap()
				}]
			);
			let queued_events = System::read_events_for_pallet::<pallet_session::Event<Test>>()
				.into_iter()
				.filter(|e| matches!(e, pallet_session::Event::NewQueued))
				.count();
			assert_eq!(queued_events, 1);
		});
	}

	#[test]
	fn a_validator_rotating_its_keys_stays_in_the_set() {
		new_test_ext().execute_with(|| {
			assert_ok!(Session::set_keys(RuntimeOrigin::signed(2), 22.into(), Vec::new()));
			run_to_session(2);
			assert_eq!(session_validators(), GENESIS_VALIDATORS);
			assert_eq!(ValidatorSet::validators(), GENESIS_VALIDATORS);
		});
	}
}

/// `RotateOnChange`: a change takes effect in two rotations, not two session periods.
mod prompt_rotations {
	use super::*;
	use crate::{RotateOnChange, RotationsDue};
	use pallet_session::ShouldEndSession;

	/// A periodic rule that never ends a session by itself.
	struct Never;
	impl ShouldEndSession<u64> for Never {
		fn should_end_session(_now: u64) -> bool {
			false
		}
	}
	type Rule = RotateOnChange<Test, Never>;

	#[test]
	fn a_change_ends_the_next_two_sessions_then_the_periodic_rule_applies_again() {
		new_test_ext().execute_with(|| {
			assert!(!Rule::should_end_session(5));
			assert_ok!(set_keys(4));
			assert_ok!(add(4));
			assert!(Rule::should_end_session(5));
			// Rotation 1 plans the new set, rotation 2 makes it active.
			assert_eq!(ValidatorSet::new_session(1), Some(vec![1, 2, 3, 4]));
			assert!(Rule::should_end_session(6));
			assert_eq!(ValidatorSet::new_session(2), None);
			assert!(!Rule::should_end_session(7));
			assert_ok!(remove(4));
			assert_eq!(RotationsDue::<Test>::get(), 2);
		});
	}

	#[test]
	fn governance_can_force_two_rotations_for_new_session_keys() {
		new_test_ext().execute_with(|| {
			assert_noop!(
				ValidatorSet::force_rotation(RuntimeOrigin::signed(1)),
				DispatchError::BadOrigin
			);
			assert_ok!(ValidatorSet::force_rotation(RuntimeOrigin::root()));
			assert!(Rule::should_end_session(3));
			System::assert_last_event(Event::RotationForced.into());
		});
	}
}
