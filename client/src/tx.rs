//! Signed extrinsics for the QSign runtime, built from the runtime crate's own types.
//!
//! An extrinsic is `UncheckedExtrinsic::new_signed(call, MultiAddress::Id(signer), signature,
//! extension)`, where the extension is the runtime's [`TxExtension`] with an immortal era, the
//! signer's nonce and no tip, and the signature is sr25519 over the [`SignedPayload`]
//! `(call, extension, implicit)` with implicit `(spec_version, transaction_version,
//! genesis_hash, genesis_hash)` (the era's birth block of an immortal transaction is the
//! genesis block).

use codec::Encode;
use qsign_primitives::request::{Hasher, KeyId, MessageHash};
use qsign_runtime::{
	AccountId, Address, Balance, BlockNumber, GenericUncheckedExtrinsic, Hash, Nonce, Runtime,
	RuntimeCall, SignedPayload, TxExtension, UncheckedExtrinsic,
};
use sp_core::{crypto::Ss58Codec, sr25519, Get, Pair as _};
use sp_runtime::{traits::IdentifyAccount, MultiSignature, MultiSigner};

use crate::error::{Error, Result};

/// What a signature commits to besides the call: the chain and its runtime version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainInfo {
	/// Hash of block 0 (`CheckGenesis`, and the birth block of immortal transactions).
	pub genesis_hash: Hash,
	/// The runtime's `spec_version` (`CheckSpecVersion`).
	pub spec_version: u32,
	/// The runtime's `transaction_version` (`CheckTxVersion`).
	pub transaction_version: u32,
}

/// An account that signs extrinsics: an sr25519 key pair.
#[derive(Clone)]
pub struct Signer {
	pair: sr25519::Pair,
	account_id: AccountId,
}

impl core::fmt::Debug for Signer {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		// Never print the secret.
		f.debug_struct("Signer").field("account", &self.account_id.to_ss58check()).finish()
	}
}

impl Signer {
	/// The key pair of a secret URI such as `//Alice`, `//Bob//stash` or a mnemonic phrase
	/// with optional derivation path.
	///
	/// # Errors
	///
	/// [`Error::InvalidArgument`] if the URI is not a valid secret URI (the message does not
	/// repeat the URI, which may be a secret).
	pub fn from_suri(suri: &str) -> Result<Self> {
		let pair = sr25519::Pair::from_string(suri, None).map_err(|e| {
			Error::InvalidArgument(format!(
				"invalid secret URI (expected e.g. //Alice or a mnemonic phrase): {e}"
			))
		})?;
		Ok(Self::from_pair(pair))
	}

	/// A signer for `pair`.
	pub fn from_pair(pair: sr25519::Pair) -> Self {
		let account_id = MultiSigner::from(pair.public()).into_account();
		Self { pair, account_id }
	}

	/// The signer's account.
	pub fn account_id(&self) -> &AccountId {
		&self.account_id
	}

	/// The key pair.
	pub fn pair(&self) -> &sr25519::Pair {
		&self.pair
	}

	/// Signs `message` (the encoded signed payload) as the runtime's [`MultiSignature`].
	pub fn sign(&self, message: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.pair.sign(message))
	}
}

/// The runtime's transaction extension for a signed transaction with `nonce` and `tip`, valid
/// forever (immortal era).
pub fn tx_extension(nonce: Nonce, tip: Balance) -> TxExtension {
	qsign_runtime::immortal_tx_extension(nonce, tip, false)
}

/// The implicit part of the signed payload, which the node computes from its own state.
type Implicit = ((), (), u32, u32, Hash, Hash, (), (), (), (), ());

fn implicit(chain: &ChainInfo) -> Implicit {
	(
		(),
		(),
		chain.spec_version,
		chain.transaction_version,
		chain.genesis_hash,
		chain.genesis_hash,
		(),
		(),
		(),
		(),
		(),
	)
}

/// The payload a signer signs for `call` with `nonce` on `chain` (no tip, immortal).
pub fn signed_payload(call: RuntimeCall, nonce: Nonce, chain: &ChainInfo) -> SignedPayload {
	SignedPayload::from_raw(call, tx_extension(nonce, 0), implicit(chain))
}

/// `call` signed by `signer` with `nonce` for `chain` (no tip, immortal).
pub fn sign_extrinsic(
	signer: &Signer,
	call: RuntimeCall,
	nonce: Nonce,
	chain: &ChainInfo,
) -> UncheckedExtrinsic {
	let payload = signed_payload(call.clone(), nonce, chain);
	// `SignedPayload::using_encoded` hashes payloads over 256 bytes with blake2-256, as the
	// runtime's check does.
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let address: Address = Address::Id(signer.account_id().clone());
	GenericUncheckedExtrinsic::new_signed(call, address, signature, tx_extension(nonce, 0)).into()
}

