//! The node's `qmpc` session key: which committee member we are, attestation signatures and
//! the key that seals our share on disk.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex, PoisonError},
};

use pallet_qsign::crypto::{AuthorityId, AuthorityPair, AuthoritySignature, KEY_TYPE};
use qsign_mpc::storage::StorageKey;
use sc_keystore::LocalKeystore;
use sp_core::{crypto::ByteArray, sr25519, Pair as _};
use sp_keystore::{Keystore, KeystorePtr};

/// Label of the VRF transcript from which the share-sealing key is derived.
const SEALING_LABEL: &[u8] = b"qsign/share-sealing-key/v1";

/// Our committee membership, as found in the keystore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalMember {
	/// Our position in the committee's authority list.
	pub authority_index: u32,
	/// Our `qmpc` public key.
	pub public: AuthorityId,
}

/// The first `qmpc` key in the keystore that belongs to `authorities`, with its position.
pub fn local_member(keystore: &KeystorePtr, authorities: &[AuthorityId]) -> Option<LocalMember> {
	let ours = keystore.sr25519_public_keys(KEY_TYPE);
	authorities.iter().enumerate().find_map(|(index, authority)| {
		let raw = sr25519::Public::from_slice(authority.as_slice()).ok()?;
		ours.contains(&raw)
			.then(|| LocalMember { authority_index: index as u32, public: authority.clone() })
	})
}

/// Every `qmpc` public key in the keystore.
pub fn local_keys(keystore: &KeystorePtr) -> Vec<AuthorityId> {
	keystore.sr25519_public_keys(KEY_TYPE).into_iter().map(AuthorityId::from).collect()
}

/// Signs `payload` with our `qmpc` key `public`.
///
/// # Errors
///
/// A description if the keystore fails or no longer holds the key.
pub fn sign(
	keystore: &KeystorePtr,
	public: &AuthorityId,
	payload: &[u8],
) -> Result<AuthoritySignature, String> {
	let raw = sr25519::Public::from_slice(public.as_slice())
		.map_err(|()| "malformed public key".to_string())?;
	keystore
		.sr25519_sign(KEY_TYPE, &raw, payload)
		.map_err(|e| format!("keystore error: {e}"))?
		.map(AuthoritySignature::from)
		.ok_or_else(|| format!("the keystore no longer holds the qmpc key {public}"))
}

/// Our `qmpc` keys for signing, each read from the keystore once.
///
/// The local keystore keeps a key as the secret URI it was inserted or generated with (for a
/// generated key, a BIP-39 phrase), and every `sr25519_sign` turns that back into a key pair:
/// PBKDF2 with 2,048 rounds of HMAC-SHA-512. The worker signs every MPC message it sends, so
/// that cost was most of the node's CPU per signature under load (measured: 6.3 ms of CPU per
/// signature for key derivation alone, `docs/performance.md`). The pairs live in this
/// process's memory, where each signing put them anyway; a key the keystore no longer holds is
/// forgotten at the next [`SigningKeys::retain`] (each look at the chain).
pub struct SigningKeys {
	keystore: KeystorePtr,
	/// The local keystore, if the node has one (it reads key pairs out); else every signature
	/// goes through [`Keystore::sr25519_sign`].
	local: Option<Arc<LocalKeystore>>,
	pairs: Mutex<HashMap<AuthorityId, AuthorityPair>>,
}

impl SigningKeys {
	/// Signing with the keys of `keystore`, cached from `local` when given.
	pub fn new(keystore: KeystorePtr, local: Option<Arc<LocalKeystore>>) -> Self {
		Self { keystore, local, pairs: Mutex::new(HashMap::new()) }
	}

	/// Signs `payload` with our `qmpc` key `public`.
	///
	/// # Errors
	///
	/// A description if the keystore fails or does not hold the key.
	pub fn sign(&self, public: &AuthorityId, payload: &[u8]) -> Result<AuthoritySignature, String> {
		let mut pairs = self.pairs.lock().unwrap_or_else(PoisonError::into_inner);
		if let Some(pair) = pairs.get(public) {
			return Ok(pair.sign(payload));
		}
		if let Some(local) = &self.local {
			match local.key_pair::<AuthorityPair>(public) {
				Ok(Some(pair)) => {
					let signature = pair.sign(payload);
					pairs.insert(public.clone(), pair);
					return Ok(signature);
				}
				Ok(None) => {
					return Err(format!("the keystore does not hold the qmpc key {public}"))
				}
				Err(e) => return Err(format!("keystore error: {e}")),
			}
		}
		sign(&self.keystore, public, payload)
	}

