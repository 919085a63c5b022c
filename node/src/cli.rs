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
	/// `corrupt-final-share` spoils the last round of every signing run (not attributable: the
	/// others sign without it); `silent` connects but never sends or submits anything (at
	/// genesis the others generate the key without it); `impersonate:<SS58 qmpc key>` claims
	/// another member's key (the others refuse it).
	#[arg(long, value_name = "FAULT")]
	pub mpc_fault: Option<crate::mpc::faults::MpcFault>,

	/// A file holding a secret (16 to 4,096 bytes; one trailing newline is ignored) that is
	/// mixed into the key sealing this validator's key shares on disk. Keep it outside the base
	/// path (another volume, a secrets manager's mount): a copy of the base path alone then
	/// does not open the shares. Alternatively set `QSIGN_SEALING_SECRET`. Without either, the
	/// shares are sealed with a key derived from the `qmpc` key in the keystore alone. Shares
	/// sealed before a secret was configured are sealed again under it when loaded.
	#[arg(long, value_name = "PATH")]
	pub mpc_sealing_secret_file: Option<std::path::PathBuf>,

	/// GRANDPA votes for the best block minus this many blocks (0 to 16). 0, the default, makes
	/// a block final about one GRANDPA round after it is imported, so a signing request is
	/// signed in the next block or the one after. polkadot-sdk's own default corresponds to 2
	/// (and at most three quarters of the unfinalized chain): every request then waits two more
	/// blocks. Finality's safety does not depend on it; a larger lag can save rounds on a
	/// network where authors often fork.
	#[arg(long, value_name = "BLOCKS", default_value_t = 0,
		value_parser = clap::value_parser!(u32).range(0..=16))]
	pub finality_vote_lag: u32,

	/// GRANDPA's gossip period in milliseconds (50 to 2,000; default 100): a voter prevotes 2
	/// periods into a round (or as soon as the round can complete) and precommits after at most
	/// 4, so a block becomes final about one round after it is imported. polkadot-sdk's nodes
	/// use 333 ms (made for 6 s blocks and hundreds of voters); with a handful of validators and
	/// 1 s blocks 100 ms finalizes a block ~0.3 s after import instead of ~1.1 s, for a few more
	/// small messages per second. A committee spread over continents should raise it. Every
	/// validator should use the same value. `scripts/bench-latency.sh` compares values.
	#[arg(long, value_name = "MS", default_value_t = crate::service::DEFAULT_GOSSIP_MS,
		value_parser = clap::value_parser!(u64).range(50..=2_000))]
	pub finality_gossip_ms: u64,

	/// Signing runs this validator takes part in at once (1 to 1,024); requests beyond wait
	/// until a run ends. Runs share one thread per core (up to 8) whatever the number, so more runs do not
	/// sign faster once the cores are busy: each run only takes longer, and a run still going
	/// when its request's signing attempt ends (18 s) lets the next attempt's signers start
	/// a second run for the same request. `scripts/bench-load.sh` compares values side by side.
	#[arg(long, value_name = "RUNS", default_value_t = crate::mpc::worker::DEFAULT_MAX_SIGNING_RUNS,
		value_parser = clap::value_parser!(u16).range(1..=1024))]
	pub max_signing_runs: u16,
}

/// Environment variable holding the share-sealing secret (see `--mpc-sealing-secret-file`).
pub const SEALING_SECRET_ENV: &str = "QSIGN_SEALING_SECRET";

impl Cli {
	/// The operator's share-sealing secret, from `--mpc-sealing-secret-file` or
	/// [`SEALING_SECRET_ENV`], if one is given.
	///
	/// # Errors
	///
	/// If both are given, the file cannot be read, or the secret has the wrong length.
	pub fn sealing_secret(&self) -> Result<Option<crate::mpc::keys::OperatorSecret>, String> {
		let from_env = std::env::var_os(SEALING_SECRET_ENV);
		let bytes = match (&self.mpc_sealing_secret_file, from_env) {
			(Some(_), Some(_)) => {
				return Err(format!(
					"both --mpc-sealing-secret-file and {SEALING_SECRET_ENV} are set: give one"
				))
			}
			(Some(path), None) => std::fs::read(path)
				.map_err(|e| format!("--mpc-sealing-secret-file {}: {e}", path.display()))?,
			(None, Some(value)) => value.into_encoded_bytes(),
			(None, None) => return Ok(None),
		};
		crate::mpc::keys::OperatorSecret::from_bytes(bytes).map(Some)
	}
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
