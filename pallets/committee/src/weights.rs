//! Weights for `pallet_committee`, copied by hand from `pallet_qsign`'s generated weights.
//!
//! `submit_root_key` and `authorize_submit_root_key` were pallet-qsign calls when
//! `pallets/qsign/src/weights.rs` was generated (SUBSTRATE BENCHMARK CLI VERSION 64.0.0,
//! DATE: 2026-12-02, STEPS: `20`, REPEAT: `10`, HOSTNAME: `vm`, CPU: `AMD EPYC`,
//! WASM-EXECUTION: `Compiled`, CHAIN: `None`, DB CACHE: `1024`; the command is below). The
//! calls moved to this pallet unchanged (the same storage reads and writes, now under the
//! `Committee` prefix), so their numbers were copied as they are on 2026-12-03; only the
//! storage names in the comments were changed from `QSign::` to `Committee::`. They have not
//! been measured as pallet-committee's yet: `scripts/bench-weights.sh` regenerates this file
//! from `benchmarking.rs`. The storage weights are `T::DbWeight` of the runtime; `()` uses
//! `RocksDbWeight` (what the pallet's mock runtime uses).

// Executed Command:
// /root/.cache/qsign/tools/bin/frame-omni-bencher
// v1
// benchmark
// pallet
// --runtime
// /root/.cache/qsign/bench-target/release/wbuild/qsign-runtime/qsign_runtime.compact.compressed.wasm
// --genesis-builder
// runtime
// --genesis-builder-preset
// development
// --pallet
// pallet_qsign
// --extrinsic
// *
// --steps
// 20
// --repeat
// 10
// --template
// scripts/frame-weight-template.hbs
// --output
// /work/main/pallets/qsign/src/weights.rs

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_committee`.
pub trait WeightInfo {
	fn submit_root_key() -> Weight;
	fn authorize_submit_root_key() -> Weight;
}

/// Weights for `pallet_committee` using the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Committee::RootKey` (r:1 w:1)
	/// Proof: `Committee::RootKey` (`max_values`: Some(1), `max_size`: Some(33), added: 528, mode: `MaxEncodedLen`)
	/// Storage: `Committee::CurrentCommitteeId` (r:1 w:0)
	/// Proof: `Committee::CurrentCommitteeId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Committee::Authorities` (r:1 w:0)
	/// Proof: `Committee::Authorities` (`max_values`: Some(1), `max_size`: Some(1025), added: 1520, mode: `MaxEncodedLen`)
	/// Storage: `Committee::RootKeyVotes` (r:1 w:1)
	/// Proof: `Committee::RootKeyVotes` (`max_values`: Some(1), `max_size`: Some(1185), added: 1680, mode: `MaxEncodedLen`)
	fn submit_root_key() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1703`
		//  Estimated: `2670`
		// Minimum execution time: 76_705_000 picoseconds.
		Weight::from_parts(85_228_000, 2670)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Committee::RootKey` (r:1 w:0)
	/// Proof: `Committee::RootKey` (`max_values`: Some(1), `max_size`: Some(33), added: 528, mode: `MaxEncodedLen`)
	/// Storage: `Committee::CurrentCommitteeId` (r:1 w:0)
	/// Proof: `Committee::CurrentCommitteeId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Committee::Authorities` (r:1 w:0)
	/// Proof: `Committee::Authorities` (`max_values`: Some(1), `max_size`: Some(1025), added: 1520, mode: `MaxEncodedLen`)
	/// Storage: `Committee::RootKeyVotes` (r:1 w:0)
	/// Proof: `Committee::RootKeyVotes` (`max_values`: Some(1), `max_size`: Some(1185), added: 1680, mode: `MaxEncodedLen`)
	fn authorize_submit_root_key() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1087`
		//  Estimated: `2670`
		// Minimum execution time: 72_388_000 picoseconds.
		Weight::from_parts(90_575_000, 2670)
			.saturating_add(T::DbWeight::get().reads(4_u64))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	/// Storage: `Committee::RootKey` (r:1 w:1)
	/// Proof: `Committee::RootKey` (`max_values`: Some(1), `max_size`: Some(33), added: 528, mode: `MaxEncodedLen`)
	/// Storage: `Committee::CurrentCommitteeId` (r:1 w:0)
	/// Proof: `Committee::CurrentCommitteeId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Committee::Authorities` (r:1 w:0)
	/// Proof: `Committee::Authorities` (`max_values`: Some(1), `max_size`: Some(1025), added: 1520, mode: `MaxEncodedLen`)
	/// Storage: `Committee::RootKeyVotes` (r:1 w:1)
	/// Proof: `Committee::RootKeyVotes` (`max_values`: Some(1), `max_size`: Some(1185), added: 1680, mode: `MaxEncodedLen`)
	fn submit_root_key() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1703`
		//  Estimated: `2670`
		// Minimum execution time: 76_705_000 picoseconds.
		Weight::from_parts(85_228_000, 2670)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Committee::RootKey` (r:1 w:0)
	/// Proof: `Committee::RootKey` (`max_values`: Some(1), `max_size`: Some(33), added: 528, mode: `MaxEncodedLen`)
	/// Storage: `Committee::CurrentCommitteeId` (r:1 w:0)
	/// Proof: `Committee::CurrentCommitteeId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Committee::Authorities` (r:1 w:0)
	/// Proof: `Committee::Authorities` (`max_values`: Some(1), `max_size`: Some(1025), added: 1520, mode: `MaxEncodedLen`)
	/// Storage: `Committee::RootKeyVotes` (r:1 w:0)
	/// Proof: `Committee::RootKeyVotes` (`max_values`: Some(1), `max_size`: Some(1185), added: 1680, mode: `MaxEncodedLen`)
	fn authorize_submit_root_key() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `1087`
		//  Estimated: `2670`
		// Minimum execution time: 72_388_000 picoseconds.
		Weight::from_parts(90_575_000, 2670)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
	}
}
