package tiles

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// TestBoxClipMatchesOverlay: on random valid polygons across the tile's edges — star-shaped with and without holes,
// and combs that leave and re-enter the box many times, on and off grid lines of the box — the box walk gives the
// overlay's polygons: as many, valid, with the same area to within what moving the crossings half a unit onto the box
// can change (half a unit times the boundary length inside).
func TestBoxClipMatchesOverlay(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	walked, fellBack, worst := 0, 0, 0.0
	for i := range 3000 {
		var p [][]orb.Point
		if i%3 == 2 {
			p = [][]orb.Point{comb(rng)}
		} else {
			p = star(rng, i%3 == 1)
		}
		polys := cleanPolygons([][][]orb.Point{p})
		if len(polys) == 0 || !simplyValid(polys) || insideClip(polys) {
			continue
		}
		want := overlayPolygons(slices.Clone(polys), false)
		clipped, ok := boxClip(polys)
		if ok {
			clipped = cleanPolygons(clipped)
		}
		if !ok || (len(clipped) > 0 && !simplyValid(clipped)) {
			fellBack++
			continue
		}
		walked++
		got := orient(dropSmall(clipped))
		if len(got) != len(want) {
			t.Fatalf("case %d: %d polygons, overlay %d\ninput %v\ngot %v\nwant %v", i, len(got), len(want), polys, got, want)
		}
		ga, wa := multiArea(got), multiArea(want)
		worst = max(worst, math.Abs(ga-wa))
		if tol := 0.5*2*(clipBox.Max[0]-clipBox.Min[0]+clipBox.Max[1]-clipBox.Min[1]) + 8; math.Abs(ga-wa) > tol {
			t.Fatalf("case %d: area %.1f, overlay %.1f (tolerance %.0f)\ninput %v", i, ga, wa, tol, polys)
		}
		// Points more than 1.5 units from every edge of both results (rounding moves edges less) lie in both or
		// in neither.
		for range 300 {
			pt := orb.Point{clipBox.Min[0] + rng.Float64()*(clipBox.Max[0]-clipBox.Min[0]),
				clipBox.Min[1] + rng.Float64()*(clipBox.Max[1]-clipBox.Min[1])}
			if nearEdge(got, pt, 1.5) || nearEdge(want, pt, 1.5) {
				continue
			}
			if g, w := inMulti(got, pt), inMulti(want, pt); g != w {
				t.Fatalf("case %d: %v in the box walk's result %v, in the overlay's %v\ninput %v\ngot %v\nwant %v", i, pt, g,
					w, polys, got, want)
			}
		}
	}
	if walked < 1000 {
		t.Errorf("the box walk answered only %d cases (%d fell back to the overlay)", walked, fellBack)
	}
	t.Logf("%d cases by the box walk, %d fell back to the overlay; largest area difference %.1f unit²", walked, fellBack, worst)
}

func inMulti(m orb.MultiPolygon, pt orb.Point) bool {
	for _, p := range m {
		if ringContains(p[0], pt) && !slices.ContainsFunc(p[1:], func(h orb.Ring) bool { return ringContains(h, pt) }) {
			return true
		}
	}
	return false
}

// nearEdge reports whether pt lies within d of an edge of m.
func nearEdge(m orb.MultiPolygon, pt orb.Point, d float64) bool {
	for _, p := range m {
		for _, r := range p {
			for k := 0; k+1 < len(r); k++ {
				a, b := r[k], r[k+1]
				ab := orb.Point{b[0] - a[0], b[1] - a[1]}
				t := ((pt[0]-a[0])*ab[0] + (pt[1]-a[1])*ab[1]) / (ab[0]*ab[0] + ab[1]*ab[1])
				t = min(max(t, 0), 1)
				if math.Hypot(a[0]+t*ab[0]-pt[0], a[1]+t*ab[1]-pt[1]) <= d {
					return true
				}
			}
		}
	}
	return false
}

func multiArea(m orb.MultiPolygon) float64 {
	var a float64
	for _, p := range m {
		for _, r := range p {
			a += ringArea(r) / 2
		}
	}
	return a
}

// star is a star-shaped ring (integer vertices) around a centre near the box's edges, with a smaller hole when hole.
func star(rng *rand.Rand, hole bool) [][]orb.Point {
	edge := []float64{clipBox.Min[0], clipBox.Max[0]}
	c := orb.Point{edge[rng.IntN(2)] + float64(rng.IntN(800)-400), float64(rng.IntN(4400) - 150)}
	if rng.IntN(2) == 0 {
		c[0], c[1] = c[1], c[0]
	}
	n := 5 + rng.IntN(40)
	rmin := 100 + rng.Float64()*600
	ring := func(scale float64, reverse bool) []orb.Point {
		var r []orb.Point
		for k := range n {
			a := 2 * math.Pi * float64(k) / float64(n)
			rad := scale * (rmin + rng.Float64()*rmin)
			r = append(r, orb.Point{math.Round(c[0] + rad*math.Cos(a)), math.Round(c[1] + rad*math.Sin(a))})
		}
		if reverse {
			slices.Reverse(r)
		}
		return append(r, r[0])
	}
	out := [][]orb.Point{ring(1, rng.IntN(2) == 0)}
	if hole {
		out = append(out, ring(0.3, rng.IntN(2) == 0))
	}
	return out
}

// comb is a rectilinear ring with teeth that cross the box's right edge (some ending exactly on it, some on the grid
// line half a unit past it) and a spine inside.
func comb(rng *rand.Rand) []orb.Point {
	x := clipBox.Max[0]
	y := float64(rng.IntN(3000))
	spine := x - float64(50+rng.IntN(300))
	r := []orb.Point{{spine, y}}
	for range 2 + rng.IntN(8) {
		w := float64(1 + rng.IntN(60))
		reach := x + float64(rng.IntN(3)*rng.IntN(40)) // 0: ends on the edge
		r = append(r, orb.Point{reach, y}, orb.Point{reach, y + w})
		y += w
		r = append(r, orb.Point{spine + float64(rng.IntN(20)), y}, orb.Point{spine + float64(rng.IntN(20)), y + float64(1+rng.IntN(30))})
		y = r[len(r)-1][1]
	}
	r = append(r, orb.Point{spine - 100, y}, orb.Point{spine - 100, r[0][1]}, r[0])
	return r
}
