#!/usr/bin/env bash
# Resident memory and start-up time of `civmap serve` on the embedded store holding N generated places (default 1,000,000).
# Usage: scripts/bench-serve.sh [N]   Prints the import time, the time from start to /readyz, and VmRSS/VmHWM once ready.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000000}
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/civmap" ./cmd/civmap
go run ./internal/tools/genplaces -n "$n" > "$tmp/places.geojson"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port

wait_ready() { # prints seconds until /readyz answers 200
  local t0=$1
  until curl -sf "http://$addr/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "civmap serve died" >&2; exit 1; }
    sleep 0.05
  done
  echo "$(date +%s.%N) - $t0" | bc
}

# First start loads the sample (the places refer to division 330225).
"$tmp/civmap" serve --addr "$addr" --data-dir "$tmp/var" 2>"$tmp/serve1.log" & pid=$!
wait_ready "$(date +%s.%N)" >/dev/null
kill -TERM "$pid"; wait "$pid" || true; pid=

t0=$(date +%s.%N)
"$tmp/civmap" import --data-dir "$tmp/var" --kind places "$tmp/places.geojson" >/dev/null
echo "import of $n places: $(echo "$(date +%s.%N) - $t0" | bc) s"

t0=$(date +%s.%N)
"$tmp/civmap" serve --addr "$addr" --data-dir "$tmp/var" 2>"$tmp/serve2.log" & pid=$!
ready=$(wait_ready "$t0")
echo "start-up to /readyz with $n places: $ready s"
curl -sf "http://$addr/api/places?q=%E6%B5%8B%E8%AF%95999&limit=1" >/dev/null
grep -E 'VmRSS|VmHWM' "/proc/$pid/status"
echo "store file: $(du -h "$tmp/var/civmap.db" | cut -f1)"
