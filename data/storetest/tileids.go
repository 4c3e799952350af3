package storetest

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/internal/edit"
	"civmap/tiles"
)

// tileLayers renders tile t of every layer from s, uncached and without the byte cap, and decodes it (nil: empty).
func tileLayers(t *testing.T, s data.Store, tl maptile.Tile) mvt.Layers {
	t.Helper()
	svc, err := tiles.NewService(s, tiles.Options{CacheMB: -1, MaxTileBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Render(t.Context(), tl, tiles.Layers)
	if err != nil {
		t.Fatalf("tile %d/%d/%d: %v", tl.Z, tl.X, tl.Y, err)
	}
	if len(b) == 0 {
		return nil
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("tile %d/%d/%d: %v", tl.Z, tl.X, tl.Y, err)
	}
	return ls
}

// checkTileIDs fails for a tile whose layer repeats a feature id or has one that is 0 or above tiles.MaxTileID, and
// records in seen (layer → id → the feature's key) ids that two different records share across tiles.
func checkTileIDs(t *testing.T, tl maptile.Tile, ls mvt.Layers, seen map[string]map[uint64]string) {
	t.Helper()
	for _, l := range ls {
		inTile := map[uint64]bool{}
		if seen[l.Name] == nil {
			seen[l.Name] = map[uint64]string{}
		}
		for _, f := range l.Features {
			id, _ := f.ID.(float64)
			u := uint64(id)
			if u == 0 || u > tiles.MaxTileID || id != math.Trunc(id) {
				t.Errorf("tile %d/%d/%d %s: feature id %v (%v)", tl.Z, tl.X, tl.Y, l.Name, f.ID, f.Properties)
			}
			if inTile[u] {
				t.Errorf("tile %d/%d/%d %s: id %d repeated", tl.Z, tl.X, tl.Y, l.Name, u)
			}
			inTile[u] = true
			key := featureKey(l.Name, f)
			if k, ok := seen[l.Name][u]; ok && k != key {
				t.Errorf("%s: records %s and %s share id %d", l.Name, k, key, u)
			}
			seen[l.Name][u] = key
		}
	}
}

// featureKey is the text key a feature carries: its record's key, and for the divisions layer whether it is the label.
func featureKey(layer string, f *geojson.Feature) string {
	switch layer {
	case "divisions":
		return fmt.Sprint(f.Properties["code"], "/label=", f.Properties["label_point"])
	case "markers":
		return fmt.Sprint(f.Properties["number"])
	case "demand":
		return fmt.Sprint(f.Properties["code"])
	}
	return fmt.Sprint(f.Properties["id"])
}

// placeTileIDs returns the tile id of every place drawn in the z14 tiles covering bound.
func placeTileIDs(t *testing.T, s data.Store, bound orb.Bound) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	seen := map[string]map[uint64]string{}
	for _, tl := range tiles.TileCover(bound, 14, 14) {
		ls := tileLayers(t, s, tl)
		checkTileIDs(t, tl, ls, seen)
		for _, l := range ls {
			if l.Name == "places" {
				for _, f := range l.Features {
					out[f.Properties["id"].(string)] = uint64(f.ID.(float64))
				}
			}
		}
	}
	return out
}

// testTileIDs: keys that the old derived ids confused ("7" and "007"; a text key whose FNV hash was another key's
// number; "0", which got id 0) get distinct, non-zero ids, unique per layer; an update keeps the id, a reopen keeps
// every id, and a new record gets a fresh one.
func testTileIDs(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(data.Batch{Divisions: fixtureDivisions(), Places: fixturePlaces(), Lines: fixtureLines(),
		Markers: fixtureMarkers(), Facilities: fixtureFacilities(), Demand: fixtureDemand()})
	keys := []string{"7", "007", "0", "abc-text", "2442015249730681"}
	for i, k := range keys {
		p := gazetteer.Place{ID: k, Name: "地名" + k, Category: "road", Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{codeA}, Geometry: orb.Point{121.01 + 0.01*float64(i), 29.09}}
		if _, err := h.s.CreatePlace(ctx, p, testMeta); err != nil {
			t.Fatal(err)
		}
	}
	area := orb.Bound{Min: orb.Point{121.0, 29.0}, Max: orb.Point{121.4, 29.2}}
	ids := placeTileIDs(t, h.s, area)
	byID := map[uint64]string{}
	for _, k := range append(keys, placeOrder...) {
		id, ok := ids[k]
		if !ok {
			t.Errorf("place %q not drawn at z14", k)
			continue
		}
		if other, dup := byID[id]; dup {
			t.Errorf("places %q and %q share tile id %d", other, k, id)
		}
		byID[id] = k
	}

	// An update (moved, renamed) keeps the id; so does a reopen; a new place gets an id no other place has.
	p, err := h.s.Place(ctx, "7")
	if err != nil {
		t.Fatal(err)
	}
	p.Name, p.Geometry = "改名", orb.Point{121.31, 29.11}
	if _, err := h.s.UpdatePlace(ctx, p, p.Version, testMeta); err != nil {
		t.Fatal(err)
	}
	h.load(data.Batch{Places: []gazetteer.Place{{ID: "007", Name: "再导入", Category: "road",
		Status: gazetteer.StatusCurrent, DivisionCodes: []string{codeA}, Geometry: orb.Point{121.32, 29.11}}}})
	after := placeTileIDs(t, h.s, area)
	h.reopen()
	reopened := placeTileIDs(t, h.s, area)
	for k, id := range ids {
		if after[k] != id || reopened[k] != id {
			t.Errorf("place %q: tile id %d, after edits %d, after reopen %d", k, id, after[k], reopened[k])
		}
	}
	if _, err := h.s.CreatePlace(ctx, gazetteer.Place{ID: "新-1", Name: "新", Category: "road",
		Status: gazetteer.StatusCurrent, DivisionCodes: []string{codeA}, Geometry: orb.Point{121.33, 29.11}}, testMeta); err != nil {
		t.Fatal(err)
	}
	fresh := placeTileIDs(t, h.s, area)
	if id := fresh["新-1"]; id == 0 || byID[id] != "" {
		t.Errorf("new place: tile id %d (already %q's)", id, byID[id])
	}
}

// SyntheticPlaces is n generated places (sample.WriteSyntheticPlaces: points over the county's townships).
func SyntheticPlaces(t testing.TB, n int, seed uint64) []gazetteer.Place {
	t.Helper()
	var buf bytes.Buffer
	if err := sample.WriteSyntheticPlaces(&buf, n, seed); err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]gazetteer.Place, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = gazetteer.Place{ID: f.ID.(string), Name: f.Properties.MustString("name"),
			Category: f.Properties.MustString("category"), Status: gazetteer.StatusCurrent,
			DivisionCodes: []string{sample.CountyCode}, Geometry: f.Geometry}
	}
	return out
}

