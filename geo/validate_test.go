package geo

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func TestValidatePointAndBound(t *testing.T) {
	pts := []struct {
		p    orb.Point
		want string // "" = valid
	}{
		{orb.Point{121.87, 29.47}, ""},
		{orb.Point{-180, -90}, ""},
		{orb.Point{180, 90}, ""},
		{orb.Point{180.0001, 0}, "lon 180.0001 outside"},
		{orb.Point{0, -90.5}, "lat -90.5 outside"},
		{orb.Point{math.NaN(), 0}, "lon NaN is not finite"},
		{orb.Point{0, math.Inf(-1)}, "lat -Inf is not finite"},
	}
	for _, c := range pts {
		err := ValidatePoint(c.p)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("ValidatePoint(%v) = %v, want %q", c.p, err, c.want)
		}
	}
	bounds := []struct {
		b    orb.Bound
		want string
	}{
		{orb.Bound{Min: orb.Point{121, 28}, Max: orb.Point{122, 30}}, ""},
		{orb.Bound{Min: orb.Point{121, 28}, Max: orb.Point{121, 28}}, ""},
		{orb.Bound{Min: orb.Point{122, 28}, Max: orb.Point{121, 30}}, "minLon 122 > maxLon 121"},
		{orb.Bound{Min: orb.Point{121, 31}, Max: orb.Point{122, 30}}, "minLat 31 > maxLat 30"},
		{orb.Bound{Min: orb.Point{121, 28}, Max: orb.Point{190, 30}}, "bound max: lon 190"},
	}
	for _, c := range bounds {
		err := ValidateBound(c.b)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("ValidateBound(%v) = %v, want %q", c.b, err, c.want)
		}
	}
}

func TestParseBBox(t *testing.T) {
	good := []struct {
		in   string
		want orb.Bound
	}{
		{"121.5,29,122,29.8", orb.Bound{Min: orb.Point{121.5, 29}, Max: orb.Point{122, 29.8}}},
		{" 121.5 , 29 ,122, 29.8 ", orb.Bound{Min: orb.Point{121.5, 29}, Max: orb.Point{122, 29.8}}},
		{"-180,-90,180,90", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}},
	}
	for _, c := range good {
		got, err := ParseBBox(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseBBox(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, want string }{
		{"", "got 1 elements"},
		{"1,2,3", "got 3 elements"},
		{"1,2,3,4,5", "got 5 elements"},
		{"a,2,3,4", "minLon (element 1) \"a\" is not a number"},
		{"1,,3,4", "minLat (element 2)"},
		{"1,NaN,3,4", "minLat (element 2) \"NaN\" is not finite"},
		{"1,2,+Inf,4", "maxLon (element 3)"},
		{"1,2,181,4", "maxLon (element 3) 181 outside [-180,180]"},
		{"1,2,3,95", "maxLat (element 4) 95 outside [-90,90]"},
		{"3,2,1,4", "minLon 3 > maxLon 1"},
		{"1,5,3,4", "minLat 5 > maxLat 4"},
	}
	for _, c := range bad {
		_, err := ParseBBox(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseBBox(%q) error %v, want it to contain %q", c.in, err, c.want)
		}
	}
}

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"121.5,29,122,29.8", "1,2,3", "NaN,0,0,0", "-180,-90,180,90", "1e309,0,0,0", "0x1p-2,0,1,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err != nil {
			return
		}
		if err := ValidateBound(b); err != nil {
			t.Fatalf("ParseBBox(%q) = %v, which ValidateBound rejects: %v", s, b, err)
		}
	})
}