/// The hash the node reports for an encoded extrinsic (blake2-256 of its encoding, as
/// `author_submitExtrinsic` returns and as blocks list it).
pub fn extrinsic_hash(encoded: &[u8]) -> Hash {
	Hash::from(sp_io::hashing::blake2_256(encoded))
}

/// Something to sign in [`request_signature_call`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
	/// Raw data the chain hashes with `hasher` before it is signed.
	Data {
		/// The data.
		data: Vec<u8>,
		/// The hash function applied on-chain.
		hasher: Hasher,
	},
	/// A 32-byte hash, signed as is.
	Hash(MessageHash),
}

impl Payload {
	/// `data`, to be hashed with Keccak-256 (as Ethereum does) on-chain.
	pub fn keccak256(data: impl Into<Vec<u8>>) -> Self {
		Self::Data { data: data.into(), hasher: Hasher::Keccak256 }
	}

	/// `data`, to be hashed with SHA-256 on-chain.
	pub fn sha256(data: impl Into<Vec<u8>>) -> Self {
		Self::Data { data: data.into(), hasher: Hasher::Sha256 }
	}

	/// The 32 bytes the committee signs, computed locally exactly as the pallet does.
	pub fn message_hash(&self) -> MessageHash {
		match self {
			Self::Data { data, hasher: Hasher::Keccak256 } => {
				qsign_primitives::address::keccak256(data)
			}
			Self::Data { data, hasher: Hasher::Sha256 } => sp_io::hashing::sha2_256(data),
			Self::Hash(hash) => *hash,
		}
	}
}

/// Most payloads the runtime accepts in one `request_signature`.
pub fn max_batch() -> u32 {
	<Runtime as pallet_qsign::Config>::MaxBatch::get()
}

/// Longest key derivation path the runtime accepts, in bytes.
pub fn max_path_len() -> u32 {
	<Runtime as pallet_qsign::Config>::MaxPathLen::get()
}

/// Longest `Payload::Data` the runtime accepts, in bytes.
pub fn max_data_len() -> u32 {
	<Runtime as pallet_qsign::Config>::MaxDataLen::get()
}

/// The call `QSign::request_key(path)`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `path` is longer than the runtime allows.
pub fn request_key_call(path: &[u8]) -> Result<RuntimeCall> {
	let path = pallet_qsign::PathOf::<Runtime>::try_from(path.to_vec()).map_err(|_| {
		Error::InvalidArgument(format!(
			"the path has {} bytes; the runtime allows at most {}",
			path.len(),
			max_path_len()
		))
	})?;
	Ok(RuntimeCall::QSign(pallet_qsign::Call::request_key { path }))
}

/// The call `QSign::request_signature(key_id, payloads, ttl, idempotency_key)`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if there are no payloads or more than the runtime's batch limit,
/// or a payload's data is longer than the runtime allows.
pub fn request_signature_call(
	key_id: KeyId,
	payloads: &[Payload],
	ttl: Option<BlockNumber>,
	idempotency_key: Option<[u8; 32]>,
) -> Result<RuntimeCall> {
	if payloads.is_empty() {
		return Err(Error::InvalidArgument("request_signature needs at least one payload".into()));
	}
	let mut bounded = Vec::with_capacity(payloads.len());
	for payload in payloads {
		bounded.push(match payload {
			Payload::Data { data, hasher } => pallet_qsign::Payload::Data {
				data: data.clone().try_into().map_err(|_| {
					Error::InvalidArgument(format!(
						"a payload has {} bytes; the runtime allows at most {}",
						data.len(),
						max_data_len()
					))
				})?,
				hasher: *hasher,
			},
			Payload::Hash(hash) => pallet_qsign::Payload::Hash(*hash),
		});
	}
	let payloads = pallet_qsign::PayloadsOf::<Runtime>::try_from(bounded).map_err(|b| {
		Error::InvalidArgument(format!(
			"{} payloads in one request; the runtime allows at most {}",
			b.len(),
			max_batch()
		))
	})?;
	Ok(RuntimeCall::QSign(pallet_qsign::Call::request_signature {
		key_id,
		payloads,
		ttl,
		idempotency_key,
	}))
}

