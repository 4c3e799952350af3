package postgis_test

import (
	"civmap/internal/edit"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"civmap/data"
	"civmap/data/postgis"
	"civmap/data/postgis/pgtest"
	"civmap/data/sample"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/tiles"
)

// notifyWait bounds the wait for a notification from the other store.
const notifyWait = 5 * time.Second

// twoStores opens two stores on one new database holding the sample, as two processes would: a (the one that serves
// tiles) and b (the writer). Both close when the test ends.
func twoStores(t *testing.T) (a, b *postgis.Store, batch *data.Batch, url string) {
	t.Helper()
	ctx := context.Background()
	url = pgtest.NewDatabase(t)
	open := func() *postgis.Store {
		s, err := postgis.Open(ctx, url, postgis.Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b = open(), open()
	batch, err := sample.Batch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, *batch, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	return a, b, batch, url
}

// recorder collects the changes a subscriber gets, from any goroutine.
type recorder struct {
	mu  sync.Mutex
	got []tiles.Change
}

func (r *recorder) add(c tiles.Change) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

func (r *recorder) changes() []tiles.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitN waits until n changes were recorded (failing after notifyWait) and returns them all.
func (r *recorder) waitN(t *testing.T, n int) []tiles.Change {
	t.Helper()
	deadline := time.Now().Add(notifyWait)
	for {
		got := r.changes()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d changes after %v, want %d: %+v", len(got), notifyWait, n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pointPlaces are the sample's places with a point geometry that the places layer shows.
func pointPlaces(b *data.Batch) []gazetteer.Place {
	var out []gazetteer.Place
	for _, p := range b.Places {
		if _, ok := p.Geometry.(orb.Point); ok && p.Status != gazetteer.StatusAbolished {
			out = append(out, p)
		}
	}
	return out
}

// movePlace moves place id by (dx, dy) degrees through s and returns the old and new point.
func movePlace(t *testing.T, s *postgis.Store, id string, dx, dy float64) (old, moved orb.Point) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Place(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	old = p.Geometry.(orb.Point)
	moved = orb.Point{old[0] + dx, old[1] + dy}
	p.Geometry = moved
	if _, err := s.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	return old, moved
}

// listenerGoroutines counts the stores' listener goroutines in this process.
func listenerGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "postgis.(*Store).listen(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitListenerGoroutines polls listenerGoroutines until it is want or notifyWait has passed, and returns the last count.
func waitListenerGoroutines(want int) int {
	deadline := time.Now().Add(notifyWait)
	n := listenerGoroutines()
	for n != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = listenerGoroutines()
	}
	return n
}

// listenerBackends are the pids of the listener connections on the database of url.
func listenerBackends(t *testing.T, ctx context.Context, url string) []int32 {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT pid FROM pg_stat_activity
		WHERE application_name = 'civmap-listener' AND datname = current_database() AND pid <> pg_backend_pid()`)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// TestNotifyOtherStore: the writes of another store (another process) reach the subscribers with their layers and
// bounds; the store's own writes reach them once, synchronously, and never again through the listener.
func TestNotifyOtherStore(t *testing.T) {
	ctx := context.Background()
	a, b, batch, _ := twoStores(t)
	var rec recorder
	a.Subscribe(rec.add)
	places := pointPlaces(batch)

	// UpdatePlace on b.
	old, moved := movePlace(t, b, places[0].ID, 0.01, 0)
	got := rec.waitN(t, 1)
	want := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{old.Bound(), moved.Bound()}}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("update on b: %+v, want %+v", got[0], want)
	}

	// CreatePlace on b.
	np := gazetteer.Place{ID: "新-notify", Name: "新", Category: "10", Status: "current", Geometry: orb.Point{121.9, 29.4}}
	if _, err := b.CreatePlace(ctx, np, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	got = rec.waitN(t, 2)
	want = tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{np.Geometry.Bound()}}
	if !reflect.DeepEqual(got[1], want) {
		t.Fatalf("create on b: %+v, want %+v", got[1], want)
	}

	// A small Import on b: the layers, the new bounds and the replaced ones, exactly as b's own subscribers get them.
	var recB recorder
	b.Subscribe(recB.add)
	f := batch.Facilities[0]
	oldF := f.Location
	f.Location = orb.Point{oldF[0], oldF[1] + 0.01}
	tw := batch.Divisions[1]
	tw.Name += "（改）" // an identical record would be a no-op and change no tile
	if _, err := b.Import(ctx, data.Batch{Facilities: []facilities.Facility{f}, Divisions: []gazetteer.Division{tw}}, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	got = rec.waitN(t, 3)
	c := got[2]
	if !slices.Equal(c.Layers, []string{"divisions", "facilities"}) || c.All {
		t.Errorf("import on b: layers %v all %v", c.Layers, c.All)
	}
	has := func(bb orb.Bound) bool { return slices.Contains(c.Bounds, bb) }
	if !has(oldF.Bound()) || !has(f.Location.Bound()) || !has(tw.Geometry.Bound()) {
		t.Errorf("import on b: bounds %v", c.Bounds)
	}
	if local := recB.changes(); len(local) != 1 || !reflect.DeepEqual(local[0], c) {
		t.Errorf("import: b's own subscriber got %+v, a's %+v", local, c)
	}

	// a's own write: told once, synchronously; its notification is skipped. b's next write is the marker that every
	// earlier notification was handled (notifications arrive in commit order).
	oldA, movedA := movePlace(t, a, places[1].ID, 0, 0.01)
	if got := rec.changes(); len(got) != 4 {
		t.Fatalf("own update not told synchronously: %d changes", len(got))
	}
	oldB, movedB := movePlace(t, b, places[2].ID, 0, -0.01)
	got = rec.waitN(t, 5)
	wantOwn := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{oldA.Bound(), movedA.Bound()}}
	wantB := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{oldB.Bound(), movedB.Bound()}}
	if !reflect.DeepEqual(got[3], wantOwn) || !reflect.DeepEqual(got[4], wantB) {
		t.Errorf("own update then b's: %+v", got[3:])
	}
	// Its own notification, committed before b's, would have come before it: nothing came twice.
	if got := rec.changes(); len(got) != 5 {
		t.Errorf("a got its own change twice: %+v", got[3:])
	}
	// b got its own two writes synchronously and a's through its listener; a's next write marks that b's listener
	// handled (skipped) b's own notifications, which committed before it.
	oldA2, movedA2 := movePlace(t, a, places[0].ID, 0.01, 0.01)
	local := recB.waitN(t, 4)
	wantA2 := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{oldA2.Bound(), movedA2.Bound()}}
	is := func(want tiles.Change) func(tiles.Change) bool {
		return func(x tiles.Change) bool { return reflect.DeepEqual(x, want) }
	}
	if len(local) != 4 || !reflect.DeepEqual(local[0], c) || !slices.ContainsFunc(local[1:3], is(wantOwn)) ||
		!slices.ContainsFunc(local[1:3], is(wantB)) || !reflect.DeepEqual(local[3], wantA2) {
		t.Errorf("b's subscriber: %+v", local)
	}
}

// TestNotifyRollback: writes that fail (a rolled-back import, a version mismatch, a duplicate create) send nothing.
func TestNotifyRollback(t *testing.T) {
	ctx := context.Background()
	a, b, batch, _ := twoStores(t)
	var rec recorder
	a.Subscribe(rec.add)

	// The import's notification is queued before the marker's foreign key fails: the rollback drops it.
	f := batch.Facilities[0]
	f.Location = orb.Point{f.Location[0] + 0.02, f.Location[1]}
	m := batch.Markers[0]
	m.Number, m.LineID = "X-notify-1", "no-such-line"
	_, err := b.Import(ctx, data.Batch{Facilities: []facilities.Facility{f}, Markers: []gazetteer.Marker{m}}, edit.Meta{Actor: "test", Action: "import"})
	var inv apierr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("import with a marker on no line: %v", err)
	}
	p, err := b.Place(ctx, pointPlaces(batch)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.UpdatePlace(ctx, p, p.Version+1, edit.Meta{Actor: "test", Action: "import"}); !errors.Is(err, apierr.ErrVersionMismatch) {
		t.Fatalf("stale update: %v", err)
	}
	if _, err := b.CreatePlace(ctx, p, edit.Meta{Actor: "test", Action: "import"}); !errors.Is(err, apierr.ErrConflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	// The marker: the first notification a gets is this one.
	old, moved := movePlace(t, b, p.ID, 0.01, 0.01)
	got := rec.waitN(t, 1)
	want := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{old.Bound(), moved.Bound()}}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("after failed writes: %+v, want only %+v", got, want)
	}
}

// TestNotifyPayload: the notification is JSON with the writer's origin, layers, bounds and all; bounds that do not fit
// 8000 bytes become all=true for the layers (b's own subscribers still get the bounds).
func TestNotifyPayload(t *testing.T) {
	ctx := context.Background()
	a, b, batch, url := twoStores(t)
	var rec recorder
	a.Subscribe(rec.add)
	var recB recorder
	b.Subscribe(recB.add)

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `LISTEN civmap_changes`); err != nil {
		t.Fatal(err)
	}
	next := func() map[string]any {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, notifyWait)
		defer cancel()
		n, err := conn.WaitForNotification(wctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Payload) >= 8000 {
			t.Errorf("payload of %d bytes", len(n.Payload))
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			t.Fatalf("payload %q: %v", n.Payload, err)
		}
		return m
	}

	old, moved := movePlace(t, b, pointPlaces(batch)[0].ID, 0.01, 0)
	m := next()
	origin, _ := m["origin"].(string)
	want := map[string]any{"origin": origin, "layers": []any{"places"}, "all": false, "bounds": []any{
		[]any{old[0], old[1], old[0], old[1]}, []any{moved[0], moved[1], moved[0], moved[1]}}}
	if origin == "" || !reflect.DeepEqual(m, want) {
		t.Errorf("payload %v, want %v", m, want)
	}
	movePlace(t, a, pointPlaces(batch)[1].ID, 0.01, 0)
	if m := next(); m["origin"] == origin || m["origin"] == "" {
		t.Errorf("a's origin %v, b's %v", m["origin"], origin)
	}

	// 400 demand units at distinct points: about 40 bytes of bounds each.
	var big data.Batch
	for i := range 400 {
		big.Demand = append(big.Demand, facilities.DemandUnit{Code: fmt.Sprintf("N%04d", i), Name: "n",
			TownshipCode: "330225001", Location: orb.Point{121.8 + float64(i)*0.000123, 29.3 + float64(i)*0.0000789}})
	}
	nB := len(recB.waitN(t, 2)) // its own update, and a's through its listener
	if _, err := b.Import(ctx, big, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	m = next()
	if m["all"] != true || !reflect.DeepEqual(m["layers"], []any{"demand"}) || len(m["bounds"].([]any)) != 0 {
		t.Errorf("big payload: %v", m)
	}
	got := rec.waitN(t, 3) // b's update, a's own, the import
	if c := got[2]; !c.All || !slices.Equal(c.Layers, []string{"demand"}) || len(c.Bounds) != 0 {
		t.Errorf("a got %+v for a large payload", c)
	}
	if local := recB.changes(); len(local) != nB+1 || len(local[nB].Bounds) != 400 || local[nB].All {
		t.Errorf("b's own subscriber: %d changes after %d, the last with %d bounds", len(local), nB,
			len(local[len(local)-1].Bounds))
	}
}

// TestNotifyReconnect: when the listener's connection is killed, it reconnects and tells every layer changed (it may
// have missed notifications), then gets the other store's writes again.
func TestNotifyReconnect(t *testing.T) {
	ctx := context.Background()
	a, b, batch, url := twoStores(t)
	var rec recorder
	a.Subscribe(rec.add)
	pids := listenerBackends(t, ctx, url)
	if len(pids) != 1 {
		t.Fatalf("listener backends %v, want one", pids)
	}
	var killed bool
	if err := b.Pool().QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pids[0]).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listener: %v %v", killed, err)
	}
	got := rec.waitN(t, 1)
	all := tiles.Change{All: true}
	for _, l := range tiles.Layers {
		all.Layers = append(all.Layers, l.Name)
	}
	if !reflect.DeepEqual(got[0], all) {
		t.Errorf("after reconnecting: %+v, want %+v", got[0], all)
	}
	if pids2 := listenerBackends(t, ctx, url); len(pids2) != 1 || pids2[0] == pids[0] {
		t.Errorf("listener backends %v after killing %d", pids2, pids[0])
	}
	old, moved := movePlace(t, b, pointPlaces(batch)[0].ID, 0.01, 0)
	got = rec.waitN(t, 2)
	want := tiles.Change{Layers: []string{"places"}, Bounds: []orb.Bound{old.Bound(), moved.Bound()}}
	if !reflect.DeepEqual(got[1], want) {
		t.Errorf("after the reconnect: %+v, want %+v", got[1], want)
	}
}

// TestNotifyClose: one listener per store however many subscribers; Close stops it (goroutine and connection), twice
// is fine, and a Subscribe after Close starts none.
func TestNotifyClose(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	before := listenerGoroutines()
	s, err := postgis.Open(ctx, url, postgis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := listenerGoroutines(); n != before {
		t.Errorf("%d listeners before Subscribe, want %d", n, before)
	}
	s.Subscribe(func(tiles.Change) {})
	s.Subscribe(func(tiles.Change) {})
	if n := listenerGoroutines(); n != before+1 {
		t.Errorf("%d listeners after two Subscribes, want %d", n, before+1)
	}
	if pids := listenerBackends(t, ctx, url); len(pids) != 1 {
		t.Errorf("listener backends %v, want one", pids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waits for its own goroutine, but the count is process-wide: a listener of an earlier test's store may still
	// be winding down, so allow it a moment rather than count it as a leak of this one.
	if n := waitListenerGoroutines(before); n != before {
		t.Errorf("%d listeners after Close, want %d", n, before)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	s.Subscribe(func(tiles.Change) {})
	if n := waitListenerGoroutines(before); n != before {
		t.Errorf("Subscribe after Close started a listener")
	}
	// The backend ends asynchronously after the connection's Terminate message.
	deadline := time.Now().Add(notifyWait)
	for len(listenerBackends(t, ctx, url)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("listener backend still there after Close")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNotifyTileService: a tile Service on store a caches a tile; store b moves a place into it; once the notification
// arrives, a's Service serves the new tile, not the cached one.
func TestNotifyTileService(t *testing.T) {
	ctx := context.Background()
	a, b, batch, _ := twoStores(t)
	svc, err := tiles.NewService(a, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := mux.NewRouter()
	tiles.Routes(r, svc)
	places := pointPlaces(batch)
	tl := maptile.At(places[0].Geometry.(orb.Point), 14)
	path := fmt.Sprintf("/tiles/places/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	// A place outside the tile (and its buffer), to move into it.
	var q gazetteer.Place
	for _, p := range places[1:] {
		if !tiles.BufferedBound(tl).Contains(p.Geometry.(orb.Point)) {
			q = p
			break
		}
	}
	if q.ID == "" {
		t.Fatal("no place outside the tile")
	}
	get := func() (ids []string, etag string) {
		t.Helper()
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		ls, err := mvt.Unmarshal(w.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			for _, f := range l.Features {
				if id, ok := f.Properties["id"].(string); ok {
					ids = append(ids, id)
				}
			}
		}
		return ids, w.Header().Get("ETag")
	}
	ids, etag := get()
	if !slices.Contains(ids, places[0].ID) || slices.Contains(ids, q.ID) {
		t.Fatalf("tile %s: %v", path, ids)
	}
	if _, etag2 := get(); etag2 != etag || svc.CacheStats().Hits != 1 {
		t.Fatalf("second GET not from the cache: %+v, etag %s then %s", svc.CacheStats(), etag, etag2)
	}

	p, err := b.Place(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Geometry = tl.Center()
	if _, err := b.UpdatePlace(ctx, p, p.Version, edit.Meta{Actor: "test", Action: "import"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(notifyWait)
	for {
		ids, etag2 := get()
		if slices.Contains(ids, q.ID) {
			if etag2 == etag {
				t.Errorf("new tile, same ETag %s", etag)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v a's Service still serves the old tile (%+v)", notifyWait, svc.CacheStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
