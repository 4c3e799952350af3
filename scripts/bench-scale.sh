#!/usr/bin/env bash
# Usage: scripts/with-postgis.sh scripts/bench-scale.sh   (make bench-scale; SCALE_FACTORS="1 10 100" by default)
#
# The province scale run: for each factor F, internal/tools/scale imports F copies of the Xiangshan county with
# SCALE_PLACES synthetic places each (default 55,000: F = 100 ≈ Zhejiang's 5 M places) into a fresh embedded store and
# a fresh PostGIS database on the throwaway cluster, serves each with civmap serve and prints a Markdown table row
# (import time, size, start-up, RSS, latencies). Not part of make test: 100× takes about half an hour a store on 2 cores (10 GB each).
set -euo pipefail
: "${CIVMAP_TEST_DATABASE_URL:?run under scripts/with-postgis.sh}"
factors=${SCALE_FACTORS:-1 10 100}
places=${SCALE_PLACES:-55000}
n=${SCALE_REQUESTS:-200}
tmp=$(mktemp -d /tmp/civmap-scale.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/civmap" ./cmd/civmap
go build -o "$tmp/scale" ./internal/tools/scale
echo "| store | counties | divisions | places | facilities | import | size | start-up | RSS / HWM | tile z14 p50 / p99 ms | search p50 / p99 ms | locate p50 / p99 ms | bbox p50 / p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for f in $factors; do
  "$tmp/scale" -factor "$f" -places "$places" -n "$n" -civmap "$tmp/civmap" -data-dir "$tmp/embedded-$f"
  rm -rf "$tmp/embedded-$f"
  db=civmap_scale_$f
  psql -X -q -v ON_ERROR_STOP=1 "$CIVMAP_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
  url=$(sed -E "s#/[^/?]+(\?|$)#/$db\1#" <<<"$CIVMAP_TEST_DATABASE_URL")
  "$tmp/scale" -factor "$f" -places "$places" -n "$n" -civmap "$tmp/civmap" -database-url "$url"
  psql -X -q "$CIVMAP_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
done
