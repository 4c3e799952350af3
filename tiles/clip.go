package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"

	"civmap/geo"
)

// Polygon clipping and make-valid for the embedded store's tiles.
//
// The overlay (clip to the buffered tile, union, difference, symmetric difference) is github.com/peterstace/simplefeatures,
// a maintained pure-Go implementation of OGC Simple Features with a DCEL overlay that returns valid geometry from valid
// input. It was chosen over GEOS (github.com/twpayne/go-geos, which PostGIS itself would use through ClipByRect and
// SetPrecision) because GEOS needs cgo and libgeos installed, and the embedded store is the default that must run on any
// machine, a field laptop included, from one static binary. What simplefeatures lacks is snap rounding: snapping its
// output to the MVT integer grid can make it invalid again (narrow parts collapse into zero-width spikes or shared
// edges, a vertex jumps across an edge). makeValid repairs that: it nodes each ring exactly (integer coordinates,
// int64 orientation tests), splits it into simple loops, and rebuilds the polygon from the loops with the overlay by
// the even-odd rule (a ring's area is the symmetric difference of its loops; a polygon is its exterior's area less
// the union of its holes'; a multipolygon the union of its polygons'). Snap, check and repair repeat a bounded number
// of times; what still fails is dropped, as is every ring under one unit² (as ST_AsMVTGeom drops them).

// maxRepairs bounds the snap → validate → repair rounds of one polygon.
const maxRepairs = 6

// clipSF is clipBox as a simplefeatures polygon.
func clipSF() sf.Geometry {
	return sf.NewEnvelope(sf.XY{X: clipBox.Min[0], Y: clipBox.Min[1]}, sf.XY{X: clipBox.Max[0], Y: clipBox.Max[1]}).
		AsGeometry()
}

// tilePolygons turns polygons already projected and snapped to the tile grid (rings closed, in any orientation,
// exteriors first) into valid MVT polygons clipped to clipBox: OGC-valid in integer coordinates, exterior rings of
// positive surveyor's area (clockwise on screen, y down), interiors negative, every ring at least one unit². It
// returns nil when nothing is left.
func tilePolygons(in [][][]orb.Point) orb.MultiPolygon {
	polys, full := nearBox(cleanPolygons(in))
	if full {
		return orb.MultiPolygon{{{{clipBox.Min[0], clipBox.Min[1]}, {clipBox.Max[0], clipBox.Min[1]},
			{clipBox.Max[0], clipBox.Max[1]}, {clipBox.Min[0], clipBox.Max[1]}, {clipBox.Min[0], clipBox.Min[1]}}}}
	}
	if len(polys) == 0 {
		return nil
	}
	inside := insideClip(polys)
	if inside && simplyValid(polys) {
		// Nothing to clip and nothing to repair: the overlay would give the same rings back.
		if polys = dropSmall(polys); polys == nil {
			return nil
		}
		return orient(polys)
	}
	if !inside {
		// The overlay's cost grows with the vertices it is given; most of a large polygon's lie far outside the tile.
		if polys = trimPolygons(polys); len(polys) == 0 {
			return nil
		}
		// Valid input is clipped by walking the box (boxClip), several times faster than the overlay; the overlay
		// is left for invalid input and for the rare result that snapping to the grid made invalid.
		if simplyValid(polys) {
			if mp, ok := walkClip(polys, true); ok {
				return mp
			}
		}
	}
	return overlayPolygons(polys, inside)
}

// walkClip clips valid polygons by walking the box (clipRings) and returns the
// result, oriented and without rings under one unit², when it is valid; ok is false when the overlay must do it.
func walkClip(polys [][][]orb.Point, reorient bool) (mp orb.MultiPolygon, ok bool) {
	clipped, ok := clipRings(polys, reorient)
	if !ok {
		return nil, false
	}
	if clipped = cleanPolygons(clipped); len(clipped) == 0 {
		return nil, true
	}
	if !simplyValid(clipped) {
		return nil, false
	}
	if clipped = dropSmall(clipped); clipped == nil {
		return nil, true
	}
	return orient(clipped), true
}

// overlayPolygons is tilePolygons' general path, for polygons that meet clipBox (inside: lie within it): make valid
// when they are not, clip with the overlay, then snap, check and repair.
func overlayPolygons(polys [][][]orb.Point, inside bool) orb.MultiPolygon {
	var g sf.Geometry
	if simplyValid(polys) {
		g = toSF(polys)
	} else if g = toSF(polys); g.Validate() != nil {
		var ok bool
		if g, ok = makeValid(polys); !ok {
			return nil
		}
	}
	if !inside {
		var err error
		if g, err = sf.Intersection(g, clipSF()); err != nil {
			return nil
		}
	}
	for range maxRepairs {
		polys = cleanPolygons(fromSF(g, true))
		if len(polys) == 0 {
			return nil
		}
		if simplyValid(polys) || toSF(polys).Validate() == nil {
			if polys = dropSmall(polys); polys == nil {
				return nil
			}
			return orient(polys)
		}
		var ok bool
		if g, ok = makeValid(polys); !ok {
			return nil
		}
	}
	return nil
}

