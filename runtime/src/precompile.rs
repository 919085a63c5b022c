//! The QSign precompile (contracts call pallet-qsign) and the callbacks into contracts
//! (pallet-qsign calls contracts back with results).
//!
//! The Solidity side is `contracts/IQSign.sol`; the interface below must match it (the
//! runtime tests call the compiled contracts through it).

use alloc::{format, vec::Vec};
use core::{marker::PhantomData, num::NonZero};
use frame_support::{
	traits::{fungible::Mutate, tokens::Preservation},
	weights::Weight,
};
use pallet_qsign::{Hasher, OnRequestResult, Payload, RequestId, RequestStatus, WeightInfo as _};
use pallet_revive::{
	precompiles::{
		alloy::{primitives::IntoLogData, sol_types::SolCall},
		AddressMapper, AddressMatcher, Error, Ext, Precompile, RuntimeCosts, H160, H256, U256,
	},
	ExecConfig, TransactionLimits,
};
use sp_runtime::DispatchError;

use crate::{AccountId, Balance, Balances, Runtime, RuntimeOrigin, MILLI_UNIT};

alloy_core::sol! {
	/// See `contracts/IQSign.sol`.
	interface IQSign {
		event KeyRequested(address indexed owner, uint64 indexed keyId, address ethAddress);
		event SignatureRequested(
			address indexed owner, uint64 indexed keyId, uint64 indexed requestId, bytes32 messageHash
		);
		function requestKey(bytes calldata path) external returns (uint64 keyId);
		function keyInfo(uint64 keyId)
			external view returns (address owner, bytes memory publicKey, address ethAddress);
		function requestSignatureData(uint64 keyId, bytes calldata data, uint8 hasher, bool callback)
			external returns (uint64 requestId);
		function requestSignatureHash(uint64 keyId, bytes32 hash, bool callback)
			external returns (uint64 requestId);
		function requestBroadcast(uint64 keyId, uint64 chainId, bytes calldata unsignedTx, bool callback)
			external returns (uint64 requestId);
		function requestStatus(uint64 requestId)
			external view
			returns (uint8 status, bytes32 messageHash, bytes memory signature, bytes32 txHash);
	}

	/// See `contracts/IQSign.sol`.
	interface IQSignReceiver {
		function onQSignResult(uint64 requestId, uint8 status, bytes calldata signature) external;
	}
}

/// The precompile's index: its address is `0x000000000000000000000000000000000A510000`.
pub const QSIGN_PRECOMPILE_INDEX: u16 = 0x0A51;
const MATCHER: AddressMatcher = match NonZero::new(QSIGN_PRECOMPILE_INDEX) {
	Some(index) => AddressMatcher::Fixed(index),
	None => panic!("the index is not zero"),
};
/// The precompile's address.
pub const QSIGN_PRECOMPILE_ADDRESS: H160 = H160(MATCHER.base_address());

/// Status codes of `requestStatus` and of callbacks.
pub mod status_code {
	/// No such request (never made, or pruned after its retention period).
	pub const UNKNOWN: u8 = 0;
	/// Waiting for the committee.
	pub const PENDING: u8 = 1;
	/// Signed.
	pub const SIGNED: u8 = 2;
	/// The committee reported it cannot be signed.
	pub const FAILED: u8 = 3;
	/// Not signed in time.
	pub const EXPIRED: u8 = 4;
	/// Signed, and a relayer reported the transaction included on its destination chain.
	pub const BROADCAST: u8 = 5;
}

/// A request's status code.
pub fn status_code(status: &RequestStatus) -> u8 {
	match status {
		RequestStatus::Pending => status_code::PENDING,
		RequestStatus::Signed { .. } => status_code::SIGNED,
		RequestStatus::Failed { .. } => status_code::FAILED,
		RequestStatus::Expired => status_code::EXPIRED,
		RequestStatus::Broadcast { .. } => status_code::BROADCAST,
	}
}

