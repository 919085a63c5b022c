//! Where the tests find anvil: shared by `cco/tests/destination_anvil.rs` and
//! `node/tests/multinode_cco.rs` (included there by path).

use std::path::{Path, PathBuf};

/// anvil's native binary from the repository's npm packages
/// (`node_modules/@foundry-rs/anvil-<platform>/bin/anvil`). Not `node_modules/.bin/anvil`: that
/// is a Node.js wrapper, and killing it would leave the real anvil running. The repository is
/// found at run time (`cargo test` sets `CARGO_MANIFEST_DIR`, a crate directory under the root),
/// not with `env!`: a binary built from another checkout sharing the target directory would
/// look in that checkout.
pub fn anvil_binary() -> PathBuf {
	let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
	let dir = Path::new(&manifest_dir).join("../node_modules/@foundry-rs");
	std::fs::read_dir(&dir)
		.ok()
		.into_iter()
		.flatten()
		.filter_map(Result::ok)
		.filter(|entry| entry.file_name().to_string_lossy().starts_with("anvil-"))
		.map(|entry| entry.path().join("bin/anvil"))
		.find(|path| path.exists())
		.unwrap_or_else(|| {
			panic!("no anvil binary under {}: run scripts/setup.sh (npm ci)", dir.display())
		})
}
