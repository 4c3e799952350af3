# civmap: build, run and test. `make test` is the one test command (CI runs it via .ci/run).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./var

# Throwaway PostGIS cluster around a command; see scripts/with-postgis.sh.
WITH_POSTGIS := bash scripts/with-postgis.sh
WITH_REPLICA := bash scripts/with-replica.sh

# `civmap version` prints these: the nearest tag (or the commit) with -dirty for local changes, and the commit.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build web run test test-browser bench bench-tiles bench-herd bench-edits bench-load bench-coverage bench-search bench-scale bench-ogc fuzz vet fmt clean

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

# CIVMAP_REQUIRE_POSTGIS=1 makes the Go tests fail, not skip, when the database is missing; scripts/with-replica.sh adds a
# streaming replica of the throwaway primary (CIVMAP_TEST_REPLICA_URL) and CIVMAP_REQUIRE_REPLICA=1 fails its tests without it.
# Then the browser tests: scripts/browser-test.sh builds the client and civmap, starts a throwaway server and drives
# Debian chromium through web/test/map.test.mjs (screenshots in web/test-results/).
# GDAL (Debian gdal-bin, installed by scripts/ensure-gdal.sh) is the real client of cmd/civmap/gdal_test.go, which fails
# when ogrinfo is missing.
test:
	bash scripts/ensure-gdal.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-cbc.sh
	CIVMAP_REQUIRE_POSTGIS=1 CIVMAP_REQUIRE_REPLICA=1 $(WITH_REPLICA) go test -race -count=1 -timeout 75m ./...
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
	$(WITH_POSTGIS) bash scripts/bench-load.sh
	$(WITH_POSTGIS) bash scripts/bench-tiles.sh

# Tile serving over HTTP (internal/tools/tilebench): civmap cached and uncached on each store, its ST_AsMVT statement
# bare through pgx, and a fixed-bytes server of the same answers, at c=1, 8 and 64, 3 interleaved rounds; prints
# tiles/s, p50/p99, server CPU per tile and the ratios of issue 14. TILEBENCH="-pprof DIR" adds profiles.
bench-tiles:
	$(WITH_POSTGIS) bash scripts/bench-tiles.sh $(TILEBENCH)

# Mixed load (internal/tools/load): 200 connections × 60 s of tiles, feature queries, locate, search, records and 5 %
# edits against civmap serve on each store (PostGIS with --max-conns 20); fails on any error (also in bench).
bench-load:
	$(WITH_POSTGIS) bash scripts/bench-load.sh

# Province scale run (internal/tools/scale): 1×, 10×, 100× the county on both stores (SCALE_FACTORS="1 10" for a quick
# one); prints the README's scale table. Not in test or bench: 100× (5.5 M places) takes about half an hour a store here.
bench-scale:
	$(WITH_POSTGIS) bash scripts/bench-scale.sh

# Every fuzz target for FUZZTIME each (default 1m; FUZZTIME=10m for a release run). make test replays their corpora.
FUZZTIME ?= 1m
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

# 200 concurrent requests for one uncached tile on each store: renders/herd must be 1 and all-200 1 (also in bench).
bench-herd:
	$(WITH_POSTGIS) go test -run '^$$' -bench Herd -benchtime 20x ./tiles/ ./data/postgis/

# Place edits per second on each store with history and audit, a no-op audit and the bare write (a few seconds).
bench-edits:
	$(WITH_POSTGIS) go test -run '^$$' -bench EditPlace -benchtime 2s ./data/embedded/ ./data/postgis/

# Name search over 1,000,000 generated names: p50/p99 per query class (wall and thread CPU), heap bytes per name. The
# index is the same whichever store feeds it, so it needs no store (CIVMAP_SEARCH_BENCH_N=100000 for a quicker run).
bench-search:
	go test -run '^$$' -bench Search -benchtime 2000x -timeout 40m ./gazetteer/names/search/

# Coverage engine: 100,000 demand units × 10,000 facilities × 5 indicators in Go (ns/op and cpu-ms/op) and the same as
# one PostGIS ST_DWithin query timed beside the Go engine in each op (sql-ms/op, go-ms/op, sql/go-x; equal covered
# elderly); MCLP greedy p = 30 of 5,000 candidates over 100,000 units; exact MCLP through CBC on 500 candidates.
bench-coverage:
	bash scripts/ensure-cbc.sh
	go test -run '^$$' -bench 'Coverage$$|MCLP' -benchtime 3x ./facilities/coverage/
	$(WITH_POSTGIS) go test -run '^$$' -bench CoverageSQL -benchtime 1x -timeout 30m ./data/postgis/

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
