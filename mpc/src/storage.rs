//! Key shares at rest: versioned, authenticated encryption under a key the node supplies.
//!
//! ```text
//! offset   size  field
//!      0      4  magic "QSKS"
//!      4      1  format version (1)
//!      5      8  key check: SHA-256("QSign/v1/keyshare-key-check" ‖ key)[..8]
//!     13     24  XChaCha20-Poly1305 nonce (random)
//!     37      …  ciphertext of the serialized share, with its 16-byte tag;
//!                associated data = bytes 0..37
//!  len−32    32  SHA-256 of everything before it
//! ```
//!
//! Opening checks, in order: magic, version, checksum (accidental corruption), key check
//! (wrong key), then the AEAD tag (deliberate tampering with a fixed-up checksum), so each
//! failure has its own [`StorageError`]. The 64-bit key check tells nothing useful about a
//! uniformly random 256-bit key.

use chacha20poly1305::{
	aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
	XChaCha20Poly1305, XNonce,
};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{KeyShare, MpcError};

/// First bytes of every key-share file.
pub const MAGIC: [u8; 4] = *b"QSKS";

/// The format version this code writes.
pub const FORMAT_VERSION: u8 = 1;

const KEY_CHECK_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + 1 + KEY_CHECK_LEN + NONCE_LEN;
const TAG_LEN: usize = 16;
const CHECKSUM_LEN: usize = 32;

/// A 256-bit storage key, supplied by the node (for example from its keystore). Zeroized on
/// drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey([u8; 32]);

impl StorageKey {
	/// Wraps 32 key bytes.
	pub fn new(bytes: [u8; 32]) -> Self {
		Self(bytes)
	}

	fn check_value(&self) -> [u8; KEY_CHECK_LEN] {
		let digest = Sha256::new()
			.chain_update(b"QSign/v1/keyshare-key-check")
			.chain_update(self.0)
			.finalize();
		let mut out = [0u8; KEY_CHECK_LEN];
		out.copy_from_slice(&digest[..KEY_CHECK_LEN]);
		out
	}
}

impl core::fmt::Debug for StorageKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("StorageKey(..)")
	}
}

/// Why a key-share file could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
	/// The data does not start with [`MAGIC`].
	#[error("not a QSign key-share file")]
	NotAKeyShareFile,
	/// A format version this code does not know.
	#[error("unsupported key-share file version {0}")]
	UnsupportedVersion(u8),
	/// The file is truncated or its bytes were altered.
	#[error("key-share file is corrupted")]
	Corrupted,
	/// The file was sealed with another storage key.
	#[error("key-share file was encrypted with a different key")]
	WrongKey,
	/// The file decrypted but does not hold a valid key share.
	#[error("key-share file holds an invalid share: {0}")]
	InvalidShare(String),
	/// Encryption failed (cannot happen with valid inputs; kept so nothing here panics).
	#[error("encryption failed")]
	Encryption,
}

/// Encrypts `plaintext` into the file format above.
///
/// # Errors
///
/// [`StorageError::Encryption`] if the AEAD refuses the input (it does not for inputs below
/// 256 GiB).
pub fn seal(plaintext: &[u8], key: &StorageKey) -> Result<Vec<u8>, StorageError> {
	let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
	let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN + CHECKSUM_LEN);
	out.extend_from_slice(&MAGIC);
	out.push(FORMAT_VERSION);
	out.extend_from_slice(&key.check_value());
	out.extend_from_slice(&nonce);
	let cipher = XChaCha20Poly1305::new((&key.0).into());
	let ciphertext = cipher
		.encrypt(&nonce, Payload { msg: plaintext, aad: &out })
		.map_err(|_| StorageError::Encryption)?;
	out.extend_from_slice(&ciphertext);
	let checksum = Sha256::digest(&out);
	out.extend_from_slice(&checksum);
	Ok(out)
}

