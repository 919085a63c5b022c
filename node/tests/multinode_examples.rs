//! Multi-node tier, examples: the Polkadot.js example (`examples/polkadot-js/`) requests a key
//! and a signature with extrinsics against three validators and verifies the signature in JS.

mod common;

use common::{network::Network, LIVENESS_TIMEOUT};
use std::{path::Path, process::Command};

#[test]
fn multinode_polkadotjs_example_gets_a_verified_signature() {
	let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
	let script = root.join("examples/polkadot-js/request-signature.mjs");
	assert!(
		root.join("node_modules/@polkadot/api").exists(),
		"@polkadot/api is missing: run scripts/setup.sh (npm ci)"
	);
	let network = Network::start("local", &["alice", "bob", "charlie"]);
	let client = network.client();
	client
		.wait_for_root_key(LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("no root key: {e}\n{}", network.logs()));
	let port = network.nodes[0].as_ref().expect("alice runs").rpc_port;
	let output = Command::new("node")
		.arg(&script)
		.args([&format!("ws://127.0.0.1:{port}"), "examples/js", "signed from a test"])
		.env("QSIGN_SURI", "//Bob")
		.env("QSIGN_TIMEOUT_SECS", LIVENESS_TIMEOUT.as_secs().to_string())
		.output()
		.expect("node (Node.js) runs");
	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		output.status.success(),
		"the example failed ({}):\n{stdout}\n{stderr}\n{}",
		output.status,
		network.logs()
	);
	assert!(stdout.contains("verified in JS: the signature recovers key"), "{stdout}");
	// The key it printed is Bob's, as the chain has it.
	let key_id: u64 = stdout
		.lines()
		.find_map(|l| l.strip_prefix("key ")?.split_whitespace().next()?.parse().ok())
		.expect("the example prints the key id");
	let key = client.key_info(key_id).unwrap().expect("the key exists");
	assert!(stdout.contains(&key.ethereum_address), "{stdout}");
	assert_eq!(key.path, b"examples/js");
}
