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
	tiles.BenchStore(b, "embedded", st)
}
