#!/usr/bin/env bash
# Usage: scripts/ensure-cbc.sh
#
# Makes sure COIN-OR CBC (Debian coinor-cbc: the cbc binary) is installed, for the exact MCLP/LSCP solvers of
# facilities/coverage and their tests (which fail when cbc is missing), and prints its version.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v cbc >/dev/null; then
  bash "$here/apt-install.sh" coinor-cbc
fi
command -v cbc >/dev/null || { echo "ensure-cbc: cbc still missing after install" >&2; exit 1; }
cbc -quit 2>/dev/null | grep -m1 -i '^Version' || true
