//! The validators' MPC worker: distributed key generation and threshold signing for
//! pallet-qsign, over a libp2p notification protocol of our own.
//!
//! Modelled on the BEEFY/GRANDPA gadgets:
//! - [`worker`]: the loop. It follows finalized blocks through the `QSignApi` runtime API, runs
//!   the DKG while the committee has no root key, signs pending requests and puts the results
//!   on-chain as authorized transactions (`QSignCommitteeApi` + the transaction pool).
//! - [`communication`]: the `/<genesis>/qsign/mpc/3` protocol. Peers prove in their handshake
//!   that they hold a committee member's `qmpc` key; MPC messages go point to point.
//! - [`keys`]: keystore access (our `qmpc` key, attestations, the share-sealing key).
//! - [`shares`]: key shares on disk, encrypted, under the node's base path.
//! - [`evidence`]: signed MPC messages, and the equivocation proofs they yield.
//! - [`started`]: the runs this node ever started, on disk (never one twice, not even after a
//!   crash: a restarted run would look like an equivocation).
//! - [`buffers`]: the early-message and undelivered-message buffers, bounded per member.
//! - [`sessions`]: protocol runs on their own threads (the cryptography is CPU-bound).
//! - [`faults`]: misbehaviour for tests (`--mpc-fault`, development chains only).
//! - [`measurements`]: per-request stage times and traffic counters (`qsign_signingTimes`,
//!   `qsign_mpcTraffic`), for the load benchmark.

pub mod buffers;
pub mod communication;
pub mod evidence;
pub mod faults;
pub mod keys;
pub mod measurements;
pub mod sessions;
pub mod shares;
pub mod started;
pub mod worker;

pub use communication::protocol_name;
pub use worker::{MpcWorker, MpcWorkerParams};

/// Log target of everything the MPC worker logs.
pub const LOG_TARGET: &str = "qsign-mpc";
