//! # pallet-qsign
//!
//! Keys on other chains, owned by accounts of this chain and signed for by the validators'
//! threshold-ECDSA committee (secp256k1, MPC), in the manner of NEAR Chain Signatures.
//!
//! ## Overview
//!
//! * **Committee and root key.** They live in pallet-committee (the `qmpc` session key type,
//!   the members, the threshold `n / 2 + 1`, the committee id and the root key the members'
//!   DKG attested, with `submit_root_key`); this pallet asks it through
//!   [`Config::Committee`] ([`CommitteeInterface`]). [`crypto`] is pallet-committee's, re-exported.
//! * **Keys.** [`Pallet::request_key`] creates a key for `(caller, path)` whose public key is
//!   derived on-chain: `root + ε·G` with `ε = epsilon(caller, path)`
//!   ([`qsign_primitives::derivation`]). No MPC round is needed. The same `(caller, path)` again
//!   points to the existing key.
//! * **Signatures.** [`Pallet::request_signature`] asks for signatures over a batch of payloads
//!   (raw data hashed on-chain with Keccak-256 or SHA-256, or 32-byte hashes), one request per
//!   payload. [`Pallet::request_broadcast`] asks for the signature of an unsigned EVM transaction
//!   (legacy EIP-155 or EIP-1559) whose chain id must match the destination; once signed, the
//!   pallet assembles the signed raw transaction for a relayer, which reports the broadcast with
//!   [`Pallet::report_broadcast`].
//! * **Results.** The committee's workers submit [`Pallet::submit_signature`] (and
//!   [`Pallet::report_failure`] votes) as *authorized* general transactions
//!   (`#[pallet::authorize]`, checked by `frame_system::AuthorizeCall`): a signature enters the
//!   pool only if it is low-s and recovers the request's derived key (host function
//!   `secp256k1_ecdsa_recover_compressed`) while the request is pending; each result provides a
//!   unique tag, so duplicates never enter the pool. The dispatch checks everything again.
//!
//! ## Lifecycle
//!
//! `Pending → Signed | Failed(reason) | Expired`, and for transactions `Signed → Broadcast`, with
//! an event at each step. A request holds [`Config::RequestDeposit`] from its owner: burned as the
//! fee when signed, released when it fails or expires. Pending requests expire after their TTL
//! (at most [`Config::MaxTtl`]) in `on_initialize`; finished requests stay readable for
//! [`Config::ResultRetention`] blocks after their expiry block and are then pruned. An optional
//! idempotency key makes a retried request return the existing request ids instead of creating
//! new ones.
//!
//! ## Runtime requirements
//!
//! * `frame_system::AuthorizeCall<Runtime>` in the transaction extension pipeline (for the
//!   committee's results).
//! * The committee: pallet-committee (a session handler, in `SessionKeys`) as
//!   [`Config::Committee`].
//! * A `fungible` currency with holds (e.g. pallet-balances) and `RuntimeHoldReason`.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod evm_tx;
pub mod runtime_api;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
/// The committee's `qmpc` session key type (pallet-committee's, re-exported for existing users).
pub use pallet_committee::crypto;
pub use pallet_committee::CommitteeInterface;
pub use qsign_primitives::request::{
	CommitteeId, CommitteeInfo, EvmTxType, FailureReason, FailureVote, Hasher, KeyId, KeyInfo,
	MessageHash, PendingRequest, PublicKey, RequestId, RequestInfo, RequestKind, RequestStatus,
	Signature,
};
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	traits::{
		fungible::{self, MutateHold as _},
		tokens::{Fortitude, Precision},
		Get,
	},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	transaction_validity::InvalidTransaction,
	DispatchError, RuntimeAppPublic, SaturatedConversion,
};

/// Log target of this pallet.
const LOG_TARGET: &str = "runtime::qsign";

/// How many bytes signing can add to an unsigned EVM transaction (`v`, `r`, `s` and a longer
/// list header, minus the two empty EIP-155 fields).
pub const SIGNED_TX_OVERHEAD: u32 = 96;

/// `(n − 1) / 2` for the secp256k1 group order `n`: the largest `s` of a normalized signature.
const SECP256K1_HALF_ORDER: [u8; 32] = [
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A key's derivation path.
pub type PathOf<T> = BoundedVec<u8, <T as Config>::MaxPathLen>;
/// A payload of [`Pallet::request_signature`].
pub type PayloadOf<T> = Payload<<T as Config>::MaxDataLen>;
/// The payloads of one [`Pallet::request_signature`].
pub type PayloadsOf<T> = BoundedVec<PayloadOf<T>, <T as Config>::MaxBatch>;
/// An unsigned EVM transaction.
pub type UnsignedTxOf<T> = BoundedVec<u8, <T as Config>::MaxTxLen>;
/// A signed EVM transaction.
pub type SignedTxOf<T> = BoundedVec<u8, SignedTxBound<T>>;
/// The request ids created by one call.
pub type RequestIdsOf<T> = BoundedVec<RequestId, <T as Config>::MaxBatch>;

/// Bound of a signed EVM transaction: [`Config::MaxTxLen`] + [`SIGNED_TX_OVERHEAD`].
pub struct SignedTxBound<T>(core::marker::PhantomData<T>);
impl<T: Config> Get<u32> for SignedTxBound<T> {
	fn get() -> u32 {
		T::MaxTxLen::get().saturating_add(SIGNED_TX_OVERHEAD)
	}
}

/// What to sign: data the chain hashes, or a 32-byte hash.
#[derive(
	frame_support::CloneNoBound,
	frame_support::PartialEqNoBound,
	frame_support::EqNoBound,
	frame_support::DebugNoBound,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	scale_info::TypeInfo,
	codec::MaxEncodedLen,
)]
#[scale_info(skip_type_params(S))]
#[codec(mel_bound(S: Get<u32>))]
pub enum Payload<S: Get<u32>> {
	/// Raw data, hashed on-chain with `hasher`.
	Data {
		/// The data.
		data: BoundedVec<u8, S>,
		/// The hash applied to `data`.
		hasher: Hasher,
	},
	/// A hash computed by the caller, signed as is.
	Hash(MessageHash),
}

