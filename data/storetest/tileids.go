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

// syntheticPlaces is n generated places (sample.WriteSyntheticPlaces: points over the county's townships).
func syntheticPlaces(t *testing.T, n int, seed uint64) []gazetteer.Place {
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
	b.Places = append(b.Places, syntheticPlaces(t, 5000, 13)...)
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

// testTileSeams: with 100,000 generated places (and polygon places across the seam), the two z8 tiles 8/214/105 and
// 8/214/106 agree on their shared buffered edge: every feature one draws whose geometry meets the band the other's
// buffer covers is in the other too — what a feature cap taken per tile broke. And z8 draws far fewer places than
// z13 (the min-zoom rule thins them).
func testTileSeams(t *testing.T, h *harness) {
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	b.Places = append(b.Places, syntheticPlaces(t, 100000, 1)...)
	north, south := maptile.New(214, 105, 8), maptile.New(214, 106, 8)
	edge := south.Bound().Max[1] // the latitude both tiles share
	for i := range 400 {
		w := 0.01 + 0.0001*float64(i) // 0.01° to 0.05°: the size rule draws the larger ones from z8 to z10
		x := 121.75 + 0.0009*float64(i)
		b.Places = append(b.Places, gazetteer.Place{ID: fmt.Sprintf("S%04d", i), Name: "跨界面", Category: "test",
			Status: gazetteer.StatusCurrent, DivisionCodes: []string{sample.CountyCode},
			Geometry: orb.Polygon{square(x, edge-w/3, x+w, edge+w/2)}})
	}
	h.load(*b)
	a, c := tileLayers(t, h.s, north), tileLayers(t, h.s, south)
	// In north's coordinates south's buffered tile starts at y = 4096 − 64; in south's, north's ends at y = 64. One
	// unit is left on each side for snapping.
	inBand := func(g orb.Geometry, lo, hi float64) bool {
		bd := g.Bound()
		return bd.Max[1] >= lo && bd.Min[1] <= hi
	}
	ids := func(ls mvt.Layers, layer string) map[float64]*geojson.Feature {
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
			t.Errorf("%s: %d of %d features at the seam missing from the other tile", layer, missing, shared)
		}
		if layer == "places" && shared < 10 {
			t.Errorf("places: only %d at the seam", shared)
		}
	}
	z8 := len(ids(a, "places")) + len(ids(c, "places"))
	if z8 == 0 || z8 > 5000 {
		t.Errorf("z8: %d places drawn in the two tiles, want some but not 100,000", z8)
	}
}
