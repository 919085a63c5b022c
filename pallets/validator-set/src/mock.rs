//! Test runtime: System, Balances, ValidatorSet and Session (declared in that order, as in the
//! real runtime), with 5-block sessions, a key deposit, and validators 1, 2 and 3 at genesis.

use crate::{self as pallet_validator_set};
use frame_support::{
	derive_impl, parameter_types,
	traits::{fungible::InspectHold, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::{testing::UintAuthorityId, traits::ConvertInto, BuildStorage};

/// Accounts are `u64`.
pub type AccountId = u64;
/// Balances are `u64`.
pub type Balance = u64;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ValidatorSet: pallet_validator_set,
		Session: pallet_session,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Blocks per session.
pub const SESSION_PERIOD: u64 = 5;
/// What pallet-session holds from an account that sets session keys.
pub const KEY_DEPOSIT: Balance = 10;
/// Most validators of the test runtime.
pub const MAX_VALIDATORS: u32 = 4;
/// Fewest validators of the test runtime.
pub const MIN_VALIDATORS: u32 = 2;
/// Balance of every endowed account.
pub const ENDOWMENT: Balance = 1_000;
/// An endowed account too poor to pay the key deposit.
pub const POOR: AccountId = 99;

parameter_types! {
	pub const KeyDeposit: Balance = KEY_DEPOSIT;
	pub const MaxValidators: u32 = MAX_VALIDATORS;
	pub const MinValidators: u32 = MIN_VALIDATORS;
}

impl pallet_session::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<ConstU64<SESSION_PERIOD>, ConstU64<0>>;
	type NextSessionRotation =
		pallet_session::PeriodicSessions<ConstU64<SESSION_PERIOD>, ConstU64<0>>;
	type SessionManager = ValidatorSet;
	type SessionHandler = pallet_session::TestSessionHandler;
	/// One dummy key per validator; any ownership proof is accepted.
	type Keys = UintAuthorityId;
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = KeyDeposit;
}

impl pallet_validator_set::Config for Test {
	type ManagerOrigin = EnsureRoot<AccountId>;
	type MaxValidators = MaxValidators;
	type MinValidators = MinValidators;
	type ValidatorRegistration = Session;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

/// Funds an account and sets its session keys (for the benchmarks).
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn register_session_keys(account: &AccountId) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(account, ENDOWMENT);
		set_keys(*account).expect("a funded account can set keys");
	}
}

/// The genesis validators.
pub const GENESIS_VALIDATORS: [AccountId; 3] = [1, 2, 3];

/// Genesis: accounts 1 to 9 endowed, [`POOR`] endowed with less than the key deposit,
/// validators 1, 2 and 3 with session keys.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		system: Default::default(),
		balances: pallet_balances::GenesisConfig {
			balances: (1..=9)
				.map(|who| (who, ENDOWMENT))
				.chain([(POOR, KEY_DEPOSIT - 1)])
				.collect(),
			dev_accounts: None,
		},
		validator_set: pallet_validator_set::GenesisConfig {
			validators: GENESIS_VALIDATORS.to_vec(),
		},
		session: pallet_session::GenesisConfig {
			keys: GENESIS_VALIDATORS.iter().map(|&v| (v, v, UintAuthorityId(v))).collect(),
			non_authority_keys: Vec::new(),
		},
	}
	.build_storage()
	.expect("genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	// Events are recorded from block 1 on.
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// `who` registers session keys (its own dummy key) with `session.setKeys`.
pub fn set_keys(who: AccountId) -> sp_runtime::DispatchResult {
	Session::set_keys(RuntimeOrigin::signed(who), UintAuthorityId(who), Vec::new())
}

/// What pallet-session holds from `who` for its session keys.
pub fn key_deposit_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&pallet_session::HoldReason::Keys.into(), &who)
}

/// Produces blocks (running every pallet's hooks) until the first block of session `index`.
pub fn run_to_session(index: u32) {
	System::run_to_block::<AllPalletsWithSystem>(u64::from(index) * SESSION_PERIOD);
	assert_eq!(Session::current_index(), index);
}

/// The events this pallet deposited, oldest first.
pub fn validator_set_events() -> Vec<pallet_validator_set::Event<Test>> {
	System::read_events_for_pallet::<pallet_validator_set::Event<Test>>()
}
