//! Specification of the contract layer, on the real runtime (natively, no network): the
//! solc-compiled contracts of `contracts/` deployed on pallet-revive, calling pallet-qsign
//! through the QSign precompile, and called back with the committee's signature.
//!
//! The committee is played by a known root secret here (the MPC is tested elsewhere); its
//! signatures go through the same `submit_signature` call and checks as the validators'.
//! Needs `contracts/build/` (`node scripts/compile-contracts.mjs`, run by the test command).

mod common;

use codec::Encode;
use frame_support::{
	genesis_builder_helper::build_state, traits::fungible::InspectHold, weights::Weight,
};
use k256::elliptic_curve::{ops::Reduce, PrimeField};
use pallet_qsign::OnRequestResult;
use pallet_revive::{
	precompiles::alloy::{
		self,
		primitives::{Address, FixedBytes},
		sol_types::{SolCall, SolError},
	},
	AddressMapper, Code, ExecConfig, TransactionLimits, H160, U256,
};
use qsign_primitives::request::{FailureReason, RequestStatus};
use qsign_runtime::{
	genesis_config_presets::eth_account,
	precompile::{callback_account, status_code, IQSign, QSIGN_PRECOMPILE_ADDRESS},
	AccountId, Balances, Runtime, RuntimeEvent, RuntimeGenesisConfig, RuntimeOrigin, System, UNIT,
};
use sp_core::{ecdsa, Pair};
use sp_keyring::Sr25519Keyring;

alloy::sol! {
	interface QSignVault {
		function createKey() external payable returns (uint64, address);
		function signHash(bytes32 hash) external payable returns (uint64);
		function keyId() external view returns (uint64);
		function vaultAddress() external view returns (address);
		function signatures(uint64 requestId) external view returns (bytes memory);
		function results(uint64 requestId) external view returns (uint8);
		function onQSignResult(uint64 requestId, uint8 status, bytes calldata signature) external;
		error NotOwner(address caller);
		error DailyLimitReached(uint32 limit);
		error NotQSign(address caller);
	}

	interface RevertingReceiver {
		function createKey() external returns (uint64);
		function sign(bytes32 hash) external returns (uint64);
	}
}

const ROOT_SECRET: [u8; 32] = [0x42; 32];

/// The deployable bytecode of `contracts/build/<name>.json`.
fn bytecode(name: &str) -> Vec<u8> {
	let path = common::repo_root().join("contracts/build").join(format!("{name}.json"));
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
		panic!("{}: {e}; compile the contracts: node scripts/compile-contracts.mjs", path.display())
	});
	let json: serde_json::Value = serde_json::from_str(&text).unwrap();
	let hex = json["bytecode"].as_str().unwrap().trim_start_matches("0x");
	(0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// The dev preset's genesis, with the committee's root key set to `ROOT_SECRET`'s.
fn new_ext() -> sp_io::TestExternalities {
	let patch = qsign_runtime::genesis_config_presets::get_preset(
		&qsign_runtime::DEV_RUNTIME_PRESET.into(),
	)
	.unwrap();
	let config = common::genesis_config_json(serde_json::from_slice(&patch).unwrap());
	let mut ext = sp_io::TestExternalities::new(Default::default());
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(config).unwrap();
		let root = ecdsa::Pair::from_seed(&ROOT_SECRET).public().0;
		pallet_committee::RootKey::<Runtime>::put(root);
		System::set_block_number(1);
	});
	ext
}

fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}

fn limits() -> TransactionLimits<Runtime> {
	TransactionLimits::WeightAndDeposit {
		weight_limit: Weight::from_parts(500_000_000_000, 4 * 1024 * 1024),
		deposit_limit: 100 * UNIT,
	}
}

