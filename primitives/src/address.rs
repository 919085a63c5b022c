//! Addresses of (derived) secp256k1 public keys on foreign chains.
//!
//! * **Ethereum**: the last 20 bytes of `keccak256(x ‖ y)`, where `x ‖ y` is the 64-byte
//!   uncompressed point without the `04` prefix. [`eip55_checksum_address`] gives the usual
//!   mixed-case `0x…` text form ([EIP-55](https://eips.ethereum.org/EIPS/eip-55)).
//! * **Bitcoin P2WPKH**: witness version 0 with program
//!   `hash160 = RIPEMD160(SHA256(compressed_pubkey))`, encoded in bech32
//!   ([BIP-173](https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki)) with
//!   human-readable part `bc` (mainnet), `tb` (testnet/signet) or `bcrt` (regtest).
//!
//! Together with [`crate::derivation`], a client computes the address of any
//! `(owner, path)` offline from the committee's root public key:
//!
//! ```
//! use qsign_primitives::{address, derivation};
//! # let root = [0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95,
//! #     0xce, 0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2,
//! #     0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98];
//! let owner = [0u8; 32]; // the user's AccountId32
//! let child = derivation::derive_child_public_key(&root, &owner, b"ethereum,1").unwrap();
//! let eth = address::eip55_checksum_address(&address::ethereum_address(&child).unwrap());
//! let btc = address::bitcoin_p2wpkh_address(&child, address::BitcoinNetwork::Mainnet).unwrap();
//! assert!(eth.starts_with("0x") && btc.starts_with("bc1q"));
//! ```

use alloc::string::String;

use bech32::{hrp, segwit, Hrp};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use sha3::Keccak256;

use crate::derivation::{uncompressed_public_key, DerivationError, COMPRESSED_PUBLIC_KEY_LEN};

/// Why an address could not be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressError {
	/// The public key is not a valid SEC1 compressed secp256k1 point.
	InvalidPublicKey,
	/// bech32 encoding failed (cannot happen for a 20-byte v0 program; kept so that
	/// nothing here can panic).
	Encoding,
}

impl core::fmt::Display for AddressError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::InvalidPublicKey => f.write_str("invalid secp256k1 public key"),
			Self::Encoding => f.write_str("bech32 encoding failed"),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for AddressError {}

impl From<DerivationError> for AddressError {
	fn from(_: DerivationError) -> Self {
		Self::InvalidPublicKey
	}
}

/// Bitcoin network, selecting the bech32 human-readable part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitcoinNetwork {
	/// Mainnet, `bc1…`.
	Mainnet,
	/// Testnet and signet, `tb1…`.
	Testnet,
	/// Regtest, `bcrt1…`.
	Regtest,
}

impl BitcoinNetwork {
	/// The bech32 human-readable part of this network.
	pub fn hrp(self) -> &'static str {
		match self {
			Self::Mainnet => "bc",
			Self::Testnet => "tb",
			Self::Regtest => "bcrt",
		}
	}

	fn bech32_hrp(self) -> Hrp {
		match self {
			Self::Mainnet => hrp::BC,
			Self::Testnet => hrp::TB,
			Self::Regtest => hrp::BCRT,
		}
	}
}

/// Keccak-256 of `data` (the original Keccak padding, as used by Ethereum).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
	Keccak256::digest(data).into()
}

/// `RIPEMD160(SHA256(data))`, Bitcoin's `hash160`.
pub fn hash160(data: &[u8]) -> [u8; 20] {
	Ripemd160::digest(Sha256::digest(data)).into()
}

/// The 20-byte Ethereum address of a SEC1 compressed public key.
///
/// # Errors
///
/// [`AddressError::InvalidPublicKey`] if `public_key` is not a point on secp256k1.
pub fn ethereum_address(
	public_key: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
) -> Result<[u8; 20], AddressError> {
	let uncompressed = uncompressed_public_key(public_key)?;
	let hash = keccak256(&uncompressed[1..]);
	let mut address = [0u8; 20];
	address.copy_from_slice(&hash[12..]);
	Ok(address)
}

/// The EIP-55 mixed-case checksum text form (`0x` + 40 hex digits) of an Ethereum address.
pub fn eip55_checksum_address(address: &[u8; 20]) -> String {
	const HEX: &[u8; 16] = b"0123456789abcdef";
	let mut lower = [0u8; 40];
	for (i, byte) in address.iter().enumerate() {
		lower[2 * i] = HEX[usize::from(byte >> 4)];
		lower[2 * i + 1] = HEX[usize::from(byte & 0x0f)];
	}
	let hash = keccak256(&lower);
	let mut out = String::with_capacity(42);
	out.push_str("0x");
	for (i, &c) in lower.iter().enumerate() {
		let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
		let c = char::from(c);
		out.push(if nibble >= 8 { c.to_ascii_uppercase() } else { c });
	}
	out
}

/// The Bitcoin P2WPKH (native segwit v0) address of a SEC1 compressed public key.
///
/// # Errors
///
/// [`AddressError::InvalidPublicKey`] if `public_key` is not a point on secp256k1.
pub fn bitcoin_p2wpkh_address(
	public_key: &[u8; COMPRESSED_PUBLIC_KEY_LEN],
	network: BitcoinNetwork,
) -> Result<String, AddressError> {
	// Validate the point: a P2WPKH output to an invalid key would be unspendable.
	uncompressed_public_key(public_key)?;
	let program = hash160(public_key);
	segwit::encode_v0(network.bech32_hrp(), &program).map_err(|_| AddressError::Encoding)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn eip55_matches_the_eip_examples() {
		for expected in [
			"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
			"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
			"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
			"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
		] {
			let bytes: [u8; 20] = hex::decode(&expected[2..]).unwrap().try_into().unwrap();
			assert_eq!(eip55_checksum_address(&bytes), expected);
		}
	}

	#[test]
	fn invalid_public_keys_are_rejected() {
		let mut key = [0u8; 33];
		key[0] = 0x02;
		key[32] = 5; // x = 5: x³ + 7 = 132 is not a square mod p.
		assert_eq!(ethereum_address(&key), Err(AddressError::InvalidPublicKey));
		assert_eq!(
			bitcoin_p2wpkh_address(&key, BitcoinNetwork::Mainnet),
			Err(AddressError::InvalidPublicKey)
		);
	}
}
