package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/geo"
)

// TestLocateSample is the acceptance check: every OSM place's centroid and every township seat is located in the
// right township, on both stores.
func TestLocateSample(t *testing.T) {
	osm := readSample(t, "osm_places.geojson")
	towns := readSample(t, "townships.geojson")
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		check := func(what string, lon, lat float64, want string) {
			t.Helper()
			r := do(t, "GET", fmt.Sprintf("%s/api/locate?lon=%v&lat=%v", ts.URL, lon, lat), "")
			if r.status != http.StatusOK {
				t.Errorf("%s (%v,%v): status %d %s", what, lon, lat, r.status, r.body)
				return
			}
			loc := decode[gazetteer.Location](t, r)
			if loc.Township.Code != want || loc.County.Code != sample.CountyCode {
				t.Errorf("%s (%v,%v): located in %+v / %+v, want township %s", what, lon, lat, loc.Township, loc.County, want)
			}
			if loc.Village == nil || !strings.HasPrefix(loc.Village.Code, loc.Township.Code[:6]) || loc.Village.DistanceM < 0 || loc.Village.DistanceM > 20000 {
				t.Errorf("%s: nearest village %+v", what, loc.Village)
			}
		}
		for _, f := range osm.Features {
			c := f.Properties["centroid"].([]any)
			check(f.Properties.MustString("name"), c[0].(float64), c[1].(float64), f.Properties.MustString("township_adcode"))
		}
		for _, f := range towns.Features {
			s := f.Properties["seat"].([]any)
			check(f.Properties.MustString("name")+" seat", s[0].(float64), s[1].(float64), f.Properties.MustString("adcode"))
		}
		// Outside the county (the sea east of it, and Ningbo city): 404 with a clear message.
		for _, p := range [][2]float64{{122.5, 29.3}, {121.55, 29.87}} {
			r := do(t, "GET", fmt.Sprintf("%s/api/locate?lon=%v&lat=%v", ts.URL, p[0], p[1]), "")
			if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "not inside") {
				t.Errorf("locate %v: %d %s; want 404 'not inside'", p, r.status, r.body)
			}
		}
	})
}

// The nearest village and its distance agree with a brute-force search over the sample's village points.
func TestLocateNearestVillage(t *testing.T) {
	villages := readSample(t, "villages.synthetic.geojson")
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		for _, p := range []orb.Point{{121.87, 29.47}, {121.95, 29.2}, {121.80, 29.35}, {121.70, 29.45}} {
			best, bestD := "", math.Inf(1)
			for _, f := range villages.Features {
				if d := geo.Distance(p, f.Geometry.(orb.Point)); d < bestD {
					best, bestD = f.Properties.MustString("code"), d
				}
			}
			r := do(t, "GET", fmt.Sprintf("%s/api/locate?lon=%v&lat=%v", ts.URL, p[0], p[1]), "")
			loc := decode[gazetteer.Location](t, r)
			if loc.Village == nil || loc.Village.Code != best || math.Abs(loc.Village.DistanceM-bestD) > 0.001 {
				t.Errorf("%v: nearest %+v, want %s at %.3f m", p, loc.Village, best, bestD)
			}
		}
	})
}

func TestSampleCounts(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		// Loading the sample a second time finds every record unchanged: no version, nothing written.
		stats, err := sample.Load(context.Background(), st)
		if err != nil || stats.Inserted != 0 || stats.Updated != 0 || stats.Unchanged == 0 {
			t.Errorf("second load: %+v, %v; want every record unchanged", stats, err)
		}
		for _, c := range []struct {
			path string
			want int
		}{
			{"/api/divisions?level=county", 1},
			{"/api/divisions?level=township", 18},
			{"/api/divisions?level=village", 408},
			{"/api/places?limit=1000", 49},
			{"/api/facilities?limit=1000", 406},
			{"/api/facilities?type=canteen&limit=1000", 10},
			{"/api/facilities?type=shared_restaurant&limit=1000", 8},
			{"/api/facilities?type=meal_point&limit=1000", 30},
			{"/api/facilities?type=kangyang_union&limit=1000", 9},
			{"/api/demand", 408},
			{"/api/boundary-lines", 3},
			{"/api/boundary-lines/" + url.PathEscape("象宁线") + "/markers", 16},
		} {
			r := do(t, "GET", ts.URL+c.path, "")
			if r.status != http.StatusOK {
				t.Errorf("%s: %d %s", c.path, r.status, r.body)
				continue
			}
			fc := decode[featureCollection](t, r)
			if len(fc.Features) != c.want {
				t.Errorf("%s: %d features, want %d", c.path, len(fc.Features), c.want)
			}
		}
	})
}

