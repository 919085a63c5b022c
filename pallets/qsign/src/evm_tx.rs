//! Decoding of unsigned EVM transactions and assembly of their signed form (`no_std`).
//!
//! Two envelopes are accepted, both with replay protection (a chain id the pallet can check):
//!
//! * legacy with EIP-155: `rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])`, signed
//!   as `rlp([nonce, gasPrice, gas, to, value, data, v, r, s])` with `v = chainId·2 + 35 + y`;
//! * EIP-1559 (type 2): `0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas,
//!   to, value, data, accessList])`, signed as `0x02 ‖ rlp([…the nine fields…, y, r, s])`.
//!
//! In both cases the hash to sign (the "sighash") is `keccak256` of the unsigned bytes exactly as
//! given, and the hash of the signed transaction is `keccak256` of the signed bytes.
//!
//! Decoding is strict: canonical RLP only, no trailing bytes, the exact number of fields, integers
//! of at most 32 bytes without leading zeros, `to` empty or 20 bytes, a well-formed access list.
//! A transaction that no destination chain could ever include is refused too: a gas limit below
//! its intrinsic gas ([`intrinsic_gas`]), or an EIP-1559 priority fee above its fee cap.
//! Nothing here panics on any input.

use alloc::vec::Vec;
use qsign_primitives::request::{EvmTxType, Signature};
use rlp::{Rlp, RlpStream};

/// EIP-2718 type byte of EIP-1559 transactions.
pub const EIP1559_TYPE: u8 = 0x02;

/// Number of fields of an unsigned EIP-155 legacy transaction.
const LEGACY_FIELDS: usize = 9;
/// Number of fields of an unsigned EIP-1559 transaction.
const EIP1559_FIELDS: usize = 9;
/// Largest RLP integer an EVM transaction field may hold (256 bits).
const MAX_INT_LEN: usize = 32;

/// Why a byte string is not an acceptable unsigned EVM transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxError {
	/// Not canonical RLP, truncated, trailing bytes, or a list where a string belongs (or the
	/// other way round).
	InvalidRlp,
	/// A typed transaction other than EIP-1559 (e.g. EIP-2930, EIP-4844, EIP-7702).
	UnsupportedType,
	/// A list with the wrong number of fields (e.g. an already signed transaction).
	WrongFieldCount,
	/// A field of the wrong shape (integer too long or with leading zeros, `to` not 20 bytes,
	/// malformed access list).
	InvalidField,
	/// A legacy transaction whose signature fields are not `0, 0` (not an unsigned EIP-155 form).
	NotUnsigned,
	/// The chain id does not fit in 64 bits.
	ChainIdTooLarge,
	/// The recovery id of the signature is neither 0 nor 1.
	InvalidRecoveryId,
	/// The gas limit is below the transaction's intrinsic gas (what any EVM charges before
	/// executing anything): no chain would include it.
	GasBelowIntrinsic,
	/// The EIP-1559 `maxPriorityFeePerGas` is above `maxFeePerGas`: no chain would include it.
	TipAboveFeeCap,
}

/// What the pallet needs to know about an unsigned transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsignedTx {
	/// The envelope.
	pub tx_type: EvmTxType,
	/// The EIP-155 chain id the transaction commits to.
	pub chain_id: u64,
}

/// One RLP item: `raw` is its whole encoding, `payload` the bytes inside its header.
#[derive(Clone, Copy)]
struct Item<'a> {
	raw: &'a [u8],
	payload: &'a [u8],
	is_list: bool,
}

/// Parses exactly one canonical RLP item spanning all of `bytes`.
fn parse_item(bytes: &[u8]) -> Result<Item<'_>, TxError> {
	let first = *bytes.first().ok_or(TxError::InvalidRlp)?;
	let info = Rlp::new(bytes).payload_info().map_err(|_| TxError::InvalidRlp)?;
	if info.total() != bytes.len() {
		return Err(TxError::InvalidRlp);
	}
	let payload = bytes.get(info.header_len..).ok_or(TxError::InvalidRlp)?;
	// A single byte below 0x80 must be encoded as itself, not as `0x81 ‖ byte`.
	if first == 0x81 && payload.first().is_some_and(|b| *b < 0x80) {
		return Err(TxError::InvalidRlp);
	}
	Ok(Item { raw: bytes, payload, is_list: first >= 0xc0 })
}