func TestNormalizePolygonal(t *testing.T) {
	// Clockwise, unclosed, with a duplicate vertex.
	cw := orb.Ring{{0, 0}, {0, 1}, {0, 1}, {1, 1}, {1, 0}}
	got, err := NormalizePolygonal(orb.Polygon{cw})
	if err != nil {
		t.Fatal(err)
	}
	want := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
	if !orb.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if cw[2] != (orb.Point{0, 1}) || len(cw) != 5 {
		t.Error("input was modified")
	}

	// A CCW hole becomes CW; a MultiPolygon stays a MultiPolygon.
	mp := orb.MultiPolygon{
		{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}}},
		{{{10, 10}, {10, 11}, {11, 11}, {10, 10}}},
	}
	g, err := NormalizePolygonal(mp)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := g.(orb.MultiPolygon)
	if !ok {
		t.Fatalf("got %T, want MultiPolygon", g)
	}
	wantMP := orb.MultiPolygon{
		{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}}},
		{{{10, 10}, {11, 11}, {10, 11}, {10, 10}}},
	}
	if !orb.Equal(out, wantMP) {
		t.Errorf("got %v, want %v", out, wantMP)
	}

	errCases := []struct {
		name string
		g    orb.Geometry
		want string
	}{
		{"nil", nil, "nil geometry"},
		{"empty polygon", orb.Polygon{}, "no rings"},
		{"empty multipolygon", orb.MultiPolygon{}, "empty MultiPolygon"},
		{"too few", orb.Polygon{{{0, 0}, {1, 1}, {0, 0}}}, "part 0 ring 0: 3 distinct positions"},
		{"dups only", orb.Polygon{{{0, 0}, {0, 0}, {1, 1}, {1, 1}}}, "need at least 4"},
		{"NaN", orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{0, 0}, {1, 0}, {math.NaN(), 1}, {0, 0}}}}, "part 1 ring 0 vertex 2: lon NaN"},
		{"lat", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0, 0}, {1, 0}, {1, 91}}}, "part 0 ring 1 vertex 2: lat 91 outside"},
		{"linestring", orb.LineString{{0, 0}, {181, 0}}, "LineString vertex 1: lon 181"},
		{"multilinestring", orb.MultiLineString{{{0, 0}, {1, 1}}, {{0, 0}, {0, math.Inf(1)}}}, "part 1 vertex 1"},
		{"collection", orb.Collection{orb.Point{0, 0}, orb.Point{0, 100}}, "member 1"},
	}
	for _, c := range errCases {
		_, err := NormalizePolygonal(c.g)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}

	// Non-polygons pass through unchanged.
	for _, g := range []orb.Geometry{orb.Point{121, 29}, orb.LineString{{0, 0}, {1, 1}}, orb.MultiPoint{{1, 2}}} {
		got, err := NormalizePolygonal(g)
		if err != nil || !orb.Equal(got, g) {
			t.Errorf("%v → %v, %v", g, got, err)
		}
	}
}

func TestSelfIntersection(t *testing.T) {
	cases := []struct {
		name string
		ring orb.Ring
		at   orb.Point
		bad  bool
	}{
		{"bow-tie", orb.Ring{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}, orb.Point{0.5, 0.5}, true},
		{"vertex on edge", orb.Ring{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}, {0, 0}}, orb.Point{2, 0}, true},
		{"figure eight at a vertex", orb.Ring{{0, 0}, {2, 2}, {4, 0}, {4, 4}, {2, 2}, {0, 4}, {0, 0}}, orb.Point{2, 2}, true},
		{"spike", orb.Ring{{0, 0}, {4, 0}, {4, 4}, {4, 6}, {4, 5}, {0, 4}, {0, 0}}, orb.Point{4, 5}, true},
		{"collinear", orb.Ring{{0, 0}, {1, 0}, {2, 0}, {0, 0}}, orb.Point{1, 0}, true},
		{"closing edge crosses", orb.Ring{{0, 0}, {2, 2}, {2, 0}, {0, 2}}, orb.Point{1, 1}, true},
		{"concave ok", orb.Ring{{0, 0}, {4, 0}, {4, 4}, {2, 1}, {0, 4}, {0, 0}}, orb.Point{}, false},
		{"collinear vertex ok", orb.Ring{{0, 0}, {1, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}, orb.Point{}, false},
		{"triangle ok", orb.Ring{{0, 0}, {1, 0}, {0, 1}, {0, 0}}, orb.Point{}, false},
	}
	for _, c := range cases {
		_, err := NormalizePolygonal(orb.MultiPolygon{{{{50, 50}, {51, 50}, {51, 51}, {50, 50}}}, {c.ring}})
		var se *SelfIntersectionError
		if !c.bad {
			if err != nil {
				t.Errorf("%s: unexpected %v", c.name, err)
			}
			continue
		}
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want *SelfIntersectionError", c.name, err)
			continue
		}
		if se.Part != 1 || se.Ring != 0 || math.Abs(se.At[0]-c.at[0]) > 1e-12 || math.Abs(se.At[1]-c.at[1]) > 1e-12 {
			t.Errorf("%s: got %+v, want part 1 ring 0 at %v", c.name, *se, c.at)
		}
		if !strings.Contains(err.Error(), "lon ") || !strings.Contains(err.Error(), "lat ") {
			t.Errorf("%s: message %q should give lon/lat", c.name, err)
		}
	}
}

// wobblyCircle is an n-vertex simple ring around Xiangshan, 0.1° in radius
// with radial wiggles: spiky (every vertex alternates radius, a worst case
// for the sweep since ~1000 edges overlap any vertical line) or smooth (37
// bays, like a coastline).
func wobblyCircle(n int, spiky bool) orb.Ring {
	r := make(orb.Ring, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		rad := 0.1 * (1 + 0.05*math.Sin(37*a))
		if spiky {
			rad = 0.1 * (1 + 0.05*math.Sin(float64(i)*0.7))
		}
		r[i] = orb.Point{121.9 + rad*math.Cos(a), 29.4 + rad*math.Sin(a)}
	}
	r[n] = r[0]
	return r
}

