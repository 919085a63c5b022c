#!/usr/bin/env bash
# Latency benchmark at rest (not a test): the same light load (default 60 requests, one per
# extrinsic, 1 extrinsic/s from 2 accounts) on a fresh local network once per variant of the
# validators' flags, one after the other in this run; prints each run's full report (stage
# table included) and then the latencies side by side. The default variants compare GRANDPA
# voting 2 blocks behind the best block (polkadot-sdk's default rule) with voting on the best
# block (`--finality-vote-lag 0`, the node's default).
#
# Usage: scripts/bench-latency.sh [3|5] [N requests, default 60]
#   QSIGN_COMPARE_ARGS   the variants: node flags, variants separated by '|' (default
#                        "--finality-vote-lag 2|--finality-vote-lag 0"; e.g.
#                        "--finality-gossip-ms 333|--finality-gossip-ms 100")
#   QSIGN_LOAD_ARGS      qsign-load flags (default "--accounts 2 --batch 1 --rate 1")
#   QSIGN_NODE_BIN       another node binary
set -euo pipefail
case "${1:-3}" in
  3) chain=local ;;
  5) chain=local5 ;;
  *) echo "usage: $0 [3|5] [requests]" >&2; exit 2 ;;
esac
requests="${2:-60}"
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [3|5] [requests]" >&2; exit 2; }
IFS='|' read -r -a variants <<< "${QSIGN_COMPARE_ARGS:---finality-vote-lag 2|--finality-vote-lag 0}"
out_dir=$(mktemp -d -t qsign-latency-XXXXXX)
for i in "${!variants[@]}"; do
  args="${variants[$i]}"
  [[ "$args" =~ ^[-a-z0-9\ =]*$ ]] || { echo "QSIGN_COMPARE_ARGS: '$args' is not a list of flags" >&2; exit 2; }
  echo "=== node flags: $args ==="
  QSIGN_CHAIN=$chain QSIGN_DEMO=0 QSIGN_CCO=0 QSIGN_ETH_RPC=0 QSIGN_LOAD_REQUESTS=$requests \
    QSIGN_NODE_ARGS="$args ${QSIGN_NODE_ARGS:-}" \
    QSIGN_LOAD_ARGS="${QSIGN_LOAD_ARGS:---accounts 2 --batch 1 --rate 1}" \
    "$(dirname "$0")/run-local.sh" | tee "$out_dir/variant-$i.txt"
  sleep 3 # the ports of the stopped network
done
echo
echo "=== side by side ($chain, $requests requests, ${QSIGN_LOAD_ARGS:---accounts 2 --batch 1 --rate 1}) ==="
for i in "${!variants[@]}"; do
  printf '%s:%s\n' "${variants[$i]}" "$(grep -h 'latency request -> signature' "$out_dir/variant-$i.txt" |
    sed 's/^ *latency request -> signature://')"
  grep -h 'request.s block seen -> final at a worker' "$out_dir/variant-$i.txt" | sed 's/^/    /' || true
done
