package geo

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestDecodeGeometry3D(t *testing.T) {
	cases := []struct {
		name, in string
		want     orb.Geometry
	}{
		{"3-D LineString", `{"type":"LineString","coordinates":[[121.8,29.4,12.5],[121.9,29.5,13]]}`,
			orb.LineString{{121.8, 29.4}, {121.9, 29.5}}},
		{"3-D Polygon", `{"type":"Polygon","coordinates":[[[121,29,1],[122,29,2],[122,30,3],[121,29,1]]]}`,
			orb.Polygon{{{121, 29}, {122, 29}, {122, 30}, {121, 29}}}},
		{"4-D Point", `{"type":"Point","coordinates":[121.87,29.47,5,1700000000]}`, orb.Point{121.87, 29.47}},
		{"mixed 2-D/3-D MultiPoint", `{"type":"MultiPoint","coordinates":[[1,2],[3,4,5]]}`, orb.MultiPoint{{1, 2}, {3, 4}}},
		{"MultiPolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`,
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"MultiLineString", `{"type":"MultiLineString","coordinates":[[[0,0,9],[1,1,9]]]}`, orb.MultiLineString{{{0, 0}, {1, 1}}}},
		{"collection", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}`,
			orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}}},
		{"bbox and extra members ignored", `{"type":"Point","bbox":[1,2,1,2],"coordinates":[1,2],"crs":null}`, orb.Point{1, 2}},
	}
	for _, c := range cases {
		got, err := DecodeGeometry([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !orb.Equal(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, got, c.want)
		}
	}
}

func TestDecodeGeometryErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"type":"Point","coordinates":[1]}`, "at least 2 numbers"},
		{`{"type":"Point","coordinates":[]}`, "at least 2 numbers"},
		{`{"type":"Point"}`, "Point without \"coordinates\""},
		{`{"type":"Point","coordinates":null}`, "without \"coordinates\""},
		{`{"coordinates":[1,2]}`, "missing \"type\""},
		{`{"type":"Circle","coordinates":[1,2]}`, "unknown geometry type \"Circle\""},
		{`{"type":"point","coordinates":[1,2]}`, "unknown geometry type"},
		{`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`, "want a geometry object"},
		{`{"type":"Polygon","coordinates":[[1,2],[3,4]]}`, "geometry.coordinates[0][0]: want an array, got a number"},
		{`{"type":"LineString","coordinates":[[1,2],["3",4]]}`, "coordinates[1][0]: want a number, got a string"},
		{`{"type":"LineString","coordinates":[[1,2],[3,95]]}`, "coordinates[1]: lat 95 outside"},
		{`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[200,0]]]]}`, "coordinates[0][0][3]: lon 200"},
		{`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1]}]}`, "geometries[0].coordinates"},
		{`{"type":"GeometryCollection"}`, "without \"geometries\""},
		{`{"type":"Point","coordinates":[1,2]`, "invalid GeoJSON"},
		{`[1,2]`, "invalid GeoJSON"},
		{`null`, "missing \"type\""},
		{`{"type":"Point","coordinates":[1e400,2]}`, "coordinates"},
	}
	for _, c := range cases {
		g, err := DecodeGeometry([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeGeometry(%s) = %v, %v; want error containing %q", c.in, g, err, c.want)
		}
	}
	deep := strings.Repeat(`{"type":"GeometryCollection","geometries":[`, 20) + strings.Repeat(`]}`, 20)
	if _, err := DecodeGeometry([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("deep collection: %v", err)
	}
}

func TestEncodeGeometryAndDropZ(t *testing.T) {
	out, err := DropZ([]byte(`{"type":"Polygon","coordinates":[[[121,29,1],[122,29,2],[122,30,3],[121,29,1]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"Polygon","coordinates":[[[121,29],[122,29],[122,30],[121,29]]]}`; string(out) != want {
		t.Errorf("DropZ = %s, want %s", out, want)
	}
	cases := []struct {
		g    orb.Geometry
		want string
	}{
		{orb.Point{121.87, 29.47}, `{"type":"Point","coordinates":[121.87,29.47]}`},
		{orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`},
		{orb.Collection{}, `{"type":"GeometryCollection","geometries":[]}`},
	}
	for _, c := range cases {
		b, err := EncodeGeometry(c.g)
		if err != nil || string(b) != c.want {
			t.Errorf("EncodeGeometry(%v) = %s, %v; want %s", c.g, b, err, c.want)
		}
	}
	for _, g := range []orb.Geometry{nil, orb.Point{math.NaN(), 0}, orb.LineString{{0, 0}, {0, 91}}, orb.Collection{orb.Point{0, 0}, nil}} {
		if b, err := EncodeGeometry(g); err == nil {
			t.Errorf("EncodeGeometry(%v) = %s, want error", g, b)
		}
	}
}

func FuzzDecodeGeometry(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[121.87,29.47,3]}`,
		`{"type":"LineString","coordinates":[[1,2],[3,4,5]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[]]}`,
		`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`,
		`{"type":"Point","coordinates":[1]}`,
		`{"type":"MultiPoint","coordinates":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := DecodeGeometry(raw)
		if err != nil {
			return
		}
		b, err := EncodeGeometry(g)
		if err != nil {
			t.Fatalf("decoded %s but cannot encode %#v: %v", raw, g, err)
		}
		g2, err := DecodeGeometry(b)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", b, err)
		}
		if !orb.Equal(g, g2) {
			t.Fatalf("round trip %#v → %s → %#v", g, b, g2)
		}
		_, _ = NormalizePolygonal(g) // must not panic
	})
}
