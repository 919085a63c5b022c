#!/usr/bin/env bash
# Regenerates chain-specs/: the genesis presets as JSON (committed, checked by the runtime's
# tests; python, not jq, keeps the u128 balances exact) and the raw chain specs (chain-specs/raw/, not committed: they embed the wasm runtime).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
[ -x "$NODE_BIN" ] || { log "build first: scripts/test.sh or scripts/run-local.sh"; exit 1; }
mkdir -p "$ROOT/chain-specs/raw"
for chain in dev local local5; do
  "$NODE_BIN" export-chain-spec --chain "$chain" 2>/dev/null |
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["genesis"]["runtimeGenesis"]["patch"], indent=2))' \
    > "$ROOT/chain-specs/$chain.preset.json"
  "$NODE_BIN" export-chain-spec --chain "$chain" --raw 2>/dev/null > "$ROOT/chain-specs/raw/$chain.json"
  log "wrote chain-specs/$chain.preset.json and chain-specs/raw/$chain.json"
done
