package tiles

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestAcceptEncodingQ: a coding refused with q=0 is not served, whatever "*" says.
func TestAcceptEncodingQ(t *testing.T) {
	gzipSmallTiles(t)
	_, _, h := newTestService(t, Options{})
	path := tilePath("places", maptile.At(xiangshanPoints[1], 14))
	for ae, want := range map[string]string{
		"gzip;q=0, *":        "",
		"*, gzip;q=0":        "",
		"*":                  "gzip",
		"*;q=0":              "",
		"identity, gzip;q=1": "gzip",
		"br":                 "",
	} {
		w := get(h, path, "Accept-Encoding", ae)
		if w.Code != 200 || w.Header().Get("Content-Encoding") != want {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q, want %q", ae, w.Code,
				w.Header().Get("Content-Encoding"), want)
		}
	}
}

// TestPathSegmentsDecodedAlike: every segment of a tile path is percent-decoded the same way.
func TestPathSegmentsDecodedAlike(t *testing.T) {
	_, _, h := newTestService(t, Options{})
	tile := maptile.At(xiangshanPoints[1], 14)
	plain := get(h, tilePath("places", tile))
	if plain.Code != 200 {
		t.Fatal(plain.Code)
	}
	for _, p := range []string{
		"/tiles/%70laces/14/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt",
		"/tiles/places/%31%34/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt",
		"/tiles/places/14/%3" + itoa(int(tile.X))[:1] + itoa(int(tile.X))[1:] + "/" + itoa(int(tile.Y)) + ".mvt",
		"/tiles/places/14/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + "%2Emvt",
	} {
		if w := get(h, p); w.Code != 200 || w.Body.String() != plain.Body.String() {
			t.Errorf("%s: %d %s", p, w.Code, w.Body)
		}
	}
	for p, want := range map[string]int{
		"/tiles/places/%32/1/1.mvt":    204, // z2 is below places' minzoom: decoded, valid, empty
		"/tiles/%64ivisions/2/1/1.mvt": 204,
		"/tiles/places/2/%00/1.mvt":    400,
	} {
		if w := get(h, p); w.Code != want {
			t.Errorf("%s: %d %s, want %d", p, w.Code, w.Body, want)
		}
	}
}

// TestHugeInputNotEchoed: a 100 KB layer name, zoom or tile path is answered with a small problem.
func TestHugeInputNotEchoed(t *testing.T) {
	_, _, h := newTestService(t, Options{})
	huge := strings.Repeat("x", 100_000)
	for p, want := range map[string]int{
		"/tiles/" + huge + "/1/1/1.mvt":        404,
		"/tiles/places," + huge + "/1/1/1.mvt": 404,
		"/tiles/" + huge + ".json":             404,
		"/tiles/places/" + huge + "/1/1.mvt":   400,
		"/tiles/places/1/1/1." + huge:          400,
		"/tiles/" + huge:                       404,
	} {
		w := get(h, p)
		if w.Code != want || w.Body.Len() > 2000 {
			t.Errorf("%.40s…: %d with %d bytes, want %d and a short problem", p, w.Code, w.Body.Len(), want)
		}
	}
}

