//! Weights for `pallet_qsign`.
//!
//! **NOT GENERATED.** These are hand-written, deliberately conservative estimates in the shape
//! of a benchmark-generated file. The QSign node has no benchmarking CLI yet, so the benchmarks
//! in `benchmarking.rs` could not be run to produce this file. Replace it with the output of
//! `frame-omni-bencher v1 benchmark pallet --pallet=pallet_qsign --extrinsic=*` (runtime built
//! with `--features runtime-benchmarks`) before any production use.
//!
//! Assumptions behind the numbers: secp256k1 point decompression and scalar multiplication run
//! in Wasm (k256) in `request_key` and `submit_root_key` (~1–2 ms budgeted); ECDSA recovery and
//! sr25519 verification run as host functions (~100 µs budgeted); `MaxTxLen` ≤ 4096 bytes for
//! the proof sizes of broadcast requests; every storage access is charged at `DbWeight`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_qsign`.
pub trait WeightInfo {
	fn request_key() -> Weight;
	fn request_signature(b: u32, l: u32, ) -> Weight;
	fn request_broadcast(l: u32, ) -> Weight;
	fn report_broadcast() -> Weight;
	fn submit_signature() -> Weight;
	fn authorize_submit_signature() -> Weight;
	fn submit_root_key() -> Weight;
	fn authorize_submit_root_key() -> Weight;
	fn report_failure() -> Weight;
	fn authorize_report_failure() -> Weight;
	fn on_initialize(e: u32, p: u32, ) -> Weight;
}

