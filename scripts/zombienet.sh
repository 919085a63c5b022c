#!/usr/bin/env bash
# Runs the zombienet tests (zombienet/*.zndsl, issue 5's scenarios) with the zombienet CLI's
# native provider: real `qsign-node` processes from the release build, talking libp2p on
# localhost. Called by scripts/test.sh (tier 3) after the build; by hand:
#   scripts/zombienet.sh                     all tests
#   scripts/zombienet.sh 0002-one-validator-down   one test (file name without .zndsl)
# Each test's network (logs, base paths) is left under $QSIGN_ZOMBIENET_DIR (default: a fresh
# directory under /tmp) when it fails.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ZOMBIENET="$ROOT/node_modules/.bin/zombienet"
[ -x "$ZOMBIENET" ] || { log "zombienet CLI missing under node_modules (run scripts/setup.sh)"; exit 1; }
[ -x "$NODE_BIN" ] || { log "no node binary at $NODE_BIN (build first: scripts/test.sh)"; exit 1; }

tests=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    [[ "$name" =~ ^[0-9a-z-]+$ ]] && [ -f "$ROOT/zombienet/$name.zndsl" ] ||
      { echo "usage: $0 [test name without .zndsl] ...; tests: $(cd "$ROOT/zombienet" && ls ./*.zndsl)" >&2; exit 2; }
    tests+=("$ROOT/zombienet/$name.zndsl")
  done
else
  tests=("$ROOT"/zombienet/*.zndsl)
fi

dir="${QSIGN_ZOMBIENET_DIR:-$(mktemp -d /tmp/qsign-zombienet.XXXXXX)}"
mkdir -p "$dir"
failed=()
for test in "${tests[@]}"; do
  name="$(basename "$test" .zndsl)"
  log "zombienet test $name"
  # Zombienet resolves relative paths in the network files from the working directory.
  if (cd "$ROOT" && PATH="$(dirname "$NODE_BIN"):$PATH" \
      "$ZOMBIENET" --provider native --logType text --force --dir "$dir/$name" test "$test"); then
    log "zombienet test $name passed"
  else
    log "zombienet test $name FAILED (network files and logs kept in $dir/$name)"
    failed+=("$name")
  fi
  # Zombienet tears its nodes down itself; make sure none outlives its test.
  pkill -KILL -f -- "--chain $dir/$name/" 2>/dev/null || true
  [[ " ${failed[*]} " == *" $name "* ]] || rm -rf "${dir:?}/$name"
done
if [ ${#failed[@]} -gt 0 ]; then
  log "zombienet tests failed: ${failed[*]}"
  exit 1
fi
rmdir "$dir" 2>/dev/null || true
log "all ${#tests[@]} zombienet tests passed"
