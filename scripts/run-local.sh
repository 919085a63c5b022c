#!/usr/bin/env bash
# The run command: sets the machine up, builds, and starts a local QSign network of three
# validators (Alice, Bob, Charlie) on localhost. Prints where their RPC listens, waits until
# blocks are finalized, and keeps running until Ctrl-C (which stops all three).
#
# Environment: QSIGN_RUN_DIR (default: a fresh temp dir) holds the nodes' databases and logs;
# QSIGN_EXIT_WHEN_READY=1 stops the network once it finalizes (for scripted checks).
set -euo pipefail
"$(dirname "$0")/setup.sh"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
build_all

RUN_DIR="${QSIGN_RUN_DIR:-$(mktemp -d -t qsign-local-XXXXXX)}"
mkdir -p "$RUN_DIR"
ALICE_NODE_KEY=0000000000000000000000000000000000000000000000000000000000000001
ALICE_PEER_ID=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start_validator() { # name rpc_port p2p_port extra args...
  local name=$1 rpc=$2 p2p=$3; shift 3
  "$NODE_BIN" --chain local "--$name" --validator --base-path "$RUN_DIR/$name" \
    --rpc-port "$rpc" --port "$p2p" --rpc-cors all --no-prometheus --no-telemetry --no-mdns \
    "$@" > "$RUN_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  log "$name: RPC ws/http://127.0.0.1:$rpc  p2p 127.0.0.1:$p2p  log $RUN_DIR/$name.log"
}
BOOT="/ip4/127.0.0.1/tcp/30333/p2p/$ALICE_PEER_ID"
start_validator alice 9944 30333 --node-key "$ALICE_NODE_KEY"
# Validators need a persistent libp2p key; fixed ones keep peer ids stable across runs.
start_validator bob 9945 30334 --node-key "$(printf '%064x' 2)" --bootnodes "$BOOT"
start_validator charlie 9946 30335 --node-key "$(printf '%064x' 3)" --bootnodes "$BOOT"

rpc() { curl -s -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "http://127.0.0.1:$1"; }
finalized() {
  local hash; hash=$(rpc "$1" chain_getFinalizedHead | jq -r '.result // empty')
  [ -n "$hash" ] || { echo 0; return; }
  printf '%d\n' "$(rpc "$1" chain_getHeader "[\"$hash\"]" | jq -r '.result.number // "0x0"')"
}
log "waiting for the three validators to finalize blocks..."
for _ in $(seq 1 240); do
  a=$(finalized 9944); b=$(finalized 9945); c=$(finalized 9946)
  if [ "$a" -ge 3 ] && [ "$b" -ge 3 ] && [ "$c" -ge 3 ]; then break; fi
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { log "a validator exited; see logs in $RUN_DIR"; exit 1; }; done
  sleep 1
done
[ "$a" -ge 3 ] && [ "$b" -ge 3 ] && [ "$c" -ge 3 ] || { log "no finality after 240 s; see logs in $RUN_DIR"; exit 1; }
echo "QSign local network is up: finalized blocks alice=$a bob=$b charlie=$c"
echo "RPC endpoints: ws://127.0.0.1:9944 (alice), ws://127.0.0.1:9945 (bob), ws://127.0.0.1:9946 (charlie)"
echo "Polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944"
if [ "${QSIGN_EXIT_WHEN_READY:-0}" = 1 ]; then exit 0; fi
echo "Press Ctrl-C to stop the network."
wait
