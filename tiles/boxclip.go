package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// boxClip clips valid polygons (simplyValid, on the integer grid) to clipBox without the general overlay, as GEOS's
// rectangle intersection does (what ST_AsMVTGeom uses through ST_ClipByBox2D): each ring is cut into the chains that
// lie inside the box, and the chains are joined by walking the box boundary counter-clockwise from each exit to the
// next entry. With exteriors counter-clockwise and holes clockwise (interior on the left), the joined rings are the
// exteriors of the result; holes wholly inside stay holes of the ring that holds them.
//
// The rings are cut against clipBox grown by half a unit, which no vertex (integers) lies on and no edge runs along,
// so every crossing is transversal and the walk has no degenerate cases; each crossing point is then where its edge
// meets clipBox's side (onClipBox), rounded to the grid. That can make the result invalid
// near the boundary, so the caller checks it (simplyValid) and falls back to the overlay when it is not; ok is false
// when the walk cannot close a ring. Rings wholly inside the box are returned as given, not copied.
func boxClip(polys [][][]orb.Point) (out [][][]orb.Point, ok bool) { return clipRings(polys, true) }

// clipRings is boxClip, which orients each ring by its signed area first when reorient is set. Without it the rings
// must come oriented (exteriors of positive area, holes negative), and their region within the box need only be a
// valid polygon's, however they run outside it: rings trimmed by trimRing, whose chords may cross outside the box
// and so change their signed area, though not their chains inside.
func clipRings(polys [][][]orb.Point, reorient bool) (out [][][]orb.Point, ok bool) {
	for _, p := range polys {
		res, ok := boxClipPolygon(p, reorient)
		if !ok {
			return nil, false
		}
		out = append(out, res...)
	}
	return out, true
}

// grown is clipBox grown by half a unit: the box the rings are cut against.
var grown = orb.Bound{Min: orb.Point{clipBox.Min[0] - 0.5, clipBox.Min[1] - 0.5},
	Max: orb.Point{clipBox.Max[0] + 0.5, clipBox.Max[1] + 0.5}}

// chain is the part of a ring inside grown between an entry and an exit: its points (the crossings unsnapped) and the
// positions of its ends along the boundary (perimeterPos).
type chain struct {
	pts       []orb.Point
	sIn, sOut float64
	used      bool
}

func boxClipPolygon(p [][]orb.Point, reorient bool) ([][][]orb.Point, bool) {
	var chains []*chain
	var exteriors [][]orb.Point // rings wholly inside that are exteriors of the result
	var holes [][]orb.Point     // holes wholly inside
	cover := false              // the exterior encloses the box without crossing it
	for i, r := range p {
		if reorient && (ringArea(r) > 0) != (i == 0) {
			r = slices.Clone(r)
			slices.Reverse(r)
		}
		cs, inside := cutRing(r)
		switch {
		case len(cs) > 0:
			chains = append(chains, cs...)
		case inside && i == 0:
			exteriors = append(exteriors, r)
		case inside:
			holes = append(holes, r)
		case ringContains(r, clipBox.Min): // wholly outside, around the box
			if i > 0 {
				return nil, true // the box lies in a hole: nothing of the polygon meets it
			}
			cover = true
		case i == 0:
			return nil, true // the exterior lies wholly outside the box
		}
	}
	if len(chains) > 0 {
		rings, ok := joinChains(chains)
		if !ok {
			return nil, false
		}
		exteriors = append(exteriors, rings...)
	} else if cover {
		exteriors = append(exteriors, []orb.Point{clipBox.Min, {clipBox.Max[0], clipBox.Min[1]}, clipBox.Max,
			{clipBox.Min[0], clipBox.Max[1]}, clipBox.Min})
	}
	out := make([][][]orb.Point, len(exteriors))
	for i, e := range exteriors {
		out[i] = [][]orb.Point{e}
	}
	for _, h := range holes {
		for i, e := range exteriors {
			if inRing(e, h[0]) {
				out[i] = append(out[i], h)
				break
			}
		}
	}
	return out, true
}

