package postgis_test

import (
	"testing"

	"civmap/data/postgis"
	"civmap/data/storetest"
)

// BenchmarkOGC: a full paged read of 1,000,000 places through /ogc (items/s) and k-nearest p99 (storetest.BenchOGC).
//
//	scripts/with-postgis.sh go test ./data/postgis/ -run '^$' -bench OGC -benchtime 1x
func BenchmarkOGC(b *testing.B) {
	s, _ := openFresh(b, postgis.Options{})
	storetest.BenchOGC(b, s, syntheticPlaces(loadXiangshan(b), 1_000_000, 3))
}
