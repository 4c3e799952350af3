package embedded

import (
	"bytes"
	"civmap/internal/edit"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/sample"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/httpx"
	"civmap/tiles"
	"civmap/tiles/tiletest"
)

// sampleTiles opens a store holding the bundled sample and serves its tiles.
func sampleTiles(t *testing.T) (*Store, *data.Batch, *tiles.Service, http.Handler) {
	t.Helper()
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(context.Background(), *b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	svc, err := tiles.NewService(st, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter()
	tiles.Routes(r, svc)
	return st, b, svc, r
}

func tileURL(layers string, t maptile.Tile) string {
	return "/tiles/" + layers + "/" + strconv.Itoa(int(t.Z)) + "/" + strconv.Itoa(int(t.X)) + "/" +
		strconv.Itoa(int(t.Y)) + ".mvt"
}

func fetch(t *testing.T, h http.Handler, path string) (*httptest.ResponseRecorder, mvt.Layers) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != 200 && w.Code != 204 {
		t.Fatalf("%s: %d %s", path, w.Code, w.Body)
	}
	if w.Code == 204 {
		return w, nil
	}
	ls, err := mvt.Unmarshal(w.Body.Bytes())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return w, ls
}

func TestTilesSample(t *testing.T) {
	_, b, _, h := sampleTiles(t)

	// A known facility: within one pixel of its position at z14, with its type and status.
	f := b.Facilities[0]
	tile := maptile.At(f.Location, 14)
	_, ls := fetch(t, h, tileURL("facilities", tile))
	got := tiletest.FeatureWith(ls, "facilities", "id", f.ID)
	if got == nil {
		t.Fatalf("facility %s not in %v", f.ID, tile)
	}
	pt, truth := got.Geometry.(orb.Point), tiletest.Pixel(tile, f.Location)
	if math.Abs(pt[0]-truth[0]) > 1 || math.Abs(pt[1]-truth[1]) > 1 {
		t.Errorf("facility %s at %v, truth %v", f.ID, pt, truth)
	}
	if got.Properties["type"] != f.Type || got.Properties["status"] != f.Status || got.Properties["id"] != f.ID ||
		got.Properties["name"] != f.Name {
		t.Errorf("facility properties %v", got.Properties)
	}

	// Township polygons clipped at tile edges: valid rings with MVT winding; label points where the seats are.
	var tw gazetteer.Division
	for _, d := range b.Divisions {
		if d.Level == gazetteer.LevelTownship && d.Seat != nil {
			tw = d
			break
		}
	}
	polys, labels := 0, 0
	for _, tl := range tiles.TileCover(tw.Geometry.Bound(), 12, 12) {
		_, ls := fetch(t, h, tileURL("divisions", tl))
		if g := tiletest.FeatureWith(ls, "divisions", "code", tw.Code, "label_point", false); g != nil {
			if g.Properties["label_point"] != false || g.Properties["name"] != tw.Name || g.Properties["level"] != "township" {
				t.Errorf("polygon properties %v", g.Properties)
			}
			var mp orb.MultiPolygon
			switch geom := g.Geometry.(type) {
			case orb.Polygon:
				mp = orb.MultiPolygon{geom}
			case orb.MultiPolygon:
				mp = geom
			default:
				t.Fatalf("township geometry %T", geom)
			}
			for _, p := range mp {
				for i, r := range p {
					a := 0.0
					for j := 0; j+1 < len(r); j++ {
						a += r[j][0]*r[j+1][1] - r[j+1][0]*r[j][1]
					}
					if len(r) < 4 || !r.Closed() || (i == 0) != (a > 0) || a == 0 {
						t.Errorf("tile %v ring %d: %d points, closed %v, area %v", tl, i, len(r), r.Closed(), a)
					}
					for _, q := range r {
						if q[0] < -64 || q[0] > 4160 || q[1] < -64 || q[1] > 4160 {
							t.Errorf("tile %v: point %v beyond the buffer", tl, q)
						}
					}
				}
			}
			polys++
		}
		if g := tiletest.FeatureWith(ls, "divisions", "code", tw.Code, "label_point", true); g != nil {
			pt, truth := g.Geometry.(orb.Point), tiletest.Pixel(tl, *tw.Seat)
			if g.Properties["label_point"] != true || math.Abs(pt[0]-truth[0]) > 1 || math.Abs(pt[1]-truth[1]) > 1 {
				t.Errorf("label point %v %v, truth %v", g.Properties, pt, truth)
			}
			labels++
		}
	}
	if polys < 2 || labels != 1 {
		t.Errorf("township %s: in %d tiles, label in %d", tw.Code, polys, labels)
	}

	// TileJSON bounds come from the county's outline.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/tiles/"+tiles.AllLayers()+".json", nil))
	var tj tiles.TileJSON
	if err := json.Unmarshal(w.Body.Bytes(), &tj); err != nil {
		t.Fatal(err)
	}
	bb := tj.Bounds
	if bb == [4]float64{121.55, 28.85, 122.2, 29.75} || bb[0] < 121 || bb[2] > 123 || bb[1] < 28 || bb[3] > 30.5 ||
		!(orb.Bound{Min: orb.Point{bb[0], bb[1]}, Max: orb.Point{bb[2], bb[3]}}).Contains(orb.Point{tj.Center[0], tj.Center[1]}) {
		t.Errorf("bounds %v center %v", bb, tj.Center)
	}

	// Every layer at z8 over the county: present, and only registered fields.
	all := tiles.AllLayers()
	seen := map[string]bool{}
	for _, tl := range tiles.TileCover(tiles.BenchBound, 10, 10) {
		_, ls := fetch(t, h, tileURL(all, tl))
		for _, l := range ls {
			seen[l.Name] = true
			reg, _ := tiles.LayerByName(l.Name)
			for _, f := range l.Features {
				for k := range f.Properties {
					if _, ok := reg.Fields[k]; !ok {
						t.Fatalf("%s: unregistered property %s", l.Name, k)
					}
				}
			}
		}
	}
	for _, l := range tiles.Layers {
		if !seen[l.Name] {
			t.Errorf("layer %s in no z10 tile", l.Name)
		}
	}
}

func TestTilesFollowEdits(t *testing.T) {
	st, b, svc, h := sampleTiles(t)
	ctx := context.Background()
	var p gazetteer.Place
	for _, cand := range b.Places {
		if _, ok := cand.Geometry.(orb.Point); ok && cand.Status != gazetteer.StatusAbolished {
			p = cand
			break
		}
	}
	p, err := st.Place(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	oldPt := p.Geometry.(orb.Point)
	newPt := orb.Point{oldPt[0] + 0.02, oldPt[1] + 0.01}
	oldTile, newTile := maptile.At(oldPt, 14), maptile.At(newPt, 14)
	unrelated := maptile.At(b.Facilities[len(b.Facilities)-1].Location, 14)

	wOld, ls := fetch(t, h, tileURL("places", oldTile))
	if tiletest.FeatureWith(ls, "places", "id", p.ID) == nil {
		t.Fatalf("place %s not in its tile", p.ID)
	}
	wNew, ls := fetch(t, h, tileURL("places", newTile))
	if tiletest.FeatureWith(ls, "places", "id", p.ID) != nil {
		t.Fatal("place already at the new position")
	}
	fetch(t, h, tileURL("places,facilities", unrelated))
	fetch(t, h, tileURL("facilities", oldTile))

	// Move it (one UpdatePlace): both tiles change at once.
	p.Geometry = newPt
	p.Name = "象山🏮e\u0301"
	if _, err := st.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	hits := svc.CacheStats().Hits
	w, ls := fetch(t, h, tileURL("places", oldTile))
	if tiletest.FeatureWith(ls, "places", "id", p.ID) != nil || w.Header().Get("ETag") == wOld.Header().Get("ETag") {
		t.Error("old tile still shows the place")
	}
	w, ls = fetch(t, h, tileURL("places", newTile))
	g := tiletest.FeatureWith(ls, "places", "id", p.ID)
	if g == nil || w.Header().Get("ETag") == wNew.Header().Get("ETag") {
		t.Fatal("new tile does not show the place")
	}
	if g.Properties["name"] != "象山🏮e\u0301" {
		t.Errorf("name %q did not round-trip", g.Properties["name"])
	}
	pt, truth := g.Geometry.(orb.Point), tiletest.Pixel(newTile, newPt)
	if math.Abs(pt[0]-truth[0]) > 1 || math.Abs(pt[1]-truth[1]) > 1 {
		t.Errorf("moved place at %v, truth %v", pt, truth)
	}
	if svc.CacheStats().Hits != hits {
		t.Error("a changed tile came from the cache")
	}
	// Unrelated tiles, and other layers of the old tile, are still cached.
	hits = svc.CacheStats().Hits
	fetch(t, h, tileURL("places,facilities", unrelated))
	fetch(t, h, tileURL("facilities", oldTile))
	if got := svc.CacheStats().Hits; got != hits+2 {
		t.Errorf("unrelated tiles: %d cache hits, want 2", got-hits)
	}

	// Abolishing it takes it off the map.
	cur, _ := st.Place(ctx, p.ID)
	cur.Status = gazetteer.StatusAbolished
	if _, err := st.UpdatePlace(ctx, cur, cur.Version, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	if _, ls := fetch(t, h, tileURL("places", newTile)); tiletest.FeatureWith(ls, "places", "id", p.ID) != nil {
		t.Error("abolished place still shown")
	}

	// A new place appears; an import moving a facility changes its tiles too.
	np := gazetteer.Place{ID: "地名-新", Name: "新地名", Category: "10", Status: gazetteer.StatusCurrent, Geometry: oldPt}
	if _, err := st.CreatePlace(ctx, np, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	if _, ls := fetch(t, h, tileURL("places", oldTile)); tiletest.FeatureWith(ls, "places", "id", np.ID) == nil {
		t.Error("created place not shown")
	}
	fac := b.Facilities[len(b.Facilities)-1]
	facTile := maptile.At(fac.Location, 14)
	fac.Location = newPt
	if _, err := st.Import(ctx, data.Batch{Facilities: []facilities.Facility{fac}}, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	if _, ls := fetch(t, h, tileURL("places,facilities", facTile)); tiletest.FeatureWith(ls, "facilities", "id", fac.ID) != nil {
		t.Error("imported facility still at its old tile")
	}
	if _, ls := fetch(t, h, tileURL("facilities", newTile)); tiletest.FeatureWith(ls, "facilities", "id", fac.ID) == nil {
		t.Error("imported facility not at its new tile")
	}
}

func TestTileFeaturesOrderAndZoom(t *testing.T) {
	st, _, _, _ := sampleTiles(t)
	ctx := context.Background()
	for _, l := range tiles.Layers {
		fs, err := st.TileFeatures(ctx, l.Name, tiles.BenchBound, 22)
		if err != nil || len(fs) == 0 {
			t.Fatalf("%s: %d features, %v", l.Name, len(fs), err)
		}
		// Ordered by record key (byte order); a division's or an area place's polygon before its label point.
		key := map[string]string{"divisions": "code", "places": "id", "boundary_lines": "id", "markers": "number",
			"facilities": "id", "demand": "code"}[l.Name]
		for i := 1; i < len(fs); i++ {
			a, b := fs[i-1].Properties[key].(string), fs[i].Properties[key].(string)
			if a > b || (a == b && ((l.Name != "divisions" && l.Name != "places") || fs[i].Properties["label_point"] != true)) {
				t.Errorf("%s: %s %q before %q", l.Name, key, a, b)
			}
		}
		// At the layer's MinZoom: a subsequence. The label grid keeps all the sample's places at z8 but not all its
		// facilities (the densest z8 cell holds 36 > tiles.CellLimit); the other layers are whole.
		low, _ := st.TileFeatures(ctx, l.Name, tiles.BenchBound, l.MinZoom)
		j := 0
		for _, f := range low {
			for j < len(fs) && fs[j].ID != f.ID {
				j++
			}
			if j == len(fs) {
				t.Errorf("%s at z%d: feature %d not a subsequence of z22's", l.Name, l.MinZoom, f.ID)
				break
			}
		}
		if thinned := l.Name == "facilities"; thinned != (len(low) < len(fs)) || len(low) < len(fs)-tiles.CellLimit {
			t.Errorf("%s at z%d: %d of %d features", l.Name, l.MinZoom, len(low), len(fs))
		}
	}
	if _, err := st.TileFeatures(ctx, "nope", tiles.BenchBound, 0); err == nil {
		t.Error("unknown layer accepted")
	}
}

// Tiles read while a place keeps moving end up as a fresh render would make them: no render that read the old data
// is cached after the write that changed it.
func TestTilesConcurrentEdits(t *testing.T) {
	st, b, svc, h := sampleTiles(t)
	ctx := context.Background()
	var p gazetteer.Place
	for _, bp := range b.Places {
		if _, isPoint := bp.Geometry.(orb.Point); isPoint {
			var err error
			if p, err = st.Place(ctx, bp.ID); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	base, ok := p.Geometry.(orb.Point)
	if !ok {
		t.Fatal("the sample has no point place")
	}
	var paths []string
	for _, tl := range tiles.TileCover(orb.Bound{Min: base, Max: base}.Pad(0.03), 13, 14) {
		paths = append(paths, tileURL("places", tl))
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for g := 0; g < 4; g++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := g; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, paths[i%len(paths)], nil))
			}
		}()
	}
	for i := 0; i < 40; i++ {
		p.Geometry = orb.Point{base[0] + 0.02*math.Sin(float64(i)), base[1] + 0.02*math.Cos(float64(i))}
		var err error
		if p, err = st.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "import"}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	readers.Wait()
	fresh, err := tiles.NewService(st, tiles.Options{CacheMB: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		w, _ := fetch(t, h, path)
		var z, x, y int
		if _, err := fmt.Sscanf(path, "/tiles/places/%d/%d/%d.mvt", &z, &x, &y); err != nil {
			t.Fatal(err)
		}
		places, _ := tiles.ParseLayers("places")
		want, err := fresh.Render(ctx, maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), places)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("%s: stale tile (%d bytes, fresh %d)", path, w.Body.Len(), len(want))
		}
	}
	if svc.CacheStats().Hits == 0 {
		t.Error("no cache hits: the test did not exercise the cache")
	}
}
