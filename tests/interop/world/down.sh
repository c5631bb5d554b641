#!/usr/bin/env bash
# Tear the interop world down (see tw.sh).  $TW_STATE (logs, delivered mail,
# certificates) is kept for inspection; the next `up` replaces it.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/tw.sh" down "$@"