func TestSelfIntersectionLargeRingFast(t *testing.T) {
	ring := wobblyCircle(100000, false)
	start := time.Now()
	if _, err := NormalizePolygonal(orb.Polygon{ring}); err != nil {
		t.Fatal(err)
	}
	// Swap two vertices far apart: edges around them now cross.
	bad := ring.Clone()
	bad[100], bad[50000] = bad[50000], bad[100]
	_, err := NormalizePolygonal(orb.Polygon{bad})
	var se *SelfIntersectionError
	if !errors.As(err, &se) {
		t.Fatalf("want *SelfIntersectionError, got %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("two 100,000-vertex rings took %v, want well under a second", el)
	}
}

func BenchmarkNormalize100k(b *testing.B) {
	for _, spiky := range []bool{false, true} {
		name := map[bool]string{false: "smooth", true: "spiky"}[spiky]
		p := orb.Polygon{wobblyCircle(100000, spiky)}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := NormalizePolygonal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func loadShipu(t testing.TB) orb.MultiPolygon {
	t.Helper()
	raw, err := os.ReadFile("testdata/shipu_township.geojson")
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	mp, ok := fc.Features[0].Geometry.(orb.MultiPolygon)
	if !ok {
		t.Fatalf("want MultiPolygon, got %T", fc.Features[0].Geometry)
	}
	return mp
}

func TestNormalizeRealTownship(t *testing.T) {
	mp := loadShipu(t)
	g, err := NormalizePolygonal(mp)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range g.(orb.MultiPolygon) {
		if signedArea(p[0]) <= 0 {
			t.Errorf("part %d exterior not CCW", i)
		}
	}
}

// polygonsFromBytes builds a MultiPolygon from fuzz bytes: each 2-byte pair
// is a vertex on a small grid (so that coincidences happen); 0xFF starts a
// new ring, 0xFE a new part. A byte 0xFD makes the next coordinate NaN.
func polygonsFromBytes(data []byte) orb.MultiPolygon {
	mp := orb.MultiPolygon{{{}}}
	nan := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case 0xFF:
			p := &mp[len(mp)-1]
			*p = append(*p, orb.Ring{})
			continue
		case 0xFE:
			mp = append(mp, orb.Polygon{{}})
			continue
		case 0xFD:
			nan = true
			continue
		}
		if i+1 >= len(data) {
			break
		}
		v := binary.BigEndian.Uint16(data[i : i+2])
		i++
		pt := orb.Point{float64(v>>8)/4 - 20, float64(v&0xFF)/4 - 20}
		if nan {
			pt[0], nan = math.NaN(), false
		}
		p := mp[len(mp)-1]
		p[len(p)-1] = append(p[len(p)-1], pt)
	}
	return mp
}

func FuzzNormalizePolygonal(f *testing.F) {
	f.Add([]byte{0, 0, 4, 0, 4, 4, 0, 4})
	f.Add([]byte{0, 0, 4, 4, 4, 0, 0, 4})
	f.Add([]byte{0, 0, 40, 0, 40, 40, 0, 40, 0xFF, 10, 10, 20, 10, 20, 20, 0xFE, 50, 50, 60, 50, 60, 60})
	f.Add([]byte{0, 0, 0xFD, 4, 0, 4, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		mp := polygonsFromBytes(data)
		for _, in := range []orb.Geometry{mp, mp[0]} {
			g, err := NormalizePolygonal(in)
			if err != nil {
				continue
			}
			if g.GeoJSONType() != in.GeoJSONType() {
				t.Fatalf("type changed: %s → %s", in.GeoJSONType(), g.GeoJSONType())
			}
			var polys orb.MultiPolygon
			if p, ok := g.(orb.Polygon); ok {
				polys = orb.MultiPolygon{p}
			} else {
				polys = g.(orb.MultiPolygon)
			}
			for _, p := range polys {
				for ri, r := range p {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Fatalf("ring %d not closed or too short: %v", ri, r)
					}
					if a := signedArea(r); (ri == 0) != (a > 0) {
						t.Fatalf("ring %d wrong orientation (area %v)", ri, a)
					}
				}
			}
			again, err := NormalizePolygonal(g)
			if err != nil || !orb.Equal(again, g) {
				t.Fatalf("not idempotent: %v → %v, %v", g, again, err)
			}
		}
	})
}

// A LineString needs two distinct positions (RFC 7946 §3.1.4), in a MultiLineString too; the error names the part.
func TestLineNeedsTwoPositions(t *testing.T) {
	for _, c := range []struct {
		g    orb.Geometry
		want string // "" for valid
	}{
		{orb.LineString{{121.87, 29.47}}, "1 position"},
		{orb.LineString{}, "0 position"},
		{orb.LineString{{121.87, 29.47}, {121.87, 29.47}}, "repeats one position"},
		{orb.LineString{{121.87, 29.47}, {121.88, 29.47}}, ""},
		{orb.MultiLineString{{{121.87, 29.47}, {121.88, 29.47}}, {{121.9, 29.4}}}, "part 1"},
		{orb.MultiLineString{}, "empty MultiLineString"},
		{orb.MultiPoint{}, "empty MultiPoint"},
	} {
		_, err := NormalizePolygonal(c.g)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v; want %q", c.g, err, c.want)
		}
	}
}