// testTileIDsSample: over the bundled sample and 5,000 generated places, every layer's ids are unique in every tile
// from z8 to z13 and across tiles.
func testTileIDsSample(t *testing.T, h *harness) {
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	b.Places = append(b.Places, SyntheticPlaces(t, 5000, 13)...)
	h.load(*b)
	seen := map[string]map[uint64]string{}
	n := 0
	for _, tl := range tiles.TileCover(tiles.BenchBound, 8, 13) {
		ls := tileLayers(t, h.s, tl)
		checkTileIDs(t, tl, ls, seen)
		n += len(ls)
	}
	for _, layer := range []string{"divisions", "places", "boundary_lines", "markers", "facilities", "demand"} {
		if len(seen[layer]) == 0 {
			t.Errorf("layer %s never drawn", layer)
		}
	}
	if got := len(seen["places"]); got < 4900 { // a few generated places lie outside BenchBound
		t.Errorf("%d places drawn, want at least 4900", got)
	}
}

// DenseBatch is the bundled sample with n generated places (sample.WriteSyntheticPlaces, seed) over the county for
// the label grid to thin: one in 50 a hospital and one in 20 a school (the rest rank last), 400 polygon places from
// 0.01° to 0.05° across the seam of tiles 8/214/105 and 8/214/106 (small at some zooms, big at others), and 3 stacks of
// 50 points each exactly on a z10, z9 and z12 cell corner (all in one cell, ranked by tile id alone).
func DenseBatch(t testing.TB, n int, seed uint64) *data.Batch {
	t.Helper()
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	gen := SyntheticPlaces(t, n, seed)
	for i := range gen {
		switch {
		case i%50 == 0:
			gen[i].Category = "hospital"
		case i%20 == 0:
			gen[i].Category = "school"
		}
	}
	b.Places = append(b.Places, gen...)
	edge := maptile.New(214, 106, 8).Bound().Max[1] // the latitude tiles 8/214/105 and 8/214/106 share
	for i := range 400 {
		w := 0.01 + 0.0001*float64(i)
		x := 121.75 + 0.0009*float64(i)
		b.Places = append(b.Places, gazetteer.Place{ID: fmt.Sprintf("S%04d", i), Name: "跨界面", Category: "test",
			Status: gazetteer.StatusCurrent, DivisionCodes: []string{sample.CountyCode},
			Geometry: orb.Polygon{square(x, edge-w/3, x+w, edge+w/2)}})
	}
	for _, z := range []int{10, 9, 12} {
		// The north-west corner of a tile in the county is a cell corner at every zoom from z.
		c := maptile.At(orb.Point{121.87, 29.45}, maptile.Zoom(z)).Bound()
		corner := orb.Point{c.Min[0], c.Max[1]}
		for i := range 50 {
			b.Places = append(b.Places, gazetteer.Place{ID: fmt.Sprintf("E%02d-%02d", z, i), Name: "格角", Category: "test",
				Status: gazetteer.StatusCurrent, DivisionCodes: []string{sample.CountyCode}, Geometry: corner})
		}
	}
	return b
}

