package geo

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ValidatePoint checks that p is a finite lon/lat in degrees with lon in
// [-180, 180] and lat in [-90, 90]. The error names the offending value.
func ValidatePoint(p orb.Point) error {
	switch {
	case !finite(p[0]):
		return fmt.Errorf("lon %v is not finite", p[0])
	case !finite(p[1]):
		return fmt.Errorf("lat %v is not finite", p[1])
	case p[0] < -180 || p[0] > 180:
		return fmt.Errorf("lon %v outside [-180,180]", p[0])
	case p[1] < -90 || p[1] > 90:
		return fmt.Errorf("lat %v outside [-90,90]", p[1])
	}
	return nil
}

// ValidateBound checks both corners of b with ValidatePoint and that
// min ≤ max on each axis. Bounds crossing the antimeridian (min lon > max lon,
// allowed by RFC 7946 §5.2) are rejected: civmap's data never crosses it.
func ValidateBound(b orb.Bound) error {
	if err := ValidatePoint(b.Min); err != nil {
		return fmt.Errorf("geo: bound min: %w", err)
	}
	if err := ValidatePoint(b.Max); err != nil {
		return fmt.Errorf("geo: bound max: %w", err)
	}
	if b.Min[0] > b.Max[0] {
		return fmt.Errorf("geo: bound minLon %v > maxLon %v", b.Min[0], b.Max[0])
	}
	if b.Min[1] > b.Max[1] {
		return fmt.Errorf("geo: bound minLat %v > maxLat %v", b.Min[1], b.Max[1])
	}
	return nil
}

var bboxNames = [4]string{"minLon", "minLat", "maxLon", "maxLat"}

// ParseBBox parses "minLon,minLat,maxLon,maxLat" (degrees, the order of
// RFC 7946 §5 and OGC API – Features bbox). Spaces around numbers are
// allowed. Errors, each naming the element: wrong number of elements,
// non-numbers, NaN/Inf, lon outside [-180,180], lat outside [-90,90],
// min > max.
func ParseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, fmt.Errorf("geo: bbox %q: want 4 comma-separated numbers minLon,minLat,maxLon,maxLat, got %d elements", s, len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, fmt.Errorf("geo: bbox %s (element %d) %q is not a number", bboxNames[i], i+1, strings.TrimSpace(p))
		}
		if !finite(f) {
			return orb.Bound{}, fmt.Errorf("geo: bbox %s (element %d) %q is not finite", bboxNames[i], i+1, strings.TrimSpace(p))
		}
		lim := 180.0
		if i%2 == 1 {
			lim = 90
		}
		if f < -lim || f > lim {
			return orb.Bound{}, fmt.Errorf("geo: bbox %s (element %d) %v outside [%v,%v]", bboxNames[i], i+1, f, -lim, lim)
		}
		v[i] = f
	}
	if v[0] > v[2] {
		return orb.Bound{}, fmt.Errorf("geo: bbox minLon %v > maxLon %v", v[0], v[2])
	}
	if v[1] > v[3] {
		return orb.Bound{}, fmt.Errorf("geo: bbox minLat %v > maxLat %v", v[1], v[3])
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// SelfIntersectionError reports a ring whose non-adjacent edges cross or
// touch, or whose adjacent edges fold back over each other (a spike).
type SelfIntersectionError struct {
	Part, Ring int       // part index (0 for a Polygon) and ring index (0 = exterior)
	At         orb.Point // a point where the edges meet
}

func (e *SelfIntersectionError) Error() string {
	return fmt.Sprintf("geo: part %d ring %d intersects itself at lon %.7f lat %.7f", e.Part, e.Ring, e.At[0], e.At[1])
}

// NormalizePolygonal validates and normalises a polygonal geometry per
// RFC 7946 §3.1.6. For an orb.Polygon or orb.MultiPolygon it returns a new
// geometry of the same type in which every ring is closed, has no consecutive
// duplicate points and at least 4 positions, exterior rings are
// counter-clockwise and holes clockwise (planar lon/lat signed area). It
// rejects NaN/Inf and lon outside [-180,180] / lat outside [-90,90] (the error
// names part, ring and input vertex index), empty polygons, rings with fewer
// than 4 positions or zero area, and self-intersecting rings
// (*SelfIntersectionError). Out of scope: holes crossing or lying outside
// their exterior ring, and parts of a MultiPolygon overlapping each other.
// Any other geometry is returned unchanged after the coordinate checks.
func NormalizePolygonal(g orb.Geometry) (orb.Geometry, error) {
	switch g := g.(type) {
	case nil:
		return nil, errors.New("geo: nil geometry")
	case orb.Polygon:
		return normPolygon(g, 0)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return nil, errors.New("geo: empty MultiPolygon")
		}
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			np, err := normPolygon(p, i)
			if err != nil {
				return nil, err
			}
			out[i] = np
		}
		return out, nil
	}
	if err := checkCoords(g); err != nil {
		return nil, err
	}
	return g, nil
}

