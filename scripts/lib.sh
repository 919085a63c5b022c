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
NODE_BIN="$CARGO_TARGET_DIR/release/qsign-node"
DEMO_BIN="$CARGO_TARGET_DIR/release/qsign-demo"
LOAD_BIN="$CARGO_TARGET_DIR/release/qsign-load"
CCO_BIN="$CARGO_TARGET_DIR/release/cco"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# Builds everything the tests and the local network use, in one profile (release), so that
# nothing compiles twice: the node binary, the runtime wasm, every test binary, and the
# client tools (qsign-demo, qsign-load) and the relayer (cco); the second command only links them.
build_all() {
  log "cargo build (release, workspace, tests included) into $CARGO_TARGET_DIR"
  (cd "$ROOT" && cargo test --release --workspace --locked --no-run &&
    cargo build --release --workspace --locked --bins)
}

# The chain's Ethereum JSON-RPC server (polkadot-sdk's eth-rpc, pallet-revive-eth-rpc on
# crates.io). Built outside the workspace, in its own target dir, from its published lock file:
# inside the workspace its sc-cli/sc-service default features would switch RocksDB on for our
# node. It is about as big as the node (~3,500 CPU-s, 30–40 min on 2 cores, the first time).
ETH_RPC_VERSION="0.24.0"
# The target dir for tools built from crates.io (eth-rpc, frame-omni-bencher), not the workspace.
TOOLS_TARGET_DIR="$HOME/.cache/qsign/tools-target"
ETH_RPC_ROOT="${QSIGN_TOOLS_DIR:-$HOME/.cache/qsign/tools}"
ETH_RPC_BIN="$ETH_RPC_ROOT/bin/eth-rpc"
eth_rpc_installed() {
  [ -x "$ETH_RPC_BIN" ] && [ "$(cat "$ETH_RPC_ROOT/eth-rpc.version" 2>/dev/null)" = "$ETH_RPC_VERSION" ]
}
install_eth_rpc() {
  eth_rpc_installed && return 0
  log "installing eth-rpc $ETH_RPC_VERSION into $ETH_RPC_ROOT (first time: 30–40 min on 2 cores)"
  # SKIP_WASM_BUILD: its build script only needs the native metadata of its reference runtime.
  SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$TOOLS_TARGET_DIR" \
    cargo install pallet-revive-eth-rpc --version "$ETH_RPC_VERSION" --locked --root "$ETH_RPC_ROOT"
  echo "$ETH_RPC_VERSION" > "$ETH_RPC_ROOT/eth-rpc.version"
}

# polkadot-sdk's runtime benchmark runner (same release, stable2609), for scripts/bench-weights.sh
# only: it is not part of the default build, the tests or CI. Built like eth-rpc, outside the
# workspace and sharing its target dir (most dependencies are the same), ~45 min the first time.
OMNI_BENCHER_VERSION="0.28.0"
OMNI_BENCHER_BIN="$ETH_RPC_ROOT/bin/frame-omni-bencher"
omni_bencher_installed() {
  [ -x "$OMNI_BENCHER_BIN" ] &&
    [ "$(cat "$ETH_RPC_ROOT/frame-omni-bencher.version" 2>/dev/null)" = "$OMNI_BENCHER_VERSION" ]
}
install_omni_bencher() {
  omni_bencher_installed && return 0
  log "installing frame-omni-bencher $OMNI_BENCHER_VERSION into $ETH_RPC_ROOT (first time: ~45 min on 2 cores)"
  SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$TOOLS_TARGET_DIR" \
    cargo install frame-omni-bencher --version "$OMNI_BENCHER_VERSION" --locked --root "$ETH_RPC_ROOT"
  echo "$OMNI_BENCHER_VERSION" > "$ETH_RPC_ROOT/frame-omni-bencher.version"
}
