//! Multi-node tier, Cross-Chain Oracle: a real EVM chain (anvil, installed from npm by
//! `scripts/setup.sh`), three validators signing with threshold ECDSA, and the `cco` relayer
//! as real processes.
//!
//! A key's derived Ethereum address is funded on anvil; `QSignTx` (request_broadcast) transfers
//! from it are signed by the committee, broadcast by the relayer, and reported back: each
//! request ends `Broadcast` with the destination transaction hash and block, which anvil's
//! receipts confirm, and the recipient's balance changes. Two relayers run at once in the first
//! phase (nothing is reported twice), serving two destination chains, one of which is down at
//! first and then refuses the transaction (no funds) until it is funded (retried, never
//! dropped); in the second phase, the relayer is killed while requests are in flight and
//! restarted (nothing is missed, nothing is doubled). Each relayer's preferred QSign node is
//! down: it fails over to the next node its configuration lists, and reads requests through the
//! runtime API.

#[path = "../../../cco/tests/anvil/mod.rs"]
mod anvil;
use anvil::anvil_binary;

use crate::common::{
	free_port,
	network::{alice, Network},
	parse_hex_u64, rpc_call, Process, LIVENESS_TIMEOUT,
};
use qsign_cco::alloy::{
	consensus::{SignableTransaction, TxEip1559},
	eips::eip2930::AccessList,
	primitives::{Address, Bytes, TxKind, U256},
};
use qsign_client::{Client, RequestId, Status};
use serde_json::{json, Value};
use std::{
	path::{Path, PathBuf},
	process::Command,
	time::{Duration, Instant},
};

/// The first anvil's chain id.
const CHAIN_ID: u64 = 31337;
/// The second anvil's chain id (a destination that is down at first).
const SECOND_CHAIN_ID: u64 = 31338;
/// anvil's first dev account (unlocked, funded).
const ANVIL_DEV_ACCOUNT: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// Where the transfers go.
const RECIPIENT: &str = "0x00000000000000000000000000000000000c0ffe";
/// Wei per transfer.
const VALUE: u64 = 1_000_000_007;

/// The `cco` binary, built next to `qsign-node` by the workspace build.
fn cco_binary() -> PathBuf {
	let path = Path::new(env!("CARGO_BIN_EXE_qsign-node")).with_file_name("cco");
	assert!(path.exists(), "{} is missing: build the workspace's binaries", path.display());
	path
}

struct Anvil {
	process: Process,
	port: u16,
}

impl Anvil {
	fn start(chain_id: u64, port: u16) -> Self {
		let process = Process::spawn(
			&format!("anvil-{chain_id}"),
			Command::new(anvil_binary()).args([
				"--port",
				&port.to_string(),
				"--chain-id",
				&chain_id.to_string(),
				"--block-time",
				"1",
			]),
		);
		let anvil = Self { process, port };
		let start = Instant::now();
		while anvil.rpc("eth_chainId", json!([])).is_err() {
			assert!(start.elapsed() < LIVENESS_TIMEOUT, "anvil never answered");
			std::thread::sleep(Duration::from_millis(200));
		}
		anvil
	}

	fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc_call(self.port, method, params)
	}

	fn number(&self, method: &str, params: Value) -> u128 {
		let value = self.rpc(method, params).unwrap_or_else(|e| panic!("{method}: {e}"));
		u128::from_str_radix(value.as_str().expect("hex").trim_start_matches("0x"), 16).unwrap()
	}

	fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}
}

/// A `cco run` process with its own database.
struct Relayer {
	process: Option<Process>,
	config: PathBuf,
	name: String,
}

