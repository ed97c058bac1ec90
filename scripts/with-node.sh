#!/usr/bin/env bash
# Runs a command with Node 22+ first on PATH (see node-env.sh), so `npm start` and `npm test`
# work the same on a machine whose own node is too old.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
exec "$@"