// nearBox spares the overlay the rings that cannot change the result. A ring none of whose edges meets clipBox (edges
// included) either encloses the box or misses it: a hole that misses it is dropped; a polygon whose exterior misses it
// is dropped; a polygon whose exterior encloses the box and whose holes neither meet nor enclose it covers the whole
// box (full). What is left is the polygons with a ring meeting the box, with only the holes that meet it.
func nearBox(polys [][][]orb.Point) (near [][][]orb.Point, full bool) {
	corner := clipBox.Min
	near = polys[:0]
	for _, p := range polys {
		if ringMeetsBox(p[0]) {
			np := p[:1]
			for _, h := range p[1:] {
				if ringMeetsBox(h) || ringContains(h, corner) {
					np = append(np, h)
				}
			}
			near = append(near, np)
			continue
		}
		if !ringContains(p[0], corner) {
			continue
		}
		meets, inHole := false, false
		for _, h := range p[1:] {
			if ringMeetsBox(h) {
				meets = true
				break
			}
			inHole = inHole || ringContains(h, corner)
		}
		if meets {
			near = append(near, p)
			continue
		}
		if !inHole {
			return nil, true
		}
	}
	return near, false
}

// ringMeetsBox reports whether an edge of the closed ring r meets clipBox, edges included (conservatively: an edge
// that only comes within rounding of a corner counts).
func ringMeetsBox(r []orb.Point) bool {
	b := clipBox
	for i := 0; i+1 < len(r); i++ {
		p, q := r[i], r[i+1]
		if math.Max(p[0], q[0]) < b.Min[0] || math.Min(p[0], q[0]) > b.Max[0] ||
			math.Max(p[1], q[1]) < b.Min[1] || math.Min(p[1], q[1]) > b.Max[1] {
			continue
		}
		// The bounds overlap: the edge meets the box unless all four corners lie strictly on one side of its line.
		pos, neg := false, false
		for _, c := range [4]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}} {
			switch d := geo.Orient(p, q, c); {
			case d > 0:
				pos = true
			case d < 0:
				neg = true
			default:
				pos, neg = true, true
			}
		}
		if pos && neg {
			return true
		}
	}
	return false
}

// ringContains reports whether pt lies inside the closed ring r (crossing number; pt is not on r).
func ringContains(r []orb.Point, pt orb.Point) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > pt[1]) != (b[1] > pt[1]) && pt[0] < a[0]+(pt[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	}
	return in
}

// insideClip reports whether every exterior ring lies within clipBox (so that clipping changes nothing).
func insideClip(polys [][][]orb.Point) bool {
	for _, p := range polys {
		for _, q := range p[0] {
			if !clipBox.Contains(q) {
				return false
			}
		}
	}
	return true
}

// cleanPolygons cleans each ring (cleanRing), dropping rings left without area and polygons whose exterior went.
func cleanPolygons(in [][][]orb.Point) [][][]orb.Point {
	out := in[:0:0]
	for _, p := range in {
		var np [][]orb.Point
		for i, r := range p {
			r = cleanRing(r)
			if r == nil {
				if i == 0 {
					break
				}
				continue
			}
			np = append(np, r)
		}
		if len(np) > 0 {
			out = append(out, np)
		}
	}
	return out
}

