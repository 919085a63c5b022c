//! The destination side against a real EVM node (anvil, installed from npm by
//! `scripts/setup.sh`): a signed transaction is accepted and found included; sending it again
//! is harmless; a different transaction with a used nonce is "nonce too low"; an unfunded
//! sender is refused with the node's reason; a wrong chain id is a configuration error.

mod anvil;

use anvil::anvil_binary;
use std::{
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use qsign_cco::{
	alloy::{
		primitives::{keccak256, Address, Bytes, U256},
		providers::{DynProvider, Provider, ProviderBuilder},
	},
	config::Destination,
	destination::{DestinationChain, SendError},
};
use serde_json::json;

const CHAIN_ID: u64 = 31337;

struct Anvil {
	child: Child,
	url: String,
}

impl Drop for Anvil {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn start_anvil() -> Anvil {
	let binary = anvil_binary();
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let child = Command::new(binary)
		.args(["--port", &port.to_string(), "--chain-id", &CHAIN_ID.to_string()])
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("anvil starts");
	Anvil { child, url: format!("http://127.0.0.1:{port}") }
}

/// anvil, started and answering, its destination and a provider for it.
async fn start_answering_anvil() -> (Anvil, DestinationChain, DynProvider) {
	let anvil = start_anvil();
	let chain = destination(&anvil.url, CHAIN_ID);
	let start = Instant::now();
	while chain.check_chain_id().await.is_err() {
		assert!(start.elapsed() < Duration::from_secs(60), "anvil never answered");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let provider = ProviderBuilder::new().connect_http(anvil.url.parse().unwrap()).erased();
	(anvil, chain, provider)
}

fn destination(url: &str, chain_id: u64) -> DestinationChain {
	DestinationChain::new(Destination { chain_id, rpc_url: url.into(), confirmations: 1 }).unwrap()
}

/// anvil's first dev account (unlocked: anvil signs for it).
const DEV_ACCOUNT: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// An EIP-1559 transfer from the dev account with `nonce`, signed by anvil
/// (`eth_signTransaction`); returns the raw transaction and its hash.
async fn signed_transfer(provider: &DynProvider, nonce: u64, value: u64) -> (Vec<u8>, [u8; 32]) {
	let request = json!({
		"from": DEV_ACCOUNT,
		"to": "0x4242424242424242424242424242424242424242",
		"value": format!("{value:#x}"),
		"nonce": format!("{nonce:#x}"),
		"gas": "0x5208",
		"maxFeePerGas": "0x4a817c800",
		"maxPriorityFeePerGas": "0x3b9aca00",
		"chainId": format!("{CHAIN_ID:#x}"),
	});
	let raw: Bytes =
		provider.raw_request("eth_signTransaction".into(), (request,)).await.expect("anvil signs");
	let hash = keccak256(&raw).0;
	(raw.to_vec(), hash)
}

#[tokio::test]
async fn sends_finds_receipts_and_classifies_refusals() {
	let (anvil, chain, provider) = start_answering_anvil().await;
	let dev: Address = DEV_ACCOUNT.parse().unwrap();

	// Accepted, and (anvil mines at once) included.
	let (raw, hash) = signed_transfer(&provider, 0, 1_000).await;
	assert_eq!(chain.inclusion(hash).await.unwrap(), None);
	chain.send(&raw).await.unwrap();
	let start = Instant::now();
	let included = loop {
		if let Some(included) = chain.inclusion(hash).await.unwrap() {
			break included;
		}
		assert!(start.elapsed() < Duration::from_secs(60), "never included");
		tokio::time::sleep(Duration::from_millis(100)).await;
	};
	assert!(included.success);
	assert!(chain.head().await.unwrap() >= included.block);

	// Sending it again is harmless: accepted, or "nonce too low" with its receipt on chain.
	match chain.send(&raw).await {
		Ok(()) | Err(SendError::NonceTooLow(_)) => {}
		other => panic!("resending an included transaction: {other:?}"),
	}
	// Another transaction with the same nonce can never be included.
	let (other, _) = signed_transfer(&provider, 0, 2_000).await;
	assert!(matches!(chain.send(&other).await, Err(SendError::NonceTooLow(_))));

	// A sender without funds: refused with the node's reason, to be retried later.
	let (raw, _) = signed_transfer(&provider, 1, 1_000).await;
	let _: () = provider.raw_request("anvil_setBalance".into(), (dev, U256::ZERO)).await.unwrap();
	match chain.send(&raw).await {
		Err(SendError::Rejected(reason)) => {
			assert!(reason.to_lowercase().contains("funds"), "{reason}")
		}
		other => panic!("an unfunded sender: {other:?}"),
	}

	// Garbage is refused, not a panic.
	assert!(matches!(chain.send(&[0x02, 0xc0]).await, Err(SendError::Rejected(_))));

	// The configured chain id must be the endpoint's.
	let wrong = destination(&anvil.url, 1);
	let error = wrong.check_chain_id().await.unwrap_err().to_string();
	assert!(error.contains("serves chain 31337"), "{error}");
}

/// Issue 18: destinations are driven concurrently, each with a circuit breaker. Three chains'
/// jobs in one database: anvil's, a destination that accepts connections and never answers,
/// and one whose port is closed. anvil's transfers are all included and offered for reporting
/// while the hung destination's job is still waiting for its first answer; the closed one's
/// breaker opens after failures in a row and its job stays queued with the reason recorded.
/// Bytes that are no transaction are abandoned with the reason, never sent.
#[tokio::test]
async fn a_dead_destination_holds_up_only_its_own_jobs() {
	use qsign_cco::{
		driver::{BreakerState, DestinationDriver, BREAKER_THRESHOLD},
		job::{Job, JobState},
		store::Store,
	};
	use std::sync::Arc;

	const HUNG: u64 = 1001;
	const CLOSED: u64 = 1002;
	let (anvil, _chain, provider) = start_answering_anvil().await;
	// Accepts connections (the kernel completes the handshake) and never reads or answers.
	let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let hung_url = format!("http://{}", hung.local_addr().unwrap());
	let closed_port =
		std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let closed_url = format!("http://127.0.0.1:{closed_port}");

	let dir = tempfile::tempdir().unwrap();
	let store = Arc::new(Store::open(&dir.path().join("cco.redb")).unwrap());
	let mut jobs = Vec::new();
	for nonce in 0..5u64 {
		let (raw, hash) = signed_transfer(&provider, nonce, 1_000 + nonce).await;
		jobs.push(Job::new(nonce, CHAIN_ID, hash, raw, 1));
	}
	let (raw, hash) = signed_transfer(&provider, 9, 1).await;
	jobs.push(Job::new(100, HUNG, hash, raw.clone(), 1));
	jobs.push(Job::new(101, CLOSED, hash, raw, 1));
	// Bytes that are no transaction, announced for anvil's chain: abandoned, never sent.
	jobs.push(Job::new(102, CHAIN_ID, [9; 32], vec![0x02, 0xc0], 1));
	store.commit_block(1, &jobs).unwrap();

	let metrics = Arc::new(qsign_cco::metrics::Metrics::new().unwrap());
	let (ready_tx, mut ready) = tokio::sync::mpsc::channel(64);
	let interval = Duration::from_millis(100);
	let mut health = Vec::new();
	let drivers_started = Instant::now();
	for (chain_id, url) in [(CHAIN_ID, anvil.url.clone()), (HUNG, hung_url), (CLOSED, closed_url)] {
		let driver =
			DestinationDriver::new(destination(&url, chain_id), store.clone(), metrics.clone());
		health.push((chain_id, driver.health()));
		tokio::spawn(driver.run(interval, ready_tx.clone()));
	}

	// anvil's five transfers are offered for reporting (each possibly several times).
	let mut offered = std::collections::BTreeSet::new();
	while offered.len() < 5 {
		let job = tokio::time::timeout(Duration::from_secs(120), ready.recv())
			.await
			.expect("anvil's jobs are offered for reporting")
			.unwrap();
		assert_eq!(job.chain_id, CHAIN_ID, "only included jobs are offered: {job:?}");
		assert!(matches!(job.state, JobState::Included { .. }), "{job:?}");
		offered.insert(job.request_id);
	}
	// Meanwhile the hung destination has not answered its first call: its job is untouched.
	// (Its first call gives up after the RPC time-out: checked only if anvil's jobs were done
	// before that, which they are by far unless the machine is starved.)
	let stuck = store.job(100).unwrap().unwrap();
	if drivers_started.elapsed() < qsign_cco::destination::RPC_TIMEOUT {
		assert_eq!((stuck.state.clone(), stuck.failures), (JobState::Queued, 0), "{stuck:?}");
	} else {
		eprintln!("anvil's jobs took longer than the RPC time-out; the hung job is not checked");
	}
	assert_eq!(stuck.state, JobState::Queued, "never sent: {stuck:?}");

	// The closed port's breaker opens (its passes come every 100 ms).
	let closed_health = health.iter().find(|(id, _)| *id == CLOSED).unwrap().1.clone();
	let start = Instant::now();
	loop {
		let h = closed_health.lock().unwrap().clone();
		if h.breaker != BreakerState::Closed {
			assert!(h.consecutive_failures >= BREAKER_THRESHOLD, "{h:?}");
			assert!(h.last_error.is_some(), "{h:?}");
			break;
		}
		assert!(start.elapsed() < Duration::from_secs(60), "the breaker never opened: {h:?}");
		tokio::time::sleep(interval).await;
	}
	let refused = store.job(101).unwrap().unwrap();
	assert_eq!(refused.state, JobState::Queued);
	assert!(refused.failures >= 1 && refused.last_error.is_some(), "{refused:?}");
	for id in 0..5 {
		assert!(matches!(store.job(id).unwrap().unwrap().state, JobState::Included { .. }));
	}
	let abandoned = store.job(102).unwrap().unwrap();
	assert!(
		matches!(&abandoned.state, JobState::Failed { reason } if reason.contains("abandoned: not a signed transaction")),
		"{abandoned:?}"
	);
	// The sends are counted by chain and result: anvil's five, once each.
	let text = String::from_utf8(metrics.text()).unwrap();
	assert!(
		text.contains(&format!("cco_sends_total{{chain=\"{CHAIN_ID}\",result=\"sent\"}} 5")),
		"{text}"
	);
	// The closed port's job was never sent: looking for its receipt already failed.
	assert!(!text.contains(&format!("cco_sends_total{{chain=\"{CLOSED}\"")), "{text}");
	drop(hung);
}
