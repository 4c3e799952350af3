package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"civmap/data/postgis/pgtest"
	"civmap/gazetteer"
	"civmap/tiles"
	"civmap/tiles/tiletest"
)

// pinnedFacility is the facility the acceptance test pins: 丹瀛社区老年食堂, CT-330225002008, at 121.880694, 29.432304.
const pinnedFacility = "CT-330225002008"

// crossStoreTiles is the fixed tile set of TestTilesCrossStore: every z8–z11 tile over Xiangshan (tiles.BenchBound),
// and at z12–z14 the 3×3 tiles around the pinned facility (township polygons cross their edges: the facility is near
// the 丹东/丹西 boundary) and around three township seats.
func crossStoreTiles(facility orb.Point, seats []orb.Point) []maptile.Tile {
	out := tiles.TileCover(tiles.BenchBound, 8, 11)
	for _, c := range append([]orb.Point{facility}, seats...) {
		for z := maptile.Zoom(12); z <= 14; z++ {
			m := maptile.At(c, z)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					t := maptile.New(uint32(int(m.X)+dx), uint32(int(m.Y)+dy), z)
					if !slices.Contains(out, t) {
						out = append(out, t)
					}
				}
			}
		}
	}
	return out
}

func tilePath(t maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", tiles.AllLayers(), t.Z, t.X, t.Y)
}

// TestTilesCrossStore is the tile acceptance test: the sample on both stores, served over HTTP, decodes to the same
// tiles (diffTiles) over a fixed set of z8–z14 tiles; on each store a facility is within a pixel of the truth at z14,
// an empty tile is 204, and moving a place with PUT (If-Match) changes the z14 tiles at its old and new positions on
// the next request.
func TestTilesCrossStore(t *testing.T) {
	em, emStore := sampleServer(t, &storeFlags{dataDir: t.TempDir()})
	pg, _ := sampleServer(t, &storeFlags{databaseURL: pgtest.NewDatabase(t)})
	ctx := context.Background()

	facs := readSample(t, "facilities.synthetic.geojson")
	var facility orb.Point
	for _, f := range facs.Features {
		if f.Properties.MustString("id") == pinnedFacility {
			facility = f.Geometry.(orb.Point)
		}
	}
	if facility == (orb.Point{}) {
		t.Fatalf("facility %s not in the sample", pinnedFacility)
	}
	var seats []orb.Point
	towns, err := emStore.Divisions(ctx, gazetteer.DivisionQuery{Level: gazetteer.LevelTownship})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range towns {
		if d.Seat != nil && len(seats) < 3 {
			seats = append(seats, *d.Seat)
		}
	}

	set := crossStoreTiles(facility, seats)
	nonEmpty, crossing, diffs := 0, 0, 0
	for _, tl := range set {
		a := do(t, "GET", em.URL+tilePath(tl), "")
		b := do(t, "GET", pg.URL+tilePath(tl), "")
		if a.status != b.status || (a.status != http.StatusOK && a.status != http.StatusNoContent) {
			t.Errorf("tile %v: status embedded %d, postgis %d (%s)", tl, a.status, b.status, b.body)
			continue
		}
		if a.status == http.StatusNoContent {
			continue
		}
		nonEmpty++
		for _, d := range tiletest.Diff(a.body, b.body) {
			if diffs++; diffs <= 30 {
				t.Errorf("tile %d/%d/%d: %s", tl.Z, tl.X, tl.Y, d)
			}
		}
		// A township polygon that reaches the buffer edge in PostGIS's tile: clipped at the tile edge.
		ls, _ := mvt.Unmarshal(b.body)
		for _, l := range ls {
			for _, f := range l.Features {
				if l.Name == "divisions" && f.Properties["level"] == "township" && f.Properties["label_point"] == false &&
					(f.Geometry.Bound().Min[0] <= -64 || f.Geometry.Bound().Max[0] >= 4160 ||
						f.Geometry.Bound().Min[1] <= -64 || f.Geometry.Bound().Max[1] >= 4160) {
					crossing++
				}
			}
		}
	}
	if diffs > 30 {
		t.Errorf("… %d differences in all", diffs)
	}
	t.Logf("%d tiles, %d non-empty, %d township polygons cut by a tile edge", len(set), nonEmpty, crossing)
	if nonEmpty < len(set)/2 || crossing == 0 {
		t.Errorf("%d of %d tiles non-empty, %d township polygons cut by a tile edge", nonEmpty, len(set), crossing)
	}

	for name, srv := range map[string]string{"embedded": em.URL, "postgis": pg.URL} {
		t.Run(name, func(t *testing.T) {
			// The pinned facility: within one pixel of its true position at z14.
			tl := maptile.At(facility, 14)
			r := do(t, "GET", srv+tilePath(tl), "")
			f := findTileFeature(t, r, "facilities", pinnedFacility)
			if f == nil {
				t.Fatalf("facility %s not in tile %v", pinnedFacility, tl)
			}
			pt, truth := f.Geometry.(orb.Point), tiletest.Pixel(tl, facility)
			if math.Abs(pt[0]-truth[0]) > 1 || math.Abs(pt[1]-truth[1]) > 1 || f.Properties["id"] != pinnedFacility {
				t.Errorf("facility at %v (%v), truth %v", pt, f.Properties, truth)
			}

			// Open sea east of the county: 204.
			sea := maptile.At(orb.Point{123.5, 29.3}, 14)
			if r := do(t, "GET", srv+tilePath(sea), ""); r.status != http.StatusNoContent || len(r.body) != 0 {
				t.Errorf("empty tile: %d, %d bytes", r.status, len(r.body))
			}

			movePlace(t, srv)
		})
	}
}

