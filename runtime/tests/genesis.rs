//! The runtime builds to wasm, and every genesis preset produces a valid genesis state that
//! matches the JSON kept in `chain-specs/`.

mod common;

use frame_support::genesis_builder_helper::build_state;
use qsign_runtime::{
	genesis_config_presets::{get_preset, preset_names},
	Runtime, RuntimeGenesisConfig, WASM_BINARY,
};
use sp_genesis_builder::PresetId;

fn preset_json(name: &str) -> serde_json::Value {
	let bytes = get_preset(&PresetId::from(name)).expect("preset exists");
	serde_json::from_slice(&bytes).expect("preset is JSON")
}

fn chain_specs_dir() -> std::path::PathBuf {
	common::repo_root().join("chain-specs")
}

#[test]
fn wasm_runtime_is_built() {
	let wasm = WASM_BINARY.expect("the wasm runtime was built (SKIP_WASM_BUILD unset)");
	// Either a plain wasm module or the zstd-compressed blob substrate-wasm-builder emits.
	let plain = wasm.starts_with(b"\0asm");
	let compressed = wasm.starts_with(&[0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05]);
	assert!(plain || compressed, "unexpected wasm header {:02x?}", &wasm[..8]);
}

#[test]
fn presets_are_dev_local_and_local5() {
	let names: Vec<String> =
		preset_names().iter().map(|p| String::from_utf8_lossy(p.as_ref()).into_owned()).collect();
	assert_eq!(names, ["development", "local_testnet", "local_testnet_5"]);
	assert!(get_preset(&PresetId::from("no-such-preset")).is_none());
}

fn genesis_with(preset: &str, check: impl FnOnce()) {
	let json = common::genesis_config_json(preset_json(preset));
	sp_io::TestExternalities::default().execute_with(|| {
		build_state::<RuntimeGenesisConfig>(json).expect("genesis builds from the preset");
		check();
	});
}

#[test]
fn local_genesis_has_three_validators_with_consensus_keys() {
	genesis_with("local_testnet", || {
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 3);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 3);
		let committee = pallet_committee::Pallet::<Runtime>::committee();
		assert_eq!(committee.authorities.len(), 3, "the validators form the MPC committee");
		assert_eq!(committee.threshold, 2);
		assert!(committee.root_key.is_none(), "the root key comes from the DKG, not genesis");
		assert!(pallet_sudo::Key::<Runtime>::get().is_some());
	});
}

#[test]
fn local5_genesis_has_a_five_member_committee_signing_three_of_five() {
	genesis_with("local_testnet_5", || {
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 5);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 5);
		let committee = pallet_committee::Pallet::<Runtime>::committee();
		assert_eq!(committee.authorities.len(), 5);
		assert_eq!(committee.threshold, 3);
	});
}

#[test]
fn dev_genesis_has_one_validator() {
	genesis_with("development", || {
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 1);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 1);
	});
}

#[test]
fn bad_genesis_json_is_an_error_not_a_panic() {
	let result = std::panic::catch_unwind(|| {
		sp_io::TestExternalities::default()
			.execute_with(|| build_state::<RuntimeGenesisConfig>(b"{\"balances\": 7}".to_vec()))
	});
	assert!(matches!(result, Ok(Err(_))), "malformed genesis must be rejected with an error");
}

#[test]
fn chain_specs_dir_holds_the_current_presets() {
	for (preset, file) in [
		("development", "dev.preset.json"),
		("local_testnet", "local.preset.json"),
		("local_testnet_5", "local5.preset.json"),
	] {
		let path = chain_specs_dir().join(file);
		let on_disk: serde_json::Value = serde_json::from_str(
			&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
		)
		.expect("valid JSON");
		assert_eq!(
			on_disk,
			preset_json(preset),
			"{} is stale: run scripts/export-chain-specs.sh",
			path.display()
		);
	}
}
