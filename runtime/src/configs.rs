//! Configuration of every pallet in the runtime.
//!
//! `derive_impl` injects `RuntimeOrigin`, `RuntimeCall`, `RuntimeTask` and `PalletInfo` by name,
//! which is why they are imported here.

use crate::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	SessionKeys, System, Timestamp, DAYS, EVM_CHAIN_ID, EXISTENTIAL_DEPOSIT, HOURS, MICRO_UNIT,
	MILLI_UNIT, MINUTES, SESSION_PERIOD, SLOT_DURATION, VERSION,
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureSigned,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{ConvertInto, OpaqueKeys},
	transaction_validity::TransactionPriority,
	Perbill,
};
use sp_version::RuntimeVersion;

/// Most validators the chain supports (Aura, GRANDPA and session).
pub const MAX_AUTHORITIES: u32 = 32;

/// Proof size a block may use (as a parachain's PoV limit).
const MAX_BLOCK_PROOF_SIZE: u64 = 10 * 1024 * 1024;

/// Share of a block's weight that normal (user) extrinsics may use.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;

	/// A block may use two thirds of its slot in compute (the author's proposal time; 667 ms of
	/// the 1 s slot) and 10 MiB of proof (a finite proof limit gives proof size a price, which
	/// pallet-revive's fees rely on).
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(
			WEIGHT_REF_TIME_PER_SECOND * 2 * SLOT_DURATION / 3 / 1000,
			MAX_BLOCK_PROOF_SIZE,
		),
		NORMAL_DISPATCH_RATIO,
	);
	/// Blocks up to 5 MiB; normal extrinsics may fill 75% of that.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// Generic substrate address format (`5...`).
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	// Every new account gets an Ethereum address mapping (pallet-revive), so substrate
	// accounts can call contracts without a separate `map_account`.
	type OnNewAccount = pallet_revive::AutoMapper<Runtime>;
	type OnKilledAccount = pallet_revive::AutoMapper<Runtime>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::from_u32(1);
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	// pallet-revive prices gas from weight and needs this fee shape: 1 ps of compute costs
	// 1,000 wei-sized units (1 ms ≈ 10⁻⁶ QSG); proof size is priced in the block's ratio.
	type WeightToFee = pallet_revive::evm::fees::BlockRatioFee<1_000, 1, Runtime, Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	/// Every `SESSION_PERIOD` blocks, and at once (twice) after a change of the validator set,
	/// so that the change takes effect two blocks later.
	type ShouldEndSession = pallet_validator_set::RotateOnChange<
		Runtime,
		pallet_session::PeriodicSessions<ConstU32<SESSION_PERIOD>, ConstU32<0>>,
	>;
	type NextSessionRotation =
		pallet_session::PeriodicSessions<ConstU32<SESSION_PERIOD>, ConstU32<0>>;
	/// Governance adds and removes validators (pallet-validator-set).
	type SessionManager = crate::ValidatorSet;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Held from an account while it has session keys (`session.setKeys`); released by
	/// `session.purgeKeys`.
	type KeyDeposit = ConstU128<{ 10 * crate::UNIT }>;
}

/// The validator accounts; sudo (root) adds and removes them on the dev and local chains.
impl pallet_validator_set::Config for Runtime {
	type ManagerOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxValidators = ConstU32<MAX_AUTHORITIES>;
	type MinValidators = ConstU32<1>;
	/// Only accounts with session keys can be added.
	type ValidatorRegistration = crate::Session;
	type WeightInfo = pallet_validator_set::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ValidatorSetBenchmarkHelper;
}

/// Gives a benchmark account session keys (its account bytes as every public key), without the
/// ownership proof `session.setKeys` needs.
#[cfg(feature = "runtime-benchmarks")]
pub struct ValidatorSetBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_validator_set::BenchmarkHelper<AccountId> for ValidatorSetBenchmarkHelper {
	fn register_session_keys(account: &AccountId) {
		let raw: [u8; 32] = *account.as_ref();
		let keys = SessionKeys {
			aura: sp_core::sr25519::Public::from_raw(raw).into(),
			grandpa: sp_core::ed25519::Public::from_raw(raw).into(),
			qsign: sp_core::sr25519::Public::from_raw(raw).into(),
		};
		pallet_session::NextKeys::<Runtime>::insert(account, keys);
	}
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Committee results (signatures, handover attestations and proofs) go ahead of user
	/// transactions.
	pub const QSignUnsignedPriority: TransactionPriority = TransactionPriority::MAX / 2;
}