impl Relayer {
	fn new(
		dir: &Path,
		name: &str,
		signer: &str,
		qsign_port: u16,
		anvil: &Anvil,
		second_port: u16,
	) -> Self {
		let config = dir.join(format!("{name}.toml"));
		// The preferred QSign node is down: the relayer fails over to the next one listed.
		let dead_port = free_port();
		std::fs::write(
			&config,
			format!(
				"qsign_url = \"ws://127.0.0.1:{dead_port}\"\n\
				 qsign_fallback_urls = [\"ws://127.0.0.1:{qsign_port}\"]\n\
				 database = \"{name}.redb\"\n\
				 signer = \"{signer}\"\n\
				 [[destination]]\n\
				 chain_id = {CHAIN_ID}\n\
				 rpc_url = \"{}\"\n\
				 confirmations = 2\n\
				 [[destination]]\n\
				 chain_id = {SECOND_CHAIN_ID}\n\
				 rpc_url = \"http://127.0.0.1:{second_port}\"\n",
				anvil.url()
			),
		)
		.unwrap();
		let mut relayer = Self { process: None, config, name: name.into() };
		relayer.start();
		relayer
	}

	fn start(&mut self) {
		self.process = Some(Process::spawn(
			&self.name,
			Command::new(cco_binary())
				.args(["run", "--interval", "1", "--config"])
				.arg(&self.config)
				.env("RUST_LOG", "info"),
		));
	}

	fn kill(&mut self) {
		if let Some(mut process) = self.process.take() {
			process.kill();
		}
	}

	fn log_tail(&self) -> String {
		self.process
			.as_ref()
			.map(|p| format!("--- {} ---\n{}", p.name, p.log_tail(40)))
			.unwrap_or_default()
	}

	/// Waits until the relayer's status shows `request_id` with an error containing `text`.
	fn wait_for_error(&self, request_id: RequestId, text: &str) -> Value {
		let start = Instant::now();
		loop {
			if let Ok(status) = self.try_status() {
				let job = status["jobs"]
					.as_array()
					.and_then(|jobs| jobs.iter().find(|j| j["requestId"] == request_id).cloned());
				if let Some(job) = job {
					let error = job["lastError"].as_str().unwrap_or_default().to_lowercase();
					if error.contains(text) {
						return job;
					}
				}
			}
			assert!(
				start.elapsed() < LIVENESS_TIMEOUT,
				"request {request_id} never showed an error with {text:?}\n{}",
				self.log_tail()
			);
			std::thread::sleep(Duration::from_millis(200));
		}
	}

	fn try_status(&self) -> Result<Value, String> {
		let path = self.config.with_file_name(format!("{}.redb.status.json", self.name));
		let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
		serde_json::from_str(&text).map_err(|e| e.to_string())
	}

	/// The relayer's status file.
	fn status(&self) -> Value {
		let path = self.config.with_file_name(format!("{}.redb.status.json", self.name));
		serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
	}
}

/// The unsigned EIP-1559 transfer with `nonce` (its signing payload, `0x02 ‖ rlp(…)`).
fn transfer(chain_id: u64, nonce: u64) -> Vec<u8> {
	TxEip1559 {
		chain_id,
		nonce,
		gas_limit: 21_000,
		max_fee_per_gas: 50_000_000_000,
		max_priority_fee_per_gas: 1_000_000_000,
		to: TxKind::Call(RECIPIENT.parse::<Address>().unwrap()),
		value: U256::from(VALUE),
		access_list: AccessList::default(),
		input: Bytes::new(),
	}
	.encoded_for_signing()
}

fn request_transfers(
	client: &Client,
	key_id: u64,
	chain_id: u64,
	nonces: std::ops::Range<u64>,
) -> Vec<RequestId> {
	nonces
		.map(|nonce| {
			let tx = transfer(chain_id, nonce);
			client
				.request_broadcast(&alice(), key_id, chain_id, &tx, None, LIVENESS_TIMEOUT)
				.unwrap_or_else(|e| panic!("request_broadcast (nonce {nonce}): {e}"))
		})
		.collect()
}

