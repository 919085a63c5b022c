//! The QSign Cross-Chain Oracle (CCO): a relayer anyone can run.
//!
//! It follows finalized QSign blocks (subxt), picks up the signed destination transactions of
//! broadcast requests (`QSign::TransactionSigned` events), submits them to their destination
//! chain's JSON-RPC (alloy), waits for the configured confirmations, and reports the
//! transaction hash and block back with `QSign::report_broadcast`; the chain checks that the
//! hash is `keccak256` of the signed transaction it holds.
//!
//! Durable: a cursor and every job live in an embedded database ([`store`]); a restarted
//! relayer resumes at the first block it had not finished. Idempotent: two relayers may serve
//! the same chain; the destination deduplicates the transaction and the chain ignores a second
//! report. Destination errors are retried with backoff and shown in the status file; a job is
//! never dropped. Each destination chain is driven by a task of its own with a circuit breaker
//! ([`driver`]): a dead or slow destination holds up only its own jobs.

pub mod chain;
pub mod config;
pub mod destination;
pub mod driver;
pub mod error;
pub mod job;
pub mod metrics;
pub mod relayer;
pub mod store;

/// alloy, as this crate uses it (for tools and tests that build destination transactions).
pub use alloy;
pub use config::Config;
pub use error::{Error, Result};
pub use relayer::Relayer;