// A marker's lon/lat, converted in Go from the register's EPSG:4550 northing/easting, matches PostGIS ST_Transform
// (PROJ) to 1 cm. The value was printed by PostGIS 3.3.2 / PROJ 9.1.1 for 象宁001.
func TestMarkerFromGaussKruger(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		r := do(t, "GET", ts.URL+"/api/boundary-lines/"+url.PathEscape("象宁线")+"/markers", "")
		fc, err := geojson.UnmarshalFeatureCollection(r.body)
		if err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		want := orb.Point{121.6057122026907, 29.516016502011244}
		for _, f := range fc.Features {
			if f.Properties.MustString("number", "") != "象宁001" {
				continue
			}
			if d := geo.Distance(f.Geometry.(orb.Point), want); d > 0.01 {
				t.Errorf("象宁001 at %v, %.4f m from PostGIS ST_Transform's %v", f.Geometry, d, want)
			}
			return
		}
		t.Errorf("象宁001 not among the markers: %s", r.body)
	})
}

func readSample(t *testing.T, name string) *geojson.FeatureCollection {
	t.Helper()
	raw, err := sample.File(name)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// A place posted outside the county (coordinates in another CRS, or simply wrong) is refused, naming the geometry.
func TestCreatePlaceOutsideCounty(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		tok := newToken(t, st, "editor")
		body := func(lon, lat float64) string {
			return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]},`+
				`"properties":{"name":"天安路","category":"road","division_codes":["330225002"]}}`, lon, lat)
		}
		r := do(t, "POST", ts.URL+"/api/places", body(10, 10), "Content-Type", "application/geo+json", "Authorization", tok)
		p := decode[problem](t, r)
		if r.status != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Field != "geometry" {
			t.Errorf("outside: %d %s; want 422 naming geometry", r.status, r.body)
		}
		if r := do(t, "POST", ts.URL+"/api/places", body(121.87, 29.47), "Content-Type", "application/geo+json", "Authorization", tok); r.status != http.StatusCreated {
			t.Errorf("inside: %d %s", r.status, r.body)
		}
	})
}

// Ids and query values that no store can hold (invalid UTF-8, NUL, control characters) are refused before any store
// sees them, the same on both stores: PostgreSQL would fail with an encoding error (a 500), bbolt would not.
func TestBadTextInURLs(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, st := sampleServer(t, sf)
		tok := newToken(t, st, "reviewer") // a place's DELETE is a reviewer's: the role is checked before the id
		for _, c := range []struct{ method, path, field string }{
			{"GET", "/api/places/%FF", "id"},
			{"GET", "/api/places/a%00b", "id"},
			{"GET", "/api/places/%FF/history", "id"},
			{"DELETE", "/api/places/%FF", "id"},
			{"GET", "/api/facilities/%FF", "id"},
			{"GET", "/api/boundary-lines/%FF/markers", "id"},
			{"GET", "/api/places?q=%00", "q"},
			{"GET", "/api/places?category=%07", "category"},
		} {
			r := do(t, c.method, ts.URL+c.path, "", "If-Match", `"1"`, "Authorization", tok)
			p := decode[problem](t, r)
			if r.status != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
				t.Errorf("%s %s: %d %s; want 400 naming %s", c.method, c.path, r.status, r.body, c.field)
			}
		}
		if r := do(t, "POST", ts.URL+"/healthz", ""); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST /healthz: %d %v", r.status, r.header)
		}
	})
}
