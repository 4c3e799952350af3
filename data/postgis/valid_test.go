package postgis_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb/maptile"

	"civmap/data/sample"
	"civmap/tiles"
	"civmap/tiles/tiletest"
)

// TestTilesValidMVT renders every tile over the sample county at z6–z14 with ST_AsMVT, all layers, and holds each to
// MVT 2.1 (tiletest.Validate): ring rules and winding, OGC-valid polygons, unique feature ids — the same check the
// embedded store's tiles pass.
func TestTilesValidMVT(t *testing.T) {
	pg, _, b := sampleStores(t)
	ctx := context.Background()
	var ts []maptile.Tile
	for _, d := range b.Divisions {
		if d.Code == sample.CountyCode && d.Geometry != nil {
			ts = tiles.TileCover(d.Geometry.Bound(), 6, 14)
		}
	}
	if len(ts) == 0 {
		t.Fatal("no county outline in the sample")
	}
	full := tiletest.CheckTiles(t, ts, func(tl maptile.Tile) ([]byte, error) { return pg.MVT(ctx, tl, tiles.Layers, int(tl.Z)) })
	if full < len(ts)/4 {
		t.Errorf("only %d of %d tiles had features", full, len(ts))
	}
}
