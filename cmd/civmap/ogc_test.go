package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
)

// sampleCounts is what each OGC collection must hold: the store's own counts through the domain APIs.
func sampleCounts(t *testing.T, st data.Store) map[string]int {
	t.Helper()
	ctx := context.Background()
	divs, err := st.Divisions(ctx, gazetteer.DivisionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := st.Places(ctx, gazetteer.PlaceQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := st.BoundaryLines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	markers := 0
	for _, l := range lines {
		ms, err := st.Markers(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		markers += len(ms)
	}
	fac, err := st.Facilities(ctx, facilities.FacilityQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	dem, err := st.Demand(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int{"divisions": len(divs), "places": pl.NumberMatched, "boundary_lines": len(lines),
		"markers": markers, "facilities": fac.NumberMatched, "demand": len(dem)}
}

func linkOf(fc featureCollection, rel string) string {
	for _, l := range fc.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// OGC API – Features on the sample, both stores: collections and counts, paging through every place forwards and
// back (each exactly once), CRSs with the axis order of each, bbox-crs, filters and datetime, HTML, and the bad input
// of issue 10.
func TestOGCFeatures(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		counts := sampleCounts(t, st)
		get := func(path string, header ...string) response {
			t.Helper()
			return do(t, "GET", ts.URL+path, "", header...)
		}

		var landing struct{ Links []struct{ Rel, Href string } }
		landing = decode[struct{ Links []struct{ Rel, Href string } }](t, get("/ogc"))
		rels := map[string]bool{}
		for _, l := range landing.Links {
			rels[l.Rel] = true
		}
		for _, r := range []string{"self", "service-desc", "conformance", "data"} {
			if !rels[r] {
				t.Errorf("landing page lacks rel %s: %+v", r, landing.Links)
			}
		}
		conf := decode[struct{ ConformsTo []string }](t, get("/ogc/conformance"))
		if !strings.Contains(strings.Join(conf.ConformsTo, " "), "ogcapi-features-3/1.0/conf/filter") {
			t.Errorf("conformance %v", conf.ConformsTo)
		}

		cols := decode[struct {
			Collections []struct {
				ID         string
				StorageCrs string
				Crs        []string
				Extent     struct {
					Spatial struct{ Bbox [][]float64 }
				}
			}
		}](t, get("/ogc/collections"))
		var ids []string
		for _, c := range cols.Collections {
			ids = append(ids, c.ID)
			if c.StorageCrs != "http://www.opengis.net/def/crs/EPSG/0/4490" || len(c.Crs) != 6 {
				t.Errorf("%s: storageCrs %s crs %v", c.ID, c.StorageCrs, c.Crs)
			}
			if bb := c.Extent.Spatial.Bbox; len(bb) != 1 || bb[0][0] < 121 || bb[0][2] > 123 || bb[0][1] > bb[0][3] {
				t.Errorf("%s: extent %v, not in Xiangshan", c.ID, bb)
			}
		}
		if got := strings.Join(ids, ","); got != "divisions,places,boundary_lines,markers,facilities,demand" {
			t.Errorf("collections %s", got)
		}
		for id, n := range counts {
			r := get("/ogc/collections/" + id + "/items?limit=1")
			fc := decode[featureCollection](t, r)
			if fc.NumberMatched != n || n == 0 || fc.NumberReturned != 1 {
				t.Errorf("%s: numberMatched %d returned %d, the store holds %d", id, fc.NumberMatched, fc.NumberReturned, n)
			}
			if r.header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" ||
				r.header.Get("Content-Type") != "application/geo+json" {
				t.Errorf("%s: headers %v", id, r.header)
			}
		}

		// Every place exactly once, forwards by next links and back by prev links.
		seen := map[string]int{}
		var order []string
		next := "/ogc/collections/places/items?limit=37"
		pages := 0
		var last featureCollection
		for next != "" {
			fc := decode[featureCollection](t, get(next))
			for _, f := range fc.Features {
				id := f.ID.(string)
				seen[id]++
				order = append(order, id)
			}
			pages++
			last = fc
			next = strings.TrimPrefix(linkOf(fc, "next"), ts.URL)
			if pages > 1000 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != counts["places"] || len(order) != counts["places"] {
			t.Errorf("paged %d places (%d distinct), the store holds %d", len(order), len(seen), counts["places"])
		}
		for i := 1; i < len(order); i++ {
			if order[i-1] >= order[i] {
				t.Fatalf("places out of key order at %d: %q then %q", i, order[i-1], order[i])
			}
		}
		back := len(last.Features)
		prev := strings.TrimPrefix(linkOf(last, "prev"), ts.URL)
		for prev != "" {
			fc := decode[featureCollection](t, get(prev))
			for i, f := range fc.Features {
				if want := order[len(order)-back-len(fc.Features)+i]; f.ID != want {
					t.Fatalf("prev page: %v at %d, want %s", f.ID, i, want)
				}
			}
			back += len(fc.Features)
			prev = strings.TrimPrefix(linkOf(fc, "prev"), ts.URL)
		}
		if back != len(order) {
			t.Errorf("prev links reach %d places back, want %d", back, len(order))
		}

		// One facility in each CRS, in that CRS's axis order.
		fac := decode[featureCollection](t, get("/ogc/collections/facilities/items?limit=1")).Features[0]
		fid := fac.ID.(string)
		var p orb.Point
		if err := json.Unmarshal(fac.Geometry.Coordinates, &p); err != nil {
			t.Fatal(err)
		}
		e4550, n4550, _ := geo.FromLonLat(geo.EPSG4550, p)
		lat := p[1] * math.Pi / 180
		for _, c := range []struct {
			crs  string
			want orb.Point
			tol  float64
		}{
			{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", p, 0},
			{"http://www.opengis.net/def/crs/EPSG/0/4326", orb.Point{p[1], p[0]}, 0},
			{"http://www.opengis.net/def/crs/EPSG/0/4490", orb.Point{p[1], p[0]}, 0},
			// Spherical Web Mercator, R = 6378137 m: x = R·λ, y = R·ln tan(π/4 + φ/2).
			{"http://www.opengis.net/def/crs/EPSG/0/3857", orb.Point{6378137 * p[0] * math.Pi / 180,
				6378137 * math.Log(math.Tan(math.Pi/4+lat/2))}, 1e-6},
			{"http://www.opengis.net/def/crs/EPSG/0/4550", orb.Point{n4550, e4550}, 1e-6},
		} {
			r := get("/ogc/collections/facilities/items/" + url.PathEscape(fid) + "?crs=" + url.QueryEscape(c.crs))
			var f struct {
				Geometry struct{ Coordinates orb.Point }
			}
			if err := json.Unmarshal(r.body, &f); err != nil {
				t.Fatalf("%s: %s", c.crs, r.body)
			}
			g := f.Geometry.Coordinates
			if math.Abs(g[0]-c.want[0]) > c.tol || math.Abs(g[1]-c.want[1]) > c.tol || r.header.Get("Content-Crs") != "<"+c.crs+">" {
				t.Errorf("%s: %v (Content-Crs %s), want %v", c.crs, g, r.header.Get("Content-Crs"), c.want)
			}
		}
		// bbox in EPSG:4550 (northing first), 5 m around the facility; and the same box as a filter-crs literal.
		bbox := fmt.Sprintf("%s,%s,%s,%s", ftoa(n4550-5), ftoa(e4550-5), ftoa(n4550+5), ftoa(e4550+5))
		for _, q := range []string{
			"bbox=" + bbox + "&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4550"),
			"filter=" + url.QueryEscape("S_INTERSECTS(geometry, BBOX("+bbox+"))") + "&filter-crs=" +
				url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4550"),
		} {
			fc := decode[featureCollection](t, get("/ogc/collections/facilities/items?"+q))
			if fc.NumberMatched != 1 || len(fc.Features) != 1 || fc.Features[0].ID != fid {
				t.Errorf("%s: %d features, want %s only", q, fc.NumberMatched, fid)
			}
		}

		// Filters and property filters agree with the facilities API.
		api := func(q string) int {
			return decode[featureCollection](t, get("/api/facilities?limit=1&"+q)).NumberMatched
		}
		for q, want := range map[string]int{
			"filter=" + url.QueryEscape("type = 'nursing_home'"): api("type=nursing_home"),
			"type=nursing_home": api("type=nursing_home"),
			"filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"=","args":[{"property":"status"},"planned"]}`): api("status=planned"),
			"filter=" + url.QueryEscape("type = 'canteen' OR type = 'nursing_home'"):                                 api("type=canteen") + api("type=nursing_home"),
			"datetime=2000-01-01T00:00:00Z/..": counts["facilities"],
			"datetime=../2000-01-01":           0,
		} {
			if got := decode[featureCollection](t, get("/ogc/collections/facilities/items?limit=1&"+q)).NumberMatched; got != want || (want == 0 && !strings.HasPrefix(q, "datetime")) {
				t.Errorf("%s: numberMatched %d, want %d", q, got, want)
			}
		}

		// HTML by Accept and by f=html.
		for _, r := range []response{get("/ogc/collections/places/items?limit=5", "Accept", "text/html,application/json;q=0.9"),
			get("/ogc/collections?f=html"), get("/ogc/collections/facilities/items/" + url.PathEscape(fid) + "?f=html")} {
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "</html>") {
				t.Errorf("HTML: %d %s %.200s", r.status, r.header.Get("Content-Type"), r.body)
			}
		}

		// Bad input: status, the field named, and a word of the detail.
		deep := strings.Repeat("(", 1000) + "id = 'x'" + strings.Repeat(")", 1000)
		for _, c := range []struct {
			path   string
			status int
			field  string
			detail string
		}{
			{"/ogc/collections/places/items?bbox=121,29,122", 400, "bbox", "4 comma-separated numbers"},
			{"/ogc/collections/places/items?bbox=121,29,122,30,1", 400, "bbox", "got 5"},
			{"/ogc/collections/places/items?bbox=122,29,121,30", 400, "bbox", "above the maximum"},
			{"/ogc/collections/places/items?bbox=a,29,122,30", 400, "bbox", "not a finite number"},
			{"/ogc/collections/places/items?crs=EPSG:2000", 400, "crs", "EPSG/0/4550"},
			{"/ogc/collections/places/items?bbox=1,2,3,4&bbox-crs=EPSG:9999", 400, "bbox-crs", "supported"},
			{"/ogc/collections/places/items?limit=0", 400, "limit", "between 1 and 10000"},
			{"/ogc/collections/places/items?limit=1000000", 400, "limit", "between 1 and 10000"},
			{"/ogc/collections/nope/items", 404, "", "collections are divisions"},
			{"/ogc/collections/places/items/nope", 404, "", "nope"},
			{"/ogc/collections/places/items?filter=" + url.QueryEscape("name = 'a' AND"), 400, "filter", "at character 15"},
			{"/ogc/collections/places/items?filter=" + url.QueryEscape("height > 3"), 400, "filter", `unknown property "height"`},
			{"/ogc/collections/places/items?filter=" + url.QueryEscape(deep), 400, "filter", "nests more than 64"},
			{"/ogc/collections/places/items?filter=" + strings.Repeat("a", 300<<10), 413, "filter", "at most"},
			{"/ogc/collections/places/items?filter-lang=cql3&filter=true", 400, "filter-lang", "cql2-text"},
			{"/ogc/collections/places/items?cursor=zzz", 400, "cursor", "next and prev"},
			{"/ogc/collections/demand/items?datetime=2024-01-01", 400, "datetime", "no dated property"},
			{"/ogc/collections/places/items?f=xml", 400, "f", "json or html"},
		} {
			r := get(c.path)
			pb := decode[problem](t, r)
			field := ""
			if len(pb.Errors) > 0 {
				field = pb.Errors[0].Field
			}
			if r.status != c.status || field != c.field || !strings.Contains(pb.Detail, c.detail) {
				t.Errorf("%.80s: %d field %q %q; want %d %q %q", c.path, r.status, field, pb.Detail, c.status, c.field, c.detail)
			}
		}
	})
}

// The OpenAPI document validates (kin-openapi), and real answers validate against it.
func TestOGCOpenAPI(t *testing.T) {
	ts, _ := sampleServer(t, &storeFlags{dataDir: t.TempDir()})
	r := do(t, "GET", ts.URL+"/ogc/api", "")
	if r.header.Get("Content-Type") != "application/vnd.oai.openapi+json;version=3.0" {
		t.Errorf("content type %s", r.header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("OpenAPI document invalid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/ogc/", "/ogc/conformance", "/ogc/collections", "/ogc/collections/places",
		"/ogc/collections/places/items?limit=3&bbox=121.8,29.4,122,29.6", "/ogc/collections/facilities/items?type=canteen",
		"/ogc/collections/markers/items?limit=2", "/ogc/collections/places/items?limit=0"} {
		res := do(t, "GET", ts.URL+path, "")
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s: no route in the document: %v", path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil && res.status == 200 {
			t.Errorf("%s: request invalid: %v", path, err)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status,
			Header: res.header, Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		out.SetBodyBytes(res.body)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s: response %d does not match the document: %v", path, res.status, err)
		}
	}
}

// GDAL's OAPIF driver (Debian gdal-bin) as the client, both stores: ogrinfo lists every collection with its fields
// and count; ogr2ogr copies every collection to a GeoPackage with the same counts in EPSG:4326; a -where filter is
// sent to the server as CQL2 and returns the features the API has.
func TestGDALReadsOGC(t *testing.T) {
	needGDAL(t, "ogrinfo")
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		counts := sampleCounts(t, st)
		src := "OAPIF:" + ts.URL + "/ogc"
		out := gdal(t, "ogrinfo", "-ro", "-so", "-al", src)
		layers := ogrLayers(out)
		for id, n := range counts {
			if layers[id][1] != strconv.Itoa(n) {
				t.Errorf("ogrinfo %s: %v, want %d features", id, layers[id], n)
			}
		}
		for _, field := range []string{"capacity_beds: Real", "smart_terminal: Integer(Boolean)", "updated_at: DateTime",
			"elderly_population: Real", "level: String", "registered_length_m: Real"} {
			if !strings.Contains(out, field) {
				t.Errorf("ogrinfo lists no field %q", field)
			}
		}

		gpkg := filepath.Join(t.TempDir(), "civmap.gpkg")
		gdal(t, "ogr2ogr", "-f", "GPKG", gpkg, src)
		out = gdal(t, "ogrinfo", "-ro", "-so", "-al", gpkg)
		layers = ogrLayers(out)
		for id, n := range counts {
			if layers[id][1] != strconv.Itoa(n) {
				t.Errorf("GeoPackage %s: %v, want %d features", id, layers[id], n)
			}
		}
		if c := strings.Count(out, `ID["EPSG",4326]]`); c != len(counts) {
			t.Errorf("GeoPackage: %d layers in EPSG:4326, want %d\n%s", c, len(counts), out)
		}

		want := 0
		for _, typ := range []string{"nursing_home", "canteen"} {
			all := decode[featureCollection](t, do(t, "GET", ts.URL+"/api/facilities?limit=1000&type="+typ, ""))
			for _, f := range all.Features {
				if b, ok := f.Properties["capacity_beds"].(float64); typ == "canteen" || (ok && b > 50) {
					want++
				}
			}
		}
		cmdOut := gdal(t, "ogrinfo", "-ro", "-so", "--debug", "on", "-where",
			"(type = 'nursing_home' AND capacity_beds > 50) OR type = 'canteen'", src, "facilities")
		if !strings.Contains(cmdOut, "filter=") || !strings.Contains(cmdOut, "filter-lang=cql-text") {
			t.Errorf("GDAL did not send the filter to the server:\n%s", cmdOut)
		}
		if got := ogrLayers(cmdOut)["facilities"][1]; got != strconv.Itoa(want) {
			t.Errorf("GDAL -where: %s facilities, the API has %d", got, want)
		}
	})
}
