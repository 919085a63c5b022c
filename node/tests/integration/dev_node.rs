//! `qsign-node --dev` as a real process: it produces and finalizes blocks, serves RPC (including
//! the `qmpc` session key in the keystore), and refuses bad flags with an error instead of
//! starting.

use crate::common::{wait_for, NodeProcess, LIVENESS_TIMEOUT};
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

	// The MPC session key (`qmpc`) lives in the keystore like `aura` and `gran`: rotated with
	// the other session keys, and insertable by an operator.
	let keys = node.rpc("author_rotateKeys", json!([])).expect("author_rotateKeys answers");
	let keys = keys.as_str().expect("hex session keys");
	assert_eq!(keys.len(), 2 + 2 * 96, "aura, grandpa and qmpc keys, 32 bytes each: {keys}");
	let has = node.rpc("author_hasSessionKeys", json!([keys])).expect("author_hasSessionKeys");
	assert_eq!(has, json!(true));
	let ferdie = sp_keyring::Sr25519Keyring::Ferdie.public();
	let ferdie_hex =
		format!("0x{}", ferdie.0.iter().map(|b| format!("{b:02x}")).collect::<String>());
	assert_eq!(node.rpc("author_hasKey", json!([ferdie_hex, "qmpc"])), Ok(json!(false)));
	node.rpc("author_insertKey", json!(["qmpc", "//Ferdie", ferdie_hex]))
		.expect("author_insertKey accepts a qmpc key");
	assert_eq!(node.rpc("author_hasKey", json!([ferdie_hex, "qmpc"])), Ok(json!(true)));

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

	let output = std::process::Command::new(env!("CARGO_BIN_EXE_qsign-node"))
		.args(["--dev", "--tmp", "--mpc-fault=crash"])
		.output()
		.expect("qsign-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("unknown MPC fault"), "error names the fault: {stderr}");
}

/// Fault injection is for the development chains only: a live chain's spec refuses it.
#[test]
fn mpc_faults_are_refused_on_a_live_chain() {
	let spec = std::process::Command::new(env!("CARGO_BIN_EXE_qsign-node"))
		.args(["build-spec", "--chain", "local", "--disable-default-bootnode"])
		.output()
		.expect("qsign-node runs");
	assert!(spec.status.success(), "{}", String::from_utf8_lossy(&spec.stderr));
	let live = String::from_utf8(spec.stdout)
		.expect("JSON")
		.replacen("\"id\": \"qsign_local\"", "\"id\": \"qsign_testnet\"", 1)
		.replacen("\"chainType\": \"Local\"", "\"chainType\": \"Live\"", 1);
	assert!(live.contains("qsign_testnet") && live.contains("\"Live\""), "spec layout changed");
	let path = std::env::temp_dir().join(format!("qsign-live-spec-{}.json", std::process::id()));
	std::fs::write(&path, live).expect("temp file");
	let output = std::process::Command::new(env!("CARGO_BIN_EXE_qsign-node"))
		.args(["--chain", path.to_str().expect("utf-8"), "--tmp"])
		.arg("--mpc-fault=corrupt-multiplication")
		.output()
		.expect("qsign-node runs");
	let _ = std::fs::remove_file(&path);
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("development chains"), "error explains why: {stderr}");
}
