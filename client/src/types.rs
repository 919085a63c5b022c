//! Typed forms of what `qsign_requestStatus` and `qsign_keyInfo` return, and local checks of
//! signatures, keys and addresses with `qsign_primitives`.

use pallet_qsign_rpc::{RpcKeyInfo, RpcRequest, RpcRequestKind, RpcRequestStatus};
use qsign_primitives::{
	address::{self, AddressError, BitcoinNetwork},
	derivation::{self, DerivationError},
	request::{KeyId, MessageHash, PublicKey, RequestId, Signature},
	signature::{self, SignatureError},
};
use qsign_runtime::{AccountId, BlockNumber};

use crate::error::{Error, Result};

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestKind {
	/// A signature over a message hash.
	Signature,
	/// A signed EVM transaction.
	EvmTransaction {
		/// The destination chain id.
		chain_id: u64,
		/// `"legacy"` or `"eip1559"`.
		tx_type: String,
	},
}

/// Where a request is in its lifecycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
	/// Waiting for the committee.
	Pending,
	/// Signed: `r ‖ s ‖ v`.
	Signed {
		/// The signature.
		signature: Signature,
	},
	/// The committee could not sign it.
	Failed {
		/// The committee's reason as the RPC renders it (e.g. `signingAborted`).
		reason: String,
	},
	/// Not signed before its TTL ran out.
	Expired,
	/// Signed and reported broadcast by a relayer.
	Broadcast {
		/// The signature.
		signature: Signature,
		/// `keccak256` of the signed transaction (its id on the destination chain).
		tx_hash: [u8; 32],
		/// The destination chain's block that included it.
		destination_block: u64,
	},
}

impl Status {
	/// Whether the request will not change any more (everything but `Pending`; a `Signed`
	/// broadcast request may still become `Broadcast`, but its signature is final).
	pub fn is_final(&self) -> bool {
		!matches!(self, Status::Pending)
	}

	/// The signature, once there is one.
	pub fn signature(&self) -> Option<&Signature> {
		match self {
			Status::Signed { signature } | Status::Broadcast { signature, .. } => Some(signature),
			_ => None,
		}
	}

	/// A short name: `pending`, `signed`, `failed`, `expired` or `broadcast`.
	pub fn name(&self) -> &'static str {
		match self {
			Status::Pending => "pending",
			Status::Signed { .. } => "signed",
			Status::Failed { .. } => "failed",
			Status::Expired => "expired",
			Status::Broadcast { .. } => "broadcast",
		}
	}
}

/// A request as `qsign_requestStatus` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
	/// The request.
	pub request_id: RequestId,
	/// Who asked.
	pub owner: AccountId,
	/// The key that signs.
	pub key_id: KeyId,
	/// What is signed.
	pub kind: RequestKind,
	/// The 32 bytes signed.
	pub message_hash: MessageHash,
	/// The lifecycle status, with the signature once signed.
	pub status: Status,
	/// The deposit, in the chain's smallest unit.
	pub deposit: u128,
	/// Block the request was made in.
	pub created_at: BlockNumber,
	/// First block at which a pending request is expired.
	pub expires_at: BlockNumber,
	/// For broadcast requests: the unsigned transaction.
	pub unsigned_tx: Option<Vec<u8>>,
	/// For broadcast requests, once signed: the signed raw transaction.
	pub signed_tx: Option<Vec<u8>>,
}

/// A key as `qsign_keyInfo` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
	/// The key.
	pub key_id: KeyId,
	/// Its owner.
	pub owner: AccountId,
	/// The derivation path.
	pub path: Vec<u8>,
	/// The additive tweak ε (`public_key = root + ε·G`).
	pub epsilon: [u8; 32],
	/// SEC1 compressed public key.
	pub public_key: PublicKey,
	/// The Ethereum address, EIP-55 checksummed.
	pub ethereum_address: String,
	/// The Bitcoin P2WPKH address on the node's configured network.
	pub bitcoin_address: String,
	/// Block the key was created in.
	pub created_at: BlockNumber,
}

