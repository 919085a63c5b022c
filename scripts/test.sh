#!/usr/bin/env bash
# The test command: sets the machine up, builds once, then runs the tiers in order of cost.
#   1. unit + integration tests of every crate (pallets, MPC engine, runtime genesis,
#      a single `qsign-node --dev` process), and the pallets' benchmarks as tests;
#   2. the multi-node tier (several validators as real processes over libp2p: finality, the
#      relayer, the Polkadot.js example, a contract getting its signature by callback), and,
#      when the eth-rpc binary is installed, the ethers example through the chain's Ethereum JSON-RPC
#      (otherwise reported as SKIPPED: building eth-rpc as well as the node leaves no safe margin in CI's 90 minutes);
#   3. the zombienet tests (zombienet/tests with zombienet-sdk's native provider: issue 5's four
#      MPC scenarios on 3 and 5 validators, and issue 15's committee lifecycle: Dave joins, Alice
#      leaves, Bob rotates his key, under load; a handover waiting for a next member that is
#      down; see scripts/zombienet.sh).
# A tier that would not fit in the remaining time budget is reported as SKIPPED with the
# reason, never as passed. Budget: QSIGN_TEST_BUDGET_SECS (default 5100 s = 85 min, the CI
# limit is 90 min) counted from the start of this script.
set -euo pipefail
START=$(date +%s)
BUDGET="${QSIGN_TEST_BUDGET_SECS:-5100}"
# Worst cases seen here for the multi-node (767 s with ethers) and zombienet (284 s) tiers, with
# margin (see docs/build.md; the multi-node tier no longer runs the MPC scenarios: those are the
# zombienet tier's, 204 s in the last cold run).
MULTINODE_NEEDS_SECS="${QSIGN_MULTINODE_NEEDS_SECS:-900}"
ZOMBIENET_NEEDS_SECS="${QSIGN_ZOMBIENET_NEEDS_SECS:-1200}"

"$(dirname "$0")/setup.sh"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
elapsed() { echo $(( $(date +%s) - START )); }
# fits_budget TIER NEEDS_SECS: true if the tier fits in what is left of the budget, else prints
# SKIPPED with the reason.
fits_budget() {
  local remaining=$(( BUDGET - $(elapsed) ))
  [ "$remaining" -ge "$2" ] && return 0
  echo "SKIPPED: $1 (needs ~$2 s, ${remaining} s left of the ${BUDGET} s budget)"
  return 1
}

build_all
(cd "$ROOT" && node scripts/compile-contracts.mjs)
log "build done after $(elapsed) s"

log "tier 1: unit and single-node tests"
(cd "$ROOT" && cargo test --release --workspace --locked -- --skip multinode --skip zombienet)
# The QSign pallets' benchmarks (what scripts/bench-weights.sh measures) as tests on their mock
# runtimes; the feature recompiles the FRAME crates beneath the pallets (~170 CPU-s).
(cd "$ROOT" && cargo test --release --locked -p pallet-qsign -p pallet-committee \
  -p pallet-validator-set --features runtime-benchmarks -- benchmarking)
log "tier 1 passed after $(elapsed) s"

fits_budget "multi-node tier" "$MULTINODE_NEEDS_SECS" || exit 0
log "tier 2: multi-node tests"
(cd "$ROOT" && cargo test --release --workspace --locked -- multinode --skip multinode_ethers --test-threads 1)
if eth_rpc_installed; then
  log "tier 2: ethers through eth-rpc ($ETH_RPC_BIN)"
  (cd "$ROOT" && QSIGN_ETH_RPC_BIN="$ETH_RPC_BIN" \
    cargo test --release --locked -p qsign-node --test integration -- multinode_ethers --test-threads 1)
else
  echo "SKIPPED: multinode_ethers_vault_via_eth_rpc (eth-rpc $ETH_RPC_VERSION is not installed at $ETH_RPC_BIN; scripts/run-local.sh installs it, 30–40 min on 2 cores)"
fi
log "tier 2 passed after $(elapsed) s"

fits_budget "zombienet tier" "$ZOMBIENET_NEEDS_SECS" || exit 0
log "tier 3: zombienet tests"
"$ROOT/scripts/zombienet.sh"
log "all tiers passed after $(elapsed) s"