	/// Forgets the pairs of keys not in `held` (the keystore's `qmpc` keys now).
	pub fn retain(&self, held: &[AuthorityId]) {
		let mut pairs = self.pairs.lock().unwrap_or_else(PoisonError::into_inner);
		pairs.retain(|public, _| held.contains(public));
	}
}

/// A secret the operator keeps away from the node's base path (a file on another volume or a
/// secrets manager's mount, `--mpc-sealing-secret-file`, or the `QSIGN_SEALING_SECRET`
/// environment variable), mixed into the share-sealing key: a copy of the base path alone
/// (keystore and share files) then no longer opens the shares.
#[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct OperatorSecret([u8; 32]);

impl OperatorSecret {
	/// Shortest secret accepted, in bytes.
	pub const MIN_LEN: usize = 16;
	/// Longest secret accepted, in bytes.
	pub const MAX_LEN: usize = 4096;

	/// The secret from its bytes (one trailing newline of a file is ignored).
	///
	/// # Errors
	///
	/// If it is shorter than [`Self::MIN_LEN`] or longer than [`Self::MAX_LEN`] bytes.
	pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Self, String> {
		if bytes.last() == Some(&b'\n') {
			bytes.pop();
			if bytes.last() == Some(&b'\r') {
				bytes.pop();
			}
		}
		let len = bytes.len();
		let digest =
			sp_io::hashing::blake2_256(&[&b"qsign/operator-sealing-secret"[..], &bytes].concat());
		zeroize::Zeroize::zeroize(&mut bytes);
		if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
			return Err(format!(
				"the share-sealing secret has {len} bytes: give {} to {} (e.g. 32 random bytes, \
				 hex-encoded)",
				Self::MIN_LEN,
				Self::MAX_LEN
			));
		}
		Ok(Self(digest))
	}
}

impl std::fmt::Debug for OperatorSecret {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("OperatorSecret(..)")
	}
}

