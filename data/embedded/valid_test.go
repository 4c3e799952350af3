package embedded

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/sample"
	"civmap/tiles"
	"civmap/tiles/tiletest"
)

// countyBound is the lon/lat bound of the sample county's outline.
func countyBound(t *testing.T, b *data.Batch) orb.Bound {
	t.Helper()
	for _, d := range b.Divisions {
		if d.Code == sample.CountyCode && d.Geometry != nil {
			return d.Geometry.Bound()
		}
	}
	t.Fatal("no county outline in the sample")
	return orb.Bound{}
}

// TestTilesValidMVT renders every tile over the sample county at z6–z14, all layers active at the zoom, and holds
// each to MVT 2.1 (tiletest.Validate): ring rules and winding, OGC-valid polygons, unique feature ids.
func TestTilesValidMVT(t *testing.T) {
	st, b, _, _ := sampleTiles(t)
	ctx := context.Background()
	ts := tiles.TileCover(countyBound(t, b), 6, 14)
	full := tiletest.CheckTiles(t, ts, func(tl maptile.Tile) ([]byte, error) {
		return tiles.Encode(ctx, st, tl, tiles.ActiveLayers(tiles.Layers, int(tl.Z)))
	})
	if full < len(ts)/4 {
		t.Errorf("only %d of %d tiles had features", full, len(ts))
	}
}

// TestTilesTownshipsZ8: issue 13 found 丹西街道's and 大徐镇's rings properly self-crossing in divisions 8/214/106, with a
// zero-width spike in 大徐镇. Both must be there, and valid.
func TestTilesTownshipsZ8(t *testing.T) {
	st, _, _, _ := sampleTiles(t)
	tl := maptile.New(214, 106, 8)
	div, _ := tiles.LayerByName("divisions")
	raw, err := tiles.Encode(context.Background(), st, tl, []tiles.Layer{div})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := tiletest.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"丹西街道", "大徐镇"} {
		found := false
		for i, f := range ls[0].Features {
			if f.Properties["name"] != name || f.Properties["label_point"] != false {
				continue
			}
			found = true
			if _, ok := f.Geometry.(orb.Polygon); !ok {
				if _, ok := f.Geometry.(orb.MultiPolygon); !ok {
					t.Errorf("%s: %T", name, f.Geometry)
				}
			}
			for _, p := range problems {
				if p.Feature == i {
					t.Errorf("%s: %v", name, p)
				}
			}
		}
		if !found {
			t.Errorf("%s not in divisions 8/214/106", name)
		}
	}
}
