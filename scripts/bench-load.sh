#!/usr/bin/env bash
# Usage: scripts/bench-load.sh [CONNS] [DURATION]   (defaults 200 and 60s; make bench-load)
#
# Mixed load (internal/tools/load) against `civmap serve` on each store in turn: the embedded store in a temporary
# folder, then PostGIS (run it under scripts/with-postgis.sh, which sets CIVMAP_TEST_DATABASE_URL; skipped without it)
# with --max-conns 20, below PostgreSQL's max_connections of 100, so that 200 clients must queue for connections.
# Prints each run's report (requests/s, p50/p99/p99.9, errors and 5xx, the server's VmHWM, the most database
# connections seen) and fails when a run had errors.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
conns=${1:-200}
duration=${2:-60s}
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/civmap" ./cmd/civmap
go build -o "$tmp/load" ./internal/tools/load
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_store() { # NAME STORE-FLAGS...
  local name=$1; shift
  local token port addr
  token=$("$tmp/civmap" token create --name load --role editor "$@" 2>/dev/null | tail -1)
  port=$(free_port); addr=127.0.0.1:$port
  "$tmp/civmap" serve --addr "$addr" "$@" 2>"$tmp/serve-$name.log" & pid=$!
  until curl -sf "http://$addr/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve-$name.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "== $name"
  local db=()
  [[ $name == postgis ]] && db=(-database-url "$db_url" -max-db-conns 20)
  "$tmp/load" -url "http://$addr" -conns "$conns" -duration "$duration" -token "$token" -pid "$pid" "${db[@]}" || status=1
  kill -TERM "$pid"; wait "$pid" || true; pid=
}

status=0
run_store embedded --data-dir "$tmp/var"
if [[ -n ${CIVMAP_TEST_DATABASE_URL:-} ]]; then
  db_url=${CIVMAP_TEST_DATABASE_URL%/*}/civmap_load
  psql "$CIVMAP_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS civmap_load" -c \
    "CREATE DATABASE civmap_load TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
  db_url=${db_url}?sslmode=disable
  run_store postgis --database-url "$db_url" --max-conns 20
else
  echo "== postgis: skipped (run under scripts/with-postgis.sh, as make bench-load does)"
fi
exit $status
