package embedded

import (
	"context"
	"testing"

	"civmap/data/storetest"
	"civmap/internal/edit"
	"civmap/tiles"
)

// BenchmarkDenseTiles renders, uncached and without the byte cap, the z8–z11 tiles over tiles.BenchBound with every
// layer from the embedded store holding storetest.DenseBatch (100,000 places): the zooms where the label grid ranks
// every place of the tile's region and most of the time goes to reading the records it keeps. It is the embedded half
// of data/postgis's BenchmarkDenseTiles, runnable (and profilable) without a database:
//
//	go test -run '^$' -bench DenseTiles -cpuprofile cpu.out ./data/embedded/
func BenchmarkDenseTiles(b *testing.B) {
	ctx := context.Background()
	st, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Import(ctx, *storetest.DenseBatch(b, 100000, 1), edit.Meta{Actor: "test", Action: "import"}); err != nil {
		b.Fatal(err)
	}
	svc, err := tiles.NewService(st, tiles.Options{CacheMB: -1, MaxTileBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	ts := tiles.TileCover(tiles.BenchBound, 8, 11)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Render(ctx, ts[i%len(ts)], tiles.Layers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tile")
}
