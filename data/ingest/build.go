package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/jsonx"
)

// record is one feature or CSV row before it becomes a typed record. Geometry is already in lon/lat unless projected is
// set (CSV northing/easting columns, kept for the marker register).
type record struct {
	loc   string
	id    string
	props map[string]any
	geom  orb.Geometry
	crs   geo.CRS
	// the register's own numbers, for markers from a projected CSV: northing, easting (m)
	north, east float64
	projected   bool
}

type builder struct {
	opts  Options
	batch data.Batch
	errs  apierr.Invalid
	read  int
	seen  map[string]string // key → location of its first record
	divs  map[string]bool   // division codes of this batch
}

func newBuilder(opts Options) *builder {
	return &builder{opts: opts, seen: map[string]string{}, divs: map[string]bool{}}
}

func (b *builder) fail(loc, field, format string, args ...any) {
	b.errs = append(b.errs, apierr.FieldError{Location: loc, Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (b *builder) failAll(loc string, errs apierr.Invalid) {
	for _, e := range errs {
		e.Location = loc
		b.errs = append(b.errs, e)
	}
}

// accept ends an add*: it records errs against r's location, or else appends rec to *dst unless its key (field, key)
// repeats an earlier record's. It reports whether rec was appended.
func accept[T any](b *builder, r *record, errs apierr.Invalid, field, key string, dst *[]T, rec T) bool {
	if len(errs) > 0 {
		b.failAll(r.loc, errs)
		return false
	}
	if !b.unique(r.loc, field, key) {
		return false
	}
	*dst = append(*dst, rec)
	return true
}

func (b *builder) knownDivision(code string) bool {
	return b.divs[code] || (b.opts.KnownDivision != nil && b.opts.KnownDivision(code))
}

func (b *builder) knownLine(id string) bool {
	for _, l := range b.batch.Lines {
		if l.ID == id {
			return true
		}
	}
	return b.opts.KnownLine != nil && b.opts.KnownLine(id)
}

// unique reports whether key is new in this file, recording a problem when it is not.
func (b *builder) unique(loc, field, key string) bool {
	if first, dup := b.seen[key]; dup {
		b.fail(loc, field, "%q appears twice in the file (first at %s)", key, first)
		return false
	}
	b.seen[key] = loc
	return true
}

// add turns one parsed record into a typed record of the batch, or records its problems.
func (b *builder) add(r *record) {
	b.read++
	switch b.opts.Kind {
	case Places:
		b.addPlace(r)
	case Facilities:
		b.addFacility(r)
	case Demand:
		b.addDemand(r)
	case Divisions:
		b.addDivision(r)
	case Markers:
		b.addMarker(r)
	case Lines:
		b.addLine(r)
	}
}

// decodeInto fills v (a pointer to a record type) from props by its JSON field names, after coercing CSV text to the
// field types in spec. It returns the props that v has no field for.
func decodeInto(props map[string]any, spec map[string]fieldType, v any) (map[string]any, apierr.Invalid) {
	var errs apierr.Invalid
	known := map[string]any{}
	extra := map[string]any{}
	for k, val := range props {
		t, ok := spec[k]
		if !ok {
			if val != nil && val != "" {
				extra[k] = val
			}
			continue
		}
		cv, err := coerce(val, t)
		if err != nil {
			errs.Add(k, "%v", err)
			continue
		}
		if cv != nil {
			known[k] = cv
		}
	}
	raw, _ := json.Marshal(known)
	if err := jsonx.Unmarshal(raw, v); err != nil { // numbers in attributes stay exact (json.Number)
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			errs.Add(te.Field, "want %s, got JSON %s", te.Type, te.Value)
		} else {
			errs.Add("properties", "%v", err)
		}
	}
	if len(extra) == 0 {
		extra = nil
	}
	if err := jsonx.Canonical(extra); err != nil {
		errs.Add("properties", "%v", err)
	}
	return extra, errs
}

type fieldType int

const (
	tString fieldType = iota
	tInt
	tFloat
	tBool
	tStrings // a JSON array, or text split on ';'
	tJSON    // a JSON value, or text holding JSON
)

// coerce turns CSV text (and loose JSON) into the JSON value a field wants; "" and null mean absent. A JSON number given
// for a text field becomes its literal text (1.10 stays "1.10").
func coerce(v any, t fieldType) (any, error) {
	s, isText := v.(string)
	if v == nil || (isText && strings.TrimSpace(s) == "") {
		return nil, nil
	}
	if !isText {
		if n, ok := v.(json.Number); ok && t == tInt {
			if f, err := n.Float64(); err == nil && f == float64(int64(f)) && f >= -1<<53 && f <= 1<<53 {
				return int64(f), nil // 2001.0 for a year
			}
		}
		if t == tString {
			if n, ok := v.(json.Number); ok {
				return n.String(), nil
			}
			if f, ok := v.(float64); ok {
				return strconv.FormatFloat(f, 'f', -1, 64), nil
			}
		}
		return v, nil
	}
	s = strings.TrimSpace(s)
	switch t {
	case tInt:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		return n, nil
	case tFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != f {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case tBool:
		switch strings.ToLower(s) {
		case "true", "1", "yes", "y", "是":
			return true, nil
		case "false", "0", "no", "n", "否":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true or false", s)
	case tStrings:
		var out []string
		for _, p := range strings.Split(s, ";") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case tJSON:
		var x any
		if err := jsonx.Unmarshal([]byte(s), &x); err != nil {
			return nil, fmt.Errorf("not valid JSON: %v", err)
		}
		return x, nil
	}
	return s, nil
}

var placeFields = map[string]fieldType{
	"id": tString, "name": tString, "specific": tString, "generic": tString, "short_name": tString,
	"aliases": tStrings, "pinyin": tString, "category": tString, "status": tString, "division_codes": tStrings,
	"meaning": tString, "history": tString, "description": tString, "former_names": tJSON, "date_named": tString,
	"year_established": tInt, "year_abolished": tInt, "heritage": tBool, "source": tString, "registrant": tString,
	"approval": tJSON, "attributes": tJSON,
}

// divisionAliases are property names that other sources use for a place's division code.
var divisionAliases = []string{"division_code", "township_code", "township_adcode", "adcode"}

func (b *builder) addPlace(r *record) {
	props := r.props
	if r.id != "" {
		props["id"] = r.id
	}
	var p gazetteer.Place
	extra, errs := decodeInto(props, placeFields, &p)
	if len(p.DivisionCodes) == 0 {
		for _, k := range divisionAliases {
			if c, ok := extra[k].(string); ok && c != "" {
				p.DivisionCodes = []string{c}
				delete(extra, k)
				break
			}
		}
	}
	p.Attributes = withExtra(p.Attributes, extra)
	p.Geometry = r.geom
	p.Version, p.CreatedAt, p.UpdatedAt = 0, p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	errs = append(errs, gazetteer.NormalizePlace(&p, b.knownDivision)...)
	if len(errs) == 0 {
		errs = b.placement(p.Geometry, false, "division_codes", p.DivisionCodes...)
	}
	if len(errs) == 0 && p.ID == "" {
		p.ID = DerivedPlaceID(&p)
	}
	accept(b, r, errs, "id", "place "+p.ID, &b.batch.Places, p)
}

// DerivedPlaceID gives a place without an ID a stable one from its name and geometry, so that importing the same file
// twice updates the records instead of duplicating them: "p-" and 16 hex digits of SHA-256(name, WKB).
func DerivedPlaceID(p *gazetteer.Place) string {
	h := sha256.New()
	h.Write([]byte(p.Name))
	h.Write([]byte{0})
	if raw, err := wkb.Marshal(p.Geometry); err == nil {
		h.Write(raw)
	}
	return "p-" + hex.EncodeToString(h.Sum(nil))[:16]
}

var facilityFields = map[string]fieldType{
	"id": tString, "name": tString, "type": tString, "status": tString, "township_code": tString,
	"capacity_beds": tInt, "capacity_meals_per_day": tInt, "smart_terminal": tBool, "attributes": tJSON,
}

func (b *builder) addFacility(r *record) {
	props := r.props
	if r.id != "" {
		props["id"] = r.id
	}
	var f facilities.Facility
	extra, errs := decodeInto(props, facilityFields, &f)
	f.Attributes = withExtra(f.Attributes, extra)
	f.Version = 0
	f.Location = r.point("a facility", &errs)
	if len(errs) == 0 {
		errs = facilities.NormalizeFacility(&f, b.knownDivision)
	}
	if len(errs) == 0 {
		errs = b.placement(f.Location, false, "township_code", f.TownshipCode)
	}
	accept(b, r, errs, "id", "facility "+f.ID, &b.batch.Facilities, f)
}

var demandFields = map[string]fieldType{
	"code": tString, "name": tString, "township_code": tString, "elderly_population": tInt,
}

func (b *builder) addDemand(r *record) {
	props := r.props
	if r.id != "" && props["code"] == nil {
		props["code"] = r.id
	}
	var d facilities.DemandUnit
	_, errs := decodeInto(props, demandFields, &d)
	d.Location = r.point("a demand unit", &errs)
	if len(errs) == 0 {
		errs = facilities.NormalizeDemand(&d, b.knownDivision)
	}
	if len(errs) == 0 {
		errs = b.placement(d.Location, false, "township_code", d.TownshipCode)
	}
	accept(b, r, errs, "code", "demand "+d.Code, &b.batch.Demand, d)
}

var divisionFields = map[string]fieldType{
	"code": tString, "name": tString, "level": tString, "kind": tString, "parent_code": tString, "seat": tJSON,
}

// levelOfKind maps the finer kinds that sources put in a "level" column (divisions.csv) to the three levels.
var levelOfKind = map[string]gazetteer.Level{
	"county": gazetteer.LevelCounty, "district": gazetteer.LevelCounty, "县": gazetteer.LevelCounty,
	"subdistrict": gazetteer.LevelTownship, "town": gazetteer.LevelTownship, "township": gazetteer.LevelTownship,
	"街道": gazetteer.LevelTownship, "镇": gazetteer.LevelTownship, "乡": gazetteer.LevelTownship,
	"community": gazetteer.LevelVillage, "village": gazetteer.LevelVillage, "社区": gazetteer.LevelVillage,
	"村": gazetteer.LevelVillage,
}

// kindNames maps Chinese kind names to the English kind values the API uses.
var kindNames = map[string]string{"县": "county", "街道": "subdistrict", "镇": "town", "乡": "township", "社区": "community", "村": "village"}

func (b *builder) addDivision(r *record) {
	props := r.props
	// Aliases used by the GeoJSON of the sample (and DataV): adcode, county_adcode.
	if props["code"] == nil {
		if v := props["adcode"]; v != nil {
			props["code"] = v
		} else if r.id != "" {
			props["code"] = r.id
		}
	}
	if props["parent_code"] == nil && props["county_adcode"] != nil {
		props["parent_code"] = props["county_adcode"]
	}
	var d gazetteer.Division
	_, errs := decodeInto(props, divisionFields, &d)
	if d.Kind == "" || kindNames[d.Kind] != "" || levelOfKind[string(d.Level)] != "" {
		// "level" may hold a kind (divisions.csv); "kind" may be Chinese.
		if lv, ok := levelOfKind[string(d.Level)]; ok && d.Level != lv {
			// DataV's "district" is its level of every county-level unit (区 and 县 alike), not a kind.
			if d.Kind == "" && d.Level != "district" {
				d.Kind = string(d.Level)
			}
			d.Level = lv
		}
		if en := kindNames[d.Kind]; en != "" {
			d.Kind = en
		}
	}
	// A kind the file does not give stays "": the import keeps the stored one (a new division gets its level), as it
	// keeps a stored geometry, seat and parent_code the file leaves out (data.MergeDivision).
	d.Geometry = r.geom
	if len(errs) == 0 {
		errs = gazetteer.NormalizeDivision(&d)
	}
	if len(errs) == 0 && d.Level != gazetteer.LevelCounty && d.ParentCode != "" && !b.knownDivision(d.ParentCode) {
		errs = apierr.Field("parent_code", "unknown parent division %q (list parents before children)", d.ParentCode)
	}
	if len(errs) == 0 {
		errs = b.divisionPlacement(&d)
	}
	if accept(b, r, errs, "code", "division "+d.Code, &b.batch.Divisions, d) {
		b.divs[d.Code] = true
		if b.opts.Territory != nil {
			b.opts.Territory.Add(d)
		}
	}
}

var markerFields = map[string]fieldType{
	"marker_no": tString, "marker_type": tString, "pair_letter": tString, "material": tString,
	"registered_year": tInt, "line": tString, "crs": tString,
}

type markerProps struct {
	Number         string `json:"marker_no"`
	Type           string `json:"marker_type"`
	PairLetter     string `json:"pair_letter"`
	Material       string `json:"material"`
	RegisteredYear int    `json:"registered_year"`
	Line           string `json:"line"`
}

func (b *builder) addMarker(r *record) {
	var mp markerProps
	_, errs := decodeInto(r.props, markerFields, &mp)
	m := gazetteer.Marker{
		Number: mp.Number, Type: mp.Type, PairLetter: mp.PairLetter, Material: mp.Material,
		RegisteredYear: mp.RegisteredYear, LineID: firstNonEmpty(mp.Line, b.opts.Line),
	}
	if m.LineID == "" {
		m.LineID = lineOfMarker(m.Number)
	}
	pt := r.point("a marker", &errs)
	m.Position = pt
	if r.projected {
		m.Registered = gazetteer.RegisteredPosition{CRS: string(r.crs), AxisOrder: "north,east", First: r.north, Second: r.east}
	} else {
		m.Registered = gazetteer.RegisteredPosition{CRS: string(r.crs), AxisOrder: "lon,lat", First: pt[0], Second: pt[1]}
	}
	if len(errs) == 0 {
		errs = gazetteer.NormalizeMarker(&m)
	}
	if len(errs) == 0 && !b.knownLine(m.LineID) {
		errs = apierr.Field("line", "unknown boundary line %q (import the lines first, or give --line)", m.LineID)
	}
	if len(errs) == 0 {
		errs = b.placement(m.Position, true, "")
	}
	accept(b, r, errs, "marker_no", "marker "+m.Number, &b.batch.Markers, m)
}

// lineOfMarker derives a line ID from a marker number: the leading non-digits plus 线 (象宁001 → 象宁线).
func lineOfMarker(number string) string {
	i := strings.IndexAny(number, "0123456789")
	if i <= 0 {
		return ""
	}
	return number[:i] + "线"
}

var lineFields = map[string]fieldType{
	"id": tString, "name": tString, "left_code": tString, "right_code": tString, "right_name": tString,
	"registered_length_m": tFloat,
}

func (b *builder) addLine(r *record) {
	props := r.props
	for from, to := range map[string]string{"left_adcode": "left_code", "right_adcode": "right_code"} {
		if props[to] == nil && props[from] != nil {
			props[to] = props[from]
		}
	}
	if r.id != "" {
		props["id"] = r.id
	}
	var l gazetteer.BoundaryLine
	_, errs := decodeInto(props, lineFields, &l)
	l.Geometry = r.geom
	if len(errs) == 0 {
		errs = gazetteer.NormalizeLine(&l)
	}
	if len(errs) == 0 && !b.knownDivision(l.LeftCode) {
		errs = apierr.Field("left_code", "unknown division %q", l.LeftCode)
	}
	if len(errs) == 0 {
		errs = b.placement(l.Geometry, true, "")
	}
	accept(b, r, errs, "id", "line "+l.ID, &b.batch.Lines, l)
}

// placement checks g against the territory (gazetteer.CheckPlacement): inside the county, or near it when onBoundary
// (markers, lines), and a point inside the townships that field's codes name. The in-memory territory never fails.
func (b *builder) placement(g orb.Geometry, onBoundary bool, field string, codes ...string) apierr.Invalid {
	if b.opts.Territory == nil {
		return nil
	}
	errs, _ := gazetteer.CheckPlacement(g, onBoundary, field, codes, b.opts.Territory)
	for i := range errs { // the CLI's hint: the gazetteer's message serves the API too, which has no --crs
		if errs[i].Field == "geometry" && strings.Contains(errs[i].Reason, "CRS") {
			errs[i].Reason += " (--crs)"
		}
	}
	return errs
}

// divisionPlacement checks where a division's points lie: a village-level unit's point and seat in its parent
// township, a township's polygon in the county, and a township's or the county's seat within its own polygon (when the
// record has one), each within gazetteer.ToleranceM.
func (b *builder) divisionPlacement(d *gazetteer.Division) apierr.Invalid {
	if b.opts.Territory == nil {
		return nil
	}
	var errs apierr.Invalid
	if d.Level == gazetteer.LevelVillage {
		if pt, ok := d.Geometry.(orb.Point); ok {
			errs = b.placement(pt, false, "parent_code", d.ParentCode)
		}
		if d.Seat != nil && len(errs) == 0 {
			errs = b.placement(*d.Seat, false, "parent_code", d.ParentCode)
		}
		return errs
	}
	if d.Level == gazetteer.LevelTownship {
		errs = b.placement(d.Geometry, false, "")
	}
	if d.Seat != nil && len(errs) == 0 && d.Geometry != nil {
		if m := geo.DistanceToPolygon(*d.Seat, d.Geometry); m > gazetteer.ToleranceM && !math.IsInf(m, 1) {
			errs.Add("seat", "the seat lon %.6f lat %.6f lies %.0f m outside the division's own polygon (tolerance %g m)",
				d.Seat[0], d.Seat[1], m, gazetteer.ToleranceM)
		}
	}
	return errs
}

// point returns the record's Point geometry; any other geometry adds an error saying what (e.g. "a marker") must be
// a Point to errs and returns the zero point.
func (r *record) point(what string, errs *apierr.Invalid) orb.Point {
	pt, ok := r.geom.(orb.Point)
	if !ok {
		errs.Add("geometry", "%s must be a Point, got %s", what, geomType(r.geom))
	}
	return pt
}

// withExtra adds the extra properties to attrs (extra itself when attrs is nil) and returns it.
func withExtra(attrs, extra map[string]any) map[string]any {
	if attrs == nil {
		return extra
	}
	maps.Copy(attrs, extra)
	return attrs
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func geomType(g orb.Geometry) string {
	if g == nil {
		return "no geometry"
	}
	return g.GeoJSONType()
}

type fieldErr = apierr.FieldError
