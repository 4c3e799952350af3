// Package inspectiontest plants gaps and overlaps into polygons along a boundary line, for the tests of the gap/overlap
// check (gazetteer/inspection and its PostGIS counterpart in data/postgis).
package inspectiontest

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"civmap/geo"
)

type xy struct{ x, y float64 }

func proj(crs geo.CRS, p orb.Point) xy {
	e, n, _ := geo.FromLonLat(crs, p)
	return xy{e, n}
}

// Plant inserts a rectangle along segment seg of line (from a to b metres from the segment's first vertex, d metres
// deep towards the side where into lies) into the ring of g that runs along that segment, and returns the new
// polygon. On into's own ring that cuts the rectangle out of it (a gap beside the line); on the other side's ring it
// pushes that side into into (an overlap). The rectangle is exact in crs; its corners are converted back to lon/lat.
func Plant(crs geo.CRS, line orb.LineString, g orb.Geometry, into orb.MultiPolygon, seg int, a, b, d float64) (orb.MultiPolygon, error) {
	mp, ok := geo.AsMultiPolygon(g)
	if !ok {
		return nil, fmt.Errorf("not a polygon")
	}
	mp = mp.Clone()
	p0, p1 := proj(crs, line[seg]), proj(crs, line[seg+1])
	l := math.Hypot(p1.x-p0.x, p1.y-p0.y)
	dir := xy{(p1.x - p0.x) / l, (p1.y - p0.y) / l}
	n := xy{-dir.y, dir.x}
	probe := func(k float64) orb.Point {
		mid := xy{(p0.x+p1.x)/2 + k*n.x*10, (p0.y+p1.y)/2 + k*n.y*10}
		p, _ := geo.ToLonLat(crs, mid.x, mid.y)
		return p
	}
	if !planar.MultiPolygonContains(into, probe(1)) {
		if !planar.MultiPolygonContains(into, probe(-1)) {
			return nil, fmt.Errorf("neither side of segment %d lies in the polygon planted into", seg)
		}
		n = xy{-n.x, -n.y}
	}
	ll := func(t, off float64) orb.Point {
		p, _ := geo.ToLonLat(crs, p0.x+dir.x*t+n.x*off, p0.y+dir.y*t+n.y*off)
		return p
	}
	ins := []orb.Point{ll(a, 0), ll(a, d), ll(b, d), ll(b, 0)}
	for pi, poly := range mp {
		r := poly[0]
		for i := 0; i+1 < len(r); i++ {
			var seq []orb.Point
			switch {
			case r[i] == line[seg] && r[i+1] == line[seg+1]:
				seq = ins
			case r[i] == line[seg+1] && r[i+1] == line[seg]:
				seq = []orb.Point{ins[3], ins[2], ins[1], ins[0]}
			default:
				continue
			}
			mp[pi][0] = append(append(append(orb.Ring{}, r[:i+1]...), seq...), r[i+1:]...)
			return mp, nil
		}
	}
	return nil, fmt.Errorf("no ring edge runs along segment %d", seg)
}

// LongSegments returns the first and the last segment of line at least minM metres long in crs, away from its ends.
func LongSegments(crs geo.CRS, line orb.LineString, minM float64) (int, int, error) {
	var segs []int
	for i := 3; i+4 < len(line); i++ {
		p0, p1 := proj(crs, line[i]), proj(crs, line[i+1])
		if math.Hypot(p1.x-p0.x, p1.y-p0.y) >= minM {
			segs = append(segs, i)
		}
	}
	if len(segs) < 2 {
		return 0, 0, fmt.Errorf("fewer than two segments of %.0f m", minM)
	}
	return segs[0], segs[len(segs)-1], nil
}