impl<S: Get<u32>> Payload<S> {
	/// The 32 bytes the committee signs.
	pub fn message_hash(&self) -> MessageHash {
		match self {
			Payload::Data { data, hasher: Hasher::Keccak256 } => sp_io::hashing::keccak_256(data),
			Payload::Data { data, hasher: Hasher::Sha256 } => sp_io::hashing::sha2_256(data),
			Payload::Hash(hash) => *hash,
		}
	}
}

/// Verifies `r ‖ s ‖ v` over `hash` against `public_key`: `v ∈ {0, 1}`, low `s`, and the key
/// recovered by the `secp256k1_ecdsa_recover_compressed` host function equals `public_key`.
fn check_signature<T: Config>(
	hash: &MessageHash,
	signature: &Signature,
	public_key: &PublicKey,
) -> Result<(), Error<T>> {
	if signature[64] > 1 {
		return Err(Error::<T>::InvalidRecoveryId);
	}
	if signature[32..64] > SECP256K1_HALF_ORDER[..] {
		return Err(Error::<T>::HighS);
	}
	match sp_io::crypto::secp256k1_ecdsa_recover_compressed(signature, hash) {
		Ok(recovered) if recovered == *public_key => Ok(()),
		_ => Err(Error::<T>::SignatureMismatch),
	}
}

/// What the runtime does when a request made with a callback ends (Signed or Failed).
///
/// pallet-qsign stays independent of the contract layer: the runtime implements this with a
/// call into the requesting contract. The hook must not fail the committee's transaction:
/// whatever it does, the result is already stored and stays readable.
pub trait OnRequestResult<AccountId> {
	/// The most weight [`OnRequestResult::on_result`] may use; reserved by the committee's
	/// result transactions.
	fn max_weight() -> Weight;
	/// Request `request_id` of `owner` ended with `status`. Returns the weight used.
	fn on_result(request_id: RequestId, owner: &AccountId, status: &RequestStatus) -> Weight;
}

/// No callbacks.
impl<AccountId> OnRequestResult<AccountId> for () {
	fn max_weight() -> Weight {
		Weight::zero()
	}
	fn on_result(_: RequestId, _: &AccountId, _: &RequestStatus) -> Weight {
		Weight::zero()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::{ensure_authorized, pallet_prelude::*};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency deposits are held in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Called when a request made with a callback is Signed or Failed.
		type OnResult: OnRequestResult<Self::AccountId>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// The signing committee: members, threshold, committee id and root key
		/// (pallet-committee).
		type Committee: CommitteeInterface<crypto::AuthorityId>;

		/// Most failure votes on one request: the largest committee (at least the committee
		/// pallet's `MaxAuthorities`).
		#[pallet::constant]
		type MaxAuthorities: Get<u32>;

		/// Longest key derivation path, in bytes.
		#[pallet::constant]
		type MaxPathLen: Get<u32>;

		/// Longest `Payload::Data`, in bytes.
		#[pallet::constant]
		type MaxDataLen: Get<u32>;

		/// Most payloads in one `request_signature`.
		#[pallet::constant]
		type MaxBatch: Get<u32>;

		/// Longest unsigned EVM transaction, in bytes.
		#[pallet::constant]
		type MaxTxLen: Get<u32>;

		/// Most keys one account may own.
		#[pallet::constant]
		type MaxKeysPerAccount: Get<u32>;

		/// Most requests pending at once (over all accounts).
		#[pallet::constant]
		type MaxPendingRequests: Get<u32>;

		/// Most requests that may expire in the same block.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

		/// Longest TTL a caller may choose, in blocks.
		#[pallet::constant]
		type MaxTtl: Get<BlockNumberFor<Self>>;

		/// TTL of requests that do not choose one, in blocks.
		#[pallet::constant]
		type DefaultTtl: Get<BlockNumberFor<Self>>;

		/// How long finished requests stay readable after their expiry block, in blocks.
		#[pallet::constant]
		type ResultRetention: Get<BlockNumberFor<Self>>;

		/// Deposit held per request: burned as the fee when signed, released otherwise.
		#[pallet::constant]
		type RequestDeposit: Get<BalanceOf<Self>>;

		/// Deposit held per key for as long as the key exists (keys are never deleted).
		#[pallet::constant]
		type KeyDeposit: Get<BalanceOf<Self>>;

		/// Priority of the committee's authorized transactions in the pool.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;
	}

