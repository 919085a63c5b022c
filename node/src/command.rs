//! Dispatches the command line to the node service or a maintenance subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use qsign_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_network::config::NetworkBackendType;
use sc_service::PartialComponents;

/// Defaults that differ from sc-cli's: the libp2p network backend and ParityDB.
const DEFAULT_ARGS: &[(&str, &str)] = &[("network_backend", "libp2p"), ("database", "paritydb")];

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"QSign Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/qsign/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		chain_spec::load(id)
	}

	fn setup_command(cmd: clap::Command) -> clap::Command {
		let mut full_version = Self::impl_version();
		full_version.push('\n');
		let mut cmd = cmd
			.name(Self::executable_name())
			.version(full_version)
			.author(Self::author())
			.about(Self::description())
			.long_about(Self::description())
			.after_help(format!("Support: {}", Self::support_url()))
			.propagate_version(true)
			.args_conflicts_with_subcommands(true)
			.subcommand_negates_reqs(true);
		for (arg, default) in DEFAULT_ARGS {
			cmd = cmd.mut_arg(*arg, |a| a.default_value(*default));
		}
		cmd
	}
}

/// Parses the command line and runs it.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		}
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		}
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		}
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		}
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		}
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		}
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		}
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let mpc = service::NodeOptions {
				fault: cli.mpc_fault.clone(),
				sealing_secret: cli.sealing_secret()?,
				finality_vote_lag: cli.finality_vote_lag,
				finality_gossip_ms: cli.finality_gossip_ms,
				max_signing_runs: cli.max_signing_runs,
			};
			if mpc.fault.is_some() {
				let spec = &runner.config().chain_spec;
				crate::mpc::faults::check_chain(spec.id(), &spec.chain_type())?;
			}
			runner.run_node_until_exit(|config| async move {
				match config.network.network_backend {
					NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config, mpc)
					.map_err(sc_cli::Error::Service),
					NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, mpc)
							.map_err(sc_cli::Error::Service)
					}
				}
			})
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::CommandFactory;

	fn parse(args: &[&str]) -> Cli {
		Cli::try_from_iter(std::iter::once("qsign-node").chain(args.iter().copied()))
			.expect("arguments parse")
	}

	#[test]
	fn libp2p_and_paritydb_are_the_defaults() {
		let cli = parse(&["--dev"]);
		assert_eq!(cli.run.network_params.network_backend, sc_cli::NetworkBackendType::Libp2p);
		assert_eq!(
			cli.run.import_params.database_params.database,
			Some(sc_cli::Database::ParityDb)
		);
	}

	#[test]
	fn litep2p_can_still_be_chosen() {
		let cli = parse(&["--dev", "--network-backend", "litep2p"]);
		assert_eq!(cli.run.network_params.network_backend, sc_cli::NetworkBackendType::Litep2p);
	}

	#[test]
	fn bad_flags_are_errors_not_panics() {
		for args in [&["--network-backend", "carrier-pigeon"][..], &["--rpc-port", "99999"]] {
			assert!(Cli::try_from_iter(std::iter::once("qsign-node").chain(args.iter().copied()))
				.is_err());
		}
	}

	#[test]
	fn command_definition_is_consistent() {
		Cli::setup_command(Cli::command()).debug_assert();
	}

	#[test]
	fn unknown_chain_is_a_clear_error() {
		let Err(err) = chain_spec::load("no-such-chain") else { panic!("must fail") };
		assert!(err.contains("unknown chain"), "{err}");
	}
}
