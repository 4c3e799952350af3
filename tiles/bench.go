package tiles

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/internal/httpx"
)

// BenchBound is the area the tile benchmarks cover: Xiangshan, lon 121.6–122.05, lat 29.0–29.65 (degrees).
var BenchBound = orb.Bound{Min: orb.Point{121.6, 29.0}, Max: orb.Point{122.05, 29.65}}

// BenchmarkTileSet is the fixed tile set of the benchmarks: every z8–z14 tile over BenchBound, in a fixed shuffled
// order so that a run shorter than the set still mixes the zooms. Both stores' benchmarks use it, so their tiles/s
// compare.
func BenchmarkTileSet() []maptile.Tile {
	ts := TileCover(BenchBound, 8, 14)
	rng := rand.New(rand.NewPCG(8, 14))
	rng.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
	return ts
}

// BenchPaths are the request paths of BenchmarkTileSet for a layer list, e.g. "/tiles/places/14/13733/6750.mvt".
func BenchPaths(layers string) []string {
	ts := BenchmarkTileSet()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, t.Z, t.X, t.Y)
	}
	return out
}

// NewBenchRouter is the router the tile benchmarks serve through: httpx.NewRouter with Routes(svc), as civmap serve
// wires it.
func NewBenchRouter(svc *Service) http.Handler {
	r := httpx.NewRouter()
	Routes(r, svc)
	return r
}

// CeilingHandler serves body as every tile, with a tile's headers, through the same router, CORS middleware and
// route as Routes: the most any tile handler could do, the benchmarks' ceiling.
func CeilingHandler(body []byte) http.Handler {
	r := httpx.NewRouter()
	etag := []string{`"ceiling"`}
	length := []string{strconv.Itoa(len(body))}
	cacheControl := []string{DefaultCacheControl}
	notUsed := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotImplemented) }
	routes(r, notUsed, notUsed, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = cacheControl
		h["Vary"] = varyAcceptEncoding
		h["Etag"] = etag
		h["Content-Type"] = mvtContentType
		h["Content-Length"] = length
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	return r
}

// RepresentativeTile renders BenchmarkTileSet's tiles of all layers with svc and returns the one whose size is nearest
// the mean: the body a fair ceiling serves.
func RepresentativeTile(ctx context.Context, svc *Service) ([]byte, error) {
	var tiles [][]byte
	total := 0
	for _, t := range BenchmarkTileSet() {
		b, err := svc.Render(ctx, t, Layers)
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, b)
		total += len(b)
	}
	mean := total / len(tiles)
	best := tiles[0]
	for _, b := range tiles {
		if abs(len(b)-mean) < abs(len(best)-mean) {
			best = b
		}
	}
	return best, nil
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// BenchServe requests paths in turn through h, b.N requests in all (each with its own httptest recorder), and reports
// tiles/s. A status other than 200 or 204 fails the benchmark.
func BenchServe(b *testing.B, h http.Handler, paths []string) {
	b.Helper()
	reqs := make([]*http.Request, len(paths))
	for i, p := range paths {
		reqs[i] = httptest.NewRequest(http.MethodGet, p, nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, reqs[i%len(reqs)])
		if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
			b.Fatalf("%s: %d %s", paths[i%len(paths)], w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
}

// WarmCache requests every path once through h, so that a cached benchmark measures hits only.
func WarmCache(tb testing.TB, h http.Handler, paths []string) {
	tb.Helper()
	for _, p := range paths {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
			tb.Fatalf("%s: %d %s", p, w.Code, w.Body)
		}
	}
}

// BenchStore runs the tile benchmarks of one store over BenchPaths(AllLayers()): NAME/uncached (no cache, every tile
// rendered), NAME/cached (a warm cache) and ceiling (a handler serving one representative tile's bytes through the same
// router), each reporting tiles/s, so that cached/ceiling is a ratio measured in one run.
func BenchStore(b *testing.B, name string, store any) {
	paths := BenchPaths(AllLayers())
	service := func(b *testing.B, opts Options) *Service {
		svc, err := NewService(store, opts)
		if err != nil {
			b.Fatal(err)
		}
		return svc
	}
	b.Run(name+"/uncached", func(b *testing.B) {
		BenchServe(b, NewBenchRouter(service(b, Options{CacheMB: -1})), paths)
	})
	b.Run(name+"/cached", func(b *testing.B) {
		h := NewBenchRouter(service(b, Options{}))
		WarmCache(b, h, paths)
		BenchServe(b, h, paths)
	})
	b.Run("ceiling", func(b *testing.B) {
		body, err := RepresentativeTile(context.Background(), service(b, Options{CacheMB: -1}))
		if err != nil {
			b.Fatal(err)
		}
		BenchServe(b, CeilingHandler(body), paths)
	})
}
