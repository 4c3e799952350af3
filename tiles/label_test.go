package tiles

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/gazetteer"
)

func TestLabelPoint(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	}
	// A "U": two 1×3 arms and a 3×1 base. Its centroid (1.5, 1.17) lies in the notch between the arms; the poles are
	// in the inner corners of the base, equidistant from the two outer sides and the notch's corner (1, 1):
	// x = √2·(1 − x), x = √2/(1+√2) = 2 − √2 ≈ 0.586 from the boundary.
	u := orb.Polygon{orb.Ring{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	// A 10×10 square with a 6×6 hole in the middle: the ring is 2 wide, and its corners are widest, equidistant from the
	// outer sides and the hole's corner: x = √2·(2 − x), x = 2√2/(1+√2) = 4 − 2√2 ≈ 1.172.
	holed := orb.Polygon{sq(0, 0, 10, 10), sq(2, 2, 8, 8)}
	cases := []struct {
		name string
		g    orb.Geometry
		want *orb.Point // exact pole when unique
		dist float64    // distance of the pole from the boundary
	}{
		{"square: its centre", orb.Polygon{sq(0, 0, 2, 2)}, &orb.Point{1, 1}, 1},
		{"rectangle 4×1: on the midline", orb.Polygon{sq(121, 29, 125, 30)}, nil, 0.5},
		{"U: not the centroid in the notch", u, nil, 2 - math.Sqrt2},
		{"square with a hole: in the ring, not the hole", holed, nil, 4 - 2*math.Sqrt2},
		{"multipolygon: in the largest part", orb.MultiPolygon{{sq(0, 0, 1, 1)}, {sq(10, 10, 14, 14)}}, &orb.Point{12, 12}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ok := LabelPoint(c.g)
			if !ok {
				t.Fatal("no label point")
			}
			var poly orb.Polygon
			switch g := c.g.(type) {
			case orb.Polygon:
				poly = g
			case orb.MultiPolygon:
				poly = g[1]
			}
			if !planar.PolygonContains(poly, p) {
				t.Fatalf("%v outside the polygon", p)
			}
			tol := math.Max(LabelPrecision, math.Min(poly.Bound().Max[0]-poly.Bound().Min[0], poly.Bound().Max[1]-poly.Bound().Min[1])/1000)
			if d := pointToPolygon(p[0], p[1], poly); math.Abs(d-c.dist) > tol {
				t.Errorf("%v is %.6f from the boundary, want %.6f", p, d, c.dist)
			}
			if c.want != nil && planar.Distance(p, *c.want) > 2*tol {
				t.Errorf("%v, want %v", p, *c.want)
			}
		})
	}
	for _, g := range []orb.Geometry{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}, orb.Polygon{}, orb.Polygon{sq(0, 0, 1, 0)}} {
		if p, ok := LabelPoint(g); ok {
			t.Errorf("%T %v: label point %v, want none", g, g, p)
		}
	}
}

// TestPlaceFeatures: an area place gives its polygon and one label point (id with PlaceLabelBit, label_point true);
// a point place gives itself alone.
func TestPlaceFeatures(t *testing.T) {
	area := PlaceFeatures(gazetteerPlace("A", orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}), 7)
	if len(area) != 2 || area[0].ID != 7 || area[1].ID != 7|1<<52 || area[0].Properties["label_point"] != false ||
		area[1].Properties["label_point"] != true || area[1].Properties["name"] != "名A" {
		t.Fatalf("area place: %+v", area)
	}
	if p, ok := area[1].Geometry.(orb.Point); !ok || planar.Distance(p, orb.Point{1, 1}) > LabelPrecision {
		t.Errorf("label at %v, want (1, 1)", area[1].Geometry)
	}
	if pt := PlaceFeatures(gazetteerPlace("B", orb.Point{1, 1}), 8); len(pt) != 1 || pt[0].Properties["label_point"] != false {
		t.Errorf("point place: %+v", pt)
	}
}

func gazetteerPlace(id string, g orb.Geometry) gazetteer.Place {
	return gazetteer.Place{ID: id, Name: "名" + id, Category: "school", Status: gazetteer.StatusCurrent, Geometry: g}
}
