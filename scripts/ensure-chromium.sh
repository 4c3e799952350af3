#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh [CMD...]
#
# Makes sure Debian's chromium is installed (/usr/bin/chromium), prints its
# version, and, when given a command, runs it with CHROMIUM_PATH exported.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chromium=/usr/bin/chromium

if [[ ! -x $chromium ]]; then
  bash "$here/apt-install.sh" chromium
fi
if [[ ! -x $chromium ]]; then
  echo "ensure-chromium: $chromium still missing after install" >&2
  exit 1
fi
"$chromium" --version

if [[ $# -gt 0 ]]; then
  export CHROMIUM_PATH=$chromium
  exec "$@"
fi
