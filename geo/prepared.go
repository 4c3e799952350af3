package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// PreparedPolygon answers point-in-polygon queries fast, for the
// /api/locate hot path. It is immutable after Prepare and safe for
// concurrent use.
//
// Edges of all rings of all parts are stored with their lower end first and
// bucketed into horizontal latitude bands (about one band per 8 edges), so a
// query scans only the edges of the band holding the point. Containment is
// the even–odd crossing rule over all rings: holes are excluded, islands
// inside holes included.
//
// Boundary rule: each edge counts as crossing when it spans the point's
// latitude half-open, y1 ≤ lat < y2, and the point lies strictly west of it.
// So a point exactly on an edge is inside when the interior is to its east
// and outside when the interior is to its west (like pixel-centre rules:
// left and bottom edges in, right and top out). Because the edge is
// normalised before the arithmetic, a point on an edge shared by two
// adjacent polygons (identical vertices) is in exactly one of them, never in
// both or neither, except at shared vertices where the float tie-break
// decides.
type PreparedPolygon struct {
	bound       orb.Bound
	empty       bool
	minY, invH  float64 // band index = int((lat - minY) * invH)
	bandStart   []int32 // edges of band b are edges[bandStart[b]:bandStart[b+1]]
	edges       []prepEdge
	nbandsMinus int
}

// prepEdge is an edge with y1 < y2; x(lat) = x1 + (lat - y1)*slope.
type prepEdge struct {
	y1, y2, x1, slope float64
}

// Prepare builds a PreparedPolygon from an orb.Polygon or orb.MultiPolygon
// (lon/lat degrees; rings need not be closed or oriented). Any other geometry
// (or nil) gives a PreparedPolygon that contains nothing. Horizontal and
// zero-length edges are dropped: they never cross a horizontal ray.
func Prepare(g orb.Geometry) *PreparedPolygon {
	polys, ok := AsMultiPolygon(g)
	if !ok {
		return &PreparedPolygon{empty: true}
	}
	var edges []prepEdge
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, poly := range polys {
		for _, r := range poly {
			n := len(r)
			for i := 0; i < n; i++ {
				a, b := r[i], r[(i+1)%n] // wraps: closes unclosed rings
				bound = bound.Extend(a)
				if a[1] == b[1] {
					continue
				}
				if a[1] > b[1] {
					a, b = b, a
				}
				edges = append(edges, prepEdge{y1: a[1], y2: b[1], x1: a[0], slope: (b[0] - a[0]) / (b[1] - a[1])})
			}
		}
	}
	pp := &PreparedPolygon{bound: bound}
	if len(edges) == 0 {
		pp.empty = true
		if bound.Min[0] > bound.Max[0] {
			pp.bound = orb.Bound{}
		}
		return pp
	}
	nb := max(1, len(edges)/8)
	h := bound.Max[1] - bound.Min[1]
	pp.minY = bound.Min[1]
	pp.invH = float64(nb) / h
	pp.nbandsMinus = nb - 1
	// Two passes (count, then fill) to lay bands out contiguously.
	counts := make([]int32, nb+1)
	for _, e := range edges {
		lo, hi := pp.band(e.y1), pp.band(e.y2)
		for b := lo; b <= hi; b++ {
			counts[b+1]++
		}
	}
	for b := 1; b <= nb; b++ {
		counts[b] += counts[b-1]
	}
	pp.bandStart = counts
	pp.edges = make([]prepEdge, counts[nb])
	fill := make([]int32, nb)
	copy(fill, counts[:nb])
	for _, e := range edges {
		lo, hi := pp.band(e.y1), pp.band(e.y2)
		for b := lo; b <= hi; b++ {
			pp.edges[fill[b]] = e
			fill[b]++
		}
	}
	return pp
}

func (pp *PreparedPolygon) band(y float64) int {
	b := int((y - pp.minY) * pp.invH)
	if b < 0 {
		return 0
	}
	if b > pp.nbandsMinus {
		return pp.nbandsMinus
	}
	return b
}

// Bound returns the bounding box of all vertices (lon/lat degrees); the zero
// Bound for an empty PreparedPolygon.
func (pp *PreparedPolygon) Bound() orb.Bound { return pp.bound }

// Contains reports whether p (lon/lat degrees) is inside the polygon, by the
// even–odd rule; see the type's doc for points on an edge. NaN never is.
func (pp *PreparedPolygon) Contains(p orb.Point) bool {
	if pp.empty {
		return false
	}
	x, y := p[0], p[1]
	// Negated comparisons so NaN falls out here.
	if !(y >= pp.bound.Min[1] && y <= pp.bound.Max[1] && x >= pp.bound.Min[0] && x <= pp.bound.Max[0]) {
		return false
	}
	b := pp.band(y)
	in := false
	for _, e := range pp.edges[pp.bandStart[b]:pp.bandStart[b+1]] {
		if e.y1 <= y && y < e.y2 && x < e.x1+(y-e.y1)*e.slope {
			in = !in
		}
	}
	return in
}
