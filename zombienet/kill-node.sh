#!/usr/bin/env bash
# Kills (SIGKILL) the node this `run` line names: zombienet's native provider runs the script in
# the node's directory, and only that node's command line has `--chain <that dir>/cfg/`.
set -euo pipefail
pattern="--chain $PWD/cfg/"
pgrep -f -- "$pattern" >/dev/null || { echo "no node process with '$pattern'" >&2; exit 1; }
pkill -KILL -f -- "$pattern"
echo "killed the node in $PWD"
