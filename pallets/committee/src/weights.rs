//! Weights for `pallet_committee`: hand-written upper bounds, not yet measured in Wasm.
//!
//! The handover calls replaced the root key attestation (`submit_root_key`) whose generated
//! weight was 85 µs with 4 reads and 2 writes (pallet-qsign's weights of 2026-12-02; one sr25519
//! verification dominates it). The bounds below start from that figure: an attestation is the
//! same work (one sr25519 verification, the pending handover read and written); a proof is one
//! secp256k1 recovery (about the cost of an sr25519 verification) plus keccak-256 of the member
//! list and the switch (4 writes); a retry recomputes the dealers (no cryptography). Every
//! figure is doubled for safety. `benchmarking.rs` holds the benchmarks (run as tests in the
//! test command); `scripts/bench-weights.sh` can regenerate this file from them. The storage
//! weights are `T::DbWeight` of the runtime; `()` uses `RocksDbWeight`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_committee`.
pub trait WeightInfo {
	fn attest_handover() -> Weight;
	fn authorize_attest_handover() -> Weight;
	fn prove_handover() -> Weight;
	fn authorize_prove_handover() -> Weight;
	fn repair() -> Weight;
	fn retry_handover() -> Weight;
	fn report_ban() -> Weight;
	fn authorize_report_ban() -> Weight;
	fn ready_for_genesis() -> Weight;
	fn authorize_ready_for_genesis() -> Weight;
	fn report_equivocation(bytes: u32) -> Weight;
	fn report_blame() -> Weight;
	fn authorize_report_blame() -> Weight;
	fn authorize_report_equivocation(bytes: u32) -> Weight;
	fn heartbeat() -> Weight;
	fn authorize_heartbeat() -> Weight;
	fn report_invalid_dealing(bytes: u32) -> Weight;
	fn authorize_report_invalid_dealing(bytes: u32) -> Weight;
}

/// `(picoseconds, proof bytes, reads, writes)` of each call.
const ATTEST: (u64, u64, u64, u64) = (180_000_000, 4_000, 3, 1);
const AUTHORIZE_ATTEST: (u64, u64, u64, u64) = (180_000_000, 4_000, 3, 0);
// A proof may open the handover to the whole validator set right away (after a genesis key
// generation run by fewer members): two more reads and writes.
const PROVE: (u64, u64, u64, u64) = (250_000_000, 4_000, 6, 6);
const AUTHORIZE_PROVE: (u64, u64, u64, u64) = (250_000_000, 4_000, 3, 0);
const REPAIR: (u64, u64, u64, u64) = (60_000_000, 4_000, 5, 2);
// A retry of the genesis key generation also reads the ready list and the session members.
const RETRY: (u64, u64, u64, u64) = (60_000_000, 4_000, 6, 2);
// A ban report: one sr25519 verification (as an attestation), the committee and the
// reporter's list read, the list written.
const BAN: (u64, u64, u64, u64) = (180_000_000, 4_000, 5, 1);
const AUTHORIZE_BAN: (u64, u64, u64, u64) = (180_000_000, 4_000, 5, 0);
// A genesis readiness statement: one sr25519 verification, the root key, the pending handover
// and the ready list read, the list written.
const READY: (u64, u64, u64, u64) = (180_000_000, 4_000, 4, 1);
const AUTHORIZE_READY: (u64, u64, u64, u64) = (180_000_000, 4_000, 4, 0);

// A blame report costs what a ban report does (one sr25519 verification, the reporter's list
// read and written): `BAN` and `AUTHORIZE_BAN` below.
// Equivocation evidence: two sr25519 verifications and BLAKE2-256 of both messages (about
// 1.5 ns per byte, doubled), the committee, the root key and the offender list read, the list
// written.
const EQUIVOCATION: (u64, u64, u64, u64) = (360_000_000, 4_000, 4, 1);
const AUTHORIZE_EQUIVOCATION: (u64, u64, u64, u64) = (360_000_000, 4_000, 4, 0);
const PICOSECONDS_PER_EVIDENCE_BYTE: u64 = 3_000;
// A heartbeat: one sr25519 verification, the committee id, root key, members and heartbeat list
// read, the list written.
const HEARTBEAT: (u64, u64, u64, u64) = (180_000_000, 4_000, 4, 1);
const AUTHORIZE_HEARTBEAT: (u64, u64, u64, u64) = (180_000_000, 4_000, 4, 0);

// Dealing evidence: two sr25519 verifications and BLAKE2-256 of both messages (as for an
// equivocation), plus the Feldman check: decoding and interpolating in the exponent up to
// `threshold_of(MaxAuthorities)` points (51 for the runtime's 100), about 51 scalar
// multiplications (what dominates) and 2,600 scalar products with one inversion: 4.7 ms natively
// for the worst case, a receiver past the points (release build, this machine, 2026-12-04).
// The bound is 150 ms, for a Wasm execution up to 30× slower. Reads: the handover,
// root key, committee, session members and offender lists; writes: both offender lists; then
// the retry of the attempt (`RETRY`) on top.
const INVALID_DEALING: (u64, u64, u64, u64) =
	(INVALID_DEALING_PICOSECONDS + RETRY.0, 8_000, 6 + RETRY.2, 2 + RETRY.3);
