package tiletest

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
)

// geomBuilder writes a command stream by hand, so that the checker can be fed what no encoder would write.
type geomBuilder struct {
	out  []uint32
	x, y int64
}

func zz(v int64) uint32 { return uint32((v << 1) ^ (v >> 63)) }

func (g *geomBuilder) cmd(id uint32, pts ...[2]int64) *geomBuilder {
	g.out = append(g.out, uint32(len(pts))<<3|id)
	for _, p := range pts {
		g.out = append(g.out, zz(p[0]-g.x), zz(p[1]-g.y))
		g.x, g.y = p[0], p[1]
	}
	return g
}

// ring writes MoveTo(first) LineTo(rest) ClosePath.
func (g *geomBuilder) ring(pts ...[2]int64) *geomBuilder {
	return g.cmd(cmdMoveTo, pts[0]).cmd(cmdLineTo, pts[1:]...).close()
}

func (g *geomBuilder) close() *geomBuilder { g.out = append(g.out, 1<<3|cmdClosePath); return g }

func feature(id uint64, t vectortile.Tile_GeomType, g *geomBuilder) *vectortile.Tile_Feature {
	return &vectortile.Tile_Feature{Id: &id, Type: &t, Geometry: g.out}
}

func tileOf(t *testing.T, layers ...*vectortile.Tile_Layer) []byte {
	t.Helper()
	b, err := (&vectortile.Tile{Layers: layers}).XXX_Marshal(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func layer(name string, fs ...*vectortile.Tile_Feature) *vectortile.Tile_Layer {
	v, e := uint32(2), uint32(4096)
	return &vectortile.Tile_Layer{Name: &name, Version: &v, Extent: &e, Features: fs}
}

func b() *geomBuilder { return &geomBuilder{} }

// Rings in tile coordinates (y down): clockwise on screen is positive area, an exterior ring.
var (
	square   = [][2]int64{{0, 0}, {100, 0}, {100, 100}, {0, 100}}     // exterior
	squareCC = [][2]int64{{0, 0}, {0, 100}, {100, 100}, {100, 0}}     // the same, counter-clockwise: interior winding
	hole     = [][2]int64{{20, 20}, {20, 40}, {40, 40}, {40, 20}}     // interior inside square
	square2  = [][2]int64{{200, 0}, {300, 0}, {300, 100}, {200, 100}} // exterior apart from square
)

func TestValidateChecker(t *testing.T) {
	poly, line, pt := vectortile.Tile_POLYGON, vectortile.Tile_LINESTRING, vectortile.Tile_POINT
	cases := []struct {
		name string
		f    *vectortile.Tile_Feature
		want string // "" for valid
	}{
		{"square", feature(1, poly, b().ring(square...)), ""},
		{"square with hole", feature(1, poly, b().ring(square...).ring(hole...)), ""},
		{"two polygons", feature(1, poly, b().ring(square...).ring(hole...).ring(square2...)), ""},
		{"polygons touching at a corner", feature(1, poly, b().ring(square...).
			ring([2]int64{100, 100}, [2]int64{200, 100}, [2]int64{200, 200}, [2]int64{100, 200})), ""},
		{"hole touching the exterior at a point", feature(1, poly, b().ring(square...).
			ring([2]int64{0, 50}, [2]int64{30, 70}, [2]int64{30, 30})), ""},
		{"point", feature(1, pt, b().cmd(cmdMoveTo, [2]int64{5, 5})), ""},
		{"multipoint", feature(1, pt, b().cmd(cmdMoveTo, [2]int64{5, 5}, [2]int64{6, 6})), ""},
		{"line", feature(1, line, b().cmd(cmdMoveTo, [2]int64{5, 5}).cmd(cmdLineTo, [2]int64{9, 5})), ""},
		{"self-crossing line is fine", feature(1, line, b().cmd(cmdMoveTo, [2]int64{0, 0}).
			cmd(cmdLineTo, [2]int64{10, 10}, [2]int64{10, 0}, [2]int64{0, 10})), ""},

		{"interior winding first", feature(1, poly, b().ring(squareCC...)), RuleWinding},
		{"three points", feature(1, poly, b().ring([2]int64{0, 0}, [2]int64{10, 0})), RuleRing},
		{"explicit closing point", feature(1, poly, b().ring(append(slices.Clone(square), square[0])...)), RuleRing},
		{"collinear ring", feature(1, poly, b().ring([2]int64{0, 0}, [2]int64{10, 0}, [2]int64{20, 0})), RuleRing},
		{"bowtie", feature(1, poly, b().ring([2]int64{0, 0}, [2]int64{100, 100}, [2]int64{100, 0},
			[2]int64{0, 100}, [2]int64{-1, 60})), RuleGeometry},
		{"self-touching at a vertex", feature(1, poly, b().ring([2]int64{0, 0}, [2]int64{100, 0}, [2]int64{100, 100},
			[2]int64{50, 0}, [2]int64{0, 100})), RuleGeometry},
		{"zero-width spike", feature(1, poly, b().ring([2]int64{0, 0}, [2]int64{100, 0}, [2]int64{200, 0},
			[2]int64{100, 0}, [2]int64{100, 100}, [2]int64{0, 100})), RuleGeometry},
		// The old Sutherland–Hodgman output of issue 13: one ring joining a U's two arms along the buffer edge.
		{"edges overlapping along the buffer", feature(1, poly, b().ring([2]int64{600, 4160}, [2]int64{600, 800},
			[2]int64{1200, 800}, [2]int64{1200, 4160}, [2]int64{2800, 4160}, [2]int64{2800, 800}, [2]int64{3400, 800},
			[2]int64{3400, 4160})), RuleGeometry},
		{"hole sharing an edge", feature(1, poly, b().ring(square...).
			ring([2]int64{0, 20}, [2]int64{0, 40}, [2]int64{30, 40}, [2]int64{30, 20})), RuleGeometry},
		{"hole outside", feature(1, poly, b().ring(square...).
			ring([2]int64{220, 20}, [2]int64{220, 40}, [2]int64{240, 40}, [2]int64{240, 20})), RuleGeometry},
		{"hole crossing the exterior", feature(1, poly, b().ring(square...).
			ring([2]int64{-10, 20}, [2]int64{-10, 40}, [2]int64{30, 40}, [2]int64{30, 20})), RuleGeometry},
		{"polygons sharing an edge", feature(1, poly, b().ring(square...).
			ring([2]int64{100, 0}, [2]int64{200, 0}, [2]int64{200, 100}, [2]int64{100, 100})), RuleGeometry},
		{"polygons overlapping", feature(1, poly, b().ring(square...).
			ring([2]int64{50, 50}, [2]int64{150, 50}, [2]int64{150, 150}, [2]int64{50, 150})), RuleGeometry},
		{"LineTo (0, 0)", feature(1, line, b().cmd(cmdMoveTo, [2]int64{5, 5}).
			cmd(cmdLineTo, [2]int64{5, 5}, [2]int64{9, 9})), RuleCommand},
		{"line of one point", feature(1, line, b().cmd(cmdMoveTo, [2]int64{5, 5})), RuleCommand},
		{"line MoveTo(2)", feature(1, line, b().cmd(cmdMoveTo, [2]int64{5, 5}, [2]int64{6, 6}).
			cmd(cmdLineTo, [2]int64{9, 9})), RuleCommand},
		{"point with LineTo", feature(1, pt, b().cmd(cmdMoveTo, [2]int64{5, 5}).cmd(cmdLineTo, [2]int64{9, 9})),
			RuleCommand},
		{"ring without ClosePath", feature(1, poly, b().cmd(cmdMoveTo, square[0]).cmd(cmdLineTo, square[1:]...)),
			RuleCommand},
		{"ClosePath count 2", feature(1, poly, &geomBuilder{out: append(b().cmd(cmdMoveTo, square[0]).
			cmd(cmdLineTo, square[1:]...).out, 2<<3|cmdClosePath)}), RuleCommand},
		{"missing parameters", feature(1, poly, &geomBuilder{out: []uint32{1<<3 | cmdMoveTo, 2}}), RuleCommand},
		{"command id 3", feature(1, poly, &geomBuilder{out: []uint32{1<<3 | 3, 2, 2}}), RuleCommand},
		{"unknown geometry type", feature(1, vectortile.Tile_UNKNOWN, b().ring(square...)), RuleCommand},
		{"empty geometry", feature(1, poly, b()), RuleCommand},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, err := Validate(tileOf(t, layer("l", c.f)))
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(ps) != 0 {
					t.Errorf("valid feature: %v", ps)
				}
				return
			}
			if len(ps) == 0 {
				t.Fatalf("no problem found, want %s", c.want)
			}
			for _, p := range ps {
				if p.Rule != c.want || p.Layer != "l" || p.Feature != 0 || p.ID != 1 {
					t.Errorf("%v, want rule %s on feature 0", p, c.want)
				}
			}
		})
	}
}

