//! Verification of QSign's 65-byte recoverable ECDSA signatures.
//!
//! A QSign signature over a 32-byte message hash is `r ‖ s ‖ v` (65 bytes): `r` and `s` are
//! 32-byte big-endian scalars, `s` is low (`s ≤ n/2`, as Bitcoin and Ethereum require) and
//! `v ∈ {0, 1}` is the recovery id (the parity of the y-coordinate of the nonce point `R`),
//! i.e. exactly what Ethereum's `ecrecover` takes once you add 27 (or the chain-specific
//! EIP-155 offset).

use k256::ecdsa::{signature::hazmat::PrehashVerifier, RecoveryId, Signature, VerifyingKey};

use crate::derivation::COMPRESSED_PUBLIC_KEY_LEN;

/// Length of a recoverable signature `r ‖ s ‖ v`.
pub const SIGNATURE_LEN: usize = 65;

/// Why a signature was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
	/// The public key is not a valid SEC1 compressed secp256k1 point.
	InvalidPublicKey,
	/// `r` or `s` is zero or not below the group order.
	InvalidEncoding,
	/// `s` is in the upper half of the group order (malleable form).
	HighS,
	/// The recovery id is neither 0 nor 1.
	InvalidRecoveryId,
	/// The ECDSA equation does not hold for this key and hash.
	VerificationFailed,
	/// The signature is valid but its recovery id recovers a different key.
	WrongRecoveryId,
}

impl core::fmt::Display for SignatureError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			Self::InvalidPublicKey => "invalid secp256k1 public key",
			Self::InvalidEncoding => "r or s out of range",
			Self::HighS => "s is not normalized to the lower half of the group order",
			Self::InvalidRecoveryId => "recovery id must be 0 or 1",
			Self::VerificationFailed => "signature does not verify",
			Self::WrongRecoveryId => "recovery id does not recover the signing key",
		})
	}
}

#[cfg(feature = "std")]
impl std::error::Error for SignatureError {}

/// Parses `r ‖ s ‖ v`, enforcing canonical, low-s scalars and `v ∈ {0, 1}`.
fn parse(signature: &[u8; SIGNATURE_LEN]) -> Result<(Signature, RecoveryId), SignatureError> {
	let sig =
		Signature::from_slice(&signature[..64]).map_err(|_| SignatureError::InvalidEncoding)?;
	if sig.normalize_s().is_some() {
		return Err(SignatureError::HighS);
	}
	let recovery_id = match signature[64] {
		0 => RecoveryId::new(false, false),
		1 => RecoveryId::new(true, false),
		_ => return Err(SignatureError::InvalidRecoveryId),
	};
	Ok((sig, recovery_id))
}

/// Verifies a 65-byte signature `r ‖ s ‖ v` over `hash` against a compressed public key.
///
/// Accepts only low-s signatures whose recovery id `v` (0 or 1) recovers `public_key`, so an
/// accepted signature works unchanged with Ethereum's `ecrecover`.
///
/// # Errors
///
/// The [`SignatureError`] naming the first check that failed.
pub fn verify_signature(
	hash: &[u8; 32],
	signature: &[u8; SIGNATURE_LEN],
	public_key: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
) -> Result<(), SignatureError> {
	let key = VerifyingKey::from(
		crate::derivation::parse_compressed(public_key)
			.map_err(|_| SignatureError::InvalidPublicKey)?,
	);
	let (sig, recovery_id) = parse(signature)?;
	// Recovery computes Q = r⁻¹(s·R − z·G) for the R with x = r and the parity v; Q equal to
	// our key means s·R = z·G + r·Q, i.e. the ECDSA equation holds for our key (and `ecdsa`
	// verifies the recovered key as well). One scalar-multiplication pass instead of two.
	match VerifyingKey::recover_from_prehash(hash, &sig, recovery_id) {
		Ok(recovered) if recovered == key => Ok(()),
		// Only on failure: tell a wrong recovery id from an invalid signature.
		_ if key.verify_prehash(hash, &sig).is_ok() => Err(SignatureError::WrongRecoveryId),
		_ => Err(SignatureError::VerificationFailed),
	}
}

/// Recovers the compressed public key that produced `signature` over `hash` (`ecrecover`).
///
/// # Errors
///
/// [`SignatureError::InvalidEncoding`], [`SignatureError::HighS`] or
/// [`SignatureError::InvalidRecoveryId`] for a malformed signature and
/// [`SignatureError::VerificationFailed`] if no key can be recovered.
pub fn recover_public_key(
	hash: &[u8; 32],
	signature: &[u8; SIGNATURE_LEN],
) -> Result<[u8; COMPRESSED_PUBLIC_KEY_LEN], SignatureError> {
	let (sig, recovery_id) = parse(signature)?;
	let key = VerifyingKey::recover_from_prehash(hash, &sig, recovery_id)
		.map_err(|_| SignatureError::VerificationFailed)?;
	let mut out = [0u8; COMPRESSED_PUBLIC_KEY_LEN];
	out.copy_from_slice(key.to_encoded_point(true).as_bytes());
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;
	use k256::ecdsa::SigningKey;

	fn signed(hash: &[u8; 32]) -> ([u8; 33], [u8; 65]) {
		let key = SigningKey::from_slice(&[0x11; 32]).unwrap();
		let (sig, recid) = key.sign_prehash_recoverable(hash).unwrap();
		let mut out = [0u8; 65];
		out[..64].copy_from_slice(&sig.to_bytes());
		out[64] = recid.to_byte();
		let mut public = [0u8; 33];
		public.copy_from_slice(key.verifying_key().to_encoded_point(true).as_bytes());
		(public, out)
	}

	#[test]
	fn a_single_key_signature_verifies_and_recovers() {
		let hash = [0x42; 32];
		let (public, sig) = signed(&hash);
		assert_eq!(verify_signature(&hash, &sig, &public), Ok(()));
		assert_eq!(recover_public_key(&hash, &sig), Ok(public));
	}

	#[test]
	fn tampered_signatures_are_rejected_with_the_reason() {
		let hash = [0x42; 32];
		let (public, sig) = signed(&hash);

		assert_eq!(
			verify_signature(&[0x43; 32], &sig, &public),
			Err(SignatureError::VerificationFailed)
		);

		let mut flipped_v = sig;
		flipped_v[64] ^= 1;
		assert_eq!(
			verify_signature(&hash, &flipped_v, &public),
			Err(SignatureError::WrongRecoveryId)
		);

		let mut bad_v = sig;
		bad_v[64] = 27;
		assert_eq!(
			verify_signature(&hash, &bad_v, &public),
			Err(SignatureError::InvalidRecoveryId)
		);

		// (r, n − s) is the same signature in its malleable high-s form.
		let parsed = Signature::from_slice(&sig[..64]).unwrap();
		let high = Signature::from_scalars(parsed.r(), -*parsed.s()).unwrap();
		let mut high_s = sig;
		high_s[..64].copy_from_slice(&high.to_bytes());
		assert_eq!(verify_signature(&hash, &high_s, &public), Err(SignatureError::HighS));

		let zero = [0u8; 65];
		assert_eq!(verify_signature(&hash, &zero, &public), Err(SignatureError::InvalidEncoding));

		let mut bad_key = public;
		bad_key[0] = 0x05;
		assert_eq!(verify_signature(&hash, &sig, &bad_key), Err(SignatureError::InvalidPublicKey));
	}
}
