//! Unsigned EVM transactions for `request_broadcast`, and the little RLP they need.

/// An EIP-1559 (type 2) transaction without data or access list: a value transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eip1559Transfer {
	/// EIP-155 chain id.
	pub chain_id: u64,
	/// The sender's nonce.
	pub nonce: u64,
	/// Tip per gas (wei).
	pub max_priority_fee_per_gas: u128,
	/// Fee cap per gas (wei).
	pub max_fee_per_gas: u128,
	/// Gas limit (21,000 for a plain transfer).
	pub gas_limit: u64,
	/// Recipient.
	pub to: [u8; 20],
	/// Amount (wei).
	pub value: u128,
}

fn rlp_uint(value: u128, out: &mut Vec<u8>) {
	let bytes = value.to_be_bytes();
	let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
	rlp_bytes(&bytes[first..], out);
}

fn rlp_bytes(bytes: &[u8], out: &mut Vec<u8>) {
	if bytes.len() == 1 && bytes[0] < 0x80 {
		out.push(bytes[0]);
	} else {
		rlp_header(0x80, bytes.len(), out);
		out.extend_from_slice(bytes);
	}
}

fn rlp_header(offset: u8, len: usize, out: &mut Vec<u8>) {
	if len < 56 {
		out.push(offset + len as u8);
	} else {
		let bytes = (len as u64).to_be_bytes();
		let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
		out.push(offset + 55 + (bytes.len() - first) as u8);
		out.extend_from_slice(&bytes[first..]);
	}
}

impl Eip1559Transfer {
	/// The signing payload `0x02 ‖ rlp([chain_id, nonce, tip, fee cap, gas, to, value, "", []])`,
	/// which `request_broadcast` takes as the unsigned transaction.
	pub fn signing_payload(&self) -> Vec<u8> {
		let mut fields = Vec::new();
		rlp_uint(self.chain_id.into(), &mut fields);
		rlp_uint(self.nonce.into(), &mut fields);
		rlp_uint(self.max_priority_fee_per_gas, &mut fields);
		rlp_uint(self.max_fee_per_gas, &mut fields);
		rlp_uint(self.gas_limit.into(), &mut fields);
		rlp_bytes(&self.to, &mut fields);
		rlp_uint(self.value, &mut fields);
		rlp_bytes(&[], &mut fields);
		rlp_header(0xc0, 0, &mut fields);
		let mut out = vec![0x02];
		rlp_header(0xc0, fields.len(), &mut out);
		out.extend_from_slice(&fields);
		out
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

	#[test]
	fn reproduces_the_published_eip1559_signing_payload() {
		// The unsigned transaction of the EIP-1559 vector pallet-qsign's tests sign.
		let tx = Eip1559Transfer {
			chain_id: 7822,
			nonce: 819,
			max_priority_fee_per_gas: 75_853,
			max_fee_per_gas: 121_212,
			gas_limit: 35_552,
			to: parse_address("0x000000000000000000000000000000000000aaaa").unwrap(),
			value: 43_203_529,
		};
		assert_eq!(
			hex::encode(tx.signing_payload()),
			"02ed821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc980c0"
		);
		let decoded = pallet_qsign::evm_tx::decode_unsigned(&tx.signing_payload()).unwrap();
		assert_eq!(decoded.chain_id, 7822);
	}

	#[test]
	fn zero_and_small_values_are_canonical() {
		let tx = Eip1559Transfer {
			chain_id: 1,
			nonce: 0,
			max_priority_fee_per_gas: 0,
			max_fee_per_gas: 0x7f,
			gas_limit: 21_000,
			to: [0x11; 20],
			value: 0,
		};
		let payload = tx.signing_payload();
		assert!(pallet_qsign::evm_tx::decode_unsigned(&payload).is_ok());
		// nonce 0 and tip 0 are the empty string 0x80; 0x7f is its own byte.
		assert_eq!(&payload[2..6], &[0x01, 0x80, 0x80, 0x7f]);
	}

	#[test]
	fn addresses_are_checked() {
		assert!(parse_address("0x1234").is_err());
		assert!(parse_address("zz").is_err());
		assert_eq!(parse_address(&"ab".repeat(20)).unwrap(), [0xab; 20]);
	}
}
