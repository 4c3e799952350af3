package geo

import (
	"errors"
	"math"
	"math/cmplx"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseCRS(t *testing.T) {
	cases := []struct {
		in   string
		want CRS
	}{
		{"EPSG:4550", EPSG4550}, {"epsg:4550", EPSG4550}, {"4550", EPSG4550},
		{" EPSG:4549 ", EPSG4549}, {"4528", EPSG4528}, {"epsg:4529", EPSG4529},
		{"GCJ-02", GCJ02}, {"gcj02", GCJ02}, {"BD-09", BD09}, {"bd09", BD09},
		{"WGS84", EPSG4326}, {"wgs84", EPSG4326}, {"4326", EPSG4326},
		{"CGCS2000", EPSG4490}, {"EPSG:4490", EPSG4490},
	}
	for _, c := range cases {
		got, err := ParseCRS(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseCRS(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "EPSG:3857", "4214", "Xian80", "EPSG:", "gcj"} {
		_, err := ParseCRS(bad)
		if err == nil {
			t.Errorf("ParseCRS(%q): want error", bad)
			continue
		}
		if !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "EPSG:4550") {
			t.Errorf("ParseCRS(%q) error %q should name the value and list accepted CRSs", bad, err)
		}
	}
	if !EPSG4550.Projected() || !EPSG4528.Projected() || EPSG4490.Projected() || GCJ02.Projected() {
		t.Error("Projected() wrong")
	}
	if EPSG4529.String() != "EPSG:4529" {
		t.Error("String() wrong")
	}
}

// ---- Independent reference for Gauss–Krüger ----
//
// The Gauss–Krüger projection is the conformal map w = ψ + iλ ↦ z =
// northing + i·easting with z real and equal to the meridian arc on the
// central meridian. Hence z(w) = ∫₀ʷ N(φ)cos φ dw, integrated in the complex
// plane with φ(w) the analytic continuation of the inverse isometric
// latitude. This shares nothing with Krüger's series but the ellipsoid.

const refA, refF = 6378137.0, 1 / 298.257222101

var refE2 = refF * (2 - refF)
var refE = math.Sqrt(refE2)

// refPhi solves ψ(φ) = w for complex w by Newton's method.
func refPhi(w complex128) complex128 {
	e := complex(refE, 0)
	phi := cmplx.Asin(cmplx.Tanh(w)) // spherical start
	for i := 0; i < 50; i++ {
		s := cmplx.Sin(phi)
		psi := cmplx.Atanh(s) - e*cmplx.Atanh(e*s)
		dpsi := complex(1-refE2, 0) / ((1 - complex(refE2, 0)*s*s) * cmplx.Cos(phi))
		d := (psi - w) / dpsi
		phi -= d
		if cmplx.Abs(d) < 1e-16 {
			break
		}
	}
	return phi
}

func refIntegrand(w complex128) complex128 {
	phi := refPhi(w)
	s := cmplx.Sin(phi)
	return complex(refA, 0) * cmplx.Cos(phi) / cmplx.Sqrt(1-complex(refE2, 0)*s*s)
}

// simpson integrates refIntegrand along the straight segment w0→w1.
func simpson(w0, w1 complex128, n int) complex128 {
	h := (w1 - w0) / complex(float64(n), 0)
	sum := refIntegrand(w0) + refIntegrand(w1)
	for k := 1; k < n; k++ {
		c := complex(2, 0)
		if k%2 == 1 {
			c = 4
		}
		sum += c * refIntegrand(w0+complex(float64(k), 0)*h)
	}
	return sum * h / 3
}

// refGK returns (easting offset from CM, northing) in metres for dlon, lat
// in degrees, k0 = 1.
func refGK(dlon, lat float64) (x, y float64) {
	phi := lat * math.Pi / 180
	psi := math.Atanh(math.Sin(phi)) - refE*math.Atanh(refE*math.Sin(phi))
	lam := dlon * math.Pi / 180
	z := simpson(0, complex(psi, 0), 4000) + simpson(complex(psi, 0), complex(psi, lam), 4000)
	return imag(z), real(z)
}

// refMeridianArc integrates M(φ) = ∫ a(1−e²)/(1−e² sin²φ)^{3/2} dφ.
func refMeridianArc(lat float64) float64 {
	phi := lat * math.Pi / 180
	n := 20000
	h := phi / float64(n)
	f := func(p float64) float64 {
		s := math.Sin(p)
		return refA * (1 - refE2) / math.Pow(1-refE2*s*s, 1.5)
	}
	sum := f(0) + f(phi)
	for k := 1; k < n; k++ {
		c := 2.0
		if k%2 == 1 {
			c = 4
		}
		sum += c * f(float64(k)*h)
	}
	return sum * h / 3
}

func TestTransverseMercatorAgainstReference(t *testing.T) {
	// Sanity of the reference itself: on the CM it is the meridian arc.
	if _, y := refGK(0, 29.5); math.Abs(y-refMeridianArc(29.5)) > 1e-6 {
		t.Fatalf("reference disagrees with itself: %v vs %v", y, refMeridianArc(29.5))
	}
	cases := []struct {
		crs      CRS
		lon, lat float64
	}{
		{EPSG4550, 123, 0},
		{EPSG4550, 123, 29.5},
		{EPSG4550, 121.6, 29.5},
		{EPSG4550, 124.5, 45},
		{EPSG4549, 118.5, 20},
		{EPSG4529, 121.87, 29.47},
		{EPSG4528, 121.4, 53.5},
		{EPSG4550, 127, 35}, // 4° off the CM: beyond the zone, still µm
	}
	for _, c := range cases {
		x, y, err := FromLonLat(c.crs, orb.Point{c.lon, c.lat})
		if err != nil {
			t.Fatal(err)
		}
		z := gkZones[c.crs]
		rx, ry := refGK(c.lon-z.cm, c.lat)
		rx += z.falseEasting
		if math.Abs(x-rx) > 1e-6 || math.Abs(y-ry) > 1e-6 { // 1 µm
			t.Errorf("%s %v,%v: got E %.5f N %.5f, reference E %.5f N %.5f", c.crs, c.lon, c.lat, x, y, rx, ry)
		}
	}
	// Exact values.
	x, y, _ := FromLonLat(EPSG4550, orb.Point{123, 0})
	if x != 500000 || math.Abs(y) > 1e-9 {
		t.Errorf("(123,0) → (%v,%v), want (500000,0)", x, y)
	}
	x, y, _ = FromLonLat(EPSG4529, orb.Point{123, 0})
	if x != 41500000 || math.Abs(y) > 1e-9 {
		t.Errorf("EPSG:4529 (123,0) → (%v,%v), want (41500000,0)", x, y)
	}
	// Quarter meridian on GRS80, 10 001 965.7293 m (Moritz, Geodetic
	// Reference System 1980).
	_, y, _ = FromLonLat(EPSG4550, orb.Point{123, 90})
	if math.Abs(y-10001965.7293) > 1e-3 {
		t.Errorf("pole northing %.4f, want 10001965.7293", y)
	}
}

// TestAgainstPostGIS pins values from PostGIS 3 / PROJ ST_Transform
// (EPSG:4490 → each CRS, printed to 1 µm), computed once on a throwaway
// cluster; the package must agree to < 1 mm.
func TestAgainstPostGIS(t *testing.T) {
	cases := []struct {
		crs      CRS
		lon, lat float64
		e, n     float64
	}{
		{EPSG4550, 121.6, 29.5, 364240.190696, 3265506.122407},
		{EPSG4550, 124.5, 45, 618270.273998, 4986039.214042},
		{EPSG4549, 118.5, 20, 343015.539089, 2213069.191288},
		{EPSG4529, 121.87, 29.47, 41390392.124457, 3261895.751593},
	}
	for _, c := range cases {
		e, n, err := FromLonLat(c.crs, orb.Point{c.lon, c.lat})
		if err != nil || math.Abs(e-c.e) > 1e-5 || math.Abs(n-c.n) > 1e-5 {
			t.Errorf("%s (%v,%v) → (%.6f, %.6f) %v; PostGIS (%.6f, %.6f)", c.crs, c.lon, c.lat, e, n, err, c.e, c.n)
		}
	}
	// 象宁001 (EPSG:4550 E 364815.454, N 3267275.078) per PostGIS.
	p, _ := ToLonLat(EPSG4550, 364815.454, 3267275.078)
	if math.Abs(p[0]-121.605712202691) > 1e-10 || math.Abs(p[1]-29.516016502011) > 1e-10 {
		t.Errorf("象宁001 → %.12f, %.12f; PostGIS 121.605712202691, 29.516016502011", p[0], p[1])
	}
}

func TestMarkerXiangning001(t *testing.T) {
	// Register: X (northing) 3267275.078, Y (easting) 364815.454, EPSG:4550.
	const north, east = 3267275.078, 364815.454
	p, err := ToLonLat(EPSG4550, east, north)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p[0]-121.6) > 0.05 || math.Abs(p[1]-29.5) > 0.05 {
		t.Fatalf("象宁001 → %v, want near (121.6, 29.5)", p)
	}
	// The independent reference maps our answer back onto the register.
	rx, ry := refGK(p[0]-123, p[1])
	if math.Abs(rx+500000-east) > 1e-3 || math.Abs(ry-north) > 1e-3 {
		t.Errorf("reference forward of %v = (%.4f, %.4f), want (%.3f, %.3f)", p, rx+500000, ry, east, north)
	}
	// Same marker with the zone prefix.
	q, err := ToLonLat(EPSG4529, 41000000+east, north)
	if err != nil || math.Abs(q[0]-p[0]) > 1e-12 || math.Abs(q[1]-p[1]) > 1e-12 {
		t.Errorf("EPSG:4529 gives %v, %v; want %v", q, err, p)
	}
	if err := CheckProjectedPlausible(EPSG4550, east, north); err != nil {
		t.Errorf("plausible marker rejected: %v", err)
	}
}

func TestGKRoundTrip(t *testing.T) {
	for _, c := range []CRS{EPSG4549, EPSG4550, EPSG4528, EPSG4529} {
		cm := gkZones[c].cm
		for dlon := -3.0; dlon <= 3.0; dlon += 0.25 {
			for lat := -10.0; lat <= 60; lat += 2.5 {
				p := orb.Point{cm + dlon, lat}
				x, y, err := FromLonLat(c, p)
				if err != nil {
					t.Fatal(err)
				}
				q, err := ToLonLat(c, x, y)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(q[0]-p[0]) > 1e-9 || math.Abs(q[1]-p[1]) > 1e-9 {
					t.Errorf("%s round trip %v → (%v,%v) → %v", c, p, x, y, q)
				}
			}
		}
	}
}

func TestToLonLatGeographic(t *testing.T) {
	p, err := ToLonLat(EPSG4326, 121.87, 29.47)
	if err != nil || p != (orb.Point{121.87, 29.47}) {
		t.Errorf("4326: %v %v", p, err)
	}
	w := orb.Point{121.87, 29.47}
	g := WGS84ToGCJ02(w)
	p, err = ToLonLat(GCJ02, g[0], g[1])
	if err != nil || math.Abs(p[0]-w[0]) > 1e-8 || math.Abs(p[1]-w[1]) > 1e-8 {
		t.Errorf("GCJ-02 → %v %v, want %v", p, err, w)
	}
	x, y, err := FromLonLat(BD09, w)
	if err != nil {
		t.Fatal(err)
	}
	p, err = ToLonLat(BD09, x, y)
	if err != nil || math.Abs(p[0]-w[0]) > 1e-8 || math.Abs(p[1]-w[1]) > 1e-8 {
		t.Errorf("BD-09 round trip → %v %v, want %v", p, err, w)
	}
	for _, c := range []struct {
		crs  CRS
		x, y float64
	}{
		{EPSG4490, 181, 0}, {EPSG4490, 0, -91}, {EPSG4326, math.NaN(), 0},
		{EPSG4550, math.Inf(1), 3e6}, {EPSG4550, 500000, 2e7}, {EPSG4550, 1e12, 3e6},
		{"EPSG:3857", 0, 0},
	} {
		if p, err := ToLonLat(c.crs, c.x, c.y); err == nil {
			t.Errorf("ToLonLat(%s, %v, %v) = %v, want error", c.crs, c.x, c.y, p)
		}
	}
	if _, _, err := FromLonLat(EPSG4550, orb.Point{0, 30}); err == nil {
		t.Error("FromLonLat 123° from the CM: want error")
	}
	if _, _, err := FromLonLat(EPSG4550, orb.Point{200, 30}); err == nil {
		t.Error("FromLonLat invalid lon: want error")
	}
}

func TestCheckProjectedPlausible(t *testing.T) {
	cases := []struct {
		crs         CRS
		east, north float64
		ok, swap    bool
		mustContain string
	}{
		{EPSG4550, 364815.454, 3267275.078, true, false, ""},
		{EPSG4529, 41364815.454, 3267275.078, true, false, ""},
		{EPSG4550, 3267275.078, 364815.454, false, true, "northing and easting appear swapped"},
		{EPSG4529, 3267275.078, 41364815.454, false, true, "appear swapped"},
		{EPSG4550, 41364815.454, 3267275.078, false, false, "zone prefix 41"},
		{EPSG4529, 364815.454, 3267275.078, false, false, "without the zone prefix"},
		{EPSG4529, 40364815.454, 3267275.078, false, false, "expected 41"},
		{EPSG4550, 950000, 3267275.078, false, false, "easting 950000.000"},
		{EPSG4550, 364815.454, 7000000, false, false, "northing 7000000.000"},
		{EPSG4550, 364815.454, 1000000, false, false, "northing"},
		{EPSG4490, 121, 29, false, false, "not a Gauss"},
	}
	for _, c := range cases {
		err := CheckProjectedPlausible(c.crs, c.east, c.north)
		if c.ok {
			if err != nil {
				t.Errorf("%s (%v, %v): unexpected %v", c.crs, c.east, c.north, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s (%v, %v): want error", c.crs, c.east, c.north)
			continue
		}
		var se *AxisSwapError
		if errors.As(err, &se) != c.swap {
			t.Errorf("%s (%v, %v): AxisSwapError = %v, want %v (%v)", c.crs, c.east, c.north, !c.swap, c.swap, err)
		}
		if !strings.Contains(err.Error(), c.mustContain) {
			t.Errorf("%s (%v, %v): error %q lacks %q", c.crs, c.east, c.north, err, c.mustContain)
		}
	}
}

func FuzzParseCRS(f *testing.F) {
	for _, s := range []string{"EPSG:4550", "gcj02", "4326", "", "epsg:-1", "EPSG:99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCRS(s)
		if err != nil {
			return
		}
		c2, err := ParseCRS(c.String())
		if err != nil || c2 != c {
			t.Fatalf("ParseCRS(%q) = %q does not re-parse: %q %v", s, c, c2, err)
		}
	})
}