// checkCoords validates every position of a non-polygonal geometry.
func checkCoords(g orb.Geometry) error {
	name := g.GeoJSONType()
	switch g := g.(type) {
	case orb.Point:
		if err := ValidatePoint(g); err != nil {
			return fmt.Errorf("geo: Point: %w", err)
		}
	case orb.MultiPoint:
		if len(g) == 0 {
			return errors.New("geo: empty MultiPoint")
		}
		return checkPoints(name, -1, g)
	case orb.LineString:
		if err := checkPoints(name, -1, g); err != nil {
			return err
		}
		return checkLine(name, -1, g)
	case orb.Ring:
		return checkPoints("Ring", -1, g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("geo: empty MultiLineString")
		}
		for i, ls := range g {
			if err := checkPoints(name, i, ls); err != nil {
				return err
			}
			if err := checkLine(name, i, ls); err != nil {
				return err
			}
		}
	case orb.Polygon, orb.MultiPolygon:
		_, err := NormalizePolygonal(g)
		return err
	case orb.Collection:
		for i, c := range g {
			if c == nil {
				return fmt.Errorf("geo: GeometryCollection member %d is nil", i)
			}
			if err := checkCoords(c); err != nil {
				return fmt.Errorf("geo: GeometryCollection member %d: %w", i, err)
			}
		}
	case orb.Bound:
		return ValidateBound(g)
	default:
		return fmt.Errorf("geo: unsupported geometry type %T", g)
	}
	return nil
}

// checkLine refuses a line of fewer than two positions (RFC 7946 §3.1.4) or of one position repeated (no length).
func checkLine(name string, part int, ls orb.LineString) error {
	where := name
	if part >= 0 {
		where = fmt.Sprintf("%s part %d", name, part)
	}
	if len(ls) < 2 {
		return fmt.Errorf("geo: %s has %d position(s); a line needs at least 2 (RFC 7946 §3.1.4)", where, len(ls))
	}
	for _, p := range ls[1:] {
		if p != ls[0] {
			return nil
		}
	}
	return fmt.Errorf("geo: %s repeats one position; a line needs two distinct positions", where)
}

func checkPoints(name string, part int, pts []orb.Point) error {
	for i, p := range pts {
		if err := ValidatePoint(p); err != nil {
			if part >= 0 {
				return fmt.Errorf("geo: %s part %d vertex %d: %w", name, part, i, err)
			}
			return fmt.Errorf("geo: %s vertex %d: %w", name, i, err)
		}
	}
	return nil
}

func normPolygon(p orb.Polygon, part int) (orb.Polygon, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("geo: part %d: polygon has no rings", part)
	}
	out := make(orb.Polygon, len(p))
	for ri, r := range p {
		for vi, pt := range r {
			if err := ValidatePoint(pt); err != nil {
				return nil, fmt.Errorf("geo: part %d ring %d vertex %d: %w", part, ri, vi, err)
			}
		}
		nr := make(orb.Ring, 0, len(r)+1)
		for _, pt := range r {
			if len(nr) == 0 || nr[len(nr)-1] != pt {
				nr = append(nr, pt)
			}
		}
		if len(nr) > 0 && nr[0] != nr[len(nr)-1] {
			nr = append(nr, nr[0])
		}
		if len(nr) < 4 {
			return nil, fmt.Errorf("geo: part %d ring %d: %d distinct positions after closing, need at least 4 (RFC 7946 §3.1.6)", part, ri, len(nr))
		}
		if at, bad := ringSelfIntersection(nr); bad {
			return nil, &SelfIntersectionError{Part: part, Ring: ri, At: at}
		}
		a := signedArea(nr)
		if a == 0 {
			return nil, fmt.Errorf("geo: part %d ring %d has zero area", part, ri)
		}
		// Exterior CCW (positive area), holes CW.
		if (ri == 0) != (a > 0) {
			slices.Reverse(nr)
		}
		out[ri] = nr
	}
	return out, nil
}

// signedArea is twice the planar shoelace area of a closed ring, positive
// when counter-clockwise. Coordinates are taken relative to the first vertex
// to limit cancellation.
func signedArea(r orb.Ring) float64 {
	var s float64
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s
}

