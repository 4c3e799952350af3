package tiles_test

import (
	"bytes"
	"context"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"civmap/data/embedded"
	"civmap/data/sample"
	"civmap/tiles"
)

// TestMarshalMatchesOrb: tiles.Marshal gives mvt.Marshal's bytes exactly, for every z6–z14 tile of the sample county
// with all its layers (points, lines, polygons with holes, every property type civmap writes) and for hand-made layers
// holding what the sample lacks: a NaN and −0, values repeated across features, an empty layer, a feature without id
// or properties, and a property type only the library handles (the whole tile then goes to it).
func TestMarshalMatchesOrb(t *testing.T) {
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := sample.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	bound := orb.Bound{Min: orb.Point{121.6, 29.0}, Max: orb.Point{122.05, 29.65}}
	compared, sorted := 0, 0
	for _, tl := range tiles.TileCover(bound, 6, 14) {
		var ls mvt.Layers
		var names []string
		var feats [][]tiles.Feature
		for _, l := range tiles.ActiveLayers(tiles.Layers, int(tl.Z)) {
			fs, err := st.TileFeatures(ctx, l.Name, tiles.BufferedBound(tl), int(tl.Z))
			if err != nil {
				t.Fatal(err)
			}
			if ml := tiles.EncodeLayer(tl, l.Name, fs); ml != nil {
				ls = append(ls, ml)
			}
			names, feats = append(names, l.Name), append(feats, fs)
			for _, f := range fs {
				if f.Sorted != nil {
					sorted++
				}
			}
		}
		compareEncodeFeatures(t, tl, names, feats, ls)
		if len(ls) == 0 {
			continue
		}
		compareMarshal(t, tl, ls)
		compared++
	}
	if sorted == 0 {
		t.Error("no feature came with Sorted properties: EncodeFeatures' prepared path went untested")
	}
	if compared < 500 {
		t.Errorf("only %d tiles had features", compared)
	}
	feature := func(id any, g orb.Geometry, props geojson.Properties) *geojson.Feature {
		return &geojson.Feature{ID: id, Type: "Feature", Geometry: g, Properties: props}
	}
	odd := mvt.Layers{
		{Name: "a", Version: 2, Extent: 4096, Features: []*geojson.Feature{
			feature(uint64(7), orb.Point{-3, 4100}, geojson.Properties{"x": math.NaN(), "y": math.Copysign(0, -1), "s": "同"}),
			feature(uint64(8), orb.MultiPoint{{1, 2}, {3, 4}}, geojson.Properties{"x": math.NaN(), "y": 0.0, "s": "同",
				"n": int64(-5), "b": false}),
			feature(nil, orb.LineString{{0, 0}, {10, -10}, {4096, 4096}}, nil),
			feature(uint64(1<<40), orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 0}}}, geojson.Properties{"n": int64(-5), "b": true}),
		}},
		{Name: "empty", Version: 2, Extent: 4096},
	}
	compareMarshal(t, maptile.New(0, 0, 0), odd)
	odd[1].Features = []*geojson.Feature{feature(uint64(1), orb.Point{1, 1}, geojson.Properties{"u": uint32(3)})}
	compareMarshal(t, maptile.New(0, 0, 0), odd)
}

// compareEncodeFeatures checks that EncodeFeatures gives mvt.Marshal's bytes of the layers EncodeLayer makes (ls), with
// the features as given, with their Sorted properties dropped, and with a property only the slow path writes.
func compareEncodeFeatures(t *testing.T, tl maptile.Tile, names []string, feats [][]tiles.Feature, ls mvt.Layers) {
	t.Helper()
	var want []byte
	if len(ls) > 0 {
		var err error
		if want, err = mvt.Marshal(ls); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, feats [][]tiles.Feature) {
		got, err := tiles.EncodeFeatures(tl, names, feats)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("tile %d/%d/%d, %s: EncodeFeatures %d bytes, mvt.Marshal of EncodeLayer %d", tl.Z, tl.X, tl.Y, what,
				len(got), len(want))
		}
	}
	check("as the store gives them", feats)
	plain := make([][]tiles.Feature, len(feats))
	for i, fs := range feats {
		for _, f := range fs {
			f.Sorted = nil
			plain[i] = append(plain[i], f)
		}
	}
	check("without Sorted", plain)
	for i, fs := range plain {
		if len(fs) == 0 {
			continue
		}
		odd := maps.Clone(fs[0].Properties)
		odd["u"] = uint32(3) // not a MapProperties type: the whole tile goes through EncodeLayer and Marshal
		plain[i][0].Properties = odd
		ml := tiles.EncodeLayer(tl, names[i], plain[i])
		if ml == nil {
			return
		}
		ls2 := slices.Clone(ls)
		for k := range ls2 {
			if ls2[k].Name == names[i] {
				ls2[k] = ml
			}
		}
		var err error
		if want, err = mvt.Marshal(ls2); err != nil {
			t.Fatal(err)
		}
		check("with a uint32 property", plain)
		return
	}
}

func compareMarshal(t *testing.T, tl maptile.Tile, ls mvt.Layers) {
	t.Helper()
	want, err := mvt.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tiles.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("tile %d/%d/%d: %d bytes, mvt.Marshal %d\n got %x\nwant %x", tl.Z, tl.X, tl.Y, len(got), len(want),
			got[:min(len(got), 96)], want[:min(len(want), 96)])
	}
}