	/// Reasons for which the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposit of a signature or broadcast request.
		RequestDeposit,
		/// Deposit of a key.
		KeyDeposit,
	}

	/// A key as stored.
	#[derive(
		Encode,
		Decode,
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		TypeInfo,
		MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound(T: Config))]
	pub struct KeyRecord<T: Config> {
		/// The owner, the only account that may request signatures with the key.
		pub owner: T::AccountId,
		/// The derivation path.
		pub path: PathOf<T>,
		/// `epsilon(owner, path)`.
		pub epsilon: [u8; 32],
		/// `root + ε·G`, SEC1 compressed.
		pub public_key: PublicKey,
		/// The deposit held for the key.
		pub deposit: BalanceOf<T>,
		/// Block the key was created in.
		pub created_at: BlockNumberFor<T>,
	}

	/// A request as stored.
	#[derive(
		Encode,
		Decode,
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		TypeInfo,
		MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound(T: Config))]
	pub struct RequestRecord<T: Config> {
		/// Who asked and paid the deposit.
		pub owner: T::AccountId,
		/// The key that signs.
		pub key_id: KeyId,
		/// What is signed.
		pub kind: RequestKind,
		/// The 32 bytes to sign.
		pub message_hash: MessageHash,
		/// Where the request is in its lifecycle.
		pub status: RequestStatus,
		/// The deposit held for the request.
		pub deposit: BalanceOf<T>,
		/// Block the request was made in.
		pub created_at: BlockNumberFor<T>,
		/// The first block at which the request, if still pending, is expired.
		pub expires_at: BlockNumberFor<T>,
		/// The idempotency key the request was made with.
		pub idempotency_key: Option<[u8; 32]>,
	}

	/// The transaction of a broadcast request.
	#[derive(
		Encode,
		Decode,
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		TypeInfo,
		MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound(T: Config))]
	pub struct EvmTxRecord<T: Config> {
		/// The unsigned transaction as submitted.
		pub unsigned: UnsignedTxOf<T>,
		/// The signed raw transaction and its hash, once signed.
		pub signed: Option<(SignedTxOf<T>, [u8; 32])>,
	}

	/// What an idempotency key stands for.
	#[derive(
		Encode,
		Decode,
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		TypeInfo,
		MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound(T: Config))]
	pub struct IdempotencyRecord<T: Config> {
		/// The requests the first call created.
		pub request_ids: RequestIdsOf<T>,
		/// Hash of what the first call asked to sign (key, payloads or chain id and transaction).
		pub params_hash: [u8; 32],
	}

	/// The committee's failure votes on one request.
	#[derive(
		Encode,
		Decode,
		CloneNoBound,
		PartialEqNoBound,
		EqNoBound,
		DebugNoBound,
		TypeInfo,
		MaxEncodedLen,
	)]
	#[scale_info(skip_type_params(T))]
	#[codec(mel_bound(T: Config))]
	pub struct FailureVotesRecord<T: Config> {
		/// The committee the votes were cast in (older votes do not count).
		pub committee_id: CommitteeId,
		/// `(authority_index, reason)` of each vote.
		pub votes: BoundedVec<(u32, FailureReason), T::MaxAuthorities>,
	}

	/// Pending requests whose owner asked to be called back with the result.
	#[pallet::storage]
	pub type Callbacks<T: Config> = StorageMap<_, Twox64Concat, RequestId, (), OptionQuery>;

	/// The id the next key gets.
	#[pallet::storage]
	pub type NextKeyId<T: Config> = StorageValue<_, KeyId, ValueQuery>;

	/// Keys by id.
	#[pallet::storage]
	pub type Keys<T: Config> = StorageMap<_, Twox64Concat, KeyId, KeyRecord<T>, OptionQuery>;

	/// Key ids by `(owner, path)`.
	#[pallet::storage]
	pub type KeyIds<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		PathOf<T>,
		KeyId,
		OptionQuery,
	>;

	/// Number of keys each account owns.
	#[pallet::storage]
	pub type KeyCount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The id the next request gets.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Requests by id (pending ones, and finished ones until pruned).
	#[pallet::storage]
	pub type Requests<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, RequestRecord<T>, OptionQuery>;

	/// The transactions of broadcast requests.
	#[pallet::storage]
	pub type EvmTransactions<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, EvmTxRecord<T>, OptionQuery>;

	/// The ids of pending requests (at most [`Config::MaxPendingRequests`]).
	#[pallet::storage]
	pub type PendingRequests<T: Config> =
		CountedStorageMap<_, Twox64Concat, RequestId, (), OptionQuery>;

	/// Requests by expiry block. A bucket is read when its block comes (pending requests in it
	/// expire) and removed [`Config::ResultRetention`] blocks later (its requests are pruned).
	#[pallet::storage]
	pub type ExpiryQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<RequestId, T::MaxExpiriesPerBlock>,
		ValueQuery,
	>;

	/// Idempotency keys by `(owner, key)`; removed with the requests they stand for.
	#[pallet::storage]
	pub type IdempotencyKeys<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		[u8; 32],
		IdempotencyRecord<T>,
		OptionQuery,
	>;

	/// Failure votes on pending requests.
	#[pallet::storage]
	pub type FailureVotes<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, FailureVotesRecord<T>, OptionQuery>;

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A key was created.
		KeyCreated {
			/// The new key.
			key_id: KeyId,
			/// Its owner.
			owner: T::AccountId,
			/// Its derivation path.
			path: PathOf<T>,
			/// Its derived public key.
			public_key: PublicKey,
		},
		/// A key was requested for an `(owner, path)` that already has one.
		KeyExists {
			/// The existing key.
			key_id: KeyId,
			/// Its owner.
			owner: T::AccountId,
		},
		/// A signature was requested.
		RequestCreated {
			/// The request.
			request_id: RequestId,
			/// Who asked.
			owner: T::AccountId,
			/// The key that signs.
			key_id: KeyId,
			/// What is signed.
			kind: RequestKind,
			/// The 32 bytes to sign.
			message_hash: MessageHash,
			/// The first block at which the request, if still pending, is expired.
			expires_at: BlockNumberFor<T>,
		},
		/// A request was made again with the same idempotency key and parameters; nothing new
		/// was created.
		IdempotentReplay {
			/// Who asked.
			owner: T::AccountId,
			/// The idempotency key.
			idempotency_key: [u8; 32],
			/// The requests the first call created.
			request_ids: RequestIdsOf<T>,
		},
		/// The owner of a request made with a callback was called with its result (whether
		/// the callback succeeded or not: the result stays readable either way).
		CallbackDone {
			/// The request.
			request_id: RequestId,
		},
		/// A request was signed.
		Signed {
			/// The request.
			request_id: RequestId,
			/// `r ‖ s ‖ v`.
			signature: Signature,
		},
		/// The signed raw transaction of a broadcast request is ready for a relayer.
		TransactionSigned {
			/// The request.
			request_id: RequestId,
			/// The destination chain.
			chain_id: u64,
			/// `keccak256` of the signed raw transaction.
			tx_hash: [u8; 32],
		},
		/// A committee member voted that a request cannot be signed.
		FailureReported {
			/// The request.
			request_id: RequestId,
			/// The member.
			authority_index: u32,
			/// The member's reason.
			reason: FailureReason,
		},
		/// A threshold of the committee agreed that a request cannot be signed; the deposit was
		/// released.
		Failed {
			/// The request.
			request_id: RequestId,
			/// The agreed reason.
			reason: FailureReason,
		},
		/// A request was not signed in time; the deposit was released.
		Expired {
			/// The request.
			request_id: RequestId,
		},
		/// A relayer reported the signed transaction broadcast.
		Broadcast {
			/// The request.
			request_id: RequestId,
			/// `keccak256` of the signed raw transaction.
			tx_hash: [u8; 32],
			/// The destination chain's block that included the transaction.
			destination_block: u64,
			/// The relayer.
			relayer: T::AccountId,
		},
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No root key has been attested yet, so no key can be derived.
		NoRootKey,
		/// The vote is for another committee than the current one.
		WrongCommittee,
		/// No committee member has this index.
		InvalidAuthorityIndex,
		/// The committee member's signature over the vote is invalid.
		InvalidCommitteeSignature,
		/// The derived key would be invalid (probability ~2⁻²⁵⁶; use another path).
		KeyDerivationFailed,
		/// The account owns [`Config::MaxKeysPerAccount`] keys already.
		TooManyKeys,
		/// The account cannot pay the deposit.
		InsufficientBalance,
		/// No key has this id.
		UnknownKey,
		/// Only the key's owner may request signatures with it.
		NotKeyOwner,
		/// `request_signature` needs at least one payload.
		EmptyBatch,
		/// The TTL must be at least one block.
		ZeroTtl,
		/// The TTL is longer than [`Config::MaxTtl`].
		TtlTooLong,
		/// [`Config::MaxPendingRequests`] requests are pending already; try again later.
		TooManyPendingRequests,
		/// Too many requests expire in the block this one would; choose another TTL.
		ExpiryQueueFull,
		/// The idempotency key was used before with other parameters.
		IdempotencyKeyReused,
		/// The transaction is not canonical RLP (or is truncated or has trailing bytes).
		TxInvalidRlp,
		/// Only legacy (EIP-155) and EIP-1559 transactions are supported.
		TxUnsupportedType,
		/// The transaction has the wrong number of fields (e.g. it is already signed, or a
		/// legacy transaction without EIP-155 chain id).
		TxWrongFieldCount,
		/// A field of the transaction is malformed.
		TxInvalidField,
		/// The legacy transaction's `r` and `s` are not empty (it is not an unsigned EIP-155
		/// transaction).
		TxNotUnsigned,
		/// The transaction's chain id does not fit in 64 bits.
		TxChainIdTooLarge,
		/// The transaction's chain id differs from the destination chain.
		ChainIdMismatch,
		/// No request has this id (or it has been pruned).
		UnknownRequest,
		/// The request is not pending any more (signed, failed or expired).
		RequestNotPending,
		/// The signature's recovery id is not 0 or 1.
		InvalidRecoveryId,
		/// The signature's `s` is not in the lower half of the group order.
		HighS,
		/// The signature does not verify against the request's key.
		SignatureMismatch,
		/// This committee member already voted on the request.
		AlreadyVoted,
		/// The request is not a broadcast request.
		NotATransaction,
		/// The transaction has not been signed (yet).
		NotSigned,
		/// The hash is not the hash of the signed transaction.
		TxHashMismatch,
		/// The id counter is exhausted.
		IdOverflow,
		/// The transaction's gas limit is below its intrinsic gas (21,000 plus its data, creation
		/// and access-list costs): no chain would include it.
		TxGasBelowIntrinsic,
		/// The transaction's `maxPriorityFeePerGas` is above its `maxFeePerGas`: no chain would
		/// include it.
		TxTipAboveFeeCap,
	}

	impl<T> From<evm_tx::TxError> for Error<T> {
		fn from(e: evm_tx::TxError) -> Self {
			use evm_tx::TxError::*;
			match e {
				InvalidRlp => Error::TxInvalidRlp,
				UnsupportedType => Error::TxUnsupportedType,
				WrongFieldCount => Error::TxWrongFieldCount,
				InvalidField => Error::TxInvalidField,
				NotUnsigned => Error::TxNotUnsigned,
				ChainIdTooLarge => Error::TxChainIdTooLarge,
				InvalidRecoveryId => Error::InvalidRecoveryId,
				GasBelowIntrinsic => Error::TxGasBelowIntrinsic,
				TipAboveFeeCap => Error::TxTipAboveFeeCap,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let checked = Self::expire_requests(now);
			let pruned = Self::prune_requests(now);
			T::WeightInfo::on_initialize(checked, pruned)
		}

		fn integrity_test() {
			assert!(!T::DefaultTtl::get().is_zero(), "DefaultTtl must be at least one block");
			assert!(T::DefaultTtl::get() <= T::MaxTtl::get(), "DefaultTtl must not exceed MaxTtl");
			assert!(T::MaxBatch::get() > 0, "MaxBatch must be at least 1");
			assert!(
				T::MaxBatch::get() <= T::MaxExpiriesPerBlock::get(),
				"a full batch must fit in one expiry bucket"
			);
			assert!(
				T::MaxBatch::get() <= T::MaxPendingRequests::get(),
				"a full batch must fit in the pending set"
			);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Create a key owned by the caller for `path`, derived from the root key.
		///
		/// Holds [`Config::KeyDeposit`]. If the caller already has a key for `path`, nothing is
		/// created and [`Event::KeyExists`] names it.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::request_key())]
		pub fn request_key(origin: OriginFor<T>, path: PathOf<T>) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_request_key(owner, path).map(|_| ())
		}

		/// Request signatures of `key_id` over each payload (one request per payload).
		///
		/// Only the key's owner may call this. Each request holds [`Config::RequestDeposit`] and
		/// expires after `ttl` blocks (default [`Config::DefaultTtl`]). With an
		/// `idempotency_key` used before for the same key and payloads, nothing new is created
		/// and [`Event::IdempotentReplay`] names the existing requests.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::request_signature(
			payloads.len() as u32,
			payloads.iter().map(|p| match p {
				Payload::Data { data, .. } => data.len() as u32,
				Payload::Hash(_) => 0,
			}).max().unwrap_or(0),
		))]
		pub fn request_signature(
			origin: OriginFor<T>,
			key_id: KeyId,
			payloads: PayloadsOf<T>,
			ttl: Option<BlockNumberFor<T>>,
			idempotency_key: Option<[u8; 32]>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_request_signature(owner, key_id, payloads, ttl, idempotency_key, false)
				.map(|_| ())
		}

		/// Request the signature of an unsigned EVM transaction for `chain_id` with `key_id`.
		///
		/// `unsigned_tx` is a legacy EIP-155 transaction
		/// `rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])` or an EIP-1559 one
		/// `0x02 ‖ rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data,
		/// accessList])`; its chain id must be `chain_id`. The message signed is
		/// `keccak256(unsigned_tx)`. Once signed, the signed raw transaction is stored for
		/// relayers ([`Event::TransactionSigned`]). Deposit, TTL and idempotency as in
		/// [`Pallet::request_signature`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::request_broadcast(unsigned_tx.len() as u32))]
		pub fn request_broadcast(
			origin: OriginFor<T>,
			key_id: KeyId,
			chain_id: u64,
			unsigned_tx: UnsignedTxOf<T>,
			ttl: Option<BlockNumberFor<T>>,
			idempotency_key: Option<[u8; 32]>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_request_broadcast(
				owner,
				key_id,
				chain_id,
				unsigned_tx,
				ttl,
				idempotency_key,
				false,
			)
			.map(|_| ())
		}

		/// Report that the signed transaction of a broadcast request was included on its
		/// destination chain, in block `destination_block`.
		///
		/// Anyone (the relayer) may call this; `tx_hash` must be `keccak256` of the signed raw
		/// transaction. Reporting the same hash again (a second relayer) is a no-op: the first
		/// report stands and no event is emitted.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::report_broadcast())]
		pub fn report_broadcast(
			origin: OriginFor<T>,
			request_id: RequestId,
			tx_hash: [u8; 32],
			destination_block: u64,
		) -> DispatchResult {
			let relayer = ensure_signed(origin)?;
			let mut request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(
				matches!(request.kind, RequestKind::EvmTransaction { .. }),
				Error::<T>::NotATransaction
			);
			match request.status {
				RequestStatus::Signed { signature } => {
					let (_, signed_hash) = EvmTransactions::<T>::get(request_id)
						.and_then(|tx| tx.signed)
						.ok_or(Error::<T>::NotSigned)?;
					ensure!(signed_hash == tx_hash, Error::<T>::TxHashMismatch);
					request.status =
						RequestStatus::Broadcast { signature, tx_hash, destination_block };
					Requests::<T>::insert(request_id, request);
					Self::deposit_event(Event::Broadcast {
						request_id,
						tx_hash,
						destination_block,
						relayer,
					});
					Ok(())
				}
				RequestStatus::Broadcast { tx_hash: reported, .. } => {
					ensure!(reported == tx_hash, Error::<T>::TxHashMismatch);
					Ok(())
				}
				_ => Err(Error::<T>::NotSigned.into()),
			}
		}

		/// The committee's signature for a pending request (`r ‖ s ‖ v`, `v ∈ {0, 1}`, low `s`).
		///
		/// An authorized transaction: valid only if the request is pending and the signature
		/// recovers the request's derived key. Burns the request's deposit (the fee).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_signature()
			.saturating_add(Pallet::<T>::callback_weight(*request_id)))]
		#[pallet::authorize(Pallet::<T>::authorize_submit_signature)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_signature())]
		pub fn submit_signature(
			origin: OriginFor<T>,
			request_id: RequestId,
			signature: Signature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let (mut request, _) = Self::check_signature_result(request_id, &signature)?;

			if let RequestKind::EvmTransaction { chain_id, .. } = request.kind {
				let mut tx =
					EvmTransactions::<T>::get(request_id).ok_or(Error::<T>::NotATransaction)?;
				let signed =
					evm_tx::assemble_signed(&tx.unsigned, &signature).map_err(Error::<T>::from)?;
				let tx_hash = sp_io::hashing::keccak_256(&signed);
				let signed =
					SignedTxOf::<T>::try_from(signed).map_err(|_| Error::<T>::TxInvalidField)?;
				tx.signed = Some((signed, tx_hash));
				EvmTransactions::<T>::insert(request_id, tx);
				Self::deposit_event(Event::TransactionSigned { request_id, chain_id, tx_hash });
			}

			if let Err(e) = T::Currency::burn_held(
				&HoldReason::RequestDeposit.into(),
				&request.owner,
				request.deposit,
				Precision::BestEffort,
				Fortitude::Force,
			) {
				log::error!(target: LOG_TARGET, "burning deposit of request {request_id}: {e:?}");
			}
			request.status = RequestStatus::Signed { signature };
			PendingRequests::<T>::remove(request_id);
			FailureVotes::<T>::remove(request_id);
			Self::deposit_event(Event::Signed { request_id, signature });
			// Stored first: the callback may read the request.
			Requests::<T>::insert(request_id, &request);
			let callback_weight = Self::call_back(request_id, &request.owner, &request.status);
			Ok(Some(T::WeightInfo::submit_signature().saturating_add(callback_weight)).into())
		}

		/// A committee member's vote that a pending request cannot be signed.
		///
		/// An authorized transaction: valid only if signed by the member's `qmpc` key over
		/// [`FailureVote::signing_payload`], for the current committee, once per member and
		/// request, while the request is pending. When `threshold` members voted the same
		/// reason the request fails and its deposit is released.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::report_failure()
			.saturating_add(Pallet::<T>::callback_weight(vote.request_id)))]
		#[pallet::authorize(Pallet::<T>::authorize_report_failure)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_report_failure())]
		pub fn report_failure(
			origin: OriginFor<T>,
			vote: FailureVote,
			signature: crypto::AuthoritySignature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let (mut request, mut record) = Self::check_failure_vote(&vote, &signature)?;
			let FailureVote { request_id, authority_index, reason, .. } = vote;

			record
				.votes
				.try_push((authority_index, reason))
				.map_err(|_| Error::<T>::InvalidAuthorityIndex)?;
			let agreeing = record.votes.iter().filter(|(_, r)| *r == reason).count() as u32;
			Self::deposit_event(Event::FailureReported { request_id, authority_index, reason });
			if agreeing >= T::Committee::threshold() {
				Self::release_deposit(request_id, &request);
				request.status = RequestStatus::Failed { reason };
				PendingRequests::<T>::remove(request_id);
				FailureVotes::<T>::remove(request_id);
				Self::deposit_event(Event::Failed { request_id, reason });
				Requests::<T>::insert(request_id, &request);
				let callback_weight = Self::call_back(request_id, &request.owner, &request.status);
				return Ok(
					Some(T::WeightInfo::report_failure().saturating_add(callback_weight)).into()
				);
			}
			FailureVotes::<T>::insert(request_id, record);
			Ok(Some(T::WeightInfo::report_failure()).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Pool validity of [`Pallet::submit_signature`].
		pub fn authorize_submit_signature(
			_source: TransactionSource,
			request_id: &RequestId,
			signature: &Signature,
		) -> TransactionValidityWithRefund {
			let (request, now) =
				Self::check_signature_result(*request_id, signature).map_err(Self::invalid)?;
			let validity = ValidTransaction::with_tag_prefix("QSignSignature")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/sig", *request_id))
				.longevity(Self::blocks_until(now, request.expires_at))
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}

		/// Pool validity of [`Pallet::report_failure`].
		pub fn authorize_report_failure(
			_source: TransactionSource,
			vote: &FailureVote,
			signature: &crypto::AuthoritySignature,
		) -> TransactionValidityWithRefund {
			let (request, _) = Self::check_failure_vote(vote, signature).map_err(Self::invalid)?;
			let now = frame_system::Pallet::<T>::block_number();
			let validity = ValidTransaction::with_tag_prefix("QSignFailure")
				.priority(T::UnsignedPriority::get())
				.and_provides(("qsign/fail", vote.request_id, vote.authority_index))
				.longevity(Self::blocks_until(now, request.expires_at))
				.propagate(true)
				.build()?;
			Ok((validity, Weight::zero()))
		}
	}
}