// TestTileHandlerAnswersAsRouter: every request PlainTileRequest lets through TileHandler gets the answer the router's
// tile route gives — status, headers and body — and requests of any other form are left to the router.
func TestTileHandlerAnswersAsRouter(t *testing.T) {
	svc, _, router := newTestService(t, Options{})
	fast := svc.TileHandler()
	ts := TileCover(orb.Bound{Min: orb.Point{121.85, 29.45}, Max: orb.Point{121.95, 29.5}}, 10, 12)
	var paths []string
	for _, tl := range ts {
		paths = append(paths, tilePath("places,facilities", tl), tilePath("facilities", tl))
	}
	paths = append(paths,
		"/tiles/places/9/428/213.pbf", // .pbf as GDAL asks
		"/tiles/places/30/1/1.mvt",    // 400: zoom out of range
		"/tiles/places/10/01/2.mvt",   // 400: leading zero
		"/tiles/nowhere/10/1/2.mvt",   // 404: unknown layer
		"/tiles/places,places/10/1/2.mvt",
		"/tiles/places/10/1/2.png",
		"/tiles/demand/3/1/2.mvt") // 204: layer not shown at z3
	first := get(router, paths[0], "Accept-Encoding", "gzip")
	etag := first.Header().Get("Etag")
	if first.Code != http.StatusOK || etag == "" {
		t.Fatalf("%s: %d, ETag %q; want a tile", paths[0], first.Code, etag)
	}
	cases := [][]string{nil, {"Accept-Encoding", "gzip"}, {"Accept-Encoding", "gzip", "If-None-Match", etag},
		{"If-None-Match", `W/` + etag}}
	for _, p := range paths {
		for _, hdr := range cases {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req := func() *http.Request {
					r := httptest.NewRequest(method, p, nil)
					for i := 0; i+1 < len(hdr); i += 2 {
						r.Header.Set(hdr[i], hdr[i+1])
					}
					return r
				}
				if !PlainTileRequest(req()) {
					t.Fatalf("%s %s: not a plain tile request", method, p)
				}
				want, got := httptest.NewRecorder(), httptest.NewRecorder()
				router.ServeHTTP(want, req())
				fast.ServeHTTP(got, req())
				if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
					t.Errorf("%s %s %v: fast %d (%d bytes), router %d (%d bytes)", method, p, hdr, got.Code,
						got.Body.Len(), want.Code, want.Body.Len())
				}
				for k := range want.Header() {
					if k == "X-Request-Id" {
						continue
					}
					if g, w := got.Header().Values(k), want.Header().Values(k); !slices.Equal(g, w) {
						t.Errorf("%s %s %v: header %s fast %q, router %q", method, p, hdr, k, g, w)
					}
				}
				if len(got.Header()) != len(want.Header()) {
					t.Errorf("%s %s %v: fast headers %v, router %v", method, p, hdr, got.Header(), want.Header())
				}
			}
		}
	}
	for _, p := range []string{"/tiles/places/10/1/2.mvt?x=1", "/tiles/pla%63es/10/1/2.mvt", "/tiles/places/{z}/{x}/{y}.pbf",
		"/tiles/places/metadata.json", "/tiles/places.json", "/tiles/places//1/2.mvt", "/tiles/places/10/1/2/3.mvt",
		"/tiles/style.json", "/api/places", "/tiles/coverage/10/1/2.mvt"} {
		if PlainTileRequest(httptest.NewRequest(http.MethodGet, p, nil)) {
			t.Errorf("%s: taken as a plain tile request", p)
		}
	}
	if PlainTileRequest(httptest.NewRequest(http.MethodOptions, paths[0], nil)) {
		t.Error("a preflight taken as a plain tile request")
	}
}

// nullWriter is a ResponseWriter that keeps one header map and discards the body, so that what a handler allocates
// is its own.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(int)             {}

// TestCachedTileAllocatesNothing: a cached tile, plain or gzipped, is answered by TileHandler without allocating:
// the key is built on the stack and every header value is a slice made once with the tile.
func TestCachedTileAllocatesNothing(t *testing.T) {
	gzipSmallTiles(t)
	svc, _, _ := newTestService(t, Options{})
	h := svc.TileHandler()
	for _, ae := range []string{"", "gzip"} {
		r := httptest.NewRequest(http.MethodGet, tilePath("places,facilities", maptile.At(xiangshanPoints[1], 14)), nil)
		if ae != "" {
			r.Header.Set("Accept-Encoding", ae)
		}
		w := &nullWriter{h: http.Header{}}
		h.ServeHTTP(w, r) // renders and caches
		if w.h.Get("Etag") == "" {
			t.Fatalf("no tile: %v", w.h)
		}
		if n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) }); n != 0 {
			t.Errorf("Accept-Encoding %q: %.1f allocations per cached tile, want 0", ae, n)
		}
	}
}
