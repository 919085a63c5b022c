//! Derivation of per-user child keys from a committee's root key.
//!
//! QSign's validators share one secp256k1 root key per committee. Every user (the `owner`,
//! a 32-byte `AccountId32` on our chain) can ask for signatures under any number of child
//! keys, one per `path` (free-form bytes chosen by the owner, e.g. `b"ethereum,1"`). A child
//! key is the root key shifted by a public scalar ε:
//!
//! ```text
//! msg       = b"QSign/v1/epsilon" ‖ u32_be(len(owner)) ‖ owner ‖ u32_be(len(path)) ‖ path
//! ε         = int(SHA-256(msg)) mod n            (n = order of secp256k1)
//! child_sk  = root_sk + ε mod n                  (never computed: the validators each add ε
//!                                                 to their Shamir share of root_sk)
//! child_pub = root_pub + ε·G                     (anyone can compute this offline)
//! ```
//!
//! * `u32_be(x)` is the length in bytes as a 4-byte big-endian integer; the length prefixes
//!   make the encoding injective, so two different `(owner, path)` pairs never hash the
//!   same message.
//! * `int(·)` reads the 32-byte digest as a big-endian unsigned integer.
//! * Public keys are SEC1 points: 33-byte compressed (`02`/`03` ‖ x) or 65-byte uncompressed
//!   (`04` ‖ x ‖ y).
//! * If `child_pub` is the point at infinity (probability about 2⁻²⁵⁶, it would mean
//!   `ε = −root_sk`), derivation fails with [`DerivationError::IdentityPoint`].
//!
//! A client needs only the committee's root public key to compute the public key (and,
//! with [`crate::address`], the Ethereum or Bitcoin address) of any `(owner, path)`.
//!
//! Because ε is public, anyone who learns one child secret key learns the root secret key
//! and every other child. This is the same trade-off as BIP-32 non-hardened derivation and
//! NEAR Chain Signatures; in QSign no secret key ever leaves the threshold protocol.

use k256::{
	elliptic_curve::{
		ops::Reduce,
		sec1::{FromEncodedPoint, ToEncodedPoint},
		PrimeField,
	},
	AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, PublicKey, Scalar, U256,
};
use sha2::{Digest, Sha256};

/// Domain-separation prefix of the ε message (version 1 of the derivation).
pub const EPSILON_DOMAIN: &[u8] = b"QSign/v1/epsilon";

/// Length of a SEC1 compressed secp256k1 public key.
pub const COMPRESSED_PUBLIC_KEY_LEN: usize = 33;

/// Length of a SEC1 uncompressed secp256k1 public key.
pub const UNCOMPRESSED_PUBLIC_KEY_LEN: usize = 65;

/// Why a key could not be derived or converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivationError {
	/// The given bytes are not a valid SEC1 encoding of a point on secp256k1 (or are the
	/// point at infinity).
	InvalidPublicKey,
	/// The given ε is not a canonical scalar (it is ≥ n). [`epsilon`] never returns such a
	/// value.
	InvalidEpsilon,
	/// `root_pub + ε·G` is the point at infinity, which is not a public key.
	IdentityPoint,
}

impl core::fmt::Display for DerivationError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::InvalidPublicKey => f.write_str("invalid secp256k1 public key"),
			Self::InvalidEpsilon => f.write_str("epsilon is not a canonical secp256k1 scalar"),
			Self::IdentityPoint => f.write_str("derived key is the point at infinity"),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for DerivationError {}

/// Length prefix of the ε message: the length as a big-endian `u32`.
///
/// Lengths that do not fit in a `u32` (more than 4 GiB, impossible on the 32-bit runtime and
/// far beyond any bound the pallet places on `path`) are outside the specification; they are
/// encoded as `u32::MAX` so that this function never panics.
fn length_prefix(len: usize) -> [u8; 4] {
	u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes()
}

/// The SHA-256 digest of the ε message for `(owner, path)`, before reduction modulo n.
pub fn epsilon_digest(owner: &[u8], path: &[u8]) -> [u8; 32] {
	let mut hasher = Sha256::new();
	hasher.update(EPSILON_DOMAIN);
	hasher.update(length_prefix(owner.len()));
	hasher.update(owner);
	hasher.update(length_prefix(path.len()));
	hasher.update(path);
	hasher.finalize().into()
}

