package storetest

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/tiles"
)

// testPlaceLabels: every area place of the sample (46 polygons: schools, hospitals, 象山文峰学校, 象山县青草巷特色街区)
// has exactly one label point (label_point = true, id tiles.PlaceLabelID) among the tiles covering it at z14, z16 and
// z17 — the dense views where a polygon crosses tile seams — counting a point once, in the tile whose own square holds
// it (a tile's buffer repeats its neighbours' edges), and that point is tiles.LabelPoint of the polygon, inside it.
// Point places have none.
func testPlaceLabels(t *testing.T, h *harness) {
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	h.load(*b)
	areas := map[string]gazetteer.Place{}
	for _, p := range b.Places {
		if _, ok := p.Geometry.(orb.Polygon); ok {
			areas[p.ID] = p
		}
	}
	if len(areas) != 46 {
		t.Fatalf("sample: %d polygon places, want 46", len(areas))
	}
	for _, z := range []int{14, 16, 17} {
		labels := map[string][]orb.Point{}
		seams := 0
		for id, p := range areas {
			cover := tiles.TileCover(p.Geometry.Bound(), z, z)
			if len(cover) > 1 {
				seams++
			}
			for _, tl := range cover {
				for _, l := range tileLayers(t, h.s, tl) {
					if l.Name != "places" {
						continue
					}
					for _, f := range l.Features {
						if f.Properties["id"] != id || f.Properties["label_point"] != true {
							continue
						}
						pt, ok := f.Geometry.(orb.Point)
						if !ok {
							t.Errorf("z%d %s: label is a %s", z, id, f.Geometry.GeoJSONType())
							continue
						}
						if pt[0] < 0 || pt[0] >= tiles.Extent || pt[1] < 0 || pt[1] >= tiles.Extent {
							continue // in this tile's buffer: its own tile draws it
						}
						if uint64(f.ID.(float64)) < tiles.PlaceLabelBit {
							t.Errorf("z%d %s: label id %v without the label bit", z, id, f.ID)
						}
						one := mvt.Layer{Name: l.Name, Extent: l.Extent, Features: []*geojson.Feature{geojson.NewFeature(pt)}}
						one.ProjectToWGS84(tl)
						labels[id] = append(labels[id], one.Features[0].Geometry.(orb.Point))
					}
				}
			}
		}
		if seams == 0 {
			t.Errorf("z%d: no area place crosses a tile seam; the test proves nothing", z)
		}
		for id, p := range areas {
			got := labels[id]
			if len(got) != 1 {
				t.Errorf("z%d %s %s: %d labels, want 1", z, id, p.Name, len(got))
				continue
			}
			want, _ := tiles.LabelPoint(p.Geometry)
			// One tile unit at z14 is 2.4 m, about 2.2e-5° of longitude.
			unit := 360.0 / float64(uint64(tiles.Extent)<<z)
			if d := planar.Distance(got[0], want); d > 2*unit {
				t.Errorf("z%d %s: label at %v, tiles.LabelPoint %v (%.2g° off)", z, p.Name, got[0], want, d)
			}
			if !planar.PolygonContains(p.Geometry.(orb.Polygon), want) {
				t.Errorf("%s: label point %v outside the polygon", p.Name, want)
			}
		}
	}
}
