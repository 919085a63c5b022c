//! # qsign-client
//!
//! A small blocking client for a running `qsign-node`, for tests, scripts and benchmarks:
//!
//! * [`rpc::RpcClient`]: HTTP JSON-RPC over [`std::net::TcpStream`] with connect and I/O
//!   timeouts and a bounded response size;
//! * [`tx`]: signed extrinsics built from the runtime crate's own types
//!   ([`qsign_runtime::UncheckedExtrinsic`], [`qsign_runtime::SignedPayload`]) with an sr25519
//!   [`Signer`] from a secret URI such as `//Alice`;
//! * [`Client`]: chain reads (blocks, storage, events, runtime API calls), submission, waiting
//!   for inclusion ([`Inclusion`]: the block, the events, the dispatch outcome), and typed
//!   pallet-qsign helpers: [`Client::request_key`], [`Client::request_signature`] (returns the
//!   request ids from the `RequestCreated` events), [`Client::request_status`],
//!   [`Client::key_info`], [`Client::committee`];
//! * local checks with `qsign_primitives`: [`verify_signature`], [`verify_request`],
//!   [`derive_key`], [`ethereum_address`], [`bitcoin_address`];
//! * [`stats`]: percentiles for benchmarks; [`stages`]: the validators' stage times and MPC
//!   traffic (`qsign_signingTimes`, `qsign_mpcTraffic`) as a table of where the time goes.
//!
//! ```no_run
//! use qsign_client::{Client, Payload, Signer};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), qsign_client::Error> {
//! let client = Client::new("http://127.0.0.1:9944")?;
//! let alice = Signer::from_suri("//Alice")?;
//! let timeout = Duration::from_secs(60);
//! client.wait_for_root_key(timeout)?;
//! let key = client.request_key(&alice, b"ethereum,1", timeout)?;
//! let payload = Payload::keccak256(b"hello".to_vec());
//! let ids = client.request_signature(&alice, key.key_id, &[payload.clone()], None, None, timeout)?;
//! let request = client.wait_for_request(ids[0], timeout)?;
//! qsign_client::verify_request(&request, &key.public_key, Some(&payload.message_hash()))?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod error;
pub mod events;
pub mod evm;
pub mod rpc;
pub mod stages;
pub mod stats;
pub mod tx;
pub mod types;

pub use client::{BlockRef, BlockWatcher, Client, Committee, WatchedBlock};
pub use error::{Error, Result};
pub use events::{EventRecord, Inclusion, Outcome, QSignEvent};
pub use qsign_primitives::{
	address::BitcoinNetwork,
	request::{Hasher, KeyId, MessageHash, PublicKey, RequestId, Signature},
};
pub use rpc::RpcClient;
pub use tx::{ChainInfo, Payload, Signer};
pub use types::{
	bitcoin_address, derive_key, ethereum_address, verify_request, verify_signature, Key, Request,
	RequestKind, Status,
};

/// `0x`-prefixed lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Bytes of `0x`-prefixed (or bare) hex text; `what` names the value in the error.
///
/// # Errors
///
/// [`Error::Decode`] if `text` is not hex.
pub fn from_hex(what: &str, text: &str) -> Result<Vec<u8>> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	hex::decode(digits).map_err(|e| Error::decode(what, e))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn hex_round_trips() {
		assert_eq!(to_hex(&[0, 0xab]), "0x00ab");
		assert_eq!(from_hex("x", "0x00ab").unwrap(), vec![0, 0xab]);
		assert_eq!(from_hex("x", "00AB").unwrap(), vec![0, 0xab]);
		assert!(from_hex("x", "0x0").is_err());
		assert!(from_hex("x", "0xzz").is_err());
	}
}