// dropSmall drops the rings of valid polygons that enclose less than one unit², and polygons whose exterior went,
// as ST_AsMVTGeom (wagyu) drops them: the smallest ring the grid allows, a triangle of ½ unit², would otherwise be in
// one store's tiles and not the other's. (A self-crossing ring's signed area says nothing of its size, so this waits
// for validity.)
func dropSmall(polys [][][]orb.Point) [][][]orb.Point {
	out := polys[:0]
	for _, p := range polys {
		if math.Abs(ringArea(p[0])) < 2 {
			continue
		}
		np := p[:1]
		for _, h := range p[1:] {
			if math.Abs(ringArea(h)) >= 2 {
				np = append(np, h)
			}
		}
		out = append(out, np)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cleanRing closes a ring and drops repeated points and every vertex collinear with its neighbours — points on a
// straight run, and the tips of zero-width spikes — around the whole ring, including the closing point. The region
// the ring bounds does not change. It returns nil when fewer than 3 distinct points are left.
func cleanRing(r []orb.Point) []orb.Point {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		r = r[:len(r)-1]
	}
	s := make([]orb.Point, 0, len(r)+1)
	for _, v := range r {
		s = pushVertex(s, v)
	}
	// Close the join: the last vertices against the first, then the first against the last, until neither changes.
	for changed := true; changed && len(s) >= 3; {
		changed = false
		if n := len(s); s[n-1] == s[0] || geo.Orient(s[n-2], s[n-1], s[0]) == 0 {
			s, changed = s[:n-1], true
			continue
		}
		if n := len(s); geo.Orient(s[n-1], s[0], s[1]) == 0 {
			s, changed = s[1:], true
		}
	}
	if len(s) < 3 {
		return nil
	}
	return append(s, s[0])
}

// pushVertex appends v to the open path s, first popping vertices that v makes collinear or repeated.
func pushVertex(s []orb.Point, v orb.Point) []orb.Point {
	for {
		n := len(s)
		if n > 0 && s[n-1] == v {
			return s
		}
		if n >= 2 && geo.Orient(s[n-2], s[n-1], v) == 0 {
			s = s[:n-1]
			continue
		}
		return append(s, v)
	}
}

// orient makes exterior rings positive by the surveyor's formula in tile coordinates and interiors negative (MVT 2.1
// 4.3.4.4), in place.
func orient(polys [][][]orb.Point) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(polys))
	for i, p := range polys {
		np := make(orb.Polygon, len(p))
		for j, r := range p {
			if (ringArea(r) > 0) != (j == 0) {
				slices.Reverse(r)
			}
			np[j] = orb.Ring(r)
		}
		out[i] = np
	}
	return out
}

func toSF(polys [][][]orb.Point) sf.Geometry {
	ps := make([]sf.Polygon, len(polys))
	for i, p := range polys {
		ps[i] = sfPolygon(p)
	}
	if len(ps) == 1 {
		return ps[0].AsGeometry()
	}
	return sf.NewMultiPolygon(ps).AsGeometry()
}

func sfPolygon(p [][]orb.Point) sf.Polygon {
	rings := make([]sf.LineString, len(p))
	for j, r := range p {
		fs := make([]float64, 0, 2*len(r))
		for _, q := range r {
			fs = append(fs, q[0], q[1])
		}
		rings[j] = sf.NewLineString(sf.NewSequence(fs, sf.DimXY))
	}
	return sf.NewPolygon(rings)
}

// fromSF returns the polygons of g (a Polygon, a MultiPolygon, or the polygons of a GeometryCollection; lines and
// points that an overlay leaves where boundaries touch are dropped), snapped to the integer grid (round half to
// even, as rint) when snap is set.
func fromSF(g sf.Geometry, snap bool) [][][]orb.Point {
	var out [][][]orb.Point
	var add func(g sf.Geometry)
	addPoly := func(p sf.Polygon) {
		if p.IsEmpty() {
			return
		}
		rings := make([][]orb.Point, 0, p.NumRings())
		for _, ls := range p.DumpRings() {
			seq := ls.Coordinates()
			r := make([]orb.Point, seq.Length())
			for k := range r {
				xy := seq.GetXY(k)
				if snap {
					r[k] = orb.Point{math.RoundToEven(xy.X), math.RoundToEven(xy.Y)}
				} else {
					r[k] = orb.Point{xy.X, xy.Y}
				}
			}
			rings = append(rings, r)
		}
		out = append(out, rings)
	}
	add = func(g sf.Geometry) {
		switch g.Type() {
		case sf.TypePolygon:
			addPoly(g.MustAsPolygon())
		case sf.TypeMultiPolygon:
			mp := g.MustAsMultiPolygon()
			for i := range mp.NumPolygons() {
				addPoly(mp.PolygonN(i))
			}
		case sf.TypeGeometryCollection:
			gc := g.MustAsGeometryCollection()
			for i := range gc.NumGeometries() {
				add(gc.GeometryN(i))
			}
		}
	}
	add(g)
	return out
}

// makeValid rebuilds polygons on the integer grid (rings closed, cleaned) as a valid geometry covering the same
// points by the even-odd rule within each ring, holes subtracted from their exterior, polygons unioned. Its
// vertices are those of the input plus the rings' crossing points (not on the grid). ok is false when the overlay
// fails (numerical degeneracy).
func makeValid(polys [][][]orb.Point) (sf.Geometry, bool) {
	parts := make([]sf.Geometry, 0, len(polys))
	for _, p := range polys {
		ext, ok := ringRegion(p[0])
		if !ok {
			return sf.Geometry{}, false
		}
		if len(p) > 1 {
			holes := make([]sf.Geometry, 0, len(p)-1)
			for _, h := range p[1:] {
				g, ok := ringRegion(h)
				if !ok {
					return sf.Geometry{}, false
				}
				holes = append(holes, g)
			}
			hu, err := sf.UnionMany(holes)
			if err != nil {
				return sf.Geometry{}, false
			}
			if ext, err = sf.Difference(ext, hu); err != nil {
				return sf.Geometry{}, false
			}
		}
		parts = append(parts, ext)
	}
	if len(parts) == 1 {
		return parts[0], true
	}
	g, err := sf.UnionMany(parts)
	return g, err == nil
}

