package tiles

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"time"

	"civmap/facilities"
	"civmap/gazetteer"
)

// MapProperties maps attribute values to MVT values by the property rule that both stores follow (PostGIS with
// ST_AsMVT must produce the same decoded values):
//
//   - string: as is, byte for byte (CJK, emoji, combining marks untouched); the empty string is omitted;
//   - signed and unsigned integers: int64 (MVT sint_value; PostGIS writes int_value/uint_value — decoders see the same
//     number); unsigned values above 2^63−1 become float64;
//   - float32/float64: float64 (double_value); NaN and ±Inf are omitted;
//   - bool: bool, false included;
//   - nil, a nil pointer, SQL NULL: omitted; a non-nil pointer: its value by these rules;
//   - time.Time: an RFC 3339 string in UTC with the fraction trimmed (time.RFC3339Nano), e.g. "2024-05-01T08:00:00Z";
//   - slices, arrays, maps and structs: compact JSON text (no spaces, map keys sorted, <>& not escaped) as a string;
//     an empty slice or map is "[]" or "{}", not omitted.
//
// The result holds only string, int64, float64 and bool values.
func MapProperties(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if mv, ok := MapValue(v); ok {
			out[k] = mv
		}
	}
	return out
}

// MapValue maps one value by MapProperties' rule; ok is false when the value is omitted.
func MapValue(v any) (any, bool) {
	switch t := v.(type) {
	case nil:
		return nil, false
	case string:
		return t, t != ""
	case bool:
		return t, true
	case int:
		return int64(t), true
	case int8:
		return int64(t), true
	case int16:
		return int64(t), true
	case int32:
		return int64(t), true
	case int64:
		return t, true
	case uint:
		return mapUint(uint64(t))
	case uint8:
		return int64(t), true
	case uint16:
		return int64(t), true
	case uint32:
		return int64(t), true
	case uint64:
		return mapUint(t)
	case float32:
		return mapFloat(float64(t))
	case float64:
		return mapFloat(t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, true
		}
		f, err := t.Float64()
		if err != nil {
			return nil, false
		}
		return mapFloat(f)
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano), true
	case *time.Time:
		if t == nil {
			return nil, false
		}
		return t.UTC().Format(time.RFC3339Nano), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, false
		}
		return MapValue(rv.Elem().Interface())
	case reflect.Slice, reflect.Map:
		if rv.IsNil() {
			return nil, false
		}
		return jsonText(v)
	case reflect.Array, reflect.Struct:
		return jsonText(v)
	case reflect.String:
		return MapValue(rv.String())
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return mapUint(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return mapFloat(rv.Float())
	}
	return nil, false
}

func mapUint(u uint64) (any, bool) {
	if u > math.MaxInt64 {
		return float64(u), true
	}
	return int64(u), true
}

func mapFloat(f float64) (any, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func jsonText(v any) (any, bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), true
}

// props builds a property map, applying MapValue to each key/value pair in turn.
func props(kv ...any) map[string]any {
	out := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := MapValue(kv[i+1]); ok {
			out[kv[i].(string)] = v
		}
	}
	return out
}

// DivisionFeatures returns the features of one division in the divisions layer: its geometry (feature id id,
// label_point = false) and, when Seat is set, a label Point at the seat (id LabelID(id), label_point = true), in that
// order, both with code, name, level, kind, parent_code; id is the division's stored tile id. Only county and
// township-level divisions are in the layer (village-level units are the demand layer): others, and divisions without
// geometry or seat, give none.
func DivisionFeatures(d gazetteer.Division, id uint64) []Feature {
	if d.Level != gazetteer.LevelCounty && d.Level != gazetteer.LevelTownship {
		return nil
	}
	base := func(label bool) map[string]any {
		return props("code", d.Code, "name", d.Name, "level", string(d.Level), "kind", d.Kind,
			"parent_code", d.ParentCode, "label_point", label)
	}
	var out []Feature
	if d.Geometry != nil {
		out = append(out, Feature{ID: id, Geometry: d.Geometry, Properties: base(false)})
	}
	if d.Seat != nil {
		out = append(out, Feature{ID: LabelID(id), Geometry: *d.Seat, Properties: base(true)})
	}
	return out
}