/// The key that encrypts our shares at rest.
///
/// Without an operator secret it is the output of a VRF evaluated by our `qmpc` secret key
/// (deterministic, and unknowable without the secret key): a copied share file is useless
/// without the keystore, but a copy of the whole base path (keystore included) opens it. With
/// an [`OperatorSecret`] it is `blake2(VRF output ‖ secret)`: the base path alone is not
/// enough, the secret must be stolen as well.
///
/// # Errors
///
/// A description if the keystore fails or does not hold the key.
pub fn sealing_key(
	keystore: &KeystorePtr,
	public: &AuthorityId,
	genesis: &[u8; 32],
	operator: Option<&OperatorSecret>,
) -> Result<StorageKey, String> {
	let raw = sr25519::Public::from_slice(public.as_slice())
		.map_err(|()| "malformed public key".to_string())?;
	let input = sr25519::vrf::VrfInput::new(SEALING_LABEL, &[(b"genesis", &genesis[..])]);
	let pre_output = keystore
		.sr25519_vrf_pre_output(KEY_TYPE, &raw, &input)
		.map_err(|e| format!("keystore error: {e}"))?
		.ok_or_else(|| format!("the keystore does not hold the qmpc key {public}"))?;
	let mut bytes: [u8; 32] = pre_output
		.make_bytes(SEALING_LABEL, &input, &raw)
		.map_err(|e| format!("VRF output: {e}"))?;
	let key = match operator {
		None => bytes,
		Some(secret) => sp_io::hashing::blake2_256(
			&[&b"qsign/share-sealing-key/v2"[..], &bytes[..], &secret.0[..]].concat(),
		),
	};
	zeroize::Zeroize::zeroize(&mut bytes);
	Ok(StorageKey::new(key))
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::RuntimeAppPublic;

	fn keystore_with(seeds: &[&str]) -> (KeystorePtr, Vec<AuthorityId>) {
		let keystore: KeystorePtr = Arc::new(LocalKeystore::in_memory());
		let keys = seeds
			.iter()
			.map(|seed| {
				AuthorityId::from(keystore.sr25519_generate_new(KEY_TYPE, Some(seed)).unwrap())
			})
			.collect();
		(keystore, keys)
	}

	#[test]
	fn cached_keys_sign_as_the_keystore_does_and_are_forgotten_with_it() {
		let local = Arc::new(LocalKeystore::in_memory());
		let keystore: KeystorePtr = local.clone();
		let ours = AuthorityId::from(keystore.sr25519_generate_new(KEY_TYPE, None).unwrap());
		let keys = SigningKeys::new(keystore.clone(), Some(local));
		for payload in [&b"first"[..], b"second"] {
			let signature = keys.sign(&ours, payload).expect("held");
			assert!(ours.verify(&payload, &signature));
		}
		// Read once, then from memory; forgotten when the keystore no longer lists it.
		assert_eq!(keys.pairs.lock().unwrap().len(), 1);
		keys.retain(&[]);
		assert!(keys.pairs.lock().unwrap().is_empty());
		let (_, others) = keystore_with(&["//Eve"]);
		let refused = keys.sign(&others[0], b"x").expect_err("not ours");
		assert!(refused.contains("does not hold"), "{refused}");
		// Without a local keystore, through the keystore's own signing.
		let remote = SigningKeys::new(keystore, None);
		let signature = remote.sign(&ours, b"third").expect("held");
		assert!(ours.verify(&&b"third"[..], &signature));
	}

	#[test]
	fn finds_our_position_in_the_committee() {
		let (keystore, ours) = keystore_with(&["//Bob"]);
		let (_, others) = keystore_with(&["//Alice", "//Charlie"]);
		let committee = vec![others[0].clone(), ours[0].clone(), others[1].clone()];
		let member = local_member(&keystore, &committee).unwrap();
		assert_eq!(member.authority_index, 1);
		assert_eq!(member.public, ours[0]);
		assert_eq!(local_member(&keystore, &others), None);
	}

	#[test]
	fn sealing_key_is_deterministic_and_per_key_and_chain() {
		let (keystore, keys) = keystore_with(&["//Alice", "//Bob"]);
		let a1 = sealing_key(&keystore, &keys[0], &[1; 32], None).unwrap();
		let a2 = sealing_key(&keystore, &keys[0], &[1; 32], None).unwrap();
		let b = sealing_key(&keystore, &keys[1], &[1; 32], None).unwrap();
		let other_chain = sealing_key(&keystore, &keys[0], &[2; 32], None).unwrap();
		let sealed = qsign_mpc::storage::seal(b"share", &a1).unwrap();
		assert_eq!(&qsign_mpc::storage::open(&sealed, &a2).unwrap()[..], b"share");
		assert!(qsign_mpc::storage::open(&sealed, &b).is_err());
		assert!(qsign_mpc::storage::open(&sealed, &other_chain).is_err());
	}

	#[test]
	fn an_operator_secret_changes_the_sealing_key() {
		let (keystore, keys) = keystore_with(&["//Alice"]);
		let secret =
			OperatorSecret::from_bytes(b"correct horse battery staple\n".to_vec()).unwrap();
		let same = OperatorSecret::from_bytes(b"correct horse battery staple".to_vec()).unwrap();
		let other = OperatorSecret::from_bytes(b"another secret of the operator".to_vec()).unwrap();
		let with = sealing_key(&keystore, &keys[0], &[1; 32], Some(&secret)).unwrap();
		let sealed = qsign_mpc::storage::seal(b"share", &with).unwrap();
		// The keystore alone (a copied base path) does not open it; the same secret does.
		let without = sealing_key(&keystore, &keys[0], &[1; 32], None).unwrap();
		assert!(qsign_mpc::storage::open(&sealed, &without).is_err());
		let again = sealing_key(&keystore, &keys[0], &[1; 32], Some(&same)).unwrap();
		assert_eq!(&qsign_mpc::storage::open(&sealed, &again).unwrap()[..], b"share");
		let wrong = sealing_key(&keystore, &keys[0], &[1; 32], Some(&other)).unwrap();
		assert!(qsign_mpc::storage::open(&sealed, &wrong).is_err());
		assert!(OperatorSecret::from_bytes(b"short".to_vec()).is_err());
		assert!(OperatorSecret::from_bytes(vec![7; OperatorSecret::MAX_LEN + 1]).is_err());
		assert_eq!(format!("{secret:?}"), "OperatorSecret(..)");
	}

	#[test]
	fn signatures_verify_and_missing_keys_are_errors() {
		use sp_runtime::RuntimeAppPublic;
		let (keystore, keys) = keystore_with(&["//Alice"]);
		let signature = sign(&keystore, &keys[0], b"payload").unwrap();
		assert!(keys[0].verify(&b"payload".as_slice(), &signature));
		let (_, strangers) = keystore_with(&["//Eve"]);
		assert!(sign(&keystore, &strangers[0], b"payload").is_err());
		assert!(sealing_key(&keystore, &strangers[0], &[0; 32], None).is_err());
	}
}