// ringRegion is the area a closed ring bounds by the even-odd rule, as a valid polygonal geometry: the symmetric
// difference of the simple loops that noding the ring splits it into.
func ringRegion(r []orb.Point) (sf.Geometry, bool) {
	var g sf.Geometry
	for _, loop := range loops(nodeRing(r)) {
		if ringArea(loop) == 0 {
			continue
		}
		lp := sfPolygon([][]orb.Point{loop}).AsGeometry()
		if g.IsEmpty() {
			g = lp
			continue
		}
		var err error
		if g, err = sf.SymmetricDifference(g, lp); err != nil {
			return sf.Geometry{}, false
		}
	}
	return g, true
}

// nodeRing returns the closed ring r (integer coordinates, no repeated or collinear consecutive points) with a vertex
// added wherever it meets itself: at each proper crossing of two edges, and where a vertex lies on another edge
// (which covers edges overlapping along a line). Each crossing point is computed once and shared by both edges, so
// it repeats exactly.
func nodeRing(r []orb.Point) []orb.Point {
	n := len(r) - 1 // edges; r[n] == r[0]
	if n < 3 {
		return r
	}
	type seg struct {
		i          int
		minX, maxX float64
	}
	segs := make([]seg, n)
	for i := range n {
		segs[i] = seg{i, math.Min(r[i][0], r[i+1][0]), math.Max(r[i][0], r[i+1][0])}
	}
	slices.SortFunc(segs, func(a, b seg) int {
		if a.minX < b.minX {
			return -1
		}
		if a.minX > b.minX {
			return 1
		}
		return 0
	})
	cuts := make([][]orb.Point, n)
	for si, s := range segs {
		a, b := r[s.i], r[s.i+1]
		for _, t := range segs[si+1:] {
			if t.minX > s.maxX {
				break
			}
			i, j := s.i, t.i
			if j == (i+1)%n || i == (j+1)%n {
				continue // neighbours share a vertex and, cleaned, are not collinear
			}
			c, d := r[j], r[j+1]
			if math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
				continue
			}
			d1, d2, d3, d4 := geo.Orient(a, b, c), geo.Orient(a, b, d), geo.Orient(c, d, a), geo.Orient(c, d, b)
			if d1*d2 < 0 && d3*d4 < 0 {
				t := d3 / (d3 - d4)
				p := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
				cuts[i] = append(cuts[i], p)
				cuts[j] = append(cuts[j], p)
				continue
			}
			if d1 == 0 && onSegment(c, a, b) {
				cuts[i] = append(cuts[i], c)
			}
			if d2 == 0 && onSegment(d, a, b) {
				cuts[i] = append(cuts[i], d)
			}
			if d3 == 0 && onSegment(a, c, d) {
				cuts[j] = append(cuts[j], a)
			}
			if d4 == 0 && onSegment(b, c, d) {
				cuts[j] = append(cuts[j], b)
			}
		}
	}
	out := make([]orb.Point, 0, len(r))
	for i := range n {
		out = append(out, r[i])
		cs := cuts[i]
		if len(cs) == 0 {
			continue
		}
		a := r[i]
		slices.SortFunc(cs, func(p, q orb.Point) int {
			dp, dq := math.Abs(p[0]-a[0])+math.Abs(p[1]-a[1]), math.Abs(q[0]-a[0])+math.Abs(q[1]-a[1])
			if dp < dq {
				return -1
			}
			if dp > dq {
				return 1
			}
			return 0
		})
		for _, c := range cs {
			if c != out[len(out)-1] {
				out = append(out, c)
			}
		}
	}
	return append(out, r[0])
}

// onSegment reports whether p, collinear with ab, lies strictly between a and b.
func onSegment(p, a, b orb.Point) bool {
	if p == a || p == b {
		return false
	}
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// loops splits a closed, noded ring at its repeated vertices into closed loops without repeated vertices.
func loops(r []orb.Point) [][]orb.Point {
	var out [][]orb.Point
	stack := make([]orb.Point, 0, len(r))
	at := make(map[orb.Point]int, len(r))
	for _, v := range r[:len(r)-1] {
		if k, ok := at[v]; ok {
			loop := append(slices.Clone(stack[k:]), v)
			for _, q := range stack[k+1:] {
				delete(at, q)
			}
			stack = stack[:k+1]
			if len(loop) >= 4 {
				out = append(out, loop)
			}
			continue
		}
		at[v] = len(stack)
		stack = append(stack, v)
	}
	if len(stack) >= 3 {
		out = append(out, append(stack, stack[0]))
	}
	return out
}