func TestValidateLayersIDsTags(t *testing.T) {
	poly := vectortile.Tile_POLYGON
	sq := func(id uint64) *vectortile.Tile_Feature { return feature(id, poly, b().ring(square...)) }
	rules := func(ps []Problem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Rule)
		}
		return out
	}
	ps, _ := Validate(tileOf(t, layer("a", sq(1), sq(2)), layer("b", sq(1))))
	if len(ps) != 0 {
		t.Errorf("ids unique per layer: %v", ps)
	}
	ps, _ = Validate(tileOf(t, layer("a", sq(1), sq(2), sq(1))))
	if !slices.Equal(rules(ps), []string{RuleID}) || ps[0].Feature != 2 {
		t.Errorf("repeated id: %v", ps)
	}
	// Features without an id do not clash.
	noID := sq(0)
	noID.Id = nil
	if ps, _ = Validate(tileOf(t, layer("a", noID, noID))); len(ps) != 0 {
		t.Errorf("features without ids: %v", ps)
	}
	if ps, _ = Validate(tileOf(t, layer("a", sq(1)), layer("a", sq(2)))); !slices.Equal(rules(ps), []string{RuleLayer}) {
		t.Errorf("repeated layer: %v", ps)
	}
	v1 := layer("a", sq(1))
	*v1.Version = 1
	if ps, _ = Validate(tileOf(t, v1)); !slices.Equal(rules(ps), []string{RuleLayer}) {
		t.Errorf("version 1: %v", ps)
	}
	tagged := sq(1)
	tagged.Tags = []uint32{0, 0, 1}
	if ps, _ = Validate(tileOf(t, layer("a", tagged))); !slices.Equal(rules(ps), []string{RuleTags, RuleTags}) {
		t.Errorf("odd tags, no keys: %v", ps)
	}
	if _, err := Validate([]byte{0xff, 0xff}); err == nil {
		t.Error("garbage: no error")
	}
}

// TestValidateOrbTiles: tiles written by orb's encoder from valid geometry pass.
func TestValidateOrbTiles(t *testing.T) {
	p := orb.Polygon{ring(square), ring(hole)}
	ls := mvt.Layers{{Name: "x", Version: 2, Extent: 4096, Features: []*geojson.Feature{
		{ID: 1, Geometry: p}, {ID: 2, Geometry: orb.LineString{{0, 0}, {5, 5}}}, {ID: 3, Geometry: orb.Point{1, 2}}}}}
	data, err := mvt.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := Validate(data); err != nil || len(ps) != 0 {
		t.Errorf("%v %v", ps, err)
	}
}

func ring(pts [][2]int64) orb.Ring {
	r := orb.Ring{}
	for _, p := range append(pts, pts[0]) {
		r = append(r, orb.Point{float64(p[0]), float64(p[1])})
	}
	return r
}
