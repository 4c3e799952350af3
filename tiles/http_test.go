package tiles

import (
	"strings"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// TestAcceptEncodingQ: a coding refused with q=0 is not served, whatever "*" says.
func TestAcceptEncodingQ(t *testing.T) {
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