/// A signature as the EVM wants it: `r ‖ s ‖ v` with `v` 27 or 28 (ours has 0 or 1).
pub fn evm_signature(status: &RequestStatus) -> Vec<u8> {
	match status.signature() {
		Some(signature) => {
			let mut out = signature.to_vec();
			out[64] = out[64].saturating_add(27);
			out
		}
		None => Vec::new(),
	}
}

/// What a request with a callback costs the requester on top of the request deposit: moved to
/// the callback account, which pays the storage deposits of callbacks.
pub const CALLBACK_FEE: Balance = MILLI_UNIT;
/// Weight a callback may use (50 ms of compute, 256 KiB of proof).
pub const CALLBACK_WEIGHT_LIMIT: Weight = Weight::from_parts(50_000_000_000, 256 * 1024);
/// Storage deposit a callback may take from the callback account.
pub const CALLBACK_DEPOSIT_LIMIT: Balance = 10 * MILLI_UNIT;

/// The account callbacks are made from: `msg.sender` of `onQSignResult` is the precompile's
/// address.
pub fn callback_account() -> AccountId {
	<Runtime as pallet_revive::Config>::AddressMapper::to_fallback_account_id(
		&QSIGN_PRECOMPILE_ADDRESS,
	)
}

/// The QSign precompile: lets contracts (and Ethereum accounts) request keys and signatures.
///
/// The caller (`msg.sender`) owns the keys it requests and pays their deposits. Errors are
/// Solidity reverts naming the pallet error (e.g. `QSign: NotKeyOwner`), so a failed request
/// changes nothing.
pub struct QSignPrecompile<T>(PhantomData<T>);

impl Precompile for QSignPrecompile<Runtime> {
	type T = Runtime;
	type Interface = IQSign::IQSignCalls;
	const MATCHER: AddressMatcher = MATCHER;
	const HAS_CONTRACT_INFO: bool = false;

