package embedded

import (
	"os"
	"strconv"
	"testing"

	"civmap/data/storetest"
)

// BenchmarkOGC: a full paged read of 1,000,000 places through /ogc (items/s) and k-nearest p99 (storetest.BenchOGC).
//
//	go test ./data/embedded/ -run '^$' -bench OGC -benchtime 1x   (Nearest: -benchtime 2000x)
func BenchmarkOGC(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchOGC(b, s, syntheticPlaces(benchPlaces(), 3))
}

// benchPlaces is 1,000,000, or $CIVMAP_BENCH_PLACES for a quicker run.
func benchPlaces() int {
	if n, err := strconv.Atoi(os.Getenv("CIVMAP_BENCH_PLACES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}
