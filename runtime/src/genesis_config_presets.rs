//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice, Bob and
//! Charlie). The node's `--dev` and `--chain local` use them; `chain-specs/` holds their JSON.

use crate::{
	AccountId, BalancesConfig, Runtime, RuntimeGenesisConfig, SessionConfig, SessionKeys,
	SudoConfig, ValidatorSetConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_qsign::crypto::AuthorityId as QSignId;
use pallet_revive::AddressMapper;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Preset used by `--dev`.
pub const DEV_RUNTIME_PRESET: &str = sp_genesis_builder::DEV_RUNTIME_PRESET;
/// Preset used by `--chain local`.
pub const LOCAL_TESTNET_RUNTIME_PRESET: &str = sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;

/// Balance given to every development account at genesis.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// Well-known Ethereum development accounts (the Moonbeam/Frontier "Alith" and "Baltathar"
/// keys, as in polkadot-sdk's revive dev runtime), endowed in the dev and local presets so
/// MetaMask, ethers and hardhat work out of the box. Never use them on a public network.
/// Alith's private key: `0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133`.
pub const DEV_ETH_ACCOUNTS: [[u8; 20]; 2] = [
	sp_core::hex2array!("f24ff3a9cf04c71dbc94d0b566f7a27b94566cac"),
	sp_core::hex2array!("3cd0a705a2dc65e5b1e1205896baa2be8a07c6e0"),
];

/// The substrate account of an Ethereum address (its 20 bytes followed by twelve `0xEE`).
pub fn eth_account(address: [u8; 20]) -> AccountId {
	<Runtime as pallet_revive::Config>::AddressMapper::to_fallback_account_id(&address.into())
}

/// Balance of the callback account at genesis (it pays the storage deposits of callbacks into
/// contracts; requests with callbacks top it up).
pub const CALLBACK_ACCOUNT_ENDOWMENT: u128 = 1_000 * UNIT;

/// A validator at genesis: its account and session keys.
pub struct GenesisValidator {
	/// The validator's account (also its validator id).
	pub account: AccountId,
	/// Aura block-authoring key.
	pub aura: AuraId,
	/// GRANDPA finality key.
	pub grandpa: GrandpaId,
	/// QSign MPC committee key.
	pub qsign: QSignId,
}

impl GenesisValidator {
	/// The validator whose keys the node's `--alice`, `--bob`, ... flags put in its keystore.
	pub fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self {
			account: sr.to_account_id(),
			aura: sr.public().into(),
			grandpa: ed.public().into(),
			qsign: sr.public().into(),
		}
	}
}

/// Genesis state: endowed accounts, the validator set (pallet-validator-set's list and the same
/// accounts' session keys) and the sudo key.
pub fn testnet_genesis(
	validators: Vec<GenesisValidator>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.chain(DEV_ETH_ACCOUNTS.into_iter().map(eth_account))
				.map(|k| (k, ENDOWMENT))
				.chain([(crate::precompile::callback_account(), CALLBACK_ACCOUNT_ENDOWMENT)])
				.collect::<Vec<_>>(),
		},
		validator_set: ValidatorSetConfig {
			validators: validators.iter().map(|v| v.account.clone()).collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|v| {
					(
						v.account.clone(),
						v.account,
						SessionKeys { aura: v.aura, grandpa: v.grandpa, qsign: v.qsign },
					)
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
	})
}

/// The `development` preset: Alice alone validates.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The `local_testnet` preset: Alice, Bob and Charlie validate.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			GenesisValidator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			GenesisValidator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON patch of a named preset, if it exists.
/// Name of the five-validator local preset (Alice, Bob, Charlie, Dave, Eve; 3-of-5 signing).
pub const LOCAL5_TESTNET_RUNTIME_PRESET: &str = "local_testnet_5";

/// Five validators on localhost: Alice, Bob, Charlie, Dave and Eve.
pub fn local5_config_genesis() -> Value {
	testnet_genesis(
		vec![
			GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			GenesisValidator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			GenesisValidator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			GenesisValidator::dev(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
			GenesisValidator::dev(Sr25519Keyring::Eve, Ed25519Keyring::Eve),
		],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		LOCAL5_TESTNET_RUNTIME_PRESET => local5_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// Names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(LOCAL5_TESTNET_RUNTIME_PRESET),
	]
}
