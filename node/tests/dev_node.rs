//! `qsign-node --dev` as a real process: it produces and finalizes blocks, serves RPC, and
//! refuses bad flags with an error instead of starting.

mod common;

use common::{wait_for, NodeProcess, LIVENESS_TIMEOUT};
use serde_json::json;

#[test]
fn dev_node_produces_and_finalizes_blocks() {
	let dir = tempfile::tempdir().expect("temp dir");
	let mut node = NodeProcess::start("dev", dir.path(), &["--dev"]);

	let (best, finalized) =
		wait_for("block 3 to be finalized", LIVENESS_TIMEOUT, &mut [&mut node], |nodes| {
			let node = &nodes[0];
			let finalized = node.finalized_number()?;
			(finalized >= 3).then(|| (node.best_number().unwrap_or(0), finalized))
		});
	assert!(best >= finalized, "best block {best} is behind finalized {finalized}");

	let chain = node.rpc("system_chain", json!([])).expect("system_chain answers");
	assert_eq!(chain, json!("QSign Development"));
	let props = node.rpc("system_properties", json!([])).expect("system_properties answers");
	assert_eq!(props["tokenSymbol"], json!("QSG"));
	assert_eq!(props["tokenDecimals"], json!(18));

	node.kill();
	assert!(!node.is_running());
}

#[test]
fn bad_flags_exit_with_an_error() {
	let output = std::process::Command::new(env!("CARGO_BIN_EXE_qsign-node"))
		.args(["--dev", "--network-backend", "carrier-pigeon"])
		.output()
		.expect("qsign-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("carrier-pigeon"), "error names the bad value: {stderr}");

	let output = std::process::Command::new(env!("CARGO_BIN_EXE_qsign-node"))
		.args(["--chain", "/no/such/spec.json", "--tmp"])
		.output()
		.expect("qsign-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("unknown chain"), "error explains the chain: {stderr}");
}