fn fixed<const N: usize>(what: &str, bytes: &[u8]) -> Result<[u8; N]> {
	bytes
		.try_into()
		.map_err(|_| Error::decode(what, format!("expected {N} bytes, got {}", bytes.len())))
}

impl TryFrom<RpcRequest<AccountId, BlockNumber>> for Request {
	type Error = Error;

	fn try_from(rpc: RpcRequest<AccountId, BlockNumber>) -> Result<Self> {
		let status = match rpc.status {
			RpcRequestStatus::Pending => Status::Pending,
			RpcRequestStatus::Signed { signature } => {
				Status::Signed { signature: fixed("signature", &signature)? }
			}
			RpcRequestStatus::Failed { reason } => Status::Failed { reason },
			RpcRequestStatus::Expired => Status::Expired,
			RpcRequestStatus::Broadcast { signature, tx_hash, destination_block } => {
				Status::Broadcast {
					signature: fixed("signature", &signature)?,
					tx_hash: tx_hash.0,
					destination_block,
				}
			}
		};
		let kind = match rpc.kind {
			RpcRequestKind::Signature => RequestKind::Signature,
			RpcRequestKind::EvmTransaction { chain_id, tx_type } => {
				RequestKind::EvmTransaction { chain_id, tx_type }
			}
		};
		Ok(Self {
			request_id: rpc.request_id,
			owner: rpc.owner,
			key_id: rpc.key_id,
			kind,
			message_hash: rpc.message_hash.0,
			status,
			deposit: rpc
				.deposit
				.parse()
				.map_err(|e| Error::decode("the request's deposit", format!("{e}")))?,
			created_at: rpc.created_at,
			expires_at: rpc.expires_at,
			unsigned_tx: rpc.unsigned_tx.map(|b| b.0),
			signed_tx: rpc.signed_tx.map(|b| b.0),
		})
	}
}

impl TryFrom<RpcKeyInfo<AccountId, BlockNumber>> for Key {
	type Error = Error;

	fn try_from(rpc: RpcKeyInfo<AccountId, BlockNumber>) -> Result<Self> {
		Ok(Self {
			key_id: rpc.key_id,
			owner: rpc.owner,
			path: rpc.path.0,
			epsilon: rpc.epsilon.0,
			public_key: fixed("public key", &rpc.public_key)?,
			ethereum_address: rpc.ethereum_address,
			bitcoin_address: rpc.bitcoin_p2wpkh_address,
			created_at: rpc.created_at,
		})
	}
}

/// Verifies a 65-byte `r ‖ s ‖ v` signature over `message_hash` against `public_key` (low `s`,
/// `v ∈ {0, 1}` recovering the key), as the pallet and Ethereum's `ecrecover` do.
///
/// # Errors
///
/// The [`SignatureError`] naming the first failed check.
pub fn verify_signature(
	message_hash: &MessageHash,
	signature: &Signature,
	public_key: &PublicKey,
) -> Result<(), SignatureError> {
	signature::verify_signature(message_hash, signature, public_key)
}

/// Checks that `request` is signed, that its message hash is `expected_hash` (if given) and
/// that its signature verifies against `public_key`; returns the signature.
///
/// # Errors
///
/// [`Error::Verification`] naming the request and what does not hold.
pub fn verify_request(
	request: &Request,
	public_key: &PublicKey,
	expected_hash: Option<&MessageHash>,
) -> Result<Signature> {
	let id = request.request_id;
	let fail = |reason: String| Error::Verification(format!("request {id}: {reason}"));
	let signature =
		request.status.signature().ok_or_else(|| fail(format!("is {}", request.status.name())))?;
	if let Some(expected) = expected_hash {
		if *expected != request.message_hash {
			return Err(fail(format!(
				"message hash 0x{} differs from the expected 0x{}",
				hex::encode(request.message_hash),
				hex::encode(expected)
			)));
		}
	}
	verify_signature(&request.message_hash, signature, public_key)
		.map_err(|e| fail(format!("signature does not verify: {e}")))?;
	Ok(*signature)
}

