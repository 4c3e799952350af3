package ogc

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"civmap/geo"
	"civmap/ogc/cql2"
)

// CRS is a coordinate reference system of OGC API – Features Part 2 (CRS by reference), named by its OGC URI.
// Coordinates are written in the CRS's own axis order, as Part 2 requires: CRS84 lon/lat; EPSG:4326 and EPSG:4490
// lat/lon (degrees); EPSG:3857 easting/northing (metres, spherical Web Mercator); EPSG:4549 and EPSG:4550 (CGCS2000 3°
// Gauss–Krüger CM 120°E and 123°E) northing/easting (metres, EPSG's X=north, Y=east).
type CRS struct {
	URI      string
	geo      geo.CRS // the transform in package geo; "" for EPSG:3857
	latLon   bool    // first axis north (lat or northing)
	mercator bool
}

// CRS URIs.
const (
	CRS84    = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	EPSGBase = "http://www.opengis.net/def/crs/EPSG/0/"
	// StorageCRS is the CRS both stores hold (CGCS2000 geographic, EPSG:4490; held lon/lat).
	StorageCRS = EPSGBase + "4490"
)

// SupportedCRS lists the CRSs of crs, bbox-crs and filter-crs, CRS84 (the default) first.
var SupportedCRS = []CRS{
	{URI: CRS84, geo: geo.EPSG4326},
	{URI: EPSGBase + "4326", geo: geo.EPSG4326, latLon: true},
	{URI: EPSGBase + "4490", geo: geo.EPSG4490, latLon: true},
	{URI: EPSGBase + "3857", mercator: true},
	{URI: EPSGBase + "4549", geo: geo.EPSG4549, latLon: true},
	{URI: EPSGBase + "4550", geo: geo.EPSG4550, latLon: true},
}

// CRSURIs is SupportedCRS's URIs.
func CRSURIs() []string {
	out := make([]string, len(SupportedCRS))
	for i, c := range SupportedCRS {
		out[i] = c.URI
	}
	return out
}

// ParseCRS finds a supported CRS by its URI (also accepted: the safe CURIE form [EPSG:4326] and EPSG:4326). The error
// names the supported ones.
func ParseCRS(s string) (CRS, error) {
	u := strings.TrimSpace(s)
	if strings.HasPrefix(u, "[") && strings.HasSuffix(u, "]") {
		u = u[1 : len(u)-1]
	}
	if code, ok := strings.CutPrefix(strings.ToUpper(u), "EPSG:"); ok {
		u = EPSGBase + code
	}
	if strings.EqualFold(u, "OGC:CRS84") {
		u = CRS84
	}
	u = strings.Replace(u, "https://", "http://", 1)
	for _, c := range SupportedCRS {
		if c.URI == u {
			return c, nil
		}
	}
	return CRS{}, fmt.Errorf("unsupported CRS %q; supported: %s", s, strings.Join(CRSURIs(), ", "))
}

// IsCRS84 reports whether c is CRS84, the default.
func (c CRS) IsCRS84() bool { return c.URI == CRS84 }

// ToStorage converts one coordinate pair, in c's axis order, to EPSG:4490 lon/lat.
func (c CRS) ToStorage(a, b float64) (orb.Point, error) {
	if c.latLon {
		a, b = b, a
	}
	if c.mercator {
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			return orb.Point{}, fmt.Errorf("coordinate (%v, %v) is not finite", a, b)
		}
		p := project.Mercator.ToWGS84(orb.Point{a, b})
		return p, geo.ValidatePoint(p)
	}
	p, err := geo.ToLonLat(c.geo, a, b)
	if err != nil {
		return p, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "geo: "))
	}
	return p, nil
}

// FromStorage converts an EPSG:4490 lon/lat point to c, in c's axis order.
func (c CRS) FromStorage(p orb.Point) (orb.Point, error) {
	var q orb.Point
	switch {
	case c.mercator:
		q = project.WGS84.ToMercator(p)
	case c.geo == geo.EPSG4326 || c.geo == geo.EPSG4490:
		q = p
	default:
		x, y, err := geo.FromLonLat(c.geo, p)
		if err != nil {
			return q, err
		}
		q = orb.Point{x, y}
	}
	if c.latLon {
		q[0], q[1] = q[1], q[0]
	}
	return q, nil
}

// Geometry maps every coordinate of g with f (g is copied).
func mapGeometry(g orb.Geometry, f func(orb.Point) (orb.Point, error)) (orb.Geometry, error) {
	if g == nil {
		return nil, nil
	}
	if b, ok := g.(orb.Bound); ok {
		g = cql2.BoundGeometry(b)
	}
	g = orb.Clone(g)
	var err error
	conv := func(ps []orb.Point) {
		for i := range ps {
			if err != nil {
				return
			}
			ps[i], err = f(ps[i])
		}
	}
	var rec func(orb.Geometry) orb.Geometry
	rec = func(g orb.Geometry) orb.Geometry {
		switch g := g.(type) {
		case orb.Point:
			p := []orb.Point{g}
			conv(p)
			return p[0]
		case orb.MultiPoint:
			conv(g)
		case orb.LineString:
			conv(g)
		case orb.Ring:
			conv(g)
		case orb.MultiLineString:
			for _, l := range g {
				conv(l)
			}
		case orb.Polygon:
			for _, r := range g {
				conv(r)
			}
		case orb.MultiPolygon:
			for _, pg := range g {
				for _, r := range pg {
					conv(r)
				}
			}
		case orb.Collection:
			for i := range g {
				g[i] = rec(g[i])
			}
		}
		return g
	}
	out := rec(g)
	return out, err
}

// GeometryToStorage converts g from c (c's axis order) to EPSG:4490 lon/lat.
func (c CRS) GeometryToStorage(g orb.Geometry) (orb.Geometry, error) {
	if c.IsCRS84() {
		return g, nil
	}
	return mapGeometry(g, func(p orb.Point) (orb.Point, error) { return c.ToStorage(p[0], p[1]) })
}

// GeometryFromStorage converts g from EPSG:4490 lon/lat to c.
func (c CRS) GeometryFromStorage(g orb.Geometry) (orb.Geometry, error) {
	if c.IsCRS84() || g == nil {
		return g, nil
	}
	return mapGeometry(g, c.FromStorage)
}

// BoundToStorage converts a bbox given in c (minA, minB, maxA, maxB in c's axis order) to the EPSG:4490 lon/lat bound of
// its four corners (a projected box is not a lon/lat box; the bound of its corners is within metres of it at county
// scale).
func (c CRS) BoundToStorage(v [4]float64) (orb.Bound, error) {
	var b orb.Bound
	for i, corner := range [][2]float64{{v[0], v[1]}, {v[2], v[1]}, {v[2], v[3]}, {v[0], v[3]}} {
		p, err := c.ToStorage(corner[0], corner[1])
		if err != nil {
			return b, err
		}
		if i == 0 {
			b = p.Bound()
		} else {
			b = b.Extend(p)
		}
	}
	return b, nil
}
