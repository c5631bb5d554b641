#!/usr/bin/env bash
# Bring the interop world up (see tw.sh for what it contains and its knobs:
# TW_STATE, TW_NS, TW_NET, TW_KEYTYPE=rsa, TW_VETH=1).  A world left over from
# an interrupted run is torn down first.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/tw.sh" up "$@"
