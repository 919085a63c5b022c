//! Validator set management on the real runtime (natively, no network), from the `local_testnet`
//! genesis (Alice, Bob and Charlie validate, Alice is sudo): Dave registers session keys (the key
//! deposit is held), sudo adds him, and after the session rotations he is a session validator,
//! an Aura and GRANDPA authority and a member of the QSign committee; sudo removes him and he
//! leaves the same way.

// Only `genesis_config_json` is used here.
#[allow(dead_code)]
mod common;

use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	genesis_builder_helper::build_state,
	traits::{fungible::InspectHold, OnFinalize, OnInitialize},
};
use qsign_runtime::{
	AccountId, Balances, Grandpa, Runtime, RuntimeCall, RuntimeEvent, RuntimeGenesisConfig,
	RuntimeOrigin, Session, SessionKeys, System, ValidatorSet, SESSION_PERIOD, UNIT,
};
use sp_keyring::Sr25519Keyring;
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{traits::Dispatchable, DispatchError};

/// The key deposit the runtime charges for session keys.
const KEY_DEPOSIT: u128 = 10 * UNIT;

/// The `local_testnet` genesis, with a keystore for generating session keys.
fn new_ext() -> sp_io::TestExternalities {
	let patch = qsign_runtime::genesis_config_presets::get_preset(
		&qsign_runtime::LOCAL_TESTNET_RUNTIME_PRESET.into(),
	)
	.unwrap();
	let config = common::genesis_config_json(serde_json::from_slice(&patch).unwrap());
	let mut ext = sp_io::TestExternalities::new(Default::default());
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(config).unwrap();
		System::set_block_number(1);
	});
	ext
}

fn account(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

fn genesis_validators() -> Vec<AccountId> {
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
		.into_iter()
		.map(account)
		.collect()
}

/// `who` generates session keys (in the keystore, as `author_rotateKeys` does) and registers
/// them with `session.setKeys`; returns the keys.
fn set_keys(who: &AccountId) -> SessionKeys {
	let generated = SessionKeys::generate(&who.encode(), None);
	assert_ok!(RuntimeCall::Session(pallet_session::Call::set_keys {
		keys: generated.keys.clone(),
		proof: generated.proof.encode(),
	})
	.dispatch(RuntimeOrigin::signed(who.clone())));
	generated.keys
}

/// Alice (the sudo key) dispatches `call` as root; the inner call must succeed.
fn sudo(call: pallet_validator_set::Call<Runtime>) {
	assert_ok!(RuntimeCall::Sudo(pallet_sudo::Call::sudo {
		call: Box::new(RuntimeCall::ValidatorSet(call)),
	})
	.dispatch(RuntimeOrigin::signed(account(Sr25519Keyring::Alice))));
	let result = System::events().into_iter().rev().find_map(|record| match record.event {
		RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result }) => Some(sudo_result),
		_ => None,
	});
	assert_eq!(result, Some(Ok(())), "the call under sudo succeeded");
}

/// Moves to the first block of the next session and runs the hooks that rotate it: Session's
/// `on_initialize` (new validators and keys for Aura, GRANDPA and QSign) and GRANDPA's
/// `on_finalize` (enacts its authority change).
fn next_session() {
	let next = (System::block_number() / SESSION_PERIOD + 1) * SESSION_PERIOD;
	System::set_block_number(next);
	Session::on_initialize(next);
	Grandpa::on_finalize(next);
}

fn session_validators() -> Vec<AccountId> {
	pallet_session::Validators::<Runtime>::get()
}

fn key_deposit_held(who: &AccountId) -> u128 {
	Balances::balance_on_hold(&pallet_session::HoldReason::Keys.into(), who)
}

#[test]
fn genesis_validators_are_the_validator_set_and_the_session_validators() {
	new_ext().execute_with(|| {
		assert_eq!(ValidatorSet::validators(), genesis_validators());
		assert_eq!(session_validators(), genesis_validators());
		for who in genesis_validators() {
			assert_eq!(key_deposit_held(&who), 0, "genesis keys are free");
		}
	});
}

#[test]
fn session_keys_cost_a_deposit_released_by_purge_keys() {
	new_ext().execute_with(|| {
		let dave = account(Sr25519Keyring::Dave);
		let free = Balances::free_balance(&dave);
		set_keys(&dave);
		assert_eq!(key_deposit_held(&dave), KEY_DEPOSIT);
		assert!(Balances::free_balance(&dave) <= free - KEY_DEPOSIT);

		assert_ok!(RuntimeCall::Session(pallet_session::Call::purge_keys {})
			.dispatch(RuntimeOrigin::signed(dave.clone())));
		assert_eq!(key_deposit_held(&dave), 0);
	});
}

#[test]
fn only_sudo_adds_validators_and_only_accounts_with_session_keys() {
	new_ext().execute_with(|| {
		let dave = account(Sr25519Keyring::Dave);
		let add = || {
			RuntimeCall::ValidatorSet(pallet_validator_set::Call::add_validator {
				account: dave.clone(),
			})
		};
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), dave.clone()),
			pallet_validator_set::Error::<Runtime>::NoSessionKeys
		);
		set_keys(&dave);
		let refused = add().dispatch(RuntimeOrigin::signed(dave.clone())).unwrap_err();
		assert_eq!(refused.error, DispatchError::BadOrigin);
		assert!(!ValidatorSet::validators().contains(&dave));
	});
}

#[test]
fn dave_added_by_sudo_validates_after_two_session_rotations_and_leaves_when_removed() {
	new_ext().execute_with(|| {
		let dave = account(Sr25519Keyring::Dave);
		let keys = set_keys(&dave);
		sudo(pallet_validator_set::Call::add_validator { account: dave.clone() });
		assert!(ValidatorSet::validators().contains(&dave));

		// The set is planned when the next session starts and active one session later.
		next_session();
		assert!(!session_validators().contains(&dave));
		next_session();
		let mut with_dave = genesis_validators();
		with_dave.push(dave.clone());
		assert_eq!(session_validators(), with_dave);
		assert!(pallet_aura::Authorities::<Runtime>::get().contains(&keys.aura));
		assert!(Grandpa::grandpa_authorities().iter().any(|(id, _)| id == &keys.grandpa));
		// The committee follows through a handover (here the genesis key generation, redone
		// for the four members); the current committee stays until the new one proves itself.
		let handover = pallet_committee::Pallet::<Runtime>::handover().expect("a handover");
		assert_eq!((handover.members.len(), handover.threshold), (4, 3));
		assert!(handover.members.contains(&keys.qsign));
		assert_eq!(pallet_committee::Pallet::<Runtime>::committee().authorities.len(), 3);

		// Removal takes the same path.
		sudo(pallet_validator_set::Call::remove_validator { account: dave.clone() });
		next_session();
		assert!(session_validators().contains(&dave));
		next_session();
		assert_eq!(session_validators(), genesis_validators());
		assert!(!pallet_aura::Authorities::<Runtime>::get().contains(&keys.aura));
		assert!(!Grandpa::grandpa_authorities().iter().any(|(id, _)| id == &keys.grandpa));
		let handover = pallet_committee::Pallet::<Runtime>::handover().expect("a handover");
		assert_eq!(handover.members.len(), 3);
		assert!(!handover.members.contains(&keys.qsign));

		// Dave's keys, and their deposit, stay until he purges them.
		assert_eq!(key_deposit_held(&dave), KEY_DEPOSIT);
	});
}