	fn call(
		_address: &[u8; 20],
		input: &Self::Interface,
		env: &mut impl Ext<T = Self::T>,
	) -> Result<Vec<u8>, Error> {
		use IQSign::IQSignCalls as Call;
		if env.is_delegate_call() {
			return Err(Error::Revert("QSign: delegate calls are not allowed".into()));
		}
		let mutates = !matches!(input, Call::keyInfo(_) | Call::requestStatus(_));
		if mutates && env.is_read_only() {
			return Err(Error::Revert("QSign: state change in a static call".into()));
		}
		match input {
			Call::requestKey(call) => {
				env.charge(<Runtime as pallet_qsign::Config>::WeightInfo::request_key())?;
				let who = caller(env)?;
				let path = call
					.path
					.to_vec()
					.try_into()
					.map_err(|_| Error::Revert("QSign: path too long".into()))?;
				let key_id = pallet_qsign::Pallet::<Runtime>::do_request_key(who.clone(), path)
					.map_err(revert)?;
				let eth_address = pallet_qsign::Keys::<Runtime>::get(key_id)
					.map(|key| eth_address(&key.public_key))
					.unwrap_or_default();
				emit(
					env,
					IQSign::KeyRequested {
						owner: to_address(&who).0.into(),
						keyId: key_id,
						ethAddress: eth_address.into(),
					},
				)?;
				Ok(IQSign::requestKeyCall::abi_encode_returns(&key_id))
			}
			Call::keyInfo(call) => {
				env.charge(<Runtime as frame_system::Config>::DbWeight::get().reads(1))?;
				let Some(key) = pallet_qsign::Pallet::<Runtime>::key_info(call.keyId) else {
					return Err(Error::Revert("QSign: UnknownKey".into()));
				};
				Ok(IQSign::keyInfoCall::abi_encode_returns(&IQSign::keyInfoReturn {
					owner: to_address(&key.owner).0.into(),
					publicKey: key.public_key.to_vec().into(),
					ethAddress: eth_address(&key.public_key).into(),
				}))
			}
			Call::requestSignatureData(call) => {
				let hasher = match call.hasher {
					0 => Hasher::Keccak256,
					1 => Hasher::Sha256,
					_ => return Err(Error::Revert("QSign: hasher must be 0 or 1".into())),
				};
				let data_len = call.data.len() as u32;
				env.charge(<Runtime as pallet_qsign::Config>::WeightInfo::request_signature(
					1, data_len,
				))?;
				let data = call
					.data
					.to_vec()
					.try_into()
					.map_err(|_| Error::Revert("QSign: data too long".into()))?;
				request_signature(env, call.keyId, Payload::Data { data, hasher }, call.callback)
			}
			Call::requestSignatureHash(call) => {
				env.charge(<Runtime as pallet_qsign::Config>::WeightInfo::request_signature(1, 0))?;
				request_signature(env, call.keyId, Payload::Hash(call.hash.0), call.callback)
			}
			Call::requestBroadcast(call) => {
				env.charge(<Runtime as pallet_qsign::Config>::WeightInfo::request_broadcast(
					call.unsignedTx.len() as u32,
				))?;
				let who = caller(env)?;
				let tx = call
					.unsignedTx
					.to_vec()
					.try_into()
					.map_err(|_| Error::Revert("QSign: transaction too long".into()))?;
				if call.callback {
					pay_callback_fee(&who)?;
				}
				let request_id = pallet_qsign::Pallet::<Runtime>::do_request_broadcast(
					who.clone(),
					call.keyId,
					call.chainId,
					tx,
					None,
					None,
					call.callback,
				)
				.map_err(revert)?;
				emit_requested(env, &who, call.keyId, request_id)?;
				Ok(IQSign::requestBroadcastCall::abi_encode_returns(&request_id))
			}
			Call::requestStatus(call) => {
				env.charge(<Runtime as frame_system::Config>::DbWeight::get().reads(2))?;
				let (status, message_hash, signature, tx_hash) =
					match pallet_qsign::Pallet::<Runtime>::request_info(call.requestId) {
						Some(info) => (
							status_code(&info.status),
							info.message_hash,
							evm_signature(&info.status),
							info.signed_tx
								.map(|tx| qsign_primitives::address::keccak256(&tx))
								.unwrap_or_default(),
						),
						None => (status_code::UNKNOWN, [0; 32], Vec::new(), [0; 32]),
					};
				Ok(IQSign::requestStatusCall::abi_encode_returns(&IQSign::requestStatusReturn {
					status,
					messageHash: message_hash.into(),
					signature: signature.into(),
					txHash: tx_hash.into(),
				}))
			}
		}
	}
}

/// `msg.sender` as an account.
fn caller(env: &mut impl Ext<T = Runtime>) -> Result<AccountId, Error> {
	env.caller()
		.account_id()
		.cloned()
		.map_err(|_| Error::Revert("QSign: the caller must be an account or contract".into()))
}

fn to_address(account: &AccountId) -> H160 {
	<Runtime as pallet_revive::Config>::AddressMapper::to_address(account)
}

/// The Ethereum address of a key's (valid, on-chain checked) public key.
fn eth_address(public_key: &[u8; 33]) -> [u8; 20] {
	qsign_primitives::address::ethereum_address(public_key).unwrap_or_default()
}

fn request_signature(
	env: &mut impl Ext<T = Runtime>,
	key_id: u64,
	payload: pallet_qsign::PayloadOf<Runtime>,
	callback: bool,
) -> Result<Vec<u8>, Error> {
	let who = caller(env)?;
	if callback {
		pay_callback_fee(&who)?;
	}
	let payloads = alloc::vec![payload]
		.try_into()
		.map_err(|_| Error::Revert("QSign: batch too large".into()))?;
	let ids = pallet_qsign::Pallet::<Runtime>::do_request_signature(
		who.clone(),
		key_id,
		payloads,
		None,
		None,
		callback,
	)
	.map_err(revert)?;
	let request_id = ids.first().copied().ok_or(Error::Revert("QSign: no request".into()))?;
	emit_requested(env, &who, key_id, request_id)?;
	Ok(IQSign::requestSignatureHashCall::abi_encode_returns(&request_id))
}

