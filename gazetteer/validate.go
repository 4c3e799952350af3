package gazetteer

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/apierr"
)

// MaxNameLen is the longest standard name accepted, in characters.
const MaxNameLen = 100

// Lookup answers whether a division code is known; validation uses it to reject unknown codes.
type Lookup func(code string) bool

// CheckDivisionCode checks the shape of a division code: 6 digits (county, GB/T 2260), 9 (township) or 12 (village,
// GB/T 10114). It returns the level the length implies.
func CheckDivisionCode(code string) (Level, error) {
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("division code %q must be digits", code)
		}
	}
	switch len(code) {
	case 6:
		return LevelCounty, nil
	case 9:
		return LevelTownship, nil
	case 12:
		return LevelVillage, nil
	}
	return "", fmt.Errorf("division code %q must have 6, 9 or 12 digits", code)
}

// NormalizePlace trims text fields, defaults Status to current, and normalises the geometry (closed rings, RFC 7946
// winding, z dropped). It returns every problem found, each naming its field; exists rejects unknown division codes
// (nil skips that check).
func NormalizePlace(p *Place, exists Lookup) apierr.Invalid {
	errs := CheckText(p)
	p.ID = strings.TrimSpace(p.ID)
	p.Name = strings.TrimSpace(p.Name)
	p.Specific = strings.TrimSpace(p.Specific)
	p.Generic = strings.TrimSpace(p.Generic)
	p.Category = strings.TrimSpace(p.Category)
	switch {
	case p.Name == "":
		errs.Add("name", "the standard name is required")
	case utf8.RuneCountInString(p.Name) > MaxNameLen:
		errs.Add("name", "longer than %d characters", MaxNameLen)
	}
	if p.ID != "" {
		if why := CheckID(p.ID); why != "" {
			errs.Add("id", "%s", why)
		}
	}
	for field, v := range map[string]string{"name": p.Name, "specific": p.Specific, "generic": p.Generic, "short_name": p.ShortName} {
		if why := CheckName(v); why != "" {
			errs.Add(field, "%s", why)
		}
	}
	for i, a := range p.Aliases {
		if why := CheckName(a); why != "" {
			errs.Add(fmt.Sprintf("aliases[%d]", i), "%s", why)
		}
	}
	if p.Specific != "" && p.Generic != "" && p.Specific+p.Generic != p.Name {
		errs.Add("specific", "专名 %q + 通名 %q does not make the standard name %q", p.Specific, p.Generic, p.Name)
	}
	if p.Category == "" {
		errs.Add("category", "the category is required")
	}
	if p.Status == "" {
		p.Status = StatusCurrent
	}
	switch p.Status {
	case StatusCurrent, StatusHistorical, StatusAbolished, StatusDraft, StatusSubmitted:
	default:
		errs.Add("status", "unknown status %q (want %s, %s or %s)", p.Status, StatusCurrent, StatusHistorical, StatusAbolished)
	}
	if len(p.DivisionCodes) == 0 { // null, [] or absent alike: every place lies in a township
		errs.Add("division_codes", "a place needs the code of the township (or village) it lies in, e.g. [\"330225002\"]")
	}
	seen := map[string]bool{}
	for i, c := range p.DivisionCodes {
		if seen[c] {
			errs.Add(fmt.Sprintf("division_codes[%d]", i), "%q is listed twice", c)
			continue
		}
		seen[c] = true
		if _, err := CheckDivisionCode(c); err != nil {
			errs.Add(fmt.Sprintf("division_codes[%d]", i), "%v", err)
		} else if exists != nil && !exists(c) {
			errs.Add(fmt.Sprintf("division_codes[%d]", i), "unknown division code %q", c)
		}
	}
	if p.Geometry == nil {
		errs.Add("geometry", "a geometry is required")
	} else if g, err := geo.NormalizePolygonal(p.Geometry); err != nil {
		errs.Add("geometry", "%v", err)
	} else {
		p.Geometry = g
	}
	for i, f := range p.FormerNames {
		if strings.TrimSpace(f.Name) == "" {
			errs.Add(fmt.Sprintf("former_names[%d].name", i), "a former name needs the name")
		}
	}
	if p.YearAbolished != 0 && p.YearEstablished != 0 && p.YearAbolished < p.YearEstablished {
		errs.Add("year_abolished", "%d is before year_established %d", p.YearAbolished, p.YearEstablished)
	}
	return errs
}

