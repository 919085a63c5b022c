//! JSON-RPC for pallet-qsign (namespace `qsign`).
//!
//! * `qsign_requestStatus(request_id, at?)`: a request, its status, its signature and, for
//!   broadcast requests, the signed raw transaction (`null` if unknown or pruned).
//! * `qsign_keyInfo(key_id, at?)`: a key with its public key, Ethereum address (EIP-55) and
//!   Bitcoin P2WPKH address (`null` if unknown).
//!
//! Byte strings are `0x`-prefixed hex; the deposit is a decimal string (it may exceed 2⁵³).
//! The node wires it as `QSign::new(client, BitcoinNetwork::…).into_rpc()`.

#![warn(missing_docs)]

use std::{marker::PhantomData, sync::Arc};

use codec::Codec;
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObject, ErrorObjectOwned},
};
use qsign_primitives::{
	address::{bitcoin_p2wpkh_address, eip55_checksum_address, ethereum_address},
	request::{
		EvmTxType, FailureReason, KeyId, KeyInfo, RequestId, RequestInfo, RequestKind,
		RequestStatus,
	},
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{Bytes, H256};
use sp_runtime::traits::{Block as BlockT, NumberFor};

pub use pallet_qsign::runtime_api::QSignApi as QSignRuntimeApi;
pub use qsign_primitives::address::BitcoinNetwork;

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RpcRequestKind {
	/// A signature over a message hash.
	Signature,
	/// A signed EVM transaction for `chain_id`.
	EvmTransaction {
		/// The destination chain.
		chain_id: u64,
		/// `"legacy"` or `"eip1559"`.
		tx_type: String,
	},
}

/// Where a request is in its lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RpcRequestStatus {
	/// Waiting for the committee.
	Pending,
	/// Signed.
	Signed {
		/// `r ‖ s ‖ v` (65 bytes, `v ∈ {0, 1}`).
		signature: Bytes,
	},
	/// The committee could not sign it; the deposit was refunded.
	Failed {
		/// The committee's reason (`signingAborted`, `committeeUnavailable`, `keyUnavailable`,
		/// `invalidRequest` or `other:<code>`).
		reason: String,
	},
	/// Not signed in time; the deposit was refunded.
	Expired,
	/// Signed, and reported broadcast by a relayer.
	Broadcast {
		/// `r ‖ s ‖ v`.
		signature: Bytes,
		/// Hash of the signed transaction (its id on the destination chain).
		tx_hash: H256,
		/// The destination chain's block that included it.
		destination_block: u64,
	},
}

/// A request as `qsign_requestStatus` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcRequest<AccountId, BlockNumber> {
	/// The request.
	pub request_id: RequestId,
	/// Who asked.
	pub owner: AccountId,
	/// The key that signs.
	pub key_id: KeyId,
	/// What is signed.
	pub kind: RpcRequestKind,
	/// The 32 bytes signed.
	pub message_hash: H256,
	/// The lifecycle status (with the signature once signed).
	pub status: RpcRequestStatus,
	/// The deposit, in the chain's smallest unit, as a decimal string.
	pub deposit: String,
	/// Block the request was made in.
	pub created_at: BlockNumber,
	/// First block at which a pending request is expired.
	pub expires_at: BlockNumber,
	/// For broadcast requests: the unsigned transaction.
	pub unsigned_tx: Option<Bytes>,
	/// For broadcast requests, once signed: the raw signed transaction to broadcast.
	pub signed_tx: Option<Bytes>,
}

/// A key as `qsign_keyInfo` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcKeyInfo<AccountId, BlockNumber> {
	/// The key.
	pub key_id: KeyId,
	/// Its owner.
	pub owner: AccountId,
	/// The derivation path.
	pub path: Bytes,
	/// The additive tweak ε (`public_key = root + ε·G`).
	pub epsilon: H256,
	/// SEC1 compressed public key (33 bytes).
	pub public_key: Bytes,
	/// The Ethereum address of the key, EIP-55 checksummed.
	pub ethereum_address: String,
	/// The Bitcoin P2WPKH (bech32) address of the key on the node's configured network.
	pub bitcoin_p2wpkh_address: String,
	/// Block the key was created in.
	pub created_at: BlockNumber,
}

