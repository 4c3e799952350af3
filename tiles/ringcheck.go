package tiles

import (
	"slices"

	"github.com/paulmach/orb"

	"civmap/geo"
)

// Cheap exact steps that spare tilePolygons the overlay where it cannot change the result.

// simplyValid reports whether cleaned polygons on the integer grid (cleanPolygons: rings closed, at least 3 points,
// no repeated or collinear consecutive vertices; |coordinate| < 2^26) are certainly OGC-valid: every ring simple, no
// two rings meeting at all (not even at a point), every hole inside its exterior and outside its sibling holes, and
// no polygon inside another's area. It is exact (integer orientation tests, geo.Orient) and stricter than OGC: rings
// touching at a point, which OGC allows, give false, and the caller then asks simplefeatures' Validate. Edges are
// swept in x order, so it costs O(n log n) plus the pairs whose x ranges overlap.
func simplyValid(polys [][][]orb.Point) bool {
	type edge struct {
		a, b       orb.Point
		minX, maxX float64
		ring, i, n int // ring index, edge index in the ring, edges in the ring
	}
	var edges []edge
	ring := 0
	for _, p := range polys {
		for _, r := range p {
			n := len(r) - 1
			if n < 3 || r[0] != r[n] {
				return false
			}
			for i := range n {
				a, b := r[i], r[i+1]
				edges = append(edges, edge{a, b, min(a[0], b[0]), max(a[0], b[0]), ring, i, n})
			}
			ring++
		}
	}
	slices.SortFunc(edges, func(e, f edge) int {
		switch {
		case e.minX < f.minX:
			return -1
		case e.minX > f.minX:
			return 1
		}
		return 0
	})
	for k := range edges {
		e := &edges[k]
		eMinY, eMaxY := min(e.a[1], e.b[1]), max(e.a[1], e.b[1])
		for l := k + 1; l < len(edges); l++ {
			f := &edges[l]
			if f.minX > e.maxX {
				break
			}
			if max(f.a[1], f.b[1]) < eMinY || min(f.a[1], f.b[1]) > eMaxY {
				continue
			}
			if e.ring == f.ring && (f.i == (e.i+1)%e.n || e.i == (f.i+1)%e.n) {
				continue // neighbours meet only at their shared vertex: cleaned, they are not collinear
			}
			if _, meet := geo.SegmentsMeet(e.a, e.b, f.a, f.b); meet {
				return false
			}
		}
	}
	// No ring meets another, so one vertex tells on which side of a ring another lies.
	for i, p := range polys {
		for j, h := range p[1:] {
			if !inRing(p[0], h[0]) {
				return false // a hole outside its exterior
			}
			for _, h2 := range p[j+2:] {
				if inRing(h2, h[0]) || inRing(h, h2[0]) {
					return false // nested holes
				}
			}
		}
		for _, q := range polys[i+1:] {
			if inArea(q, p[0][0]) || inArea(p, q[0][0]) {
				return false // overlapping polygons
			}
		}
	}
	return true
}

// inArea reports whether pt (on none of p's rings) lies in polygon p's area: inside its exterior and in none of its
// holes.
func inArea(p [][]orb.Point, pt orb.Point) bool {
	if !inRing(p[0], pt) {
		return false
	}
	for _, h := range p[1:] {
		if inRing(h, pt) {
			return false
		}
	}
	return true
}

// inRing reports whether pt, which lies on no edge of the closed ring r, is inside r: the crossing number of a ray to
// +x, decided by exact orientation tests.
func inRing(r []orb.Point, pt orb.Point) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > pt[1]) == (b[1] > pt[1]) {
			continue
		}
		// The edge crosses the ray's line; pt is left of the crossing when it is left of the edge going up, or right of
		// it going down.
		if d := geo.Orient(a, b, pt); (b[1] > a[1]) == (d > 0) {
			in = !in
		}
	}
	return in
}

// Outer half-planes of clipBox, as bits: left, right, above (y < Min), below (y > Max).
const (
	outLeft = 1 << iota
	outRight
	outTop
	outBottom
)

// outsideOf is the set of b's outer half-planes (the out bits) that hold q strictly.
func outsideOf(b orb.Bound, q orb.Point) int {
	o := 0
	if q[0] < b.Min[0] {
		o |= outLeft
	} else if q[0] > b.Max[0] {
		o |= outRight
	}
	if q[1] < b.Min[1] {
		o |= outTop
	} else if q[1] > b.Max[1] {
		o |= outBottom
	}
	return o
}

// trimRing shortens the closed ring r without changing its region within clipBox: every run of consecutive vertices
// lying strictly in one outer half-plane of the box is replaced by the run's first and last vertex. The run and the
// chord that replaces it both lie in that (convex) half-plane, and so does everything between them, so the region the
// ring bounds — by the even-odd rule, simple or not — changes only outside the box, and the box's clip is the same.
// The result may need cleaning (cleanRing) and, as any ring, may self-intersect outside the box. r is not modified;
// r itself is returned when nothing is trimmed.
func trimRing(r []orb.Point) []orb.Point { return trimRingBy(r, clipBox, nil) }

// trimRingBy is trimRing with the outer half-planes of another box. chunks, when given, are the bounds of r's runs of
// shapeChunk vertices (chunks[k] that of r[k·shapeChunk:][:shapeChunk]): a chunk lying wholly in an outer half-plane
// is taken in one step, joining the current run or starting one with the half-planes its bound shares, so that the
// vertices far from the box are not visited. Runs may then come out shorter, never longer, and the region within the
// box is the same.
func trimRingBy(r []orb.Point, box orb.Bound, chunks []orb.Bound) []orb.Point {
	var out []orb.Point
	start, common := 0, 0 // the current run r[start:i] and the half-planes all its vertices share
	flush := func(end int) {
		if out == nil {
			if end-start < 3 {
				return
			}
			out = append(make([]orb.Point, 0, min(len(r), 64)), r[:start]...)
		}
		if end-start >= 3 {
			out = append(out, r[start], r[end-1])
		} else {
			out = append(out, r[start:end]...)
		}
	}
	// extend adds r[i:end], whose vertices all lie in the half-planes o, to the run, or starts a run with them.
	extend := func(i, end, o int) {
		if c := common & o; c != 0 && i > start {
			common = c
			return
		}
		flush(i)
		start, common = i, o
	}
	for i := 0; i < len(r); {
		if chunks != nil && i%shapeChunk == 0 {
			cb := chunks[i/shapeChunk]
			if o := outsideOf(box, cb.Min) & outsideOf(box, cb.Max); o != 0 {
				end := min(i+shapeChunk, len(r))
				extend(i, end, o)
				i = end
				continue
			}
		}
		extend(i, i+1, outsideOf(box, r[i]))
		i++
	}
	flush(len(r))
	if out == nil {
		return r
	}
	return out
}

// trimPolygons applies trimRing to every ring of polygons that are not inside clipBox, then cleans them
// (cleanPolygons). The input is not modified.
func trimPolygons(polys [][][]orb.Point) [][][]orb.Point {
	out := make([][][]orb.Point, len(polys))
	for i, p := range polys {
		np := make([][]orb.Point, len(p))
		for j, r := range p {
			np[j] = trimRing(r)
		}
		out[i] = np
	}
	return cleanPolygons(out)
}
