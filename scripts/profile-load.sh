#!/usr/bin/env bash
# CPU profile of a load burst (not a test): runs scripts/bench-load.sh (3 or 5 validators, N
# requests), samples every process on the machine with `perf record -e cpu-clock` (Debian's
# linux-perf; software clock, works without hardware counters) while the requests are signed,
# and prints where the CPU went per signature, by category (scripts/cpu-breakdown.py): MPC
# cryptography, runtime (Wasm) execution, signatures of MPC messages, networking, database,
# kernel, the benchmark client, other. The validators run with WASMTIME_PROFILING_STRATEGY=
# perfmap, so perf names the runtime's compiled functions.
#
# Usage: scripts/profile-load.sh [3|5] [N requests, default 1000]. Samples from the first
# submission until qsign-load exits (QSIGN_PROFILE_SECS, default 20: if its process is not found).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
validators="${1:-3}" requests="${2:-1000}" secs="${QSIGN_PROFILE_SECS:-20}"
out=$(mktemp -d -t qsign-profile-XXXXXX)
WASMTIME_PROFILING_STRATEGY=perfmap "$ROOT/scripts/bench-load.sh" "$validators" "$requests" \
  > "$out/load.log" 2>&1 &
load=$!
# The burst starts when qsign-load prints its plan.
until grep -aq '^submitting ' "$out/load.log"; do
  kill -0 "$load" 2>/dev/null || { cat "$out/load.log"; echo "the load run ended early" >&2; exit 1; }
  sleep 0.2
done
# Sample until qsign-load exits (every request signed, or its time-out).
client=$(pgrep -n -f 'release/qsign-load' || true)
start=$(date +%s%N)
if [ -n "$client" ]; then
  perf record -q -e cpu-clock -F 499 -a -o "$out/perf.data" -- tail --pid="$client" -f /dev/null 2>/dev/null
else
  perf record -q -e cpu-clock -F 499 -a -o "$out/perf.data" -- sleep "$secs" 2>/dev/null
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
secs="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
wait "$load" || true
grep -a -A20 '^qsign-load:' "$out/load.log"
perf report -i "$out/perf.data" --stdio --no-children --sort comm,dso,sym -F sample,comm,dso,sym \
  2>/dev/null > "$out/report.txt"
signed=$(grep -a -o 'signed [0-9]*,' "$out/load.log" | head -n 1 | tr -dc 0-9)
python3 "$ROOT/scripts/cpu-breakdown.py" "$out/report.txt" 499 "$secs" "${signed:-0}"
echo "(profile and logs in $out)"
