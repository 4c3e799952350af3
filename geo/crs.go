// Package geo holds civmap's geometry and coordinate code: CRS parsing and
// conversion (CGCS2000 Gauss–Krüger, GCJ-02, BD-09), geodesic distance,
// polygon validation, fast point-in-polygon and GeoJSON geometry decoding.
// It does no I/O.
//
// Conventions: orb.Point is [lon, lat] in degrees; the storage CRS is
// EPSG:4490 (CGCS2000 geographic). Projected coordinates are metres.
package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// CRS names a coordinate reference system, e.g. "EPSG:4550" or "GCJ-02".
type CRS string

// Supported CRSs.
const (
	// EPSG4326 is WGS 84 geographic lon/lat (degrees). Treated as identical
	// to EPSG:4490: the two agree to well under a metre.
	EPSG4326 CRS = "EPSG:4326"
	// EPSG4490 is CGCS2000 geographic lon/lat (degrees), the storage CRS.
	EPSG4490 CRS = "EPSG:4490"
	// EPSG4549 is CGCS2000 / 3-degree Gauss–Krüger CM 120°E (metres),
	// false easting 500000 m, no zone prefix, k0 = 1.
	EPSG4549 CRS = "EPSG:4549"
	// EPSG4550 is CGCS2000 / 3-degree Gauss–Krüger CM 123°E (metres),
	// false easting 500000 m, no zone prefix, k0 = 1. Xiangshan's zone.
	EPSG4550 CRS = "EPSG:4550"
	// EPSG4528 is CGCS2000 / 3-degree Gauss–Krüger zone 40 (CM 120°E),
	// zone number prefixed to the easting: false easting 40500000 m.
	EPSG4528 CRS = "EPSG:4528"
	// EPSG4529 is CGCS2000 / 3-degree Gauss–Krüger zone 41 (CM 123°E),
	// zone number prefixed to the easting: false easting 41500000 m.
	EPSG4529 CRS = "EPSG:4529"
	// GCJ02 is the obfuscated lon/lat used by Amap and Tencent maps.
	GCJ02 CRS = "GCJ-02"
	// BD09 is Baidu's lon/lat, a further offset of GCJ-02.
	BD09 CRS = "BD-09"
)

// gkZone describes a CGCS2000 3-degree Gauss–Krüger CRS.
type gkZone struct {
	zone         int     // 3-degree zone number (CM = 3*zone degrees)
	cm           float64 // central meridian, degrees east
	falseEasting float64 // metres, including the zone prefix if any
	prefixed     bool
}

var gkZones = map[CRS]gkZone{
	EPSG4549: {40, 120, 500000, false},
	EPSG4550: {41, 123, 500000, false},
	EPSG4528: {40, 120, 40500000, true},
	EPSG4529: {41, 123, 41500000, true},
}

var crsAliases = map[string]CRS{
	"WGS84": EPSG4326, "WGS-84": EPSG4326, "CRS84": EPSG4326,
	"CGCS2000": EPSG4490,
	"GCJ02":    GCJ02, "GCJ-02": GCJ02,
	"BD09": BD09, "BD-09": BD09,
}

const acceptedCRS = "EPSG:4326 (WGS84), EPSG:4490 (CGCS2000), EPSG:4549, EPSG:4550, EPSG:4528, EPSG:4529, GCJ-02 (gcj02), BD-09 (bd09); an EPSG code may be given bare, e.g. 4550"

// ParseCRS parses a CRS name, case-insensitively: "EPSG:4550", "epsg:4550",
// "4550", "GCJ-02", "gcj02", "BD-09", "bd09", "WGS84" (→ EPSG:4326),
// "CGCS2000" (→ EPSG:4490). The error names the value and lists the
// accepted ones.
func ParseCRS(s string) (CRS, error) {
	u := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if c, ok := crsAliases[u]; ok {
		return c, nil
	}
	code := strings.TrimPrefix(u, "EPSG:")
	if _, err := strconv.Atoi(code); err == nil {
		c := CRS("EPSG:" + code)
		if c == EPSG4326 || c == EPSG4490 {
			return c, nil
		}
		if _, ok := gkZones[c]; ok {
			return c, nil
		}
	}
	return "", fmt.Errorf("geo: unsupported CRS %q; accepted: %s", s, acceptedCRS)
}

