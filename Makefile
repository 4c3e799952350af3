# civmap: build, run and test. `make test` is the one test command (CI runs it via .ci/run).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./var

# Throwaway PostGIS cluster around a command; see scripts/with-postgis.sh.
WITH_POSTGIS := bash scripts/with-postgis.sh

.PHONY: all build run test bench vet fmt clean

all: build

build:
	if [[ -f web/package.json ]]; then cd web && npm ci && npm run build; fi
	go build -o bin/civmap ./cmd/civmap

run: build
	./bin/civmap serve --addr $(ADDR) --data-dir $(DATA_DIR)

# CIVMAP_REQUIRE_POSTGIS=1 makes the Go tests fail, not skip, when the database is missing.
# Browser tests (web/, once it has a package.json) get Debian chromium via CHROMIUM_PATH.
test:
	CIVMAP_REQUIRE_POSTGIS=1 $(WITH_POSTGIS) go test -race -count=1 ./...
	if [[ -f web/package.json ]]; then cd web && npm ci && bash ../scripts/ensure-chromium.sh npm test; fi

bench:
	$(WITH_POSTGIS) go test -run '^$$' -bench . -benchmem ./...

vet:
	go vet ./...

fmt:
	go fmt ./...

clean:
	rm -rf bin var
