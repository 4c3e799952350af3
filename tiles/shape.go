package tiles

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// ShapeMaxZoom is the highest zoom a Shape prepares; tiles above it take TileGeometry's path. At these zooms snapping
// still merges vertices and breaks validity, which is what preparing saves; above them a township's vertices are
// all kept and a prepared copy per zoom would cost memory for little.
const ShapeMaxZoom = 16

// shapeChunk is the number of consecutive vertices one chunk bound covers, for trimming a ring without visiting the
// vertices far from the tile.
const shapeChunk = 32

// Shape is a polygonal geometry prepared for tiles, for stores that keep their features in memory (the embedded
// store's divisions): at each zoom up to ShapeMaxZoom, once, the geometry is projected to Web Mercator, snapped to the
// zoom's tile grid (tile pixel units, extent 4096, round half to even), cleaned and made valid as a whole, as
// TileGeometry does for each tile. A tile then only trims the prepared rings near it and clips them, without
// projecting every vertex and without repairing again in every tile what snapping broke (a township's coast that
// touches itself once snapped does so in every tile it crosses). The grid is one per zoom, so the snapped points of a
// tile are the prepared points translated by a whole number of tiles, exactly: x·2^z·4096 − X·4096 is computed
// without rounding, and rounding commutes with the translation by an integer.
//
// A Shape is safe for concurrent use; it holds its geometry, which must not change.
type Shape struct {
	geom  orb.MultiPolygon
	zooms [ShapeMaxZoom + 1]struct {
		once sync.Once
		p    *shapeZoom
	}
}

// shapeZoom is a Shape at one zoom: valid polygons on the zoom's pixel grid, relative to origin (the corner of a tile,
// so that coordinates stay small and integer arithmetic exact), with each ring's bound and chunk bounds.
type shapeZoom struct {
	origin orb.Point
	polys  [][][]orb.Point
	bounds [][]orb.Bound   // per polygon, per ring
	chunks [][][]orb.Bound // per polygon, per ring, per shapeChunk vertices
	failed bool            // the repair gave up: tiles take TileGeometry's path
}

// NewShape prepares g for tiles, or returns nil when g is not polygonal (Polygon, MultiPolygon).
func NewShape(g orb.Geometry) *Shape {
	switch g := g.(type) {
	case orb.Polygon:
		return &Shape{geom: orb.MultiPolygon{g}}
	case orb.MultiPolygon:
		return &Shape{geom: g}
	}
	return nil
}

// Tile is TileGeometry(t, geometry) for the shape's geometry (nil when nothing is left), up to the repair of what
// snapping broke: the shape is repaired once as a whole, a tile otherwise, so both are valid and cover the same
// snapped region, but the vertices that repairs add may differ.
func (s *Shape) Tile(t maptile.Tile) orb.Geometry {
	if int(t.Z) > ShapeMaxZoom {
		return TileGeometry(t, s.geom)
	}
	z := &s.zooms[t.Z]
	z.once.Do(func() { z.p = prepareShape(s.geom, t.Z) })
	if z.p.failed {
		return TileGeometry(t, s.geom)
	}
	return polygons(z.p.tile(t))
}

func prepareShape(mp orb.MultiPolygon, z maptile.Zoom) *shapeZoom {
	scale := float64(uint64(1)<<z) * Extent
	b := mp.Bound()
	x, y := worldXY(orb.Point{b.Min[0], b.Max[1]})
	sz := &shapeZoom{origin: orb.Point{math.Floor(x*scale/Extent) * Extent, math.Floor(y*scale/Extent) * Extent}}
	var in [][][]orb.Point
	for _, poly := range mp {
		rings := make([][]orb.Point, 0, len(poly))
		for _, r := range poly {
			out := make([]orb.Point, 0, len(r))
			for _, ll := range r {
				wx, wy := worldXY(ll)
				q := orb.Point{math.RoundToEven(wx*scale) - sz.origin[0], math.RoundToEven(wy*scale) - sz.origin[1]}
				if len(out) == 0 || out[len(out)-1] != q {
					out = append(out, q)
				}
			}
			rings = append(rings, out)
		}
		in = append(in, rings)
	}
	in = cleanPolygons(in)
	if len(in) > 0 {
		// The shape lies within no clip box, but inside = true asks only for the repair, not for a clip.
		mp := overlayPolygons(in, true)
		if mp == nil {
			sz.failed = true
			return sz
		}
		for _, p := range mp {
			rings := make([][]orb.Point, len(p))
			for i, r := range p {
				rings[i] = r
			}
			sz.polys = append(sz.polys, rings)
		}
	}
	sz.bounds = make([][]orb.Bound, len(sz.polys))
	sz.chunks = make([][][]orb.Bound, len(sz.polys))
	for i, p := range sz.polys {
		sz.bounds[i] = make([]orb.Bound, len(p))
		sz.chunks[i] = make([][]orb.Bound, len(p))
		for j, r := range p {
			sz.bounds[i][j] = orb.MultiPoint(r).Bound()
			cs := make([]orb.Bound, 0, (len(r)+shapeChunk-1)/shapeChunk)
			for k := 0; k < len(r); k += shapeChunk {
				cs = append(cs, orb.MultiPoint(r[k:min(k+shapeChunk, len(r))]).Bound())
			}
			sz.chunks[i][j] = cs
		}
	}
	return sz
}

// tile returns tile t's part of the prepared polygons (tile coordinates, valid, oriented; nil when nothing is left):
// the rings near the tile, trimmed, are clipped by walking the box (walkClip, keeping the prepared orientation), which their validity allows;
// where the snapped crossings make the clip invalid, tilePolygons' general path takes the trimmed rings.
func (sz *shapeZoom) tile(t maptile.Tile) orb.MultiPolygon {
	off := orb.Point{float64(t.X)*Extent - sz.origin[0], float64(t.Y)*Extent - sz.origin[1]}
	// The clip box in the prepared coordinates, grown by a unit so that what touches it is kept for the clip.
	box := orb.Bound{Min: orb.Point{clipBox.Min[0] + off[0] - 1, clipBox.Min[1] + off[1] - 1},
		Max: orb.Point{clipBox.Max[0] + off[0] + 1, clipBox.Max[1] + off[1] + 1}}
	var in [][][]orb.Point
	inside := true
	for i, p := range sz.polys {
		var rings [][]orb.Point
		for j, r := range p {
			b := sz.bounds[i][j]
			if !b.Intersects(box) {
				if j == 0 {
					break // the exterior misses the tile, and so do its holes
				}
				continue // a hole away from the tile
			}
			if j == 0 && !(b.Min[0] >= box.Min[0]+1 && b.Max[0] <= box.Max[0]-1 && b.Min[1] >= box.Min[1]+1 &&
				b.Max[1] <= box.Max[1]-1) {
				inside = false
			}
			tr := trimRingBy(r, box, sz.chunks[i][j])
			out := make([]orb.Point, len(tr))
			for k, q := range tr {
				out[k] = orb.Point{q[0] - off[0], q[1] - off[1]}
			}
			rings = append(rings, out)
		}
		if len(rings) > 0 {
			in = append(in, rings)
		}
	}
	if len(in) == 0 {
		return nil
	}
	if inside {
		// Nothing to clip: the prepared polygons, which are valid and oriented, as they are.
		return orient(in)
	}
	if mp, ok := walkClip(in, false); ok {
		return mp
	}
	return tilePolygons(in)
}
