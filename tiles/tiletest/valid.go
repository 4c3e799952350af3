package tiletest

import (
	"fmt"

	"github.com/paulmach/orb/encoding/mvt/vectortile"
	sf "github.com/peterstace/simplefeatures/geom"
)

// Rules that Validate reports, one per kind of fault.
const (
	RuleLayer    = "layer"    // layer name empty or repeated in the tile (4.1), version not 2, extent 0
	RuleID       = "id"       // two features of one layer share an id (4.2)
	RuleTags     = "tags"     // odd tag count or a key/value index out of range (4.4)
	RuleCommand  = "command"  // command stream against 4.3.3/4.3.4: bad id or count, missing parameters, zero LineTo
	RuleRing     = "ring"     // a ring of fewer than 4 points with its implicit closing, or of zero area (4.3.4.4)
	RuleWinding  = "winding"  // an interior ring before any exterior ring (4.3.4.4)
	RuleGeometry = "geometry" // not valid per OGC Simple Features: self-intersecting or self-touching ring, rings that cross or share an edge, a hole outside its exterior, parts of a multipolygon overlapping
)

// Problem is one breach of MVT 2.1 found by Validate. Feature is the feature's index in its layer (-1 for a layer
// problem); ID is its id (0 when it has none).
type Problem struct {
	Layer   string
	Feature int
	ID      uint64
	Rule    string
	Detail  string
}

func (p Problem) String() string {
	if p.Feature < 0 {
		return fmt.Sprintf("layer %q: %s: %s", p.Layer, p.Rule, p.Detail)
	}
	return fmt.Sprintf("layer %q feature %d (id %d): %s: %s", p.Layer, p.Feature, p.ID, p.Rule, p.Detail)
}

// Validate checks an uncompressed MVT tile against the Mapbox Vector Tile Specification 2.1: layer names unique and
// version 2 (4.1); feature ids unique per layer (4.2 says SHOULD; civmap holds itself to it); tags in pairs that index
// the layer's keys and values (4.4); geometry command streams (4.3): command ids 1, 2, 7, ClosePath with count 1,
// every parameter present, no LineTo of (0, 0); points as one MoveTo; lines as MoveTo(1) LineTo(≥1), so at least 2
// points; polygon rings as MoveTo(1) LineTo(≥2) ClosePath, at least 4 points with the implicit closing one, the last
// explicit point not repeating the first, a non-zero area. Winding (4.3.4.4): by the surveyor's formula in tile
// coordinates (y down) a positive area is an exterior ring (clockwise on screen), a negative one an interior ring of
// the last exterior; the first ring must be exterior. Each polygon (exterior plus its interiors) and each feature's
// set of polygons must be valid per OGC Simple Features (no self-intersection or self-touching of a ring, rings meet
// in at most one point, holes inside their exterior, interior connected, parts' interiors disjoint and their
// boundaries meeting in points only), as simplefeatures' Validate decides on the decoded integer coordinates.
// It returns an error only when b is not a vector tile protobuf.
func Validate(b []byte) ([]Problem, error) {
	var tile vectortile.Tile
	if err := tile.XXX_Unmarshal(b); err != nil {
		return nil, err
	}
	var out []Problem
	names := map[string]bool{}
	for _, l := range tile.Layers {
		name := l.GetName()
		lp := func(rule, format string, args ...any) {
			out = append(out, Problem{Layer: name, Feature: -1, Rule: rule, Detail: fmt.Sprintf(format, args...)})
		}
		if name == "" {
			lp(RuleLayer, "empty name")
		}
		if names[name] {
			lp(RuleLayer, "name repeated in the tile")
		}
		names[name] = true
		if l.GetVersion() != 2 {
			lp(RuleLayer, "version %d, want 2", l.GetVersion())
		}
		if l.Extent != nil && *l.Extent == 0 {
			lp(RuleLayer, "extent 0")
		}
		ids := map[uint64]int{}
		for i, f := range l.Features {
			fp := func(rule, format string, args ...any) {
				out = append(out, Problem{Layer: name, Feature: i, ID: f.GetId(), Rule: rule,
					Detail: fmt.Sprintf(format, args...)})
			}
			if f.Id != nil {
				if j, ok := ids[*f.Id]; ok {
					fp(RuleID, "id %d also on feature %d", *f.Id, j)
				} else {
					ids[*f.Id] = i
				}
			}
			if len(f.Tags)%2 != 0 {
				fp(RuleTags, "%d tags, want pairs", len(f.Tags))
			}
			for k := 0; k+1 < len(f.Tags); k += 2 {
				if int(f.Tags[k]) >= len(l.Keys) || int(f.Tags[k+1]) >= len(l.Values) {
					fp(RuleTags, "tag %d/%d beyond %d keys, %d values", f.Tags[k], f.Tags[k+1], len(l.Keys), len(l.Values))
				}
			}
			for _, p := range checkGeometry(f.GetType(), f.Geometry) {
				fp(p[0], "%s", p[1])
			}
		}
	}
	return out, nil
}

type point struct{ x, y int64 }

// command is one decoded command: its id, and the absolute points it visits.
type command struct {
	id  uint32
	pts []point
}

