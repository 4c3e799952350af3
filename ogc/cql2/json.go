package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// ParseJSON parses a CQL2 JSON filter (OGC 21-065r2 §8, the cql2.json schema): {"op": …, "args": […]} with
// {"property": …}, {"timestamp": …}, {"date": …}, {"bbox": […]}, GeoJSON geometries and plain JSON literals. Errors are
// *SyntaxError with the byte offset (malformed JSON) or the JSON path of the bad member.
func ParseJSON(b []byte) (Expr, error) {
	if len(b) > MaxLength {
		return nil, &SyntaxError{Pos: 1, Msg: fmt.Sprintf("the filter is longer than %d bytes", MaxLength)}
	}
	// Depth first, on the raw bytes: encoding/json would otherwise build a 10,000-deep tree before we could refuse it.
	if err := checkJSONDepth(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &SyntaxError{Pos: int(se.Offset), Msg: "malformed JSON: " + se.Error()}
		}
		return nil, &SyntaxError{Pos: int(dec.InputOffset()), Msg: "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &SyntaxError{Pos: int(dec.InputOffset()), Msg: "more than one JSON value"}
	}
	return jsonExpr(v, "$")
}

// checkJSONDepth refuses JSON nesting deeper than 3×MaxDepth brackets (an op, its args array and a geometry's rings
// take several each).
func checkJSONDepth(b []byte) error {
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
			if depth > 3*MaxDepth {
				return &SyntaxError{Pos: i + 1, Msg: fmt.Sprintf("the filter nests more than %d levels deep", MaxDepth)}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

func jerr(path, format string, args ...any) error {
	return &SyntaxError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

var compareOps = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func jsonExpr(v any, path string) (Expr, error) {
	if b, ok := v.(bool); ok {
		return Bool{Value: b}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, jerr(path, "expected a predicate object {\"op\": …, \"args\": […]} or true/false")
	}
	op, ok := m["op"].(string)
	if !ok {
		return nil, jerr(path, "expected a predicate object with a string \"op\"")
	}
	args, ok := m["args"].([]any)
	if !ok {
		return nil, jerr(path+".args", "expected an array of arguments")
	}
	at := func(i int) string { return fmt.Sprintf("%s.args[%d]", path, i) }
	nargs := func(n int) error {
		if len(args) != n {
			return jerr(path+".args", "%q takes %d arguments, got %d", op, n, len(args))
		}
		return nil
	}
	switch op {
	case "and", "or":
		if len(args) < 2 {
			return nil, jerr(path+".args", "%q takes at least 2 arguments, got %d", op, len(args))
		}
		es := make([]Expr, len(args))
		for i, a := range args {
			e, err := jsonExpr(a, at(i))
			if err != nil {
				return nil, err
			}
			es[i] = e
		}
		if op == "and" {
			return And{Args: es}, nil
		}
		return Or{Args: es}, nil
	case "not":
		if err := nargs(1); err != nil {
			return nil, err
		}
		e, err := jsonExpr(args[0], at(0))
		return Not{Arg: e}, err
	case "isNull":
		if err := nargs(1); err != nil {
			return nil, err
		}
		s, err := jsonScalar(args[0], at(0))
		return IsNull{Value: s}, err
	case "like":
		if err := nargs(2); err != nil {
			return nil, err
		}
		s, err := jsonScalar(args[0], at(0))
		if err != nil {
			return nil, err
		}
		pat, ok := args[1].(string)
		if !ok {
			return nil, jerr(at(1), "LIKE needs a string pattern")
		}
		return Like{Value: s, Pattern: pat}, nil
	case "between":
		if err := nargs(3); err != nil {
			return nil, err
		}
		var s [3]Scalar
		for i := range s {
			var err error
			if s[i], err = jsonScalar(args[i], at(i)); err != nil {
				return nil, err
			}
		}
		return Between{Value: s[0], Low: s[1], High: s[2]}, nil
	case "in":
		if err := nargs(2); err != nil {
			return nil, err
		}
		s, err := jsonScalar(args[0], at(0))
		if err != nil {
			return nil, err
		}
		list, ok := args[1].([]any)
		if !ok || len(list) == 0 {
			return nil, jerr(at(1), "IN needs a non-empty array of values")
		}
		in := In{Value: s}
		for i, x := range list {
			e, err := jsonScalar(x, fmt.Sprintf("%s[%d]", at(1), i))
			if err != nil {
				return nil, err
			}
			in.List = append(in.List, e)
		}
		return in, nil
	case "s_intersects", "s_within":
		if err := nargs(2); err != nil {
			return nil, err
		}
		a, err := jsonSpatial(args[0], at(0))
		if err != nil {
			return nil, err
		}
		b, err := jsonSpatial(args[1], at(1))
		if err != nil {
			return nil, err
		}
		return Spatial{Op: op, Left: a, Right: b}, nil
	}
	if compareOps[op] {
		if err := nargs(2); err != nil {
			return nil, err
		}
		a, err := jsonScalar(args[0], at(0))
		if err != nil {
			return nil, err
		}
		b, err := jsonScalar(args[1], at(1))
		return Compare{Op: op, Left: a, Right: b}, err
	}
	return nil, jerr(path+".op", "unsupported operator %q (supported: and, or, not, =, <>, <, <=, >, >=, like, in, between, isNull, s_intersects, s_within)", op)
}

func jsonScalar(v any, path string) (Scalar, error) {
	switch x := v.(type) {
	case string:
		return Literal{Value: x}, nil
	case bool:
		return Literal{Value: x}, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, jerr(path, "number %s out of range", x)
		}
		return Literal{Value: f}, nil
	case map[string]any:
		if len(x) == 1 {
			for k, val := range x {
				s, ok := val.(string)
				switch {
				case k == "property" && ok:
					return Property{Name: s}, nil
				case (k == "timestamp" || k == "date") && ok:
					t, err := parseTime(s, k == "date")
					if err != nil {
						return nil, jerr(path, "%v", err)
					}
					return Literal{Value: t}, nil
				}
			}
		}
	}
	return nil, jerr(path, "expected a property {\"property\": …}, a string, number, boolean, {\"timestamp\": …} or {\"date\": …}")
}

func jsonSpatial(v any, path string) (SpatialArg, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, jerr(path, "expected a property or a geometry")
	}
	if s, ok := m["property"].(string); ok && len(m) == 1 {
		return Property{Name: s}, nil
	}
	if bb, ok := m["bbox"].([]any); ok && len(m) == 1 {
		if len(bb) != 4 {
			return nil, jerr(path+".bbox", "BBOX needs 4 numbers (2D), got %d", len(bb))
		}
		var f [4]float64
		for i, x := range bb {
			n, ok := x.(json.Number)
			if !ok {
				return nil, jerr(path+".bbox", "BBOX needs 4 numbers")
			}
			f[i], _ = n.Float64()
		}
		if f[0] > f[2] || f[1] > f[3] {
			return nil, jerr(path+".bbox", "BBOX minimum above its maximum")
		}
		return Geometry{G: BoundGeometry(orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}})}, nil
	}
	if _, ok := m["type"].(string); ok {
		raw, err := json.Marshal(m)
		if err != nil {
			return nil, jerr(path, "%v", err)
		}
		g, err := geojson.UnmarshalGeometry(raw)
		if err != nil || g.Coordinates == nil {
			return nil, jerr(path, "not a GeoJSON geometry")
		}
		if err := checkFinite(g.Coordinates); err != nil {
			return nil, jerr(path, "%v", err)
		}
		return Geometry{G: g.Coordinates}, nil
	}
	return nil, jerr(path, "expected a property {\"property\": …}, a GeoJSON geometry or {\"bbox\": […]}")
}

func checkFinite(g orb.Geometry) error {
	var bad error
	walkPoints(g, func(p orb.Point) {
		if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
			bad = errors.New("a coordinate is not finite")
		}
	})
	return bad
}

// walkPoints calls f for each vertex of g.
func walkPoints(g orb.Geometry, f func(orb.Point)) {
	switch x := g.(type) {
	case orb.Point:
		f(x)
	case orb.MultiPoint:
		for _, p := range x {
			f(p)
		}
	case orb.LineString:
		for _, p := range x {
			f(p)
		}
	case orb.Ring:
		for _, p := range x {
			f(p)
		}
	case orb.MultiLineString:
		for _, l := range x {
			walkPoints(l, f)
		}
	case orb.Polygon:
		for _, r := range x {
			walkPoints(r, f)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			walkPoints(p, f)
		}
	case orb.Collection:
		for _, c := range x {
			walkPoints(c, f)
		}
	}
}
