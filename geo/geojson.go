package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// maxCollectionDepth bounds GeometryCollection nesting (RFC 7946 §3.1.8
// discourages nesting at all).
const maxCollectionDepth = 8

// coordDepth is the array nesting above a position for each geometry type.
var coordDepth = map[string]int{
	"Point": 0, "MultiPoint": 1, "LineString": 1,
	"MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3,
}

// DecodeGeometry decodes one RFC 7946 geometry object (Point, MultiPoint,
// LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)
// into an orb.Geometry, via orb/geojson. Positions are [lon, lat] in degrees;
// a third (z) or further element is dropped. Errors name the JSON path of the
// problem: malformed JSON, a missing or unknown "type" (a Feature is refused
// with a hint), missing or null "coordinates", wrong array nesting, a
// position with fewer than 2 numbers or a non-number in it, lon/lat
// (outside [-180,180] / [-90,90]). Ring closure, orientation, minimum vertex
// counts and self-intersection are left to NormalizePolygonal.
func DecodeGeometry(raw []byte) (orb.Geometry, error) {
	return decodeGeometry(raw, "geometry", 0, true)
}

// DecodeProjectedGeometry is DecodeGeometry for coordinates in a projected CRS ([easting, northing] in metres, e.g.
// EPSG:4550): the same checks, except that positions need only be finite numbers; range checks come after conversion.
func DecodeProjectedGeometry(raw []byte) (orb.Geometry, error) {
	return decodeGeometry(raw, "geometry", 0, false)
}

type rawGeometry struct {
	Type        *string           `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
}

func decodeGeometry(raw []byte, path string, depth int, lonLat bool) (orb.Geometry, error) {
	var rg rawGeometry
	if err := json.Unmarshal(raw, &rg); err != nil {
		return nil, fmt.Errorf("geo: %s: invalid GeoJSON geometry: %w", path, err)
	}
	if rg.Type == nil {
		return nil, fmt.Errorf("geo: %s: missing \"type\"", path)
	}
	t := *rg.Type
	if t == "GeometryCollection" {
		if depth >= maxCollectionDepth {
			return nil, fmt.Errorf("geo: %s: GeometryCollection nested deeper than %d", path, maxCollectionDepth)
		}
		if rg.Geometries == nil {
			return nil, fmt.Errorf("geo: %s: GeometryCollection without \"geometries\" array", path)
		}
		c := make(orb.Collection, 0, len(rg.Geometries))
		for i, m := range rg.Geometries {
			g, err := decodeGeometry(m, fmt.Sprintf("%s.geometries[%d]", path, i), depth+1, lonLat)
			if err != nil {
				return nil, err
			}
			c = append(c, g)
		}
		return c, nil
	}
	d, ok := coordDepth[t]
	if !ok {
		if t == "Feature" || t == "FeatureCollection" {
			return nil, fmt.Errorf("geo: %s: got a %s, want a geometry object (pass the Feature's \"geometry\" member)", path, t)
		}
		return nil, fmt.Errorf("geo: %s: unknown geometry type %q; want Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection", path, t)
	}
	if len(rg.Coordinates) == 0 || bytes.Equal(bytes.TrimSpace(rg.Coordinates), []byte("null")) {
		return nil, fmt.Errorf("geo: %s: %s without \"coordinates\"", path, t)
	}
	var tree any
	if err := json.Unmarshal(rg.Coordinates, &tree); err != nil {
		return nil, fmt.Errorf("geo: %s.coordinates: %w", path, err)
	}
	if err := checkCoordTree(tree, d, path+".coordinates", lonLat); err != nil {
		return nil, err
	}
	// Structure is known good; orb decodes positions into [2]float64, which
	// drops z (encoding/json discards surplus array elements).
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, fmt.Errorf("geo: %s: %w", path, err)
	}
	return g.Geometry(), nil
}

// checkCoordTree checks that v is arrays nested depth deep around positions
// of at least 2 numbers, each a valid lon/lat (lonLat) or finite.
func checkCoordTree(v any, depth int, path string, lonLat bool) error {
	arr, ok := v.([]any)
	if !ok {
		return fmt.Errorf("geo: %s: want an array, got %s", path, jsonKind(v))
	}
	if depth == 0 {
		if len(arr) < 2 {
			return fmt.Errorf("geo: %s: a position needs at least 2 numbers [lon, lat], got %d", path, len(arr))
		}
		var p orb.Point
		for i, e := range arr {
			f, ok := e.(float64)
			if !ok {
				return fmt.Errorf("geo: %s[%d]: want a number, got %s", path, i, jsonKind(e))
			}
			if i < 2 {
				p[i] = f
			}
		}
		if lonLat {
			if err := ValidatePoint(p); err != nil {
				return fmt.Errorf("geo: %s: %w", path, err)
			}
		} else if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
			return fmt.Errorf("geo: %s: coordinates must be finite numbers", path)
		}
		return nil
	}
	for i, e := range arr {
		if err := checkCoordTree(e, depth-1, fmt.Sprintf("%s[%d]", path, i), lonLat); err != nil {
			return err
		}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// EncodeGeometry encodes g as an RFC 7946 geometry object via orb/geojson
// (orb.Ring and orb.Bound become Polygons; an empty orb.Collection becomes a
// GeometryCollection with no members). Errors: nil g, or a coordinate that
// is NaN/Inf or outside lon [-180,180] / lat [-90,90].
func EncodeGeometry(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, errors.New("geo: EncodeGeometry: nil geometry")
	}
	if err := walkPoints(g, ""); err != nil {
		return nil, err
	}
	if c, ok := g.(orb.Collection); ok && len(c) == 0 {
		return []byte(`{"type":"GeometryCollection","geometries":[]}`), nil
	}
	return geojson.NewGeometry(g).MarshalJSON()
}

// DropZ re-encodes a GeoJSON geometry object with 2-D positions, dropping z
// and any further elements, after the same checks as DecodeGeometry. Use it
// before handing client GeoJSON to PostGIS ST_GeomFromGeoJSON, which would
// otherwise build a 3-D geometry that a 2-D column rejects.
func DropZ(raw []byte) ([]byte, error) {
	g, err := DecodeGeometry(raw)
	if err != nil {
		return nil, err
	}
	return EncodeGeometry(g)
}

// walkPoints validates every position of g; path locates errors.
func walkPoints(g orb.Geometry, path string) error {
	check := func(pts []orb.Point, p string) error {
		for i, pt := range pts {
			if err := ValidatePoint(pt); err != nil {
				return fmt.Errorf("geo: %s %s[%d]: %w", g.GeoJSONType(), p, i, err)
			}
		}
		return nil
	}
	switch g := g.(type) {
	case orb.Point:
		return check([]orb.Point{g}, path)
	case orb.MultiPoint:
		return check(g, path)
	case orb.LineString:
		return check(g, path)
	case orb.Ring:
		return check(g, path)
	case orb.MultiLineString:
		for i, ls := range g {
			if err := check(ls, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case orb.Polygon:
		for i, r := range g {
			if err := check(r, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case orb.MultiPolygon:
		for i, p := range g {
			for j, r := range p {
				if err := check(r, fmt.Sprintf("%s[%d][%d]", path, i, j)); err != nil {
					return err
				}
			}
		}
	case orb.Bound:
		return ValidateBound(g)
	case orb.Collection:
		for i, c := range g {
			if c == nil {
				return fmt.Errorf("geo: GeometryCollection member %d is nil", i)
			}
			if err := walkPoints(c, strings.TrimSpace(fmt.Sprintf("%s geometries[%d]", path, i))); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("geo: unsupported geometry type %T", g)
	}
	return nil
}
