//! Types and functions shared by the QSign runtime, the node's MPC worker and the relayer.
//!
//! Everything here is `no_std` so the runtime can use it.
//!
//! * [`derivation`]: the child key of `(owner, path)` under a committee's root key
//!   (`child_pub = root_pub + ε·G`), specified exactly so that clients can compute it offline.
//! * [`address`]: Ethereum and Bitcoin P2WPKH addresses of a public key.
//! * [`committee`]: committee handover (attestations, proof of signing, dealers, participants).
//! * [`dealing`]: checking a dealer's fragment against its Feldman commitment (evidence).
//! * [`signature`]: verification of QSign's 65-byte `r ‖ s ‖ v` ECDSA signatures.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod address;
pub mod committee;
pub mod dealing;
pub mod derivation;
pub mod request;
pub mod signature;

/// The bytes a committee member signs for a statement: `context ‖ SCALE(statement)` (each
/// statement type has its own domain-separating `context`).
pub fn signing_payload<T: codec::Encode>(context: &[u8], statement: &T) -> alloc::vec::Vec<u8> {
	let mut out = alloc::vec::Vec::from(context);
	statement.encode_to(&mut out);
	out
}
