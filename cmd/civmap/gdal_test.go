package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"civmap/geo"
)

// needGDAL returns the path of GDAL's command named tool (Debian gdal-bin, which make test installs). A missing GDAL
// fails the test: GDAL is the real client these tests exist for, so they never skip.
func needGDAL(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found; install gdal-bin (bash scripts/ensure-gdal.sh, which make test runs)", tool)
	}
	return p
}

func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(needGDAL(t, tool), args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ogrLayers parses what `ogrinfo -so` prints: each layer's geometry type and feature count.
func ogrLayers(out string) map[string][2]string {
	layers := map[string][2]string{}
	name := ""
	geom := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Layer name: "):
			name = strings.TrimPrefix(line, "Layer name: ")
		case strings.HasPrefix(line, "Geometry: ") && name != "":
			geom = strings.TrimPrefix(line, "Geometry: ")
		case strings.HasPrefix(line, "Feature Count: ") && name != "":
			layers[name] = [2]string{geom, strings.TrimPrefix(line, "Feature Count: ")}
		}
	}
	return layers
}

// GDAL's MVT driver (Debian gdal-bin, 3.6) reads civmap as a tileset: ogrinfo lists the layers with the geometry type
// of metadata.json and, counting features clipped to their tiles, as many as the API holds; ogr2ogr of one .pbf tile
// gives the API's facilities in that tile, with their attributes, within a metre. A URL template is a 400 that says
// what to use.
func TestGDALReadsTiles(t *testing.T) {
	needGDAL(t, "ogrinfo")
	stores(t, func(t *testing.T, sf *storeFlags) {
		ts, _ := sampleServer(t, sf)
		count := func(path string) string {
			return strconv.Itoa(decode[featureCollection](t, do(t, "GET", ts.URL+path+"?limit=1", "")).NumberMatched)
		}
		// -where forces a count of the features GDAL returns (clipped to their tiles); plain -so adds up the features
		// of every tile, so a point in the 64-unit buffer of two tiles counts twice.
		out := gdal(t, "ogrinfo", "-ro", "-so", "-where", "1=1", "MVT:"+ts.URL+"/tiles/facilities,demand,places/10",
			"facilities", "demand", "places")
		layers := ogrLayers(out)
		want := map[string][2]string{
			"facilities": {"Multi Point", count("/api/facilities")},
			"demand":     {"Multi Point", count("/api/demand")},
		}
		for name, w := range want {
			if layers[name] != w {
				t.Errorf("layer %s: ogrinfo says %v, want %v (geometry, count)\n%s", name, layers[name], w, out)
			}
		}
		if _, ok := layers["places"]; !ok || len(layers) != 3 {
			t.Errorf("ogrinfo layers %v, want facilities, demand and places\n%s", layers, out)
		}

		// One tile, as GeoJSON (RFC 7946: EPSG:4326 lon/lat), against the API's facilities in the tile's bounds.
		tl := maptile.At(orb.Point{121.880694, 29.432304}, 14) // the pinned facility's tile, 14/13738/6787
		dst := filepath.Join(t.TempDir(), "tile.geojson")
		gdal(t, "ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=YES", dst,
			fmt.Sprintf("MVT:%s/tiles/facilities/%d/%d/%d.pbf", ts.URL, tl.Z, tl.X, tl.Y), "facilities")
		raw, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Features []struct {
				Geometry struct {
					Type        string          `json:"type"`
					Coordinates json.RawMessage `json:"coordinates"`
				} `json:"geometry"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		b := tl.Bound()
		api := decode[featureCollection](t, do(t, "GET", fmt.Sprintf("%s/api/facilities?limit=1000&bbox=%s,%s,%s,%s",
			ts.URL, ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1])), ""))
		if len(api.Features) == 0 {
			t.Fatalf("no facility in tile %v", tl)
		}
		byID := map[string]int{}
		for i, f := range api.Features {
			byID[f.Properties["id"].(string)] = i
		}
		var gotIDs, wantIDs []string
		for id := range byID {
			wantIDs = append(wantIDs, id)
		}
		for _, f := range got.Features {
			id, _ := f.Properties["id"].(string)
			gotIDs = append(gotIDs, id)
			i, ok := byID[id]
			if !ok {
				continue
			}
			a := api.Features[i]
			for _, k := range []string{"name", "type", "status", "township_code"} {
				if f.Properties[k] != a.Properties[k] {
					t.Errorf("facility %s %s: GDAL %v, API %v", id, k, f.Properties[k], a.Properties[k])
				}
			}
			var gp, ap orb.Point
			if f.Geometry.Type != "Point" || json.Unmarshal(f.Geometry.Coordinates, &gp) != nil ||
				json.Unmarshal(a.Geometry.Coordinates, &ap) != nil {
				t.Errorf("facility %s: geometry %s %s", id, f.Geometry.Type, f.Geometry.Coordinates)
				continue
			}
			if d := geo.Distance(gp, ap); d > 1 || math.IsNaN(d) {
				t.Errorf("facility %s: GDAL puts it %.2f m from the API's position", id, d)
			}
		}
		sort.Strings(gotIDs)
		sort.Strings(wantIDs)
		if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
			t.Errorf("tile %v: GDAL reads facilities %v, the API has %v", tl, gotIDs, wantIDs)
		}

		// The README's template, as GDAL sends it (braces percent-encoded): a 400 saying how to open the tileset.
		r := do(t, "GET", ts.URL+"/tiles/facilities,places/%7Bz%7D/%7Bx%7D/%7By%7D.mvt", "")
		if p := decode[problem](t, r); r.status != http.StatusBadRequest || !regexp.MustCompile(`MVT:http://\S+/tiles/facilities,places/\d+`).MatchString(p.Detail) {
			t.Errorf("template: %d %s", r.status, r.body)
		}
	})
}
