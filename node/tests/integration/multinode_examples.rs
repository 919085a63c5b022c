//! Multi-node tier, examples: the Polkadot.js example (`examples/polkadot-js/`) requests a key
//! and a signature with extrinsics against three validators and verifies the signature in JS.

use crate::common::{network::Network, run_js_example, LIVENESS_TIMEOUT};

#[test]
fn multinode_polkadotjs_example_gets_a_verified_signature() {
	let root = crate::common::repo_root();
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
	let url = format!("ws://127.0.0.1:{port}");
	let stdout = run_js_example(
		"examples/polkadot-js/request-signature.mjs",
		&[&url, "examples/js", "signed from a test"],
		&[("QSIGN_SURI", "//Bob")],
		|| network.logs(),
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