/// Deploys `contracts/build/<name>.json` from `who` with `value` and ABI-encoded constructor
/// arguments; returns its address.
fn deploy(who: &AccountId, name: &str, args: Vec<u8>, value: u128) -> H160 {
	let mut code = bytecode(name);
	code.extend(args);
	let result = pallet_revive::Pallet::<Runtime>::bare_instantiate(
		RuntimeOrigin::signed(who.clone()),
		U256::from(value),
		limits(),
		Code::Upload(code),
		Vec::new(),
		None,
		&ExecConfig::new_substrate_tx(),
	);
	let value = result.result.expect("instantiates");
	assert!(!value.result.did_revert(), "constructor reverted: {:?}", value.result.data);
	value.addr
}

/// Calls `to` from `who`; `Ok(return data)` or `Err(revert data)`.
fn call(who: &AccountId, to: H160, data: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
	let result = pallet_revive::Pallet::<Runtime>::bare_call(
		RuntimeOrigin::signed(who.clone()),
		to,
		U256::zero(),
		limits(),
		data,
		&ExecConfig::new_substrate_tx(),
	);
	let value = result.result.expect("the call executes");
	if value.did_revert() {
		Err(value.data)
	} else {
		Ok(value.data)
	}
}

/// The `Error(string)` message of revert data.
fn revert_message(data: &[u8]) -> String {
	alloy::sol_types::Revert::abi_decode(data).map(|r| r.reason).unwrap_or_default()
}

/// `root + ε(owner, path)`: the secret of the derived key, which the committee never has in
/// one piece (here it stands in for the threshold signature).
fn derived_secret(owner: &AccountId, path: &[u8]) -> [u8; 32] {
	let root = k256::Scalar::from_repr(ROOT_SECRET.into()).unwrap();
	let epsilon = qsign_primitives::derivation::epsilon(&owner.encode(), path);
	let epsilon = <k256::Scalar as Reduce<k256::U256>>::reduce_bytes(&epsilon.into());
	(root + epsilon).to_repr().into()
}

/// The committee's answer to `request_id`, through the same call the validators submit.
fn committee_signs(request_id: u64, secret: &[u8; 32]) -> [u8; 65] {
	let hash = pallet_qsign::Requests::<Runtime>::get(request_id).unwrap().message_hash;
	let signature = ecdsa::Pair::from_seed(secret).sign_prehashed(&hash).0;
	use frame_support::traits::UnfilteredDispatchable;
	pallet_qsign::Call::<Runtime>::submit_signature { request_id, signature }
		.dispatch_bypass_filter(frame_system::RawOrigin::Authorized.into())
		.expect("the committee's signature is accepted");
	signature
}

/// The 20-byte address `ecrecover(hash, signature)` gives, as a contract would compute it.
fn ecrecover(hash: &[u8; 32], evm_signature: &[u8]) -> [u8; 20] {
	assert_eq!(evm_signature.len(), 65);
	assert!(evm_signature[64] == 27 || evm_signature[64] == 28, "v is 27 or 28 for ecrecover");
	let mut sig = [0u8; 65];
	sig.copy_from_slice(evm_signature);
	sig[64] -= 27;
	let public = sp_io::crypto::secp256k1_ecdsa_recover(&sig, hash).ok().expect("recovers");
	let hash = sp_io::hashing::keccak_256(&public);
	hash[12..].try_into().unwrap()
}

fn contract_events(contract: H160) -> Vec<(Vec<sp_core::H256>, Vec<u8>)> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Revive(pallet_revive::Event::ContractEmitted {
				contract: c,
				data,
				topics,
			}) if c == contract => Some((topics, data)),
			_ => None,
		})
		.collect()
}

fn deploy_vault(max_per_day: u32) -> H160 {
	deploy(&alice(), "QSignVault", alloy::sol_types::SolValue::abi_encode(&max_per_day), 10 * UNIT)
}

fn create_vault_key(vault: H160) -> (u64, [u8; 20]) {
	let out = call(&alice(), vault, QSignVault::createKeyCall {}.abi_encode()).unwrap();
	let ret = QSignVault::createKeyCall::abi_decode_returns(&out).unwrap();
	(ret._0, ret._1.0 .0)
}

