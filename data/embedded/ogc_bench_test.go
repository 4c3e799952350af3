package embedded

import (
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
	storetest.BenchOGC(b, s, syntheticPlaces(1_000_000, 3))
}
