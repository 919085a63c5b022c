//! The relayer's configuration file (TOML).
//!
//! ```toml
//! # QSign node to follow (WebSocket JSON-RPC), and others of the same chain to fail over to
//! # (optional, tried in order when the current one stops answering).
//! qsign_url = "ws://127.0.0.1:9944"
//! qsign_fallback_urls = ["ws://127.0.0.1:9945"]
//! # Where the relayer keeps its cursor and jobs (created if missing).
//! database = "cco.redb"
//! # The account that pays for `report_broadcast`: a secret URI, or `env:NAME` to read it
//! # from the environment variable NAME.
//! signer = "env:QSIGN_CCO_SURI"
//! # A fresh database starts this many blocks below the finalized head (default 200; a node
//! # keeps the state of its last 256 blocks unless run as an archive).
//! initial_lookback_blocks = 200
//!
//! [[destination]]
//! chain_id = 31337
//! rpc_url = "http://127.0.0.1:8545"
//! confirmations = 1
//! ```

use std::{collections::BTreeMap, path::PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Most fallback QSign nodes.
pub const MAX_QSIGN_FALLBACKS: usize = 8;
/// Most destinations one relayer serves.
pub const MAX_DESTINATIONS: usize = 64;
/// Most confirmations a destination may ask for.
pub const MAX_CONFIRMATIONS: u64 = 1_000;
/// Largest configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// A destination chain the relayer broadcasts to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
	/// EIP-155 chain id; must equal what the RPC endpoint reports.
	pub chain_id: u64,
	/// HTTP(S) JSON-RPC endpoint.
	pub rpc_url: String,
	/// Blocks on top of (and including) the one that includes a transaction before it is
	/// reported (1 = reported as soon as it is included).
	#[serde(default = "default_confirmations")]
	pub confirmations: u64,
}

fn default_confirmations() -> u64 {
	1
}

fn default_lookback() -> u32 {
	200
}

/// The relayer's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
	/// WebSocket URL of a QSign node.
	pub qsign_url: String,
	/// Other nodes of the same chain, tried in order when the current one fails.
	#[serde(default)]
	pub qsign_fallback_urls: Vec<String>,
	/// Path of the relayer's database.
	pub database: PathBuf,
	/// Secret URI of the reporting account, or `env:NAME`.
	pub signer: String,
	/// How far below the finalized head a fresh database starts.
	#[serde(default = "default_lookback")]
	pub initial_lookback_blocks: u32,
	/// Destination chains.
	#[serde(rename = "destination", default)]
	pub destinations: Vec<Destination>,
}

impl Config {
	/// Reads and checks a configuration file; relative `database` paths are taken relative
	/// to the file's directory.
	///
	/// # Errors
	///
	/// [`Error::Config`] naming the file and what is wrong.
	pub fn load(path: &std::path::Path) -> Result<Self> {
		let bad = |reason: String| Error::Config(format!("{}: {reason}", path.display()));
		let size = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?.len();
		if size > MAX_CONFIG_BYTES {
			return Err(bad(format!("{size} bytes; at most {MAX_CONFIG_BYTES} are read")));
		}
		let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
		let mut config = Self::parse(&text).map_err(|e| match e {
			Error::Config(reason) => bad(reason),
			other => other,
		})?;
		if config.database.is_relative() {
			if let Some(dir) = path.parent() {
				config.database = dir.join(&config.database);
			}
		}
		Ok(config)
	}

	/// Parses and checks a configuration.
	///
	/// # Errors
	///
	/// [`Error::Config`] with what is wrong.
	pub fn parse(text: &str) -> Result<Self> {
		let config: Config = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
		config.check()?;
		Ok(config)
	}

	fn check(&self) -> Result<()> {
		let bad = |reason: String| Err(Error::Config(reason));
		if self.qsign_fallback_urls.len() > MAX_QSIGN_FALLBACKS {
			return bad(format!(
				"{} qsign_fallback_urls; at most {MAX_QSIGN_FALLBACKS}",
				self.qsign_fallback_urls.len()
			));
		}
		for url in self.qsign_urls() {
			if !(url.starts_with("ws://") || url.starts_with("wss://")) {
				return bad(format!(
					"QSign node {url:?} (qsign_url or qsign_fallback_urls) is not a ws:// or \
					 wss:// URL"
				));
			}
		}
		if self.signer.trim().is_empty() {
			return bad("signer is empty".into());
		}
		if self.destinations.is_empty() {
			return bad("no [[destination]] is configured".into());
		}
		if self.destinations.len() > MAX_DESTINATIONS {
			return bad(format!(
				"{} destinations; at most {MAX_DESTINATIONS}",
				self.destinations.len()
			));
		}
		let mut seen = BTreeMap::new();
		for d in &self.destinations {
			if seen.insert(d.chain_id, ()).is_some() {
				return bad(format!("chain_id {} is configured twice", d.chain_id));
			}
			if !(d.rpc_url.starts_with("http://") || d.rpc_url.starts_with("https://")) {
				return bad(format!(
					"destination {}: rpc_url {:?} is not an http:// or https:// URL",
					d.chain_id, d.rpc_url
				));
			}
			if d.confirmations == 0 || d.confirmations > MAX_CONFIRMATIONS {
				return bad(format!(
					"destination {}: confirmations must be 1..={MAX_CONFIRMATIONS}, not {}",
					d.chain_id, d.confirmations
				));
			}
		}
		Ok(())
	}

