package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// The polygon clipper that tilePolygons replaced (Sutherland–Hodgman with orb/clip, snapping before and after), kept
// for BenchmarkEncoders to compare against. It breaks MVT 2.1's ring rules (issue 13): do not use it for tiles.

// LegacyEncodeLayer is EncodeLayer with the old polygon clipper.
func LegacyEncodeLayer(t maptile.Tile, name string, feats []Feature) *mvt.Layer {
	ml := &mvt.Layer{Name: name, Version: 2, Extent: Extent}
	p := newProjector(t)
	for _, f := range feats {
		var g orb.Geometry
		switch fg := f.Geometry.(type) {
		case orb.Polygon:
			g = polygons(p.legacyPolygons(orb.MultiPolygon{fg}))
		case orb.MultiPolygon:
			g = polygons(p.legacyPolygons(fg))
		default:
			g = TileGeometry(t, f.Geometry)
		}
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

func (p projector) legacyPolygons(mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, poly := range mp {
		if len(poly) == 0 || p.far(poly[0]) {
			continue // an island away from the tile
		}
		var np orb.Polygon
		for i, r := range poly {
			if i > 0 && p.far(r) {
				continue
			}
			ring := legacyTileRing(p.path(r), i == 0)
			if ring == nil {
				if i == 0 {
					break // no exterior, no polygon
				}
				continue
			}
			np = append(np, ring)
		}
		if len(np) == 0 {
			continue
		}
		// Holes that clip away leave the polygon; an exterior that clips away takes it.
		np = clip.Polygon(clipBox, np)
		if len(np) == 0 {
			continue
		}
		fixed := orb.Polygon{}
		for i, r := range np {
			r = legacyTileRing(snap(r), i == 0)
			if r == nil {
				if i == 0 {
					break
				}
				continue
			}
			fixed = append(fixed, r)
		}
		if len(fixed) == 0 || !legacyHasArea(fixed) {
			continue
		}
		out = append(out, fixed)
	}
	return out
}

// legacyTileRing closes a snapped ring, simplifies it, drops it when degenerate (fewer than 4 points or under one unit²) and
// orients it: exterior rings positive area (surveyor's formula, tile coordinates), interior rings negative.
func legacyTileRing(pts []orb.Point, exterior bool) orb.Ring {
	if len(pts) == 0 {
		return nil
	}
	if pts[0] != pts[len(pts)-1] {
		pts = append(pts, pts[0])
	}
	pts = simplify0(pts)
	if len(pts) < 4 {
		return nil
	}
	// Rings enclosing less than one unit² go, as ST_AsMVTGeom (wagyu) drops them: the smallest ring the integer grid
	// allows, a triangle of ½ unit², would otherwise appear in one store's tiles and not the other's.
	a := ringArea(pts)
	if math.Abs(a) < 2 {
		return nil
	}
	if (a > 0) != exterior {
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	return orb.Ring(pts)
}

// legacyHasArea reports whether the exterior ring encloses more than its holes do (a hole that clipped to the whole box
// leaves nothing).
func legacyHasArea(p orb.Polygon) bool {
	a := ringArea(p[0])
	for _, h := range p[1:] {
		a += ringArea(h)
	}
	return a > 0
}
