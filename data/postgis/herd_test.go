package postgis_test

import (
	"context"
	"testing"

	"civmap/data/postgis"
	"civmap/data/sample"
	"civmap/tiles"
)

func samplePostGIS(tb testing.TB) *postgis.Store {
	tb.Helper()
	st, _ := openFresh(tb, postgis.Options{})
	if _, err := sample.Load(context.Background(), st); err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestHerdPostGIS: 150 concurrent requests for one uncached tile of the sample cost one ST_AsMVT statement (MVT calls
// counted by a wrapper around the store) and all answer 200 with the bytes that statement makes; before coalescing,
// each request ran its own and the pool's queue pushed some past the render timeout (503).
func TestHerdPostGIS(t *testing.T) {
	st := samplePostGIS(t)
	res, err := tiles.Herd(st, tiles.Options{}, tiles.HerdTile, tiles.Layers, 150)
	if err != nil {
		t.Fatal(err)
	}
	if res.Renders != 1 || !res.AllOK() || res.Stats.Renders != 1 {
		t.Fatalf("%v", res)
	}
	want, err := st.MVT(context.Background(), tiles.HerdTile, tiles.Layers, int(tiles.HerdTile.Z))
	if err != nil || string(want) != string(res.Bodies[0]) {
		t.Errorf("the herd got %d bytes, ST_AsMVT makes %d (%v)", len(res.Bodies[0]), len(want), err)
	}
}

// BenchmarkHerd: 200 concurrent requests for one uncached tile (tiles.HerdTile, all layers) on PostGIS holding the
// sample; renders/herd (ST_AsMVT statements per herd) must be 1 and all-200 1.
func BenchmarkHerd(b *testing.B) {
	tiles.BenchHerd(b, samplePostGIS(b), 200)
}
