//! `qsign-demo`: one key and one signature end to end against a running `qsign-node`.
//!
//! Waits (bounded) until the committee's root key is on chain, requests a key for
//! `(account, path)`, prints its id, public key and Ethereum and Bitcoin addresses (checked
//! against a local derivation from the root key), requests a signature over `--message`
//! (Keccak-256 on-chain), waits until the request is signed, failed or expired, and verifies
//! the signature locally against the derived key.
//!
//! With `--evm-rpc URL` it then shows `QSignTx`: it funds the key's Ethereum address from
//! `--evm-funder` (an unlocked account of a dev chain such as anvil) if it holds too little,
//! asks QSign to sign an EIP-1559 transfer from it, waits until a Cross-Chain Oracle (`cco`)
//! has broadcast it and reported it on QSign, and checks the receipt on the EVM chain.
//!
//! Usage: `qsign-demo [--rpc http://127.0.0.1:9944] [--suri //Alice] [--path P]
//! [--message M] [--root-key-timeout SECS] [--timeout SECS]`. Exit code 0 when the signature
//! verifies, 1 on any failure, 2 for bad arguments.

use std::{
	process::ExitCode,
	time::{Duration, Instant},
};

use clap::{error::ErrorKind, CommandFactory, Parser};
use qsign_client::{
	bitcoin_address, cli, derive_key, ethereum_address, evm, to_hex, verify_request,
	BitcoinNetwork, Client, Key, Payload, RpcClient, Signer, Status,
};
use serde_json::{json, Value};
use sp_core::crypto::Ss58Codec;

/// One key and one signature end to end against a running qsign-node.
#[derive(Parser)]
#[command(name = "qsign-demo", version)]
struct Cli {
	/// RPC URL of a qsign-node (HTTP).
	#[arg(long, default_value = "http://127.0.0.1:9944", value_parser = cli::parse_url)]
	rpc: String,
	/// Secret URI of the account that owns the key and pays the fees and deposits.
	#[arg(long, default_value = "//Alice")]
	suri: String,
	/// Derivation path of the key.
	#[arg(long, default_value = "qsign-demo", value_parser = cli::parse_path)]
	path: String,
	/// Data to sign (hashed with Keccak-256 on-chain).
	#[arg(long, default_value = "hello from qsign-demo", value_parser = parse_message)]
	message: String,
	/// Seconds to wait for the committee's root key.
	#[arg(long, default_value = "300", value_parser = cli::parse_secs)]
	root_key_timeout: u64,
	/// Seconds to wait for each transaction's inclusion and for the signature.
	#[arg(long, default_value = "120", value_parser = cli::parse_secs)]
	timeout: u64,
	/// JSON-RPC URL (HTTP) of an EVM chain served by a running `cco`: also demo QSignTx.
	#[arg(long, value_parser = cli::parse_url)]
	evm_rpc: Option<String>,
	/// Unlocked account of the EVM dev chain that funds the key's address (anvil's first).
	#[arg(long, default_value = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", value_parser = parse_evm_address)]
	evm_funder: String,
}

fn parse_evm_address(text: &str) -> Result<String, String> {
	evm::parse_address(text).map(|_| text.to_string())
}

fn parse_message(text: &str) -> Result<String, String> {
	let max = qsign_client::tx::max_data_len() as usize;
	if text.is_empty() || text.len() > max {
		return Err(format!("expected 1 to {max} bytes, got {}", text.len()));
	}
	Ok(text.to_string())
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let signer = Signer::from_suri(&cli.suri).unwrap_or_else(|e| {
		Cli::command().error(ErrorKind::ValueValidation, format!("--suri: {e}")).exit()
	});
	match run(&cli, &signer) {
		Ok(()) => ExitCode::SUCCESS,
		Err(message) => {
			eprintln!("qsign-demo: FAILED: {message}");
			ExitCode::FAILURE
		}
	}
}