/// Decrypts a file produced by [`seal`].
///
/// # Errors
///
/// The [`StorageError`] for the first check that fails (see the module documentation).
pub fn open(file: &[u8], key: &StorageKey) -> Result<Zeroizing<Vec<u8>>, StorageError> {
	if file.len() < MAGIC.len() || file[..MAGIC.len()] != MAGIC {
		return Err(StorageError::NotAKeyShareFile);
	}
	match file.get(MAGIC.len()) {
		Some(&FORMAT_VERSION) => {}
		Some(&other) => return Err(StorageError::UnsupportedVersion(other)),
		None => return Err(StorageError::Corrupted),
	}
	if file.len() < HEADER_LEN + TAG_LEN + CHECKSUM_LEN {
		return Err(StorageError::Corrupted);
	}
	let (body, checksum) = file.split_at(file.len() - CHECKSUM_LEN);
	if Sha256::digest(body).as_slice() != checksum {
		return Err(StorageError::Corrupted);
	}
	let (header, ciphertext) = body.split_at(HEADER_LEN);
	if header[MAGIC.len() + 1..MAGIC.len() + 1 + KEY_CHECK_LEN] != key.check_value() {
		return Err(StorageError::WrongKey);
	}
	let nonce = XNonce::from_slice(&header[HEADER_LEN - NONCE_LEN..]);
	let cipher = XChaCha20Poly1305::new((&key.0).into());
	cipher
		.decrypt(nonce, Payload { msg: ciphertext, aad: header })
		.map(Zeroizing::new)
		.map_err(|_| StorageError::Corrupted)
}

impl KeyShare {
	/// Serializes and encrypts this share for storage.
	///
	/// # Errors
	///
	/// As [`seal`].
	pub fn seal(&self, key: &StorageKey) -> Result<Vec<u8>, StorageError> {
		seal(&self.to_bytes(), key)
	}

	/// Decrypts and parses a share sealed with [`KeyShare::seal`].
	///
	/// # Errors
	///
	/// As [`open`], plus [`StorageError::InvalidShare`] if the content is not a share.
	pub fn open(file: &[u8], key: &StorageKey) -> Result<KeyShare, StorageError> {
		let plaintext = open(file, key)?;
		KeyShare::from_bytes(&plaintext).map_err(|e| match e {
			MpcError::InvalidKeyShare(reason) => StorageError::InvalidShare(reason),
			other => StorageError::InvalidShare(other.to_string()),
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const KEY: [u8; 32] = [0x5a; 32];

	#[test]
	fn sealed_data_opens_with_the_same_key() {
		let file = seal(b"secret share", &StorageKey::new(KEY)).unwrap();
		assert_eq!(&open(&file, &StorageKey::new(KEY)).unwrap()[..], b"secret share");
		// The plaintext does not appear in the file.
		assert!(!file.windows(12).any(|w| w == b"secret share"));
	}

	#[test]
	fn each_kind_of_damage_has_its_own_error() {
		let key = StorageKey::new(KEY);
		let file = seal(b"secret share", &key).unwrap();

		assert_eq!(open(&file, &StorageKey::new([1; 32])), Err(StorageError::WrongKey));
		assert_eq!(open(b"PK\x03\x04 a zip file", &key), Err(StorageError::NotAKeyShareFile));

		let mut future = file.clone();
		future[4] = 2;
		assert_eq!(open(&future, &key), Err(StorageError::UnsupportedVersion(2)));

		for position in [5, 20, 40, file.len() - 40, file.len() - 1] {
			let mut flipped = file.clone();
			flipped[position] ^= 0x01;
			assert_eq!(open(&flipped, &key), Err(StorageError::Corrupted), "byte {position}");
		}
		assert_eq!(open(&file[..file.len() - 1], &key), Err(StorageError::Corrupted));
		assert_eq!(open(&file[..5], &key), Err(StorageError::Corrupted));

		// Tampering that also fixes up the checksum is caught by the AEAD tag.
		let mut tampered = file[..file.len() - CHECKSUM_LEN].to_vec();
		tampered[HEADER_LEN] ^= 0x01;
		let checksum = Sha256::digest(&tampered);
		tampered.extend_from_slice(&checksum);
		assert_eq!(open(&tampered, &key), Err(StorageError::Corrupted));
	}
}
