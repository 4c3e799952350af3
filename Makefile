# civmap: build, run and test. `make test` is the one test command (CI runs it via .ci/run).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./var

# Throwaway PostGIS cluster around a command; see scripts/with-postgis.sh.
WITH_POSTGIS := bash scripts/with-postgis.sh

# `civmap version` prints these: the nearest tag (or the commit) with -dirty for local changes, and the commit.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build web run test test-browser bench bench-herd bench-edits bench-ogc vet fmt clean

all: build

# The map client (web/) is built first when Node.js is here, so that civmap embeds it; without npm, civmap still builds
# and serves a page at / that says how to build the client.
build: web
	go build -ldflags '$(LDFLAGS)' -o bin/civmap ./cmd/civmap

web:
	@if [[ ! -f web/package.json ]]; then \
	  echo "web: no web/package.json; map client not built"; \
	elif ! command -v npm >/dev/null; then \
	  echo "web: npm not found; map client not built (civmap will serve build instructions at /); install Node.js 20+ and run: make build"; \
	else \
	  cd web; \
	  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then npm ci --no-audit --no-fund; fi; \
	  npm run build; \
	fi

run: build
	./bin/civmap serve --addr $(ADDR) --data-dir $(DATA_DIR)

# CIVMAP_REQUIRE_POSTGIS=1 makes the Go tests fail, not skip, when the database is missing.
# Then the browser tests: scripts/browser-test.sh builds the client and civmap, starts a throwaway server and drives
# Debian chromium through web/test/map.test.mjs (screenshots in web/test-results/).
# GDAL (Debian gdal-bin, installed by scripts/ensure-gdal.sh) is the real client of cmd/civmap/gdal_test.go, which fails
# when ogrinfo is missing.
test:
	bash scripts/ensure-gdal.sh
	CIVMAP_REQUIRE_POSTGIS=1 $(WITH_POSTGIS) go test -race -count=1 ./...
	bash scripts/browser-test.sh

test-browser:
	bash scripts/browser-test.sh

# Every benchmark on both stores (tiles, locate, imports of 1,000,000 places: several minutes), then the resident memory
# and start-up time of `civmap serve` holding a million places (scripts/bench-serve.sh). The ratio of uncached PostGIS
# tiles to the bare ST_AsMVT query needs equal tile sets: see data/postgis/bench_tiles_test.go (-benchtime 2044x).
# BenchmarkEditPlace (both stores, in the first line) reports edits/s with history and audit, and history+audit-x, their
# cost against the bare write in the same run (target ≤ 1.3); `make bench-edits` runs it alone.
bench:
	$(WITH_POSTGIS) go test -run '^$$' -bench . -benchmem -timeout 60m ./...
	$(WITH_POSTGIS) go test -run '^$$' -bench 'Tiles|BareASMVT' -benchtime 2044x ./data/postgis/
	bash scripts/bench-serve.sh

# 200 concurrent requests for one uncached tile on each store: renders/herd must be 1 and all-200 1 (also in bench).
bench-herd:
	$(WITH_POSTGIS) go test -run '^$$' -bench Herd -benchtime 20x ./tiles/ ./data/postgis/

# Place edits per second on each store with history and audit, a no-op audit and the bare write (a few seconds).
bench-edits:
	$(WITH_POSTGIS) go test -run '^$$' -bench EditPlace -benchtime 2s ./data/embedded/ ./data/postgis/

# OGC API – Features on each store: a full paged read of 1,000,000 places through /ogc (items/s; targets 50,000
# embedded, 20,000 PostGIS) and /api/spatial/nearest p50/p99 (targets: p99 < 5 ms embedded, < 20 ms PostGIS).
bench-ogc:
	$(WITH_POSTGIS) go test -run '^$$' -bench OGC -benchtime 1x -timeout 30m ./data/embedded/ ./data/postgis/

vet:
	go vet ./...

fmt:
	go fmt ./...

clean:
	rm -rf bin var