fn run(cli: &Cli, signer: &Signer) -> Result<(), String> {
	let client = Client::new(&cli.rpc).map_err(|e| e.to_string())?;
	let timeout = Duration::from_secs(cli.timeout);
	let owner = signer.account_id();

	let chain =
		client.chain_info().map_err(|e| format!("cannot talk to the node at {}: {e}", cli.rpc))?;
	println!(
		"node {}: genesis {}, spec version {}, transaction version {}",
		cli.rpc,
		to_hex(chain.genesis_hash.as_bytes()),
		chain.spec_version,
		chain.transaction_version
	);
	let committee = client.committee().map_err(|e| format!("reading the committee: {e}"))?;
	println!(
		"committee {}: {} members, threshold {}",
		committee.committee_id,
		committee.authorities.len(),
		committee.threshold
	);

	let root = match committee.root_key {
		Some(root) => root,
		None => {
			println!(
				"waiting up to {} s for the committee's root key (DKG)...",
				cli.root_key_timeout
			);
			client.wait_for_root_key(Duration::from_secs(cli.root_key_timeout)).map_err(|e| {
				format!(
					"{e}: the committee's DKG has not put a root key on chain (is the MPC \
					 worker running on at least {} of the {} validators?)",
					committee.threshold,
					committee.authorities.len()
				)
			})?
		}
	};
	println!("root key: {}", to_hex(&root));

	println!("account: {}", owner.to_ss58check());
	let key = client
		.request_key(signer, cli.path.as_bytes(), timeout)
		.map_err(|e| format!("request_key: {e}"))?;
	println!("key {} (path {:?}, created in block #{})", key.key_id, cli.path, key.created_at);
	println!("  public key:       {}", to_hex(&key.public_key));
	println!("  ethereum address: {}", key.ethereum_address);
	println!("  bitcoin address:  {} (the node's network)", key.bitcoin_address);
	let mainnet = bitcoin_address(&key.public_key, BitcoinNetwork::Mainnet)
		.map_err(|e| format!("bitcoin address: {e}"))?;
	println!("  bitcoin mainnet:  {mainnet}");

	let derived = derive_key(&root, owner, cli.path.as_bytes())
		.map_err(|e| format!("local derivation failed: {e}"))?;
	if derived != key.public_key {
		return Err(format!(
			"the chain's key {} differs from the local derivation {} from the root key",
			to_hex(&key.public_key),
			to_hex(&derived)
		));
	}
	let ethereum = ethereum_address(&key.public_key).map_err(|e| format!("address: {e}"))?;
	if ethereum != key.ethereum_address {
		return Err(format!(
			"the node's Ethereum address {} differs from the local one {ethereum}",
			key.ethereum_address
		));
	}
	println!("  derived locally from the root key: same key and address");

	let payload = Payload::keccak256(cli.message.as_bytes().to_vec());
	let message_hash = payload.message_hash();
	let started = Instant::now();
	let ids = client
		.request_signature(signer, key.key_id, std::slice::from_ref(&payload), None, None, timeout)
		.map_err(|e| format!("request_signature: {e}"))?;
	let [request_id] = ids[..] else {
		return Err(format!("expected one request id, the chain created {ids:?}"));
	};
	println!("request {request_id}: sign keccak256({:?}) = {}", cli.message, to_hex(&message_hash));
	println!("waiting up to {} s for the committee...", cli.timeout);
	let request = client
		.wait_for_request(request_id, timeout)
		.map_err(|e| format!("waiting for request {request_id}: {e}"))?;
	let elapsed = started.elapsed().as_secs_f64();
	match &request.status {
		Status::Signed { .. } | Status::Broadcast { .. } => {}
		Status::Failed { reason } => {
			return Err(format!("request {request_id} failed after {elapsed:.1} s: {reason}"))
		}
		Status::Expired => {
			return Err(format!(
				"request {request_id} expired at block #{} unsigned",
				request.expires_at
			))
		}
		Status::Pending => return Err(format!("request {request_id} is still pending")),
	}
	let signature = verify_request(&request, &key.public_key, Some(&message_hash))
		.map_err(|e| e.to_string())?;
	println!("signed after {elapsed:.1} s (requested in block #{})", request.created_at);
	println!("  signature (r ‖ s ‖ v): {}", to_hex(&signature));
	println!("  r: {}", to_hex(&signature[..32]));
	println!("  s: {}", to_hex(&signature[32..64]));
	println!("  v: {} (Ethereum: {})", signature[64], u16::from(signature[64]) + 27);
	let recovered = qsign_primitives::signature::recover_public_key(&message_hash, &signature)
		.map_err(|e| format!("recovering the signer: {e}"))?;
	let recovered_address = ethereum_address(&recovered).map_err(|e| e.to_string())?;
	println!(
		"  verified locally against key {}: OK (ecrecover gives {recovered_address})",
		key.key_id
	);
	if let Some(evm_rpc) = &cli.evm_rpc {
		qsign_tx(cli, evm_rpc, &client, signer, &key)?;
	}
	Ok(())
}

/// Wei sent by the QSignTx demo.
const DEMO_VALUE: u128 = 1_000_000_000_000_000;
/// Recipient of the QSignTx demo.
const DEMO_RECIPIENT: &str = "0x000000000000000000000000000000000000dEaD";

fn evm_number(evm: &RpcClient, method: &str, params: Value) -> Result<u128, String> {
	let value = evm.call(method, params).map_err(|e| format!("{method}: {e}"))?;
	let text = value.as_str().ok_or_else(|| format!("{method}: not a hex number: {value}"))?;
	u128::from_str_radix(text.trim_start_matches("0x"), 16)
		.map_err(|e| format!("{method}: {text}: {e}"))
}

