//! The QSign runtime: Aura + GRANDPA block production and finality, balances, fees, sudo, and
//! validator sessions, pallet-committee (the validators' MPC committee and its root key) and
//! pallet-qsign (keys and signatures from that committee).
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

/// The pallets whose benchmarks the `Benchmark` runtime API runs: defines `list_benchmarks!` and
/// `add_benchmarks!`, in textual scope for `apis` (declared before it, where `QSign` and
/// `Committee` are imported).
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[pallet_committee, Committee]
		[pallet_qsign, QSign]
		[pallet_validator_set, ValidatorSet]
	);
}

pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod precompile;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;

/// Opaque types: what the node needs to know about blocks without knowing the runtime's calls.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys a validator registers: block production (Aura) and finality (GRANDPA).
	pub struct SessionKeys {
		/// Aura block-authoring key (sr25519).
		pub aura: Aura,
		/// GRANDPA finality key (ed25519).
		pub grandpa: Grandpa,
		/// QSign MPC committee key (sr25519, key type `qmpc`): authenticates the validator's
		/// MPC messages and its attestations of the root key. pallet-committee's key; the field
		/// keeps the name `qsign` (and its place) so encoded keys stay valid.
		pub qsign: Committee,
	}
}

/// The runtime's version. Bump `spec_version` whenever the runtime logic changes.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("qsign"),
	impl_name: alloc::borrow::Cow::Borrowed("qsign"),
	authoring_version: 1,
	spec_version: 105,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 4,
	system_version: 1,
};

/// Target block time. Aura slots have this length; GRANDPA finalizes shortly after.
///
/// One second (it was 3 s until 2026-12-08): a request is signed once its block is final and
/// the result needs a block of its own, so the slot is most of a signature's latency. Measured
/// side by side (`QSIGN_COMPARE_NODES`, docs/performance.md): at rest 4.9 → 2.9 s (p50), a
/// 1,000-request burst 67 → 84 signatures/s (3 validators), finality unchanged (~1.3 s).
/// Block-denominated settings are written in wall time ([`blocks_of_seconds`]).
pub const MILLI_SECS_PER_BLOCK: u64 = 1000;
/// The chain id Ethereum tools (MetaMask, ethers) see for QSign's EVM (`0x7dd34`).
pub const EVM_CHAIN_ID: u64 = 515_380;

/// Aura slot duration (one block per slot).
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// The number of blocks (at least one) that take `seconds` at the target block time.
pub const fn blocks_of_seconds(seconds: u32) -> BlockNumber {
	let blocks = (seconds as u64 * 1000).div_ceil(MILLI_SECS_PER_BLOCK);
	if blocks == 0 {
		1
	} else {
		blocks as BlockNumber
	}
}
/// Blocks per hour at the target block time.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day at the target block time.
pub const DAYS: BlockNumber = HOURS * 24;

/// Length of a validator session, in blocks.
pub const SESSION_PERIOD: BlockNumber = 10 * MINUTES;

/// One QSG, the native token, with 18 decimals like Ether so EVM tools show sensible amounts.
pub const UNIT: Balance = 1_000_000_000_000_000_000;
/// A thousandth of a QSG.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// A millionth of a QSG.
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
/// The existential deposit: balances below it are reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;
/// Some way of identifying an account on the chain.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account.
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// An index to a block.
pub type BlockNumber = u32;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;
/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions checked for every signed extrinsic.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	// Turns the signer of an Ethereum transaction into the origin; does nothing (and encodes
	// to nothing) for every other extrinsic. After everything that needs the signed origin.
	pallet_revive::evm::tx_extension::SetOrigin<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The extensions an Ethereum transaction (`Revive::eth_transact`) is checked with.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EthExtraImpl;

impl pallet_revive::evm::runtime::EthExtra for EthExtraImpl {
	type Config = Runtime;
	type ExtensionV0 = TxExtension;
	type ExtensionOtherVersions = sp_runtime::traits::InvalidVersion;

	fn get_eth_extension(nonce: Nonce, tip: Balance) -> TxExtension {
		immortal_tx_extension(nonce, tip, true)
	}
}

/// The transaction extensions of an immortal transaction with `nonce` and `tip`; with
/// `eth_transaction`, `SetOrigin` turns the Ethereum signer into the origin.
pub fn immortal_tx_extension(nonce: Nonce, tip: Balance, eth_transaction: bool) -> TxExtension {
	let set_origin = if eth_transaction {
		pallet_revive::evm::tx_extension::SetOrigin::<Runtime>::new_from_eth_transaction()
	} else {
		pallet_revive::evm::tx_extension::SetOrigin::<Runtime>::default()
	};
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		set_origin,
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// The transaction extensions of an authorized general transaction (no signer, no nonce,
/// no fee): what the committee's results travel in. `AuthorizeCall` runs the pallet's
/// `authorize` check; the fee and nonce extensions do nothing for a non-signed origin.
pub fn authorized_tx_extension() -> TxExtension {
	immortal_tx_extension(0, 0, false)
}

/// Unchecked extrinsic type as expected by this runtime: the generic one, plus Ethereum
/// transactions wrapped in `Revive::eth_transact` (checked by their Ethereum signature).
pub type UncheckedExtrinsic =
	pallet_revive::evm::runtime::UncheckedExtrinsic<Address, Signature, EthExtraImpl>;
/// The generic extrinsic the wrapper holds (build extrinsics with it, then `.into()`).
pub type GenericUncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(3)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Before Session: pallet-session's genesis takes the genesis validators from it.
	#[runtime::pallet_index(8)]
	pub type ValidatorSet = pallet_validator_set;

	// Session comes before the consensus pallets so their authority sets follow it.
	#[runtime::pallet_index(4)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(5)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(6)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(7)]
	pub type Sudo = pallet_sudo;

	// The MPC committee and its root key; pallet-qsign asks it (`CommitteeInterface`).
	#[runtime::pallet_index(19)]
	pub type Committee = pallet_committee;

	#[runtime::pallet_index(20)]
	pub type QSign = pallet_qsign;

	// The name `Revive` is what Ethereum RPC servers (eth-rpc) look for.
	#[runtime::pallet_index(30)]
	pub type Revive = pallet_revive;
}

/// Accounts and keys used by the development presets; kept here so tests and the node agree.
pub use genesis_config_presets::{
	DEV_RUNTIME_PRESET, LOCAL5_TESTNET_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET,
};
