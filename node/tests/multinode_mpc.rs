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

use common::{node_key, NodeProcess, ALICE_NODE_KEY, ALICE_PEER_ID, LIVENESS_TIMEOUT};
use qsign_client::{verify_request, Client, Key, Payload, RequestId, Signer, Status};
use std::time::{Duration, Instant};

/// Requests per `request_signature` extrinsic (the runtime's `MaxBatch`).
const BATCH: usize = 16;

/// Validators of a local network; the first one (Alice) is everyone's bootnode.
struct Network {
	dir: tempfile::TempDir,
	chain: &'static str,
	names: Vec<&'static str>,
	nodes: Vec<Option<NodeProcess>>,
}

impl Network {
	fn start(chain: &'static str, names: &[&'static str]) -> Self {
		let mut network = Self {
			dir: tempfile::tempdir().expect("temp dir"),
			chain,
			names: names.to_vec(),
			nodes: names.iter().map(|_| None).collect(),
		};
		for index in 0..names.len() {
			network.restart(index);
		}
		network
	}

	/// Starts validator `index` (again), with the same base path and network key.
	fn restart(&mut self, index: usize) {
		let name = self.names[index];
		let flag = format!("--{name}");
		let key = if index == 0 { ALICE_NODE_KEY.to_string() } else { node_key(index as u8 + 1) };
		let mut args =
			vec!["--chain", self.chain, flag.as_str(), "--validator", "--node-key", &key];
		let bootnode;
		if index > 0 {
			let alice = self.nodes[0].as_ref().expect("the bootnode runs");
			bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", alice.p2p_port);
			args.extend(["--bootnodes", &bootnode]);
		}
		args.extend(["-lqsign-mpc=debug"]);
		self.nodes[index] = Some(NodeProcess::start(name, self.dir.path(), &args));
	}

	/// Starts a full node (not a validator) connected to Alice, so that Alice keeps a peer and
	/// keeps authoring when the other validators are down (Aura does not author offline).
	fn start_observer(&self) -> NodeProcess {
		let alice = self.nodes[0].as_ref().expect("the bootnode runs");
		let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", alice.p2p_port);
		NodeProcess::start(
			"observer",
			self.dir.path(),
			&["--chain", self.chain, "--node-key", &node_key(99), "--bootnodes", &bootnode],
		)
	}

	fn kill(&mut self, index: usize) {
		if let Some(mut node) = self.nodes[index].take() {
			node.kill();
		}
	}

	/// A client of Alice's node (waits until it answers).
	fn client(&self) -> Client {
		let alice = self.nodes[0].as_ref().expect("alice runs");
		let client = Client::new(&format!("http://127.0.0.1:{}", alice.rpc_port)).unwrap();
		let start = Instant::now();
		while client.chain_info().is_err() {
			assert!(start.elapsed() < LIVENESS_TIMEOUT, "alice never answered RPC");
			std::thread::sleep(Duration::from_millis(500));
		}
		client
	}

	/// The last lines of every running node's log, for failure messages.
	fn logs(&self) -> String {
		self.nodes
			.iter()
			.flatten()
			.map(|n| format!("--- {} ---\n{}", n.name, n.log_tail(40)))
			.collect::<Vec<_>>()
			.join("\n")
	}

	/// Waits for the DKG's root key on-chain and creates a key for Alice.
	fn ready_key(&self, client: &Client) -> Key {
		client
			.wait_for_root_key(LIVENESS_TIMEOUT)
			.unwrap_or_else(|e| panic!("no root key: {e}\n{}", self.logs()));
		client
			.request_key(&alice(), b"multinode-mpc", LIVENESS_TIMEOUT)
			.unwrap_or_else(|e| panic!("request_key: {e}\n{}", self.logs()))
	}
}

fn alice() -> Signer {
	Signer::from_suri("//Alice").unwrap()
}

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
