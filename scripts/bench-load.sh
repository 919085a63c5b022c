#!/usr/bin/env bash
# Load benchmark (not a test): starts a local network (3 validators, or 5 with `5`), makes N
# signature requests from several accounts spread over all nodes, and prints signatures per
# second and request→signature latency (blocks and seconds, p50/p99), the throughput as a
# share of the engine's signing ceiling measured first in the same run (`qsign-mpc-bench
# ceiling`), where the time goes stage by stage (the validators' `qsign_signingTimes`), and the
# MPC bytes per signature. Only the validators run: no demo, no anvil/relayer, no eth-rpc.
#
# Usage: scripts/bench-load.sh [3|5] [N requests, default 200]   (extra qsign-load flags in
# QSIGN_LOAD_ARGS; default "--accounts 4 --batch 16")
set -euo pipefail
case "${1:-3}" in
  3) chain=local ;;
  5) chain=local5 ;;
  *) echo "usage: $0 [3|5] [requests]" >&2; exit 2 ;;
esac
requests="${2:-200}"
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [3|5] [requests]" >&2; exit 2; }
QSIGN_CHAIN=$chain QSIGN_DEMO=0 QSIGN_CCO=0 QSIGN_ETH_RPC=0 QSIGN_LOAD_REQUESTS=$requests \
  QSIGN_LOAD_ARGS="${QSIGN_LOAD_ARGS:---accounts 4 --batch 16}" \
  exec "$(dirname "$0")/run-local.sh"