/// A request about to be created.
struct NewRequest<T: Config> {
	kind: RequestKind,
	message_hash: MessageHash,
	tx: Option<UnsignedTxOf<T>>,
}

impl<T: Config> Pallet<T> {
	/// Pending requests with an id greater than `after`, in id order, at most `limit` of them.
	pub fn pending_requests(
		after: Option<RequestId>,
		limit: u32,
	) -> Vec<PendingRequest<BlockNumberFor<T>>> {
		let mut ids: Vec<RequestId> = PendingRequests::<T>::iter_keys()
			.filter(|id| after.is_none_or(|after| *id > after))
			.collect();
		ids.sort_unstable();
		ids.into_iter()
			.filter_map(|request_id| {
				let request = Requests::<T>::get(request_id)?;
				let key = Keys::<T>::get(request.key_id)?;
				Some(PendingRequest {
					request_id,
					key_id: request.key_id,
					message_hash: request.message_hash,
					epsilon: key.epsilon,
					derived_public_key: key.public_key,
					created_at: request.created_at,
					expires_at: request.expires_at,
				})
			})
			.take(limit as usize)
			.collect()
	}

	/// Everything the chain knows about a request, until it is pruned.
	pub fn request_info(
		request_id: RequestId,
	) -> Option<RequestInfo<T::AccountId, BlockNumberFor<T>>> {
		let request = Requests::<T>::get(request_id)?;
		let tx = EvmTransactions::<T>::get(request_id);
		Some(RequestInfo {
			request_id,
			owner: request.owner,
			key_id: request.key_id,
			kind: request.kind,
			message_hash: request.message_hash,
			status: request.status,
			deposit: request.deposit.saturated_into(),
			created_at: request.created_at,
			expires_at: request.expires_at,
			unsigned_tx: tx.as_ref().map(|tx| tx.unsigned.to_vec()),
			signed_tx: tx.and_then(|tx| tx.signed).map(|(signed, _)| signed.into_inner()),
		})
	}

