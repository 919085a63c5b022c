//! Multi-node tier, MPC: validators as real processes over real libp2p run the DKG, sign
//! signature requests with threshold ECDSA and put the signatures on-chain; every signature is
//! checked against the request's derived key.
//!
//! 1. Three validators, 2-of-3: the DKG completes and 50 requests all end Signed.
//! 2. One of three is killed right after 50 requests are made: they all still get Signed.
//! 3. Two of three are killed: requests made then stay Pending (not failed, not lost); once both
//!    are restarted (they reload their sealed shares) all get Signed. A full node stays connected
//!    to Alice so that Alice, alone, keeps authoring blocks (Aura does not author without peers).
//! 4. Five validators, 3-of-5: as 1.
//!
//! This is the slowest tier; `scripts/test.sh` runs it last, under a time guard.

mod common;

use common::{
	network::{alice, Network},
	LIVENESS_TIMEOUT,
};
use qsign_client::{verify_request, Client, Key, Payload, RequestId, Status};
use std::time::{Duration, Instant};

/// Requests per `request_signature` extrinsic (the runtime's `MaxBatch`).
const BATCH: usize = 16;

/// Makes `count` signature requests with key `key` (in batches, all submitted before waiting
/// for their inclusion) and returns their ids.
fn request_signatures(client: &Client, key: &Key, count: usize) -> Vec<RequestId> {
	let signer = alice();
	let since = client.best_number().unwrap();
	let first_nonce = client.account_next_index(signer.account_id()).unwrap();
	let mut hashes = Vec::new();
	for (nonce, batch) in (first_nonce..).zip((0..count).collect::<Vec<_>>().chunks(BATCH)) {
		let payloads: Vec<Payload> =
			batch.iter().map(|i| Payload::keccak256(format!("message {i}"))).collect();
		let call =
			qsign_client::tx::request_signature_call(key.key_id, &payloads, None, None).unwrap();
		hashes.push(client.submit_with_nonce(&signer, call, nonce).unwrap());
	}
	let inclusions = client.wait_for_inclusions(&hashes, since, LIVENESS_TIMEOUT).unwrap();
	let ids: Vec<RequestId> = inclusions
		.into_iter()
		.flat_map(|inclusion| inclusion.ensure_success().unwrap().request_ids())
		.collect();
	assert_eq!(ids.len(), count, "one request per payload");
	ids
}

/// Waits until every request has left `Pending` and checks each is Signed with a signature
/// that verifies against the key.
fn assert_all_signed(network: &Network, client: &Client, key: &Key, ids: &[RequestId]) {
	let start = Instant::now();
	let mut waiting: Vec<RequestId> = ids.to_vec();
	while !waiting.is_empty() {
		let mut still = Vec::new();
		for &id in &waiting {
			let request = client.request_status(id).unwrap().expect("requests are not lost");
			match request.status {
				Status::Pending => still.push(id),
				Status::Signed { .. } => {
					verify_request(&request, &key.public_key, None)
						.unwrap_or_else(|e| panic!("request {id}: {e}"));
				}
				other => panic!("request {id} ended {other:?}, not Signed\n{}", network.logs()),
			}
		}
		waiting = still;
		assert!(
			start.elapsed() < LIVENESS_TIMEOUT,
			"{} requests still pending after {LIVENESS_TIMEOUT:?}: {waiting:?}\n{}",
			waiting.len(),
			network.logs()
		);
		std::thread::sleep(Duration::from_millis(500));
	}
}

#[test]
fn multinode_mpc_three_validators_sign_fifty_requests() {
	let network = Network::start("local", &["alice", "bob", "charlie"]);
	let client = network.client();
	let committee = client.committee().unwrap();
	assert_eq!((committee.authorities.len(), committee.threshold), (3, 2));
	let key = network.ready_key(&client);
	let ids = request_signatures(&client, &key, 50);
	assert_all_signed(&network, &client, &key, &ids);
}

#[test]
fn multinode_mpc_one_validator_down_still_signs() {
	let mut network = Network::start("local", &["alice", "bob", "charlie"]);
	let client = network.client();
	let key = network.ready_key(&client);
	let ids = request_signatures(&client, &key, 50);
	network.kill(2);
	assert_all_signed(&network, &client, &key, &ids);
}

#[test]
fn multinode_mpc_two_validators_down_keeps_requests_pending_until_they_return() {
	let mut network = Network::start("local", &["alice", "bob", "charlie"]);
	let _observer = network.start_observer();
	let client = network.client();
	let key = network.ready_key(&client);
	network.kill(1);
	network.kill(2);
	let ids = request_signatures(&client, &key, 10);

	// Alice alone cannot sign (threshold 2) and must not give up: a few blocks later every
	// request is still pending.
	let made_at = client.best_number().unwrap();
	let start = Instant::now();
	while client.best_number().unwrap() < made_at + 4 {
		assert!(start.elapsed() < LIVENESS_TIMEOUT, "alice stopped producing blocks");
		std::thread::sleep(Duration::from_millis(500));
	}
	for &id in &ids {
		let request = client.request_status(id).unwrap().expect("requests are not lost");
		assert_eq!(request.status, Status::Pending, "request {id} with one validator online");
	}

	// Bob and Charlie come back with their sealed shares and the committee signs everything.
	network.restart(1);
	network.restart(2);
	assert_all_signed(&network, &client, &key, &ids);
}

#[test]
fn multinode_mpc_five_validators_sign_three_of_five() {
	let network = Network::start("local5", &["alice", "bob", "charlie", "dave", "eve"]);
	let client = network.client();
	let committee = client.committee().unwrap();
	assert_eq!((committee.authorities.len(), committee.threshold), (5, 3));
	let key = network.ready_key(&client);
	let ids = request_signatures(&client, &key, 50);
	assert_all_signed(&network, &client, &key, &ids);
}
