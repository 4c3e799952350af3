package gazetteer

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
)

// ToleranceM is how far, in metres, a point record may lie outside the polygon of the township (or county) it belongs
// to: boundaries digitised at different scales and positions picked on web maps disagree by tens of metres along a
// boundary, while a wrong township or a wrong CRS is off by kilometres.
const ToleranceM = 100.0

// Territory is where the territory checks look points up: the county-level polygon (the county) and the county's
// township-level polygons. ShapesOf builds one in memory from a list of divisions (imports); StoreTerritory asks a
// Store (API edits). Errors are the backing store's failures, never "not found".
type Territory interface {
	// TownshipAt returns the code of a township-level division whose polygon contains p (lon/lat), "" when none does.
	TownshipAt(p orb.Point) (string, error)
	// Shape returns the (Multi)Polygon of the county or township-level division code, nil when it is unknown or has
	// no polygon.
	Shape(code string) (orb.Geometry, error)
	// Counties returns the codes of the county-level divisions.
	Counties() ([]string, error)
	// InCounty reports whether p lies in the county, within tolM metres: inside (or within tolM of) a county-level
	// polygon or a township polygon that was known before (a store's, never those an import adds as it reads: a
	// file's townships are not checked against each other). known is false when there is no such polygon: nothing
	// can say.
	InCounty(p orb.Point, tolM float64) (inside, known bool, err error)
}

// CheckPlacement is the one territory check of every record kind: g (lon/lat, EPSG:4490) must have a part inside the
// county (Territory.InCounty through CheckTerritory: the county-level polygon, else the known township polygons; for
// markers and boundary lines, which lie on the county boundary, within ToleranceM of it), and a Point must lie inside, or within ToleranceM of, the polygon of each township-level division in townships (a
// 12-digit village code counts as its 9-digit township; 6-digit and unknown codes are skipped, unknown codes being
// reported by the kinds' own checks). field names the member the township codes come from. A nil t skips every check.
// When t knows no polygon of the county or its townships, a geometry of any kind naming a township is refused naming
// field (it cannot be checked: import the polygons first) and one naming none passes unchecked. Errors: apierr.Invalid naming "geometry" or field, or t's own error.
func CheckPlacement(g orb.Geometry, onBoundary bool, field string, townships []string, t Territory) (apierr.Invalid, error) {
	if t == nil || g == nil {
		return nil, nil
	}
	var lookupErr error
	tol := 0.0
	if onBoundary {
		tol = ToleranceM
	}
	known := true
	inside := func(p orb.Point) bool {
		in, k, err := t.InCounty(p, tol)
		if err != nil && lookupErr == nil {
			lookupErr = err
		}
		known = known && k
		return in || !k
	}
	if errs := CheckTerritory(g, inside); len(errs) > 0 || lookupErr != nil {
		return errs, lookupErr
	}
	if !known {
		// No polygon of the county or of any township: a record naming a township cannot be checked, whatever its
		// geometry, and one accepted unchecked could lie anywhere (a Beijing point or road with a Xiangshan code).
		if ts := townshipsOf(townships); len(ts) > 0 {
			return apierr.Field(field, "cannot check where this %s lies: no polygon of the county or of "+
				"township %s is known yet; import the county outline and the township polygons first "+
				"(civmap import --kind divisions), then this file", g.GeoJSONType(), ts[0]), nil
		}
		return nil, nil
	}
	p, ok := g.(orb.Point)
	if !ok {
		return nil, nil
	}
	var errs apierr.Invalid
	for _, code := range townshipsOf(townships) {
		shape, err := t.Shape(code)
		if err != nil {
			return nil, err
		}
		if shape == nil {
			continue
		}
		d := geo.DistanceToPolygon(p, shape)
		if d <= ToleranceM {
			continue
		}
		at, err := t.TownshipAt(p)
		if err != nil {
			return nil, err
		}
		where := "in no township of the county"
		if at != "" {
			where = "in township " + at
		}
		errs.Add(field, "the point lon %.6f lat %.6f lies %s, %s m outside township %s that %s names (tolerance %g m): "+
			"check the code, the position and the CRS", p[0], p[1], where, formatMetres(d), code, field, ToleranceM)
	}
	return errs, nil
}

