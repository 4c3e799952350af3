package tiles

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"civmap/data/sample"
	"civmap/gazetteer"
)

// TestShapeMatchesTileGeometry: for the county and every township of the sample, in every tile over the county at
// z6–z14 (and one zoom above ShapeMaxZoom), the prepared shape gives the polygons TileGeometry gives: both empty or
// both not, valid, with the same area to within what the two repairs of snapping may move (a few unit² along the
// edges: half a unit times their length), and the same points inside away from the edges. Most tiles need no repair and must come out identical.
func TestShapeMatchesTileGeometry(t *testing.T) {
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 14))
	compared, identical, worst := 0, 0, 0.0
	for _, d := range b.Divisions {
		if d.Geometry == nil || (d.Level != gazetteer.LevelCounty && d.Level != gazetteer.LevelTownship) {
			continue
		}
		s := NewShape(d.Geometry)
		if s == nil {
			t.Fatalf("%s: %T not prepared", d.Code, d.Geometry)
		}
		ts := TileCover(d.Geometry.Bound(), 6, 14)
		ts = append(ts, TileCover(d.Geometry.Bound(), ShapeMaxZoom+1, ShapeMaxZoom+1)[:50]...)
		for _, tl := range ts {
			want, got := TileGeometry(tl, d.Geometry), s.Tile(tl)
			if (want == nil) != (got == nil) {
				t.Fatalf("%s %v: shape %v, TileGeometry %v", d.Code, tl, got, want)
			}
			if want == nil {
				continue
			}
			compared++
			wm, gm := asMulti(t, want), asMulti(t, got)
			if orb.Equal(wm, gm) {
				identical++
				continue
			}
			if !simplyValid(unorb(gm)) && toSF(unorb(gm)).Validate() != nil {
				t.Fatalf("%s %v: shape's polygons invalid: %v", d.Code, tl, gm)
			}
			diff := math.Abs(multiArea(wm) - multiArea(gm))
			worst = max(worst, diff)
			// A crossing that a repair adds lies on an edge and moves up to half a unit when snapped.
			if tol := 0.5*edgeLength(wm) + 8; diff > tol {
				t.Fatalf("%s %v: area %.1f, TileGeometry %.1f", d.Code, tl, multiArea(gm), multiArea(wm))
			}
			for range 200 {
				pt := orb.Point{clipBox.Min[0] + rng.Float64()*(clipBox.Max[0]-clipBox.Min[0]),
					clipBox.Min[1] + rng.Float64()*(clipBox.Max[1]-clipBox.Min[1])}
				if nearEdge(gm, pt, 1.5) || nearEdge(wm, pt, 1.5) {
					continue
				}
				if inMulti(gm, pt) != inMulti(wm, pt) {
					t.Fatalf("%s %v: %v inside the shape's %v, TileGeometry's %v", d.Code, tl, pt, inMulti(gm, pt),
						inMulti(wm, pt))
				}
			}
		}
	}
	t.Logf("%d tiles compared, %d identical, largest area difference %.1f unit²", compared, identical, worst)
	if compared < 1000 || identical < compared*19/20 {
		t.Errorf("%d tiles compared, only %d identical", compared, identical)
	}
}

func edgeLength(mp orb.MultiPolygon) float64 {
	var l float64
	for _, p := range mp {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				l += math.Hypot(r[i+1][0]-r[i][0], r[i+1][1]-r[i][1])
			}
		}
	}
	return l
}

func unorb(mp orb.MultiPolygon) [][][]orb.Point {
	out := make([][][]orb.Point, len(mp))
	for i, p := range mp {
		for _, r := range p {
			out[i] = append(out[i], r)
		}
	}
	return out
}