// Orient is the orientation of c against the segment a→b in the plane of their coordinates: twice the signed area of
// the triangle abc, positive when c lies to the left (counter-clockwise), negative to the right, 0 when collinear. It
// is exact when the coordinates are integers whose differences are below 2^26 (products and their difference then fit
// float64's 53 bits), as on a vector tile's grid.
func Orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// onSegment reports whether c, known to be collinear with a-b, lies within
// the segment's bounding box.
func onSegment(a, b, c orb.Point) bool {
	return math.Min(a[0], b[0]) <= c[0] && c[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= c[1] && c[1] <= math.Max(a[1], b[1])
}

// SegmentsMeet reports whether the closed segments p1-p2 and p3-p4 cross or touch (collinear overlap included), and
// at which point: the crossing point, or an endpoint lying on the other segment. The decision rests on Orient's signs
// alone, so it is exact where Orient is.
func SegmentsMeet(p1, p2, p3, p4 orb.Point) (orb.Point, bool) {
	d1, d2 := Orient(p3, p4, p1), Orient(p3, p4, p2)
	d3, d4 := Orient(p1, p2, p3), Orient(p1, p2, p4)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		t := d1 / (d1 - d2)
		return orb.Point{p1[0] + t*(p2[0]-p1[0]), p1[1] + t*(p2[1]-p1[1])}, true
	}
	switch {
	case d1 == 0 && onSegment(p3, p4, p1):
		return p1, true
	case d2 == 0 && onSegment(p3, p4, p2):
		return p2, true
	case d3 == 0 && onSegment(p1, p2, p3):
		return p3, true
	case d4 == 0 && onSegment(p1, p2, p4):
		return p4, true
	}
	return orb.Point{}, false
}

type sweepEdge struct {
	minX, maxX, minY, maxY float64
	i                      int // edge i joins r[i] and r[i+1]
}

// ringSelfIntersection finds a self-intersection of a closed ring without
// consecutive duplicates. Edges are sorted by min x and swept left to right,
// testing each edge only against edges whose x-range is still open, so the
// cost is O(n log n + n·k), k being the most edges met by one vertical line
// (small for real boundaries). Adjacent edges may only share their common
// vertex: one folding back over the other (collinear, same direction) is an
// intersection too.
func ringSelfIntersection(r orb.Ring) (orb.Point, bool) {
	m := len(r) - 1 // number of edges
	edges := make([]sweepEdge, m)
	for i := 0; i < m; i++ {
		a, b := r[i], r[i+1]
		edges[i] = sweepEdge{math.Min(a[0], b[0]), math.Max(a[0], b[0]), math.Min(a[1], b[1]), math.Max(a[1], b[1]), i}
	}
	slices.SortFunc(edges, func(a, b sweepEdge) int {
		switch {
		case a.minX < b.minX:
			return -1
		case a.minX > b.minX:
			return 1
		}
		return 0
	})
	// Active edges; expired ones are swap-removed, so order is arbitrary.
	active := make([]int32, 0, 64)
	for ei := range edges {
		e := &edges[ei]
		for k := 0; k < len(active); {
			a := &edges[active[k]]
			if a.maxX < e.minX {
				active[k] = active[len(active)-1]
				active = active[:len(active)-1]
				continue
			}
			k++
			if a.maxY < e.minY || a.minY > e.maxY {
				continue
			}
			if at, bad := edgePairMeets(r, m, a.i, e.i); bad {
				return at, true
			}
		}
		active = append(active, int32(ei))
	}
	return orb.Point{}, false
}

// edgePairMeets tests edges i and j (i ≠ j) of a closed ring with m edges.
func edgePairMeets(r orb.Ring, m, i, j int) (orb.Point, bool) {
	if i > j {
		i, j = j, i
	}
	var shared, pi, pj orb.Point // shared vertex and the other ends
	switch {
	case j == i+1:
		shared, pi, pj = r[j], r[i], r[j+1]
	case i == 0 && j == m-1:
		shared, pi, pj = r[0], r[1], r[j]
	default:
		return SegmentsMeet(r[i], r[i+1], r[j], r[j+1])
	}
	if Orient(shared, pi, pj) == 0 &&
		(pi[0]-shared[0])*(pj[0]-shared[0])+(pi[1]-shared[1])*(pj[1]-shared[1]) > 0 {
		// Fold-back: report the nearer of the two far ends.
		if math.Hypot(pi[0]-shared[0], pi[1]-shared[1]) < math.Hypot(pj[0]-shared[0], pj[1]-shared[1]) {
			return pi, true
		}
		return pj, true
	}
	return orb.Point{}, false
}