// townshipsOf maps division codes to the distinct township codes they name: 9-digit codes as they are, 12-digit
// village codes to their first 9 digits.
func townshipsOf(codes []string) []string {
	var out []string
	for _, c := range codes {
		lvl, err := CheckDivisionCode(c)
		if err != nil {
			continue
		}
		switch lvl {
		case LevelVillage:
			c = c[:9]
		case LevelTownship:
		default:
			continue
		}
		if !contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func formatMetres(d float64) string {
	if math.IsInf(d, 1) {
		return "∞"
	}
	return fmt.Sprintf("%.0f", d)
}

// Shapes is an in-memory Territory: the polygons of county and township-level divisions, prepared for point
// queries. Add more as an import brings them. Not safe for concurrent Add.
type Shapes struct {
	shapes    map[string]orb.Geometry
	townships []preparedTownship
	counties  []string
	// base is how many of townships came from ShapesOf (the store's): only those stand for the county when it has
	// no county-level polygon, so a file's own townships are never checked against each other.
	base  int
	known bool // ShapesOf's divisions had a county or township polygon
}

type preparedTownship struct {
	code string
	poly *geo.PreparedPolygon
}

// ShapesOf returns the Territory of divs (county and township-level divisions with polygons; others are ignored).
func ShapesOf(divs []Division) *Shapes {
	s := &Shapes{shapes: map[string]orb.Geometry{}}
	for _, d := range divs {
		s.Add(d)
	}
	s.base = len(s.townships)
	s.known = s.base > 0 || len(s.counties) > 0
	return s
}

// Add adds (or replaces) a division's polygon; divisions of other levels or without a polygon are ignored.
func (s *Shapes) Add(d Division) {
	switch d.Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
	default:
		return
	}
	switch d.Level {
	case LevelCounty:
		if _, ok := s.shapes[d.Code]; !ok {
			s.counties = append(s.counties, d.Code)
		}
	case LevelTownship:
		s.townships = append(s.townships, preparedTownship{d.Code, geo.Prepare(d.Geometry)})
	default:
		return
	}
	s.shapes[d.Code] = d.Geometry
}

// InCounty implements Territory: inside a county-level polygon or a township polygon of ShapesOf (a file's own
// townships, added as it is read, never count: they are what is being checked).
func (s *Shapes) InCounty(p orb.Point, tolM float64) (bool, bool, error) {
	for _, c := range s.counties {
		if geo.DistanceToPolygon(p, s.shapes[c]) <= tolM {
			return true, true, nil
		}
	}
	for _, t := range s.townships[:s.base] {
		if t.poly.Contains(p) || (tolM > 0 && geo.DistanceToPolygon(p, s.shapes[t.code]) <= tolM) {
			return true, true, nil
		}
	}
	return false, len(s.counties) > 0 || s.base > 0, nil
}

// Known reports whether s held a county or township polygon when ShapesOf made it (the store's, before an import).
func (s *Shapes) Known() bool { return s.known }

// TownshipAt implements Territory; where townships overlap, the last added wins.
func (s *Shapes) TownshipAt(p orb.Point) (string, error) {
	for i := len(s.townships) - 1; i >= 0; i-- {
		if t := s.townships[i]; t.poly.Contains(p) {
			return t.code, nil
		}
	}
	return "", nil
}

// Shape implements Territory.
func (s *Shapes) Shape(code string) (orb.Geometry, error) { return s.shapes[code], nil }

// Counties implements Territory.
func (s *Shapes) Counties() ([]string, error) { return s.counties, nil }

// StoreTerritory is the Territory of a Store (its Locate, Division and Divisions), for checks of single edits.
func StoreTerritory(ctx context.Context, st Store) Territory { return storeTerritory{ctx, st} }

type storeTerritory struct {
	ctx context.Context
	st  Store
}

func (t storeTerritory) TownshipAt(p orb.Point) (string, error) {
	loc, err := t.st.Locate(t.ctx, p)
	if errors.Is(err, apierr.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return loc.Township.Code, nil
}

func (t storeTerritory) Shape(code string) (orb.Geometry, error) {
	d, err := t.st.Division(t.ctx, code)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if d.Level == LevelVillage {
		return nil, nil
	}
	return d.Geometry, nil
}

func (t storeTerritory) InCounty(p orb.Point, tolM float64) (bool, bool, error) {
	code, err := t.TownshipAt(p)
	if err != nil || code != "" {
		return code != "", true, err
	}
	known := false
	for _, level := range []Level{LevelCounty, LevelTownship} {
		ds, err := t.st.Divisions(t.ctx, DivisionQuery{Level: level})
		if err != nil {
			return false, false, err
		}
		for _, d := range ds {
			switch d.Geometry.(type) {
			case orb.Polygon, orb.MultiPolygon:
				known = true
				if (level == LevelCounty || tolM > 0) && geo.DistanceToPolygon(p, d.Geometry) <= tolM {
					return true, true, nil
				}
			}
		}
	}
	return false, known, nil
}

func (t storeTerritory) Counties() ([]string, error) {
	ds, err := t.st.Divisions(t.ctx, DivisionQuery{Level: LevelCounty})
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, len(ds))
	for _, d := range ds {
		codes = append(codes, d.Code)
	}
	return codes, nil
}
