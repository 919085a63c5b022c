//! Command-line interface of `qsign-node`.

use sc_cli::RunCmd;

/// The node's command line: run a node (the default) or one of the maintenance subcommands.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A maintenance subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options for running the node.
	#[clap(flatten)]
	pub run: RunCmd,

	/// Testing only, and only on the development chains (`--dev`, `local`, `local5`): make
	/// this validator misbehave in the MPC protocol, to check that the others detect and
	/// exclude it. `corrupt-multiplication` cheats in every signing run (the others ban it);
	/// `impersonate:<SS58 qmpc key>` claims another member's key (the others refuse it).
	#[arg(long, value_name = "FAULT")]
	pub mpc_fault: Option<crate::mpc::faults::MpcFault>,
}

/// Maintenance subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management tools (generate, inspect, insert).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (use `export-chain-spec` for a spec without network config).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a built-in chain or a file (`--raw` for raw storage).
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),
}
