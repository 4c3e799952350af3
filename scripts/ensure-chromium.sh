#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh [CMD...]
#
# Makes sure Debian's chromium (/usr/bin/chromium), a CJK font (fonts-noto-cjk, so screenshots and printed PDFs hold the
# Chinese text) and poppler-utils' pdftotext (the tests read printed PDFs back) are installed, prints their versions, and,
# when given a command, runs it with CHROMIUM_PATH exported.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chromium=/usr/bin/chromium

missing=()
[[ -x $chromium ]] || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [[ ${#missing[@]} -gt 0 ]]; then
  bash "$here/apt-install.sh" "${missing[@]}"
fi
[[ -x $chromium ]] || { echo "ensure-chromium: $chromium still missing after install" >&2; exit 1; }
command -v pdftotext >/dev/null || { echo "ensure-chromium: pdftotext still missing after install" >&2; exit 1; }
"$chromium" --version 2>/dev/null
# Not `| head -1`: under pipefail, head closing the pipe early kills pdftotext with SIGPIPE (exit 141).
pdftotext -v 2>&1 | sed -n 1p

if [[ $# -gt 0 ]]; then
  export CHROMIUM_PATH=$chromium
  exec "$@"
fi
