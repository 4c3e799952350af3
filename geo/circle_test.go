package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestCircle: every vertex is r metres from the centre by Distance (to 1 mm), the ring is closed and counter-clockwise,
// and its planar area in local metres is close to the inscribed polygon's n/2·r²·sin(2π/n).
func TestCircle(t *testing.T) {
	for _, c := range []orb.Point{{121.87, 29.35}, {0, 0}, {-70, -55}, {179.9, 70}} {
		for _, r := range []float64{10, 500, 1000, 3000, 100_000} {
			ring := Circle(c, r, 64)
			if len(ring) != 65 || ring[0] != ring[64] {
				t.Fatalf("%v %v: %d points, closed %v", c, r, len(ring), ring[0] == ring[64])
			}
			for k, p := range ring[:64] {
				if d := Distance(c, p); math.Abs(d-r) > 1e-3 {
					t.Fatalf("%v r %v vertex %d: %.6f m", c, r, k, d)
				}
			}
			if ring.Orientation() != orb.CCW {
				t.Fatalf("%v r %v: not counter-clockwise", c, r)
			}
			if r <= 3000 {
				lonM, latM := MetresPerDegree(c[1])
				a := planar.Area(ring) * lonM * latM
				want := 32 * r * r * math.Sin(2*math.Pi/64)
				if math.Abs(a-want) > 0.01*want {
					t.Fatalf("%v r %v: area %.1f m², inscribed 64-gon %.1f m²", c, r, a, want)
				}
			}
		}
	}
}
