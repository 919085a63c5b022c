//! Multi-node tier, contracts: the solc-compiled `QSignVault` (contracts/) is deployed on a
//! three-validator network, requests a key and a signature through the QSign precompile, and
//! receives the validators' threshold signature by callback; the test checks it with
//! `ecrecover` semantics against the key's Ethereum address, reads it back from the
//! contract's storage through the `ReviveApi` runtime API, and finds the contract's
//! `QSignResult` event.

use crate::common::{network::Network, LIVENESS_TIMEOUT};
use codec::{Decode, Encode};
use pallet_revive::{
	pallet_revive_types::runtime_api::{ContractResultV1, ExecReturnValueV1},
	precompiles::alloy::{
		self,
		primitives::FixedBytes,
		sol_types::{SolCall, SolValue},
	},
	H160,
};
use qsign_client::{Client, Signer, Status};
use qsign_runtime::{
	genesis_config_presets::eth_account, precompile::status_code, Runtime, RuntimeCall,
	RuntimeEvent, UNIT,
};
use sp_core::H256;
use std::time::Duration;

alloy::sol! {
	interface QSignVault {
		function createKey() external payable returns (uint64, address);
		function signHash(bytes32 hash) external payable returns (uint64);
		function signatures(uint64 requestId) external view returns (bytes memory);
		function results(uint64 requestId) external view returns (uint8);
		event QSignResult(uint64 indexed requestId, uint8 status, bytes signature);
	}
}

/// 250 ms of compute: generous for these contracts, and below what one extrinsic may take in a
/// 1 s block (three quarters of the block's 667 ms, less the block's own overhead).
const WEIGHT_LIMIT: sp_runtime::Weight = sp_runtime::Weight::from_parts(250_000_000_000, 4 << 20);

fn vault_init_code(max_per_day: u32) -> Vec<u8> {
	let path = crate::common::repo_root().join("contracts/build/QSignVault.json");
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
		panic!("{}: {e}; compile the contracts: node scripts/compile-contracts.mjs", path.display())
	});
	let json: serde_json::Value = serde_json::from_str(&text).unwrap();
	let mut code =
		hex::decode(json["bytecode"].as_str().unwrap().trim_start_matches("0x")).unwrap();
	code.extend(max_per_day.abi_encode());
	code
}

fn revive_call(dest: H160, data: Vec<u8>) -> RuntimeCall {
	RuntimeCall::Revive(pallet_revive::Call::<Runtime>::call {
		dest,
		value: 0,
		weight_limit: WEIGHT_LIMIT,
		storage_deposit_limit: UNIT,
		data,
	})
}

/// A read-only call of the contract through `ReviveApi_call` (what `eth_call` does).
fn dry_run(client: &Client, dest: H160, data: Vec<u8>) -> Vec<u8> {
	let alice = Signer::from_suri("//Alice").unwrap().account_id().clone();
	let args = (alice, dest, 0u128, None::<sp_runtime::Weight>, None::<u128>, data).encode();
	let out = client.state_call("ReviveApi_call", &args, None).expect("ReviveApi_call");
	let result = ContractResultV1::<ExecReturnValueV1, u128>::decode(&mut &out[..])
		.expect("a ContractResult");
	let value = result.result.expect("the call executes");
	// Bit 0 of the flags: the call reverted.
	assert_eq!(value.flags.bits() & 1, 0, "the view reverted: {:?}", value.data);
	value.data
}