	/// The signer's secret URI (read from the environment for `env:NAME`).
	///
	/// # Errors
	///
	/// [`Error::Config`] if the variable is not set.
	pub fn signer_suri(&self) -> Result<String> {
		match self.signer.strip_prefix("env:") {
			Some(name) => std::env::var(name).map_err(|_| {
				Error::Config(format!("signer: environment variable {name} is not set"))
			}),
			None => Ok(self.signer.clone()),
		}
	}

	/// Every QSign node, the preferred one first.
	pub fn qsign_urls(&self) -> impl Iterator<Item = &str> {
		core::iter::once(self.qsign_url.as_str())
			.chain(self.qsign_fallback_urls.iter().map(String::as_str))
	}

	/// The destination for `chain_id`, if configured.
	pub fn destination(&self, chain_id: u64) -> Option<&Destination> {
		self.destinations.iter().find(|d| d.chain_id == chain_id)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const GOOD: &str = r#"
qsign_url = "ws://127.0.0.1:9944"
database = "cco.redb"
signer = "//Ferdie"

[[destination]]
chain_id = 31337
rpc_url = "http://127.0.0.1:8545"

[[destination]]
chain_id = 1
rpc_url = "https://rpc.example"
confirmations = 12
"#;

	fn err(text: &str) -> String {
		Config::parse(text).unwrap_err().to_string()
	}

	#[test]
	fn a_good_file_parses_with_defaults() {
		let config = Config::parse(GOOD).unwrap();
		assert_eq!(config.destinations.len(), 2);
		assert_eq!(config.destination(31337).unwrap().confirmations, 1);
		assert_eq!(config.destination(1).unwrap().confirmations, 12);
		assert_eq!(config.initial_lookback_blocks, 200);
		assert!(config.destination(5).is_none());
		assert_eq!(config.signer_suri().unwrap(), "//Ferdie");
	}

	#[test]
	fn bad_files_are_refused_with_the_reason() {
		assert!(err(&GOOD.replace("ws://", "http://")).contains("qsign_url"));
		assert!(err(&GOOD.replace("chain_id = 1\n", "chain_id = 31337\n")).contains("twice"));
		assert!(err(&GOOD.replace("confirmations = 12", "confirmations = 0")).contains("1..="));
		assert!(err(&GOOD.replace("https://rpc", "ftp://rpc")).contains("rpc_url"));
		assert!(err(&GOOD.replace("signer", "signer_typo")).contains("unknown field"));
		assert!(err("qsign_url = 5").contains("invalid type"));
		let no_destination = GOOD.split("[[destination]]").next().unwrap();
		assert!(err(no_destination).contains("no [[destination]]"));
	}

	#[test]
	fn fallback_nodes_come_after_the_preferred_one_and_are_checked() {
		assert_eq!(Config::parse(GOOD).unwrap().qsign_urls().count(), 1);
		let with = GOOD.replace(
			"database",
			"qsign_fallback_urls = [\"ws://127.0.0.1:9945\", \"wss://b.example\"]\ndatabase",
		);
		let config = Config::parse(&with).unwrap();
		assert_eq!(
			config.qsign_urls().collect::<Vec<_>>(),
			["ws://127.0.0.1:9944", "ws://127.0.0.1:9945", "wss://b.example"]
		);
		assert!(err(&with.replace("wss://b", "https://b")).contains("qsign_fallback_urls"));
		let many = format!("[{}]", ["\"ws://a\""; MAX_QSIGN_FALLBACKS + 1].join(", "));
		let too_many = GOOD.replace("database", &format!("qsign_fallback_urls = {many}\ndatabase"));
		assert!(err(&too_many).contains("at most"));
	}

	#[test]
	fn the_signer_can_come_from_the_environment() {
		let config =
			Config::parse(&GOOD.replace("//Ferdie", "env:QSIGN_CCO_TEST_UNSET_VAR")).unwrap();
		assert!(config.signer_suri().unwrap_err().to_string().contains("QSIGN_CCO_TEST_UNSET_VAR"));
	}

	#[test]
	fn relative_database_paths_follow_the_file() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("cco.toml");
		std::fs::write(&path, GOOD).unwrap();
		assert_eq!(Config::load(&path).unwrap().database, dir.path().join("cco.redb"));
		assert!(Config::load(&dir.path().join("missing.toml"))
			.unwrap_err()
			.to_string()
			.contains("missing.toml"));
	}
}