/// The tweak ε for `(owner, path)` as a 32-byte big-endian scalar (always `< n`).
///
/// See the [module documentation](self) for the exact definition.
pub fn epsilon(owner: &[u8], path: &[u8]) -> [u8; 32] {
	let digest = FieldBytes::from(epsilon_digest(owner, path));
	let scalar = <Scalar as Reduce<U256>>::reduce_bytes(&digest);
	scalar.to_bytes().into()
}

/// Parses a canonical big-endian scalar (`< n`).
fn parse_epsilon(epsilon: &[u8; 32]) -> Result<Scalar, DerivationError> {
	Option::from(Scalar::from_repr(FieldBytes::from(*epsilon)))
		.ok_or(DerivationError::InvalidEpsilon)
}

/// Parses a SEC1 *compressed* public key (`02`/`03` ‖ x), rejecting every other encoding
/// (such as the 33-byte "compact" `05` form), points off the curve and the identity.
pub(crate) fn parse_compressed(
	bytes: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
) -> Result<PublicKey, DerivationError> {
	if !matches!(bytes[0], 0x02 | 0x03) {
		return Err(DerivationError::InvalidPublicKey);
	}
	PublicKey::from_sec1_bytes(bytes).map_err(|_| DerivationError::InvalidPublicKey)
}

/// Child public key `root + ε·G` for a root given as SEC1 compressed bytes.
///
/// Returns the child key as SEC1 compressed bytes.
///
/// # Errors
///
/// [`DerivationError::InvalidPublicKey`] if `root` is not a point on the curve,
/// [`DerivationError::InvalidEpsilon`] if `epsilon ≥ n`, and
/// [`DerivationError::IdentityPoint`] if the sum is the point at infinity.
pub fn derive_public_key(
	root: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
	epsilon: &[u8; 32],
) -> Result<[u8; COMPRESSED_PUBLIC_KEY_LEN], DerivationError> {
	let root = parse_compressed(root)?;
	let epsilon = parse_epsilon(epsilon)?;
	let child = root.to_projective() + ProjectivePoint::GENERATOR * epsilon;
	let child =
		PublicKey::from_affine(child.to_affine()).map_err(|_| DerivationError::IdentityPoint)?;
	Ok(compress(&child))
}

/// Child public key for `(owner, path)`: [`derive_public_key`]`(root, `[`epsilon`]`(owner, path))`.
///
/// # Errors
///
/// As [`derive_public_key`].
pub fn derive_child_public_key(
	root: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
	owner: &[u8],
	path: &[u8],
) -> Result<[u8; COMPRESSED_PUBLIC_KEY_LEN], DerivationError> {
	derive_public_key(root, &epsilon(owner, path))
}

/// Converts a SEC1 compressed public key to its 65-byte uncompressed form (`04 ‖ x ‖ y`).
///
/// # Errors
///
/// [`DerivationError::InvalidPublicKey`] if `public_key` is not a point on the curve.
pub fn uncompressed_public_key(
	public_key: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
) -> Result<[u8; UNCOMPRESSED_PUBLIC_KEY_LEN], DerivationError> {
	let key = parse_compressed(public_key)?;
	let point = key.to_encoded_point(false);
	point.as_bytes().try_into().map_err(|_| DerivationError::InvalidPublicKey)
}

/// Converts a SEC1 uncompressed public key (`04 ‖ x ‖ y`) to its 33-byte compressed form.
///
/// # Errors
///
/// [`DerivationError::InvalidPublicKey`] if `public_key` is not a point on the curve.
pub fn compressed_public_key(
	public_key: &[u8; UNCOMPRESSED_PUBLIC_KEY_LEN],
) -> Result<[u8; COMPRESSED_PUBLIC_KEY_LEN], DerivationError> {
	let point =
		EncodedPoint::from_bytes(public_key).map_err(|_| DerivationError::InvalidPublicKey)?;
	if point.is_compressed() {
		return Err(DerivationError::InvalidPublicKey);
	}
	let affine: Option<AffinePoint> = AffinePoint::from_encoded_point(&point).into();
	let key = affine
		.and_then(|affine| PublicKey::from_affine(affine).ok())
		.ok_or(DerivationError::InvalidPublicKey)?;
	Ok(compress(&key))
}