	/// A key.
	pub fn key_info(key_id: KeyId) -> Option<KeyInfo<T::AccountId, BlockNumberFor<T>>> {
		let key = Keys::<T>::get(key_id)?;
		Some(KeyInfo {
			key_id,
			owner: key.owner,
			path: key.path.into_inner(),
			epsilon: key.epsilon,
			public_key: key.public_key,
			created_at: key.created_at,
		})
	}

	/// [`Pallet::request_key`] for `owner` (also used by the contracts precompile); returns the
	/// key's id, the existing one if `owner` already has a key for `path`.
	pub fn do_request_key(owner: T::AccountId, path: PathOf<T>) -> Result<KeyId, DispatchError> {
		if let Some(key_id) = KeyIds::<T>::get(&owner, &path) {
			Self::deposit_event(Event::KeyExists { key_id, owner });
			return Ok(key_id);
		}
		let root = T::Committee::root_key().ok_or(Error::<T>::NoRootKey)?;
		let count = KeyCount::<T>::get(&owner);
		frame_support::ensure!(count < T::MaxKeysPerAccount::get(), Error::<T>::TooManyKeys);

		let epsilon = qsign_primitives::derivation::epsilon(&owner.encode(), &path);
		let public_key = qsign_primitives::derivation::derive_public_key(&root, &epsilon)
			.map_err(|_| Error::<T>::KeyDerivationFailed)?;

		let key_id = NextKeyId::<T>::get();
		let next_key_id = key_id.checked_add(1).ok_or(Error::<T>::IdOverflow)?;
		let deposit = T::KeyDeposit::get();
		Self::hold(HoldReason::KeyDeposit, &owner, deposit)?;

		NextKeyId::<T>::put(next_key_id);
		let record = KeyRecord::<T> {
			owner: owner.clone(),
			path: path.clone(),
			epsilon,
			public_key,
			deposit,
			created_at: frame_system::Pallet::<T>::block_number(),
		};
		Keys::<T>::insert(key_id, record);
		KeyIds::<T>::insert(&owner, &path, key_id);
		KeyCount::<T>::insert(&owner, count.saturating_add(1));
		Self::deposit_event(Event::KeyCreated { key_id, owner, path, public_key });
		Ok(key_id)
	}