/// Waits until every request is at least `Signed` (`broadcast_too`: `Broadcast`).
fn wait_for_status(
	client: &Client,
	ids: &[RequestId],
	broadcast_too: bool,
	context: &dyn Fn() -> String,
) -> Vec<Status> {
	let start = Instant::now();
	loop {
		let statuses: Vec<Status> = ids
			.iter()
			.map(|id| client.request_status(*id).unwrap().expect("request exists").status)
			.collect();
		let done = statuses.iter().all(|s| match s {
			Status::Broadcast { .. } => true,
			Status::Signed { .. } => !broadcast_too,
			Status::Pending => false,
			other => panic!("a request ended {other:?}\n{}", context()),
		});
		if done {
			return statuses;
		}
		assert!(
			start.elapsed() < LIVENESS_TIMEOUT,
			"timed out; statuses {statuses:?}\n{}",
			context()
		);
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// Counts `QSign::Broadcast` events per request over every block up to the finalized one.
fn broadcast_events(client: &Client) -> std::collections::BTreeMap<RequestId, usize> {
	let mut counts = std::collections::BTreeMap::new();
	let finalized = client.finalized_number().unwrap();
	for number in 1..=finalized {
		let hash = client.block_hash(number).unwrap().expect("finalized block");
		for record in client.events(hash).unwrap() {
			if let qsign_runtime::RuntimeEvent::QSign(pallet_qsign::Event::Broadcast {
				request_id,
				..
			}) = record.event
			{
				*counts.entry(request_id).or_insert(0) += 1;
			}
		}
	}
	counts
}

#[test]
fn multinode_cco_relays_signed_transfers_to_anvil_and_reports_them_once() {
	let anvil = Anvil::start(CHAIN_ID, free_port());
	let second_port = free_port();
	let network = Network::start("local", &["alice", "bob", "charlie"]);
	let client = network.client();
	client
		.wait_for_root_key(LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("no root key: {e}\n{}", network.logs()));
	let key = client.request_key(&alice(), b"cco/anvil", LIVENESS_TIMEOUT).unwrap();

	// Fund the key's derived address on the destination chain.
	let from = key.ethereum_address.clone();
	let funding = anvil
		.rpc(
			"eth_sendTransaction",
			json!([{"from": ANVIL_DEV_ACCOUNT, "to": from, "value": "0xde0b6b3a7640000"}]),
		)
		.unwrap();
	let start = Instant::now();
	while anvil.rpc("eth_getTransactionReceipt", json!([funding])).unwrap().is_null() {
		assert!(start.elapsed() < LIVENESS_TIMEOUT, "funding never mined");
		std::thread::sleep(Duration::from_millis(200));
	}
	assert_eq!(anvil.number("eth_getBalance", json!([from, "latest"])), 10u128.pow(18));

	let dir = tempfile::tempdir().unwrap();
	let qsign_port = network.nodes[0].as_ref().unwrap().rpc_port;
	let mut relayer =
		Relayer::new(dir.path(), "relayer-a", "//Ferdie", qsign_port, &anvil, second_port);
	let mut second =
		Relayer::new(dir.path(), "relayer-b", "//Eve", qsign_port, &anvil, second_port);
	let logs = |relayers: &[&Relayer]| {
		let mut text = network.logs();
		for r in relayers {
			text.push('\n');
			text.push_str(&r.log_tail());
		}
		let anvil = &anvil.process;
		text.push_str(&format!("\n--- {} ---\n{}", anvil.name, anvil.log_tail(20)));
		text
	};

	// Phase 1: two relayers at once.
	let mut ids = request_transfers(&client, key.key_id, CHAIN_ID, 0..2);
	wait_for_status(&client, &ids, true, &|| logs(&[&relayer, &second]));

	// A second destination, down at first, then refusing (the sender has no funds there),
	// then working: the job is retried with backoff, its error is in the status file, and it
	// is never dropped.
	let late = request_transfers(&client, key.key_id, SECOND_CHAIN_ID, 0..1);
	wait_for_status(&client, &late, false, &|| logs(&[&relayer, &second]));
	relayer.wait_for_error(late[0], &format!("destination chain {SECOND_CHAIN_ID}"));
	let second_anvil = Anvil::start(SECOND_CHAIN_ID, second_port);
	let job = relayer.wait_for_error(late[0], "funds");
	assert_eq!(job["state"]["state"], "queued", "{job}");
	second_anvil.rpc("anvil_setBalance", json!([from, "0xde0b6b3a7640000"])).unwrap();
	let statuses = wait_for_status(&client, &late, true, &|| logs(&[&relayer, &second]));
	let Status::Broadcast { tx_hash, .. } = &statuses[0] else { unreachable!() };
	let receipt = second_anvil
		.rpc("eth_getTransactionReceipt", json!([format!("0x{}", hex::encode(tx_hash))]))
		.unwrap();
	assert_eq!(receipt["status"], "0x1", "{receipt}");
	assert_eq!(
		second_anvil.number("eth_getBalance", json!([RECIPIENT, "latest"])),
		u128::from(VALUE)
	);
	second.kill();

	// Phase 2: the relayer dies while requests are being signed and broadcast, and restarts.
	ids.extend(request_transfers(&client, key.key_id, CHAIN_ID, 2..6));
	let start = Instant::now();
	while !ids[2..].iter().any(|id| {
		client.request_status(*id).unwrap().is_some_and(|r| r.status.signature().is_some())
	}) {
		assert!(start.elapsed() < LIVENESS_TIMEOUT, "phase 2 never signed\n{}", logs(&[&relayer]));
		std::thread::sleep(Duration::from_millis(200));
	}
	relayer.kill();
	// While it is down, the rest get signed; none can be reported.
	wait_for_status(&client, &ids[2..], false, &|| logs(&[]));
	relayer.start();
	let statuses = wait_for_status(&client, &ids, true, &|| logs(&[&relayer]));

	// Every request carries the destination transaction's hash and block, as anvil has them.
	for (id, status) in ids.iter().zip(&statuses) {
		let Status::Broadcast { tx_hash, destination_block, .. } = status else { unreachable!() };
		let receipt = anvil
			.rpc("eth_getTransactionReceipt", json!([format!("0x{}", hex::encode(tx_hash))]))
			.unwrap();
		assert!(!receipt.is_null(), "request {id}: no receipt for its reported hash");
		assert_eq!(receipt["status"], "0x1", "request {id}: {receipt}");
		assert_eq!(
			parse_hex_u64(receipt["blockNumber"].as_str().unwrap()),
			Some(*destination_block),
			"request {id}"
		);
		let signed_tx = client.request_status(*id).unwrap().unwrap().signed_tx.expect("signed tx");
		assert_eq!(
			qsign_cco::alloy::primitives::keccak256(&signed_tx).0,
			*tx_hash,
			"request {id}: tx id is its hash"
		);
	}

	// The transfers happened exactly once each.
	assert_eq!(anvil.number("eth_getBalance", json!([RECIPIENT, "latest"])), 6 * u128::from(VALUE));
	assert_eq!(anvil.number("eth_getTransactionCount", json!([from, "latest"])), 6);
	// The restarted relayer marks a job reported once its report is finalized: then every
	// report is in a finalized block, and each request was reported once on QSign, although
	// two relayers served phase 1 and the relayer restarted in phase 2.
	let start = Instant::now();
	while relayer.status()["counts"]["reported"] != 7 {
		assert!(
			start.elapsed() < LIVENESS_TIMEOUT,
			"the relayer never saw its reports finalized: {:#}\n{}",
			relayer.status(),
			logs(&[&relayer])
		);
		std::thread::sleep(Duration::from_millis(500));
	}
	let reported = broadcast_events(&client);
	for id in ids.iter().chain(&late) {
		assert_eq!(reported.get(id), Some(&1), "request {id}: Broadcast events {reported:?}");
	}
}
