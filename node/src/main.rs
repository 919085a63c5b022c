//! `qsign-node`: the QSign validator binary.

#![warn(missing_docs)]
// `sc_cli::Result` (a large error type) is the signature the Substrate CLI runner expects.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod mpc;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
