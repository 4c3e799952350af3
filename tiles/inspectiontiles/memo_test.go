package inspectiontiles_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/embedded"
	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/gazetteer/inspection"
	"civmap/internal/edit"
	"civmap/internal/httpx"
	"civmap/tiles/inspectiontiles"
)

// roundTile is the z10 tile of 象宁线 holding 象宁002, 003 and 004 (10/857/424).
var roundTile = maptile.At(orb.Point{121.6214, 29.4985}, 10)

// countingStore counts the report builds: a report reads every boundary line (for its tri-junctions) once, and nothing
// else in a tile request does. The embedded store's methods, its tiles.Notifier among them, are promoted.
type countingStore struct {
	*embedded.Store
	reports atomic.Int64
}

func (c *countingStore) BoundaryLines(ctx context.Context) ([]gazetteer.BoundaryLine, error) {
	c.reports.Add(1)
	return c.Store.BoundaryLines(ctx)
}

func inspector() context.Context {
	return edit.WithPrincipal(context.Background(), edit.Principal{Name: "测试员", Role: edit.RoleInspector})
}

// loadSample loads the bundled sample and its neighbour polygons (the gap/overlap check's other side) into st.
func loadSample(tb testing.TB, st data.Store) {
	tb.Helper()
	if _, err := sample.Load(context.Background(), st); err != nil {
		tb.Fatal(err)
	}
	if _, err := sample.LoadNeighbours(context.Background(), st); err != nil {
		tb.Fatal(err)
	}
}

