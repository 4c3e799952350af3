package inspection

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"civmap/geo"
)

// SideCheckOptions configure the gap/overlap check between the two sides' division polygons along a line.
//
// The check works in the line's projected CRS (Gauss–Krüger, metres): the corridor is the set of points within
// CorridorM of the line with its first and last CorridorM cut off (a flat-ended buffer of the line's inner part, so
// that the sea or a third county beyond the line's ends is not taken for a gap), less the corridors of the lines that
// meet it at a tri-junction (a third county lies beside them); a gap is corridor − (left ∪ right),
// an overlap corridor ∩ left ∩ right. Each connected piece is a result when its area is at least MinAreaM2 and its
// width across the line at least MinWidthM. The same construction in PostGIS 3.3 is
// ST_Buffer(ST_LineSubstring(line, c/L, 1 − c/L), c, 'endcap=flat join=round') with ST_Difference/ST_Intersection
// (data/postgis's test compares the two).
type SideCheckOptions struct {
	CorridorM float64 // half-width of the corridor, metres; default 50
	MinAreaM2 float64 // smallest piece reported, m²; default 1
	MinWidthM float64 // narrowest piece reported, metres across the line; default 0.5
}

// Defaults: a 50 m corridor holds any gap or overlap a boundary survey would call a digitising error (wider ones are
// disputes, seen on the map); 1 m² and 0.5 m (half the default marker tolerance) drop the floating-point slivers that
// two polygons digitised separately along one line leave (the sample's two counties share their vertices exactly and
// leave none at all, even at a 1e-9 threshold: see TestSidesSample), and are configurable per round.
var DefaultSideCheck = SideCheckOptions{CorridorM: 50, MinAreaM2: 1, MinWidthM: 0.5}

func (o SideCheckOptions) withDefaults() SideCheckOptions {
	if o.CorridorM <= 0 {
		o.CorridorM = DefaultSideCheck.CorridorM
	}
	if o.MinAreaM2 <= 0 {
		o.MinAreaM2 = DefaultSideCheck.MinAreaM2
	}
	if o.MinWidthM <= 0 {
		o.MinWidthM = DefaultSideCheck.MinWidthM
	}
	return o
}

// SidePiece is one gap or overlap: its area (m²), its greatest width across the line (m), where it is (a point inside
// it, lon/lat, and the chainage range along the line, metres from the line's first vertex) and its outline (lon/lat).
type SidePiece struct {
	Kind      string      `json:"kind"` // gap or overlap
	AreaM2    float64     `json:"area_m2"`
	MaxWidthM float64     `json:"max_width_m"`
	Location  orb.Point   `json:"location"`
	FromM     float64     `json:"from_m"`
	ToM       float64     `json:"to_m"`
	Outline   orb.Polygon `json:"-"`
}

// SideResult is the answer of the gap/overlap check.
type SideResult struct {
	Run       bool             `json:"run"`
	Reason    string           `json:"reason,omitempty"` // why it did not run (a side's polygon is not held)
	CRS       string           `json:"crs,omitempty"`
	Options   SideCheckOptions `json:"options"`
	Gaps      []SidePiece      `json:"gaps"`
	Overlaps  []SidePiece      `json:"overlaps"`
	Discarded int              `json:"discarded"` // pieces below the thresholds
}

// toGeom projects a polygonal lon/lat geometry into crs as a simplefeatures geometry.
func toGeom(crs geo.CRS, g orb.Geometry) (geom.Geometry, error) {
	mp, ok := geo.AsMultiPolygon(g)
	if !ok {
		return geom.Geometry{}, fmt.Errorf("not a polygon")
	}
	var polys []geom.Polygon
	for _, p := range mp {
		var rings []geom.LineString
		for _, r := range p {
			flat := make([]float64, 0, 2*len(r))
			for _, pt := range r {
				q, err := project(crs, pt)
				if err != nil {
					return geom.Geometry{}, err
				}
				flat = append(flat, q.x, q.y)
			}
			rings = append(rings, geom.NewLineString(geom.NewSequence(flat, geom.DimXY)))
		}
		polys = append(polys, geom.NewPolygon(rings))
	}
	return geom.NewMultiPolygon(polys).AsGeometry(), nil
}