// movePlace moves a point place with PUT /api/places/{id} (If-Match) and checks that the z14 tiles at its old and
// new positions change on the next request (another ETag) and omit or hold it.
func movePlace(t *testing.T, srv string) {
	t.Helper()
	list := decode[featureCollection](t, do(t, "GET", srv+"/api/places?limit=1000", ""))
	var id string
	var old orb.Point
	for _, f := range list.Features {
		var c []float64
		if f.Geometry.Type == "Point" && json.Unmarshal(f.Geometry.Coordinates, &c) == nil &&
			f.Properties["status"] == gazetteer.StatusCurrent {
			id, old = f.ID.(string), orb.Point{c[0], c[1]}
			break
		}
	}
	if id == "" {
		t.Fatal("no current point place in the sample")
	}
	moved := orb.Point{old[0] + 0.02, old[1] + 0.01}
	oldTile, newTile := maptile.At(old, 14), maptile.At(moved, 14)
	fid := id
	before := map[maptile.Tile]response{}
	for _, tl := range []maptile.Tile{oldTile, newTile} {
		before[tl] = do(t, "GET", srv+tilePath(tl), "")
	}
	if findTileFeature(t, before[oldTile], "places", fid) == nil || findTileFeature(t, before[newTile], "places", fid) != nil {
		t.Fatalf("place %s: not where it should be before the move", id)
	}

	r := do(t, "GET", srv+"/api/places/"+id, "")
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET place: %d %s", r.status, r.body)
	}
	doc["geometry"] = map[string]any{"type": "Point", "coordinates": []float64{moved[0], moved[1]}}
	body, _ := json.Marshal(doc)
	if r := do(t, "PUT", srv+"/api/places/"+id, string(body), "If-Match", r.header.Get("ETag"),
		"Content-Type", "application/geo+json"); r.status != http.StatusOK {
		t.Fatalf("PUT place: %d %s", r.status, r.body)
	}

	after := do(t, "GET", srv+tilePath(oldTile), "")
	if after.header.Get("ETag") == before[oldTile].header.Get("ETag") || findTileFeature(t, after, "places", fid) != nil {
		t.Errorf("old tile %v unchanged (ETag %s) or still holds the place", oldTile, after.header.Get("ETag"))
	}
	after = do(t, "GET", srv+tilePath(newTile), "")
	f := findTileFeature(t, after, "places", fid)
	if after.header.Get("ETag") == before[newTile].header.Get("ETag") || f == nil {
		t.Fatalf("new tile %v unchanged (ETag %s) or without the place", newTile, after.header.Get("ETag"))
	}
	pt, truth := f.Geometry.(orb.Point), tiletest.Pixel(newTile, moved)
	if math.Abs(pt[0]-truth[0]) > 1 || math.Abs(pt[1]-truth[1]) > 1 {
		t.Errorf("moved place at %v, truth %v", pt, truth)
	}
	if was := findTileFeature(t, before[oldTile], "places", fid); was.ID != f.ID {
		t.Errorf("the move changed the place's tile id from %v to %v", was.ID, f.ID)
	}
}

// findTileFeature decodes a tile response (204: no features) and returns the feature of layer whose id property (the
// record's text key) is id.
func findTileFeature(t *testing.T, r response, layer string, id string) *geojson.Feature {
	t.Helper()
	if r.status == http.StatusNoContent {
		return nil
	}
	if r.status != http.StatusOK {
		t.Fatalf("tile: %d %s", r.status, r.body)
	}
	ls, err := mvt.Unmarshal(r.body)
	if err != nil {
		t.Fatal(err)
	}
	return tiletest.FeatureWith(ls, layer, "id", id)
}

// ---- comparing tiles (as in data/postgis/tiles_test.go) --------------------------------------------------------------