#[test]
fn a_contract_owns_the_key_it_requests_and_its_ethereum_address_is_derived_on_chain() {
	new_ext().execute_with(|| {
		let vault = deploy_vault(5);
		let (key_id, eth_address) = create_vault_key(vault);

		let key = pallet_qsign::Keys::<Runtime>::get(key_id).unwrap();
		assert_eq!(key.owner, eth_account(vault.0), "the key belongs to the contract");
		assert_eq!(
			eth_address,
			qsign_primitives::address::ethereum_address(&key.public_key).unwrap()
		);
		// The precompile's view of the key agrees, and the contract remembered it.
		let info = call(
			&alice(),
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::keyInfoCall { keyId: key_id }.abi_encode(),
		)
		.unwrap();
		let info = IQSign::keyInfoCall::abi_decode_returns(&info).unwrap();
		assert_eq!(info.owner.0 .0, vault.0);
		assert_eq!(info.publicKey.to_vec(), key.public_key.to_vec());
		let stored = call(&alice(), vault, QSignVault::vaultAddressCall {}.abi_encode()).unwrap();
		assert_eq!(
			QSignVault::vaultAddressCall::abi_decode_returns(&stored).unwrap().0 .0,
			eth_address
		);
		// The key deposit is held from the contract's balance.
		assert!(Balances::total_balance_on_hold(&eth_account(vault.0)) > 0);
	});
}

#[test]
fn a_signature_lands_in_the_contract_by_callback_and_verifies_with_ecrecover() {
	new_ext().execute_with(|| {
		let vault = deploy_vault(5);
		let (key_id, eth_address) = create_vault_key(vault);
		let hash = [0x5a; 32];
		let out =
			call(&alice(), vault, QSignVault::signHashCall { hash: FixedBytes(hash) }.abi_encode())
				.unwrap();
		let request_id = QSignVault::signHashCall::abi_decode_returns(&out).unwrap();
		let request = pallet_qsign::Requests::<Runtime>::get(request_id).unwrap();
		assert_eq!(request.key_id, key_id);
		assert_eq!(request.message_hash, hash);
		assert!(request.status.is_pending());

		let signature =
			committee_signs(request_id, &derived_secret(&eth_account(vault.0), b"vault"));

		// By callback: the vault stored the result.
		let status =
			call(&alice(), vault, QSignVault::resultsCall { requestId: request_id }.abi_encode())
				.unwrap();
		assert_eq!(
			QSignVault::resultsCall::abi_decode_returns(&status).unwrap(),
			status_code::SIGNED
		);
		let stored = call(
			&alice(),
			vault,
			QSignVault::signaturesCall { requestId: request_id }.abi_encode(),
		)
		.unwrap();
		let stored = QSignVault::signaturesCall::abi_decode_returns(&stored).unwrap();
		assert_eq!(&stored[..64], &signature[..64]);
		assert_eq!(ecrecover(&hash, &stored), eth_address);
		assert!(System::events()
			.iter()
			.any(|r| r.event
				== RuntimeEvent::QSign(pallet_qsign::Event::CallbackDone { request_id })));
		// By event: the contract emitted QSignResult(requestId, 2, signature).
		let events = contract_events(vault);
		let result_topic = alloy::primitives::keccak256("QSignResult(uint64,uint8,bytes)");
		assert!(events.iter().any(|(topics, _)| topics[0].0 == result_topic.0
			&& topics[1].0[24..] == request_id.to_be_bytes()));
		// And by reading the request through the precompile.
		let status = call(
			&alice(),
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestStatusCall { requestId: request_id }.abi_encode(),
		)
		.unwrap();
		let status = IQSign::requestStatusCall::abi_decode_returns(&status).unwrap();
		assert_eq!(status.status, status_code::SIGNED);
		assert_eq!(status.messageHash.0, hash);
		assert_eq!(status.signature.to_vec(), stored.to_vec());
	});
}