func ringGeom(pts []xy) geom.Polygon {
	flat := make([]float64, 0, 2*len(pts)+2)
	for _, p := range pts {
		flat = append(flat, p.x, p.y)
	}
	flat = append(flat, pts[0].x, pts[0].y)
	return geom.NewPolygon([]geom.LineString{geom.NewLineString(geom.NewSequence(flat, geom.DimXY))})
}

// corridor builds the flat-ended buffer of pl at half-width w: one rectangle per segment and a 32-gon at every inner
// vertex (the round join), unioned.
func corridor(pl polyline, w float64) (geom.Geometry, error) {
	var parts []geom.Geometry
	for i := 0; i+1 < len(pl.pts); i++ {
		a, b := pl.pts[i], pl.pts[i+1]
		d := b.sub(a)
		if d.norm() == 0 {
			continue
		}
		n := xy{-d.y, d.x}.scale(w / d.norm())
		parts = append(parts, ringGeom([]xy{a.add(n), a.sub(n), b.sub(n), b.add(n)}).AsGeometry())
	}
	for i := 1; i+1 < len(pl.pts); i++ {
		var ring []xy
		for k := 0; k < 32; k++ {
			t := 2 * math.Pi * float64(k) / 32
			ring = append(ring, pl.pts[i].add(xy{math.Cos(t), math.Sin(t)}.scale(w)))
		}
		parts = append(parts, ringGeom(ring).AsGeometry())
	}
	return geom.UnionMany(parts)
}

// CheckSides finds the gaps and overlaps between left and right (lon/lat polygons) along line, in crs. others are the
// lines that meet it at its ends (the tri-junctions): their own corridors are cut out of this one, since beside them
// lies a third county, not a gap.
func CheckSides(crs geo.CRS, line orb.Geometry, left, right orb.Geometry, others []orb.Geometry, o SideCheckOptions) (SideResult, error) {
	o = o.withDefaults()
	res := SideResult{Run: true, CRS: crs.String(), Options: o, Gaps: []SidePiece{}, Overlaps: []SidePiece{}}
	pl, err := projectLine(crs, line)
	if err != nil {
		return res, err
	}
	if pl.length() <= 2*o.CorridorM {
		return res, fmt.Errorf("the line is %.1f m long, too short for a %.0f m corridor", pl.length(), o.CorridorM)
	}
	inner := pl.substring(o.CorridorM, pl.length()-o.CorridorM)
	c, err := corridor(inner, o.CorridorM)
	if err != nil {
		return res, fmt.Errorf("corridor: %w", err)
	}
	for _, og := range others {
		opl, err := projectLine(crs, og)
		if err != nil {
			return res, fmt.Errorf("neighbouring line: %w", err)
		}
		oc, err := corridor(opl, o.CorridorM)
		if err != nil {
			return res, fmt.Errorf("neighbouring corridor: %w", err)
		}
		if c, err = geom.Difference(c, oc); err != nil {
			return res, fmt.Errorf("corridor − neighbouring corridor: %w", err)
		}
	}
	a, err := toGeom(crs, left)
	if err != nil {
		return res, fmt.Errorf("left polygon: %w", err)
	}
	b, err := toGeom(crs, right)
	if err != nil {
		return res, fmt.Errorf("right polygon: %w", err)
	}
	ca, err := geom.Intersection(a, c)
	if err != nil {
		return res, fmt.Errorf("left ∩ corridor: %w", err)
	}
	cb, err := geom.Intersection(b, c)
	if err != nil {
		return res, fmt.Errorf("right ∩ corridor: %w", err)
	}
	both, err := geom.Union(ca, cb)
	if err != nil {
		return res, fmt.Errorf("left ∪ right: %w", err)
	}
	gap, err := geom.Difference(c, both)
	if err != nil {
		return res, fmt.Errorf("corridor − sides: %w", err)
	}
	over, err := geom.Intersection(ca, cb)
	if err != nil {
		return res, fmt.Errorf("left ∩ right: %w", err)
	}
	for _, k := range []struct {
		kind string
		g    geom.Geometry
		out  *[]SidePiece
	}{{"gap", gap, &res.Gaps}, {"overlap", over, &res.Overlaps}} {
		for _, p := range polygonsOf(k.g) {
			piece, err := measure(crs, pl, p, o.CorridorM)
			if err != nil {
				return res, err
			}
			piece.Kind = k.kind
			if piece.AreaM2 < o.MinAreaM2 || piece.MaxWidthM < o.MinWidthM {
				res.Discarded++
				continue
			}
			*k.out = append(*k.out, piece)
		}
		sort.Slice(*k.out, func(i, j int) bool { return (*k.out)[i].FromM < (*k.out)[j].FromM })
	}
	return res, nil
}