// String returns the CRS name, e.g. "EPSG:4550".
func (c CRS) String() string { return string(c) }

// Projected reports whether c is a projected CRS (coordinates in metres).
func (c CRS) Projected() bool {
	_, ok := gkZones[c]
	return ok
}

// ToLonLat converts one coordinate in c to EPSG:4490 lon/lat (degrees).
// For geographic CRSs x = lon and y = lat; for projected CRSs x = easting and
// y = northing in metres (survey tables print the northing first: the caller
// must pass them in this order). EPSG:4326 and EPSG:4490 are treated as
// identical. Gauss–Krüger uses Krüger's series to n⁶ (Karney 2011) on the
// CGCS2000 ellipsoid; GCJ-02 and BD-09 use the iterative inverses of
// GCJ02ToWGS84 and BD09ToWGS84. Errors: unsupported CRS, non-finite input,
// or a result outside lon [-180,180], lat [-90,90].
func ToLonLat(c CRS, x, y float64) (orb.Point, error) {
	if !finite(x) || !finite(y) {
		return orb.Point{}, fmt.Errorf("geo: %s coordinate (%v, %v) is not finite", c, x, y)
	}
	var p orb.Point
	switch c {
	case EPSG4326, EPSG4490:
		p = orb.Point{x, y}
	case GCJ02:
		if err := ValidatePoint(orb.Point{x, y}); err != nil {
			return orb.Point{}, fmt.Errorf("geo: GCJ-02 input: %w", err)
		}
		p = GCJ02ToWGS84(orb.Point{x, y})
	case BD09:
		if err := ValidatePoint(orb.Point{x, y}); err != nil {
			return orb.Point{}, fmt.Errorf("geo: BD-09 input: %w", err)
		}
		p = BD09ToWGS84(orb.Point{x, y})
	default:
		z, ok := gkZones[c]
		if !ok {
			return orb.Point{}, fmt.Errorf("geo: unsupported CRS %q; accepted: %s", string(c), acceptedCRS)
		}
		lon, lat := cgcsTM.inverse(x-z.falseEasting, y)
		p = orb.Point{lon + z.cm, lat}
	}
	if err := ValidatePoint(p); err != nil {
		return orb.Point{}, fmt.Errorf("geo: %s (%v, %v) converts to an invalid lon/lat: %w", c, x, y, err)
	}
	return p, nil
}

// FromLonLat is the inverse of ToLonLat: it converts an EPSG:4490 lon/lat
// (degrees) to c, returning x = lon, y = lat for geographic CRSs and
// x = easting, y = northing (metres) for projected ones. Errors: unsupported
// CRS, invalid p, a point more than 60° of longitude from the zone's central
// meridian (where the series is meaningless), or a non-finite result.
func FromLonLat(c CRS, p orb.Point) (x, y float64, err error) {
	if err := ValidatePoint(p); err != nil {
		return 0, 0, err
	}
	switch c {
	case EPSG4326, EPSG4490:
		return p[0], p[1], nil
	case GCJ02:
		q := WGS84ToGCJ02(p)
		return q[0], q[1], nil
	case BD09:
		q := WGS84ToBD09(p)
		return q[0], q[1], nil
	}
	z, ok := gkZones[c]
	if !ok {
		return 0, 0, fmt.Errorf("geo: unsupported CRS %q; accepted: %s", string(c), acceptedCRS)
	}
	dlon := math.Remainder(p[0]-z.cm, 360)
	if math.Abs(dlon) > 60 {
		return 0, 0, fmt.Errorf("geo: lon %v is %.1f° from the central meridian %v°E of %s; Gauss–Krüger is undefined that far", p[0], dlon, z.cm, c)
	}
	e, n := cgcsTM.forward(dlon, p[1])
	x, y = e+z.falseEasting, n
	if !finite(x) || !finite(y) {
		return 0, 0, fmt.Errorf("geo: %v converts to a non-finite %s coordinate", p, c)
	}
	return x, y, nil
}