#[test]
fn the_vault_policy_only_lets_its_owner_sign_and_only_so_often() {
	new_ext().execute_with(|| {
		let vault = deploy_vault(2);
		create_vault_key(vault);
		let bob = Sr25519Keyring::Bob.to_account_id();
		let sign = |who: &AccountId, byte: u8| {
			call(who, vault, QSignVault::signHashCall { hash: FixedBytes([byte; 32]) }.abi_encode())
		};
		let refused = sign(&bob, 1).unwrap_err();
		let bob_address = <Runtime as pallet_revive::Config>::AddressMapper::to_address(&bob);
		assert_eq!(
			refused,
			QSignVault::NotOwner { caller: Address::from(bob_address.0) }.abi_encode()
		);
		sign(&alice(), 1).unwrap();
		sign(&alice(), 2).unwrap();
		assert_eq!(
			sign(&alice(), 3).unwrap_err(),
			QSignVault::DailyLimitReached { limit: 2 }.abi_encode()
		);
		assert_eq!(
			pallet_qsign::PendingRequests::<Runtime>::count(),
			2,
			"refused calls created nothing"
		);
	});
}

#[test]
fn a_reverting_callback_does_not_lose_the_signature() {
	new_ext().execute_with(|| {
		let receiver = deploy(&alice(), "RevertingReceiver", Vec::new(), 10 * UNIT);
		call(&alice(), receiver, RevertingReceiver::createKeyCall {}.abi_encode()).unwrap();
		let out = call(
			&alice(),
			receiver,
			RevertingReceiver::signCall { hash: FixedBytes([7; 32]) }.abi_encode(),
		)
		.unwrap();
		let request_id = RevertingReceiver::signCall::abi_decode_returns(&out).unwrap();
		let signature =
			committee_signs(request_id, &derived_secret(&eth_account(receiver.0), b"reverting"));
		assert_eq!(
			pallet_qsign::Requests::<Runtime>::get(request_id).unwrap().status,
			RequestStatus::Signed { signature }
		);
		assert!(
			contract_events(receiver).iter().all(|(topics, _)| topics[0].0
				!= alloy::primitives::keccak256("QSignResult(uint64,uint8,bytes)").0),
			"the callback's own changes (its event) were rolled back"
		);
	});
}

#[test]
fn a_failed_request_is_called_back_with_the_failed_status() {
	new_ext().execute_with(|| {
		let vault = deploy_vault(5);
		create_vault_key(vault);
		let out = call(
			&alice(),
			vault,
			QSignVault::signHashCall { hash: FixedBytes([9; 32]) }.abi_encode(),
		)
		.unwrap();
		let request_id = QSignVault::signHashCall::abi_decode_returns(&out).unwrap();
		// A threshold of the committee gave up: the request fails, as after report_failure votes.
		let mut request = pallet_qsign::Requests::<Runtime>::get(request_id).unwrap();
		request.status = RequestStatus::Failed { reason: FailureReason::SigningAborted };
		pallet_qsign::Requests::<Runtime>::insert(request_id, &request);
		<Runtime as pallet_qsign::Config>::OnResult::on_result(
			request_id,
			&request.owner,
			&request.status,
		);
		let status =
			call(&alice(), vault, QSignVault::resultsCall { requestId: request_id }.abi_encode())
				.unwrap();
		assert_eq!(
			QSignVault::resultsCall::abi_decode_returns(&status).unwrap(),
			status_code::FAILED
		);
	});
}

