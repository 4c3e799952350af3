package postgis_test

import (
	"civmap/internal/edit"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/embedded"
	"civmap/data/postgis"
	"civmap/data/sample"
	"civmap/data/storetest"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/tiles"
	"civmap/tiles/tiletest"
)

// sampleStores opens a fresh PostGIS store and an embedded one, both holding the bundled sample.
func sampleStores(t *testing.T) (*postgis.Store, *embedded.Store, *data.Batch) {
	t.Helper()
	pg, _ := openFresh(t, postgis.Options{})
	em, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []data.Store{pg, em} {
		if _, err := st.Import(context.Background(), *b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
			t.Fatal(err)
		}
	}
	return pg, em, b
}

// TestTilesMatchEmbedded renders every tile of tiles.BenchmarkTileSet (z8–z14 over Xiangshan, all layers) with
// ST_AsMVT and with the embedded store's encoder and compares the decoded tiles (see diffTiles); then every fifth
// tile of the set, and every zoom from z8 of one column, for each layer alone: each layer list is a statement of its own
// shape (facilities alone once failed to prepare below z16, a 500 that the all-layer tiles never showed).
func TestTilesMatchEmbedded(t *testing.T) {
	pg, em, _ := sampleStores(t)
	ctx := context.Background()
	n, empty := 0, 0
	compare := func(tl maptile.Tile, layers []tiles.Layer) {
		want, err := tiles.Encode(ctx, em, tl, tiles.ActiveLayers(layers, int(tl.Z)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.MVT(ctx, tl, layers, int(tl.Z))
		if err != nil {
			t.Fatalf("%v %s: %v", tl, layerList(layers), err)
		}
		if len(want) == 0 && len(layers) > 1 {
			empty++
		}
		for _, d := range tiletest.Diff(want, got) {
			if n++; n <= 40 {
				t.Errorf("tile %d/%d/%d %s: %s", tl.Z, tl.X, tl.Y, layerList(layers), d)
			}
		}
	}
	for _, tl := range tiles.BenchmarkTileSet() {
		compare(tl, tiles.Layers)
	}
	seat := orb.Point{121.87, 29.47}
	for _, l := range tiles.Layers {
		for i, tl := range tiles.BenchmarkTileSet() {
			if i%5 == 0 {
				compare(tl, []tiles.Layer{l})
			}
		}
		// From z8 up: below, a boundary line is a few pixels long and the two simplifiers may keep different
		// sub-pixel vertices (a 2-pixel line at z2 differed by 8 of 4096 units in length).
		for z := 8; z <= tiles.MaxZoom; z++ {
			compare(maptile.At(seat, maptile.Zoom(z)), []tiles.Layer{l})
		}
	}
	if n > 40 {
		t.Errorf("… %d differences in all", n)
	}
	if empty == 0 || empty == len(tiles.BenchmarkTileSet()) {
		t.Errorf("%d empty tiles of %d", empty, len(tiles.BenchmarkTileSet()))
	}
}

// TestMVTLayersAndZoom: layers come in the requested order, a layer outside its zoom range is left out, an unknown
// layer is an error, and a tile without features is empty.
func TestMVTLayersAndZoom(t *testing.T) {
	pg, _, b := sampleStores(t)
	ctx := context.Background()
	f := b.Facilities[0]
	tl := maptile.At(f.Location, 14)
	fac, _ := tiles.LayerByName("facilities")
	div, _ := tiles.LayerByName("divisions")
	got, err := pg.MVT(ctx, tl, []tiles.Layer{fac, div}, 14)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Name != "facilities" || ls[1].Name != "divisions" || ls[0].Version != 2 ||
		ls[0].Extent != 4096 {
		t.Fatalf("layers %v", tiletest.LayerNames(ls))
	}
	// facilities start at z8: at z7 only divisions.
	z7 := maptile.At(f.Location, 7)
	got, err = pg.MVT(ctx, z7, []tiles.Layer{fac, div}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if ls, _ := mvt.Unmarshal(got); len(ls) != 1 || ls[0].Name != "divisions" {
		t.Errorf("z7 layers %v", tiletest.LayerNames(ls))
	}
	if _, err := pg.MVT(ctx, tl, []tiles.Layer{{Name: "nope", MaxZoom: 22}}, 14); err == nil {
		t.Error("unknown layer: no error")
	}
	// Open sea far east of the county.
	got, err = pg.MVT(ctx, maptile.At(orb.Point{123.5, 29.3}, 14), tiles.Layers, 14)
	if err != nil || len(got) != 0 {
		t.Errorf("empty tile: %d bytes, %v", len(got), err)
	}
}

// TestMVTTimeout: a deadline already spent is DeadlineExceeded; a query whose context ends is stopped in the server
// (a cancel request, not only a dropped connection: pg_stat_activity no longer shows it) and its connection is
// reused; and a tile with a live deadline renders.
func TestMVTTimeout(t *testing.T) {
	pg, _ := openFresh(t, postgis.Options{MaxConns: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Microsecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := pg.MVT(ctx, maptile.New(0, 0, 0), tiles.Layers, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("spent deadline: %v", err)
	}

	var pid int
	if err := pg.Pool().QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := pg.Pool().Exec(ctx, `SELECT pg_sleep(30)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || time.Since(start) > time.Second {
		t.Errorf("query past its deadline: %v after %v; want the server's 57014 (canceling statement) at once", err,
			time.Since(start))
	}
	var again, sleeping int
	if err := pg.Pool().QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&again); err != nil || again != pid {
		t.Errorf("after the cancel: backend %d (%v), want the same connection %d", again, err, pid)
	}
	if err := pg.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'`).Scan(&sleeping); err != nil || sleeping != 0 {
		t.Errorf("%d statements still sleeping in the server (%v)", sleeping, err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := pg.MVT(ctx, maptile.New(0, 0, 0), tiles.Layers, 0); err != nil {
		t.Errorf("MVT with a deadline: %v", err)
	}
}

// TestGridColumns: grid_x, grid_y (tiles.Anchor) and size_zoom (tiles.SizeZoom, NULL for a point) hold their values
// after writes (import, create, update), and Open fills the rows that lack them (written before migration 00006).
func TestGridColumns(t *testing.T) {
	ctx := context.Background()
	pg, url := openFresh(t, postgis.Options{})
	b, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Import(ctx, *b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	np := gazetteer.Place{ID: "地名-1", Name: "新", Category: "hospital", Status: "current", Geometry: orb.Point{121.9, 29.4}}
	if _, err := pg.CreatePlace(ctx, np, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	up, err := pg.Place(ctx, b.Places[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	up.Geometry = orb.Polygon{{{121.8, 29.3}, {121.9, 29.3}, {121.9, 29.35}, {121.8, 29.3}}}
	if _, err := pg.UpdatePlace(ctx, up, up.Version, edit.Meta{Actor: "test", Action: "update"}); err != nil {
		t.Fatal(err)
	}
	b.Places[0] = up
	cols := func(bd orb.Bound, sized bool) string {
		x, y := tiles.Anchor(bd)
		z := "NULL"
		if sz := tiles.SizeZoom(bd); sz < tiles.NeverBig {
			z = fmt.Sprint(sz)
		}
		if !sized {
			return fmt.Sprint(x, " ", y)
		}
		return fmt.Sprint(x, " ", y, " ", z)
	}
	want := map[string]string{}
	for _, p := range append(b.Places, np) {
		want["places/"+p.ID] = cols(p.Geometry.Bound(), true)
	}
	for _, f := range b.Facilities {
		want["facilities/"+f.ID] = cols(f.Location.Bound(), false)
	}
	if want["places/"+up.ID] != cols(up.Geometry.Bound(), true) || !strings.HasSuffix(want["places/"+up.ID], " 8") {
		t.Fatalf("updated place: %s", want["places/"+up.ID])
	}
	check := func(pg *postgis.Store, when string) {
		t.Helper()
		got := map[string]string{}
		for table, sel := range map[string]string{
			"places":     `SELECT id, grid_x || ' ' || grid_y || ' ' || coalesce(size_zoom::text, 'NULL') FROM places`,
			"facilities": `SELECT id, grid_x || ' ' || grid_y FROM facilities`,
		} {
			rows, err := pg.Pool().Query(ctx, sel)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				var v *string
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				if v != nil {
					got[table+"/"+k] = *v
				}
			}
			rows.Close()
		}
		if !reflect.DeepEqual(got, want) {
			n := 0
			for k, v := range want {
				if got[k] != v {
					if n++; n <= 5 {
						t.Errorf("%s: %s: %q, want %q", when, k, got[k], v)
					}
				}
			}
			t.Errorf("%s: %d rows with grid columns, want %d", when, len(got), len(want))
		}
	}
	check(pg, "after writes")
	for _, q := range []string{`UPDATE places SET grid_x = NULL, grid_y = NULL, size_zoom = NULL`,
		`UPDATE facilities SET grid_x = NULL, grid_y = NULL`} {
		if _, err := pg.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pg.Close()
	pg2, err := postgis.Open(ctx, url, postgis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg2.Close()
	check(pg2, "after the backfill")
}

// TestTileNotifier: committed writes report their layers and the bounds of the old and new geometries; failed writes
// report nothing; an import of more than 10,000 records reports All.
func TestTileNotifier(t *testing.T) {
	ctx := context.Background()
	pg, _, b := sampleStores(t)
	var got []tiles.Change
	pg.Subscribe(func(c tiles.Change) { got = append(got, c) })

	var p gazetteer.Place
	for _, cand := range b.Places {
		if _, ok := cand.Geometry.(orb.Point); ok {
			p = cand
			break
		}
	}
	p, err := pg.Place(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	old := p.Geometry.(orb.Point)
	p.Geometry = orb.Point{old[0] + 0.01, old[1]}
	if _, err := pg.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	want := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{old.Bound(), p.Geometry.Bound()}}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("update: %+v, want %+v", got, want)
	}
	if _, err := pg.UpdatePlace(ctx, p, 1, edit.Meta{Actor: "test", Action: "import"}); err == nil || len(got) != 1 {
		t.Errorf("a failed update notified: %v %d", err, len(got))
	}
	np := gazetteer.Place{ID: "新-1", Name: "新", Category: "10", Status: "current", Geometry: orb.Point{121.9, 29.4}}
	if _, err := pg.CreatePlace(ctx, np, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	want = tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{np.Geometry.Bound()}}
	if len(got) != 2 || !reflect.DeepEqual(got[1], want) {
		t.Errorf("create: %+v", got[1:])
	}
	if _, err := pg.CreatePlace(ctx, np, edit.Meta{Actor: "test", Action: "import"}); err == nil || len(got) != 2 {
		t.Errorf("a failed create notified: %v %d", err, len(got))
	}

	// A small import: the new bound and the stored one, per record.
	f := b.Facilities[0]
	oldF := f.Location
	f.Location = orb.Point{oldF[0], oldF[1] + 0.01}
	tw := b.Divisions[1]
	tw.Name += "（改）" // an identical record would be a no-op and change no tile
	if _, err := pg.Import(ctx, data.Batch{Facilities: []facilities.Facility{f}, Divisions: []gazetteer.Division{tw}}, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	c := got[len(got)-1]
	if !slices.Equal(c.Layers, []string{"divisions", "facilities"}) || c.All {
		t.Errorf("import layers %v all %v", c.Layers, c.All)
	}
	has := func(bb orb.Bound) bool { return slices.Contains(c.Bounds, bb) }
	if !has(oldF.Bound()) || !has(f.Location.Bound()) || !has(tw.Geometry.Bound()) || (tw.Seat != nil && !has(tw.Seat.Bound())) {
		t.Errorf("import bounds %v", c.Bounds)
	}

	// A large import: All for its layers.
	var big data.Batch
	for i := 0; i <= 10000; i++ {
		big.Demand = append(big.Demand, facilities.DemandUnit{Code: fmt.Sprintf("X%05d", i), Name: "x",
			TownshipCode: "330225001", Location: orb.Point{121.9, 29.4}})
	}
	if _, err := pg.Import(ctx, big, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	if c := got[len(got)-1]; !c.All || !slices.Equal(c.Layers, []string{"demand"}) || len(c.Bounds) != 0 {
		t.Errorf("large import: %+v", c)
	}
}

// TestThinningMatchesEmbedded: over dense generated data (storetest.DenseBatch: 50,000 places, polygons across a seam,
// stacks on cell corners) both stores draw the same place and facility ids in every tile from z8 to z12 over the
// county, and when a tile is thinned as if zoomed out (the byte cap's path); the label grid does thin them.
func TestThinningMatchesEmbedded(t *testing.T) {
	ctx := context.Background()
	pg, _ := openFresh(t, postgis.Options{})
	em, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	b := storetest.DenseBatch(t, 50000, 7)
	for _, st := range []data.Store{pg, em} {
		if _, err := st.Import(ctx, *b, edit.Meta{Actor: "test", Action: "import"}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(raw []byte, layer string) []uint64 {
		ls, err := mvt.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, l := range ls {
			if l.Name == layer {
				for _, f := range l.Features {
					out = append(out, uint64(f.ID.(float64)))
				}
			}
		}
		slices.Sort(out)
		return out
	}
	county := orb.Bound{Min: orb.Point{121.55, 28.95}, Max: orb.Point{122.2, 29.65}}
	type job struct {
		t    maptile.Tile
		zoom int
	}
	var jobs []job
	for _, tl := range tiles.TileCover(county, 8, 12) {
		jobs = append(jobs, job{tl, int(tl.Z)})
		if tl.Z == 11 && tl.X%2 == 0 {
			jobs = append(jobs, job{tl, 9})
		}
	}
	diffs, drawn := 0, map[int]int{}
	for _, j := range jobs {
		active := tiles.ActiveLayers(tiles.Layers, int(j.t.Z))
		want, err := tiles.EncodeZoom(ctx, em, j.t, active, j.zoom)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.MVT(ctx, j.t, active, j.zoom)
		if err != nil {
			t.Fatal(err)
		}
		for _, layer := range []string{"places", "facilities"} {
			w, g := ids(want, layer), ids(got, layer)
			if layer == "places" && j.zoom == int(j.t.Z) {
				drawn[j.zoom] += len(w)
			}
			if !slices.Equal(w, g) {
				if diffs++; diffs <= 10 {
					t.Errorf("%v at zoom %d %s: embedded %d ids, PostGIS %d", j.t, j.zoom, layer, len(w), len(g))
				}
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d tiles differ in all (%d tiles)", diffs, len(jobs))
	}
	t.Logf("%d tiles; places drawn per zoom %v", len(jobs), drawn)
	// The label grid thins: at z8 a few thousand of the 50,000 places, more at each zoom in.
	if drawn[8] < 1000 || drawn[8] > 20000 || drawn[12] <= drawn[10] || drawn[10] <= drawn[8] {
		t.Errorf("places drawn per zoom %v", drawn)
	}
}

// BenchmarkDenseTiles renders, uncached and without the byte cap, the z8–z11 tiles over tiles.BenchBound with every
// layer from each store holding storetest.DenseBatch (100,000 places): the low zooms where the label grid ranks every
// place of the tile's region. Compare the stores' tiles/s in one run:
//
//	bash scripts/with-postgis.sh go test -run '^$' -bench DenseTiles ./data/postgis/
func BenchmarkDenseTiles(b *testing.B) {
	ctx := context.Background()
	pg, _ := openFresh(b, postgis.Options{})
	em, err := embedded.Open(b.TempDir(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer em.Close()
	batch := storetest.DenseBatch(b, 100000, 1)
	ts := tiles.TileCover(tiles.BenchBound, 8, 11)
	for _, c := range []struct {
		name string
		st   data.Store
	}{{"embedded", em}, {"postgis", pg}} {
		if _, err := c.st.Import(ctx, *batch, edit.Meta{Actor: "test", Action: "import"}); err != nil {
			b.Fatal(err)
		}
		svc, err := tiles.NewService(c.st, tiles.Options{CacheMB: -1, MaxTileBytes: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := svc.Render(ctx, ts[i%len(ts)], tiles.Layers); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
		})
	}
}

// layerList names layers as a tile URL does: "places,facilities".
func layerList(layers []tiles.Layer) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}