fn emit_requested(
	env: &mut impl Ext<T = Runtime>,
	who: &AccountId,
	key_id: u64,
	request_id: RequestId,
) -> Result<(), Error> {
	let message_hash = pallet_qsign::Requests::<Runtime>::get(request_id)
		.map(|r| r.message_hash)
		.unwrap_or_default();
	emit(
		env,
		IQSign::SignatureRequested {
			owner: to_address(who).0.into(),
			keyId: key_id,
			requestId: request_id,
			messageHash: message_hash.into(),
		},
	)
}

/// Moves [`CALLBACK_FEE`] from `who` to the callback account.
fn pay_callback_fee(who: &AccountId) -> Result<(), Error> {
	<Balances as Mutate<AccountId>>::transfer(
		who,
		&callback_account(),
		CALLBACK_FEE,
		Preservation::Preserve,
	)
	.map(|_| ())
	.map_err(|_| Error::Revert("QSign: InsufficientBalance for the callback fee".into()))
}

/// A pallet error as a Solidity revert with its name (`QSign: NotKeyOwner`).
fn revert(error: DispatchError) -> Error {
	match error {
		DispatchError::Module(module) => {
			Error::Revert(format!("QSign: {}", module.message.unwrap_or("error")).into())
		}
		other => Error::Revert(format!("QSign: {other:?}").into()),
	}
}

fn emit(env: &mut impl Ext<T = Runtime>, event: impl IntoLogData) -> Result<(), Error> {
	let (topics, data) = event.into_log_data().split();
	let topics: Vec<H256> = topics.into_iter().map(|t| H256(t.0)).collect();
	env.frame_meter_mut().charge_weight_token(RuntimeCosts::DepositEvent {
		num_topic: topics.len() as u32,
		len: data.len() as u32,
	})?;
	env.deposit_event(topics, data.to_vec());
	Ok(())
}

/// Calls `onQSignResult` on the contract that made the request, from the callback account.
///
/// The call runs in its own storage layer: if it reverts or runs out of its weight limit,
/// only its own changes are undone. The request's result is stored before and stays.
pub struct ContractCallbacks;

impl OnRequestResult<AccountId> for ContractCallbacks {
	fn max_weight() -> Weight {
		// The limit, plus the call's own set-up (loading the contract, the transaction meter).
		CALLBACK_WEIGHT_LIMIT.saturating_add(Weight::from_parts(5_000_000_000, 64 * 1024))
	}

	fn on_result(request_id: RequestId, owner: &AccountId, status: &RequestStatus) -> Weight {
		let call = IQSignReceiver::onQSignResultCall {
			requestId: request_id,
			status: status_code(status),
			signature: evm_signature(status).into(),
		};
		let result = pallet_revive::Pallet::<Runtime>::bare_call(
			RuntimeOrigin::signed(callback_account()),
			to_address(owner),
			U256::zero(),
			TransactionLimits::WeightAndDeposit {
				weight_limit: CALLBACK_WEIGHT_LIMIT,
				deposit_limit: CALLBACK_DEPOSIT_LIMIT,
			},
			call.abi_encode(),
			&ExecConfig::new_substrate_tx_without_bump(),
		);
		match &result.result {
			Ok(value) if !value.did_revert() => {}
			Ok(_) => log::info!(
				target: "runtime::qsign",
				"callback of request {request_id} reverted; the result stays readable"
			),
			Err(e) => log::info!(
				target: "runtime::qsign",
				"callback of request {request_id} failed: {e:?}; the result stays readable"
			),
		}
		result.weight_consumed
	}
}
