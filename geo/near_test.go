package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// DistanceToPolygon: 0 inside, the distance to the nearest edge outside (and inside a hole), in metres.
func TestDistanceToPolygon(t *testing.T) {
	sq := orb.Polygon{
		{{121.8, 29.4}, {121.9, 29.4}, {121.9, 29.5}, {121.8, 29.5}, {121.8, 29.4}},
		{{121.84, 29.44}, {121.86, 29.44}, {121.86, 29.46}, {121.84, 29.46}, {121.84, 29.44}},
	}
	kx, ky := MetresPerDegree(29.45)
	for _, c := range []struct {
		p    orb.Point
		want float64
	}{
		{orb.Point{121.81, 29.45}, 0},
		{orb.Point{121.91, 29.45}, 0.01 * kx},
		{orb.Point{121.85, 29.39}, 0.01 * latMetres(29.39)},
		{orb.Point{121.85, 29.45}, 0.01 * kx},
		{orb.Point{121.91, 29.51}, math.Hypot(0.01*kx, 0.01*ky)},
	} {
		if got := DistanceToPolygon(c.p, sq); math.Abs(got-c.want) > 0.002*c.want+0.5 {
			t.Errorf("%v: %.1f m, want %.1f", c.p, got, c.want)
		}
	}
	if d := DistanceToPolygon(orb.Point{121.85, 29.45}, orb.LineString{{121.8, 29.4}}); !math.IsInf(d, 1) {
		t.Errorf("a line is no polygon: %v", d)
	}
}

// latMetres is the metres per degree of latitude at lat.
func latMetres(lat float64) float64 { _, ky := MetresPerDegree(lat); return ky }
