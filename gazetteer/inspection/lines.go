package inspection

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/geo"
)

// xy is a projected position: x = easting, y = northing (metres).
type xy struct{ x, y float64 }

func (a xy) sub(b xy) xy         { return xy{a.x - b.x, a.y - b.y} }
func (a xy) add(b xy) xy         { return xy{a.x + b.x, a.y + b.y} }
func (a xy) scale(k float64) xy  { return xy{a.x * k, a.y * k} }
func (a xy) dot(b xy) float64    { return a.x*b.x + a.y*b.y }
func (a xy) norm() float64       { return math.Hypot(a.x, a.y) }
func (a xy) dist(b xy) float64   { return a.sub(b).norm() }
func (a xy) cross(b xy) float64  { return a.x*b.y - a.y*b.x }
func lerp(a, b xy, t float64) xy { return a.add(b.sub(a).scale(t)) }

// ZoneFor picks the CGCS2000 3-degree Gauss–Krüger CRS without zone prefix for a longitude: EPSG:4549 (CM 120°E)
// west of 121.5°E, EPSG:4550 (CM 123°E) from 121.5°E to 124.5°E. Other longitudes are an error (civmap knows only
// these two zones).
func ZoneFor(lon float64) (geo.CRS, error) {
	switch {
	case lon >= 118.5 && lon < 121.5:
		return geo.EPSG4549, nil
	case lon >= 121.5 && lon < 124.5:
		return geo.EPSG4550, nil
	}
	return "", fmt.Errorf("longitude %.4f is outside the Gauss–Krüger zones civmap converts (118.5–124.5°E)", lon)
}

// lineCRS is the projected CRS a line is checked in: its markers' register CRS when that is Gauss–Krüger, else the
// zone of the line's first vertex.
func lineCRS(l gazetteer.BoundaryLine, markers []gazetteer.Marker) (geo.CRS, error) {
	for _, m := range markers {
		if c, err := geo.ParseCRS(m.Registered.CRS); err == nil && c.Projected() {
			return c, nil
		}
	}
	parts := lineParts(l.Geometry)
	if len(parts) == 0 || len(parts[0]) == 0 {
		return "", fmt.Errorf("line %s has no geometry", l.ID)
	}
	return ZoneFor(parts[0][0][0])
}

// lineParts returns a LineString's or MultiLineString's parts.
func lineParts(g orb.Geometry) []orb.LineString {
	switch t := g.(type) {
	case orb.LineString:
		return []orb.LineString{t}
	case orb.MultiLineString:
		return t
	}
	return nil
}

// polyline is a line in a projected CRS, its parts joined in order, with the chainage (metres from the first vertex)
// of every vertex.
type polyline struct {
	pts []xy
	at  []float64
}

func project(crs geo.CRS, p orb.Point) (xy, error) {
	e, n, err := geo.FromLonLat(crs, p)
	return xy{e, n}, err
}

func projectLine(crs geo.CRS, g orb.Geometry) (polyline, error) {
	var pl polyline
	for _, part := range lineParts(g) {
		for _, p := range part {
			q, err := project(crs, p)
			if err != nil {
				return polyline{}, err
			}
			if n := len(pl.pts); n > 0 && pl.pts[n-1] == q {
				continue
			}
			s := 0.0
			if n := len(pl.pts); n > 0 {
				s = pl.at[n-1] + pl.pts[n-1].dist(q)
			}
			pl.pts = append(pl.pts, q)
			pl.at = append(pl.at, s)
		}
	}
	if len(pl.pts) < 2 {
		return polyline{}, fmt.Errorf("the line has fewer than two distinct vertices")
	}
	return pl, nil
}

func (pl polyline) length() float64 { return pl.at[len(pl.at)-1] }

// nearest returns the distance from p to the line and the chainage of the nearest point (metres).
func (pl polyline) nearest(p xy) (d, station float64) {
	d = math.Inf(1)
	for i := 0; i+1 < len(pl.pts); i++ {
		a, b := pl.pts[i], pl.pts[i+1]
		ab := b.sub(a)
		t := 0.0
		if l2 := ab.dot(ab); l2 > 0 {
			t = math.Max(0, math.Min(1, p.sub(a).dot(ab)/l2))
		}
		q := lerp(a, b, t)
		if dd := p.dist(q); dd < d {
			d, station = dd, pl.at[i]+t*ab.norm()
		}
	}
	return d, station
}

// pointAt returns the point at chainage s and the unit normal (to the left of the direction of travel) there.
func (pl polyline) pointAt(s float64) (xy, xy) {
	i := 0
	for i+2 < len(pl.pts) && pl.at[i+1] < s {
		i++
	}
	a, b := pl.pts[i], pl.pts[i+1]
	seg := pl.at[i+1] - pl.at[i]
	t := 0.0
	if seg > 0 {
		t = (s - pl.at[i]) / seg
	}
	dir := b.sub(a).scale(1 / b.sub(a).norm())
	return lerp(a, b, t), xy{-dir.y, dir.x}
}

// substring returns the part of the line between chainages s0 < s1.
func (pl polyline) substring(s0, s1 float64) polyline {
	var out polyline
	p0, _ := pl.pointAt(s0)
	out.pts, out.at = []xy{p0}, []float64{0}
	for i, s := range pl.at {
		if s > s0 && s < s1 {
			out.at = append(out.at, out.at[len(out.at)-1]+out.pts[len(out.pts)-1].dist(pl.pts[i]))
			out.pts = append(out.pts, pl.pts[i])
		}
	}
	p1, _ := pl.pointAt(s1)
	out.at = append(out.at, out.at[len(out.at)-1]+out.pts[len(out.pts)-1].dist(p1))
	out.pts = append(out.pts, p1)
	return out
}

// GeodesicLength is the length of a line in metres on the CGCS2000 ellipsoid (geo.Distance, Vincenty).
func GeodesicLength(g orb.Geometry) float64 {
	var s float64
	for _, part := range lineParts(g) {
		for i := 1; i < len(part); i++ {
			s += geo.Distance(part[i-1], part[i])
		}
	}
	return s
}

// round3 rounds metres to the millimetre.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// round2 rounds to two decimals (centimetres, or square metres to 0.01).
func round2(v float64) float64 { return math.Round(v*100) / 100 }
