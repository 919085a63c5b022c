# Shared by the scripts: paths, the wasm toolchain chosen by setup.sh, and the build.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A target directory outside the clone, so a later run (or another clone) builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/qsign/target}"
mkdir -p "$CARGO_TARGET_DIR"
# The runtime's wasm build must find this workspace (and its Cargo.lock) from the target dir.
export WASM_BUILD_WORKSPACE_HINT="$ROOT"
# shellcheck disable=SC1091
[ -f "$ROOT/scripts/.toolchain.env" ] && source "$ROOT/scripts/.toolchain.env"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# QSIGN_NODE_BIN: another node binary (e.g. a build of another commit, to compare side by side).
NODE_BIN="${QSIGN_NODE_BIN:-$CARGO_TARGET_DIR/release/qsign-node}"
DEMO_BIN="$CARGO_TARGET_DIR/release/qsign-demo"
LOAD_BIN="$CARGO_TARGET_DIR/release/qsign-load"
CCO_BIN="$CARGO_TARGET_DIR/release/cco"
MPC_BENCH_BIN="$CARGO_TARGET_DIR/release/qsign-mpc-bench"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# Builds everything the tests and the local network use, in one profile (release), so that
# nothing compiles twice: the node binary, the runtime wasm, every test binary, and the
# client tools (qsign-demo, qsign-load) and the relayer (cco); the second command only links them.
build_all() {
  log "cargo build (release, workspace, tests included) into $CARGO_TARGET_DIR"
  (cd "$ROOT" && cargo test --release --workspace --locked --no-run &&
    cargo build --release --workspace --locked --bins)
}

# Tools built from crates.io (eth-rpc, frame-omni-bencher), outside the workspace, from their
# published lock files: inside the workspace their sc-cli/sc-service default features would
# switch RocksDB on for our node. They share one target dir (most dependencies are the same)
# and are installed into TOOLS_ROOT, each with a `<binary>.version` file naming its version.
TOOLS_ROOT="${QSIGN_TOOLS_DIR:-$HOME/.cache/qsign/tools}"
TOOLS_TARGET_DIR="$HOME/.cache/qsign/tools-target"
# tool_installed BINARY VERSION
tool_installed() {
  [ -x "$TOOLS_ROOT/bin/$1" ] && [ "$(cat "$TOOLS_ROOT/$1.version" 2>/dev/null)" = "$2" ]
}
# install_tool CRATE BINARY VERSION FIRST-TIME-ESTIMATE
install_tool() {
  tool_installed "$2" "$3" && return 0
  log "installing $2 $3 into $TOOLS_ROOT (first time: $4 on 2 cores)"
  # SKIP_WASM_BUILD: their build scripts only need the native metadata of reference runtimes.
  SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$TOOLS_TARGET_DIR" \
    cargo install "$1" --version "$3" --locked --root "$TOOLS_ROOT"
  echo "$3" > "$TOOLS_ROOT/$2.version"
}

# The chain's Ethereum JSON-RPC server (polkadot-sdk's eth-rpc, pallet-revive-eth-rpc on
# crates.io). About as big as the node (~3,500 CPU-s, 30–40 min on 2 cores, the first time).
ETH_RPC_VERSION="0.24.0"
ETH_RPC_BIN="$TOOLS_ROOT/bin/eth-rpc"
eth_rpc_installed() { tool_installed eth-rpc "$ETH_RPC_VERSION"; }
install_eth_rpc() { install_tool pallet-revive-eth-rpc eth-rpc "$ETH_RPC_VERSION" "30–40 min"; }

# polkadot-sdk's runtime benchmark runner (same release, stable2609), for scripts/bench-weights.sh
# only: it is not part of the default build, the tests or CI.
OMNI_BENCHER_VERSION="0.28.0"
OMNI_BENCHER_BIN="$TOOLS_ROOT/bin/frame-omni-bencher"
install_omni_bencher() {
  install_tool frame-omni-bencher frame-omni-bencher "$OMNI_BENCHER_VERSION" "~45 min"
}
