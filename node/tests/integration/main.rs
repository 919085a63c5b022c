//! `qsign-node` as real processes, in one test binary (one link instead of six; the test code
//! itself compiles in about 5 s).
//!
//! - [`dev_node`]: one `--dev` node (tier 1).
//! - `multinode_*`: several validators over libp2p (tier 2; `cargo test -- multinode`); the
//!   ethers one needs the eth-rpc binary (`-- multinode_ethers`).

mod common;
mod dev_node;
mod multinode_cco;
mod multinode_contracts;
mod multinode_ethers;
mod multinode_examples;
mod multinode_local;
