package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// GRS80 / CGCS2000 ellipsoid. CGCS2000's f differs from GRS80's in the 12th
// digit only; the difference is far below a millimetre in any distance.
const (
	grs80A = 6378137.0
	grs80F = 1 / 298.257222101
	grs80B = grs80A * (1 - grs80F)
	// meanEarthRadius is the IUGG mean radius R1 used by the haversine fallback.
	meanEarthRadius = 6371008.8
)

// Distance returns the geodesic distance in metres between two lon/lat points
// (degrees) on the CGCS2000/GRS80 ellipsoid, by Vincenty's inverse formula
// (T. Vincenty 1975, "Direct and inverse solutions of geodesics on the
// ellipsoid", Survey Review 23:176), accurate to about 0.1 mm. When the
// iteration fails to converge (nearly antipodal points) it falls back to the
// haversine great-circle distance on a sphere of radius 6371008.8 m (error up
// to ~0.5 %). NaN input gives NaN.
func Distance(a, b orb.Point) float64 {
	if d, ok := vincenty(a, b); ok {
		return d
	}
	return haversine(a, b)
}

func vincenty(p1, p2 orb.Point) (float64, bool) {
	const f = grs80F
	rad := math.Pi / 180
	L := (p2[0] - p1[0]) * rad
	U1 := math.Atan((1 - f) * math.Tan(p1[1]*rad))
	U2 := math.Atan((1 - f) * math.Tan(p2[1]*rad))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)

	lambda := L
	var sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM float64
	converged := false
	for i := 0; i < 200; i++ {
		sinLambda, cosLambda := math.Sincos(lambda)
		t1 := cosU2 * sinLambda
		t2 := cosU1*sinU2 - sinU1*cosU2*cosLambda
		sinSigma = math.Sqrt(t1*t1 + t2*t2)
		if sinSigma == 0 {
			return 0, true // coincident points
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosLambda
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinLambda / sinSigma
		cos2Alpha = 1 - sinAlpha*sinAlpha
		if cos2Alpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		} else {
			cos2SigmaM = 0 // both points on the equator
		}
		C := f / 16 * cos2Alpha * (4 + f*(4-3*cos2Alpha))
		prev := lambda
		lambda = L + (1-C)*f*sinAlpha*
			(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-12 {
			converged = true
			break
		}
		if math.Abs(lambda) > math.Pi {
			return 0, false // diverging: antipodal case
		}
	}
	if !converged || math.IsNaN(lambda) {
		return 0, false
	}
	uSq := cos2Alpha * (grs80A*grs80A - grs80B*grs80B) / (grs80B * grs80B)
	A := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
	B := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
	deltaSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
		B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
	return grs80B * A * (sigma - deltaSigma), true
}

// haversine is the great-circle distance in metres on a sphere of radius
// meanEarthRadius.
func haversine(a, b orb.Point) float64 {
	rad := math.Pi / 180
	dLat := (b[1] - a[1]) * rad
	dLon := (b[0] - a[0]) * rad
	s := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * meanEarthRadius * math.Asin(math.Min(1, math.Sqrt(s)))
}

// MetresPerDegree returns the length in metres of one degree of longitude and
// of latitude at latitude lat (degrees) on the GRS80 ellipsoid: the radius of
// the parallel N·cos φ and the meridian radius of curvature M, times π/180.
// Good for local scaling (e.g. ranking nearest neighbours), not for survey
// work.
func MetresPerDegree(lat float64) (lonMetres, latMetres float64) {
	phi := lat * math.Pi / 180
	e2 := grs80F * (2 - grs80F)
	s := math.Sin(phi)
	w := math.Sqrt(1 - e2*s*s)
	n := grs80A / w                      // prime vertical radius
	m := grs80A * (1 - e2) / (w * w * w) // meridian radius
	return n * math.Cos(phi) * math.Pi / 180, m * math.Pi / 180
}
