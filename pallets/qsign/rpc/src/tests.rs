//! The RPC against a mock client that implements the runtime API.

use super::*;
use jsonrpsee::core::rpc_params;
use pallet_qsign::crypto::AuthorityId;
use qsign_primitives::request::{CommitteeInfo, PendingRequest};
use sp_runtime::{generic, traits::BlakeTwo256, AccountId32, OpaqueExtrinsic};

type Block = generic::Block<generic::Header<u32, BlakeTwo256>, OpaqueExtrinsic>;

/// secp256k1's generator `G` (the public key of secret 1), whose addresses are well known.
const G: [u8; 33] = [
	0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b,
	0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17,
	0x98,
];

fn owner() -> AccountId32 {
	AccountId32::new([1; 32])
}

fn key(key_id: KeyId) -> KeyInfo<AccountId32, u32> {
	KeyInfo {
		key_id,
		owner: owner(),
		path: b"ethereum,1".to_vec(),
		epsilon: [5; 32],
		public_key: G,
		created_at: 3,
	}
}

fn request(request_id: RequestId) -> RequestInfo<AccountId32, u32> {
	RequestInfo {
		request_id,
		owner: owner(),
		key_id: 0,
		kind: RequestKind::EvmTransaction { chain_id: 1, tx_type: EvmTxType::Eip1559 },
		message_hash: [0xaa; 32],
		status: RequestStatus::Broadcast {
			signature: [0x11; 65],
			tx_hash: [0xbb; 32],
			destination_block: 7,
		},
		deposit: u128::MAX,
		created_at: 4,
		expires_at: 14,
		unsigned_tx: Some(vec![0x02, 0xc0]),
		signed_tx: Some(vec![0x02, 0xc3]),
	}
}

/// The client: provides the runtime API and the best block.
struct MockClient;

/// The runtime API as the mock runtime implements it.
#[derive(Clone)]
struct MockRuntimeApi;

impl ProvideRuntimeApi<Block> for MockClient {
	type Api = MockRuntimeApi;

	fn runtime_api(&self) -> sp_api::ApiRef<'_, Self::Api> {
		MockRuntimeApi.into()
	}
}

sp_api::mock_impl_runtime_apis! {
	impl QSignRuntimeApi<Block, AccountId32, u32> for MockRuntimeApi {
		fn committee() -> CommitteeInfo<AuthorityId> {
			CommitteeInfo { committee_id: 0, authorities: vec![], threshold: 1, root_key: None }
		}

		fn pending_requests(_after: Option<RequestId>, _limit: u32) -> Vec<PendingRequest<u32>> {
			vec![]
		}

		fn request_status(request_id: RequestId) -> Option<RequestInfo<AccountId32, u32>> {
			(request_id == 7).then(|| request(7))
		}

		fn key_info(key_id: KeyId) -> Option<KeyInfo<AccountId32, u32>> {
			match key_id {
				0 => Some(key(0)),
				// A corrupt key (x ≥ p: not a point) must produce an error, not a panic.
				1 => {
					let mut public_key = [0xff; 33];
					public_key[0] = 0x02;
					Some(KeyInfo { public_key, ..key(1) })
				},
				_ => None,
			}
		}
	}
}

impl HeaderBackend<Block> for MockClient {
	fn header(&self, _: H256) -> sp_blockchain::Result<Option<<Block as BlockT>::Header>> {
		Ok(None)
	}
	fn info(&self) -> sp_blockchain::Info<Block> {
		sp_blockchain::Info {
			best_hash: H256::zero(),
			best_number: 0,
			genesis_hash: H256::zero(),
			finalized_hash: H256::zero(),
			finalized_number: 0,
			finalized_state: None,
			number_leaves: 1,
			block_gap: None,
		}
	}
	fn status(&self, _: H256) -> sp_blockchain::Result<sp_blockchain::BlockStatus> {
		Ok(sp_blockchain::BlockStatus::Unknown)
	}
	fn number(&self, _: H256) -> sp_blockchain::Result<Option<u32>> {
		Ok(None)
	}
	fn hash(&self, _: u32) -> sp_blockchain::Result<Option<H256>> {
		Ok(None)
	}
}

fn rpc(network: BitcoinNetwork) -> jsonrpsee::RpcModule<QSign<MockClient, Block>> {
	QSign::<MockClient, Block>::new(Arc::new(MockClient), network).into_rpc()
}

