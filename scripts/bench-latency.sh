#!/usr/bin/env bash
# Latency benchmark at rest (not a test): the same light load (default 60 requests, one per
# extrinsic, 1 extrinsic/s from 2 accounts) on a fresh local network of 3 validators, once with
# GRANDPA voting 2 blocks behind the best block (polkadot-sdk's default rule) and once voting on
# the best block (`--finality-vote-lag 0`, the node's default), one after the other in this run;
# prints each run's full report (stage table included) and then both latencies side by side.
#
# Usage: scripts/bench-latency.sh [3|5] [N requests, default 60]
#   QSIGN_LATENCY_LAGS   the vote lags to compare (default "2 0")
#   QSIGN_LOAD_ARGS      qsign-load flags (default "--accounts 2 --batch 1 --rate 1")
set -euo pipefail
case "${1:-3}" in
  3) chain=local ;;
  5) chain=local5 ;;
  *) echo "usage: $0 [3|5] [requests]" >&2; exit 2 ;;
esac
requests="${2:-60}"
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [3|5] [requests]" >&2; exit 2; }
lags="${QSIGN_LATENCY_LAGS:-2 0}"
out_dir=$(mktemp -d -t qsign-latency-XXXXXX)
for lag in $lags; do
  [[ "$lag" =~ ^[0-9]+$ ]] || { echo "QSIGN_LATENCY_LAGS: '$lag' is not a number" >&2; exit 2; }
  echo "=== finality vote lag $lag ==="
  QSIGN_CHAIN=$chain QSIGN_DEMO=0 QSIGN_CCO=0 QSIGN_ETH_RPC=0 QSIGN_LOAD_REQUESTS=$requests \
    QSIGN_NODE_ARGS="--finality-vote-lag $lag ${QSIGN_NODE_ARGS:-}" \
    QSIGN_LOAD_ARGS="${QSIGN_LOAD_ARGS:---accounts 2 --batch 1 --rate 1}" \
    "$(dirname "$0")/run-local.sh" | tee "$out_dir/lag-$lag.txt"
  sleep 3 # the ports of the stopped network
done
echo
echo "=== side by side ($chain, $requests requests, ${QSIGN_LOAD_ARGS:---accounts 2 --batch 1 --rate 1}) ==="
for lag in $lags; do
  printf 'vote lag %s:%s\n' "$lag" "$(grep -h 'latency request -> signature' "$out_dir/lag-$lag.txt" |
    sed 's/^ *latency request -> signature://')"
  grep -h 'request.s block seen -> final at a worker' "$out_dir/lag-$lag.txt" | sed 's/^/    /' || true
done