// NormalizeDivision checks a division: code shape matching its level, a name, a parent code that is a prefix of the code,
// and a valid geometry (polygons normalised).
func NormalizeDivision(d *Division) apierr.Invalid {
	errs := CheckText(d)
	d.Code = strings.TrimSpace(d.Code)
	d.Name = strings.TrimSpace(d.Name)
	lvl, err := CheckDivisionCode(d.Code)
	if err != nil {
		errs.Add("code", "%v", err)
	} else if d.Level == "" {
		d.Level = lvl
	} else if d.Level != lvl {
		errs.Add("level", "level %q does not match the %d-digit code %s (%s)", d.Level, len(d.Code), d.Code, lvl)
	}
	if d.Name == "" {
		errs.Add("name", "the name is required")
	}
	if d.ParentCode != "" && err == nil && lvl != LevelCounty && !strings.HasPrefix(d.Code, d.ParentCode) {
		errs.Add("parent_code", "%s is not a prefix of the code %s", d.ParentCode, d.Code)
	}
	if d.Geometry != nil {
		if g, gerr := geo.NormalizePolygonal(d.Geometry); gerr != nil {
			errs.Add("geometry", "%v", gerr)
		} else {
			d.Geometry = g
		}
	}
	if d.Seat != nil {
		if perr := geo.ValidatePoint(*d.Seat); perr != nil {
			errs.Add("seat", "%v", perr)
		}
	}
	return errs
}

// NormalizeLine checks a boundary line: an ID, a name, the county's code and a LineString/MultiLineString geometry.
func NormalizeLine(l *BoundaryLine) apierr.Invalid {
	errs := CheckText(l)
	l.Name = strings.TrimSpace(l.Name)
	if l.ID == "" {
		l.ID = l.Name
	}
	if l.ID == "" {
		errs.Add("name", "a boundary line needs a name")
	} else if why := CheckID(l.ID); why != "" {
		errs.Add("id", "%s", why)
	}
	if _, err := CheckDivisionCode(l.LeftCode); err != nil {
		errs.Add("left_code", "%v", err)
	}
	if _, err := CheckDivisionCode(l.RightCode); err != nil {
		errs.Add("right_code", "%v", err)
	}
	switch l.Geometry.(type) {
	case orb.LineString, orb.MultiLineString:
		if g, err := geo.NormalizePolygonal(l.Geometry); err != nil {
			errs.Add("geometry", "%v", err)
		} else {
			l.Geometry = g
		}
	default:
		errs.Add("geometry", "a boundary line must be a LineString or MultiLineString, not %s", geomType(l.Geometry))
	}
	return errs
}

// NormalizeMarker checks a boundary marker: number, type, pair letter rules and a valid lon/lat position.
func NormalizeMarker(m *Marker) apierr.Invalid {
	errs := CheckText(m)
	m.Number = strings.TrimSpace(m.Number)
	if why := CheckID(m.Number); why != "" {
		errs.Add("marker_no", "the marker number %s", why)
	}
	if m.LineID == "" {
		errs.Add("line", "the marker's boundary line is required")
	}
	switch m.Type {
	case MarkerSingle:
		if m.PairLetter != "" {
			errs.Add("pair_letter", "a 单立 marker has no pair letter, got %q", m.PairLetter)
		}
	case MarkerDouble, MarkerTriple:
	default:
		errs.Add("marker_type", "unknown marker type %q (want %s, %s or %s)", m.Type, MarkerSingle, MarkerDouble, MarkerTriple)
	}
	if err := geo.ValidatePoint(m.Position); err != nil {
		errs.Add("position", "%v", err)
	}
	return errs
}

func geomType(g orb.Geometry) string {
	if g == nil {
		return "no geometry"
	}
	return g.GeoJSONType()
}

// Inside reports whether a lon/lat point lies in the county's territory (inside some township polygon).
type Inside func(p orb.Point) bool

// CheckTerritory reports a geometry error when g lies wholly outside the county, which is nearly always coordinates in
// the wrong CRS or with lon/lat swapped. It tests the bound's centre and up to 16 vertices spread along g, and passes
// when any is inside; nil inside skips the check.
func CheckTerritory(g orb.Geometry, inside Inside) apierr.Invalid {
	if inside == nil || g == nil {
		return nil
	}
	var pts []orb.Point
	collectPoints(g, &pts)
	if len(pts) == 0 { // an empty GeometryCollection or Multi*: its bound is lon 0 lat 0, which says nothing
		return apierr.Field("geometry", "the %s is empty: it needs at least one position", g.GeoJSONType())
	}
	probes := []orb.Point{g.Bound().Center()}
	step := max(1, len(pts)/16)
	for i := 0; i < len(pts); i += step {
		probes = append(probes, pts[i])
	}
	for _, p := range probes {
		if inside(p) {
			return nil
		}
	}
	c := g.Bound().Center()
	return apierr.Field("geometry", "no part of it lies inside the county (centre lon %.6f lat %.6f): check the coordinates' CRS and the lon/lat order", c[0], c[1])
}

func collectPoints(g orb.Geometry, out *[]orb.Point) {
	switch g := g.(type) {
	case orb.Point:
		*out = append(*out, g)
	case orb.MultiPoint:
		*out = append(*out, g...)
	case orb.LineString:
		*out = append(*out, g...)
	case orb.Ring:
		*out = append(*out, g...)
	case orb.MultiLineString:
		for _, l := range g {
			*out = append(*out, l...)
		}
	case orb.Polygon:
		for _, r := range g {
			*out = append(*out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				*out = append(*out, r...)
			}
		}
	case orb.Collection:
		for _, x := range g {
			collectPoints(x, out)
		}
	}
}