/// pallet-qsign's RPC methods.
#[rpc(client, server, namespace = "qsign")]
pub trait QSignApi<BlockHash, AccountId, BlockNumber> {
	/// A request and its status, or `null` if there is no such request (or it was pruned).
	#[method(name = "requestStatus")]
	fn request_status(
		&self,
		request_id: RequestId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<RpcRequest<AccountId, BlockNumber>>>;

	/// A key with its addresses, or `null` if there is no such key.
	#[method(name = "keyInfo")]
	fn key_info(
		&self,
		key_id: KeyId,
		at: Option<BlockHash>,
	) -> RpcResult<Option<RpcKeyInfo<AccountId, BlockNumber>>>;
}

/// Error codes of this RPC.
pub enum Error {
	/// The runtime API call failed.
	RuntimeError,
	/// The chain returned a public key that is not a valid point.
	InvalidKey,
}

impl From<Error> for i32 {
	fn from(e: Error) -> i32 {
		match e {
			Error::RuntimeError => 1,
			Error::InvalidKey => 2,
		}
	}
}

fn runtime_error(e: impl ToString) -> ErrorObjectOwned {
	ErrorObject::owned(
		Error::RuntimeError.into(),
		"Unable to query pallet-qsign.",
		Some(e.to_string()),
	)
}

fn invalid_key(e: impl core::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(
		Error::InvalidKey.into(),
		"The key is not a valid secp256k1 point.",
		Some(e.to_string()),
	)
}

/// The RPC handler.
pub struct QSign<C, Block> {
	client: Arc<C>,
	bitcoin_network: BitcoinNetwork,
	_marker: PhantomData<Block>,
}

impl<C, Block> QSign<C, Block> {
	/// A handler reading from `client`, rendering Bitcoin addresses for `bitcoin_network`.
	pub fn new(client: Arc<C>, bitcoin_network: BitcoinNetwork) -> Self {
		Self { client, bitcoin_network, _marker: PhantomData }
	}
}

fn failure_reason(reason: FailureReason) -> String {
	match reason {
		FailureReason::SigningAborted => "signingAborted".into(),
		FailureReason::CommitteeUnavailable => "committeeUnavailable".into(),
		FailureReason::KeyUnavailable => "keyUnavailable".into(),
		FailureReason::InvalidRequest => "invalidRequest".into(),
		FailureReason::Other(code) => format!("other:{code}"),
	}
}

/// The JSON form of a request.
pub fn rpc_request<AccountId, BlockNumber>(
	info: RequestInfo<AccountId, BlockNumber>,
) -> RpcRequest<AccountId, BlockNumber> {
	let kind = match info.kind {
		RequestKind::Signature => RpcRequestKind::Signature,
		RequestKind::EvmTransaction { chain_id, tx_type } => RpcRequestKind::EvmTransaction {
			chain_id,
			tx_type: match tx_type {
				EvmTxType::Legacy => "legacy".into(),
				EvmTxType::Eip1559 => "eip1559".into(),
			},
		},
	};
	let status = match info.status {
		RequestStatus::Pending => RpcRequestStatus::Pending,
		RequestStatus::Signed { signature } => {
			RpcRequestStatus::Signed { signature: signature.to_vec().into() }
		}
		RequestStatus::Failed { reason } => {
			RpcRequestStatus::Failed { reason: failure_reason(reason) }
		}
		RequestStatus::Expired => RpcRequestStatus::Expired,
		RequestStatus::Broadcast { signature, tx_hash, destination_block } => {
			RpcRequestStatus::Broadcast {
				signature: signature.to_vec().into(),
				tx_hash: tx_hash.into(),
				destination_block,
			}
		}
	};
	RpcRequest {
		request_id: info.request_id,
		owner: info.owner,
		key_id: info.key_id,
		kind,
		message_hash: info.message_hash.into(),
		status,
		deposit: info.deposit.to_string(),
		created_at: info.created_at,
		expires_at: info.expires_at,
		unsigned_tx: info.unsigned_tx.map(Into::into),
		signed_tx: info.signed_tx.map(Into::into),
	}
}

/// The JSON form of a key, with its addresses.
pub fn rpc_key_info<AccountId, BlockNumber>(
	info: KeyInfo<AccountId, BlockNumber>,
	bitcoin_network: BitcoinNetwork,
) -> Result<RpcKeyInfo<AccountId, BlockNumber>, ErrorObjectOwned> {
	let ethereum = ethereum_address(&info.public_key).map_err(invalid_key)?;
	let bitcoin = bitcoin_p2wpkh_address(&info.public_key, bitcoin_network).map_err(invalid_key)?;
	Ok(RpcKeyInfo {
		key_id: info.key_id,
		owner: info.owner,
		path: info.path.into(),
		epsilon: info.epsilon.into(),
		public_key: info.public_key.to_vec().into(),
		ethereum_address: eip55_checksum_address(&ethereum),
		bitcoin_p2wpkh_address: bitcoin,
		created_at: info.created_at,
	})
}

impl<C, Block, AccountId> QSignApiServer<Block::Hash, AccountId, NumberFor<Block>>
	for QSign<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: QSignRuntimeApi<Block, AccountId, NumberFor<Block>>,
	AccountId: Codec + Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
	NumberFor<Block>: Serialize + DeserializeOwned,
{
	fn request_status(
		&self,
		request_id: RequestId,
		at: Option<Block::Hash>,
	) -> RpcResult<Option<RpcRequest<AccountId, NumberFor<Block>>>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let info =
			self.client.runtime_api().request_status(at, request_id).map_err(runtime_error)?;
		Ok(info.map(rpc_request))
	}

	fn key_info(
		&self,
		key_id: KeyId,
		at: Option<Block::Hash>,
	) -> RpcResult<Option<RpcKeyInfo<AccountId, NumberFor<Block>>>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let info = self.client.runtime_api().key_info(at, key_id).map_err(runtime_error)?;
		info.map(|info| rpc_key_info(info, self.bitcoin_network)).transpose()
	}
}

#[cfg(test)]
mod tests;
