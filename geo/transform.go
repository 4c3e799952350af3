package geo

import (
	"fmt"

	"github.com/paulmach/orb"
)

// GeometryToLonLat converts every coordinate of g from c to EPSG:4490 lon/lat (see ToLonLat; for projected CRSs a point is
// [easting, northing] in metres, GeoJSON's x,y order). g is copied, not changed. EPSG:4326/4490 input is returned as is.
// The error names the first coordinate that fails.
func GeometryToLonLat(g orb.Geometry, c CRS) (orb.Geometry, error) {
	if c == EPSG4326 || c == EPSG4490 || g == nil {
		return g, nil
	}
	g = orb.Clone(g)
	var err error
	conv := func(ps []orb.Point) {
		for i, p := range ps {
			if err != nil {
				return
			}
			var q orb.Point
			if q, err = ToLonLat(c, p[0], p[1]); err != nil {
				err = fmt.Errorf("coordinate %d (%v, %v): %w", i, p[0], p[1], err)
				return
			}
			ps[i] = q
		}
	}
	switch g := g.(type) {
	case orb.Point:
		p := []orb.Point{g}
		conv(p)
		return p[0], err
	case orb.MultiPoint:
		conv(g)
	case orb.LineString:
		conv(g)
	case orb.MultiLineString:
		for _, l := range g {
			conv(l)
		}
	case orb.Ring:
		conv(g)
	case orb.Polygon:
		for _, r := range g {
			conv(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				conv(r)
			}
		}
	case orb.Collection:
		for i, x := range g {
			if g[i], err = GeometryToLonLat(x, c); err != nil {
				return nil, err
			}
		}
	case orb.Bound:
		return nil, fmt.Errorf("a bound is not a geometry to convert")
	}
	return g, err
}
