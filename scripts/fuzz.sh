#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [FUZZTIME]   (make fuzz; default 1m per target, e.g. FUZZTIME=10m for a release run)
#
# Runs every fuzz target of the module (each `func FuzzX(f *testing.F)` in a _test.go file) for FUZZTIME, one after
# another, and prints each target's executions and any failure. A failing input is written by Go under the package's
# testdata/fuzz/FuzzX/, where every `go test` (make test) replays it from then on: commit it with the fix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${1:-${FUZZTIME:-1m}}
status=0
summary=()
while IFS=: read -r file name; do
  pkg=./$(dirname "$file")
  echo "== $name ($pkg, $fuzztime)"
  log=$(mktemp)
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tee "$log" | tail -3; then
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    summary+=("$name $pkg: ${execs:-?} execs, ok")
  else
    summary+=("$name $pkg: FAILED (input in $pkg/testdata/fuzz/$name/)")
    status=1
  fi
  rm -f "$log"
done < <(grep -rHo --include='*_test.go' -E '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' . |
  sed -E 's/^\.\/([^:]+):func (Fuzz[A-Za-z0-9_]+).*/\1:\2/' | sort -u)
printf '%s\n' "${summary[@]}"
exit $status
