//! `cco`: the QSign Cross-Chain Oracle.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use qsign_cco::{Config, Relayer};

/// Relays QSign-signed transactions to their destination chains and reports them back.
#[derive(Parser)]
#[command(name = "cco", version)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Runs the relayer until stopped.
	Run {
		/// The configuration file (TOML).
		#[arg(long, short)]
		config: PathBuf,
		/// Seconds between passes.
		#[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=600))]
		interval: u64,
		/// Serve Prometheus metrics (`/metrics`) and a health check (`/health`) on this
		/// address, e.g. 127.0.0.1:9616 (off by default).
		#[arg(long, value_name = "ADDR")]
		listen: Option<std::net::SocketAddr>,
	},
	/// Checks a configuration file and prints what it configures.
	CheckConfig {
		/// The configuration file (TOML).
		#[arg(long, short)]
		config: PathBuf,
	},
	/// Prints the relayer's status file (written by `cco run` after every pass).
	Status {
		/// The configuration file (TOML).
		#[arg(long, short)]
		config: PathBuf,
	},
}

async fn run(command: Command) -> qsign_cco::Result<()> {
	match command {
		Command::Run { config, interval, listen } => {
			let config = Config::load(&config)?;
			// Served before anything else: a port in use is a start-up error, not a log line, and
			// `/health` says "starting" while the relayer connects.
			let metrics = std::sync::Arc::new(qsign_cco::metrics::Metrics::new()?);
			if let Some(addr) = listen {
				let listener = qsign_cco::metrics::bind(addr).await?;
				tracing::info!("metrics and health on http://{addr}");
				tokio::spawn(qsign_cco::metrics::serve(listener, metrics.clone()));
			}
			let relayer = Relayer::start(config, metrics).await?;
			tokio::select! {
				result = relayer.run(Duration::from_secs(interval)) => result,
				_ = tokio::signal::ctrl_c() => {
					tracing::info!("stopping");
					Ok(())
				}
			}
		}
		Command::CheckConfig { config } => {
			let config = Config::load(&config)?;
			for (index, url) in config.qsign_urls().enumerate() {
				println!("QSign node: {url}{}", if index == 0 { "" } else { " (fallback)" });
			}
			println!("database:   {}", config.database.display());
			for d in &config.destinations {
				println!(
					"chain {}: {} ({} confirmation{})",
					d.chain_id,
					d.rpc_url,
					d.confirmations,
					if d.confirmations == 1 { "" } else { "s" }
				);
			}
			Ok(())
		}
		Command::Status { config } => {
			let config = Config::load(&config)?;
			let path = Relayer::status_path(&config.database);
			let text = std::fs::read_to_string(&path).map_err(|e| {
				qsign_cco::Error::Database(format!(
					"{}: {e} (has `cco run` made a pass yet?)",
					path.display()
				))
			})?;
			println!("{text}");
			Ok(())
		}
	}
}

fn main() -> ExitCode {
	env_logger_init();
	let cli = Cli::parse();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			return ExitCode::FAILURE;
		}
	};
	match runtime.block_on(run(cli.command)) {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("error: {e}");
			ExitCode::FAILURE
		}
	}
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
fn env_logger_init() {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
	tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_ansi(ansi)
		.with_writer(std::io::stderr)
		.init();
}
