//! `qsign-demo`: one key and one signature end to end against a running `qsign-node`.
//!
//! Waits (bounded) until the committee's root key is on chain, requests a key for
//! `(account, path)`, prints its id, public key and Ethereum and Bitcoin addresses (checked
//! against a local derivation from the root key), requests a signature over `--message`
//! (Keccak-256 on-chain), waits until the request is signed, failed or expired, and verifies
//! the signature locally against the derived key.
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
	bitcoin_address, cli, derive_key, ethereum_address, to_hex, verify_request, BitcoinNetwork,
	Client, Payload, Signer, Status,
};
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
	Ok(())
}
