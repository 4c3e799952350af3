package tiles

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// clipBox is the tile grown by the buffer, in tile coordinates.
var clipBox = orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}

// Encode makes the MVT 2.1 tile t (uncompressed protobuf) of the given layers, in that order, from src, with the
// features drawn at t.Z; EncodeZoom with zoom = t.Z.
func Encode(ctx context.Context, src FeatureSource, t maptile.Tile, layers []Layer) ([]byte, error) {
	return EncodeZoom(ctx, src, t, layers, int(t.Z))
}

// EncodeZoom makes the MVT 2.1 tile t (uncompressed protobuf) of the given layers, in that order, from src. For each
// layer it asks src for the features drawn at zoom whose bound meets BufferedBound(t) (FeatureSource.TileFeatures)
// and turns each geometry into tile coordinates with TileGeometry. Features whose geometry vanishes are dropped,
// layers left without features are left out, and a tile with no layer is nil (serve 204). Layers are version 2, extent 4096; feature ids and
// properties are the source's.
func EncodeZoom(ctx context.Context, src FeatureSource, t maptile.Tile, layers []Layer, zoom int) ([]byte, error) {
	bound := BufferedBound(t)
	names := make([]string, len(layers))
	feats := make([][]Feature, len(layers))
	for i, l := range layers {
		var err error
		if feats[i], err = src.TileFeatures(ctx, l.Name, bound, zoom); err != nil {
			return nil, fmt.Errorf("tile %d/%d/%d layer %s: %w", t.Z, t.X, t.Y, l.Name, err)
		}
		names[i] = l.Name
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return EncodeFeatures(t, names, feats)
}

// EncodeLayer turns features (lon/lat) into an MVT layer of tile t, or nil when none keeps a geometry.
func EncodeLayer(t maptile.Tile, name string, feats []Feature) *mvt.Layer {
	ml := &mvt.Layer{Name: name, Version: 2, Extent: Extent}
	for _, f := range feats {
		g := f.tileGeometry(t)
		if g == nil {
			continue
		}
		ml.Features = append(ml.Features, &geojson.Feature{ID: f.ID, Type: "Feature", Geometry: g,
			Properties: geojson.Properties(f.Properties)})
	}
	if len(ml.Features) == 0 {
		return nil
	}
	return ml
}

// TileGeometry turns a lon/lat geometry into the integer tile coordinates of t (extent 4096, y down), the way
// PostGIS 3's ST_AsMVTGeom(geom, ST_TileEnvelope(z, x, y), 4096, 64, true) does:
//
//  1. project to Web Mercator and scale to the tile, then snap every coordinate to the integer grid (round half to
//     even, as rint) and drop consecutive repeated points;
//  2. drop points that lie on the straight segment between their neighbours (Douglas–Peucker with tolerance 0; a
//     line's first and last points stay), and for polygons the tips of zero-width spikes;
//  3. clip to the tile grown by the 64-unit buffer (edges included), then snap again the points clipping created;
//  4. drop degenerate parts — lines with fewer than 2 distinct points, rings under one unit², polygons whose exterior
//     ring went — and repeated points of a MultiPoint;
//  5. orient rings for MVT (spec 4.3.4.4): exterior rings have positive area by the surveyor's formula in tile
//     coordinates (clockwise on screen, y down), interior rings negative.
//
// Polygons come out valid per MVT 2.1 and OGC Simple Features (no self-intersecting or self-touching rings, rings
// meeting in at most a point, holes inside their exterior), as wagyu makes them for PostGIS: they are clipped with
// simplefeatures' overlay, and repaired wherever snapping, or the input, breaks validity (see tilePolygons). A
// concave polygon that leaves and re-enters the box becomes several polygons. Lines are clipped by orb/clip (a port
// of mapbox/lineclip): MVT asks no validity of them. It returns nil when nothing is left; collections are not supported
// (nil).
func TileGeometry(t maptile.Tile, g orb.Geometry) orb.Geometry {
	p := newProjector(t)
	switch g := g.(type) {
	case orb.Point:
		q := p.pt(g)
		if !clipBox.Contains(q) {
			return nil
		}
		return q
	case orb.MultiPoint:
		var out orb.MultiPoint
		seen := make(map[orb.Point]bool, len(g))
		for _, pt := range g {
			q := p.pt(pt)
			if clipBox.Contains(q) && !seen[q] {
				seen[q] = true
				out = append(out, q)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0]
		}
		return out
	case orb.LineString:
		return lines(p.lines(orb.MultiLineString{g}))
	case orb.MultiLineString:
		return lines(p.lines(g))
	case orb.Ring:
		return polygons(p.polygons(orb.MultiPolygon{{g}}))
	case orb.Polygon:
		return polygons(p.polygons(orb.MultiPolygon{g}))
	case orb.MultiPolygon:
		return polygons(p.polygons(g))
	case orb.Bound:
		return polygons(p.polygons(orb.MultiPolygon{g.ToPolygon()}))
	}
	return nil
}

func lines(mls orb.MultiLineString) orb.Geometry {
	switch len(mls) {
	case 0:
		return nil
	case 1:
		return mls[0]
	}
	return mls
}

func polygons(mp orb.MultiPolygon) orb.Geometry {
	switch len(mp) {
	case 0:
		return nil
	case 1:
		return mp[0]
	}
	return mp
}

// projector maps lon/lat to the tile's pixel grid. near is the lon/lat bound of the clip box grown by one more pixel:
// a part whose bound misses it would clip away, so it is skipped before projecting.
type projector struct {
	scale, x0, y0 float64
	near          orb.Bound
}

func newProjector(t maptile.Tile) projector {
	n := float64(uint64(1) << t.Z)
	p := projector{scale: n * Extent, x0: float64(t.X) * Extent, y0: float64(t.Y) * Extent}
	m := float64(Buffer+1) / Extent
	nw := worldLonLat((float64(t.X)-m)/n, math.Max(0, (float64(t.Y)-m)/n))
	se := worldLonLat((float64(t.X)+1+m)/n, math.Min(1, (float64(t.Y)+1+m)/n))
	p.near = orb.Bound{Min: orb.Point{nw[0], se[1]}, Max: orb.Point{se[0], nw[1]}}
	return p
}

// far reports whether pts lie wholly outside the clip box (with a pixel to spare).
func (p projector) far(pts []orb.Point) bool {
	if len(pts) == 0 {
		return true
	}
	return !orb.MultiPoint(pts).Bound().Intersects(p.near)
}

func (p projector) pt(ll orb.Point) orb.Point {
	x, y := worldXY(ll)
	return orb.Point{math.RoundToEven(x*p.scale - p.x0), math.RoundToEven(y*p.scale - p.y0)}
}

// path projects and snaps pts, dropping consecutive repeats.
func (p projector) path(pts []orb.Point) []orb.Point {
	out := make([]orb.Point, 0, len(pts))
	for _, ll := range pts {
		q := p.pt(ll)
		if len(out) == 0 || out[len(out)-1] != q {
			out = append(out, q)
		}
	}
	return out
}

func (p projector) lines(mls orb.MultiLineString) orb.MultiLineString {
	var out orb.MultiLineString
	for _, ls := range mls {
		if p.far(ls) {
			continue
		}
		pts := simplify0(p.path(ls))
		if len(pts) < 2 {
			continue
		}
		for _, part := range clip.LineString(clipBox, orb.LineString(pts)) {
			part = orb.LineString(snap(part))
			if len(part) >= 2 {
				out = append(out, part)
			}
		}
	}
	return out
}

func (p projector) polygons(mp orb.MultiPolygon) orb.MultiPolygon {
	var in [][][]orb.Point
	for _, poly := range mp {
		if len(poly) == 0 {
			continue
		}
		rings := make([][]orb.Point, 0, len(poly))
		for i, r := range poly {
			t, far := p.trim(r)
			if far {
				if i == 0 {
					break // an island away from the tile
				}
				continue // a hole away from the tile
			}
			rings = append(rings, p.path(t))
		}
		if len(rings) > 0 {
			in = append(in, rings)
		}
	}
	return tilePolygons(in)
}

// trim shortens a lon/lat ring before it is projected, as trimRing does in tile units but against near: Web Mercator
// maps meridians and parallels to straight lines, so near's half-planes stay half-planes and the region within the
// clip box is unchanged, while only the vertices near the tile are projected (a township's thousands of vertices
// cost a z14 tile a few dozen). far reports that every vertex lies in one of near's outer half-planes: the ring's
// bound misses the tile.
func (p projector) trim(r []orb.Point) (out []orb.Point, far bool) {
	common := -1
	for _, q := range r {
		common &= outsideOf(p.near, q)
	}
	if len(r) == 0 || common != 0 {
		return nil, true
	}
	return trimRingBy(r, p.near, nil), false
}

// ringArea is twice the signed area by the surveyor's (shoelace) formula in the ring's own coordinates.
func ringArea(r []orb.Point) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a
}

