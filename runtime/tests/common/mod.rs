//! Helpers shared by the runtime's integration tests.

use qsign_runtime::RuntimeGenesisConfig;

/// The repository's root directory, found when the test runs (`cargo test` sets
/// `CARGO_MANIFEST_DIR` for the test process). Not `env!`: a test binary built from another
/// checkout sharing the target directory would look in that checkout.
pub fn repo_root() -> std::path::PathBuf {
	let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
	std::path::Path::new(&manifest_dir).join("..")
}

/// Applies a preset patch to the default genesis config, as the node does (RFC 7386 merge).
pub fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

/// The whole genesis config (defaults + the preset's patch) as JSON, for `build_state`.
pub fn genesis_config_json(patch: serde_json::Value) -> Vec<u8> {
	let mut config =
		serde_json::to_value(RuntimeGenesisConfig::default()).expect("default config serializes");
	merge(&mut config, patch);
	serde_json::to_vec(&config).expect("serializes")
}
