//! Issue 5's scenarios on networks spawned by zombienet-sdk (native provider) from
//! `zombienet/local-3.toml` and `zombienet/local-5.toml`: validators as real processes over
//! real libp2p run the DKG, sign requests with threshold ECDSA and put the signatures on-chain;
//! every signature is checked against the request's derived key.
//!
//! The slowest tier: `scripts/test.sh` runs it last, under its time guard.

use qsign_client::Status;
use qsign_zombienet::TestNetwork;

/// Spawns `file`, checks the committee is `validators` strong with threshold `threshold`, and
/// has it sign 50 requests: the DKG completes and all 50 end Signed and verify.
fn committee_signs_fifty_requests(file: &str, validators: usize, threshold: u32) {
	let network = TestNetwork::spawn(file);
	let client = network.client("alice");
	let committee = client.committee().expect("committee");
	assert_eq!((committee.authorities.len(), committee.threshold), (validators, threshold));
	let key = network.ready_key(&client);
	let ids = network.request_signatures(&client, &key, 50);
	network.assert_all_signed(&client, &key, &ids);
}

/// Scenario 1. Three validators, 2-of-3: the DKG completes and 50 requests all end Signed.
#[test]
fn zombienet_three_validators_sign_fifty_requests() {
	committee_signs_fifty_requests("local-3.toml", 3, 2);
}

/// Scenario 2. One validator is killed (SIGKILL) right after 50 requests are made: all still
/// get Signed.
#[test]
fn zombienet_one_validator_killed_mid_run_still_signs() {
	let network = TestNetwork::spawn("local-3.toml");
	let client = network.client("alice");
	let key = network.ready_key(&client);
	let ids = network.request_signatures(&client, &key, 50);
	network.kill("charlie");
	network.assert_all_signed(&client, &key, &ids);
}

/// Scenario 3. Two validators are killed: requests made then stay Pending (not failed, not
/// lost); once both are restarted (they reload their sealed shares) all get Signed. A full node
/// keeps Alice company so that she, alone, keeps authoring blocks (Aura does not author without
/// peers).
#[test]
fn zombienet_two_validators_killed_keep_requests_pending_until_restarted() {
	let mut network = TestNetwork::spawn("local-3.toml");
	network.add_full_node("observer");
	let client = network.client("alice");
	let key = network.ready_key(&client);
	let loaded_before =
		["bob", "charlie"].map(|name| network.log(name).matches("loaded our share").count());
	network.kill("bob");
	network.kill("charlie");
	let ids = network.request_signatures(&client, &key, 10);

	// Alice alone cannot sign (threshold 2) and must not give up: 4 blocks later every request
	// is still pending.
	network.wait_blocks(&client, 4);
	for &id in &ids {
		let request = client.request_status(id).expect("status").expect("requests are not lost");
		assert_eq!(request.status, Status::Pending, "request {id} with one validator online");
	}

	// Bob and Charlie come back as new processes, reload their sealed shares from their base
	// paths, and the committee signs everything.
	network.restart("bob");
	network.restart("charlie");
	for (name, before) in ["bob", "charlie"].into_iter().zip(loaded_before) {
		network.wait_for_log(name, "loaded our share", before + 1);
	}
	network.assert_all_signed(&client, &key, &ids);
}

/// Scenario 4. Five validators, 3-of-5: as scenario 1.
#[test]
fn zombienet_five_validators_sign_three_of_five() {
	committee_signs_fifty_requests("local-5.toml", 5, 3);
}
