#!/usr/bin/env bash
# Regenerates pallets/qsign/src/weights.rs and pallets/committee/src/weights.rs from the pallets'
# benchmarks (benchmarking.rs), run on the real runtime by polkadot-sdk's frame-omni-bencher. Not a test and not part of CI: it builds
# the runtime a second time with `runtime-benchmarks` (its own target dir, so the node's runtime
# never carries the benchmarking code) and installs frame-omni-bencher the first time.
#
# Usage: scripts/bench-weights.sh [--check]
#   --check   write to temporary files and only print them (weights.rs unchanged)
# Environment: QSIGN_BENCH_STEPS (default 20), QSIGN_BENCH_REPEAT (default 10).
# First run on 2 cores: frame-omni-bencher ~45 min, the benchmark runtime ~25 min; then minutes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
steps="${QSIGN_BENCH_STEPS:-20}"
repeat="${QSIGN_BENCH_REPEAT:-10}"
for n in "$steps" "$repeat"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "QSIGN_BENCH_STEPS/REPEAT must be positive integers" >&2; exit 2; }
done

install_omni_bencher

bench_target="$HOME/.cache/qsign/bench-target"
log "building the runtime with runtime-benchmarks into $bench_target"
(cd "$ROOT" && CARGO_TARGET_DIR="$bench_target" \
  cargo build --release -p qsign-runtime --features runtime-benchmarks --locked)
wasm="$bench_target/release/wbuild/qsign-runtime/qsign_runtime.compact.compressed.wasm"
[ -f "$wasm" ] || { log "no runtime wasm at $wasm"; exit 1; }

for pallet in qsign committee; do
  out="$ROOT/pallets/$pallet/src/weights.rs"
  [ "$check" = 1 ] && out="$(mktemp --suffix=.rs)"
  log "running pallet_$pallet benchmarks (steps $steps, repeat $repeat) → $out"
  (cd "$ROOT" && "$OMNI_BENCHER_BIN" v1 benchmark pallet \
    --runtime "$wasm" \
    --genesis-builder runtime --genesis-builder-preset development \
    --pallet "pallet_$pallet" --extrinsic '*' \
    --steps "$steps" --repeat "$repeat" \
    --template scripts/frame-weight-template.hbs \
    --output "$out")
  if [ "$check" = 1 ]; then cat "$out"; rm -f "$out"; fi
done
log "done"
