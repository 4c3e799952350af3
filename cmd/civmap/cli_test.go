package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"civmap/data/sample"
	"civmap/gazetteer"
	"civmap/geo"
)

// cli runs the command line in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func storeArgs(sf *storeFlags) []string {
	if sf.databaseURL != "" {
		return []string{"--database-url", sf.databaseURL}
	}
	return []string{"--data-dir", sf.dataDir}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadSample fills the store the flags name with the bundled sample and closes it again.
func loadSample(t *testing.T, sf *storeFlags) {
	t.Helper()
	st, err := openAndLoad(context.Background(), sf, false, newLogger(&bytes.Buffer{}, slog.LevelError))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func placeCount(t *testing.T, sf *storeFlags) int {
	t.Helper()
	st, _, err := sf.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Places(context.Background(), gazetteer.PlaceQuery{Limit: 1, Statuses: []string{"current", "historical", "abolished"}})
	if err != nil {
		t.Fatal(err)
	}
	return page.NumberMatched
}

// The real GCJ-02 outline from DataV, imported with --crs GCJ-02, lands within 1 m of the same vertices converted to WGS84
// independently (neighbour_counties.geojson, whose source says < 1e-7° residual).
func TestImportGCJ02Outline(t *testing.T) {
	raw, err := sample.File("county_outline.gcj02.json")
	if err != nil {
		t.Fatal(err)
	}
	stores(t, func(t *testing.T, sf *storeFlags) {
		p := writeFile(t, "outline.json", string(raw))
		code, out, errOut := cli(t, append(append([]string{"import"}, storeArgs(sf)...), "--kind", "divisions", "--crs", "GCJ-02", p)...)
		if code != 0 {
			t.Fatalf("import: %d %s %s", code, out, errOut)
		}
		st, _, err := sf.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		d, err := st.Division(context.Background(), "330225")
		if err != nil {
			t.Fatal(err)
		}
		mp, ok := d.Geometry.(orb.MultiPolygon)
		if !ok || len(mp) != 60 {
			t.Fatalf("county geometry %T with %d parts, want a MultiPolygon of 60", d.Geometry, len(mp))
		}
		// The outline's first two vertices, as neighbour_counties.geojson gives them in WGS84. The stored ring may start
		// elsewhere after normalisation, so look for the nearest stored vertex.
		for _, want := range []orb.Point{{121.8294246, 29.6557043}, {121.8549177, 29.6392202}} {
			best := 1e9
			for _, ring := range mp[0] {
				for _, v := range ring {
					best = min(best, geo.Distance(v, want))
				}
			}
			if best > 1 {
				t.Errorf("no imported vertex within 1 m of %v (nearest %.2f m)", want, best)
			}
		}
	})
}

// A point picked on a GCJ-02 map (Amap) is stored at its WGS84/CGCS2000 position, and a BD-09 one likewise.
func TestImportWebMapPoints(t *testing.T) {
	truth := orb.Point{121.8691, 29.4770} // in 丹东街道
	gcj := geo.WGS84ToGCJ02(truth)
	bd := geo.WGS84ToBD09(truth)
	if d := geo.Distance(truth, gcj); d < 400 || d > 600 {
		t.Fatalf("GCJ-02 offset %.0f m; DOMAIN.md says about 490 m at Xiangshan", d)
	}
	stores(t, func(t *testing.T, sf *storeFlags) {
		loadSample(t, sf)
		for _, c := range []struct {
			crs string
			p   orb.Point
		}{{"GCJ-02", gcj}, {"BD-09", bd}} {
			csv := "id,name,category,division_codes,lon,lat\nX-" + c.crs + ",测试点,test,330225001," +
				ftoa(c.p[0]) + "," + ftoa(c.p[1]) + "\n"
			code, out, errOut := cli(t, append(append([]string{"import"}, storeArgs(sf)...), "--kind", "places", "--crs", c.crs, writeFile(t, "p.csv", csv))...)
			if code != 0 {
				t.Fatalf("%s import: %d %s %s", c.crs, code, out, errOut)
			}
			st, _, err := sf.open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.Place(context.Background(), "X-"+c.crs)
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			if d := geo.Distance(p.Geometry.(orb.Point), truth); d > 1 {
				t.Errorf("%s point stored %.3f m from the truth", c.crs, d)
			}
		}
	})
}

// Bad files: each fails naming the line or feature and the field, and writes nothing; --skip-invalid writes the rest.
func TestImportBadInput(t *testing.T) {
	stores(t, func(t *testing.T, sf *storeFlags) {
		loadSample(t, sf)
		before := placeCount(t, sf)
		good := "name,category,division_codes,lon,lat\n丹城,town,330225002,121.87,29.47\n"
		for _, c := range []struct {
			name, kind, crs, content string
			want                     []string
		}{
			{"missing column", "places", "", "name,lon,lat\n丹城,121.87,29.47\n", []string{"line 1", `"category"`}},
			{"bad number", "places", "", good + "东陈,village,330225200,121.9x,29.35\n", []string{"line 3", "lon", "121.9x"}},
			{"lat out of range", "places", "", good + "东陈,village,330225200,121.9,95\n", []string{"line 3", "lat"}},
			{"unknown division", "places", "", good + "东陈,village,330225999,121.9,29.35\n", []string{"line 3", "division_codes[0]", "330225999"}},
			{"swapped axes", "markers", "EPSG:4550", "marker_no,marker_type,x_north_m,y_east_m\n象宁001,三立,364815.454,3267275.078\n", []string{"line 2", "swapped"}},
			{"self-intersecting", "places", "", "name,category,wkt\n蝴蝶,test,\"POLYGON((121.8 29.4,121.9 29.5,121.9 29.4,121.8 29.5,121.8 29.4))\"\n", []string{"line 2", "geometry", "intersects itself at lon 121.85"}},
			{"not GeoJSON geometry", "places", "", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"甲","category":"x"},"geometry":{"type":"Pointy","coordinates":[1,2]}}]}`, []string{"features[0]", "geometry"}},
			{"malformed JSON", "places", "", `{"type":"FeatureCollection","features":[{"type":"Feature",}]}`, []string{"malformed JSON", "byte"}},
			{"outside the county", "places", "", good + "鼓楼,x,330225001,121.55,29.87\n", []string{"line 3", "geometry", "inside the county"}},
			{"lon/lat swapped", "places", "", good + "丹城,x,330225001,29.47,121.87\n", []string{"line 3", "lat"}},
			{"unknown facility type", "facilities", "", "id,name,type,township_code,lon,lat\nF1,甲,spa,330225001,121.87,29.47\n", []string{"line 2", "type", "spa"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				args := append(append([]string{"import"}, storeArgs(sf)...), "--kind", c.kind)
				if c.crs != "" {
					args = append(args, "--crs", c.crs)
				}
				code, _, errOut := cli(t, append(args, writeFile(t, "in.csv", c.content))...)
				if code == 0 {
					t.Fatalf("import succeeded; want a failure")
				}
				for _, w := range c.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("error %q does not mention %q", errOut, w)
					}
				}
				if n := placeCount(t, sf); n != before {
					t.Errorf("%d places after a failed import, want %d (nothing written)", n, before)
				}
			})
		}
		// --skip-invalid writes the good line and reports the bad one.
		code, out, errOut := cli(t, append(append([]string{"import"}, storeArgs(sf)...), "--kind", "places", "--skip-invalid",
			writeFile(t, "mixed.csv", good+"东陈,village,330225200,abc,29.35\n"))...)
		if code != 0 || !strings.Contains(errOut, "line 3") || !strings.Contains(out, `"rejected":1`) {
			t.Fatalf("skip-invalid: %d %s %s", code, out, errOut)
		}
		if n := placeCount(t, sf); n != before+1 {
			t.Errorf("%d places after --skip-invalid, want %d", n, before+1)
		}
		// The same file again updates, it does not duplicate.
		cli(t, append(append([]string{"import"}, storeArgs(sf)...), "--kind", "places", writeFile(t, "good.csv", good))...)
		if n := placeCount(t, sf); n != before+1 {
			t.Errorf("%d places after importing the same line again, want %d", n, before+1)
		}
	})
}

// A bad CIVMAP_* value is an error naming the variable, not a silent default; the command line wins over the variable.
func TestEnvironmentValues(t *testing.T) {
	for _, c := range []struct{ name, value string }{
		{"CIVMAP_NO_SAMPLE", "yes"},
		{"CIVMAP_LOCK_TIMEOUT", "abc"},
		{"CIVMAP_TILE_CACHE_MB", "lots"},
		{"CIVMAP_LOG_LEVEL", "verbose"},
		{"CIVMAP_LOCK_TIMEOUT", "-1s"},
		{"CIVMAP_STATEMENT_TIMEOUT", "-5s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.name, c.value)
			code, _, errOut := cli(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
			if code == 0 || !strings.Contains(errOut, c.name) {
				t.Errorf("exit %d, %q; want a failure naming %s", code, errOut, c.name)
			}
		})
	}
	t.Setenv("CIVMAP_IMPORT_KIND", "nonsense")
	dir := t.TempDir()
	loadSample(t, &storeFlags{dataDir: dir}) // a dry run needs a store, and a place its township
	code, out, errOut := cli(t, "import", "--data-dir", dir, "--kind", "places", "--dry-run",
		writeFile(t, "p.csv", "name,category,division_codes,lon,lat\n甲,x,330225002,121.880694,29.432304\n"))
	if code != 0 || !strings.Contains(out, `"kind":"places"`) {
		t.Errorf("--kind places with CIVMAP_IMPORT_KIND=nonsense: exit %d, %q %q", code, out, errOut)
	}
}

// A second process on the same embedded store is told who holds it, at once, instead of hanging.
func TestEmbeddedStoreBusy(t *testing.T) {
	sf := &storeFlags{dataDir: t.TempDir()}
	st, _, err := sf.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, _, errOut := cli(t, "import", "--data-dir", sf.dataDir, "--lock-timeout", "200ms", "--kind", "places",
		writeFile(t, "p.csv", "name,category,lon,lat\n甲,x,121.87,29.47\n"))
	if code == 0 || !strings.Contains(errOut, "in use") || !strings.Contains(errOut, itoa(os.Getpid())) {
		t.Errorf("exit %d, %q; want a failure naming PID %d", code, errOut, os.Getpid())
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := cli(t, "version"); code != 0 || !strings.HasPrefix(out, "civmap ") {
		t.Errorf("version: %d %q", code, out)
	}
	for _, sub := range []string{"serve", "import", "migrate"} {
		if code, _, errOut := cli(t, sub, "--help"); code != 0 || !strings.Contains(errOut, "CIVMAP_DATABASE_URL") {
			t.Errorf("%s --help: %d %q", sub, code, errOut)
		}
	}
	if code, out, _ := cli(t, "version", "--help"); code != 0 || out != "" {
		t.Errorf("version --help: %d %q", code, out)
	}
	if code, _, _ := cli(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}
