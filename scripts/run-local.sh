#!/usr/bin/env bash
# The run command: sets the machine up, builds, starts a local QSign network of validators on
# localhost, waits until they finalize blocks and their MPC committee has generated its root
# key (DKG), then makes a demo request: a key for Alice (with its Ethereum and Bitcoin
# addresses) and a threshold signature, verified locally. It also starts a local EVM chain
# (anvil, chain id 31337, http://127.0.0.1:8555) and a Cross-Chain Oracle (`cco`), and the demo
# then signs a transfer from the key's Ethereum address (QSignTx) that the oracle broadcasts
# and reports back. Finally the chain's own Ethereum JSON-RPC (eth-rpc, http://127.0.0.1:8545,
# chain id 515380, for MetaMask/ethers/hardhat) serves a contract demo: QSignVault deployed
# with ethers gets a threshold signature by callback. Keeps running until Ctrl-C.
#
# Environment:
#   QSIGN_CHAIN=local|local5   three validators (2-of-3, default) or five (3-of-5)
#   QSIGN_RUN_DIR              where the nodes' databases and logs go (default: a fresh temp dir)
#   QSIGN_DEMO=0               skip the demo request
#   QSIGN_CCO=0                no anvil, no Cross-Chain Oracle, no QSignTx demo
#   QSIGN_ETH_RPC=0            no eth-rpc (and no contract demo); otherwise eth-rpc is built
#                              once into ~/.cache/qsign/tools (30–40 min on 2 cores)
#   QSIGN_LOAD_REQUESTS=N      after the demo, run the load benchmark (qsign-load) with N
#                              requests (QSIGN_LOAD_ARGS adds flags) and stop
#   QSIGN_EXIT_WHEN_READY=1    stop once the demo is done (for scripted checks)
#   QSIGN_NODE_ARGS            extra flags for every node (e.g. "-lqsign-mpc=debug")
set -euo pipefail
"$(dirname "$0")/setup.sh"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build_all
(cd "$ROOT" && node scripts/compile-contracts.mjs)
if [ "${QSIGN_ETH_RPC:-1}" != 0 ]; then install_eth_rpc; fi

CHAIN="${QSIGN_CHAIN:-local}"
case "$CHAIN" in
  local) NAMES=(alice bob charlie) SIGNING="2-of-3" ;;
  local5) NAMES=(alice bob charlie dave eve) SIGNING="3-of-5" ;;
  *) log "QSIGN_CHAIN must be local or local5, not '$CHAIN'"; exit 2 ;;
esac
LOAD_CEILING=()
if [ -n "${QSIGN_LOAD_REQUESTS:-}" ]; then
  # The engine's signing ceiling on this machine, measured now (before the network starts):
  # the load benchmark prints its throughput as a share of it.
  log "measuring the engine's $SIGNING signing ceiling (qsign-mpc-bench ceiling)"
  ceiling=$("$MPC_BENCH_BIN" ceiling | tee /dev/stderr |
    sed -n "s/^ceiling $SIGNING: .*: \([0-9.]*\) signatures\/s$/\1/p")
  [ -n "$ceiling" ] && LOAD_CEILING=(--ceiling "$ceiling")
fi
RUN_DIR="${QSIGN_RUN_DIR:-$(mktemp -d -t qsign-local-XXXXXX)}"
mkdir -p "$RUN_DIR"
ALICE_NODE_KEY=0000000000000000000000000000000000000000000000000000000000000001
ALICE_PEER_ID=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

BOOT="/ip4/127.0.0.1/tcp/30333/p2p/$ALICE_PEER_ID"
PORTS=()
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]} rpc=$((9944 + i)) p2p=$((30333 + i))
  # Validators need a persistent libp2p key; fixed ones keep peer ids stable across runs.
  args=(--node-key "$(printf '%064x' $((i + 1)))")
  [ "$i" -gt 0 ] && args+=(--bootnodes "$BOOT")
  # shellcheck disable=SC2086
  "$NODE_BIN" --chain "$CHAIN" "--$name" --validator --base-path "$RUN_DIR/$name" \
    --rpc-port "$rpc" --port "$p2p" --rpc-cors all --no-prometheus --no-telemetry --no-mdns \
    "${args[@]}" ${QSIGN_NODE_ARGS:-} > "$RUN_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  PORTS+=("$rpc")
  log "$name: RPC ws/http://127.0.0.1:$rpc  p2p 127.0.0.1:$p2p  log $RUN_DIR/$name.log"
done

rpc() { curl -s -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "http://127.0.0.1:$1"; }
finalized() {
  local hash; hash=$(rpc "$1" chain_getFinalizedHead | jq -r '.result // empty')
  [ -n "$hash" ] || { echo 0; return; }
  printf '%d\n' "$(rpc "$1" chain_getHeader "[\"$hash\"]" | jq -r '.result.number // "0x0"')"
}
log "waiting for the ${#NAMES[@]} validators to finalize blocks..."
ready=0
for _ in $(seq 1 240); do
  ready=1 summary=""
  for i in "${!NAMES[@]}"; do
    f=$(finalized "${PORTS[$i]}"); summary+=" ${NAMES[$i]}=$f"
    [ "$f" -ge 3 ] || ready=0
  done
  [ "$ready" = 1 ] && break
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { log "a validator exited; see logs in $RUN_DIR"; exit 1; }; done
  sleep 1
