package tiles

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// HerdTile is the tile the herd tests and benchmarks request: z10 over the county seat (丹东街道), where every layer
// shown at z10 has features.
var HerdTile = maptile.At(orb.Point{121.87, 29.47}, 10)

// HerdResult is what a herd of concurrent requests for one uncached tile cost and got.
type HerdResult struct {
	Requests int
	// Renders counts the store's renders of the tile, seen by a counting wrapper around it: MVT calls of an
	// MVTSource, or TileFeatures calls for the first zoom-active layer of a FeatureSource (Encode makes one per layer).
	Renders int64
	// Stats are the Service's own counters after the herd.
	Stats CacheStats
	// Status counts the answers by HTTP status.
	Status map[int]int
	// Bodies holds the distinct bodies of the 200 answers.
	Bodies [][]byte
}

// AllOK reports whether every request was answered 200 with the same non-empty bytes.
func (r HerdResult) AllOK() bool {
	return r.Status[http.StatusOK] == r.Requests && len(r.Bodies) == 1 && len(r.Bodies[0]) > 0
}

func (r HerdResult) String() string {
	return fmt.Sprintf("%d requests: %d renders, statuses %v, %d distinct bodies, stats %+v", r.Requests, r.Renders,
		r.Status, len(r.Bodies), r.Stats)
}

// Herd serves store (an MVTSource or FeatureSource, wrapped to count renders) with a fresh Service (opts) through
// NewBenchRouter, and sends n requests for tile t of layers at once (each in its own goroutine, released together),
// without Accept-Encoding.
func Herd(store any, opts Options, t maptile.Tile, layers []Layer, n int) (HerdResult, error) {
	active := ActiveLayers(layers, int(t.Z))
	if len(active) == 0 {
		return HerdResult{}, fmt.Errorf("tiles: no layer of %v is shown at z%d", layers, t.Z)
	}
	var renders atomic.Int64
	var src any
	switch s := store.(type) {
	case MVTSource:
		src = countingMVT{s, &renders}
	case FeatureSource:
		src = countingFeatures{s, active[0].Name, &renders}
	default:
		return HerdResult{}, fmt.Errorf("tiles: store %T implements neither MVTSource nor FeatureSource", store)
	}
	svc, err := NewService(src, opts)
	if err != nil {
		return HerdResult{}, err
	}
	h := NewBenchRouter(svc)
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	path := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", strings.Join(names, ","), t.Z, t.X, t.Y)
	ws := make([]*httptest.ResponseRecorder, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			w := httptest.NewRecorder()
			<-start
			h.ServeHTTP(w, r)
			ws[i] = w
		})
	}
	close(start)
	wg.Wait()
	res := HerdResult{Requests: n, Renders: renders.Load(), Stats: svc.CacheStats(), Status: map[int]int{}}
	for _, w := range ws {
		res.Status[w.Code]++
		if w.Code != http.StatusOK {
			continue
		}
		seen := false
		for _, b := range res.Bodies {
			seen = seen || bytes.Equal(b, w.Body.Bytes())
		}
		if !seen {
			res.Bodies = append(res.Bodies, w.Body.Bytes())
		}
	}
	return res, nil
}

type countingMVT struct {
	MVTSource
	n *atomic.Int64
}

func (c countingMVT) MVT(ctx context.Context, t maptile.Tile, layers []Layer, zoom int) ([]byte, error) {
	c.n.Add(1)
	return c.MVTSource.MVT(ctx, t, layers, zoom)
}

type countingFeatures struct {
	FeatureSource
	layer string
	n     *atomic.Int64
}

func (c countingFeatures) TileFeatures(ctx context.Context, layer string, bound orb.Bound, zoom int) ([]Feature, error) {
	if layer == c.layer {
		c.n.Add(1)
	}
	return c.FeatureSource.TileFeatures(ctx, layer, bound, zoom)
}

// BenchHerd sends b.N herds of n concurrent requests, each for HerdTile of all layers on a fresh Service (an uncached
// tile), and reports renders/herd (the target is 1) and all-200 (the share of herds answered 200 with one body by
// every request: the target is 1). A herd that misses either target fails the benchmark.
func BenchHerd(b *testing.B, store any, n int) {
	b.Helper()
	var renders int64
	ok := 0
	for b.Loop() {
		res, err := Herd(store, Options{}, HerdTile, Layers, n)
		if err != nil {
			b.Fatal(err)
		}
		renders += res.Renders
		if res.AllOK() {
			ok++
		}
		if res.Renders != 1 || !res.AllOK() {
			b.Errorf("herd: %v", res)
		}
	}
	b.ReportMetric(float64(renders)/float64(b.N), "renders/herd")
	b.ReportMetric(float64(ok)/float64(b.N), "all-200")
	b.ReportMetric(float64(n), "requests/herd")
}