fn wait_for_receipt(evm: &RpcClient, hash: &str, timeout: Duration) -> Result<Value, String> {
	let start = Instant::now();
	loop {
		let receipt = evm
			.call("eth_getTransactionReceipt", json!([hash]))
			.map_err(|e| format!("eth_getTransactionReceipt: {e}"))?;
		if !receipt.is_null() {
			return Ok(receipt);
		}
		if start.elapsed() > timeout {
			return Err(format!("no receipt for {hash} after {} s", timeout.as_secs()));
		}
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// QSignTx: a transfer from the key's Ethereum address, signed by the committee, broadcast by
/// a Cross-Chain Oracle, reported on QSign, checked on the EVM chain.
fn qsign_tx(
	cli: &Cli,
	evm_rpc: &str,
	client: &Client,
	signer: &Signer,
	key: &Key,
) -> Result<(), String> {
	let timeout = Duration::from_secs(cli.timeout);
	let evm = RpcClient::new(evm_rpc).map_err(|e| e.to_string())?;
	let chain_id = evm_number(&evm, "eth_chainId", json!([]))?;
	let chain_id = u64::try_from(chain_id).map_err(|_| format!("chain id {chain_id} too large"))?;
	let from = &key.ethereum_address;
	println!("QSignTx on EVM chain {chain_id} ({evm_rpc}) from {from}:");

	let gas_price = evm_number(&evm, "eth_gasPrice", json!([]))?;
	let tip = 1_000_000_000u128;
	let max_fee = gas_price.saturating_mul(2).saturating_add(tip);
	let needed = DEMO_VALUE + max_fee * 21_000;
	let balance = evm_number(&evm, "eth_getBalance", json!([from, "latest"]))?;
	if balance < needed {
		let funding = evm
			.call(
				"eth_sendTransaction",
				json!([{"from": cli.evm_funder, "to": from, "value": format!("{:#x}", needed * 10)}]),
			)
			.map_err(|e| format!("funding {from} from {}: {e}", cli.evm_funder))?;
		let hash = funding.as_str().unwrap_or_default().to_string();
		wait_for_receipt(&evm, &hash, timeout)?;
		println!("  funded from {} ({hash})", cli.evm_funder);
	}
	let nonce = evm_number(&evm, "eth_getTransactionCount", json!([from, "pending"]))?;
	let recipient = evm::parse_address(DEMO_RECIPIENT)?;
	let before = evm_number(&evm, "eth_getBalance", json!([DEMO_RECIPIENT, "latest"]))?;
	let nonce = u64::try_from(nonce).map_err(|_| "nonce too large".to_string())?;
	let fees = evm::Fees { max_priority_fee_per_gas: tip, max_fee_per_gas: max_fee };
	let transfer = evm::UnsignedTx::transfer(chain_id, nonce, fees, recipient, DEMO_VALUE);
	let started = Instant::now();
	let request_id = client
		.request_broadcast(signer, key.key_id, chain_id, &transfer.signing_payload(), None, timeout)
		.map_err(|e| format!("request_broadcast: {e}"))?;
	println!(
		"  request {request_id}: transfer {DEMO_VALUE} wei to {DEMO_RECIPIENT} (nonce {nonce})"
	);
	let request = client
		.wait_for_request(request_id, timeout)
		.map_err(|e| format!("waiting for request {request_id}: {e}"))?;
	if request.status.signature().is_none() {
		return Err(format!("request {request_id} ended {:?}", request.status));
	}
	println!(
		"  signed after {:.1} s; message (sighash) {}",
		started.elapsed().as_secs_f64(),
		to_hex(&request.message_hash)
	);
	println!(
		"  waiting up to {} s for a Cross-Chain Oracle to broadcast and report it...",
		cli.timeout
	);
	let reported = loop {
		let request = client
			.request_status(request_id)
			.map_err(|e| e.to_string())?
			.ok_or_else(|| format!("request {request_id} disappeared"))?;
		if let Status::Broadcast { signature, tx_hash, destination_block } = request.status {
			break (signature, tx_hash, destination_block);
		}
		if started.elapsed() > timeout {
			return Err(format!(
				"request {request_id} is signed but no relayer reported it within {} s (is `cco` \
				 running for chain {chain_id}?)",
				cli.timeout
			));
		}
		std::thread::sleep(Duration::from_millis(500));
	};
	let (signature, tx_hash, destination_block) = reported;
	let tx_id = to_hex(&tx_hash);
	println!(
		"  broadcast and reported after {:.1} s: tx id {tx_id} in EVM block {destination_block}",
		started.elapsed().as_secs_f64()
	);
	println!("  signature (r ‖ s ‖ v): {}", to_hex(&signature));
	let receipt = wait_for_receipt(&evm, &tx_id, timeout)?;
	let block = receipt["blockNumber"].as_str().unwrap_or_default();
	let block = u64::from_str_radix(block.trim_start_matches("0x"), 16).ok();
	if receipt["status"] != "0x1" || block != Some(destination_block) {
		return Err(format!("the EVM chain's receipt does not match the report: {receipt}"));
	}
	let after = evm_number(&evm, "eth_getBalance", json!([DEMO_RECIPIENT, "latest"]))?;
	println!(
		"  EVM chain confirms: receipt status 1 in block {destination_block}; recipient balance \
		 {before} -> {after} wei"
	);
	Ok(())
}