#[test]
fn multinode_a_contract_gets_its_threshold_signature_by_callback() {
	let network = Network::start("local", &["alice", "bob", "charlie"]);
	let client = network.client();
	client
		.wait_for_root_key(LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("no root key: {e}\n{}", network.logs()));
	let alice = Signer::from_suri("//Alice").unwrap();

	// Deploy the vault (constructor arg: 3 signatures a day), funded with 10 QSG for deposits.
	let deploy = RuntimeCall::Revive(pallet_revive::Call::<Runtime>::instantiate_with_code {
		value: 10 * UNIT,
		weight_limit: WEIGHT_LIMIT,
		storage_deposit_limit: 10 * UNIT,
		code: vault_init_code(3),
		data: Vec::new(),
		salt: None,
	});
	let inclusion = client
		.submit_and_watch(&alice, deploy, LIVENESS_TIMEOUT)
		.and_then(|i| i.ensure_success())
		.unwrap_or_else(|e| panic!("deploy: {e}\n{}", network.logs()));
	let vault = inclusion
		.events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Revive(pallet_revive::Event::Instantiated { contract, .. }) => {
				Some(*contract)
			}
			_ => None,
		})
		.expect("an Instantiated event");

	// The vault requests its key: owned by the contract, derived on-chain.
	let inclusion = client
		.submit_and_watch(
			&alice,
			revive_call(vault, QSignVault::createKeyCall {}.abi_encode()),
			LIVENESS_TIMEOUT,
		)
		.and_then(|i| i.ensure_success())
		.unwrap_or_else(|e| panic!("createKey: {e}\n{}", network.logs()));
	let (key_id, _) = inclusion.key().expect("KeyCreated");
	let key = client.key_info(key_id).unwrap().expect("the key exists");
	assert_eq!(key.owner, eth_account(vault.0), "the key belongs to the contract");

	// The owner has the vault request a signature (with callback).
	let hash = sp_io::hashing::keccak_256(b"withdraw 1 ETH to 0x1234");
	let inclusion = client
		.submit_and_watch(
			&alice,
			revive_call(vault, QSignVault::signHashCall { hash: FixedBytes(hash) }.abi_encode()),
			LIVENESS_TIMEOUT,
		)
		.and_then(|i| i.ensure_success())
		.unwrap_or_else(|e| panic!("signHash: {e}\n{}", network.logs()));
	let request_id = *inclusion.request_ids().first().expect("RequestCreated");

	// The validators sign it (MPC over libp2p) and the chain verifies and stores it.
	let request = client
		.wait_for_request(request_id, LIVENESS_TIMEOUT)
		.unwrap_or_else(|e| panic!("request {request_id}: {e}\n{}", network.logs()));
	let Status::Signed { signature } = request.status else {
		panic!("request {request_id} ended {:?}\n{}", request.status, network.logs())
	};
	qsign_client::verify_request(&request, &key.public_key, Some(&hash)).expect("verifies");

	// By callback: the vault stored the signature, v as 27/28, and ecrecover gives the key's
	// Ethereum address.
	let stored =
		dry_run(&client, vault, QSignVault::signaturesCall { requestId: request_id }.abi_encode());
	let stored = QSignVault::signaturesCall::abi_decode_returns(&stored).unwrap();
	assert_eq!(&stored[..64], &signature[..64]);
	assert_eq!(stored[64], signature[64] + 27);
	let result =
		dry_run(&client, vault, QSignVault::resultsCall { requestId: request_id }.abi_encode());
	assert_eq!(QSignVault::resultsCall::abi_decode_returns(&result).unwrap(), status_code::SIGNED);
	let recovered =
		sp_io::crypto::secp256k1_ecdsa_recover(&signature, &hash).ok().expect("recovers");
	let address = &sp_io::hashing::keccak_256(&recovered)[12..];
	assert_eq!(
		format!("0x{}", hex::encode(address)),
		key.ethereum_address.to_lowercase(),
		"ecrecover(hash, signature) is the vault's Ethereum address"
	);

	// By event: the block that signed it has CallbackDone and the vault's QSignResult log.
	let (events, waited) = find_signed_block_events(&client, request_id);
	assert!(
		events.iter().any(|e| matches!(e,
			RuntimeEvent::QSign(pallet_qsign::Event::CallbackDone { request_id: id }) if *id == request_id)),
		"no CallbackDone in the block that signed request {request_id} (searched {waited:?})"
	);
	let topic = H256(alloy::primitives::keccak256("QSignResult(uint64,uint8,bytes)").0);
	assert!(events.iter().any(|e| matches!(e,
		RuntimeEvent::Revive(pallet_revive::Event::ContractEmitted { contract, topics, .. })
			if *contract == vault && topics.first() == Some(&topic))));
}

/// The events of the block whose `Signed` event names `request_id` (searching back from the
/// best block).
fn find_signed_block_events(client: &Client, request_id: u64) -> (Vec<RuntimeEvent>, Duration) {
	let start = std::time::Instant::now();
	let best = client.best_number().unwrap();
	for number in (1..=best).rev() {
		let hash = client.block_hash(number).unwrap().expect("a block");
		let events: Vec<RuntimeEvent> =
			client.events(hash).unwrap().into_iter().map(|r| r.event).collect();
		if events.iter().any(|e| {
			matches!(e,
			RuntimeEvent::QSign(pallet_qsign::Event::Signed { request_id: id, .. }) if *id == request_id)
		}) {
			return (events, start.elapsed());
		}
	}
	panic!("no block has the Signed event of request {request_id}");
}
