package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Circle returns the closed ring (counter-clockwise, n vertices plus the closing one, n ≥ 3) of the points at geodesic
// distance r metres (Distance: Vincenty on GRS80/CGCS2000) from c, at azimuths 360°·k/n from north. Each vertex is
// placed by the local radii (MetresPerDegree) and then scaled along its offset until Distance agrees to within 1 mm,
// which holds for r up to a few hundred kilometres away from the poles: a service area drawn on the map covers
// exactly the points a coverage search counts (edges are straight in lon/lat between the vertices).
func Circle(c orb.Point, r float64, n int) orb.Ring {
	n = max(n, 3)
	lonM, latM := MetresPerDegree(c[1])
	ring := make(orb.Ring, 0, n+1)
	for k := 0; k < n; k++ {
		az := 2 * math.Pi * float64(k) / float64(n)
		// east and north offsets in degrees, counter-clockwise from east (the ring's orientation)
		dx, dy := r*math.Cos(az)/lonM, r*math.Sin(az)/latM
		for range 8 {
			d := Distance(c, orb.Point{c[0] + dx, c[1] + dy})
			if d == 0 || math.Abs(d-r) < 1e-4 {
				break
			}
			dx, dy = dx*r/d, dy*r/d
		}
		ring = append(ring, orb.Point{c[0] + dx, c[1] + dy})
	}
	return append(ring, ring[0])
}