// PlaceFeature returns a place's feature in the places layer: feature id id (its stored tile id); id, name, pinyin,
// category, status, heritage, division_code (the first DivisionCodes entry) and label_point = false.
// Abolished places are not in the layer: the store filters them out.
func PlaceFeature(p gazetteer.Place, id uint64) Feature {
	div := ""
	if len(p.DivisionCodes) > 0 {
		div = p.DivisionCodes[0]
	}
	return Feature{ID: id, Geometry: p.Geometry, Properties: props(
		"id", p.ID, "name", p.Name, "pinyin", p.Pinyin, "category", p.Category, "status", p.Status,
		"heritage", p.Heritage, "division_code", div, "label_point", false)}
}

// PlaceFeatures returns a place's features in the places layer: PlaceFeature and, for a Polygon or MultiPolygon, its
// label Point (LabelPoint; feature id PlaceLabelID(id), the same properties with label_point = true), in that order.
// The style labels only points, so an area place has one label however many tiles it crosses. The PostGIS store keeps
// the same point in the place's doc (label_point, written with the place) so both stores draw it alike.
func PlaceFeatures(p gazetteer.Place, id uint64) []Feature {
	f := PlaceFeature(p, id)
	lp, ok := LabelPoint(p.Geometry)
	if !ok {
		return []Feature{f}
	}
	lprops := make(map[string]any, len(f.Properties))
	for k, v := range f.Properties {
		lprops[k] = v
	}
	lprops["label_point"] = true
	return []Feature{f, {ID: PlaceLabelID(id), Geometry: lp, Properties: lprops}}
}

// LineFeature returns a boundary line's feature in the boundary_lines layer: feature id id; id, name, left_code,
// right_code, right_name.
func LineFeature(l gazetteer.BoundaryLine, id uint64) Feature {
	return Feature{ID: id, Geometry: l.Geometry, Properties: props("id", l.ID, "name", l.Name,
		"left_code", l.LeftCode, "right_code", l.RightCode, "right_name", l.RightName)}
}

// MarkerFeature returns a boundary marker's feature in the markers layer: a Point at Position, feature id id; number,
// line_id, type, pair_letter, material, registered_year (omitted when 0, i.e. unknown).
func MarkerFeature(m gazetteer.Marker, id uint64) Feature {
	var year any
	if m.RegisteredYear != 0 {
		year = m.RegisteredYear
	}
	return Feature{ID: id, Geometry: m.Position, Properties: props("number", m.Number,
		"line_id", m.LineID, "type", m.Type, "pair_letter", m.PairLetter, "material", m.Material,
		"registered_year", year)}
}

// FacilityFeature returns a facility's feature in the facilities layer: a Point at Location, feature id id; id, name, type, status, township_code, capacity_beds, capacity_meals_per_day, smart_terminal
// (the last three omitted when nil, i.e. unknown).
func FacilityFeature(f facilities.Facility, id uint64) Feature {
	return Feature{ID: id, Geometry: f.Location, Properties: props(
		"id", f.ID, "name", f.Name, "type", f.Type, "status", f.Status, "township_code", f.TownshipCode,
		"capacity_beds", f.CapacityBeds, "capacity_meals_per_day", f.CapacityMealsPerDay,
		"smart_terminal", f.SmartTerminal)}
}

// DemandFeature returns a demand unit's feature in the demand layer: a Point at Location, feature id id; code, name,
// township_code, elderly_population (0 included).
func DemandFeature(d facilities.DemandUnit, id uint64) Feature {
	return Feature{ID: id, Geometry: d.Location, Properties: props("code", d.Code, "name", d.Name,
		"township_code", d.TownshipCode, "elderly_population", d.ElderlyPopulation)}
}