/// Splits the payload of a list into its items (each canonical, covering the payload exactly).
fn list_items<'a>(list: &Item<'a>) -> Result<Vec<Item<'a>>, TxError> {
	if !list.is_list {
		return Err(TxError::InvalidRlp);
	}
	let mut items = Vec::new();
	let mut rest = list.payload;
	while !rest.is_empty() {
		let info = Rlp::new(rest).payload_info().map_err(|_| TxError::InvalidRlp)?;
		let (item, tail) = rest.split_at_checked(info.total()).ok_or(TxError::InvalidRlp)?;
		items.push(parse_item(item)?);
		rest = tail;
	}
	Ok(items)
}

/// A string item (not a list).
fn string(item: &Item<'_>) -> Result<(), TxError> {
	if item.is_list {
		Err(TxError::InvalidRlp)
	} else {
		Ok(())
	}
}

/// A canonical unsigned integer of at most 256 bits; returns its big-endian bytes.
fn integer<'a>(item: &Item<'a>) -> Result<&'a [u8], TxError> {
	string(item)?;
	let bytes = if item.raw.len() == 1 && item.raw[0] < 0x80 { item.raw } else { item.payload };
	if bytes.len() > MAX_INT_LEN || bytes.first() == Some(&0) {
		return Err(TxError::InvalidField);
	}
	Ok(bytes)
}

