//! Multi-node tier, Ethereum tooling: the chain's Ethereum JSON-RPC (polkadot-sdk's `eth-rpc`)
//! in front of three validators, and `examples/ethers/vault.mjs` (ethers from npm) deploying
//! `QSignVault`, requesting a key and a signature, receiving the threshold signature by
//! callback and by event, and verifying it with `ecrecover`.
//!
//! Needs the `eth-rpc` binary (`QSIGN_ETH_RPC_BIN`, default `~/.cache/qsign/tools/bin/eth-rpc`,
//! installed by `scripts/run-local.sh` or `install_eth_rpc` in `scripts/lib.sh`); without it
//! this test fails. `scripts/test.sh` runs it only when eth-rpc is installed and otherwise
//! reports it as SKIPPED.

use crate::common::{
	free_port, network::Network, rpc_call, run_js_example, Process, LIVENESS_TIMEOUT,
};
use serde_json::json;
use std::{path::PathBuf, process::Command};

fn eth_rpc_bin() -> PathBuf {
	std::env::var_os("QSIGN_ETH_RPC_BIN").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/qsign/tools/bin/eth-rpc")
	})
}

#[test]
fn multinode_ethers_vault_via_eth_rpc() {
	let bin = eth_rpc_bin();
	assert!(
		bin.exists(),
		"{} is missing: install eth-rpc (scripts/lib.sh install_eth_rpc)",
		bin.display()
	);
	let root = crate::common::repo_root();
	assert!(root.join("node_modules/ethers").exists(), "ethers is missing: run scripts/setup.sh");

	let network = Network::start("local", &["alice", "bob", "charlie"]);
	let client = network.client();
	client
		.wait_for_root_key(LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("no root key: {e}\n{}", network.logs()));
	let node_port = network.nodes[0].as_ref().expect("alice runs").rpc_port;
	let eth_port = free_port();
	let base = tempfile::tempdir().unwrap();
	let mut eth_rpc = Process::spawn(
		"eth-rpc",
		Command::new(&bin)
			.args(["--node-rpc-url", &format!("ws://127.0.0.1:{node_port}")])
			.args(["--rpc-port", &eth_port.to_string(), "--eth-pruning", "256", "--no-prometheus"])
			.arg("--base-path")
			.arg(base.path()),
	);
	let start = std::time::Instant::now();
	let chain_id = loop {
		if let Ok(id) = rpc_call(eth_port, "eth_chainId", json!([])) {
			break id;
		}
		assert!(eth_rpc.is_running(), "eth-rpc exited:\n{}", eth_rpc.log_tail(50));
		assert!(
			start.elapsed() < LIVENESS_TIMEOUT,
			"eth-rpc does not answer:\n{}",
			eth_rpc.log_tail(50)
		);
		std::thread::sleep(std::time::Duration::from_millis(500));
	};
	assert_eq!(
		chain_id.as_str(),
		Some(format!("{:#x}", qsign_runtime::EVM_CHAIN_ID).as_str()),
		"eth_chainId is QSign's EVM chain id"
	);

	let url = format!("http://127.0.0.1:{eth_port}");
	let stdout = run_js_example("examples/ethers/vault.mjs", &[&url], &[], || {
		format!("eth-rpc:\n{}\n{}", eth_rpc.log_tail(80), network.logs())
	});
	assert!(stdout.contains("verified with ecrecover"), "{stdout}");
	assert!(stdout.contains("callback delivered the signature"), "{stdout}");
	assert!(stdout.contains("owned by the vault, Ethereum address"), "{stdout}");
	assert!(eth_rpc.is_running(), "eth-rpc kept running");
}