	/// [`Pallet::request_signature`] for `owner`; with `callback`, [`Config::OnResult`] is called
	/// when each request ends. Returns the request ids (the existing ones on an idempotent
	/// replay).
	pub fn do_request_signature(
		owner: T::AccountId,
		key_id: KeyId,
		payloads: PayloadsOf<T>,
		ttl: Option<BlockNumberFor<T>>,
		idempotency_key: Option<[u8; 32]>,
		callback: bool,
	) -> Result<RequestIdsOf<T>, DispatchError> {
		Self::owned_key(&owner, key_id)?;
		frame_support::ensure!(!payloads.is_empty(), Error::<T>::EmptyBatch);

		let params_hash =
			sp_io::hashing::blake2_256(&(b"qsign/signature", key_id, &payloads).encode());
		let requests = payloads
			.iter()
			.map(|payload| NewRequest {
				kind: RequestKind::Signature,
				message_hash: payload.message_hash(),
				tx: None,
			})
			.collect();
		Self::create_requests(owner, key_id, requests, ttl, idempotency_key, params_hash, callback)
	}

	/// [`Pallet::request_broadcast`] for `owner`; `callback` as in
	/// [`Pallet::do_request_signature`]. Returns the request id.
	pub fn do_request_broadcast(
		owner: T::AccountId,
		key_id: KeyId,
		chain_id: u64,
		unsigned_tx: UnsignedTxOf<T>,
		ttl: Option<BlockNumberFor<T>>,
		idempotency_key: Option<[u8; 32]>,
		callback: bool,
	) -> Result<RequestId, DispatchError> {
		Self::owned_key(&owner, key_id)?;
		let tx = evm_tx::decode_unsigned(&unsigned_tx).map_err(Error::<T>::from)?;
		frame_support::ensure!(tx.chain_id == chain_id, Error::<T>::ChainIdMismatch);
		let params_hash = sp_io::hashing::blake2_256(
			&(b"qsign/broadcast", key_id, chain_id, &unsigned_tx).encode(),
		);
		let request = NewRequest {
			kind: RequestKind::EvmTransaction { chain_id, tx_type: tx.tx_type },
			message_hash: sp_io::hashing::keccak_256(&unsigned_tx),
			tx: Some(unsigned_tx),
		};
		let ids = Self::create_requests(
			owner,
			key_id,
			alloc::vec![request],
			ttl,
			idempotency_key,
			params_hash,
			callback,
		)?;
		ids.first().copied().ok_or_else(|| Error::<T>::EmptyBatch.into())
	}

