//! The node's `qmpc` session key: which committee member we are, attestation signatures and
//! the key that seals our share on disk.

use pallet_qsign::crypto::{AuthorityId, AuthoritySignature, KEY_TYPE};
use qsign_mpc::storage::StorageKey;
use sp_core::{crypto::ByteArray, sr25519};
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
	use sc_keystore::LocalKeystore;
	use std::sync::Arc;

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