/// Weights for `pallet_qsign` (hand-written estimates, see the module documentation).
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `QSign::KeyIds` (r:1 w:1), `QSign::RootKey` (r:1 w:0), `QSign::KeyCount` (r:1 w:1),
	/// `QSign::NextKeyId` (r:1 w:1), `QSign::Keys` (r:0 w:1), `Balances::Holds` (r:1 w:1),
	/// `System::Account` (r:1 w:1)
	fn request_key() -> Weight {
		// Minimum execution time: not measured (estimate: 2_000_000_000 picoseconds).
		Weight::from_parts(2_000_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `QSign::Keys` (r:1 w:0), `QSign::IdempotencyKeys` (r:1 w:1),
	/// `QSign::CounterForPendingRequests` (r:1 w:1), `QSign::ExpiryQueue` (r:1 w:1),
	/// `QSign::NextRequestId` (r:1 w:1), `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1),
	/// `QSign::Requests` (r:0 w:b), `QSign::PendingRequests` (r:0 w:b)
	/// The range of component `b` is `[1, MaxBatch]`.
	/// The range of component `l` is `[0, MaxDataLen]`.
	fn request_signature(b: u32, l: u32, ) -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(200_000_000, 16_000)
			.saturating_add(Weight::from_parts(60_000_000, 0).saturating_mul(b.into()))
			.saturating_add(Weight::from_parts(20_000, 0).saturating_mul(l.into()).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(b.into())))
	}
	/// Storage: as `request_signature` with `b = 1`, plus `QSign::EvmTransactions` (r:0 w:1)
	/// The range of component `l` is `[0, MaxTxLen]`.
	fn request_broadcast(l: u32, ) -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(400_000_000, 16_000)
			.saturating_add(Weight::from_parts(50_000, 0).saturating_mul(l.into()))
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(9_u64))
	}
	/// Storage: `QSign::Requests` (r:1 w:1), `QSign::EvmTransactions` (r:1 w:0)
	fn report_broadcast() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(60_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `QSign::Requests` (r:1 w:1), `QSign::Keys` (r:1 w:0), `QSign::EvmTransactions`
	/// (r:1 w:1), `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1),
	/// `Balances::TotalIssuance` (r:1 w:1), `QSign::PendingRequests` (r:0 w:1),
	/// `QSign::CounterForPendingRequests` (r:1 w:1), `QSign::FailureVotes` (r:0 w:1)
	fn submit_signature() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(500_000_000, 20_000)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	/// Storage: `QSign::Requests` (r:1 w:0), `QSign::Keys` (r:1 w:0)
	fn authorize_submit_signature() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(150_000_000, 8_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
	}
	/// Storage: `QSign::RootKey` (r:1 w:1), `QSign::CurrentCommitteeId` (r:1 w:0),
	/// `QSign::Authorities` (r:1 w:0), `QSign::RootKeyVotes` (r:1 w:1)
	fn submit_root_key() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(1_500_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `QSign::RootKey` (r:1 w:0), `QSign::CurrentCommitteeId` (r:1 w:0),
	/// `QSign::Authorities` (r:1 w:0), `QSign::RootKeyVotes` (r:1 w:0)
	fn authorize_submit_root_key() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(1_200_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
	}
	/// Storage: `QSign::CurrentCommitteeId` (r:1 w:0), `QSign::Authorities` (r:1 w:0),
	/// `QSign::Requests` (r:1 w:1), `QSign::FailureVotes` (r:1 w:1), `Balances::Holds` (r:1 w:1),
	/// `System::Account` (r:1 w:1), `QSign::PendingRequests` (r:0 w:1),
	/// `QSign::CounterForPendingRequests` (r:1 w:1)
	fn report_failure() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(250_000_000, 16_000)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `QSign::CurrentCommitteeId` (r:1 w:0), `QSign::Authorities` (r:1 w:0),
	/// `QSign::Requests` (r:1 w:0), `QSign::FailureVotes` (r:1 w:0)
	fn authorize_report_failure() -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(150_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
	}
	/// Storage: `QSign::ExpiryQueue` (r:2 w:1), per expired request: `QSign::Requests` (r:1 w:1),
	/// `Balances::Holds` (r:1 w:1), `System::Account` (r:1 w:1), `QSign::PendingRequests`
	/// (r:0 w:1), `QSign::CounterForPendingRequests` (r:1 w:1), `QSign::FailureVotes` (r:0 w:1);
	/// per pruned request: `QSign::Requests` (r:1 w:1), `QSign::IdempotencyKeys` (r:0 w:1),
	/// `QSign::EvmTransactions` (r:0 w:1)
	/// The range of component `e` is `[0, MaxExpiriesPerBlock]`.
	/// The range of component `p` is `[0, MaxExpiriesPerBlock]`.
	fn on_initialize(e: u32, p: u32, ) -> Weight {
		// Minimum execution time: not measured (estimate).
		Weight::from_parts(10_000_000, 4_000)
			.saturating_add(Weight::from_parts(80_000_000, 8_000).saturating_mul(e.into()))
			.saturating_add(Weight::from_parts(40_000_000, 8_000).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(e.into())))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((6_u64).saturating_mul(e.into())))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(p.into())))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn request_key() -> Weight {
		Weight::from_parts(2_000_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn request_signature(b: u32, l: u32, ) -> Weight {
		Weight::from_parts(200_000_000, 16_000)
			.saturating_add(Weight::from_parts(60_000_000, 0).saturating_mul(b.into()))
			.saturating_add(Weight::from_parts(20_000, 0).saturating_mul(l.into()).saturating_mul(b.into()))
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(b.into())))
	}
	fn request_broadcast(l: u32, ) -> Weight {
		Weight::from_parts(400_000_000, 16_000)
			.saturating_add(Weight::from_parts(50_000, 0).saturating_mul(l.into()))
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(9_u64))
	}
	fn report_broadcast() -> Weight {
		Weight::from_parts(60_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn submit_signature() -> Weight {
		Weight::from_parts(500_000_000, 20_000)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn authorize_submit_signature() -> Weight {
		Weight::from_parts(150_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
	}
	fn submit_root_key() -> Weight {
		Weight::from_parts(1_500_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn authorize_submit_root_key() -> Weight {
		Weight::from_parts(1_200_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
	}
	fn report_failure() -> Weight {
		Weight::from_parts(250_000_000, 16_000)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn authorize_report_failure() -> Weight {
		Weight::from_parts(150_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
	}
	fn on_initialize(e: u32, p: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 4_000)
			.saturating_add(Weight::from_parts(80_000_000, 8_000).saturating_mul(e.into()))
			.saturating_add(Weight::from_parts(40_000_000, 8_000).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().reads((4_u64).saturating_mul(e.into())))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((6_u64).saturating_mul(e.into())))
			.saturating_add(RocksDbWeight::get().writes((3_u64).saturating_mul(p.into())))
	}
}