/// The key `(owner, path)` derives from `root` (computed offline, as the pallet does).
///
/// # Errors
///
/// The [`DerivationError`] if `root` is not a valid point (or, with negligible probability,
/// the derived key is invalid).
pub fn derive_key(
	root: &PublicKey,
	owner: &AccountId,
	path: &[u8],
) -> Result<PublicKey, DerivationError> {
	derivation::derive_child_public_key(root, owner.as_ref(), path)
}

/// The EIP-55 checksummed Ethereum address of `public_key`.
///
/// # Errors
///
/// [`AddressError::InvalidPublicKey`] if it is not a point on secp256k1.
pub fn ethereum_address(public_key: &PublicKey) -> Result<String, AddressError> {
	Ok(address::eip55_checksum_address(&address::ethereum_address(public_key)?))
}

/// The Bitcoin P2WPKH address of `public_key` on `network`.
///
/// # Errors
///
/// [`AddressError::InvalidPublicKey`] if it is not a point on secp256k1.
pub fn bitcoin_address(
	public_key: &PublicKey,
	network: BitcoinNetwork,
) -> Result<String, AddressError> {
	address::bitcoin_p2wpkh_address(public_key, network)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn rpc_json_converts_to_typed_requests() {
		let json = serde_json::json!({
			"requestId": 5,
			"owner": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
			"keyId": 2,
			"kind": { "type": "signature" },
			"messageHash": format!("0x{}", "ab".repeat(32)),
			"status": { "status": "signed", "signature": format!("0x{}", "01".repeat(65)) },
			"deposit": "10000000000000000",
			"createdAt": 10,
			"expiresAt": 210,
			"unsignedTx": null,
			"signedTx": null,
		});
		let rpc: RpcRequest<AccountId, BlockNumber> = serde_json::from_value(json.clone()).unwrap();
		let request = Request::try_from(rpc).unwrap();
		assert_eq!(request.status, Status::Signed { signature: [1; 65] });
		assert_eq!(request.deposit, 10_000_000_000_000_000);
		assert_eq!(request.message_hash, [0xab; 32]);

		let mut short = json;
		short["status"]["signature"] = serde_json::json!("0x0102");
		let rpc: RpcRequest<AccountId, BlockNumber> = serde_json::from_value(short).unwrap();
		assert!(matches!(Request::try_from(rpc), Err(Error::Decode { .. })));
	}

	#[test]
	fn unsigned_requests_do_not_verify() {
		let request = Request {
			request_id: 1,
			owner: AccountId::new([0; 32]),
			key_id: 0,
			kind: RequestKind::Signature,
			message_hash: [0; 32],
			status: Status::Expired,
			deposit: 0,
			created_at: 0,
			expires_at: 0,
			unsigned_tx: None,
			signed_tx: None,
		};
		let err = verify_request(&request, &[2; 33], None).unwrap_err();
		assert!(err.to_string().contains("is expired"), "{err}");
	}

	#[test]
	fn signed_requests_verify_against_their_key_only() {
		use sp_core::Pair as _;
		let pair = sp_core::ecdsa::Pair::from_string("//Signer", None).unwrap();
		let hash = [0x5a; 32];
		let signature = pair.sign_prehashed(&hash).0;
		let public_key = pair.public().0;
		let mut request = Request {
			request_id: 9,
			owner: AccountId::new([0; 32]),
			key_id: 0,
			kind: RequestKind::Signature,
			message_hash: hash,
			status: Status::Signed { signature },
			deposit: 0,
			created_at: 0,
			expires_at: 0,
			unsigned_tx: None,
			signed_tx: None,
		};
		assert_eq!(verify_request(&request, &public_key, Some(&hash)).unwrap(), signature);
		assert!(verify_request(&request, &public_key, Some(&[0; 32])).is_err());
		let other = sp_core::ecdsa::Pair::from_string("//Other", None).unwrap().public().0;
		assert!(verify_request(&request, &other, None).is_err());
		request.message_hash = [0x5b; 32];
		assert!(verify_request(&request, &public_key, None).is_err());
		assert!(ethereum_address(&public_key).unwrap().starts_with("0x"));
		assert!(bitcoin_address(&public_key, BitcoinNetwork::Regtest)
			.unwrap()
			.starts_with("bcrt1q"));
	}
}
