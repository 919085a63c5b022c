//! The destination side against a real EVM node (anvil, installed from npm by
//! `scripts/setup.sh`): a signed transaction is accepted and found included; sending it again
//! is harmless; a different transaction with a used nonce is "nonce too low"; an unfunded
//! sender is refused with the node's reason; a wrong chain id is a configuration error.

use std::{
	path::Path,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use qsign_cco::{
	alloy::{
		consensus::{SignableTransaction, TxEip1559},
		eips::{eip2718::Encodable2718, eip2930::AccessList},
		primitives::{Address, Bytes, Signature, TxKind, U256},
		providers::{Provider, ProviderBuilder},
	},
	config::Destination,
	destination::{DestinationChain, SendError},
};

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
	let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
	assert!(binary.exists(), "{} is missing: run scripts/setup.sh (npm ci)", binary.display());
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let child = Command::new(binary)
		.args(["--port", &port.to_string(), "--chain-id", &CHAIN_ID.to_string()])
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("anvil starts");
	Anvil { child, url: format!("http://127.0.0.1:{port}") }
}

fn destination(url: &str, chain_id: u64) -> DestinationChain {
	DestinationChain::new(Destination { chain_id, rpc_url: url.into(), confirmations: 1 }).unwrap()
}

/// An EIP-1559 transfer from `key`, signed locally; returns the raw transaction and its hash.
fn signed_transfer(key: &k256::ecdsa::SigningKey, nonce: u64, value: u64) -> (Vec<u8>, [u8; 32]) {
	let tx = TxEip1559 {
		chain_id: CHAIN_ID,
		nonce,
		gas_limit: 21_000,
		max_fee_per_gas: 20_000_000_000,
		max_priority_fee_per_gas: 1_000_000_000,
		to: TxKind::Call(Address::repeat_byte(0x42)),
		value: U256::from(value),
		access_list: AccessList::default(),
		input: Bytes::new(),
	};
	let (signature, recovery) =
		key.sign_prehash_recoverable(tx.signature_hash().as_slice()).expect("signs");
	let signed = tx.into_signed(Signature::from((signature, recovery)));
	(signed.encoded_2718(), signed.hash().0)
}

fn address(key: &k256::ecdsa::SigningKey) -> Address {
	Address::from_public_key(key.verifying_key())
}

#[tokio::test]
async fn sends_finds_receipts_and_classifies_refusals() {
	let anvil = start_anvil();
	let chain = destination(&anvil.url, CHAIN_ID);
	let start = Instant::now();
	while chain.check_chain_id().await.is_err() {
		assert!(start.elapsed() < Duration::from_secs(60), "anvil never answered");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let funded = k256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
	let provider = ProviderBuilder::new().connect_http(anvil.url.parse().unwrap());
	let _: () = provider
		.raw_request("anvil_setBalance".into(), (address(&funded), U256::from(10u128.pow(18))))
		.await
		.unwrap();

	// Accepted, and (anvil mines at once) included.
	let (raw, hash) = signed_transfer(&funded, 0, 1_000);
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
	let (other, _) = signed_transfer(&funded, 0, 2_000);
	assert!(matches!(chain.send(&other).await, Err(SendError::NonceTooLow(_))));

	// An unfunded sender: refused with the node's reason, to be retried later.
	let unfunded = k256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
	let (raw, _) = signed_transfer(&unfunded, 0, 1_000);
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
