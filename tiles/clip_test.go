package tiles

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/tiles/tiletest"
)

// lonLat is the lon/lat of pixel px of tile t.
func lonLat(t maptile.Tile, px orb.Point) orb.Point {
	n := float64(uint64(1) << t.Z)
	return worldLonLat((float64(t.X)+px[0]/Extent)/n, (float64(t.Y)+px[1]/Extent)/n)
}

// pixelPolygon builds a lon/lat polygon from rings given in pixels of t (closed or not).
func pixelPolygon(t maptile.Tile, rings ...[]orb.Point) orb.Polygon {
	var p orb.Polygon
	for _, r := range rings {
		var lr orb.Ring
		for _, q := range r {
			lr = append(lr, lonLat(t, q))
		}
		if lr[0] != lr[len(lr)-1] {
			lr = append(lr, lr[0])
		}
		p = append(p, lr)
	}
	return p
}

// mustValid encodes g as the one feature of a tile and holds the tile to tiletest.Validate.
func mustValid(t *testing.T, tl maptile.Tile, g orb.Geometry) {
	t.Helper()
	b, err := Encode(context.Background(), &memSource{layers: map[string][]Feature{
		"divisions": {{ID: 1, Geometry: g, Properties: map[string]any{"code": "1"}}}}}, tl, Layers[:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Fatal("empty tile")
	}
	ps, err := tiletest.Validate(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Error(p)
	}
}

func asMulti(t *testing.T, g orb.Geometry) orb.MultiPolygon {
	t.Helper()
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	t.Fatalf("%T %v, want polygons", g, g)
	return nil
}

// TestClipUShape is issue 13's repro: a U whose arms leave the tile through its bottom buffer edge. Sutherland–Hodgman
// gave one ring [600 4160] [600 800] [1200 800] [1200 4160] [2800 4160] [2800 800] [3400 800] [3400 4160], its edges
// overlapping along y = 4160; PostGIS (and now civmap) gives the two arms as two polygons.
func TestClipUShape(t *testing.T) {
	u := orb.Polygon{{{121.8635702, 29.4498375}, {121.8785906, 29.4498375}, {121.8785906, 29.4741251},
		{121.8753719, 29.4741251}, {121.8753719, 29.4535744}, {121.8667889, 29.4535744}, {121.8667889, 29.4741251},
		{121.8635702, 29.4741251}, {121.8635702, 29.4498375}}}
	tl := maptile.New(13738, 6787, 14)
	mp := asMulti(t, TileGeometry(tl, u))
	if len(mp) != 2 {
		t.Fatalf("%d polygons, want 2: %v", len(mp), mp)
	}
	var bounds []orb.Bound
	for _, p := range mp {
		if len(p) != 1 || len(p[0]) != 5 {
			t.Errorf("arm %v: want one rectangle", p)
		}
		if a := ringArea(p[0]); a != 2*600*3360 {
			t.Errorf("arm %v: twice the area %v, want %v", p, a, 2*600*3360)
		}
		bounds = append(bounds, p.Bound())
	}
	slices.SortFunc(bounds, func(a, b orb.Bound) int { return int(a.Min[0] - b.Min[0]) })
	want := []orb.Bound{{Min: orb.Point{600, 800}, Max: orb.Point{1200, 4160}},
		{Min: orb.Point{2800, 800}, Max: orb.Point{3400, 4160}}}
	if !slices.Equal(bounds, want) {
		t.Errorf("arms %v, want %v", bounds, want)
	}
	mustValid(t, tl, u)
}

// TestClipHoleAtEdge: a hole crossing the buffer edge becomes a notch of the exterior ring (it used to stay a hole
// sharing the buffer edge with the exterior); a hole inside stays a hole; a hole wholly beyond the buffer goes.
func TestClipHoleAtEdge(t *testing.T) {
	tl := maptile.New(13738, 6787, 14)
	shell := []orb.Point{{-1000, -1000}, {5000, -1000}, {5000, 5000}, {-1000, 5000}}
	edgeHole := []orb.Point{{4000, 1000}, {4000, 2000}, {4300, 2000}, {4300, 1000}}
	inner := []orb.Point{{1000, 1000}, {1000, 1500}, {1500, 1500}, {1500, 1000}}
	beyond := []orb.Point{{4500, 3000}, {4500, 3500}, {4800, 3500}, {4800, 3000}}
	poly := pixelPolygon(tl, shell, edgeHole, inner, beyond)
	mp := asMulti(t, TileGeometry(tl, poly))
	if len(mp) != 1 || len(mp[0]) != 2 {
		t.Fatalf("want one polygon with one hole: %v", mp)
	}
	p := mp[0]
	full := 4224.0 * 4224
	if a, want := ringArea(p[0])/2, full-160*1000; a != want {
		t.Errorf("exterior area %v, want %v (the box less the notch)", a, want)
	}
	if a := ringArea(p[1]) / 2; a != -500*500 {
		t.Errorf("hole area %v, want %v", a, -500*500)
	}
	if !slices.Contains(p[0], orb.Point{4000, 1000}) || !slices.Contains(p[0], orb.Point{4160, 2000}) {
		t.Errorf("exterior %v has no notch at x 4000–4160, y 1000–2000", p[0])
	}
	mustValid(t, tl, poly)
}

// TestClipMakeValid: invalid input still gives a valid tile with the area the even-odd rule gives it.
func TestClipMakeValid(t *testing.T) {
	tl := maptile.New(13738, 6787, 14)
	cases := []struct {
		name  string
		rings [][]orb.Point
		area  float64 // of the result, unit²
		parts int
	}{
		// Two triangles of 100 × 50 / 2 each meeting at (100, 150).
		{"bowtie", [][]orb.Point{{{0, 100}, {200, 200}, {200, 100}, {0, 200}}}, 2 * 200 * 50 / 2, 2},
		{"figure eight at a vertex", [][]orb.Point{{{0, 0}, {100, 0}, {100, 100}, {200, 100}, {200, 200},
			{100, 200}, {100, 100}, {0, 100}}}, 2 * 100 * 100, 2},
		{"zero-width spike", [][]orb.Point{{{0, 0}, {100, 0}, {100, 50}, {300, 50}, {100, 50}, {100, 100},
			{0, 100}}}, 100 * 100, 1},
		{"hole sharing an edge", [][]orb.Point{{{0, 0}, {100, 0}, {100, 100}, {0, 100}},
			{{0, 20}, {30, 20}, {30, 40}, {0, 40}}}, 100*100 - 30*20, 1},
		{"hole crossing the exterior", [][]orb.Point{{{0, 0}, {100, 0}, {100, 100}, {0, 100}},
			{{-10, 20}, {30, 20}, {30, 40}, {-10, 40}}}, 100*100 - 30*20, 1},
		// Snapping joins the two pixels-apart parts along an edge: they are unioned.
		{"parts snapped together", [][]orb.Point{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}}, 100*100 + 100*100, 1},
		// A sliver under one unit² after snapping goes.
		{"sliver", [][]orb.Point{{{0, 0}, {100, 0.3}, {0, 0.4}}}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var g orb.Geometry = pixelPolygon(tl, c.rings...)
			if c.name == "parts snapped together" {
				g = orb.MultiPolygon{g.(orb.Polygon), pixelPolygon(tl,
					[]orb.Point{{100.3, 0}, {200, 0}, {200, 100}, {100.3, 100}})}
			}
			got := TileGeometry(tl, g)
			if c.parts == 0 {
				if got != nil {
					t.Errorf("got %v, want nothing", got)
				}
				return
			}
			mp := asMulti(t, got)
			var a float64
			for _, p := range mp {
				for _, r := range p {
					a += ringArea(r) / 2
				}
			}
			if math.Abs(a-c.area) > 1e-9 || len(mp) != c.parts {
				t.Errorf("%d parts of area %v, want %d of %v: %v", len(mp), a, c.parts, c.area, mp)
			}
			mustValid(t, tl, g)
		})
	}
}

