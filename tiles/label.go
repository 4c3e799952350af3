package tiles

import (
	"container/heap"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// PlaceLabelBit marks the feature id of a place's label point: the place's tile id with bit 52 set. Stores allocate
// place tile ids from 1 upwards, far below 2^52, so a label id never meets a record's id, and it stays below
// MaxTileID (2^53−1), exact in JavaScript.
const PlaceLabelBit = 1 << 52

// PlaceLabelID is the feature id of the label point of the place whose tile id is id.
func PlaceLabelID(id uint64) uint64 { return id | PlaceLabelBit }

// LabelPrecision is the precision, in degrees, to which LabelPoint seeks the pole of inaccessibility: 1e-5° ≈ 1.1 m
// north–south at Xiangshan (29.5° N), well under a pixel below z17 — or a thousandth of the polygon's smaller side when
// that is more, so that a big polygon's search stays short (polylabel explores along ridges of equal distance).
const LabelPrecision = 1e-5

// LabelPoint is the one point at which a polygon is labelled: its pole of inaccessibility (the interior point farthest
// from the boundary, holes included), found by the quadtree search of Agafonkin's polylabel (mapbox/polylabel, 2016)
// to LabelPrecision degrees in planar lon/lat. A MultiPolygon is labelled in its largest part (planar area). Any other
// geometry, or an empty or degenerate polygon, has none (ok false). The point is inside the polygon whenever the
// polygon has an interior: a MapLibre symbol layer placed on it draws one label per feature, however many tiles the
// polygon crosses (labelling the polygon itself draws one per tile piece).
//
// No Go module for polylabel is served here (github.com/twpayne/go-geos needs cgo and libgeos), hence this port.
func LabelPoint(g orb.Geometry) (orb.Point, bool) {
	var poly orb.Polygon
	switch t := g.(type) {
	case orb.Polygon:
		poly = t
	case orb.MultiPolygon:
		best := -1.0
		for _, p := range t {
			if a := math.Abs(planar.Area(p)); a > best {
				best, poly = a, p
			}
		}
	default:
		return orb.Point{}, false
	}
	if len(poly) == 0 || len(poly[0]) < 4 {
		return orb.Point{}, false
	}
	b := poly[0].Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	size := math.Min(w, h)
	if !(size > 0) {
		return orb.Point{}, false
	}
	half := size / 2
	precision := math.Max(LabelPrecision, size/1000)
	q := &cellQueue{}
	for x := b.Min[0]; x < b.Max[0]; x += size {
		for y := b.Min[1]; y < b.Max[1]; y += size {
			heap.Push(q, newCell(x+half, y+half, half, poly))
		}
	}
	// First guess: the centroid of the outer ring's area (planar), then the bound's centre.
	c, _ := planar.CentroidArea(orb.Polygon{poly[0]})
	best := newCell(c[0], c[1], 0, poly)
	if bc := newCell(b.Min[0]+w/2, b.Min[1]+h/2, 0, poly); bc.d > best.d {
		best = bc
	}
	for q.Len() > 0 {
		cell := heap.Pop(q).(labelCell)
		if cell.d > best.d {
			best = cell
		}
		if cell.max-best.d <= precision {
			continue
		}
		h := cell.h / 2
		for _, o := range [4][2]float64{{-h, -h}, {h, -h}, {-h, h}, {h, h}} {
			heap.Push(q, newCell(cell.x+o[0], cell.y+o[1], h, poly))
		}
	}
	if best.d <= 0 {
		return orb.Point{}, false // no interior point found (a sliver thinner than the precision)
	}
	return orb.Point{best.x, best.y}, true
}

// labelCell is a square of polylabel's search: centre x, y, half size h, signed distance d from the centre to the
// polygon's boundary (negative outside) and max, the most any point of the cell can have.
type labelCell struct{ x, y, h, d, max float64 }

func newCell(x, y, h float64, poly orb.Polygon) labelCell {
	d := pointToPolygon(x, y, poly)
	return labelCell{x: x, y: y, h: h, d: d, max: d + h*math.Sqrt2}
}

// pointToPolygon is the signed distance from (x, y) to the polygon's rings: positive inside (even–odd over every
// ring), negative outside.
func pointToPolygon(x, y float64, poly orb.Polygon) float64 {
	inside := false
	minSq := math.Inf(1)
	for _, ring := range poly {
		n := len(ring)
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			a, b := ring[i], ring[j]
			if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
				inside = !inside
			}
			minSq = math.Min(minSq, segDistSq(x, y, a, b))
		}
	}
	d := math.Sqrt(minSq)
	if !inside {
		d = -d
	}
	return d
}

func segDistSq(px, py float64, a, b orb.Point) float64 {
	x, y := a[0], a[1]
	dx, dy := b[0]-x, b[1]-y
	if dx != 0 || dy != 0 {
		t := ((px-x)*dx + (py-y)*dy) / (dx*dx + dy*dy)
		if t > 1 {
			x, y = b[0], b[1]
		} else if t > 0 {
			x += dx * t
			y += dy * t
		}
	}
	dx, dy = px-x, py-y
	return dx*dx + dy*dy
}

// cellQueue is a max-heap of cells by max (the most promising first), ties by position so the search is
// deterministic.
type cellQueue []labelCell

func (q cellQueue) Len() int { return len(q) }
func (q cellQueue) Less(i, j int) bool {
	if q[i].max != q[j].max {
		return q[i].max > q[j].max
	}
	if q[i].x != q[j].x {
		return q[i].x < q[j].x
	}
	return q[i].y < q[j].y
}
func (q cellQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *cellQueue) Push(x any)   { *q = append(*q, x.(labelCell)) }
func (q *cellQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}