func openEmbedded(tb testing.TB) *embedded.Store {
	tb.Helper()
	st, err := embedded.Open(tb.TempDir(), embedded.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func openPostGIS(tb testing.TB, url string) *postgis.Store {
	tb.Helper()
	st, err := postgis.Open(context.Background(), url, postgis.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// newRound creates the 2023 round of 象宁线 on st.
func newRound(tb testing.TB, st data.Store) string {
	tb.Helper()
	rd, err := (&inspection.Service{Store: st}).CreateRound(inspector(), "象宁线", inspection.RoundInput{Year: 2023,
		Teams:     []inspection.Team{{Side: "left", Name: "象山县联检组"}, {Side: "right", Name: "宁海县联检组"}},
		StartedOn: "2023-04-10", EndedOn: "2023-05-02"})
	if err != nil {
		tb.Fatal(err)
	}
	return rd.ID
}

type tileAnswer struct {
	status int
	etag   string
	body   []byte
	// markers maps each marker of the tile to its verdict and tile position ("moved 1234,567").
	markers map[string]string
}

func getTile(tb testing.TB, h http.Handler, round string, t maptile.Tile, inm string) tileAnswer {
	tb.Helper()
	r := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/inspections/%s/tiles/%d/%d/%d.mvt", round, t.Z, t.X, t.Y), nil)
	if inm != "" {
		r.Header.Set("If-None-Match", inm)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := tileAnswer{status: w.Code, etag: w.Header().Get("ETag"), body: w.Body.Bytes(), markers: map[string]string{}}
	if w.Code != http.StatusOK {
		return a
	}
	ls, err := mvt.Unmarshal(a.body)
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range ls {
		if l.Name != inspection.LayerMarkers {
			continue
		}
		for _, f := range l.Features {
			p := f.Geometry.(orb.Point)
			a.markers[f.Properties.MustString("marker_no")] = fmt.Sprintf("%s %g,%g", f.Properties.MustString("verdict"), p[0], p[1])
		}
	}
	return a
}

func router(st inspection.Store) (http.Handler, *inspectiontiles.Memo) {
	r := httpx.NewRouter()
	m := inspectiontiles.Routes(r, st)
	return r, m
}

// TestTilesBuildOnce: 40 tiles of a round, sequential, and a herd of 50 concurrent first requests for one tile, build
// the round's report once each (counted by the store); the herd all get the same bytes.
func TestTilesBuildOnce(t *testing.T) {
	st := &countingStore{Store: openEmbedded(t)}
	loadSample(t, st.Store)
	round := newRound(t, st)
	h, memo := router(st)
	for i := range 40 {
		tl := maptile.Tile{X: roundTile.X - 3 + uint32(i%8), Y: roundTile.Y - 2 + uint32(i/8), Z: 10}
		if a := getTile(t, h, round, tl, ""); a.status != http.StatusOK && a.status != http.StatusNoContent {
			t.Fatalf("tile %v: %d %s", tl, a.status, a.body)
		}
	}
	if n := st.reports.Load(); n != 1 || memo.Builds() != 1 {
		t.Errorf("40 tiles built the report %d times (memo builds %d); want 1", n, memo.Builds())
	}

	// A herd on a fresh memo (a new router): one build for all.
	st.reports.Store(0)
	h, memo = router(st)
	var wg sync.WaitGroup
	start := make(chan struct{})
	as := make([]tileAnswer, 50)
	for i := range as {
		wg.Go(func() {
			<-start
			as[i] = getTile(t, h, round, roundTile, "")
		})
	}
	close(start)
	wg.Wait()
	for i, a := range as {
		if a.status != http.StatusOK || string(a.body) != string(as[0].body) {
			t.Fatalf("herd answer %d: %d, %d bytes (first %d)", i, a.status, len(a.body), len(as[0].body))
		}
	}
	if n := st.reports.Load(); n != 1 || memo.Builds() != 1 {
		t.Errorf("a herd of 50 built the report %d times (memo builds %d); want 1", n, memo.Builds())
	}
}

// TestMemoBound: the memo keeps at most its bound of rounds, and a round dropped from it is built again.
func TestMemoBound(t *testing.T) {
	st := &countingStore{Store: openEmbedded(t)}
	loadSample(t, st.Store)
	var rounds []string
	for range 3 {
		rounds = append(rounds, newRound(t, st)) // 象宁线-2023, -2023-2, -2023-3
	}
	r := httpx.NewRouter()
	memo := inspectiontiles.Routes(r, st)
	small := inspectiontiles.NewMemo(&inspection.Service{Store: st}, 2)
	for _, id := range append(rounds, rounds[0]) {
		if err := inspectiontiles.Build(small, id); err != nil {
			t.Fatal(err)
		}
	}
	if small.Len() != 2 || small.Builds() != 4 {
		t.Errorf("memo of 2 after 3 rounds and the first again: %d kept, %d builds; want 2 kept, 4 builds", small.Len(), small.Builds())
	}
	if memo.Len() != 0 {
		t.Errorf("untouched memo holds %d", memo.Len())
	}
}

// TestTileFollowsWrites, on both stores: a finding recorded, then changed, shows in the next tile with a new ETag
// (the old one no longer answers 304); a marker moved in the register (a record, not a document) moves in the next
// tile. On PostGIS the writes come also from another Store on the same database (another process): a finding at
// once (its version is read per tile), a marker once its notification arrives.
func TestTileFollowsWrites(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		st := openEmbedded(t)
		loadSample(t, st)
		followWrites(t, st, st)
	})
	t.Run("postgis", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		st := openPostGIS(t, url)
		loadSample(t, st)
		followWrites(t, st, st)
		t.Run("other process", func(t *testing.T) {
			followWrites(t, st, openPostGIS(t, url))
		})
	})
}

// followWrites serves the tiles of a new round from st and writes through writer (st, or another Store on its
// database).
func followWrites(t *testing.T, st, writer data.Store) {
	round := newRound(t, writer)
	h, memo := router(st)
	a0 := getTile(t, h, round, roundTile, "")
	if a0.status != http.StatusOK || a0.markers["象宁002"] == "" || a0.markers["象宁002"][:14] != "not_inspected " {
		t.Fatalf("first tile: %d %v", a0.status, a0.markers)
	}
	if a := getTile(t, h, round, roundTile, a0.etag); a.status != http.StatusNotModified {
		t.Fatalf("unchanged tile with its ETag: %d", a.status)
	}
	wsvc := &inspection.Service{Store: writer}
	verdictIs := func(a tileAnswer, want string) bool {
		v := a.markers["象宁002"]
		return len(v) > len(want) && v[:len(want)+1] == want+" "
	}
	ms, err := writer.Markers(context.Background(), "象宁线")
	if err != nil {
		t.Fatal(err)
	}
	byNo := map[string]gazetteer.Marker{}
	for _, x := range ms {
		byNo[x.Number] = x
	}
	reg := byNo["象宁002"].Registered
	prev := a0
	for _, cond := range []string{"damaged", "missing"} {
		in := inspection.FindingInput{MarkerNo: "象宁002", InspectedOn: "2023-04-12", Condition: cond, Team: "象山县联检组"}
		if cond != "missing" { // found where the register puts it
			in.Observed = &inspection.Position{CRS: reg.CRS, North: reg.First, East: reg.Second}
		}
		if _, err := wsvc.RecordFinding(inspector(), round, in); err != nil {
			t.Fatal(err)
		}
		a := getTile(t, h, round, roundTile, prev.etag)
		if a.status != http.StatusOK || !verdictIs(a, cond) {
			t.Fatalf("after recording %s: %d, 象宁002 %q", cond, a.status, a.markers["象宁002"])
		}
		if a.etag == prev.etag || a.etag == "" {
			t.Errorf("after recording %s the ETag stayed %s", cond, a.etag)
		}
		prev = a
	}

	// Move 象宁003 (not inspected: drawn at its register position) by about 300 m north in the register.
	m := byNo["象宁003"]
	cur, err := writer.Current(context.Background(), edit.KindMarker, m.Number)
	if err != nil {
		t.Fatal(err)
	}
	if m.Registered.CRS != "EPSG:4550" || m.Registered.AxisOrder != "north,east" {
		t.Fatalf("象宁003 registered %+v; want EPSG:4550 north,east", m.Registered)
	}
	m.Registered.First += 300
	m.Position[1] += 300 / 111_000.0
	if _, err := writer.PutMarker(context.Background(), m, cur.Version, edit.Meta{Actor: "测试员", Action: "update"}); err != nil {
		t.Fatal(err)
	}
	// Another process's write arrives by notification: wait for it (at most 10 s).
	var a tileAnswer
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		a = getTile(t, h, round, roundTile, "")
		if a.markers["象宁003"] != prev.markers["象宁003"] || time.Now().After(deadline) {
			break
		}
	}
	if a.status != http.StatusOK || a.markers["象宁003"] == prev.markers["象宁003"] || a.etag == prev.etag {
		t.Errorf("after moving 象宁003: %d, %q (was %q), ETag %s (was %s)", a.status, a.markers["象宁003"],
			prev.markers["象宁003"], a.etag, prev.etag)
	}
	if builds := memo.Builds(); builds < 4 {
		t.Errorf("memo builds %d after 4 states", builds)
	}
}