done
[ "$ready" = 1 ] || { log "no finality after 240 s; see logs in $RUN_DIR"; exit 1; }
echo "QSign local network is up ($CHAIN): finalized blocks$summary"
for i in "${!NAMES[@]}"; do echo "  ${NAMES[$i]}: ws://127.0.0.1:${PORTS[$i]}"; done
echo "Polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944"

DEMO_ARGS=()
if [ "${QSIGN_CCO:-1}" != 0 ]; then
  # The native binary, not node_modules/.bin/anvil (a Node.js wrapper that would outlive Ctrl-C).
  ANVIL=$(ls "$ROOT"/node_modules/@foundry-rs/anvil-*/bin/anvil 2>/dev/null | head -n 1)
  [ -x "$ANVIL" ] || { log "anvil is missing under node_modules/@foundry-rs (npm ci)"; exit 1; }
  "$ANVIL" --port 8555 --chain-id 31337 --block-time 1 > "$RUN_DIR/anvil.log" 2>&1 &
  PIDS+=($!)
  cat > "$RUN_DIR/cco.toml" <<TOML
qsign_url = "ws://127.0.0.1:9944"
database = "cco.redb"
signer = "//Ferdie"
[[destination]]
chain_id = 31337
rpc_url = "http://127.0.0.1:8555"
confirmations = 2
TOML
  for _ in $(seq 1 50); do rpc 8555 eth_chainId | grep -q result && break; sleep 0.2; done
  rpc 8555 eth_chainId | grep -q result ||
    { log "anvil did not answer on port 8555 (in use?); see $RUN_DIR/anvil.log"; exit 1; }
  "$CCO_BIN" run --config "$RUN_DIR/cco.toml" --listen 127.0.0.1:9616 > "$RUN_DIR/cco.log" 2>&1 &
  PIDS+=($!)
  log "anvil: http://127.0.0.1:8555 (chain 31337)  log $RUN_DIR/anvil.log"
  log "cco: $RUN_DIR/cco.toml  log $RUN_DIR/cco.log  status: $CCO_BIN status -c $RUN_DIR/cco.toml, http://127.0.0.1:9616/health and /metrics"
  DEMO_ARGS+=(--evm-rpc "http://127.0.0.1:8555")
fi

if [ "${QSIGN_DEMO:-1}" != 0 ]; then
  echo "Demo request (waits for the committee's DKG, then a key, a signature and a QSignTx):"
  "$DEMO_BIN" --rpc "http://127.0.0.1:9944" --suri //Alice "${DEMO_ARGS[@]}" ||
    { log "the demo request failed; see logs in $RUN_DIR"; exit 1; }
fi
if [ "${QSIGN_ETH_RPC:-1}" != 0 ]; then
  # In-memory index of the latest blocks: works against the validators' pruned state.
  "$ETH_RPC_BIN" --node-rpc-url ws://127.0.0.1:9944 --rpc-port 8545 --rpc-cors all \
    --eth-pruning 256 --no-prometheus > "$RUN_DIR/eth-rpc.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do rpc 8545 eth_chainId | grep -q result && break; sleep 0.3; done
  rpc 8545 eth_chainId | grep -q result ||
    { log "eth-rpc did not answer on port 8545 (in use?); see $RUN_DIR/eth-rpc.log"; exit 1; }
  log "eth-rpc: http://127.0.0.1:8545 (chain id $(printf '%d' "$(rpc 8545 eth_chainId | jq -r .result)"))  log $RUN_DIR/eth-rpc.log"
  if [ "${QSIGN_DEMO:-1}" != 0 ]; then
    echo "Contract demo (ethers through eth-rpc: QSignVault gets a threshold signature by callback):"
    node "$ROOT/examples/ethers/vault.mjs" http://127.0.0.1:8545 ||
      { log "the contract demo failed; see logs in $RUN_DIR"; exit 1; }
  fi
fi
if [ -n "${QSIGN_LOAD_REQUESTS:-}" ]; then
  rpcs=(); for port in "${PORTS[@]}"; do rpcs+=(--rpc "http://127.0.0.1:$port"); done
  # shellcheck disable=SC2086
  "$LOAD_BIN" "${rpcs[@]}" --requests "$QSIGN_LOAD_REQUESTS" "${LOAD_CEILING[@]}" ${QSIGN_LOAD_ARGS:-}
  exit $?
fi
if [ "${QSIGN_EXIT_WHEN_READY:-0}" = 1 ]; then exit 0; fi
echo "Press Ctrl-C to stop the network."
wait
