//! Test runtime: System, Balances, Committee (the real pallet-committee) and QSign, with
//! `frame_system::AuthorizeCall` in the transaction extension pipeline and a committee of three
//! authorities whose keys are known.

use crate::{self as pallet_qsign, crypto};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, OneSessionHandler},
};
use k256::elliptic_curve::{ops::Reduce, PrimeField};
use sp_core::{ecdsa, Pair};
use sp_runtime::{AccountId32, BuildStorage, MultiSignature};

/// Accounts are `AccountId32`, as in the real runtime (ε is derived from their 32 bytes).
pub type AccountId = AccountId32;
/// Balances are `u64`.
pub type Balance = u64;
/// The transaction extensions of the test runtime: only the one that authorizes the
/// committee's results.
pub type TxExtension = (frame_system::AuthorizeCall<Test>,);
/// Blocks of the test runtime (u32 block numbers, `AccountId32` addresses).
type Block = frame_system::mocking::MockBlockU32<Test, MultiSignature, TxExtension>;
/// Extrinsics of the test runtime.
pub type UncheckedExtrinsic =
	frame_system::mocking::MockUncheckedExtrinsic<Test, MultiSignature, TxExtension>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Committee: pallet_committee,
		QSign: pallet_qsign,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<1>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Request deposit.
pub const REQUEST_DEPOSIT: Balance = 10;
/// Key deposit.
pub const KEY_DEPOSIT: Balance = 100;
/// Default TTL.
pub const DEFAULT_TTL: u32 = 10;
/// Maximum TTL.
pub const MAX_TTL: u32 = 100;
/// Result retention.
pub const RETENTION: u32 = 5;
/// Priority of the committee's transactions.
pub const PRIORITY: u64 = 1 << 40;

parameter_types! {
	pub const RequestDeposit: Balance = REQUEST_DEPOSIT;
	pub const KeyDeposit: Balance = KEY_DEPOSIT;
	pub const UnsignedPriority: u64 = PRIORITY;
}

std::thread_local! {
	/// Every callback [`RecordingCallbacks`] was asked to make: `(request id, owner, status)`.
	pub static CALLBACKS: core::cell::RefCell<Vec<(u64, AccountId, crate::RequestStatus)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// Weight a callback may use in the mock.
pub const CALLBACK_WEIGHT: frame_support::weights::Weight =
	frame_support::weights::Weight::from_parts(1_000_000, 1_000);

/// Records callbacks instead of calling a contract.
pub struct RecordingCallbacks;
impl crate::OnRequestResult<AccountId> for RecordingCallbacks {
	fn max_weight() -> frame_support::weights::Weight {
		CALLBACK_WEIGHT
	}
	fn on_result(
		request_id: u64,
		owner: &AccountId,
		status: &crate::RequestStatus,
	) -> frame_support::weights::Weight {
		CALLBACKS.with(|c| c.borrow_mut().push((request_id, owner.clone(), *status)));
		CALLBACK_WEIGHT / 2
	}
}

/// The callbacks made so far (and forgets them).
pub fn take_callbacks() -> Vec<(u64, AccountId, crate::RequestStatus)> {
	CALLBACKS.with(|c| core::mem::take(&mut *c.borrow_mut()))
}

impl pallet_committee::Config for Test {
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<8>;
	type UnsignedPriority = UnsignedPriority;
	type HandoverTimeout = ConstU32<10>;
	type ManagerOrigin = frame_system::EnsureRoot<AccountId>;
	type OnOffence = ();
	type BlameExclusion = ConstU32<40>;
	type HeartbeatInterval = ConstU32<5>;
}

impl pallet_qsign::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type OnResult = RecordingCallbacks;
	type WeightInfo = ();
	type Committee = Committee;
	type MaxAuthorities = ConstU32<8>;
	type MaxPathLen = ConstU32<32>;
	type MaxDataLen = ConstU32<64>;
	type MaxBatch = ConstU32<4>;
	type MaxTxLen = ConstU32<512>;
	type MaxKeysPerAccount = ConstU32<3>;
	type MaxPendingRequests = ConstU32<10>;
	type MaxExpiriesPerBlock = ConstU32<6>;
	type MaxTtl = ConstU32<MAX_TTL>;
	type DefaultTtl = ConstU32<DEFAULT_TTL>;
	type ResultRetention = ConstU32<RETENTION>;
	type RequestDeposit = RequestDeposit;
	type KeyDeposit = KeyDeposit;
	type UnsignedPriority = UnsignedPriority;
}

/// A well-funded account.
pub const ALICE: AccountId = AccountId32::new([1; 32]);
/// Another well-funded account.
pub const BOB: AccountId = AccountId32::new([2; 32]);
/// An account that can pay a key deposit but not a request deposit.
pub const POOR: AccountId = AccountId32::new([3; 32]);
/// Starting balance of Alice and Bob.
pub const INITIAL_BALANCE: Balance = 10_000;
/// Starting balance of `POOR`: a key deposit and the existential deposit, nothing more.
pub const POOR_BALANCE: Balance = KEY_DEPOSIT + 1 + REQUEST_DEPOSIT - 1;

/// The committee's key pair number `i` (known secrets: the MPC is tested elsewhere).
pub fn authority(i: u8) -> crypto::AuthorityPair {
	crypto::AuthorityPair::from_seed(&[100 + i; 32])
}

/// The committee of the test runtime: three members, threshold two.
pub fn committee() -> Vec<crypto::AuthorityId> {
	(0..3).map(|i| authority(i).public()).collect()
}

/// The secret scalar of the root key used by most tests.
pub const ROOT_SECRET: [u8; 32] = [7; 32];

/// The SEC1 compressed public key of a secret scalar.
pub fn public_of(secret: &[u8; 32]) -> [u8; 33] {
	ecdsa::Pair::from_seed(secret).public().0
}

/// `root_secret + ε mod n`: the secret of the key derived for `(owner, path)`, which the
/// committee would only ever hold in shares.
pub fn derived_secret(root_secret: &[u8; 32], owner: &AccountId, path: &[u8]) -> [u8; 32] {
	let root = k256::Scalar::from_repr((*root_secret).into()).unwrap();
	let epsilon = qsign_primitives::derivation::epsilon(owner.as_ref(), path);
	let epsilon = <k256::Scalar as Reduce<k256::U256>>::reduce_bytes(&epsilon.into());
	(root + epsilon).to_repr().into()
}

/// `target − ε mod n`: the root secret under which `(owner, path)` derives exactly `target`
/// (used to replay published test vectors end to end).
pub fn root_secret_deriving(target: &[u8; 32], owner: &AccountId, path: &[u8]) -> [u8; 32] {
	let target = k256::Scalar::from_repr((*target).into()).unwrap();
	let epsilon = qsign_primitives::derivation::epsilon(owner.as_ref(), path);
	let epsilon = <k256::Scalar as Reduce<k256::U256>>::reduce_bytes(&epsilon.into());
	(target - epsilon).to_repr().into()
}

/// Externalities with funded accounts and the committee installed through the session handler.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, INITIAL_BALANCE), (BOB, INITIAL_BALANCE), (POOR, POOR_BALANCE)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		let keys: Vec<_> = committee().into_iter().map(|key| (ALICE, key)).collect();
		Committee::on_genesis_session(keys.iter().map(|(account, key)| (account, key.clone())));
		System::set_block_number(1);
	});
	ext
}

/// Externalities for the benchmark tests.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	new_test_ext()
}