func TestNodeRingAndLoops(t *testing.T) {
	// A bowtie crossing at (50, 50): noded, it visits the crossing twice and splits into two triangles.
	r := []orb.Point{{0, 0}, {100, 100}, {100, 0}, {0, 100}, {0, 0}}
	n := nodeRing(r)
	want := []orb.Point{{0, 0}, {50, 50}, {100, 100}, {100, 0}, {50, 50}, {0, 100}, {0, 0}}
	if !slices.Equal(n, want) {
		t.Fatalf("noded %v, want %v", n, want)
	}
	ls := loops(n)
	if len(ls) != 2 || math.Abs(ringArea(ls[0])) != 5000 || math.Abs(ringArea(ls[1])) != 5000 {
		t.Errorf("loops %v", ls)
	}
	// An edge overlapping another along a line: the overlap's ends become vertices of both.
	r = []orb.Point{{0, 0}, {100, 0}, {100, 10}, {60, 10}, {60, 0}, {40, 0}, {40, 10}, {0, 10}, {0, 0}}
	n = nodeRing(r)
	if !slices.Contains(n[:3], orb.Point{40, 0}) || !slices.Contains(n[:4], orb.Point{60, 0}) {
		t.Errorf("noded %v: the first edge not cut at 40 and 60", n)
	}
	// cleanRing drops collinear points and spikes, across the closing point too.
	c := cleanRing([]orb.Point{{50, 0}, {100, 0}, {100, 100}, {0, 100}, {0, 0}, {-20, 0}, {0, 0}, {50, 0}})
	if !slices.Equal(c, []orb.Point{{100, 0}, {100, 100}, {0, 100}, {0, 0}, {100, 0}}) {
		t.Errorf("cleaned %v", c)
	}
}
