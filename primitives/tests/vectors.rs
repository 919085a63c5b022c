//! Derivation and address test vectors computed independently by `test-vectors/generate.py`
//! (Python standard-library SHA-256 and RIPEMD-160, plus textbook secp256k1 arithmetic,
//! Keccak-256 and the BIP-173 bech32 reference encoder; no code shared with this crate).

use qsign_primitives::{
	address::{bitcoin_p2wpkh_address, eip55_checksum_address, ethereum_address, BitcoinNetwork},
	derivation::{derive_child_public_key, derive_public_key, epsilon},
};

/// The generator G (root secret key 1).
const ROOT_G: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
/// A second root, secret key 0x4c0883a6…362318 times G.
const ROOT_R: &str = "024e3b81af9c2234cad09d679ce6035ed1392347ce64ce405f5dcd36228a25de6e";

struct Vector {
	root: &'static str,
	owner: &'static str,
	path: &'static str,
	epsilon: &'static str,
	child: &'static str,
	ethereum: &'static str,
	bitcoin: [&'static str; 3],
}

const VECTORS: &[Vector] = &[
	Vector {
		root: ROOT_G,
		owner: "",
		path: "",
		epsilon: "3b57bf008dc8201fffdebe2f68f53e74641d22395dfbaf33b897b8171dffbd78",
		child: "0216af6831d08f60903e3e7a81307302a30db5147e1700f1232fa25e3fc81b02f1",
		ethereum: "0x9e78ed27a05A324DBd45fb03da4b4a4388C372f2",
		bitcoin: [
			"bc1q3wu0909azpfw9npcye7fgzafjm77ype2x7azf9",
			"tb1q3wu0909azpfw9npcye7fgzafjm77ype2vcx3jk",
			"bcrt1q3wu0909azpfw9npcye7fgzafjm77ype2w3lu9l",
		],
	},
	Vector {
		root: ROOT_G,
		owner: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		path: "657468657265756d2c31",
		epsilon: "b4b12e200b98b53e34310de07ed4417c46583f7d0a7f13b5664b45764b009230",
		child: "0244b16ba88076a9a943484bc5f835b30b142a5c21e531a5af5ccb7876b5067e12",
		ethereum: "0x2cfae9F28D95BB10fe5e3133ACC4a0943B6C60Dc",
		bitcoin: [
			"bc1qayjy60dkq3tuw8vdh50r03lcaeawu3k560sgc3",
			"tb1qayjy60dkq3tuw8vdh50r03lcaeawu3k5sftmrz",
			"bcrt1qayjy60dkq3tuw8vdh50r03lcaeawu3k5jqjk5t",
		],
	},
	Vector {
		root: ROOT_R,
		owner: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		path: "626974636f696e2c30",
		epsilon: "079d23a73ba425769d5a428bcc5fb2e1eb869e28526520fc625550790ee560be",
		child: "029beb021187703ff3089eb2eabb5d5a5dbad191d58b49f8c80740dcca910d7b2a",
		ethereum: "0xb0Fb9bf987Be3Ba37767b93b222de2aF21733E27",
		bitcoin: [
			"bc1qfwvhncgdfwnqhf90f86s3nufla3rmf39mywg68",
			"tb1qfwvhncgdfwnqhf90f86s3nufla3rmf393z4mp5",
			"bcrt1qfwvhncgdfwnqhf90f86s3nufla3rmf39ntvkka",
		],
	},
	Vector {
		root: ROOT_R,
		owner: "0101010101010101010101010101010101010101010101010101010101010101",
		path: "c3a7c3a02ff09f9491",
		epsilon: "a561524f0e8c6e9124d0d29e221641ece0fc2f6a73f9ab4a2d3332802aea1c3d",
		child: "02156100997ff4911a162206b9242b9d5c1ac1bad6f86e025765fbdf6d55d6ef20",
		ethereum: "0x8754803eCc108914BC0ACd79118380b24B586936",
		bitcoin: [
			"bc1qw656sfjdc7rntz90gfy2apuhq480xhtsva363v",
			"tb1qw656sfjdc7rntz90gfy2apuhq480xhtsxm2f2l",
			"bcrt1qw656sfjdc7rntz90gfy2apuhq480xhtsyjnyak",
		],
	},
];

fn bytes<const N: usize>(hex_str: &str) -> [u8; N] {
	hex::decode(hex_str).unwrap().try_into().unwrap()
}

#[test]
fn epsilon_and_child_keys_match_the_independent_vectors() {
	for v in VECTORS {
		let owner = hex::decode(v.owner).unwrap();
		let path = hex::decode(v.path).unwrap();
		let e = epsilon(&owner, &path);
		assert_eq!(hex::encode(e), v.epsilon, "epsilon of path {}", v.path);
		let root = bytes::<33>(v.root);
		let child = derive_public_key(&root, &e).unwrap();
		assert_eq!(hex::encode(child), v.child, "child of path {}", v.path);
		assert_eq!(derive_child_public_key(&root, &owner, &path), Ok(child));
	}
}

#[test]
fn addresses_match_the_independent_vectors() {
	for v in VECTORS {
		let child = bytes::<33>(v.child);
		let eth = ethereum_address(&child).unwrap();
		assert_eq!(eip55_checksum_address(&eth), v.ethereum);
		let networks = [BitcoinNetwork::Mainnet, BitcoinNetwork::Testnet, BitcoinNetwork::Regtest];
		for (network, expected) in networks.into_iter().zip(v.bitcoin) {
			assert_eq!(bitcoin_p2wpkh_address(&child, network).unwrap(), expected);
		}
	}
}

#[test]
fn well_known_addresses_of_the_generator() {
	// Secret key 1: published Ethereum address and the BIP-173 P2WPKH example.
	let g = bytes::<33>(ROOT_G);
	assert_eq!(
		eip55_checksum_address(&ethereum_address(&g).unwrap()),
		"0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
	);
	assert_eq!(
		bitcoin_p2wpkh_address(&g, BitcoinNetwork::Mainnet).unwrap(),
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	);
}