// featureIDs returns the ids of layer's features in ls.
func featureIDs(ls mvt.Layers, layer string) map[float64]*geojson.Feature {
	out := map[float64]*geojson.Feature{}
	for _, l := range ls {
		if l.Name == layer {
			for _, f := range l.Features {
				out[f.ID.(float64)] = f
			}
		}
	}
	return out
}

// tileAtZoom renders tile tl of every layer from s with the features drawn at zoom (zoom > tl.Z: none thinned), as the
// tile service does (MVTSource when the store makes whole tiles, else EncodeZoom), and decodes it.
func tileAtZoom(t *testing.T, s data.Store, tl maptile.Tile, zoom int) mvt.Layers {
	t.Helper()
	active := tiles.ActiveLayers(tiles.Layers, int(tl.Z))
	var b []byte
	var err error
	if ms, ok := s.(tiles.MVTSource); ok {
		b, err = ms.MVT(t.Context(), tl, active, zoom)
	} else {
		b, err = tiles.EncodeZoom(t.Context(), s.(tiles.FeatureSource), tl, active, zoom)
	}
	if err != nil {
		t.Fatalf("tile %d/%d/%d at zoom %d: %v", tl.Z, tl.X, tl.Y, zoom, err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// testSampleDrawnWhole: the county's 49 places and 406 facilities are sparse enough for the label grid to draw every
// one of them at z9 and z10 (what planners look at the county at) over the tiles that cover them — a rule that thins
// whatever the density (a quarter per zoom out) left most of them out. Every tile draws exactly what it draws
// unthinned, so the only places missing are those whose polygon is under a tile unit² and vanishes in encoding (one
// school ground at z9, none at z10); z12 too. At z8 the densest cell's facilities (36 > tiles.CellLimit) are thinned
// to 32 (and 4 more school grounds vanish).
func testSampleDrawnWhole(t *testing.T, h *harness) {
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	h.load(*b)
	var bound orb.Bound
	for i, f := range b.Facilities {
		if i == 0 {
			bound = f.Location.Bound()
		}
		bound = bound.Union(f.Location.Bound())
	}
	for _, p := range b.Places {
		bound = bound.Union(p.Geometry.Bound())
	}
	if len(b.Places) != 49 || len(b.Facilities) != 406 {
		t.Fatalf("sample: %d places, %d facilities", len(b.Places), len(b.Facilities))
	}
	for _, c := range []struct{ z, minPlaces, facilities int }{{8, 44, 402}, {9, 48, 406}, {10, 49, 406}, {12, 49, 406}} {
		drawn := map[string]map[string]bool{"places": {}, "facilities": {}}
		for _, tl := range tiles.TileCover(bound, c.z, c.z) {
			thinned, whole := tileAtZoom(t, h.s, tl, c.z), tileAtZoom(t, h.s, tl, 22)
			for layer, ids := range drawn {
				got, want := featureIDs(thinned, layer), featureIDs(whole, layer)
				for id, f := range got {
					ids[f.Properties["id"].(string)] = true
					if want[id] == nil {
						t.Errorf("%v %s: %v drawn thinned, not whole", tl, layer, f.Properties["id"])
					}
				}
				if c.z > 8 || layer == "places" {
					for id, f := range want {
						if got[id] == nil {
							t.Errorf("z%d %v %s: %v thinned out", c.z, tl, layer, f.Properties["id"])
						}
					}
				}
			}
		}
		if n := len(drawn["places"]); n < c.minPlaces || n > len(b.Places) {
			t.Errorf("z%d: %d of %d places drawn, want at least %d", c.z, n, len(b.Places), c.minPlaces)
		}
		if n := len(drawn["facilities"]); n != c.facilities {
			t.Errorf("z%d: %d of %d facilities drawn, want %d", c.z, n, len(b.Facilities), c.facilities)
		}
	}
}

// testTileSeams: with 100,000 generated places (and polygon places across the seam: DenseBatch), the two z8 tiles
// 8/214/105 and 8/214/106 agree on their shared buffered edge: every feature one draws whose geometry meets the band
// the other's buffer covers is in the other too — what a feature cap taken per tile broke, and what the label grid
// keeps by ranking each cell over all its members. And z8 draws far fewer places than z13: at most
// (GridCells+2)²·CellLimit small ones per buffered tile.
func testTileSeams(t *testing.T, h *harness) {
	b := DenseBatch(t, 100000, 1)
	h.load(*b)
	// z8 over the seam the polygons cross; z10 and z12 where the cell-corner stacks and the county seat are.
	z10 := maptile.At(orb.Point{121.87, 29.45}, 10)
	z12 := maptile.At(orb.Point{121.87, 29.45}, 12)
	for _, pair := range [][2]maptile.Tile{{maptile.New(214, 105, 8), maptile.New(214, 106, 8)},
		{maptile.New(z10.X, z10.Y-1, 10), z10}, {maptile.New(z12.X, z12.Y-1, 12), z12}} {
		testSeam(t, h, pair[0], pair[1])
	}
}

// testSeam: the north and south tiles (neighbours) agree on their shared buffered edge (see testTileSeams).
func testSeam(t *testing.T, h *harness, north, south maptile.Tile) {
	t.Helper()
	a, c := tileLayers(t, h.s, north), tileLayers(t, h.s, south)
	// In north's coordinates south's buffered tile starts at y = 4096 − 64; in south's, north's ends at y = 64. One
	// unit is left on each side for snapping.
	inBand := func(g orb.Geometry, lo, hi float64) bool {
		bd := g.Bound()
		return bd.Max[1] >= lo && bd.Min[1] <= hi
	}
	ids := featureIDs
	for _, layer := range []string{"places", "divisions", "facilities", "demand"} {
		na, nc := ids(a, layer), ids(c, layer)
		missing, shared := 0, 0
		for id, f := range na {
			if inBand(f.Geometry, tiles.Extent-tiles.Buffer+1, tiles.Extent+tiles.Buffer-1) {
				shared++
				if nc[id] == nil {
					if missing++; missing <= 5 {
						t.Errorf("%s: %v in %v's southern buffer, not in %v", layer, f.Properties["id"], north, south)
					}
				}
			}
		}
		for id, f := range nc {
			if inBand(f.Geometry, -tiles.Buffer+1, tiles.Buffer-1) {
				shared++
				if na[id] == nil {
					if missing++; missing <= 10 {
						t.Errorf("%s: %v in %v's northern buffer, not in %v", layer, f.Properties["id"], south, north)
					}
				}
			}
		}
		if missing > 0 {
			t.Errorf("%v/%v %s: %d of %d features at the seam missing from the other tile", north, south, layer,
				missing, shared)
		}
		if layer == "places" && shared < 10 {
			t.Errorf("%v places: only %d at the seam", north, shared)
		}
	}
	limit := (tiles.GridCells + 2) * (tiles.GridCells + 2) * tiles.CellLimit
	for _, n := range []int{len(ids(a, "places")), len(ids(c, "places"))} {
		if n < 100 || n > limit+400 { // the 400 polygons may be big
			t.Errorf("z%d: %d places drawn in a tile, want some but at most %d", north.Z, n, limit+400)
		}
	}
}

// testTileFollowsFacilityEdits: a facility drawn in a tile, then renamed and moved, is drawn renamed at its new place in
// the next render, and not at all once deleted (the embedded store keeps decoded facility features between tiles;
// a kept one must never outlive its record's write).
func testTileFollowsFacilityEdits(t *testing.T, h *harness) {
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	h.load(*b)
	ctx := t.Context()
	meta := edit.Meta{Actor: "test", Action: "update"}
	f, err := h.s.Facility(ctx, b.Facilities[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	tl := maptile.At(f.Location, 14)
	drawn := func(want string) *geojson.Feature {
		for _, g := range tileLayers(t, h.s, tl).ToFeatureCollections()["facilities"].Features {
			if g.Properties["id"] == f.ID {
				if g.Properties["name"] != want {
					t.Errorf("facility %s drawn named %v, want %q", f.ID, g.Properties["name"], want)
				}
				return g
			}
		}
		return nil
	}
	if drawn(f.Name) == nil {
		t.Fatalf("facility %s not in tile %v", f.ID, tl)
	}
	before := tileLayers(t, h.s, tl)
	f.Name += "（新址）"
	f.Location = orb.Point{f.Location[0] + 0.0005, f.Location[1] + 0.0003} // ~50 m east: same z14 tile
	if maptile.At(f.Location, 14) != tl {
		t.Fatal("the moved facility left the tile")
	}
	v, err := h.s.PutFacility(ctx, f, f.Version, meta)
	if err != nil {
		t.Fatal(err)
	}
	g := drawn(f.Name)
	if g == nil {
		t.Fatalf("renamed facility %s not drawn", f.ID)
	}
	var old orb.Point
	for _, o := range before.ToFeatureCollections()["facilities"].Features {
		if o.Properties["id"] == f.ID {
			old = o.Geometry.(orb.Point)
		}
	}
	if g.Geometry.(orb.Point) == old {
		t.Errorf("moved facility %s still drawn at %v", f.ID, old)
	}
	if _, err := h.s.DeleteFacility(ctx, f.ID, v, meta); err != nil {
		t.Fatal(err)
	}
	for _, g := range tileLayers(t, h.s, tl).ToFeatureCollections()["facilities"].Features {
		if g.Properties["id"] == f.ID {
			t.Errorf("deleted facility %s still drawn", f.ID)
		}
	}
}