/// SEC1 compressed encoding of a (valid, non-identity) public key.
pub(crate) fn compress(key: &PublicKey) -> [u8; COMPRESSED_PUBLIC_KEY_LEN] {
	let mut out = [0u8; COMPRESSED_PUBLIC_KEY_LEN];
	out.copy_from_slice(key.to_encoded_point(true).as_bytes());
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use k256::SecretKey;

	fn hex32(s: &str) -> [u8; 32] {
		hex::decode(s).unwrap().try_into().unwrap()
	}

	fn hex33(s: &str) -> [u8; 33] {
		hex::decode(s).unwrap().try_into().unwrap()
	}

	/// Secret key 1: its public key is the generator G.
	const G_COMPRESSED: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

	#[test]
	fn epsilon_message_is_the_documented_byte_string() {
		// SHA-256 over the message assembled by hand must equal `epsilon_digest`.
		let owner = [0xAAu8; 32];
		let path = b"ethereum,1";
		let mut msg = b"QSign/v1/epsilon".to_vec();
		msg.extend_from_slice(&[0, 0, 0, 32]);
		msg.extend_from_slice(&owner);
		msg.extend_from_slice(&[0, 0, 0, 10]);
		msg.extend_from_slice(path);
		let expected: [u8; 32] = Sha256::digest(&msg).into();
		assert_eq!(epsilon_digest(&owner, path), expected);
	}

	#[test]
	fn length_prefixes_separate_owner_from_path() {
		assert_ne!(epsilon(b"ab", b"c"), epsilon(b"a", b"bc"));
		assert_ne!(epsilon(b"", b"abc"), epsilon(b"abc", b""));
	}

	#[test]
	fn child_public_key_matches_the_tweaked_secret_key() {
		// With a known root secret key (only possible in this single-key test), the child
		// public key must be (root_sk + ε)·G.
		let root_sk = SecretKey::from_slice(&hex32(
			"4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
		))
		.unwrap();
		let root_pub = compress(&root_sk.public_key());
		for path in [&b""[..], b"ethereum,1", b"bitcoin,0", &[0xFF; 200]] {
			let e = epsilon(&[7u8; 32], path);
			let child_sk = *root_sk.to_nonzero_scalar() + parse_epsilon(&e).unwrap();
			let expected = PublicKey::from_secret_scalar(
				&Option::from(k256::NonZeroScalar::new(child_sk)).unwrap(),
			);
			assert_eq!(derive_public_key(&root_pub, &e).unwrap(), compress(&expected));
		}
	}

	#[test]
	fn derivation_rejects_invalid_inputs() {
		let root = hex33(G_COMPRESSED);
		// x = 5 is not the x-coordinate of any point (5³ + 7 is not a square mod p).
		let mut not_on_curve = [0u8; 33];
		not_on_curve[0] = 0x02;
		not_on_curve[32] = 5;
		// The same x in the 33-byte "compact" encoding (tag 05) is not a compressed key.
		let mut compact = root;
		compact[0] = 0x05;
		for bad in [not_on_curve, compact, [0; 33]] {
			assert_eq!(derive_public_key(&bad, &[1; 32]), Err(DerivationError::InvalidPublicKey));
			assert_eq!(uncompressed_public_key(&bad), Err(DerivationError::InvalidPublicKey));
		}
		assert_eq!(derive_public_key(&root, &[0xFF; 32]), Err(DerivationError::InvalidEpsilon));
		// ε = n − 1 added to G gives n·G = identity.
		let n_minus_1 = hex32("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
		assert_eq!(derive_public_key(&root, &n_minus_1), Err(DerivationError::IdentityPoint));
		// ε = 0 leaves the key unchanged.
		assert_eq!(derive_public_key(&root, &[0; 32]), Ok(root));
	}

	#[test]
	fn compressed_and_uncompressed_forms_round_trip() {
		let root = hex33(G_COMPRESSED);
		let full = uncompressed_public_key(&root).unwrap();
		assert_eq!(
			hex::encode(full),
			"0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\
             483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
		);
		assert_eq!(compressed_public_key(&full), Ok(root));
		let mut bad = full;
		bad[64] ^= 1;
		assert_eq!(compressed_public_key(&bad), Err(DerivationError::InvalidPublicKey));
	}
}
