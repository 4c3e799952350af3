package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func randomPoints(b orb.Bound, n int, seed uint64) []orb.Point {
	r := rand.New(rand.NewPCG(seed, 1))
	// Pad the bound by 5 % so some points fall outside it.
	dx, dy := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] - 0.05*dx + r.Float64()*1.1*dx, b.Min[1] - 0.05*dy + r.Float64()*1.1*dy}
	}
	return pts
}

func TestPreparedMatchesPlanarOnTownship(t *testing.T) {
	mp := loadShipu(t)
	pp := Prepare(mp)
	if pp.Bound() != mp.Bound() {
		t.Errorf("Bound %v, want %v", pp.Bound(), mp.Bound())
	}
	in, disagree := 0, 0
	for _, p := range randomPoints(mp.Bound(), 100000, 42) {
		want := planar.MultiPolygonContains(mp, p)
		if got := pp.Contains(p); got != want {
			disagree++
			if disagree < 5 {
				t.Errorf("Contains(%v) = %v, planar says %v", p, got, want)
			}
		}
		if want {
			in++
		}
	}
	if disagree > 0 {
		t.Errorf("%d of 100000 disagree", disagree)
	}
	// Guard against a degenerate test: a real share of points is inside.
	if in < 5000 || in > 95000 {
		t.Errorf("%d of 100000 inside: test points badly placed", in)
	}
}

func TestPreparedHolesAndIslands(t *testing.T) {
	// Square with a square hole, and an island inside the hole.
	g := orb.MultiPolygon{
		{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}},
		{{{4, 4}, {6, 4}, {6, 6}, {4, 6}}}, // unclosed on purpose
	}
	pp := Prepare(g)
	cases := []struct {
		p    orb.Point
		want bool
	}{
		{orb.Point{1, 1}, true},
		{orb.Point{3.5, 5}, false}, // in the hole
		{orb.Point{5, 5}, true},    // on the island
		{orb.Point{11, 5}, false},
		{orb.Point{-1, 5}, false},
		{orb.Point{5, 10.5}, false},
		{orb.Point{math.NaN(), 5}, false},
		{orb.Point{5, math.NaN()}, false},
	}
	for _, c := range cases {
		if got := pp.Contains(c.p); got != c.want {
			t.Errorf("Contains(%v) = %v, want %v", c.p, got, c.want)
		}
		if c.p[0] == c.p[0] && c.p[1] == c.p[1] {
			if pl := planar.MultiPolygonContains(g, c.p); pl != c.want {
				t.Errorf("planar disagrees at %v", c.p)
			}
		}
	}
	// A Polygon with a hole, as a Polygon.
	pp = Prepare(g[0])
	if pp.Contains(orb.Point{5, 5}) || !pp.Contains(orb.Point{1, 9}) {
		t.Error("Polygon with hole wrong")
	}
}

func TestPreparedEdgeRule(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
	pp := Prepare(sq)
	cases := []struct {
		p    orb.Point
		want bool
	}{
		{orb.Point{0, 0.5}, true},  // west edge: in
		{orb.Point{1, 0.5}, false}, // east edge: out
		{orb.Point{0.5, 0}, true},  // south edge: in
		{orb.Point{0.5, 1}, false}, // north edge: out
	}
	for _, c := range cases {
		if got := pp.Contains(c.p); got != c.want {
			t.Errorf("Contains(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Two townships sharing a slanted edge (opposite directions): every point
	// on the shared edge is in exactly one of them.
	a := Prepare(orb.Polygon{{{0, 0}, {0.3, 0}, {0.7, 1}, {0, 1}, {0, 0}}})
	b := Prepare(orb.Polygon{{{0.3, 0}, {1, 0}, {1, 1}, {0.7, 1}, {0.3, 0}}})
	for i := 1; i < 1000; i++ {
		f := float64(i) / 1000
		p := orb.Point{0.3 + 0.4*f, f}
		if a.Contains(p) == b.Contains(p) {
			t.Fatalf("point %v on the shared edge: in a %v, in b %v", p, a.Contains(p), b.Contains(p))
		}
	}
}

func TestPreparedEmpty(t *testing.T) {
	for _, g := range []orb.Geometry{nil, orb.Point{1, 1}, orb.LineString{{0, 0}, {1, 1}}, orb.Polygon{}, orb.Polygon{{{0, 0}, {1, 0}}}} {
		pp := Prepare(g)
		if pp.Contains(orb.Point{0.5, 0}) || pp.Contains(orb.Point{0, 0}) {
			t.Errorf("Prepare(%v) contains something", g)
		}
	}
}

func BenchmarkPreparedContains(b *testing.B) {
	mp := loadShipu(b)
	pp := Prepare(mp)
	pts := randomPoints(mp.Bound(), 4096, 7)
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		if pp.Contains(pts[i&4095]) {
			n++
		}
	}
	_ = n
}

func BenchmarkPlanarContains(b *testing.B) {
	mp := loadShipu(b)
	pts := randomPoints(mp.Bound(), 4096, 7)
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		if planar.MultiPolygonContains(mp, pts[i&4095]) {
			n++
		}
	}
	_ = n
}