/// A canonical integer that fits in 64 bits (for the chain id).
fn chain_id(item: &Item<'_>) -> Result<u64, TxError> {
	let bytes = integer(item)?;
	if bytes.len() > 8 {
		return Err(TxError::ChainIdTooLarge);
	}
	Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// A gas limit: a canonical integer that fits in 64 bits (no chain's block holds more).
fn gas_limit(item: &Item<'_>) -> Result<u64, TxError> {
	let bytes = integer(item)?;
	if bytes.len() > 8 {
		return Err(TxError::InvalidField);
	}
	Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Whether the canonical big-endian integer `a` is greater than `b` (canonical: no leading
/// zeros, so the longer one is the greater).
fn greater(a: &[u8], b: &[u8]) -> bool {
	a.len() > b.len() || (a.len() == b.len() && a > b)
}

/// Gas every transaction pays before execution (Ethereum's rules since Shanghai): 21,000; 16 per
/// non-zero and 4 per zero byte of data (EIP-2028); a contract creation (empty `to`) 32,000 more
/// and 2 per 32-byte word of init code (EIP-3860); 2,400 per access-list address and 1,900 per
/// storage key (EIP-2930). A gas limit below it can never be included.
pub fn intrinsic_gas(creation: bool, data: &[u8], addresses: u64, storage_keys: u64) -> u64 {
	let zeros = data.iter().filter(|b| **b == 0).count() as u64;
	let non_zeros = data.len() as u64 - zeros;
	let mut gas = 21_000u64
		.saturating_add(non_zeros.saturating_mul(16))
		.saturating_add(zeros.saturating_mul(4))
		.saturating_add(addresses.saturating_mul(2_400))
		.saturating_add(storage_keys.saturating_mul(1_900));
	if creation {
		let words = (data.len() as u64).div_ceil(32);
		gas = gas.saturating_add(32_000).saturating_add(words.saturating_mul(2));
	}
	gas
}

/// Checks the gas limit `gas` against the intrinsic gas of a transaction with `to`, `data` and
/// the access list counts.
fn check_gas(
	gas: &Item<'_>,
	to: &Item<'_>,
	data: &Item<'_>,
	list: (u64, u64),
) -> Result<(), TxError> {
	let gas = gas_limit(gas)?;
	if gas < intrinsic_gas(to.payload.is_empty(), data.payload, list.0, list.1) {
		return Err(TxError::GasBelowIntrinsic);
	}
	Ok(())
}

/// The `to` field: empty (contract creation) or a 20-byte address.
fn destination(item: &Item<'_>) -> Result<(), TxError> {
	string(item)?;
	match item.payload.len() {
		0 | 20 if item.raw.len() == item.payload.len() + 1 => Ok(()),
		_ => Err(TxError::InvalidField),
	}
}

/// An EIP-2930 access list: `[[address, [storageKey, …]], …]`; returns how many addresses and
/// storage keys it names.
fn access_list(item: &Item<'_>) -> Result<(u64, u64), TxError> {
	if !item.is_list {
		return Err(TxError::InvalidField);
	}
	let (mut addresses, mut storage_keys) = (0u64, 0u64);
	for entry in list_items(item)? {
		addresses += 1;
		let fields = list_items(&entry).map_err(|_| TxError::InvalidField)?;
		let [address, keys] = fields.as_slice() else { return Err(TxError::InvalidField) };
		string(address).map_err(|_| TxError::InvalidField)?;
		if address.payload.len() != 20 {
			return Err(TxError::InvalidField);
		}
		for key in list_items(keys).map_err(|_| TxError::InvalidField)? {
			if key.is_list || key.payload.len() != 32 {
				return Err(TxError::InvalidField);
			}
			storage_keys += 1;
		}
	}
	Ok((addresses, storage_keys))
}

/// The items of an unsigned transaction after validation, and what it is.
fn parse(bytes: &[u8]) -> Result<(UnsignedTx, Vec<Item<'_>>), TxError> {
	match bytes.first() {
		None => Err(TxError::InvalidRlp),
		Some(&EIP1559_TYPE) => {
			let list = parse_item(&bytes[1..])?;
			let items = list_items(&list)?;
			if items.len() != EIP1559_FIELDS {
				return Err(TxError::WrongFieldCount);
			}
			let chain_id = chain_id(&items[0])?;
			// nonce, maxPriorityFeePerGas, maxFeePerGas, gas
			for item in &items[1..5] {
				integer(item)?;
			}
			destination(&items[5])?;
			integer(&items[6])?; // value
			string(&items[7])?; // data
			let listed = access_list(&items[8])?;
			if greater(integer(&items[2])?, integer(&items[3])?) {
				return Err(TxError::TipAboveFeeCap);
			}
			check_gas(&items[4], &items[5], &items[7], listed)?;
			Ok((UnsignedTx { tx_type: EvmTxType::Eip1559, chain_id }, items))
		}
		// 0x00..=0x7f: EIP-2718 typed transactions other than type 2.
		Some(first) if *first < 0x80 => Err(TxError::UnsupportedType),
		// 0x80..=0xbf: an RLP string, not a transaction.
		Some(first) if *first < 0xc0 => Err(TxError::InvalidRlp),
		Some(_) => {
			let list = parse_item(bytes)?;
			let items = list_items(&list)?;
			if items.len() != LEGACY_FIELDS {
				return Err(TxError::WrongFieldCount);
			}
			// nonce, gasPrice, gas
			for item in &items[0..3] {
				integer(item)?;
			}
			destination(&items[3])?;
			integer(&items[4])?; // value
			string(&items[5])?; // data
			let chain_id = chain_id(&items[6])?;
			// EIP-155: the unsigned form carries `0, 0` where r and s go.
			if items[7].raw != [0x80] || items[8].raw != [0x80] {
				return Err(TxError::NotUnsigned);
			}
			check_gas(&items[2], &items[3], &items[5], (0, 0))?;
			Ok((UnsignedTx { tx_type: EvmTxType::Legacy, chain_id }, items))
		}
	}
}

/// Checks that `bytes` is an unsigned legacy (EIP-155) or EIP-1559 transaction and returns its
/// type and chain id.
pub fn decode_unsigned(bytes: &[u8]) -> Result<UnsignedTx, TxError> {
	parse(bytes).map(|(tx, _)| tx)
}

/// `bytes` without leading zero bytes: the canonical RLP form of a big-endian integer.
fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
	let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
	&bytes[start..]
}

/// Builds the signed raw transaction from the unsigned one and a signature `r ‖ s ‖ v`
/// (`v ∈ {0, 1}`) over its sighash.
pub fn assemble_signed(unsigned: &[u8], signature: &Signature) -> Result<Vec<u8>, TxError> {
	let (tx, items) = parse(unsigned)?;
	let y_parity = signature[64];
	if y_parity > 1 {
		return Err(TxError::InvalidRecoveryId);
	}
	let r = trim_leading_zeros(&signature[..32]);
	let s = trim_leading_zeros(&signature[32..64]);
	match tx.tx_type {
		EvmTxType::Legacy => {
			// v = chainId·2 + 35 + y, computed in 128 bits so that no chain id overflows.
			let v = u128::from(tx.chain_id) * 2 + 35 + u128::from(y_parity);
			let mut stream = RlpStream::new_list(9);
			for item in &items[..6] {
				stream.append_raw(item.raw, 1);
			}
			stream.append(&v).append(&r).append(&s);
			Ok(stream.out().to_vec())
		}
		EvmTxType::Eip1559 => {
			let mut stream = RlpStream::new_list(12);
			for item in &items {
				stream.append_raw(item.raw, 1);
			}
			stream.append(&y_parity).append(&r).append(&s);
			let mut out = Vec::with_capacity(stream.len() + 1);
			out.push(EIP1559_TYPE);
			out.extend_from_slice(&stream.out());
			Ok(out)
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_io::hashing::keccak_256;

	fn hex(s: &str) -> Vec<u8> {
		let s = s.strip_prefix("0x").unwrap_or(s);
		(0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
	}

	fn signature(r: &str, s: &str, v: u8) -> Signature {
		let mut out = [0u8; 65];
		out[..32].copy_from_slice(&hex(r));
		out[32..64].copy_from_slice(&hex(s));
		out[64] = v;
		out
	}

	/// The example of EIP-155 itself: nonce 9, 20 gwei, 21000 gas, to 0x3535…35, 1 ether,
	/// chain id 1, private key 0x4646…46.
	const EIP155_UNSIGNED: &str =
		"ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080";
	const EIP155_SIGHASH: &str = "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53";
	const EIP155_SIGNED: &str = "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

	/// ethereumjs `eip1559.json` vector 0 (chain 7822, key 0x8f2a…be63): the signed
	/// transaction and its hash as published there.
	const EIP1559_SIGNED: &str = "02f870821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc980c080a0d067f2167008c59219652f91cbf8788dbca5f771f6e91e2b7657e85b78b472e0a01d305af9fe81fdba43f0dfcd400ed24dcace0a7e30d4e85701dcaaf484cd079e";
	const EIP1559_HASH: &str = "a3bf78ff247cad934aa5fb13e05f11e59c93511523ff8a622e59c3a34700e5c8";
	/// The same transaction without `y, r, s` (payload 112 − 67 = 45 = 0x2d bytes).
	const EIP1559_UNSIGNED: &str = "02ed821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc980c0";

	/// A type-2 transaction with an access list (chain 123), from the MEW wallet test suite.
	const EIP1559_ACCESS_LIST_SIGNED: &str = "02f8a37b0107078262d49461fac28c810253ea3a42ebbb1a5cf8687765e4ee88016345785d8a000080f838f79461fac28c810253ea3a42ebbb1a5cf8687765e4eee1a0000000000000000000000000000000000000000000000000000000000000000001a0f76cef537ee6b5a2143e4ed62debc41c19e996365ceb8b7a9ec7d7db8f83c001a01fbe06e8a4e052015af13b985047925b9f97bf145c7e7adb96f051af7c2551f0";
	const EIP1559_ACCESS_LIST_HASH: &str =
		"c30b28761a4344c27f7ef7f5e3572c941111d32602a3c75e924f02fd6942bc04";

	/// Strips `y, r, s` (1 + 33 + 33 bytes) from a signed type-2 transaction whose list header
	/// is `f8 len` and whose unsigned payload is shorter than 56 bytes or not, as needed.
	fn unsign_1559(signed: &[u8]) -> Vec<u8> {
		let list = parse_item(&signed[1..]).unwrap();
		let items = list_items(&list).unwrap();
		let mut stream = RlpStream::new_list(9);
		for item in &items[..9] {
			stream.append_raw(item.raw, 1);
		}
		let mut out = vec![EIP1559_TYPE];
		out.extend_from_slice(&stream.out());
		out
	}

	#[test]
	fn eip155_example_decodes_and_assembles_to_the_published_signed_tx() {
		let unsigned = hex(EIP155_UNSIGNED);
		assert_eq!(
			decode_unsigned(&unsigned),
			Ok(UnsignedTx { tx_type: EvmTxType::Legacy, chain_id: 1 })
		);
		assert_eq!(keccak_256(&unsigned).to_vec(), hex(EIP155_SIGHASH));

		// v = 37 = 1·2 + 35 + 0.
		let sig = signature(
			"28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276",
			"67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
			0,
		);
		assert_eq!(assemble_signed(&unsigned, &sig).unwrap(), hex(EIP155_SIGNED));
	}

	#[test]
	fn eip155_example_signature_is_what_the_key_produces() {
		use sp_core::{ecdsa, Pair};
		let pair = ecdsa::Pair::from_seed(&[0x46; 32]);
		let sighash: [u8; 32] = hex(EIP155_SIGHASH).try_into().unwrap();
		let sig = pair.sign_prehashed(&sighash);
		let signed = assemble_signed(&hex(EIP155_UNSIGNED), &sig.0).unwrap();
		assert_eq!(signed, hex(EIP155_SIGNED));
	}

	#[test]
	fn eip1559_vector_decodes_and_assembles_to_the_published_hash() {
		let signed = hex(EIP1559_SIGNED);
		let unsigned = hex(EIP1559_UNSIGNED);
		assert_eq!(unsign_1559(&signed), unsigned);
		assert_eq!(
			decode_unsigned(&unsigned),
			Ok(UnsignedTx { tx_type: EvmTxType::Eip1559, chain_id: 7822 })
		);
		let sig = signature(
			"d067f2167008c59219652f91cbf8788dbca5f771f6e91e2b7657e85b78b472e0",
			"1d305af9fe81fdba43f0dfcd400ed24dcace0a7e30d4e85701dcaaf484cd079e",
			0,
		);
		let assembled = assemble_signed(&unsigned, &sig).unwrap();
		assert_eq!(assembled, signed);
		assert_eq!(keccak_256(&assembled).to_vec(), hex(EIP1559_HASH));
	}

	#[test]
	fn eip1559_vector_signature_recovers_the_vector_key() {
		use sp_core::{ecdsa, Pair};
		let pair = ecdsa::Pair::from_seed(
			&hex("8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63")
				.try_into()
				.unwrap(),
		);
		let sighash = keccak_256(&hex(EIP1559_UNSIGNED));
		let sig = pair.sign_prehashed(&sighash);
		assert_eq!(assemble_signed(&hex(EIP1559_UNSIGNED), &sig.0).unwrap(), hex(EIP1559_SIGNED));
	}

	/// An unsigned type-2 transaction on chain 1 with these fees, gas, `to` and data.
	fn type2(tip: &[u8], cap: &[u8], gas: u64, to: &[u8], data: &[u8]) -> Vec<u8> {
		let trimmed = |b: &[u8]| trim_leading_zeros(b).to_vec();
		let mut stream = RlpStream::new_list(9);
		stream.append(&1u64).append(&0u64).append(&trimmed(tip)).append(&trimmed(cap));
		stream.append(&gas).append(&to.to_vec()).append(&0u64).append(&data.to_vec());
		stream.begin_list(0);
		let mut out = vec![EIP1559_TYPE];
		out.extend_from_slice(&stream.out());
		out
	}

	#[test]
	fn a_transaction_no_chain_would_include_is_refused() {
		let to = [0x35u8; 20];
		let gwei = 1_000_000_000u64.to_be_bytes();
		let two_gwei = 2_000_000_000u64.to_be_bytes();
		// A plain transfer needs exactly 21,000.
		assert!(decode_unsigned(&type2(&gwei, &two_gwei, 21_000, &to, &[])).is_ok());
		assert_eq!(
			decode_unsigned(&type2(&gwei, &two_gwei, 20_999, &to, &[])),
			Err(TxError::GasBelowIntrinsic)
		);
		// A contract call pays for its data: 4 bytes of selector + 32 of which 31 are zero.
		let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
		data.extend_from_slice(&[0; 31]);
		data.push(7);
		let needed = 21_000 + 5 * 16 + 31 * 4;
		assert_eq!(intrinsic_gas(false, &data, 0, 0), needed);
		assert!(decode_unsigned(&type2(&gwei, &two_gwei, needed, &to, &data)).is_ok());
		assert_eq!(
			decode_unsigned(&type2(&gwei, &two_gwei, needed - 1, &to, &data)),
			Err(TxError::GasBelowIntrinsic)
		);
		// A creation (no `to`) pays 32,000 more and 2 per word of init code.
		assert_eq!(intrinsic_gas(true, &data, 0, 0), needed + 32_000 + 2 * 2);
		assert_eq!(
			decode_unsigned(&type2(&gwei, &two_gwei, needed, &[], &data)),
			Err(TxError::GasBelowIntrinsic)
		);
		// Access lists: 2,400 per address, 1,900 per key.
		assert_eq!(intrinsic_gas(false, &[], 2, 3), 21_000 + 4_800 + 5_700);
		// The tip may equal the fee cap, not exceed it (compared as 256-bit integers).
		assert!(decode_unsigned(&type2(&two_gwei, &two_gwei, 21_000, &to, &[])).is_ok());
		assert_eq!(
			decode_unsigned(&type2(&two_gwei, &gwei, 21_000, &to, &[])),
			Err(TxError::TipAboveFeeCap)
		);
		assert_eq!(
			decode_unsigned(&type2(
				&[1, 0, 0, 0, 0, 0, 0, 0, 0],
				&u64::MAX.to_be_bytes(),
				21_000,
				&to,
				&[]
			)),
			Err(TxError::TipAboveFeeCap)
		);
		// A legacy transaction below 21,000: the EIP-155 example with 20,999 gas.
		let mut stream = RlpStream::new_list(9);
		stream.append(&9u64).append(&20_000_000_000u64).append(&20_999u64).append(&to.to_vec());
		stream.append(&0u64).append(&Vec::<u8>::new()).append(&1u64).append(&0u8).append(&0u8);
		assert_eq!(decode_unsigned(&stream.out()), Err(TxError::GasBelowIntrinsic));
	}

	#[test]
	fn eip1559_with_access_list_round_trips() {
		let signed = hex(EIP1559_ACCESS_LIST_SIGNED);
		let unsigned = unsign_1559(&signed);
		assert_eq!(
			decode_unsigned(&unsigned),
			Ok(UnsignedTx { tx_type: EvmTxType::Eip1559, chain_id: 123 })
		);
		let sig = signature(
			"f76cef537ee6b5a2143e4ed62debc41c19e996365ceb8b7a9ec7d7db8f83c001",
			"1fbe06e8a4e052015af13b985047925b9f97bf145c7e7adb96f051af7c2551f0",
			1,
		);
		let assembled = assemble_signed(&unsigned, &sig).unwrap();
		assert_eq!(assembled, signed);
		assert_eq!(keccak_256(&assembled).to_vec(), hex(EIP1559_ACCESS_LIST_HASH));
	}

	#[test]
	fn legacy_v_uses_the_chain_id_and_parity() {
		// chain id 1, y = 1 → v = 38 (0x26).
		let sig = signature(
			"28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276",
			"67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
			1,
		);
		let signed = assemble_signed(&hex(EIP155_UNSIGNED), &sig).unwrap();
		assert_eq!(signed[signed.len() - 67], 0x26);
	}

	#[test]
	fn short_r_and_s_are_encoded_without_leading_zeros() {
		let mut sig = [0u8; 65];
		sig[31] = 5; // r = 5
		sig[63] = 0x90; // s = 0x90
		let signed = assemble_signed(&hex(EIP155_UNSIGNED), &sig).unwrap();
		// … v = 0x25, r = 0x05, s = 0x81 0x90
		assert_eq!(&signed[signed.len() - 4..], &[0x25, 0x05, 0x81, 0x90]);
	}

	#[test]
	fn recovery_ids_above_one_are_rejected() {
		let mut sig = [1u8; 65];
		sig[64] = 27;
		assert_eq!(assemble_signed(&hex(EIP155_UNSIGNED), &sig), Err(TxError::InvalidRecoveryId));
	}

	#[test]
	fn signed_and_pre_eip155_legacy_transactions_are_rejected() {
		// Already signed: 9 fields but r, s set.
		assert_eq!(decode_unsigned(&hex(EIP155_SIGNED)), Err(TxError::NotUnsigned));
		// Pre-EIP-155 unsigned form: 6 fields, no chain id.
		let mut stream = RlpStream::new_list(6);
		for item in &list_items(&parse_item(&hex(EIP155_UNSIGNED)).unwrap()).unwrap()[..6] {
			stream.append_raw(item.raw, 1);
		}
		assert_eq!(decode_unsigned(&stream.out()), Err(TxError::WrongFieldCount));
		// A signed type-2 transaction has 12 fields.
		assert_eq!(decode_unsigned(&hex(EIP1559_SIGNED)), Err(TxError::WrongFieldCount));
	}

	#[test]
	fn other_types_and_garbage_are_rejected_without_panicking() {
		assert_eq!(decode_unsigned(&[]), Err(TxError::InvalidRlp));
		assert_eq!(decode_unsigned(&[0x01, 0xc0]), Err(TxError::UnsupportedType));
		assert_eq!(decode_unsigned(&[0x03, 0xc0]), Err(TxError::UnsupportedType));
		assert_eq!(decode_unsigned(&[0x04, 0xc0]), Err(TxError::UnsupportedType));
		assert_eq!(decode_unsigned(&[0x02]), Err(TxError::InvalidRlp));
		assert_eq!(decode_unsigned(&[0x83, 1, 2, 3]), Err(TxError::InvalidRlp));
		assert_eq!(decode_unsigned(&[0xc0]), Err(TxError::WrongFieldCount));

		let unsigned = hex(EIP155_UNSIGNED);
		// Trailing byte.
		let mut trailing = unsigned.clone();
		trailing.push(0);
		assert_eq!(decode_unsigned(&trailing), Err(TxError::InvalidRlp));
		// Every truncation.
		for len in 0..unsigned.len() {
			assert!(decode_unsigned(&unsigned[..len]).is_err());
		}
		// Every single-byte corruption: an error or a valid transaction, never a panic.
		for i in 0..unsigned.len() {
			for b in [0x00, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xbf, 0xc0, 0xf7, 0xf8, 0xff] {
				let mut corrupt = unsigned.clone();
				corrupt[i] = b;
				let _ = decode_unsigned(&corrupt);
				let _ = assemble_signed(&corrupt, &[1; 65]);
			}
		}
		let unsigned = hex(EIP1559_UNSIGNED);
		for len in 0..unsigned.len() {
			assert!(decode_unsigned(&unsigned[..len]).is_err());
		}
		for i in 0..unsigned.len() {
			for b in [0x00, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xbf, 0xc0, 0xf7, 0xf8, 0xff] {
				let mut corrupt = unsigned.clone();
				corrupt[i] = b;
				let _ = decode_unsigned(&corrupt);
			}
		}
	}

	#[test]
	fn non_canonical_fields_are_rejected() {
		// Build legacy transactions field by field.
		fn legacy(fields: [&[u8]; 9]) -> Vec<u8> {
			let mut stream = RlpStream::new_list(9);
			for f in fields {
				stream.append_raw(f, 1);
			}
			stream.out().to_vec()
		}
		let to = hex("943535353535353535353535353535353535353535");
		// Gas 1,000,000: enough for a transfer and for a creation.
		let gas = [0x83, 0x0f, 0x42, 0x40];
		let ok: [&[u8]; 9] =
			[&[0x09], &[0x01], &gas, &to, &[0x80], &[0x80], &[0x01], &[0x80], &[0x80]];
		assert_eq!(
			decode_unsigned(&legacy(ok)),
			Ok(UnsignedTx { tx_type: EvmTxType::Legacy, chain_id: 1 })
		);
		// Contract creation (empty `to`) is fine.
		let mut create = ok;
		create[3] = &[0x80];
		assert!(decode_unsigned(&legacy(create)).is_ok());

		// Integer with a leading zero.
		let mut bad = ok;
		bad[0] = &[0x82, 0x00, 0x09];
		assert_eq!(decode_unsigned(&legacy(bad)), Err(TxError::InvalidField));
		// Single byte < 0x80 wrapped in a string header.
		let mut bad = ok;
		bad[0] = &[0x81, 0x09];
		assert_eq!(decode_unsigned(&legacy(bad)), Err(TxError::InvalidRlp));
		// `to` of 19 bytes.
		let short_to = hex("9335353535353535353535353535353535353535");
		let mut bad = ok;
		bad[3] = &short_to;
		assert_eq!(decode_unsigned(&legacy(bad)), Err(TxError::InvalidField));
		// A list where an integer belongs.
		let mut bad = ok;
		bad[4] = &[0xc0];
		assert_eq!(decode_unsigned(&legacy(bad)), Err(TxError::InvalidRlp));
		// Chain id of 9 bytes.
		let big = hex("89010000000000000000");
		let mut bad = ok;
		bad[6] = &big;
		assert_eq!(decode_unsigned(&legacy(bad)), Err(TxError::ChainIdTooLarge));
		// Integer of 33 bytes.
		let mut huge = vec![0xa1, 0x01];
		huge.extend_from_slice(&[0u8; 32]);
		let mut bad = ok;
		bad[2] = &huge;
		assert_eq!(decode_unsigned(&legacy(bad)), Err(TxError::InvalidField));
	}

	#[test]
	fn malformed_access_lists_are_rejected() {
		fn with_access_list(access_list: &[u8]) -> Vec<u8> {
			let unsigned = hex(EIP1559_UNSIGNED);
			let items = list_items(&parse_item(&unsigned[1..]).unwrap()).unwrap();
			let mut stream = RlpStream::new_list(9);
			for item in &items[..8] {
				stream.append_raw(item.raw, 1);
			}
			stream.append_raw(access_list, 1);
			let mut out = vec![EIP1559_TYPE];
			out.extend_from_slice(&stream.out());
			out
		}
		assert!(decode_unsigned(&with_access_list(&[0xc0])).is_ok());
		// Not a list.
		assert_eq!(decode_unsigned(&with_access_list(&[0x80])), Err(TxError::InvalidField));
		// An entry that is not [address, keys].
		assert_eq!(decode_unsigned(&with_access_list(&[0xc1, 0x80])), Err(TxError::InvalidField));
		// A storage key of 1 byte.
		let mut entry = RlpStream::new_list(1);
		entry.begin_list(2);
		entry.append(&[0x11u8; 20].as_slice());
		entry.begin_list(1);
		entry.append(&[0x01u8].as_slice());
		assert_eq!(decode_unsigned(&with_access_list(&entry.out())), Err(TxError::InvalidField));
	}
}