#[test]
fn only_the_chain_can_deliver_results() {
	new_ext().execute_with(|| {
		let vault = deploy_vault(5);
		let forged = QSignVault::onQSignResultCall {
			requestId: 0,
			status: status_code::SIGNED,
			signature: vec![0u8; 65].into(),
		};
		let alice_address = <Runtime as pallet_revive::Config>::AddressMapper::to_address(&alice());
		assert_eq!(
			call(&alice(), vault, forged.abi_encode()).unwrap_err(),
			QSignVault::NotQSign { caller: Address::from(alice_address.0) }.abi_encode()
		);
		// The callback account is funded at genesis and is the precompile's own address.
		assert!(Balances::free_balance(callback_account()) > 0);
		assert_eq!(
			<Runtime as pallet_revive::Config>::AddressMapper::to_address(&callback_account()),
			QSIGN_PRECOMPILE_ADDRESS
		);
	});
}

#[test]
fn precompile_errors_are_readable_reverts_that_change_nothing() {
	new_ext().execute_with(|| {
		let vault = deploy_vault(5);
		let (key_id, _) = create_vault_key(vault);
		let bob = Sr25519Keyring::Bob.to_account_id();
		let pending = pallet_qsign::PendingRequests::<Runtime>::count();
		let free = Balances::free_balance(&bob);

		let not_owner = call(
			&bob,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestSignatureHashCall {
				keyId: key_id,
				hash: FixedBytes([1; 32]),
				callback: true,
			}
			.abi_encode(),
		)
		.unwrap_err();
		assert_eq!(revert_message(&not_owner), "QSign: NotKeyOwner");
		let bad_hasher = call(
			&bob,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestSignatureDataCall {
				keyId: key_id,
				data: vec![1, 2, 3].into(),
				hasher: 7,
				callback: false,
			}
			.abi_encode(),
		)
		.unwrap_err();
		assert_eq!(revert_message(&bad_hasher), "QSign: hasher must be 0 or 1");
		let long_path = call(
			&bob,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestKeyCall { path: vec![0u8; 129].into() }.abi_encode(),
		)
		.unwrap_err();
		assert_eq!(revert_message(&long_path), "QSign: path too long");
		let bad_tx = call(
			&bob,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestBroadcastCall {
				keyId: key_id,
				chainId: 1,
				unsignedTx: vec![0xc0].into(),
				callback: false,
			}
			.abi_encode(),
		)
		.unwrap_err();
		assert!(revert_message(&bad_tx).starts_with("QSign: "), "{}", revert_message(&bad_tx));
		let unknown = call(
			&bob,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestStatusCall { requestId: 999 }.abi_encode(),
		)
		.unwrap();
		assert_eq!(
			IQSign::requestStatusCall::abi_decode_returns(&unknown).unwrap().status,
			status_code::UNKNOWN
		);

		assert_eq!(pallet_qsign::PendingRequests::<Runtime>::count(), pending);
		assert_eq!(
			Balances::free_balance(&bob),
			free,
			"the callback fee went back with the revert"
		);
	});
}

#[test]
fn an_ethereum_account_can_use_the_precompile_directly() {
	new_ext().execute_with(|| {
		let alith = eth_account(qsign_runtime::genesis_config_presets::DEV_ETH_ACCOUNTS[0]);
		let out = call(
			&alith,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestKeyCall { path: b"metamask".to_vec().into() }.abi_encode(),
		)
		.unwrap();
		let key_id = IQSign::requestKeyCall::abi_decode_returns(&out).unwrap();
		assert_eq!(pallet_qsign::Keys::<Runtime>::get(key_id).unwrap().owner, alith);
		let out = call(
			&alith,
			QSIGN_PRECOMPILE_ADDRESS,
			IQSign::requestSignatureDataCall {
				keyId: key_id,
				data: b"hello".to_vec().into(),
				hasher: 0,
				callback: false,
			}
			.abi_encode(),
		)
		.unwrap();
		let request_id = IQSign::requestSignatureDataCall::abi_decode_returns(&out).unwrap();
		assert_eq!(
			pallet_qsign::Requests::<Runtime>::get(request_id).unwrap().message_hash,
			sp_io::hashing::keccak_256(b"hello")
		);
	});
}
