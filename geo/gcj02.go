package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// GCJ-02 uses the Krasovsky 1940 ellipsoid in its public formula.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
	bdXPi       = math.Pi * 3000.0 / 180.0
)

// outOfChina is the usual bounding-box rule: outside it GCJ-02 = WGS84.
func outOfChina(p orb.Point) bool {
	return p[0] < 72.004 || p[0] > 137.8347 || p[1] < 0.8293 || p[1] > 55.8271
}

func gcjDeltaLat(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func gcjDeltaLon(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}

// WGS84ToGCJ02 converts WGS84 (≈ CGCS2000) lon/lat degrees to GCJ-02, by the
// public formula on the Krasovsky ellipsoid (a = 6378245 m,
// e² = 0.00669342162296594323). Outside China's bounding box
// (lon 72.004..137.8347, lat 0.8293..55.8271) the point is returned unchanged.
// At Xiangshan the shift is about lon +0.0040°, lat −0.0027° (≈ 490 m).
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if outOfChina(p) {
		return p
	}
	lon, lat := p[0], p[1]
	dLat := gcjDeltaLat(lon-105.0, lat-35.0)
	dLon := gcjDeltaLon(lon-105.0, lat-35.0)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return orb.Point{lon + dLon, lat + dLat}
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration (the offset
// varies slowly, so each step gains about 5 digits): it stops when the
// forward image is within 1e-9° of p, after at most 30 iterations; the
// residual is then far below 1e-7° (1 cm). Points outside China are returned
// unchanged.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	return invertIter(p, WGS84ToGCJ02)
}

// GCJ02ToBD09 converts GCJ-02 lon/lat degrees to Baidu BD-09 (the public
// formula: a polar perturbation then a shift of +0.0065°, +0.006°).
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 inverts GCJ02ToBD09. The usual closed-form inverse is only good
// to about 1e-6° (10 cm), so it is refined by the same iteration as
// GCJ02ToWGS84 (residual < 1e-9°).
func BD09ToGCJ02(p orb.Point) orb.Point {
	return invertIter(p, GCJ02ToBD09)
}

// WGS84ToBD09 converts WGS84 lon/lat degrees to BD-09 via GCJ-02. At
// Xiangshan the total shift is about 1.08 km.
func WGS84ToBD09(p orb.Point) orb.Point { return GCJ02ToBD09(WGS84ToGCJ02(p)) }

// BD09ToWGS84 converts BD-09 lon/lat degrees to WGS84 via GCJ-02.
func BD09ToWGS84(p orb.Point) orb.Point { return GCJ02ToWGS84(BD09ToGCJ02(p)) }

// invertIter solves fwd(w) = p for w, starting at w = p.
func invertIter(p orb.Point, fwd func(orb.Point) orb.Point) orb.Point {
	if !finite(p[0]) || !finite(p[1]) {
		return p
	}
	w := p
	for i := 0; i < 30; i++ {
		q := fwd(w)
		dx, dy := q[0]-p[0], q[1]-p[1]
		if math.Abs(dx) < 1e-9 && math.Abs(dy) < 1e-9 {
			break
		}
		w = orb.Point{w[0] - dx, w[1] - dy}
	}
	return w
}
