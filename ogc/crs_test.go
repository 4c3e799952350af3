package ogc

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// Each CRS's axis order and transform, against values worked out by hand: Web Mercator x = Rλ, y = R ln tan(π/4+φ/2)
// with R = 6378137 m; EPSG:4550 (CM 123°E) has easting 500,000 m on its central meridian and northing = the meridian
// arc, 3,264,689.28 m at 29.5°N on the CGCS2000 ellipsoid (a = 6,378,137 m, 1/f = 298.257222101; the series to e⁶).
func TestCRS(t *testing.T) {
	p := orb.Point{121.87, 29.47}
	lat := 29.47 * math.Pi / 180
	for _, c := range []struct {
		uri  string
		pt   orb.Point // input in storage lon/lat
		want orb.Point
		tol  float64
	}{
		{CRS84, p, p, 0},
		{"[EPSG:4326]", p, orb.Point{29.47, 121.87}, 0},
		{"EPSG:4490", p, orb.Point{29.47, 121.87}, 0},
		{EPSGBase + "3857", p, orb.Point{6378137 * 121.87 * math.Pi / 180, 6378137 * math.Log(math.Tan(math.Pi/4+lat/2))}, 1e-6},
		{EPSGBase + "4550", orb.Point{123, 29.5}, orb.Point{3264689.28, 500000}, 0.01},
	} {
		crs, err := ParseCRS(c.uri)
		if err != nil {
			t.Fatalf("%s: %v", c.uri, err)
		}
		q, err := crs.FromStorage(c.pt)
		if err != nil || math.Abs(q[0]-c.want[0]) > c.tol || math.Abs(q[1]-c.want[1]) > c.tol {
			t.Errorf("%s: %v %v, want %v", c.uri, q, err, c.want)
		}
		back, err := crs.ToStorage(q[0], q[1])
		if err != nil || math.Abs(back[0]-c.pt[0]) > 1e-9 || math.Abs(back[1]-c.pt[1]) > 1e-9 {
			t.Errorf("%s: round trip %v %v, want %v", c.uri, back, err, c.pt)
		}
	}
	if _, err := ParseCRS("EPSG:2000"); err == nil || !strings.Contains(err.Error(), EPSGBase+"4550") {
		t.Errorf("unsupported CRS: %v", err)
	}
}

func TestCursor(t *testing.T) {
	for _, k := range []string{"B-001", "地名-01", "a/b?c"} {
		a, b, err := decodeCursor(encodeCursor('a', k))
		if err != nil || a != k || b != "" {
			t.Errorf("after %q: %q %q %v", k, a, b, err)
		}
		a, b, err = decodeCursor(encodeCursor('b', k))
		if err != nil || a != "" || b != k {
			t.Errorf("before %q: %q %q %v", k, a, b, err)
		}
	}
	for _, bad := range []string{"", "zzz", encodeCursor('x', "k"), "YQ"} {
		if _, _, err := decodeCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

// appendProperties writes what encoding/json writes for the same map.
func TestAppendProperties(t *testing.T) {
	props := map[string]any{"name": "象山\"公园\"\\\n\t\u2028<&>", "n": 120.0, "f": 0.25, "big": 1e22, "ok": true,
		"none": nil, "t": time.Date(2024, 5, 1, 8, 0, 0, 123000, time.UTC), "codes": []string{"330225", "a\x01"},
		"bad": "\xff", "neg": -3.0}
	got, err := appendProperties(nil, props)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(props)
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("appendProperties %s\nencoding/json    %s", got, want)
	}
}
