//! Test runtime: System and Committee, with `frame_system::AuthorizeCall` in the transaction
//! extension pipeline and a genesis committee of three authorities whose keys are known.

use crate::{self as pallet_committee, crypto};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, OneSessionHandler},
};
use sp_core::{ecdsa, Pair};
use sp_runtime::{AccountId32, BuildStorage, MultiSignature};

/// Accounts are `AccountId32`, as in the real runtime.
pub type AccountId = AccountId32;
/// The transaction extensions of the test runtime: only the one that authorizes the
/// committee's attestations.
pub type TxExtension = (frame_system::AuthorizeCall<Test>,);
/// Blocks of the test runtime (u32 block numbers, `AccountId32` addresses).
type Block = frame_system::mocking::MockBlockU32<Test, MultiSignature, TxExtension>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Committee: pallet_committee,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
}

/// Priority of the committee's transactions.
pub const PRIORITY: u64 = 1 << 40;

parameter_types! {
	pub const UnsignedPriority: u64 = PRIORITY;
}

/// Blocks a handover attempt may take in the test runtime.
pub const HANDOVER_TIMEOUT: u32 = 10;

/// Blocks of a blame's exclusion in the tests.
pub const BLAME_EXCLUSION: u32 = 5;
/// Blocks between heartbeats in the tests.
pub const HEARTBEAT_INTERVAL: u32 = 4;

impl pallet_committee::Config for Test {
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<8>;
	type UnsignedPriority = UnsignedPriority;
	type HandoverTimeout = ConstU32<HANDOVER_TIMEOUT>;
	type ManagerOrigin = frame_system::EnsureRoot<AccountId>;
	type OnOffence = ();
	type BlameExclusion = ConstU32<BLAME_EXCLUSION>;
	type HeartbeatInterval = ConstU32<HEARTBEAT_INTERVAL>;
}

/// The account every test validator uses (the committee only looks at the `qmpc` keys).
pub const ALICE: AccountId = AccountId32::new([1; 32]);

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

/// Externalities with the genesis committee installed through the session handler (its key
/// generation pending).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
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