/// The call `QSign::request_broadcast(key_id, chain_id, unsigned_tx, ttl, idempotency_key)`:
/// sign an unsigned EVM transaction (`0x02 ‖ rlp(…)` for EIP-1559, or an EIP-155 legacy
/// signing payload) for a relayer to broadcast on `chain_id`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if the transaction is longer than the runtime allows.
pub fn request_broadcast_call(
	key_id: KeyId,
	chain_id: u64,
	unsigned_tx: &[u8],
	ttl: Option<BlockNumber>,
	idempotency_key: Option<[u8; 32]>,
) -> Result<RuntimeCall> {
	let unsigned_tx = pallet_qsign::UnsignedTxOf::<Runtime>::try_from(unsigned_tx.to_vec())
		.map_err(|tx| {
			Error::InvalidArgument(format!(
				"the unsigned transaction has {} bytes; the runtime allows at most {}",
				tx.len(),
				<<Runtime as pallet_qsign::Config>::MaxTxLen as sp_core::Get<u32>>::get()
			))
		})?;
	Ok(RuntimeCall::QSign(pallet_qsign::Call::request_broadcast {
		key_id,
		chain_id,
		unsigned_tx,
		ttl,
		idempotency_key,
	}))
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Decode;
	use sp_runtime::{generic::Preamble, traits::Verify};

	fn chain() -> ChainInfo {
		ChainInfo {
			genesis_hash: Hash::repeat_byte(0x42),
			spec_version: 100,
			transaction_version: 1,
		}
	}

	/// Decodes `encoded` as the runtime's extrinsic and checks its signature over the payload
	/// rebuilt from the decoded parts and `chain`.
	fn decode_and_verify(encoded: &[u8], chain: &ChainInfo) -> (GenericUncheckedExtrinsic, bool) {
		let xt = UncheckedExtrinsic::decode(&mut &encoded[..]).expect("decodes").0;
		let Preamble::Signed(Address::Id(who), signature, ext) = xt.preamble.clone() else {
			panic!("not a signed extrinsic: {:?}", xt.preamble)
		};
		let payload = SignedPayload::from_raw(xt.function.clone(), ext, implicit(chain));
		let ok = payload.using_encoded(|bytes| signature.verify(bytes, &who));
		(xt, ok)
	}

	#[test]
	fn signed_extrinsics_round_trip_and_verify() {
		let alice = Signer::from_suri("//Alice").unwrap();
		assert_eq!(
			alice.account_id().to_ss58check(),
			"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
		);
		let call = request_signature_call(
			7,
			&[Payload::keccak256(b"hello".to_vec()), Payload::Hash([9; 32])],
			Some(50),
			Some([1; 32]),
		)
		.unwrap();
		let xt = sign_extrinsic(&alice, call.clone(), 3, &chain());
		let encoded = xt.encode();
		let (decoded, verifies) = decode_and_verify(&encoded, &chain());
		assert!(verifies);
		assert_eq!(decoded.function, call);
		assert_eq!(decoded.encode(), encoded);
		let Preamble::Signed(_, _, ext) = &decoded.preamble else { unreachable!() };
		assert_eq!(ext.6, frame_system::CheckNonce::<Runtime>::from(3));
		assert_eq!(extrinsic_hash(&encoded), Hash::from(sp_io::hashing::blake2_256(&encoded)));

		// Another chain (genesis or runtime version) does not accept the signature.
		let other = ChainInfo { spec_version: 101, ..chain() };
		assert!(!decode_and_verify(&encoded, &other).1);
		let other = ChainInfo { genesis_hash: Hash::repeat_byte(1), ..chain() };
		assert!(!decode_and_verify(&encoded, &other).1);
	}

	#[test]
	fn long_payloads_are_hashed_before_signing() {
		// Payloads over 256 bytes are signed as their blake2-256 hash.
		let bob = Signer::from_suri("//Bob").unwrap();
		let call =
			request_signature_call(1, &[Payload::sha256(vec![7u8; 1000])], None, None).unwrap();
		let encoded = sign_extrinsic(&bob, call, 0, &chain()).encode();
		assert!(encoded.len() > 1000);
		assert!(decode_and_verify(&encoded, &chain()).1);
	}

	#[test]
	fn out_of_bounds_arguments_are_errors() {
		assert!(request_key_call(b"ethereum,1").is_ok());
		let long_path = vec![b'a'; max_path_len() as usize + 1];
		assert!(matches!(request_key_call(&long_path), Err(Error::InvalidArgument(_))));
		assert!(matches!(
			request_signature_call(1, &[], None, None),
			Err(Error::InvalidArgument(_))
		));
		let too_many = vec![Payload::Hash([0; 32]); max_batch() as usize + 1];
		assert!(matches!(
			request_signature_call(1, &too_many, None, None),
			Err(Error::InvalidArgument(_))
		));
		let big = Payload::keccak256(vec![0u8; max_data_len() as usize + 1]);
		assert!(matches!(
			request_signature_call(1, &[big], None, None),
			Err(Error::InvalidArgument(_))
		));
		assert!(matches!(Signer::from_suri("not a suri"), Err(Error::InvalidArgument(_))));
	}

	#[test]
	fn message_hashes_match_the_pallet() {
		let data = b"qsign".to_vec();
		for payload in
			[Payload::keccak256(data.clone()), Payload::sha256(data), Payload::Hash([3; 32])]
		{
			let on_chain: pallet_qsign::PayloadOf<Runtime> = match &payload {
				Payload::Data { data, hasher } => pallet_qsign::Payload::Data {
					data: data.clone().try_into().unwrap(),
					hasher: *hasher,
				},
				Payload::Hash(h) => pallet_qsign::Payload::Hash(*h),
			};
			assert_eq!(payload.message_hash(), on_chain.message_hash());
		}
	}
}
