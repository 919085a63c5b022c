//! `qsign-node`: the QSign validator binary.

#![warn(missing_docs)]

mod chain_spec;
mod cli;
mod command;
mod mpc;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
