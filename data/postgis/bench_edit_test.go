package postgis

import (
	"context"
	"testing"

	"civmap/data/postgis/pgtest"
	"civmap/data/storetest"
)

// BenchmarkEditPlace is storetest.BenchEditPlace on PostGIS; s.bench is the mode. The throwaway cluster of
// scripts/with-postgis.sh runs with fsync=off and synchronous_commit=off, so commits are cheaper than in production
// and the ratio is a worst case.
//
//	bash scripts/with-postgis.sh go test -run '^$' -bench EditPlace -benchtime 2s ./data/postgis/
func BenchmarkEditPlace(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchEditPlace(b, s, func(m storetest.EditMode) {
		s.bench = [...]benchMode{storetest.EditFull: benchFull, storetest.EditNoAudit: benchNoAudit,
			storetest.EditBare: benchBare}[m]
	})
}
