package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// AsMultiPolygon returns g as a MultiPolygon: an orb.Polygon as a MultiPolygon of one, an orb.MultiPolygon as it is.
// Any other geometry, or nil, gives false.
func AsMultiPolygon(g orb.Geometry) (orb.MultiPolygon, bool) {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, true
	case orb.MultiPolygon:
		return g, true
	}
	return nil, false
}

// DistanceToPolygon returns how far the lon/lat point p lies outside the Polygon or MultiPolygon g, in metres: 0 when
// g contains p (holes excluded), else the distance to g's nearest edge, measured in a local equirectangular plane
// scaled with MetresPerDegree at p's latitude (within 0.1% of the geodesic distance up to tens of kilometres, which is
// what tolerances of a few metres to a kilometre need). Any other geometry, or nil, gives +Inf.
func DistanceToPolygon(p orb.Point, g orb.Geometry) float64 {
	polys, ok := AsMultiPolygon(g)
	if !ok {
		return math.Inf(1)
	}
	if planar.MultiPolygonContains(polys, p) {
		return 0
	}
	kx, ky := MetresPerDegree(p[1])
	best := math.Inf(1)
	for _, poly := range polys {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				best = min(best, segmentDistance(p, r[i], r[i+1], kx, ky))
			}
			if n := len(r); n > 1 && r[0] != r[n-1] {
				best = min(best, segmentDistance(p, r[n-1], r[0], kx, ky))
			}
		}
	}
	return best
}

// segmentDistance is the distance in metres from p to the segment ab, with degrees scaled by kx, ky metres per degree.
func segmentDistance(p, a, b orb.Point, kx, ky float64) float64 {
	ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
	bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}
