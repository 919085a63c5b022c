#!/usr/bin/env bash
# Load benchmark (not a test): starts a local network (3 validators, or 5 with `5`), makes N
# signature requests from several accounts spread over all nodes, and prints signatures per
# second and request→signature latency (blocks and seconds, p50/p99), the throughput as a
# share of the engine's signing ceiling measured first in the same run (`qsign-mpc-bench
# ceiling`), where the time goes stage by stage (the validators' `qsign_signingTimes`), and the
# MPC bytes per signature. Only the validators run: no demo, no anvil/relayer, no eth-rpc.
#
# Usage: scripts/bench-load.sh [3|5] [N requests, default 200]
#   QSIGN_LOAD_ARGS      qsign-load flags (default "--accounts 4 --batch 16")
#   QSIGN_COMPARE_RUNS   values of the validators' --max-signing-runs to compare side by side,
#                        each on a fresh network one after the other in this run (e.g.
#                        "256 64"); unset: one run with the node's default
#   QSIGN_COMPARE_NODES  instead, node binaries to compare side by side, as LABEL=PATH pairs
#                        (e.g. "3s=/tmp/node-3s 1s=/tmp/node-1s": builds of two commits)
#   QSIGN_COMPARE_ARGS   instead, variants of the validators' flags separated by '|' (e.g.
#                        "--finality-gossip-ms 333|--finality-gossip-ms 100")
set -euo pipefail
case "${1:-3}" in
  3) chain=local ;;
  5) chain=local5 ;;
  *) echo "usage: $0 [3|5] [requests]" >&2; exit 2 ;;
esac
requests="${2:-200}"
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [3|5] [requests]" >&2; exit 2; }
load_args="${QSIGN_LOAD_ARGS:---accounts 4 --batch 16}"
run() {
  QSIGN_CHAIN=$chain QSIGN_DEMO=0 QSIGN_CCO=0 QSIGN_ETH_RPC=0 QSIGN_LOAD_REQUESTS=$requests \
    QSIGN_LOAD_ARGS="$load_args" "$(dirname "$0")/run-local.sh"
}
if [ -n "${QSIGN_COMPARE_ARGS:-}" ]; then
  out_dir=$(mktemp -d -t qsign-load-XXXXXX)
  IFS='|' read -r -a variants <<< "$QSIGN_COMPARE_ARGS"
  for i in "${!variants[@]}"; do
    args="${variants[$i]}"
    [[ "$args" =~ ^[-a-z0-9\ =]*$ ]] || { echo "QSIGN_COMPARE_ARGS: '$args' is not a list of flags" >&2; exit 2; }
    echo "=== node flags: $args ==="
    QSIGN_NODE_ARGS="$args ${QSIGN_NODE_ARGS:-}" run | tee "$out_dir/variant-$i.txt"
    sleep 3 # the ports of the stopped network
  done
  echo
  echo "=== side by side ($chain, $requests requests, $load_args) ==="
  for i in "${!variants[@]}"; do
    echo "${variants[$i]}:"
    grep -h -e '  throughput:' -e 'share of the engine' -e 'latency request -> signature' \
      -e 'signing phase:' -e 'final at a worker' "$out_dir/variant-$i.txt" | sed 's/^ */    /' || true
  done
  exit
fi
if [ -n "${QSIGN_COMPARE_NODES:-}" ]; then
  out_dir=$(mktemp -d -t qsign-load-XXXXXX)
  for pair in $QSIGN_COMPARE_NODES; do
    label="${pair%%=*}" bin="${pair#*=}"
    [ -x "$bin" ] || { echo "QSIGN_COMPARE_NODES: '$bin' is not an executable" >&2; exit 2; }
    echo "=== node $label ($bin) ==="
    QSIGN_NODE_BIN="$bin" run | tee "$out_dir/node-$label.txt"
    sleep 3 # the ports of the stopped network
  done
  echo
  echo "=== side by side ($chain, $requests requests, $load_args) ==="
  for pair in $QSIGN_COMPARE_NODES; do
    label="${pair%%=*}"
    echo "node $label:"
    grep -h -e '  throughput:' -e 'share of the engine' -e 'latency request -> signature' \
      -e 'signing phase:' -e 'MPC traffic of' "$out_dir/node-$label.txt" | sed 's/^ */    /' || true
  done
  exit
fi
if [ -z "${QSIGN_COMPARE_RUNS:-}" ]; then
  run
  exit
fi
out_dir=$(mktemp -d -t qsign-load-XXXXXX)
for runs in $QSIGN_COMPARE_RUNS; do
  [[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "QSIGN_COMPARE_RUNS: '$runs' is not a number" >&2; exit 2; }
  echo "=== --max-signing-runs $runs ==="
  QSIGN_NODE_ARGS="--max-signing-runs $runs ${QSIGN_NODE_ARGS:-}" run | tee "$out_dir/runs-$runs.txt"
  sleep 3 # the ports of the stopped network
done
echo
echo "=== side by side ($chain, $requests requests, $load_args) ==="
for runs in $QSIGN_COMPARE_RUNS; do
  echo "--max-signing-runs $runs:"
  grep -h -e '  throughput:' -e 'share of the engine' -e 'latency request -> signature' \
    -e 'signing phase:' -e 'MPC traffic of' "$out_dir/runs-$runs.txt" | sed 's/^ */    /' || true
done
