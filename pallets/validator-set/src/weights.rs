//! Weights of `pallet_validator_set`: hand-written, conservative upper bounds (not measured).
//!
//! Both calls read and write [`crate::Validators`] (a bounded list of at most
//! `MaxValidators` accounts, scanned once), and `add_validator` also
//! reads the account's session keys once (pallet-session's `NextKeys`). The compute part is
//! set to 50 µs, several times what such a call costs on reference hardware; the proof size
//! covers the whole bounded list plus one session-keys entry. The benchmarks in
//! `benchmarking.rs` (feature `runtime-benchmarks`) measure the worst case (a full set) if
//! these need replacing with measured values.

use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::MaxEncodedLen,
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
	BoundedVec,
};

/// Weight functions needed for `pallet_validator_set`.
pub trait WeightInfo {
	/// [`crate::Pallet::add_validator`].
	fn add_validator() -> Weight;
	/// [`crate::Pallet::remove_validator`].
	fn remove_validator() -> Weight;
	/// [`crate::Pallet::force_rotation`].
	fn force_rotation() -> Weight;
}

/// Compute time of either call, in picoseconds (50 µs).
const REF_TIME: u64 = 50_000_000;
/// Proof size of one session-keys entry (`Session::NextKeys`, key and value), generous.
const SESSION_KEYS_PROOF: u64 = 1_024;
/// Trie-proof overhead per storage item read, generous.
const ITEM_PROOF_OVERHEAD: u64 = 1_024;

/// Proof size of reading the full validator list of runtime `T`.
fn validators_proof<T: crate::Config>() -> u64 {
	(BoundedVec::<T::AccountId, T::MaxValidators>::max_encoded_len() as u64)
		.saturating_add(ITEM_PROOF_OVERHEAD)
}

/// Weights for `pallet_validator_set` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: crate::Config> WeightInfo for SubstrateWeight<T> {
	fn add_validator() -> Weight {
		// Reads: Validators, Session::NextKeys. Writes: Validators.
		Weight::from_parts(
			REF_TIME,
			validators_proof::<T>()
				.saturating_add(SESSION_KEYS_PROOF)
				.saturating_add(ITEM_PROOF_OVERHEAD),
		)
		.saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}

	fn remove_validator() -> Weight {
		// Reads: Validators. Writes: Validators.
		Weight::from_parts(REF_TIME, validators_proof::<T>())
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}

	fn force_rotation() -> Weight {
		// Writes: RotationsDue.
		Weight::from_parts(REF_TIME, 0).saturating_add(T::DbWeight::get().writes(1))
	}
}

/// For tests: RocksDB weights and a proof size for 100 validators of 32-byte accounts.
impl WeightInfo for () {
	fn add_validator() -> Weight {
		Weight::from_parts(REF_TIME, 100 * 32 + 4 + SESSION_KEYS_PROOF + 2 * ITEM_PROOF_OVERHEAD)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
	}

	fn remove_validator() -> Weight {
		Weight::from_parts(REF_TIME, 100 * 32 + 4 + ITEM_PROOF_OVERHEAD)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}

	fn force_rotation() -> Weight {
		Weight::from_parts(REF_TIME, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
}
