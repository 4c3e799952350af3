#!/usr/bin/env bash
# Usage: scripts/bench-tiles.sh [TILEBENCH FLAGS...]   (make bench-tiles; run under scripts/with-postgis.sh)
#
# Tile serving over HTTP side by side in one run (internal/tools/tilebench): civmap serve on the embedded store and on
# PostGIS, tile cache off and on; civmap's own ST_AsMVT statement run bare through pgx; and a fixed-bytes server of
# the same answers. Prints tiles/s, p50/p99 and the server's CPU per tile for c=1, 8 and 64, then the ratios of issue
# 14. PostGIS is a fresh database on the cluster of CIVMAP_TEST_DATABASE_URL (without it, the embedded store only).
# Extra flags go to tilebench, e.g. -pprof DIR for CPU and allocation profiles, -rounds 5, -layers places.
# PG_TILESERV=BINARY adds CrunchyData's pg_tileserv on the same database (build it from a clone of
# https://github.com/CrunchyData/pg_tileserv with `go build`: the Go module proxy does not serve it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/civmap" ./cmd/civmap
go build -o "$tmp/tilebench" ./internal/tools/tilebench
db=()
if [[ -n ${CIVMAP_TEST_DATABASE_URL:-} ]]; then
  psql "$CIVMAP_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS civmap_tilebench" -c \
    "CREATE DATABASE civmap_tilebench TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
  db=(-database-url "${CIVMAP_TEST_DATABASE_URL%/*}/civmap_tilebench?sslmode=disable")
else
  echo "tilebench: PostGIS skipped (run under scripts/with-postgis.sh, as make bench-tiles does)" >&2
  db=(-database-url "")
fi
ts=()
if [[ -n ${PG_TILESERV:-} ]]; then
  ts=(-pg-tileserv "$PG_TILESERV")
fi
"$tmp/tilebench" -civmap "$tmp/civmap" "${db[@]}" "${ts[@]}" "$@"