const AUTHORIZE_INVALID_DEALING: (u64, u64, u64, u64) = (INVALID_DEALING_PICOSECONDS, 8_000, 6, 0);
const INVALID_DEALING_PICOSECONDS: u64 = 150_000_000_000;

fn with_bytes((time, proof, reads, writes): (u64, u64, u64, u64), bytes: u32) -> (u64, u64, u64, u64) {
	(time.saturating_add(PICOSECONDS_PER_EVIDENCE_BYTE.saturating_mul(u64::from(bytes))), proof, reads, writes)
}

fn weight<W: Get<frame_support::weights::RuntimeDbWeight>>(
	(time, proof, reads, writes): (u64, u64, u64, u64),
) -> Weight {
	Weight::from_parts(time, proof)
		.saturating_add(W::get().reads(reads))
		.saturating_add(W::get().writes(writes))
}

/// Weights for `pallet_committee` using the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn attest_handover() -> Weight { weight::<T::DbWeight>(ATTEST) }
	fn authorize_attest_handover() -> Weight { weight::<T::DbWeight>(AUTHORIZE_ATTEST) }
	fn prove_handover() -> Weight { weight::<T::DbWeight>(PROVE) }
	fn authorize_prove_handover() -> Weight { weight::<T::DbWeight>(AUTHORIZE_PROVE) }
	fn repair() -> Weight { weight::<T::DbWeight>(REPAIR) }
	fn retry_handover() -> Weight { weight::<T::DbWeight>(RETRY) }
	fn report_ban() -> Weight { weight::<T::DbWeight>(BAN) }
	fn authorize_report_ban() -> Weight { weight::<T::DbWeight>(AUTHORIZE_BAN) }
	fn ready_for_genesis() -> Weight { weight::<T::DbWeight>(READY) }
	fn authorize_ready_for_genesis() -> Weight { weight::<T::DbWeight>(AUTHORIZE_READY) }
	fn report_equivocation(bytes: u32) -> Weight { weight::<T::DbWeight>(with_bytes(EQUIVOCATION, bytes)) }
	fn report_blame() -> Weight { weight::<T::DbWeight>(BAN) }
	fn authorize_report_blame() -> Weight { weight::<T::DbWeight>(AUTHORIZE_BAN) }
	fn authorize_report_equivocation(bytes: u32) -> Weight { weight::<T::DbWeight>(with_bytes(AUTHORIZE_EQUIVOCATION, bytes)) }
	fn heartbeat() -> Weight { weight::<T::DbWeight>(HEARTBEAT) }
	fn authorize_heartbeat() -> Weight { weight::<T::DbWeight>(AUTHORIZE_HEARTBEAT) }
	fn report_invalid_dealing(bytes: u32) -> Weight { weight::<T::DbWeight>(with_bytes(INVALID_DEALING, bytes)) }
	fn authorize_report_invalid_dealing(bytes: u32) -> Weight { weight::<T::DbWeight>(with_bytes(AUTHORIZE_INVALID_DEALING, bytes)) }
}

// For tests.
impl WeightInfo for () {
	fn attest_handover() -> Weight { weight::<RocksDbWeight>(ATTEST) }
	fn authorize_attest_handover() -> Weight { weight::<RocksDbWeight>(AUTHORIZE_ATTEST) }
	fn prove_handover() -> Weight { weight::<RocksDbWeight>(PROVE) }
	fn authorize_prove_handover() -> Weight { weight::<RocksDbWeight>(AUTHORIZE_PROVE) }
	fn repair() -> Weight { weight::<RocksDbWeight>(REPAIR) }
	fn retry_handover() -> Weight { weight::<RocksDbWeight>(RETRY) }
	fn report_ban() -> Weight { weight::<RocksDbWeight>(BAN) }
	fn authorize_report_ban() -> Weight { weight::<RocksDbWeight>(AUTHORIZE_BAN) }
	fn ready_for_genesis() -> Weight { weight::<RocksDbWeight>(READY) }
	fn authorize_ready_for_genesis() -> Weight { weight::<RocksDbWeight>(AUTHORIZE_READY) }
	fn report_equivocation(bytes: u32) -> Weight { weight::<RocksDbWeight>(with_bytes(EQUIVOCATION, bytes)) }
	fn report_blame() -> Weight { weight::<RocksDbWeight>(BAN) }
	fn authorize_report_blame() -> Weight { weight::<RocksDbWeight>(AUTHORIZE_BAN) }
	fn authorize_report_equivocation(bytes: u32) -> Weight { weight::<RocksDbWeight>(with_bytes(AUTHORIZE_EQUIVOCATION, bytes)) }
	fn heartbeat() -> Weight { weight::<RocksDbWeight>(HEARTBEAT) }
	fn authorize_heartbeat() -> Weight { weight::<RocksDbWeight>(AUTHORIZE_HEARTBEAT) }
	fn report_invalid_dealing(bytes: u32) -> Weight { weight::<RocksDbWeight>(with_bytes(INVALID_DEALING, bytes)) }
	fn authorize_report_invalid_dealing(bytes: u32) -> Weight { weight::<RocksDbWeight>(with_bytes(AUTHORIZE_INVALID_DEALING, bytes)) }
}