impl pallet_committee::Config for Runtime {
	type WeightInfo = pallet_committee::weights::SubstrateWeight<Runtime>;
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type UnsignedPriority = QSignUnsignedPriority;
	/// A handover attempt gets 1 minute: a reshare takes seconds, the attestations
	/// and the proof a few blocks each (measured under load with 3–4 validators: 24–30 s); an
	/// attempt that stalls is retried with other dealers. A chain with a large committee should
	/// raise it.
	type HandoverTimeout = ConstU32<{ crate::blocks_of_seconds(60) }>;
	/// Repairs are ordered by governance (sudo on the dev and local chains).
	type ManagerOrigin = frame_system::EnsureRoot<AccountId>;
	/// No staking yet: an offence is an event and an exclusion from signer sets.
	type OnOffence = ();
	/// A reporter and the member it blamed sign together in no run for 2 minutes:
	/// a silent member is left out of the next attempts, and re-blamed if still silent.
	type BlameExclusion = ConstU32<{ crate::blocks_of_seconds(120) }>;
	/// A member says it is alive every 15 s.
	type HeartbeatInterval = ConstU32<{ crate::blocks_of_seconds(15) }>;
}

impl pallet_qsign::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Contracts that request through the precompile are called back with the result.
	type OnResult = crate::precompile::ContractCallbacks;
	type WeightInfo = pallet_qsign::weights::SubstrateWeight<Runtime>;
	/// Members, threshold and root key.
	type Committee = crate::Committee;
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	/// Derivation paths up to 128 bytes.
	type MaxPathLen = ConstU32<128>;
	/// `request_signature` data payloads up to 4 KiB (hashed on-chain).
	type MaxDataLen = ConstU32<4096>;
	/// Up to 16 payloads per `request_signature`.
	type MaxBatch = ConstU32<16>;
	/// Unsigned EVM transactions up to 8 KiB.
	type MaxTxLen = ConstU32<8192>;
	type MaxKeysPerAccount = ConstU32<1000>;
	type MaxPendingRequests = ConstU32<1024>;
	type MaxExpiriesPerBlock = ConstU32<256>;
	/// A request lives at most an hour ...
	type MaxTtl = ConstU32<HOURS>;
	/// ... and ten minutes unless the caller says otherwise.
	type DefaultTtl = ConstU32<{ 10 * MINUTES }>;
	/// Results stay readable for a day after they complete.
	type ResultRetention = ConstU32<DAYS>;
	/// Held per request; the fee on success, refunded on expiry or failure.
	type RequestDeposit = ConstU128<{ 10 * MILLI_UNIT }>;
	/// Held per key, for its storage.
	type KeyDeposit = ConstU128<{ 10 * MILLI_UNIT }>;
	type UnsignedPriority = QSignUnsignedPriority;
}

parameter_types! {
	/// Storage deposits of contracts (18-decimal balance: 1 wei-sized unit per planck).
	pub const ReviveDepositPerItem: Balance = MILLI_UNIT;
	pub const ReviveDepositPerByte: Balance = MICRO_UNIT;
	pub const ReviveDepositPerChildTrieItem: Balance = MILLI_UNIT / 100;
	pub CodeHashLockupDepositPercent: Perbill = Perbill::from_percent(30);
}

/// Contracts: pallet-revive running EVM bytecode (solc output), with the QSign precompile.
#[derive_impl(pallet_revive::config_preludes::TestDefaultConfig)]
impl pallet_revive::Config for Runtime {
	type Time = Timestamp;
	type Balance = Balance;
	type Currency = Balances;
	type AddressMapper = pallet_revive::AccountId32Mapper<Self>;
	type ChainId = ConstU64<EVM_CHAIN_ID>;
	/// QSG has 18 decimals, like Ether: one planck is one wei.
	type NativeToEthRatio = ConstU32<1>;
	type FeeInfo =
		pallet_revive::evm::fees::Info<crate::Address, crate::Signature, crate::EthExtraImpl>;
	/// Gas price 0.001 gwei; gas amounts in the range EVM tools expect (21,000-ish transfers).
	type GasScale = ConstU32<1_000_000>;
	type Precompiles = (crate::precompile::QSignPrecompile<Runtime>,);
	type FindAuthor = ();
	type DepositPerItem = ReviveDepositPerItem;
	type DepositPerByte = ReviveDepositPerByte;
	type DepositPerChildTrieItem = ReviveDepositPerChildTrieItem;
	type CodeHashLockupDepositPercent = CodeHashLockupDepositPercent;
	type UploadOrigin = EnsureSigned<AccountId>;
	type InstantiateOrigin = EnsureSigned<AccountId>;
	type AutoMap = ConstBool<true>;
	type DebugEnabled = ConstBool<false>;
}
