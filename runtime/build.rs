//! Builds the runtime to wasm (`WASM_BINARY`) with substrate-wasm-builder.
//!
//! `scripts/setup.sh` decides which toolchain builds the wasm (see docs/build.md); set
//! `SKIP_WASM_BUILD=1` only for commands that do not need the blob (clippy, pallet tests).

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(not(feature = "std"))]
fn main() {}
