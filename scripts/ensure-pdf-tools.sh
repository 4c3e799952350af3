#!/usr/bin/env bash
# Usage: scripts/ensure-pdf-tools.sh
#
# Makes sure what the gazetteer (地名志) PDF test needs is installed: Debian chromium (prints the book to PDF), a CJK
# font (fonts-noto-cjk, so the PDF holds the Chinese text) and poppler-utils (pdftotext reads it back).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/ensure-chromium.sh"
missing=()
command -v pdftotext >/dev/null || missing+=(poppler-utils)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [[ ${#missing[@]} -gt 0 ]]; then
  bash "$here/apt-install.sh" "${missing[@]}"
fi
command -v pdftotext >/dev/null || { echo "ensure-pdf-tools: pdftotext still missing after install" >&2; exit 1; }
pdftotext -v 2>&1 | head -1