// snap rounds the points that clipping put between grid nodes and drops consecutive repeats.
func snap(pts []orb.Point) []orb.Point {
	out := pts[:0:0]
	for _, q := range pts {
		q = orb.Point{math.RoundToEven(q[0]), math.RoundToEven(q[1])}
		if len(out) == 0 || out[len(out)-1] != q {
			out = append(out, q)
		}
	}
	return out
}

// simplify0 is Douglas–Peucker with tolerance 0: it keeps the end points and every point at a non-zero distance from
// the segment joining the kept points around it, so only points lying on a straight segment go.
func simplify0(pts []orb.Point) []orb.Point {
	pts = dropBetween(pts)
	if len(pts) < 3 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(pts) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		far, farD := -1, 0.0
		for i := s.a + 1; i < s.b; i++ {
			if d := segDist2(pts[i], pts[s.a], pts[s.b]); d > farD {
				far, farD = i, d
			}
		}
		if far < 0 {
			continue
		}
		keep[far] = true
		stack = append(stack, span{s.a, far}, span{far, s.b})
	}
	out := pts[:0]
	for i, k := range keep {
		if k {
			out = append(out, pts[i])
		}
	}
	return out
}

// dropBetween drops, in one pass, points lying on the segment between the last kept point and the next one. Such a
// point is never the farthest of a Douglas–Peucker span (a neighbour is at least as far), so tolerance-0 DP would drop
// it too; the pass makes the common case (straight runs, snapped points) linear.
func dropBetween(pts []orb.Point) []orb.Point {
	if len(pts) < 3 {
		return pts
	}
	out := pts[:1]
	for i := 1; i < len(pts)-1; i++ {
		a, b, c := out[len(out)-1], pts[i], pts[i+1]
		if segDist2(b, a, c) == 0 {
			continue
		}
		out = append(out, b)
	}
	return append(out, pts[len(pts)-1])
}

// segDist2 is the squared distance from p to the segment ab.
func segDist2(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		ex, ey := p[0]-a[0], p[1]-a[1]
		return ex*ex + ey*ey
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	ex, ey := p[0]-(a[0]+t*dx), p[1]-(a[1]+t*dy)
	return ex*ex + ey*ey
}

// tileGeometry is f's geometry in tile t's coordinates: from its Shape when it has one, else TileGeometry.
func (f Feature) tileGeometry(t maptile.Tile) orb.Geometry {
	if f.Shape != nil {
		return f.Shape.Tile(t)
	}
	return TileGeometry(t, f.Geometry)
}
