package ogc

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"civmap/internal/httpx/httpxtest"
)

// FuzzParseItems: any /items query string, for every collection, is a request or a 400/413 naming the parameter,
// never a panic or a 5xx; an accepted request has a limit in [1, MaxLimit], a finite bbox with min ≤ max, and a
// filter that compiles.
func FuzzParseItems(f *testing.F) {
	for _, q := range []string{
		"limit=10", "limit=0", "limit=%ff", "bbox=121.8,29.2,122.0,29.5", "bbox=1,2,3",
		"bbox=29.2,121.8,29.5,122.0&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490",
		"bbox=13560000,3430000,13580000,3440000&bbox-crs=EPSG:3857", "bbox=3264689,500000,3270000,510000&bbox-crs=EPSG:4550",
		"bbox-crs=EPSG:4326", "crs=EPSG:3857", "crs=[EPSG:4326]", "datetime=2020-01-01T00:00:00Z/..", "datetime=../2021-05-01",
		"filter=name LIKE '象%'", `filter={"op":"=","args":[{"property":"level"},"township"]}&filter-lang=cql2-json`,
		"filter-crs=EPSG:4550&filter=S_INTERSECTS(geometry,POINT(3264689 500000))", "filter-lang=cql2-text",
		"level=village", "population=abc", "cursor=abc", "f=json&limit=10000",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, c := range AllCollections() {
			r := httptest.NewRequest(http.MethodGet, "/ogc/collections/"+c.ID+"/items", nil)
			r.URL.RawQuery = q
			req, err := ParseItems(r, c)
			if err != nil {
				httpxtest.RequireBadParam(t, q, err, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
				continue
			}
			if l := req.Query.Limit; l < 1 || l > MaxLimit {
				t.Fatalf("%q: limit %d accepted", q, l)
			}
			if b := req.Query.BBox; b != nil {
				httpxtest.RequireBound(t, q, *b)
			}
			if _, err := Compile(req.Query.Filter); err != nil {
				t.Fatalf("%q: accepted a filter that does not compile: %v", q, err)
			}
		}
	})
}
