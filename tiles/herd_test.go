package tiles

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/gazetteer"
	"civmap/internal/httpx"
)

// gateSource is a FeatureSource of one places layer whose TileFeatures calls read the features, then wait until gate is
// closed (or their context ends) before returning them; calls counts them. Safe for concurrent use.
type gateSource struct {
	mu     sync.Mutex
	places []Feature
	gate   chan struct{}
	calls  atomic.Int64
	subs   []func(Change)
}

func (g *gateSource) TileFeatures(ctx context.Context, layer string, bound orb.Bound, zoom int) ([]Feature, error) {
	g.mu.Lock()
	var out []Feature
	for _, f := range g.places {
		if f.Geometry.Bound().Intersects(bound) {
			out = append(out, f)
		}
	}
	g.mu.Unlock()
	g.calls.Add(1)
	select {
	case <-g.gate:
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *gateSource) Subscribe(f func(Change)) { g.subs = append(g.subs, f) }

// add stores a place at p and notifies, as a store's committed write does.
func (g *gateSource) add(id string, p orb.Point) {
	g.mu.Lock()
	g.places = append(g.places, PlaceFeature(gazetteer.Place{ID: id, Name: "地名" + id, Status: "current", Geometry: p},
		uint64(len(g.places)+1)))
	g.mu.Unlock()
	for _, f := range g.subs {
		f(Change{Layers: []string{"places"}, Bounds: []orb.Bound{p.Bound()}})
	}
}

func newGateService(t *testing.T, opts Options) (*Service, *gateSource, http.Handler) {
	t.Helper()
	src := &gateSource{gate: make(chan struct{})}
	src.places = []Feature{PlaceFeature(gazetteer.Place{ID: "a", Name: "地名", Status: "current", Geometry: xiangshanPoints[0]}, 1)}
	svc, err := NewService(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter()
	Routes(r, svc)
	return svc, src, r
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestCoalescedRender: 50 concurrent requests for one uncached tile, all of them waiting while it renders, cost one
// render; all answer 200 with the same bytes, and the next request is a cache hit. The same with the cache off.
func TestCoalescedRender(t *testing.T) {
	const n = 50
	for _, opts := range []Options{{}, {CacheMB: -1}} {
		svc, src, h := newGateService(t, opts)
		path := tilePath("places", maptile.At(xiangshanPoints[0], 14))
		ws := make([]*httptest.ResponseRecorder, n)
		var wg sync.WaitGroup
		for i := range ws {
			wg.Go(func() {
				hdr := []string{}
				if i%2 == 1 {
					hdr = []string{"Accept-Encoding", "gzip"}
				}
				ws[i] = get(h, path, hdr...)
			})
		}
		// Every request has missed the cache (and so is waiting on a render) before the render may finish.
		waitFor(t, "50 misses", func() bool { return svc.CacheStats().Misses == n })
		close(src.gate)
		wg.Wait()
		if got := src.calls.Load(); got != 1 {
			t.Errorf("opts %+v: %d renders for %d concurrent requests, want 1", opts, got, n)
		}
		for i, w := range ws {
			if w.Code != http.StatusOK {
				t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
			}
			if i%2 == 0 && !bytes.Equal(w.Body.Bytes(), ws[0].Body.Bytes()) ||
				i%2 == 1 && !bytes.Equal(w.Body.Bytes(), ws[1].Body.Bytes()) {
				t.Fatalf("request %d: other bytes", i)
			}
		}
		st := svc.CacheStats()
		if st.Renders != 1 || st.Coalesced != n-1 {
			t.Errorf("opts %+v: stats %+v, want 1 render and %d coalesced", opts, st, n-1)
		}
		if opts.CacheMB == 0 {
			if get(h, path); svc.CacheStats().Hits != 1 || src.calls.Load() != 1 {
				t.Errorf("after the herd: %+v, %d renders", svc.CacheStats(), src.calls.Load())
			}
		}
	}
}

// TestCoalescingAndChange: a write that commits while a tile renders splits the herd. Requests that arrive after it
// do not join the render begun before it (they would get the old tile) but render again; the old render is not cached,
// the new one is, so later requests see the write.
func TestCoalescingAndChange(t *testing.T) {
	svc, src, h := newGateService(t, Options{})
	tile := maptile.At(xiangshanPoints[0], 14)
	path := tilePath("places", tile)
	var before, after *httptest.ResponseRecorder
	var wg sync.WaitGroup
	wg.Go(func() { before = get(h, path) })
	waitFor(t, "the first render", func() bool { return src.calls.Load() == 1 })
	src.add("b", orb.Point{xiangshanPoints[0][0] + 1e-4, xiangshanPoints[0][1]})
	wg.Go(func() { after = get(h, path) })
	deadline := time.Now().Add(2 * time.Second)
	for src.calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if src.calls.Load() != 2 {
		t.Error("a request made after a write joined the render begun before it")
	}
	close(src.gate)
	wg.Wait()
	if before.Code != 200 || after.Code != 200 {
		t.Fatalf("%d %d", before.Code, after.Code)
	}
	if before.Header().Get("ETag") == after.Header().Get("ETag") {
		t.Error("the request after the write got the tile from before it")
	}
	w := get(h, path)
	if w.Header().Get("ETag") != after.Header().Get("ETag") {
		t.Errorf("cached tile %s, want the one rendered after the write %s (before: %s)", w.Header().Get("ETag"),
			after.Header().Get("ETag"), before.Header().Get("ETag"))
	}
	if svc.CacheStats().Hits != 1 || src.calls.Load() != 2 {
		t.Errorf("%+v, %d renders", svc.CacheStats(), src.calls.Load())
	}
}

// TestCoalescedRenderCallerLeaves: the request that started a render going away does not fail the others waiting on
// it (the render is detached from its context), and a waiting request that gives up gets its own context's error.
func TestCoalescedRenderCallerLeaves(t *testing.T) {
	svc, src, _ := newGateService(t, Options{})
	tile := maptile.At(xiangshanPoints[0], 14)
	active := ActiveLayers([]Layer{Layers[layerIndex("places")]}, 14)
	leaderCtx, leave := context.WithCancel(context.Background())
	waiterCtx, giveUp := context.WithCancel(context.Background())
	var leader, quitter, patient error
	var wg sync.WaitGroup
	wg.Go(func() { _, _, leader = svc.tile(leaderCtx, tile, active) })
	waitFor(t, "the first render", func() bool { return src.calls.Load() == 1 })
	wg.Go(func() { _, _, quitter = svc.tile(waiterCtx, tile, active) })
	wg.Go(func() { _, _, patient = svc.tile(context.Background(), tile, active) })
	waitFor(t, "the other misses", func() bool { return svc.CacheStats().Misses == 3 })
	leave()
	giveUp()
	time.Sleep(10 * time.Millisecond)
	close(src.gate)
	wg.Wait()
	if leader != nil || quitter != context.Canceled || patient != nil {
		t.Errorf("leader %v (want nil: it rendered), quitter %v (want context.Canceled), patient %v (want nil)",
			leader, quitter, patient)
	}
	if src.calls.Load() != 1 {
		t.Errorf("%d renders", src.calls.Load())
	}
}

func layerIndex(name string) int {
	for i, l := range Layers {
		if l.Name == name {
			return i
		}
	}
	panic(name)
}
