package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"civmap/data/postgis/pgtest"
	"civmap/geo"
)

// spatialAnswer is what two stores must agree on: the features' ids in order with their distances (or the crossings
// JSON). Timestamps differ between two loads of the sample, so they are not compared.
func spatialAnswer(t *testing.T, r response) string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), `"divisions"`) && !strings.Contains(string(r.body), "FeatureCollection") {
		return string(r.body)
	}
	fc := decode[featureCollection](t, r)
	var b strings.Builder
	fmt.Fprintf(&b, "%d:", fc.NumberMatched)
	for _, f := range fc.Features {
		fmt.Fprintf(&b, " %v", f.ID)
		if d, ok := f.Properties["distance_m"]; ok {
			fmt.Fprintf(&b, "@%v", d)
		}
	}
	return b.String()
}

// 200 random spatial queries (nearest, within a distance, within a division, intersecting a posted polygon, a line's
// crossings) answer the same on the embedded store and on PostGIS; the nearest facilities are those a brute force
// over every facility finds; a line's lengths inside the townships add up to at most its length.
func TestSpatialQueriesBothStores(t *testing.T) {
	emb, _ := sampleServer(t, &storeFlags{dataDir: t.TempDir()})
	pg, _ := sampleServer(t, &storeFlags{databaseURL: pgtest.NewDatabase(t)})

	all := decode[featureCollection](t, do(t, "GET", emb.URL+"/api/facilities?limit=1000", ""))
	type fac struct {
		id, typ, status string
		p               orb.Point
	}
	var facs []fac
	for _, f := range all.Features {
		var p orb.Point
		if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
			t.Fatal(err)
		}
		facs = append(facs, fac{f.ID.(string), f.Properties["type"].(string), f.Properties["status"].(string), p})
	}
	townships := decode[featureCollection](t, do(t, "GET", emb.URL+"/ogc/collections/divisions/items?level=township&limit=100", ""))
	var codes []string
	for _, f := range townships.Features {
		codes = append(codes, f.ID.(string))
	}
	types := []string{"nursing_home", "home_care_center", "home_care_station", "canteen", "meal_point"}
	statuses := []string{"existing", "under_construction", "planned"}
	rng := rand.New(rand.NewPCG(10, 2026))
	pt := func() orb.Point { // the county's land and sea, 121.55–122.05°E, 29.05–29.65°N
		return orb.Point{121.55 + 0.5*rng.Float64(), 29.05 + 0.6*rng.Float64()}
	}
	pick := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			if rng.IntN(2) == 0 {
				out = append(out, x)
			}
		}
		return out
	}
	nonEmpty, fullInside := 0, 0
	for i := range 200 {
		var method, path, body string
		p := pt()
		ll := fmt.Sprintf("lon=%s&lat=%s", ftoa(p[0]), ftoa(p[1]))
		switch i % 5 {
		case 0:
			k := 1 + rng.IntN(10)
			ts, ss := pick(types), pick(statuses)
			path = fmt.Sprintf("/api/spatial/nearest?%s&k=%d&types=%s&statuses=%s", ll, k, strings.Join(ts, ","), strings.Join(ss, ","))
			// Brute force: every facility of those types and statuses by geodesic distance, ties by id.
			type cand struct {
				id string
				d  float64
			}
			var cs []cand
			for _, f := range facs {
				if (len(ts) == 0 || slices.Contains(ts, f.typ)) && (len(ss) == 0 || slices.Contains(ss, f.status)) {
					cs = append(cs, cand{f.id, geo.Distance(p, f.p)})
				}
			}
			sort.Slice(cs, func(a, b int) bool {
				if cs[a].d != cs[b].d {
					return cs[a].d < cs[b].d
				}
				return cs[a].id < cs[b].id
			})
			got := decode[featureCollection](t, do(t, "GET", emb.URL+path, ""))
			if len(got.Features) != min(k, len(cs)) {
				t.Fatalf("%s: %d facilities, want %d", path, len(got.Features), min(k, len(cs)))
			}
			for j, f := range got.Features {
				if f.ID != cs[j].id || math.Abs(f.Properties["distance_m"].(float64)-cs[j].d) > 0.001 {
					t.Fatalf("%s: #%d is %v at %v m, brute force says %s at %.3f m", path, j, f.ID, f.Properties["distance_m"], cs[j].id, cs[j].d)
				}
			}
		case 1:
			coll := []string{"facilities", "demand", "places", "markers", "boundary_lines"}[rng.IntN(5)]
			path = fmt.Sprintf("/api/spatial/within?collection=%s&%s&distance_m=%d", coll, ll, 200+rng.IntN(5000))
		case 2:
			coll := []string{"facilities", "demand", "places"}[rng.IntN(3)]
			path = fmt.Sprintf("/api/spatial/within?collection=%s&division=%s", coll, codes[rng.IntN(len(codes))])
		case 3:
			coll := []string{"facilities", "places", "divisions", "boundary_lines"}[rng.IntN(4)]
			w, h := 0.002+0.05*rng.Float64(), 0.002+0.05*rng.Float64()
			method, path = "POST", "/api/spatial/intersects?collection="+coll
			body = fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]s,%[2]s],[%[3]s,%[2]s],[%[4]s,%[5]s],[%[1]s,%[2]s]]]}`,
				ftoa(p[0]), ftoa(p[1]), ftoa(p[0]+w), ftoa(p[0]+w/2), ftoa(p[1]+h))
		case 4:
			q := pt()
			method, path = "POST", "/api/spatial/crossings"
			body = fmt.Sprintf(`{"type":"LineString","coordinates":[[%s,%s],[%s,%s]]}`, ftoa(p[0]), ftoa(p[1]), ftoa(q[0]), ftoa(q[1]))
		}
		if method == "" {
			method = "GET"
		}
		a := spatialAnswer(t, do(t, method, emb.URL+path, body))
		b := spatialAnswer(t, do(t, method, pg.URL+path, body))
		if a != b {
			t.Errorf("query %d %s %s %s:\nembedded %s\npostgis  %s", i, method, path, body, a, b)
		}
		if !strings.HasPrefix(a, "0:") && a != `{"divisions":[],"line_length_m":0}` {
			nonEmpty++
		}
		if i%5 == 4 {
			var c struct {
				Total     float64 `json:"line_length_m"`
				Divisions []struct {
					LengthM float64 `json:"length_m"`
				}
			}
			if err := json.Unmarshal([]byte(a), &c); err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, d := range c.Divisions {
				sum += d.LengthM
			}
			if sum > c.Total*1.0001+0.01 {
				t.Errorf("crossings %s: lengths add to %.3f m, the line is %.3f m", body, sum, c.Total)
			}
			if sum > 0.999*c.Total {
				fullInside++
			}
		}
	}
	if nonEmpty < 120 || fullInside < 5 {
		t.Errorf("only %d of 200 queries found something, %d lines lay wholly in townships: the test proves little", nonEmpty, fullInside)
	}

	// Bad input.
	big := `{"type":"LineString","coordinates":[` + strings.Repeat("[121.8,29.4],", 60000) + `[121.9,29.5]]}`
	bow := `{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.5],[121.9,29.4],[121.8,29.5],[121.8,29.4]]]}`
	for _, c := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"GET", "/api/spatial/nearest?lon=121.8&lat=29.4&k=0", "", 400, "k"},
		{"GET", "/api/spatial/nearest?lon=200&lat=29.4", "", 400, "lon"},
		{"GET", "/api/spatial/nearest?lon=121.8&lat=29.4&types=rocket", "", 400, "types"},
		{"GET", "/api/spatial/within?collection=places&lon=121.8&lat=29.4&distance_m=1e9", "", 400, "distance_m"},
		{"GET", "/api/spatial/within?collection=nope&lon=121.8&lat=29.4&distance_m=10", "", 400, "collection"},
		{"GET", "/api/spatial/within?collection=places&division=330225001001", "", 400, "division"},
		{"POST", "/api/spatial/intersects?collection=places", bow, 400, "body"},
		{"POST", "/api/spatial/intersects?collection=places", `{"type":"Point"}`, 400, "body"},
		{"POST", "/api/spatial/intersects?collection=places", big, 413, "body"},
		{"POST", "/api/spatial/crossings", `{"type":"Point","coordinates":[121.8,29.4]}`, 400, "body"},
	} {
		for _, base := range []string{emb.URL, pg.URL} {
			r := do(t, c.method, base+c.path, c.body)
			pb := decode[problem](t, r)
			if r.status != c.status || len(pb.Errors) == 0 || pb.Errors[0].Field != c.field {
				t.Errorf("%s %s: %d %s, want %d naming %s", c.method, c.path, r.status, r.body, c.status, c.field)
			}
		}
	}
}
