#!/usr/bin/env bash
# Usage: scripts/ensure-gdal.sh
#
# Makes sure GDAL's command-line tools (Debian gdal-bin: ogrinfo, ogr2ogr) are installed, for the test that reads
# civmap's tiles with GDAL's MVT driver, and prints GDAL's version.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! command -v ogrinfo >/dev/null || ! command -v ogr2ogr >/dev/null; then
  bash "$here/apt-install.sh" gdal-bin
fi
command -v ogrinfo >/dev/null || { echo "ensure-gdal: ogrinfo still missing after install" >&2; exit 1; }
ogrinfo --version
