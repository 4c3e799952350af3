#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh [CMD...]
#
# Makes sure Debian's chromium is installed (/usr/bin/chromium), and poppler-utils'
# pdftotext (the inspection report's PDF test reads the text Chromium printed),
# prints chromium's version, and, when given a command, runs it with CHROMIUM_PATH exported.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chromium=/usr/bin/chromium

missing=()
[[ -x $chromium ]] || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
if [[ ${#missing[@]} -gt 0 ]]; then
  bash "$here/apt-install.sh" "${missing[@]}"
fi
if [[ ! -x $chromium ]]; then
  echo "ensure-chromium: $chromium still missing after install" >&2
  exit 1
fi
"$chromium" --version

# pdftotext (poppler-utils) reads the map's print PDF back in web/test/map-planner.test.mjs.
if ! command -v pdftotext >/dev/null; then
  bash "$here/apt-install.sh" poppler-utils
fi

if [[ $# -gt 0 ]]; then
  export CHROMIUM_PATH=$chromium
  exec "$@"
fi
