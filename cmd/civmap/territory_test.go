package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"civmap/data/sample"
)

// sampleFile writes a bundled sample file to a temporary folder and returns its path, for the CLI.
func sampleFile(t *testing.T, name string) string {
	t.Helper()
	raw, err := sample.File(name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every record kind is checked against the county and a point against the township it names, on import, on both
// stores: a facility at Beijing coordinates with a Xiangshan township code, or one in 丹西街道 (330225002) coded as
// 石浦镇 (330225101), is refused naming the field; the sample's own files pass.
func TestTerritoryOnImport(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		loadSample(t, sf)
		imp := func(kind string, extra ...string) (int, string) {
			args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", kind)
			code, _, errOut := cli(t, append(args, extra...)...)
			return code, errOut
		}
		for _, c := range []struct {
			name, kind, csv string
			want            []string
		}{
			{"facility in Beijing", "facilities", "id,name,type,township_code,lon,lat\nF-BJ,北京某食堂,canteen,330225002,116.397,39.909\n",
				[]string{"line 2", "geometry", "inside the county"}},
			{"facility in another township", "facilities", "id,name,type,township_code,lon,lat\nF-X,某食堂,canteen,330225101,121.880694,29.432304\n",
				[]string{"line 2", "township_code", "in township 330225002", "outside township 330225101"}},
			{"demand unit in another township", "demand", "code,name,elderly_population,lon,lat\n330225101201,某村,10,121.880694,29.432304\n",
				[]string{"line 2", "township_code", "outside township 330225101"}},
			{"place in another township", "places", "name,category,division_codes,lon,lat\n某路,road,330225101,121.880694,29.432304\n",
				[]string{"line 2", "division_codes", "outside township 330225101"}},
			{"marker in Beijing", "markers", "marker_no,marker_type,line,lon,lat\n象宁099,单立,象宁线,116.397,39.909\n",
				[]string{"line 2", "geometry"}},
			{"village point in another township", "divisions", "code,name,level,parent_code,lon,lat\n330225101299,某村,village,330225101,121.880694,29.432304\n",
				[]string{"line 2", "parent_code", "outside township 330225101"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, errOut := imp(c.kind, "--dry-run", writeFile(t, "in.csv", c.csv))
				if code == 0 {
					t.Fatalf("import accepted it; want a refusal")
				}
				for _, w := range c.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("error %q does not mention %q", errOut, w)
					}
				}
			})
		}
		for _, f := range []struct{ kind, name string }{
			{"facilities", "facilities.synthetic.geojson"}, {"demand", "villages.synthetic.geojson"},
			{"places", "osm_places.geojson"}, {"markers", "xiangning_markers_registered.csv"},
			{"lines", "county_boundary_lines.geojson"}, {"divisions", "villages.synthetic.geojson"},
		} {
			if code, errOut := imp(f.kind, "--dry-run", sampleFile(t, f.name)); code != 0 {
				t.Errorf("the sample's %s (%s) fails the territory checks: %s", f.name, f.kind, errOut)
			}
		}
	})
}

// The API's place edits use the same check: a point posted in 丹西街道 with 石浦镇's code is a 422 naming division_codes.
func TestTerritoryOnAPI(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		body := func(code string) string {
			return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[121.880694,29.432304]},`+
				`"properties":{"name":"天安路","category":"road","division_codes":[%q]}}`, code)
		}
		r := do(t, "POST", ts.URL+"/api/places", body("330225101"), "Content-Type", "application/geo+json")
		p := decode[problem](t, r)
		if r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "division_codes" ||
			!strings.Contains(p.Errors[0].Reason, "in township 330225002") {
			t.Errorf("wrong township: %d %s; want 422 naming division_codes", r.status, r.body)
		}
		if r := do(t, "POST", ts.URL+"/api/places", body("330225002"), "Content-Type", "application/geo+json"); r.status != http.StatusCreated {
			t.Errorf("right township: %d %s", r.status, r.body)
		}
	})
}

// Importing into a store that was never served says the store is empty and what to run, not only "unknown code".
func TestImportIntoEmptyStore(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", "facilities")
		code, _, errOut := cli(t, append(args, writeFile(t, "f.csv",
			"id,name,type,township_code,lon,lat\nF1,某食堂,canteen,330225002,121.880694,29.432304\n"))...)
		for _, w := range []string{"holds no divisions", "civmap serve", "--kind divisions", "unknown township code"} {
			if code == 0 || !strings.Contains(errOut, w) {
				t.Errorf("exit %d, %q; want a failure mentioning %q", code, errOut, w)
			}
		}
	})
}