fn call_json(
	module: &jsonrpsee::RpcModule<QSign<MockClient, Block>>,
	method: &str,
	id: u64,
) -> serde_json::Value {
	futures::executor::block_on(module.call(method, rpc_params![id])).unwrap()
}

#[test]
fn key_info_has_the_public_key_and_its_ethereum_and_bitcoin_addresses() {
	let module = rpc(BitcoinNetwork::Mainnet);
	let json = call_json(&module, "qsign_keyInfo", 0);
	assert_eq!(json["keyId"], 0);
	assert_eq!(json["path"], "0x657468657265756d2c31");
	assert_eq!(
		json["publicKey"],
		"0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	);
	assert_eq!(json["ethereumAddress"], "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
	assert_eq!(json["bitcoinP2wpkhAddress"], "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
	assert_eq!(json["createdAt"], 3);

	let typed: RpcKeyInfo<AccountId32, u32> = serde_json::from_value(json).unwrap();
	assert_eq!(typed.owner, owner());
	assert_eq!(typed.epsilon, H256::repeat_byte(5));
}

#[test]
fn the_bitcoin_network_is_the_nodes_choice() {
	let json = call_json(&rpc(BitcoinNetwork::Testnet), "qsign_keyInfo", 0);
	assert_eq!(json["bitcoinP2wpkhAddress"], "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx");
}

#[test]
fn unknown_keys_and_requests_are_null() {
	let module = rpc(BitcoinNetwork::Mainnet);
	assert_eq!(call_json(&module, "qsign_keyInfo", 9), serde_json::Value::Null);
	assert_eq!(call_json(&module, "qsign_requestStatus", 9), serde_json::Value::Null);
}

#[test]
fn a_corrupt_key_is_an_error() {
	let module = rpc(BitcoinNetwork::Mainnet);
	let result: Result<serde_json::Value, _> =
		futures::executor::block_on(module.call("qsign_keyInfo", rpc_params![1u64]));
	assert!(result.is_err());
}

#[test]
fn request_status_reports_status_signature_and_transactions() {
	let module = rpc(BitcoinNetwork::Mainnet);
	let json = call_json(&module, "qsign_requestStatus", 7);
	assert_eq!(json["requestId"], 7);
	assert_eq!(
		json["kind"],
		serde_json::json!({ "type": "evmTransaction", "chainId": 1, "txType": "eip1559" })
	);
	assert_eq!(json["status"]["status"], "broadcast");
	assert_eq!(json["status"]["signature"], format!("0x{}", "11".repeat(65)));
	assert_eq!(json["status"]["txHash"], format!("0x{}", "bb".repeat(32)));
	assert_eq!(json["status"]["destinationBlock"], 7);
	assert_eq!(json["messageHash"], format!("0x{}", "aa".repeat(32)));
	assert_eq!(json["deposit"], u128::MAX.to_string());
	assert_eq!(json["unsignedTx"], "0x02c0");
	assert_eq!(json["signedTx"], "0x02c3");
	assert_eq!((json["createdAt"].clone(), json["expiresAt"].clone()), (4.into(), 14.into()));
}

#[test]
fn every_status_has_a_json_form() {
	let base = request(1);
	let cases = [
		(RequestStatus::Pending, serde_json::json!({ "status": "pending" })),
		(RequestStatus::Expired, serde_json::json!({ "status": "expired" })),
		(
			RequestStatus::Failed { reason: FailureReason::Other(3) },
			serde_json::json!({ "status": "failed", "reason": "other:3" }),
		),
		(
			RequestStatus::Failed { reason: FailureReason::CommitteeUnavailable },
			serde_json::json!({ "status": "failed", "reason": "committeeUnavailable" }),
		),
		(
			RequestStatus::Signed { signature: [0; 65] },
			serde_json::json!({ "status": "signed", "signature": format!("0x{}", "00".repeat(65)) }),
		),
	];
	for (status, expected) in cases {
		let json =
			serde_json::to_value(rpc_request(RequestInfo { status, ..base.clone() })).unwrap();
		assert_eq!(json["status"], expected);
	}
	let signature_request = rpc_request(RequestInfo { kind: RequestKind::Signature, ..base });
	assert_eq!(
		serde_json::to_value(signature_request).unwrap()["kind"],
		serde_json::json!({ "type": "signature" })
	);
}