// cutRing cuts the closed ring r into its chains inside grown; with none, inside says whether r lies wholly inside.
func cutRing(r []orb.Point) (chains []*chain, inside bool) {
	n := len(r) - 1
	in := func(q orb.Point) bool {
		return q[0] > grown.Min[0] && q[0] < grown.Max[0] && q[1] > grown.Min[1] && q[1] < grown.Max[1]
	}
	// Start at a vertex outside, so that every chain is whole in one pass.
	start := -1
	for i := range n {
		if !in(r[i]) {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, true
	}
	var cur *chain
	for k := range n {
		a, b := r[(start+k)%n], r[(start+k+1)%n]
		ain, bin := in(a), in(b)
		t0, t1, hit := segmentInBox(a, b)
		switch {
		case ain && bin:
			cur.pts = append(cur.pts, b)
		case ain: // leaves
			x := lerp(a, b, t1)
			cur.pts = append(cur.pts, onClipBox(a, b, x))
			cur.sOut = perimeterPos(x)
			chains = append(chains, cur)
			cur = nil
		case bin: // enters
			x := lerp(a, b, t0)
			cur = &chain{pts: []orb.Point{onClipBox(a, b, x), b}, sIn: perimeterPos(x)}
		case hit && t0 < t1: // passes through
			x, y := lerp(a, b, t0), lerp(a, b, t1)
			chains = append(chains, &chain{pts: []orb.Point{onClipBox(a, b, x), onClipBox(a, b, y)},
				sIn: perimeterPos(x), sOut: perimeterPos(y)})
		}
	}
	return chains, false
}

// segmentInBox clips the segment a→b to grown (Liang–Barsky): the parameters of the part inside, if any.
func segmentInBox(a, b orb.Point) (t0, t1 float64, hit bool) {
	t0, t1 = 0, 1
	d := orb.Point{b[0] - a[0], b[1] - a[1]}
	for axis := range 2 {
		if d[axis] == 0 {
			if a[axis] <= grown.Min[axis] || a[axis] >= grown.Max[axis] {
				return 0, 0, false
			}
			continue
		}
		ta := (grown.Min[axis] - a[axis]) / d[axis]
		tb := (grown.Max[axis] - a[axis]) / d[axis]
		if ta > tb {
			ta, tb = tb, ta
		}
		t0, t1 = max(t0, ta), min(t1, tb)
	}
	return t0, t1, t0 <= t1
}

func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// The perimeter of grown, walked counter-clockwise from its min corner: along y = min, x = max, y = max, x = min.
var (
	grownW, grownH = grown.Max[0] - grown.Min[0], grown.Max[1] - grown.Min[1]
	perimeter      = 2 * (grownW + grownH)
	// corners of grown by their perimeter position, and the clipBox corner each snaps to.
	cornerPos = [4]float64{0, grownW, grownW + grownH, 2*grownW + grownH}
	cornerPt  = [4]orb.Point{clipBox.Min, {clipBox.Max[0], clipBox.Min[1]}, clipBox.Max, {clipBox.Min[0], clipBox.Max[1]}}
)

// perimeterPos is the position along grown's perimeter of a point on it.
func perimeterPos(q orb.Point) float64 {
	dMinY, dMaxX := math.Abs(q[1]-grown.Min[1]), math.Abs(q[0]-grown.Max[0])
	dMaxY, dMinX := math.Abs(q[1]-grown.Max[1]), math.Abs(q[0]-grown.Min[0])
	switch min(dMinY, dMaxX, dMaxY, dMinX) {
	case dMinY:
		return q[0] - grown.Min[0]
	case dMaxX:
		return grownW + q[1] - grown.Min[1]
	case dMaxY:
		return grownW + grownH + grown.Max[0] - q[0]
	}
	return 2*grownW + grownH + grown.Max[1] - q[1]
}

// onClipBox is where the edge a→b, which crosses grown's boundary at x, meets the line of clipBox's side next to
// that boundary (half a unit inside it), kept within the side's span: the crossing the exact clip would make, so that
// a part of a ring that only grazes the box gives what the overlay gives. Edges that do not intersect cannot swap
// their order between the two lines, so the walk's order along grown still holds.
func onClipBox(a, b, x orb.Point) orb.Point {
	for axis := range 2 {
		for _, side := range [...][2]float64{{grown.Min[axis], clipBox.Min[axis]}, {grown.Max[axis], clipBox.Max[axis]}} {
			if math.Abs(x[axis]-side[0]) > 1e-9 {
				continue
			}
			q := lerp(a, b, (side[1]-a[axis])/(b[axis]-a[axis]))
			q[axis] = side[1]
			o := 1 - axis
			q[o] = min(max(q[o], clipBox.Min[o]), clipBox.Max[o])
			return q
		}
	}
	return x
}

// snapCrossing rounds a crossing point on clipBox's boundary to the grid.
func snapCrossing(q orb.Point) orb.Point {
	return orb.Point{math.Round(q[0]), math.Round(q[1])}
}

// joinChains joins chains into closed rings: from each chain's exit, counter-clockwise along the boundary (through
// the corners passed) to the nearest entry, until the ring is back at its first chain.
func joinChains(chains []*chain) ([][]orb.Point, bool) {
	var rings [][]orb.Point
	for _, first := range chains {
		if first.used {
			continue
		}
		var ring []orb.Point
		c, closed := first, false
		for range len(chains) + 1 {
			c.used = true
			ring = append(ring, snapCrossing(c.pts[0]))
			ring = append(ring, c.pts[1:len(c.pts)-1]...)
			ring = append(ring, snapCrossing(c.pts[len(c.pts)-1]))
			// The nearest entry counter-clockwise from the exit (the first chain's own entry included).
			var next *chain
			best := math.Inf(1)
			for _, o := range chains {
				if o.used && o != first {
					continue
				}
				d := math.Mod(o.sIn-c.sOut+perimeter, perimeter)
				if d > 0 && d < best {
					next, best = o, d
				}
			}
			if next == nil {
				return nil, false
			}
			for k := range 4 { // the corners between the exit and that entry
				j := (cornerIndexAfter(c.sOut) + k) % 4
				if math.Mod(cornerPos[j]-c.sOut+perimeter, perimeter) >= best {
					break
				}
				ring = append(ring, cornerPt[j])
			}
			if next == first {
				rings, closed = append(rings, append(ring, ring[0])), true
				break
			}
			if next.used {
				return nil, false
			}
			c = next
		}
		if !closed {
			return nil, false
		}
	}
	return rings, true
}

// cornerIndexAfter is the index of the first corner of grown counter-clockwise after perimeter position s.
func cornerIndexAfter(s float64) int {
	for j, p := range cornerPos {
		if p > s {
			return j
		}
	}
	return 0
}
