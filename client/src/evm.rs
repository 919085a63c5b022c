//! Unsigned EVM transactions for `request_broadcast`, built with alloy: any EIP-1559
//! transaction (a transfer, a contract call with data, a contract creation, with or without an
//! access list) or a legacy EIP-155 one. The bytes `request_broadcast` takes are the
//! transaction's signing payload (`encoded_for_signing`): `0x02 ‖ rlp([...])` for EIP-1559, the
//! EIP-155 `rlp([..., chain_id, 0, 0])` for legacy.

use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};

/// Fees of an EIP-1559 transaction, in wei per gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fees {
	/// The tip to the block producer (must not exceed the fee cap; the chain checks).
	pub max_priority_fee_per_gas: u128,
	/// The most paid per gas, base fee included.
	pub max_fee_per_gas: u128,
}

/// An unsigned EVM transaction, ready for `request_broadcast`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnsignedTx {
	/// EIP-1559 (type 2).
	Eip1559(TxEip1559),
	/// Legacy with EIP-155 replay protection.
	Legacy(TxLegacy),
}

/// The gas of a plain value transfer.
pub const TRANSFER_GAS: u64 = 21_000;

impl UnsignedTx {
	/// A value transfer of `value` wei to `to` (21,000 gas, no data).
	pub fn transfer(chain_id: u64, nonce: u64, fees: Fees, to: [u8; 20], value: u128) -> Self {
		Self::call(chain_id, nonce, fees, TRANSFER_GAS, to, value, Vec::new())
	}

	/// A contract call: `data` (e.g. ABI-encoded with alloy's `sol!`) to `to`, with `value` wei
	/// and a gas limit of `gas_limit`.
	pub fn call(
		chain_id: u64,
		nonce: u64,
		fees: Fees,
		gas_limit: u64,
		to: [u8; 20],
		value: u128,
		data: Vec<u8>,
	) -> Self {
		Self::Eip1559(TxEip1559 {
			chain_id,
			nonce,
			gas_limit,
			max_fee_per_gas: fees.max_fee_per_gas,
			max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
			to: TxKind::Call(Address::from(to)),
			value: U256::from(value),
			access_list: AccessList::default(),
			input: Bytes::from(data),
		})
	}

	/// A contract creation with init code `init_code`.
	pub fn create(
		chain_id: u64,
		nonce: u64,
		fees: Fees,
		gas_limit: u64,
		init_code: Vec<u8>,
	) -> Self {
		Self::Eip1559(TxEip1559 {
			chain_id,
			nonce,
			gas_limit,
			max_fee_per_gas: fees.max_fee_per_gas,
			max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
			to: TxKind::Create,
			value: U256::ZERO,
			access_list: AccessList::default(),
			input: Bytes::from(init_code),
		})
	}

	/// A legacy (EIP-155) call or transfer at `gas_price` wei per gas.
	pub fn legacy(
		chain_id: u64,
		nonce: u64,
		gas_price: u128,
		gas_limit: u64,
		to: [u8; 20],
		value: u128,
		data: Vec<u8>,
	) -> Self {
		Self::Legacy(TxLegacy {
			chain_id: Some(chain_id),
			nonce,
			gas_price,
			gas_limit,
			to: TxKind::Call(Address::from(to)),
			value: U256::from(value),
			input: Bytes::from(data),
		})
	}

	/// Adds an EIP-2930 access list entry (EIP-1559 only; legacy transactions have none):
	/// `address` and the storage `keys` the transaction will touch.
	pub fn with_access(mut self, address: [u8; 20], keys: &[[u8; 32]]) -> Self {
		if let Self::Eip1559(tx) = &mut self {
			tx.access_list.0.push(AccessListItem {
				address: Address::from(address),
				storage_keys: keys.iter().map(|k| B256::from(*k)).collect(),
			});
		}
		self
	}

	/// The chain id.
	pub fn chain_id(&self) -> u64 {
		match self {
			Self::Eip1559(tx) => tx.chain_id,
			Self::Legacy(tx) => tx.chain_id.unwrap_or_default(),
		}
	}

	/// The bytes `request_broadcast` takes: the transaction's signing payload.
	pub fn signing_payload(&self) -> Vec<u8> {
		match self {
			Self::Eip1559(tx) => tx.encoded_for_signing(),
			Self::Legacy(tx) => tx.encoded_for_signing(),
		}
	}
}

/// Parses a `0x`-prefixed (or bare) 20-byte hex address.
///
/// # Errors
///
/// A message if it is not 40 hex digits.
pub fn parse_address(text: &str) -> Result<[u8; 20], String> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	let bytes = hex::decode(digits).map_err(|e| format!("address {text:?}: {e}"))?;
	bytes.try_into().map_err(|_| format!("address {text:?} is not 20 bytes"))
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_qsign::evm_tx::decode_unsigned;

	const FEES: Fees = Fees { max_priority_fee_per_gas: 75_853, max_fee_per_gas: 121_212 };

	#[test]
	fn reproduces_the_published_eip1559_signing_payload() {
		// The unsigned transaction of the EIP-1559 vector pallet-qsign's tests sign.
		let to = parse_address("0x000000000000000000000000000000000000aaaa").unwrap();
		let tx = UnsignedTx::call(7822, 819, FEES, 35_552, to, 43_203_529, Vec::new());
		assert_eq!(
			hex::encode(tx.signing_payload()),
			"02ed821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc980c0"
		);
		assert_eq!(decode_unsigned(&tx.signing_payload()).unwrap().chain_id, 7822);
	}

	#[test]
	fn zero_and_small_values_are_canonical() {
		let fees = Fees { max_priority_fee_per_gas: 0, max_fee_per_gas: 0x7f };
		let payload = UnsignedTx::transfer(1, 0, fees, [0x11; 20], 0).signing_payload();
		assert!(decode_unsigned(&payload).is_ok());
		// nonce 0 and tip 0 are the empty string 0x80; 0x7f is its own byte.
		assert_eq!(&payload[2..6], &[0x01, 0x80, 0x80, 0x7f]);
	}

	#[test]
	fn contract_calls_creations_access_lists_and_legacy_are_what_the_chain_accepts() {
		// ERC-20 transfer(0x…42, 1000): selector a9059cbb and two 32-byte words.
		let mut data = hex::decode("a9059cbb").unwrap();
		data.extend_from_slice(&[0; 12]);
		data.extend_from_slice(&[0x42; 20]);
		data.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
		let call = UnsignedTx::call(31337, 5, FEES, 60_000, [0x77; 20], 0, data)
			.with_access([0x77; 20], &[[1; 32], [2; 32]]);
		let create = UnsignedTx::create(31337, 6, FEES, 200_000, vec![0x60, 0x00, 0x60, 0x00]);
		let legacy = UnsignedTx::legacy(31337, 7, 1_000_000_000, 21_000, [0x11; 20], 1, vec![]);
		for tx in [call, create, legacy] {
			let decoded = decode_unsigned(&tx.signing_payload())
				.unwrap_or_else(|e| panic!("{tx:?} refused: {e:?}"));
			assert_eq!(decoded.chain_id, tx.chain_id());
		}
	}

	#[test]
	fn addresses_are_checked() {
		assert!(parse_address("0x1234").is_err());
		assert!(parse_address("zz").is_err());
		assert_eq!(parse_address(&"ab".repeat(20)).unwrap(), [0xab; 20]);
	}
}
