//! Request types shared by pallet-qsign, the node's MPC worker and the relayer.
//!
//! These are the types that cross the runtime boundary (runtime API results, call arguments the
//! node signs) so that the node and the relayer decode exactly what the runtime encodes.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Identifier of a key owned by an account (assigned by the chain, increasing from 0).
pub type KeyId = u64;

/// Identifier of a signature or broadcast request (assigned by the chain, increasing from 0).
pub type RequestId = u64;

/// Identifier of a committee (increases by one each time the committee changes).
pub type CommitteeId = u64;

/// A SEC1 compressed secp256k1 public key (`0x02`/`0x03` prefix followed by x).
pub type PublicKey = [u8; 33];

/// A recoverable secp256k1 ECDSA signature `r ‖ s ‖ v` with `v ∈ {0, 1}` and low `s`.
pub type Signature = [u8; 65];

/// The 32-byte hash that gets signed.
pub type MessageHash = [u8; 32];

/// The hash the chain applies to raw payload data before it is signed.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Hasher {
	/// Keccak-256 (Ethereum).
	Keccak256,
	/// SHA-256 (Bitcoin and most others).
	Sha256,
}

/// Why the committee gave up on a request.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum FailureReason {
	/// The signing protocol was aborted (a participant misbehaved or dropped out).
	SigningAborted,
	/// Not enough committee members were online to reach the threshold.
	CommitteeUnavailable,
	/// The committee holds no share for the request's key (e.g. after a committee change).
	KeyUnavailable,
	/// The request cannot be signed as it stands.
	InvalidRequest,
	/// Another reason, identified by an implementation-defined code.
	Other(u16),
}

/// The kind of EVM transaction a broadcast request carries.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum EvmTxType {
	/// Legacy transaction with EIP-155 replay protection.
	Legacy,
	/// EIP-1559 (type 2) transaction.
	Eip1559,
}

/// What a request asks the committee to do.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum RequestKind {
	/// Sign a message hash.
	Signature,
	/// Sign an EVM transaction so that a relayer can broadcast it on `chain_id`.
	EvmTransaction {
		/// The destination chain (EIP-155 chain id).
		chain_id: u64,
		/// The transaction's envelope.
		tx_type: EvmTxType,
	},
}

/// Where a request is in its lifecycle.
///
/// `Pending → Signed | Failed | Expired`, and for EVM transactions `Signed → Broadcast`.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum RequestStatus {
	/// Waiting for the committee's signature.
	Pending,
	/// Signed; the signature verifies against the request's derived key.
	Signed {
		/// `r ‖ s ‖ v`.
		signature: Signature,
	},
	/// The committee agreed that the request cannot be signed; the deposit was refunded.
	Failed {
		/// The reason a threshold of the committee reported.
		reason: FailureReason,
	},
	/// Not signed before its TTL ran out; the deposit was refunded.
	Expired,
	/// The signed EVM transaction was reported broadcast by a relayer.
	Broadcast {
		/// `r ‖ s ‖ v`.
		signature: Signature,
		/// `keccak256` of the signed raw transaction.
		tx_hash: [u8; 32],
		/// The destination chain's block that included the transaction, as the relayer saw it.
		destination_block: u64,
	},
}

impl RequestStatus {
	/// Whether the request still waits for a result.
	pub fn is_pending(&self) -> bool {
		matches!(self, RequestStatus::Pending)
	}

	/// The signature, once there is one.
	pub fn signature(&self) -> Option<&Signature> {
		match self {
			RequestStatus::Signed { signature } | RequestStatus::Broadcast { signature, .. } => {
				Some(signature)
			}
			_ => None,
		}
	}
}

/// A committee member's vote that a request cannot be signed.
///
/// Signed with the member's `qmpc` session key over [`FailureVote::signing_payload`] and
/// submitted to `pallet_qsign::report_failure`.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct FailureVote {
	/// The committee the voting member belongs to.
	pub committee_id: CommitteeId,
	/// The request the vote is about.
	pub request_id: RequestId,
	/// Position of the member in the committee's authority list.
	pub authority_index: u32,
	/// Why the request cannot be signed.
	pub reason: FailureReason,
}

impl FailureVote {
	/// Domain separator prepended to the encoded vote before it is signed.
	pub const CONTEXT: &'static [u8] = b"qsign/failure-vote/v1";

