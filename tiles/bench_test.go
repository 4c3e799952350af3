package tiles_test

import (
	"context"
	"testing"

	"civmap/data/embedded"
	"civmap/data/sample"
	"civmap/tiles"
)

// BenchmarkTiles measures tiles/s over tiles.BenchmarkTileSet (z8–z14 over Xiangshan, all layers): the embedded
// store uncached and cached, and the ceiling (fixed bytes through the same router). Cached/ceiling is the cache's
// efficiency; the target is at least 0.7.
func BenchmarkTiles(b *testing.B) {
	st, err := embedded.Open(b.TempDir(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := sample.Load(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	paths := tiles.BenchPaths(tiles.AllLayers())

	b.Run("embedded/uncached", func(b *testing.B) {
		svc, err := tiles.NewService(st, tiles.Options{CacheMB: -1})
		if err != nil {
			b.Fatal(err)
		}
		tiles.BenchServe(b, tiles.NewBenchRouter(svc), paths)
	})
	b.Run("embedded/cached", func(b *testing.B) {
		svc, err := tiles.NewService(st, tiles.Options{})
		if err != nil {
			b.Fatal(err)
		}
		h := tiles.NewBenchRouter(svc)
		tiles.WarmCache(b, h, paths)
		tiles.BenchServe(b, h, paths)
	})
	b.Run("ceiling", func(b *testing.B) {
		svc, err := tiles.NewService(st, tiles.Options{CacheMB: -1})
		if err != nil {
			b.Fatal(err)
		}
		body, err := tiles.RepresentativeTile(context.Background(), svc)
		if err != nil {
			b.Fatal(err)
		}
		tiles.BenchServe(b, tiles.CeilingHandler(body), paths)
	})
}