	/// The weight reserved for the callback of `request_id`: [`OnRequestResult::max_weight`]
	/// plus a read if the request was made with a callback, a read otherwise.
	pub fn callback_weight(request_id: RequestId) -> Weight {
		let read = T::DbWeight::get().reads(1);
		if Callbacks::<T>::contains_key(request_id) {
			read.saturating_add(T::OnResult::max_weight())
		} else {
			read
		}
	}

	/// Runs [`Config::OnResult`] if the request was made with a callback; returns its weight.
	fn call_back(request_id: RequestId, owner: &T::AccountId, status: &RequestStatus) -> Weight {
		if Callbacks::<T>::take(request_id).is_none() {
			return Weight::zero();
		}
		let used = T::OnResult::on_result(request_id, owner, status);
		Self::deposit_event(Event::CallbackDone { request_id });
		used.min(T::OnResult::max_weight())
	}

	/// The key `key_id`, if `owner` owns it.
	fn owned_key(owner: &T::AccountId, key_id: KeyId) -> Result<KeyRecord<T>, Error<T>> {
		let key = Keys::<T>::get(key_id).ok_or(Error::<T>::UnknownKey)?;
		if key.owner != *owner {
			return Err(Error::<T>::NotKeyOwner);
		}
		Ok(key)
	}