	/// The bytes a committee member signs: `CONTEXT ‖ SCALE(self)`.
	pub fn signing_payload(&self) -> Vec<u8> {
		crate::signing_payload(Self::CONTEXT, self)
	}
}

/// The signing committee as the runtime sees it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct CommitteeInfo<AuthorityId> {
	/// Identifier of this committee (changes whenever its membership does).
	pub committee_id: CommitteeId,
	/// The members, in the order that defines each member's `authority_index`.
	pub authorities: Vec<AuthorityId>,
	/// How many members must agree (root key attestations, failure votes): `n / 2 + 1`.
	pub threshold: u32,
	/// The committee's root public key, once a threshold of members attested the same one.
	pub root_key: Option<PublicKey>,
}

/// A request the MPC worker has to sign, with everything it needs to do so.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct PendingRequest<BlockNumber> {
	/// The request.
	pub request_id: RequestId,
	/// The key that signs.
	pub key_id: KeyId,
	/// The 32 bytes to sign (already hashed).
	pub message_hash: MessageHash,
	/// The additive tweak of the key: `derived = root + epsilon·G`.
	pub epsilon: [u8; 32],
	/// The derived public key the signature must verify against.
	pub derived_public_key: PublicKey,
	/// The block in which the request was made (signing attempts are counted from it).
	pub created_at: BlockNumber,
	/// The first block at which the request is expired.
	pub expires_at: BlockNumber,
}

/// Everything the chain knows about a request.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct RequestInfo<AccountId, BlockNumber> {
	/// The request.
	pub request_id: RequestId,
	/// Who asked (and paid the deposit).
	pub owner: AccountId,
	/// The key that signs.
	pub key_id: KeyId,
	/// What is signed.
	pub kind: RequestKind,
	/// The 32 bytes to sign (for EVM transactions: the transaction's sighash).
	pub message_hash: MessageHash,
	/// Where the request is in its lifecycle.
	pub status: RequestStatus,
	/// The deposit taken for the request.
	pub deposit: u128,
	/// Block the request was made in.
	pub created_at: BlockNumber,
	/// The first block at which a pending request is expired.
	pub expires_at: BlockNumber,
	/// For EVM transactions: the unsigned transaction as submitted.
	pub unsigned_tx: Option<Vec<u8>>,
	/// For EVM transactions, once signed: the raw signed transaction, ready to broadcast.
	pub signed_tx: Option<Vec<u8>>,
}

/// A key owned by an account.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct KeyInfo<AccountId, BlockNumber> {
	/// The key.
	pub key_id: KeyId,
	/// Its owner: the only account that may request signatures with it.
	pub owner: AccountId,
	/// The derivation path the owner chose.
	pub path: Vec<u8>,
	/// The additive tweak of the key: `derived = root + epsilon·G`.
	pub epsilon: [u8; 32],
	/// The derived public key.
	pub public_key: PublicKey,
	/// Block the key was created in.
	pub created_at: BlockNumber,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn signing_payloads_are_domain_separated() {
		let vote = FailureVote {
			committee_id: 1,
			request_id: 7,
			authority_index: 0,
			reason: FailureReason::SigningAborted,
		};
		let payload = vote.signing_payload();
		assert!(payload.starts_with(FailureVote::CONTEXT));
		assert_eq!(&payload[FailureVote::CONTEXT.len()..], &vote.encode()[..]);
		use crate::committee::{BanReport, GenesisReady, HandoverAttestation};
		let contexts = [
			FailureVote::CONTEXT,
			HandoverAttestation::CONTEXT,
			BanReport::CONTEXT,
			GenesisReady::CONTEXT,
		];
		for (i, a) in contexts.iter().enumerate() {
			assert!(contexts[i + 1..].iter().all(|b| a != b), "{contexts:?}");
		}
	}

	#[test]
	fn status_helpers() {
		assert!(RequestStatus::Pending.is_pending());
		assert_eq!(RequestStatus::Expired.signature(), None);
		let signature = [7u8; 65];
		assert_eq!(RequestStatus::Signed { signature }.signature(), Some(&signature));
		assert_eq!(
			RequestStatus::Broadcast { signature, tx_hash: [0; 32], destination_block: 1 }
				.signature(),
			Some(&signature)
		);
	}
}
