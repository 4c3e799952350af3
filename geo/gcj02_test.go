package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestGCJ02PublishedVectors(t *testing.T) {
	// wandergis/coordtransform README (Tiananmen, 116.404, 39.915).
	cases := []struct {
		name string
		f    func(orb.Point) orb.Point
		want orb.Point
	}{
		{"wgs84togcj02", WGS84ToGCJ02, orb.Point{116.41024449916938, 39.91640428150164}},
		{"gcj02tobd09", GCJ02ToBD09, orb.Point{116.41036949371029, 39.92133699351021}},
		{"wgs84tobd09", WGS84ToBD09, orb.Point{116.41662724378733, 39.922699552216216}},
	}
	for _, c := range cases {
		got := c.f(orb.Point{116.404, 39.915})
		if math.Abs(got[0]-c.want[0]) > 1e-12 || math.Abs(got[1]-c.want[1]) > 1e-12 {
			t.Errorf("%s = %.15f,%.15f; want %v", c.name, got[0], got[1], c.want)
		}
	}
	// The README's inverses are one-step approximations; ours iterate, so
	// they agree only to ~1e-5° but invert the forward exactly.
	approx := map[string]orb.Point{
		"gcj02towgs84": {116.39775550083061, 39.91359571849836},
		"bd09togcj02":  {116.39762729119315, 39.90865673957631},
	}
	for name, f := range map[string]func(orb.Point) orb.Point{"gcj02towgs84": GCJ02ToWGS84, "bd09togcj02": BD09ToGCJ02} {
		got := f(orb.Point{116.404, 39.915})
		if math.Abs(got[0]-approx[name][0]) > 5e-5 || math.Abs(got[1]-approx[name][1]) > 5e-5 {
			t.Errorf("%s = %v, want ≈ %v", name, got, approx[name])
		}
	}
}

func TestGCJ02Xiangshan(t *testing.T) {
	w := orb.Point{121.87, 29.47}
	g := WGS84ToGCJ02(w)
	dlon, dlat := g[0]-w[0], g[1]-w[1]
	// DOMAIN.md §5: lon +0.0040°, lat −0.0027°, ≈ 490 m.
	if math.Abs(dlon-0.0040) > 0.0003 || math.Abs(dlat+0.0027) > 0.0003 {
		t.Errorf("GCJ offset (%.5f, %.5f), want ≈ (+0.0040, −0.0027)", dlon, dlat)
	}
	if d := Distance(w, g); math.Abs(d-490) > 25 {
		t.Errorf("GCJ offset %.1f m, want ≈ 490 m", d)
	}
	b := WGS84ToBD09(w)
	if d := Distance(w, b); math.Abs(d-1080) > 40 {
		t.Errorf("BD-09 offset %.1f m, want ≈ 1080 m", d)
	}
}

func TestGCJ02RoundTrip(t *testing.T) {
	for lon := 73.0; lon <= 135; lon += 3.7 {
		for lat := 3.0; lat <= 53; lat += 2.9 {
			w := orb.Point{lon, lat}
			if r := GCJ02ToWGS84(WGS84ToGCJ02(w)); math.Abs(r[0]-w[0]) > 1e-7 || math.Abs(r[1]-w[1]) > 1e-7 {
				t.Errorf("WGS→GCJ→WGS %v → %v", w, r)
			}
			if r := BD09ToWGS84(WGS84ToBD09(w)); math.Abs(r[0]-w[0]) > 1e-7 || math.Abs(r[1]-w[1]) > 1e-7 {
				t.Errorf("WGS→BD→WGS %v → %v", w, r)
			}
			if r := BD09ToGCJ02(GCJ02ToBD09(w)); math.Abs(r[0]-w[0]) > 1e-7 || math.Abs(r[1]-w[1]) > 1e-7 {
				t.Errorf("GCJ→BD→GCJ %v → %v", w, r)
			}
		}
	}
}

func TestGCJ02OutsideChina(t *testing.T) {
	for _, p := range []orb.Point{{-0.1246, 51.5007}, {139.7, 35.7}, {72.0, 30}, {100, 0.5}, {100, 56}} {
		if g := WGS84ToGCJ02(p); g != p {
			t.Errorf("WGS84ToGCJ02(%v) = %v, want unchanged", p, g)
		}
		if g := GCJ02ToWGS84(p); g != p {
			t.Errorf("GCJ02ToWGS84(%v) = %v, want unchanged", p, g)
		}
	}
}