// AxisSwapError reports projected coordinates whose easting and northing
// look exchanged (survey tables print X = northing first).
type AxisSwapError struct {
	CRS               CRS
	Easting, Northing float64 // as passed by the caller
}

func (e *AxisSwapError) Error() string {
	return fmt.Sprintf("geo: %s: northing and easting appear swapped: easting %.3f looks like a northing and northing %.3f looks like an easting (survey tables print X = northing first)",
		e.CRS, e.Easting, e.Northing)
}

// Plausible ranges for China in a 3-degree Gauss–Krüger zone (metres).
const (
	gkMinNorthing = 1800000
	gkMaxNorthing = 6000000
	gkHalfWidth   = 400000 // easting offset from the 500000 m false easting
)

// CheckProjectedPlausible checks that easting and northing (metres) are
// plausible for China in c, one of the CGCS2000 3-degree Gauss–Krüger CRSs:
// the easting without zone prefix must lie in 500000 ± 400000 (with prefix,
// zone×1e6 + that), the northing in 1800000..6000000. If the two values look
// exchanged it returns an *AxisSwapError; otherwise a plain error naming the
// value out of range (with a hint when the zone prefix is missing, extra or
// wrong). Non-projected CRSs are an error.
func CheckProjectedPlausible(c CRS, easting, northing float64) error {
	z, ok := gkZones[c]
	if !ok {
		return fmt.Errorf("geo: CheckProjectedPlausible: %s is not a Gauss–Krüger CRS", c)
	}
	if !finite(easting) || !finite(northing) {
		return fmt.Errorf("geo: %s: easting %v / northing %v not finite", c, easting, northing)
	}
	eOK := inEastingRange(z, easting)
	nOK := northing >= gkMinNorthing && northing <= gkMaxNorthing
	if eOK && nOK {
		return nil
	}
	if inEastingRange(z, northing) && easting >= gkMinNorthing && easting <= gkMaxNorthing {
		return &AxisSwapError{CRS: c, Easting: easting, Northing: northing}
	}
	var msgs []string
	if !eOK {
		lo, hi := z.falseEasting-gkHalfWidth, z.falseEasting+gkHalfWidth
		m := fmt.Sprintf("easting %.3f outside %.0f..%.0f", easting, lo, hi)
		if hint := prefixHint(z, easting); hint != "" {
			m += " (" + hint + ")"
		}
		msgs = append(msgs, m)
	}
	if !nOK {
		msgs = append(msgs, fmt.Sprintf("northing %.3f outside %d..%d", northing, gkMinNorthing, gkMaxNorthing))
	}
	return fmt.Errorf("geo: %s: %s", c, strings.Join(msgs, "; "))
}

func inEastingRange(z gkZone, e float64) bool {
	return e >= z.falseEasting-gkHalfWidth && e <= z.falseEasting+gkHalfWidth
}

