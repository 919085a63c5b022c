#!/usr/bin/env bash
# Idempotent machine set-up for building and testing QSign.
#
# Installs (only what is missing):
#   * Debian packages: protoc (litep2p build script), clang/libclang (bindgen), m4, curl, jq;
#   * a wasm toolchain for the runtime: rustup's own `wasm32-unknown-unknown` target when rustup
#     has it (or can fetch it), otherwise Debian's `rustc-web` + `rust-web-src` + `lld-22`, linked
#     into rustup as the toolchain `debian-web` (see docs/build.md);
#   * npm packages used by the tests and demos (when a package.json exists).
#
# It writes `scripts/.toolchain.env`, which the build scripts source, so that the same commands
# work on this kind of machine and on an ordinary rustup machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/scripts/.toolchain.env"
log() { printf '[setup] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    log "missing packages ${missing[*]} and no apt-get: install them by hand"; return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"; $SUDO apt-get update -qq; APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

# 1. Native build dependencies.
apt_install protobuf-compiler clang libclang-dev m4 curl jq ca-certificates

# 2. Wasm toolchain for the runtime.
: > "$ENV_FILE.tmp"
has_rustup_wasm() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown &&
    rustup component list --installed 2>/dev/null | grep -q '^rust-src'
}
# Order: a rustup wasm target that is already there (an ordinary developer machine); else Debian's
# compiler when apt-get exists (this kind of machine and CI, where rustup cannot download
# targets); else ask rustup for the target.
if has_rustup_wasm || { ! command -v apt-get >/dev/null &&
                        rustup target add wasm32-unknown-unknown >/dev/null &&
                        rustup component add rust-src >/dev/null; }; then
  log "using rustup's wasm32-unknown-unknown target"
else
  log "rustup has no wasm32 target here: using Debian's rustc-web"
  apt_install rustc-web rust-web-src lld-22
  SYSROOT_LIB=/usr/lib/rustlib/wasm32-unknown-unknown/lib
  # substrate-wasm-builder first compiles a probe crate without build-std: it needs a prebuilt
  # core/alloc for wasm32 in Debian's sysroot. Build them once with build-std.
  if ! ls "$SYSROOT_LIB"/libcore-*.rlib >/dev/null 2>&1; then
    log "pre-building the wasm32 sysroot (core, alloc) with Debian's rustc"
    PROBE="$(mktemp -d)"
    mkdir -p "$PROBE/src"
    cat > "$PROBE/Cargo.toml" <<'TOML'
[package]
name = "wasm-sysroot-probe"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[profile.release]
panic = "abort"
TOML
    cat > "$PROBE/src/lib.rs" <<'RS'
#![no_std]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
RS
    (cd "$PROBE" && env -u CARGO_TARGET_DIR RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      cargo build -q --release --target wasm32-unknown-unknown -Zbuild-std=core,alloc)
    $SUDO mkdir -p "$SYSROOT_LIB"
    for lib in core alloc compiler_builtins; do
      $SUDO cp "$PROBE"/target/wasm32-unknown-unknown/release/deps/lib${lib}-*.rlib "$SYSROOT_LIB/"
    done
    rm -rf "$PROBE"
  fi
  TC_DIR="${QSIGN_TOOLCHAIN_DIR:-$HOME/.local/share/qsign/debian-web-toolchain}"
  mkdir -p "$TC_DIR/bin"
  ln -sfn /usr/bin/rustc "$TC_DIR/bin/rustc"
  ln -sfn /usr/bin/rustdoc "$TC_DIR/bin/rustdoc"
  ln -sfn "$(rustup which cargo)" "$TC_DIR/bin/cargo"
  ln -sfn /usr/lib "$TC_DIR/lib"
  rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web "$TC_DIR"
  {
    echo "export WASM_BUILD_TOOLCHAIN=debian-web"
    # rustc >= 1.96 no longer passes --allow-undefined to the wasm linker; host functions
    # (ext_storage_* ...) are imports and must stay undefined.
    echo "export WASM_BUILD_RUSTFLAGS='-C link-arg=--allow-undefined'"
  } >> "$ENV_FILE.tmp"
fi
mv "$ENV_FILE.tmp" "$ENV_FILE"

# 3. npm packages for the JS tests and examples (contracts, Polkadot.js, anvil), when present.
if [ -f "$ROOT/package.json" ]; then
  if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules" ]; then
    log "npm ci"; (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) && touch "$ROOT/node_modules"
  fi
fi
log "done"
