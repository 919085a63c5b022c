#!/usr/bin/env bash
# Runs the zombienet tests (zombienet/tests/scenarios.rs: issues 5, 15 and 16) with
# zombienet-sdk's native provider: real `qsign-node` processes from the release build, talking
# libp2p on localhost, spawned from zombienet/local-3.toml and local-5.toml. Called by
# scripts/test.sh (tier 3) after the build; by hand:
#   scripts/zombienet.sh                          all of them
#   scripts/zombienet.sh two_validators_killed    the tests whose name contains this
# The tests (target `scenarios`) run through the workspace (`--workspace`) so that cargo reuses
# the build of scripts/test.sh instead of compiling the shared crates again with other features.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

filter="${1:-zombienet_}"
[[ "$filter" =~ ^[0-9a-z_]+$ ]] || { echo "usage: $0 [part of a test name: a-z, 0-9, _]" >&2; exit 2; }
[ -x "$NODE_BIN" ] || { log "no node binary at $NODE_BIN (build first: scripts/test.sh)"; exit 1; }

cd "$ROOT"
QSIGN_NODE_BIN="$NODE_BIN" cargo test --release --workspace --locked --test scenarios -- "$filter" --test-threads 1 --show-output
