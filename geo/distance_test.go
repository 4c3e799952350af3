package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func dms(d, m, s float64) float64 {
	if d < 0 {
		return d - m/60 - s/3600
	}
	return d + m/60 + s/3600
}

func TestDistance(t *testing.T) {
	cases := []struct {
		name string
		a, b orb.Point
		want float64 // metres
		tol  float64
	}{
		// Geoscience Australia's Vincenty example on GRS80.
		{"Flinders Peak–Buninyong",
			orb.Point{dms(144, 25, 29.52440), dms(-37, 57, 3.72030)},
			orb.Point{dms(143, 55, 35.38390), dms(-37, 39, 10.15610)},
			54972.271, 0.001},
		// One degree along the equator is a·π/180 exactly.
		{"equator 1°", orb.Point{0, 0}, orb.Point{1, 0}, 6378137 * math.Pi / 180, 1e-6},
		// GRS80 quarter meridian (Moritz 1980): 10 001 965.7293 m.
		{"quarter meridian", orb.Point{123, 0}, orb.Point{123, 90}, 10001965.7293, 1e-3},
		{"same point", orb.Point{121.87, 29.47}, orb.Point{121.87, 29.47}, 0, 0},
	}
	for _, c := range cases {
		if got := Distance(c.a, c.b); math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: %.4f m, want %.4f ± %g", c.name, got, c.want, c.tol)
		}
		if got := Distance(c.b, c.a); math.Abs(got-c.want) > c.tol {
			t.Errorf("%s reversed: %.4f m", c.name, got)
		}
	}
}

func TestDistanceAntipodalFallback(t *testing.T) {
	a, b := orb.Point{0, 0}, orb.Point{179.7, 0}
	if _, ok := vincenty(a, b); ok {
		t.Fatal("expected Vincenty not to converge on this near-antipodal pair")
	}
	// The true geodesic is ~19.94–20.0 Mm; the spherical fallback is within 0.5 %.
	got := Distance(a, b)
	if want := haversine(a, b); got != want {
		t.Errorf("fallback %v, want haversine %v", got, want)
	}
	if got < 19.9e6 || got > 20.1e6 {
		t.Errorf("near-antipodal distance %v m implausible", got)
	}
}

func TestMetresPerDegree(t *testing.T) {
	lon, lat := MetresPerDegree(0)
	// At the equator: a·π/180 and the meridian radius a(1−e²)·π/180.
	if math.Abs(lon-111319.4908) > 1e-3 || math.Abs(lat-6378137*(1-refE2)*math.Pi/180) > 1e-6 {
		t.Errorf("equator: %v, %v", lon, lat)
	}
	// Compare with short Vincenty distances at Xiangshan.
	lon, lat = MetresPerDegree(29.47)
	p := orb.Point{121.87, 29.47}
	dx := Distance(orb.Point{p[0] - 0.0005, p[1]}, orb.Point{p[0] + 0.0005, p[1]}) / 0.001
	dy := Distance(orb.Point{p[0], p[1] - 0.0005}, orb.Point{p[0], p[1] + 0.0005}) / 0.001
	if math.Abs(lon-dx) > 0.01 || math.Abs(lat-dy) > 0.01 {
		t.Errorf("29.47°: got (%.3f, %.3f), Vincenty (%.3f, %.3f)", lon, lat, dx, dy)
	}
}