	/// Holds `amount` (if not zero) from `who`.
	fn hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> Result<(), Error<T>> {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&reason.into(), who, amount).map_err(|_| Error::<T>::InsufficientBalance)
	}

	/// Releases the deposit of a request that will not be signed.
	fn release_deposit(request_id: RequestId, request: &RequestRecord<T>) {
		if request.deposit.is_zero() {
			return;
		}
		if let Err(e) = T::Currency::release(
			&HoldReason::RequestDeposit.into(),
			&request.owner,
			request.deposit,
			Precision::BestEffort,
		) {
			log::error!(target: LOG_TARGET, "releasing deposit of request {request_id}: {e:?}");
		}
	}

	/// Validates the TTL, answers idempotent replays, checks capacity, takes the deposit and
	/// creates one request per item.
	fn create_requests(
		owner: T::AccountId,
		key_id: KeyId,
		requests: Vec<NewRequest<T>>,
		ttl: Option<BlockNumberFor<T>>,
		idempotency_key: Option<[u8; 32]>,
		params_hash: [u8; 32],
		callback: bool,
	) -> Result<RequestIdsOf<T>, DispatchError> {
		let ttl = ttl.unwrap_or_else(T::DefaultTtl::get);
		frame_support::ensure!(!ttl.is_zero(), Error::<T>::ZeroTtl);
		frame_support::ensure!(ttl <= T::MaxTtl::get(), Error::<T>::TtlTooLong);

		if let Some(idempotency_key) = idempotency_key {
			if let Some(record) = IdempotencyKeys::<T>::get(&owner, idempotency_key) {
				frame_support::ensure!(
					record.params_hash == params_hash,
					Error::<T>::IdempotencyKeyReused
				);
				Self::deposit_event(Event::IdempotentReplay {
					owner,
					idempotency_key,
					request_ids: record.request_ids.clone(),
				});
				return Ok(record.request_ids);
			}
		}

		let count = requests.len() as u32;
		frame_support::ensure!(
			PendingRequests::<T>::count().saturating_add(count) <= T::MaxPendingRequests::get(),
			Error::<T>::TooManyPendingRequests
		);
		let now = frame_system::Pallet::<T>::block_number();
		let expires_at = now.saturating_add(ttl);
		let mut bucket = ExpiryQueue::<T>::get(expires_at);
		frame_support::ensure!(
			(bucket.len() as u32).saturating_add(count) <= T::MaxExpiriesPerBlock::get(),
			Error::<T>::ExpiryQueueFull
		);

		let first_id = NextRequestId::<T>::get();
		let next_id = first_id.checked_add(u64::from(count)).ok_or(Error::<T>::IdOverflow)?;

		let deposit = T::RequestDeposit::get();
		Self::hold(
			HoldReason::RequestDeposit,
			&owner,
			deposit.saturating_mul(BalanceOf::<T>::from(count)),
		)?;
		NextRequestId::<T>::put(next_id);

		let mut request_ids = RequestIdsOf::<T>::new();
		for (request_id, new) in (first_id..next_id).zip(requests) {
			bucket.try_push(request_id).map_err(|_| Error::<T>::ExpiryQueueFull)?;
			request_ids.try_push(request_id).map_err(|_| Error::<T>::TooManyPendingRequests)?;
			Requests::<T>::insert(
				request_id,
				RequestRecord::<T> {
					owner: owner.clone(),
					key_id,
					kind: new.kind,
					message_hash: new.message_hash,
					status: RequestStatus::Pending,
					deposit,
					created_at: now,
					expires_at,
					idempotency_key,
				},
			);
			PendingRequests::<T>::insert(request_id, ());
			if callback {
				Callbacks::<T>::insert(request_id, ());
			}
			if let Some(unsigned) = new.tx {
				EvmTransactions::<T>::insert(
					request_id,
					EvmTxRecord::<T> { unsigned, signed: None },
				);
			}
			Self::deposit_event(Event::RequestCreated {
				request_id,
				owner: owner.clone(),
				key_id,
				kind: new.kind,
				message_hash: new.message_hash,
				expires_at,
			});
		}
		ExpiryQueue::<T>::insert(expires_at, bucket);
		if let Some(idempotency_key) = idempotency_key {
			IdempotencyKeys::<T>::insert(
				&owner,
				idempotency_key,
				IdempotencyRecord::<T> { request_ids: request_ids.clone(), params_hash },
			);
		}
		Ok(request_ids)
	}

	/// Checks that `signature` answers the pending request `request_id`; returns the request and
	/// the current block number.
	fn check_signature_result(
		request_id: RequestId,
		signature: &Signature,
	) -> Result<(RequestRecord<T>, BlockNumberFor<T>), Error<T>> {
		let request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
		let now = frame_system::Pallet::<T>::block_number();
		if !request.status.is_pending() || now >= request.expires_at {
			return Err(Error::<T>::RequestNotPending);
		}
		let key = Keys::<T>::get(request.key_id).ok_or(Error::<T>::UnknownKey)?;
		check_signature::<T>(&request.message_hash, signature, &key.public_key)?;
		Ok((request, now))
	}

	/// The committee member `authority_index` of `committee_id`, if that is the current
	/// committee and `signature` is the member's over `payload`.
	fn check_committee_signature(
		committee_id: CommitteeId,
		authority_index: u32,
		payload: &[u8],
		signature: &crypto::AuthoritySignature,
	) -> Result<(), Error<T>> {
		if committee_id != T::Committee::committee_id() {
			return Err(Error::<T>::WrongCommittee);
		}
		let authority =
			T::Committee::member(authority_index).ok_or(Error::<T>::InvalidAuthorityIndex)?;
		if !authority.verify(&payload, signature) {
			return Err(Error::<T>::InvalidCommitteeSignature);
		}
		Ok(())
	}

	/// Checks a failure vote (see [`Pallet::report_failure`]); returns the request and its
	/// current votes.
	fn check_failure_vote(
		vote: &FailureVote,
		signature: &crypto::AuthoritySignature,
	) -> Result<(RequestRecord<T>, FailureVotesRecord<T>), Error<T>> {
		Self::check_committee_signature(
			vote.committee_id,
			vote.authority_index,
			&vote.signing_payload(),
			signature,
		)?;
		let request = Requests::<T>::get(vote.request_id).ok_or(Error::<T>::UnknownRequest)?;
		let now = frame_system::Pallet::<T>::block_number();
		if !request.status.is_pending() || now >= request.expires_at {
			return Err(Error::<T>::RequestNotPending);
		}
		let record = FailureVotes::<T>::get(vote.request_id)
			.filter(|record| record.committee_id == vote.committee_id)
			.unwrap_or(FailureVotesRecord::<T> {
				committee_id: vote.committee_id,
				votes: BoundedVec::new(),
			});
		if record.votes.iter().any(|(index, _)| *index == vote.authority_index) {
			return Err(Error::<T>::AlreadyVoted);
		}
		Ok((request, record))
	}

	/// Blocks from `now` until `until` (at least 1), as a transaction longevity.
	fn blocks_until(now: BlockNumberFor<T>, until: BlockNumberFor<T>) -> u64 {
		until.saturating_sub(now).saturated_into::<u64>().max(1)
	}

	/// Maps a pallet error to the pool's view of it.
	fn invalid(error: Error<T>) -> InvalidTransaction {
		match error {
			// The result came too late or twice: nothing wrong with the sender.
			Error::<T>::UnknownRequest
			| Error::<T>::RequestNotPending
			| Error::<T>::AlreadyVoted
			| Error::<T>::WrongCommittee => InvalidTransaction::Stale,
			Error::<T>::InvalidAuthorityIndex => InvalidTransaction::BadSigner,
			Error::<T>::InvalidRecoveryId
			| Error::<T>::HighS
			| Error::<T>::SignatureMismatch
			| Error::<T>::InvalidCommitteeSignature => InvalidTransaction::BadProof,
			_ => InvalidTransaction::Call,
		}
	}

	/// Expires the pending requests of the bucket of `now`; returns how many requests it held.
	fn expire_requests(now: BlockNumberFor<T>) -> u32 {
		let bucket = ExpiryQueue::<T>::get(now);
		for request_id in bucket.iter().copied() {
			let Some(mut request) = Requests::<T>::get(request_id) else { continue };
			if !request.status.is_pending() {
				continue;
			}
			Self::release_deposit(request_id, &request);
			request.status = RequestStatus::Expired;
			Requests::<T>::insert(request_id, request);
			PendingRequests::<T>::remove(request_id);
			// Expiry happens in `on_initialize`, where contract calls cannot be afforded:
			// the owner reads the status instead.
			Callbacks::<T>::remove(request_id);
			FailureVotes::<T>::remove(request_id);
			Self::deposit_event(Event::Expired { request_id });
		}
		bucket.len() as u32
	}

	/// Prunes the requests that expired [`Config::ResultRetention`] blocks ago; returns how
	/// many.
	fn prune_requests(now: BlockNumberFor<T>) -> u32 {
		let retention = T::ResultRetention::get();
		if now < retention {
			return 0;
		}
		let bucket = ExpiryQueue::<T>::take(now.saturating_sub(retention));
		for request_id in bucket.iter().copied() {
			if let Some(request) = Requests::<T>::take(request_id) {
				if let Some(idempotency_key) = request.idempotency_key {
					IdempotencyKeys::<T>::remove(&request.owner, idempotency_key);
				}
				// Defensive: a request is never pending past its expiry block.
				if request.status.is_pending() {
					Self::release_deposit(request_id, &request);
					PendingRequests::<T>::remove(request_id);
					FailureVotes::<T>::remove(request_id);
					Callbacks::<T>::remove(request_id);
				}
			}
			EvmTransactions::<T>::remove(request_id);
		}
		bucket.len() as u32
	}
}