const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// decode reads a command stream (4.3.1–4.3.3), returning the commands or the first fault.
func decode(geom []uint32) ([]command, string) {
	var out []command
	var cur point
	for i := 0; i < len(geom); {
		c := geom[i]
		i++
		id, n := c&7, int(c>>3)
		switch id {
		case cmdClosePath:
			if n != 1 {
				return nil, fmt.Sprintf("ClosePath with count %d", n)
			}
			out = append(out, command{id: id})
			continue
		case cmdMoveTo, cmdLineTo:
		default:
			return nil, fmt.Sprintf("command id %d", id)
		}
		if n == 0 {
			return nil, fmt.Sprintf("command %d with count 0", id)
		}
		if len(geom)-i < 2*n {
			return nil, fmt.Sprintf("command %d with count %d has %d parameters", id, n, len(geom)-i)
		}
		cmd := command{id: id, pts: make([]point, n)}
		for k := 0; k < n; k++ {
			dx, dy := unzigzag(geom[i]), unzigzag(geom[i+1])
			i += 2
			if id == cmdLineTo && dx == 0 && dy == 0 {
				return nil, "LineTo (0, 0)"
			}
			cur = point{cur.x + dx, cur.y + dy}
			cmd.pts[k] = cur
		}
		out = append(out, cmd)
	}
	return out, ""
}

func unzigzag(v uint32) int64 { return int64(int32(v>>1) ^ -int32(v&1)) }

// checkGeometry returns (rule, detail) pairs for a feature's geometry.
func checkGeometry(t vectortile.Tile_GeomType, geom []uint32) [][2]string {
	cmds, bad := decode(geom)
	if bad != "" {
		return [][2]string{{RuleCommand, bad}}
	}
	if len(cmds) == 0 {
		return [][2]string{{RuleCommand, "empty geometry"}}
	}
	switch t {
	case vectortile.Tile_POINT:
		if len(cmds) != 1 || cmds[0].id != cmdMoveTo {
			return [][2]string{{RuleCommand, "a point geometry is one MoveTo"}}
		}
		return nil
	case vectortile.Tile_LINESTRING:
		if len(cmds)%2 != 0 {
			return [][2]string{{RuleCommand, "a line geometry is pairs of MoveTo, LineTo"}}
		}
		for k := 0; k < len(cmds); k += 2 {
			if cmds[k].id != cmdMoveTo || len(cmds[k].pts) != 1 || cmds[k+1].id != cmdLineTo {
				return [][2]string{{RuleCommand, fmt.Sprintf("line %d: want MoveTo(1) LineTo(≥1)", k/2)}}
			}
		}
		return nil
	case vectortile.Tile_POLYGON:
		return checkPolygons(cmds)
	}
	return [][2]string{{RuleCommand, fmt.Sprintf("geometry type %v", t)}}
}

func checkPolygons(cmds []command) [][2]string {
	if len(cmds)%3 != 0 {
		return [][2]string{{RuleCommand, "a polygon geometry is triples of MoveTo, LineTo, ClosePath"}}
	}
	var out [][2]string
	var polys [][][]point
	for k := 0; k < len(cmds); k += 3 {
		r := k / 3
		if cmds[k].id != cmdMoveTo || len(cmds[k].pts) != 1 || cmds[k+1].id != cmdLineTo || cmds[k+2].id != cmdClosePath {
			return [][2]string{{RuleCommand, fmt.Sprintf("ring %d: want MoveTo(1) LineTo(≥2) ClosePath", r)}}
		}
		ring := append(append([]point(nil), cmds[k].pts...), cmds[k+1].pts...)
		if len(ring) < 3 {
			out = append(out, [2]string{RuleRing, fmt.Sprintf("ring %d: %d points with the closing one, want ≥ 4",
				r, len(ring)+1)})
			continue
		}
		if ring[len(ring)-1] == ring[0] {
			out = append(out, [2]string{RuleRing, fmt.Sprintf("ring %d: last point repeats the first (zero-length "+
				"closing edge)", r)})
			continue
		}
		a := area2(ring)
		switch {
		case a == 0:
			out = append(out, [2]string{RuleRing, fmt.Sprintf("ring %d: zero area", r)})
			continue
		case a > 0:
			polys = append(polys, [][]point{ring})
		case len(polys) == 0:
			out = append(out, [2]string{RuleWinding, fmt.Sprintf("ring %d: first ring has negative area (interior "+
				"winding)", r)})
			continue
		default:
			polys[len(polys)-1] = append(polys[len(polys)-1], ring)
		}
	}
	if len(out) > 0 {
		return out
	}
	sfPolys := make([]sf.Polygon, len(polys))
	for i, p := range polys {
		rings := make([]sf.LineString, len(p))
		for j, r := range p {
			fs := make([]float64, 0, 2*len(r)+2)
			for _, q := range r {
				fs = append(fs, float64(q.x), float64(q.y))
			}
			fs = append(fs, float64(r[0].x), float64(r[0].y))
			rings[j] = sf.NewLineString(sf.NewSequence(fs, sf.DimXY))
		}
		sfPolys[i] = sf.NewPolygon(rings)
		if err := sfPolys[i].Validate(); err != nil {
			out = append(out, [2]string{RuleGeometry, fmt.Sprintf("polygon %d: %v", i, err)})
		}
	}
	if len(out) == 0 && len(sfPolys) > 1 {
		if err := sf.NewMultiPolygon(sfPolys).Validate(); err != nil {
			out = append(out, [2]string{RuleGeometry, err.Error()})
		}
	}
	return out
}

// area2 is twice the signed area by the surveyor's formula, exact in integers: positive for an MVT exterior ring.
func area2(r []point) int64 {
	var a int64
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		a += p.x*q.y - q.x*p.y
	}
	return a
}
