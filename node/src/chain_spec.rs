//! Built-in chain specifications: `dev` (one validator), `local` (three validators) and
//! `local5` (five validators).

use qsign_runtime::{
	DEV_RUNTIME_PRESET, LOCAL5_TESTNET_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET, WASM_BINARY,
};
use sc_service::{ChainType, Properties};

/// A chain spec of the QSign runtime (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime's wasm blob was not built (was SKIP_WASM_BUILD set when building the node?)"
			.to_string()
	})
}

fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), "QSG".into());
	properties.insert("tokenDecimals".into(), 18.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

/// `--dev`: Alice is the only validator; blocks start at once.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("QSign Development")
		.with_id("qsign_dev")
		.with_protocol_id("qsign-dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice, Bob and Charlie validate on localhost.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("QSign Local Testnet")
		.with_id("qsign_local")
		.with_protocol_id("qsign-local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local5`: Alice, Bob, Charlie, Dave and Eve validate on localhost (3-of-5).
pub fn local5_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("QSign Local Testnet (5 validators)")
		.with_id("qsign_local5")
		.with_protocol_id("qsign-local5")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(LOCAL5_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Resolves `--chain <id>`: a built-in name or the path of a chain-spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development_chain_spec()?),
		"" | "local" => Box::new(local_chain_spec()?),
		"local5" => Box::new(local5_chain_spec()?),
		path => {
			let path = std::path::PathBuf::from(path);
			if !path.exists() {
				return Err(format!(
					"unknown chain `{id}`: not `dev`, `local`, `local5` or an existing chain-spec file"
				));
			}
			Box::new(ChainSpec::from_json_file(path)?)
		}
	})
}