// prefixHint explains the common zone-prefix mistakes.
func prefixHint(z gkZone, e float64) string {
	bare := gkZone{falseEasting: 500000}
	if z.prefixed && inEastingRange(bare, e) {
		return fmt.Sprintf("looks like an easting without the zone prefix %d; use the unprefixed CRS", z.zone)
	}
	if zone := math.Floor(e / 1e6); zone >= 13 && zone <= 45 {
		if inEastingRange(gkZone{falseEasting: zone*1e6 + 500000}, e) {
			if !z.prefixed {
				return fmt.Sprintf("looks like an easting with zone prefix %.0f; use the prefixed CRS", zone)
			}
			return fmt.Sprintf("zone prefix %.0f, expected %d", zone, z.zone)
		}
	}
	return ""
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// tmerc is a transverse Mercator projection by Krüger's series to n⁶
// (Karney 2011, "Transverse Mercator with an accuracy of a few nanometers",
// J. Geodesy 85:475–485, eqs. 7–11, 35–36), accurate to about 5 nm within
// 3900 km of the central meridian — the same method as PROJ's tmerc/etmerc.
type tmerc struct {
	k0, e, e2, rectA float64 // rectA: rectifying radius A·k0 (metres)
	alpha, beta      [7]float64
}

// cgcsTM is the CGCS2000 ellipsoid (a = 6378137 m, f = 1/298.257222101),
// k0 = 1 as in EPSG:4528/4529/4549/4550.
var cgcsTM = newTmerc(6378137, 1/298.257222101, 1)

func newTmerc(a, f, k0 float64) *tmerc {
	n := f / (2 - f)
	n2, n3 := n*n, n*n*n
	n4, n5, n6 := n2*n2, n2*n3, n3*n3
	t := &tmerc{k0: k0, e2: f * (2 - f)}
	t.e = math.Sqrt(t.e2)
	t.rectA = k0 * a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	t.alpha = [7]float64{0,
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	t.beta = [7]float64{0,
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return t
}

// tauPrime maps τ = tan φ to τ' = tan χ (conformal latitude), Karney eq. 7–9.
func (t *tmerc) tauPrime(tau float64) float64 {
	sig := math.Sinh(t.e * math.Atanh(t.e*tau/math.Hypot(1, tau)))
	return tau*math.Hypot(1, sig) - sig*math.Hypot(1, tau)
}

// tauFromPrime inverts tauPrime by Newton's method (Karney eq. 19–21).
func (t *tmerc) tauFromPrime(taup float64) float64 {
	tau := taup / (1 - t.e2) // good start: exact at the poles
	for i := 0; i < 10; i++ {
		tp := t.tauPrime(tau)
		d := (taup - tp) / math.Hypot(1, tp) *
			(1 + (1-t.e2)*tau*tau) / ((1 - t.e2) * math.Hypot(1, tau))
		tau += d
		if math.Abs(d) <= 1e-14*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// forward maps (dlon from the central meridian, lat) in degrees to
// (easting without false easting, northing) in metres.
func (t *tmerc) forward(dlon, lat float64) (x, y float64) {
	lam := dlon * math.Pi / 180
	phi := lat * math.Pi / 180
	var taup float64
	switch {
	case lat >= 90:
		taup = math.Inf(1)
	case lat <= -90:
		taup = math.Inf(-1)
	default:
		taup = t.tauPrime(math.Tan(phi))
	}
	xip := math.Atan2(taup, math.Cos(lam))
	etap := math.Asinh(math.Sin(lam) / math.Hypot(taup, math.Cos(lam)))
	if math.IsInf(taup, 0) {
		etap = 0
	}
	xi, eta := xip, etap
	for j := 1; j <= 6; j++ {
		jj := float64(2 * j)
		xi += t.alpha[j] * math.Sin(jj*xip) * math.Cosh(jj*etap)
		eta += t.alpha[j] * math.Cos(jj*xip) * math.Sinh(jj*etap)
	}
	return t.rectA * eta, t.rectA * xi
}

// inverse maps (easting without false easting, northing) in metres to
// (dlon from the central meridian, lat) in degrees.
func (t *tmerc) inverse(x, y float64) (dlon, lat float64) {
	xi, eta := y/t.rectA, x/t.rectA
	xip, etap := xi, eta
	for j := 1; j <= 6; j++ {
		jj := float64(2 * j)
		xip -= t.beta[j] * math.Sin(jj*xi) * math.Cosh(jj*eta)
		etap -= t.beta[j] * math.Cos(jj*xi) * math.Sinh(jj*eta)
	}
	s, c := math.Sinh(etap), math.Cos(xip)
	r := math.Hypot(s, c)
	lam := math.Atan2(s, c)
	var phi float64
	if r != 0 {
		taup := math.Sin(xip) / r
		phi = math.Atan(t.tauFromPrime(taup))
	} else {
		phi = math.Copysign(math.Pi/2, xip)
	}
	return lam * 180 / math.Pi, phi * 180 / math.Pi
}
