package postgis_test

import (
	"os"
	"strconv"
	"testing"

	"civmap/data/postgis"
	"civmap/data/storetest"
)

// BenchmarkOGC: a full paged read of 1,000,000 places through /ogc (items/s) and k-nearest p99 (storetest.BenchOGC).
//
//	scripts/with-postgis.sh go test ./data/postgis/ -run '^$' -bench OGC -benchtime 1x
func BenchmarkOGC(b *testing.B) {
	s, _ := openFresh(b, postgis.Options{})
	storetest.BenchOGC(b, s, syntheticPlaces(loadXiangshan(b), benchPlaces(), 3))
}

// benchPlaces is 1,000,000, or $CIVMAP_BENCH_PLACES for a quicker run.
func benchPlaces() int {
	if n, err := strconv.Atoi(os.Getenv("CIVMAP_BENCH_PLACES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// The two-statement k-nearest (NearestFacilities) answers as the generic search over Items
// (storetest.NearestMatchesScan).
func TestNearestFacilitiesMatchesScan(t *testing.T) {
	s, _ := openFresh(t, postgis.Options{})
	storetest.NearestMatchesScan(t, s)
}
