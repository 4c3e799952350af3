package httpx_test

import (
	"net/http/httptest"
	"testing"

	"civmap/internal/httpx"
	"civmap/internal/httpx/httpxtest"
)

// FuzzParseQuery: any query string is a page and bbox or a 400 naming the parameter (limit, offset, bbox); an
// accepted page has 1 ≤ limit ≤ MaxLimit and offset ≥ 0, an accepted bbox is finite with min ≤ max.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{"limit=10&offset=20", "limit=0", "offset=-1", "limit=1e3", "limit=%20%2010",
		"bbox=121.8,29.2,122.0,29.5", "bbox=1,2,3", "bbox=NaN,0,1,1", "bbox=2,0,1,1", "bbox=1,1,1,1", "bbox=-1e400,0,1,1"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/api/places", nil)
		r.URL.RawQuery = q
		if p, err := httpx.ParsePage(r, httpx.DefaultLimit, httpx.MaxLimit); err != nil {
			httpxtest.RequireBadParam(t, q, err)
		} else if p.Limit < 1 || p.Limit > httpx.MaxLimit || p.Offset < 0 {
			t.Fatalf("%q: page %+v accepted", q, p)
		}
		b, err := httpx.ParseBBox(r)
		if err != nil {
			httpxtest.RequireBadParam(t, q, err)
			return
		}
		if b != nil {
			httpxtest.RequireBound(t, q, *b)
		}
	})
}