func polygonsOf(g geom.Geometry) []geom.Polygon {
	var out []geom.Polygon
	for _, d := range g.Dump() {
		if p, ok := d.AsPolygon(); ok && !p.IsEmpty() {
			out = append(out, p)
		}
	}
	return out
}

// measure gives a piece's area, its width across the line (the longest length inside it of a transect normal to the
// line, one every ≤ 0.25 m of chainage, at most 4000), a point on its surface and its chainage range.
func measure(crs geo.CRS, pl polyline, p geom.Polygon, w float64) (SidePiece, error) {
	var rings [][]xy
	s0, s1 := math.Inf(1), math.Inf(-1)
	for _, r := range p.DumpRings() {
		seq := r.Coordinates()
		ring := make([]xy, seq.Length())
		for i := range ring {
			q := seq.GetXY(i)
			ring[i] = xy{q.X, q.Y}
			_, s := pl.nearest(ring[i])
			s0, s1 = math.Min(s0, s), math.Max(s1, s)
		}
		rings = append(rings, ring)
	}
	n := int(math.Ceil((s1 - s0) / 0.25))
	n = max(1, min(n, 4000))
	width := 0.0
	for k := 0; k <= n; k++ {
		s := s0 + (s1-s0)*float64(k)/float64(n)
		c, nrm := pl.pointAt(s)
		width = math.Max(width, insideLength(rings, c.sub(nrm.scale(2*w)), c.add(nrm.scale(2*w))))
	}
	pt, _ := p.PointOnSurface().XY()
	ll, err := geo.ToLonLat(crs, pt.X, pt.Y)
	if err != nil {
		return SidePiece{}, err
	}
	var outline orb.Polygon
	for _, r := range rings {
		var ring orb.Ring
		for _, q := range r {
			llq, err := geo.ToLonLat(crs, q.x, q.y)
			if err != nil {
				return SidePiece{}, err
			}
			ring = append(ring, llq)
		}
		outline = append(outline, ring)
	}
	return SidePiece{AreaM2: round2(p.Area()), MaxWidthM: round3(width), Location: orb.Point{math.Round(ll[0]*1e7) / 1e7, math.Round(ll[1]*1e7) / 1e7},
		FromM: round2(s0), ToM: round2(s1), Outline: outline}, nil
}

// insideLength is the length of segment a–b inside the polygon rings (even-odd rule).
func insideLength(rings [][]xy, a, b xy) float64 {
	d := b.sub(a)
	var ts []float64
	for _, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			p, q := r[i], r[i+1]
			e := q.sub(p)
			den := d.cross(e)
			if den == 0 {
				continue
			}
			t := p.sub(a).cross(e) / den
			u := p.sub(a).cross(d) / den
			if t >= 0 && t <= 1 && u >= 0 && u < 1 {
				ts = append(ts, t)
			}
		}
	}
	sort.Float64s(ts)
	var in float64
	for i := 0; i+1 < len(ts); i += 2 {
		in += ts[i+1] - ts[i]
	}
	return in * d.norm()
}
