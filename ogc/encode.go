package ogc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendCoord writes [a,b] with the shortest decimal that round-trips.
func appendCoord(b []byte, p orb.Point) ([]byte, error) {
	if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
		return b, fmt.Errorf("coordinate (%v, %v) is not finite", p[0], p[1])
	}
	b = append(b, '[')
	b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
	return append(b, ']'), nil
}

func appendPoints(b []byte, ps []orb.Point) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendCoord(b, p); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendGeometry writes g as a GeoJSON geometry (null for nil), coordinates as they are (already in the output CRS).
func appendGeometry(b []byte, g orb.Geometry) ([]byte, error) {
	if g == nil {
		return append(b, "null"...), nil
	}
	if bd, ok := g.(orb.Bound); ok {
		g = bd.ToPolygon()
	}
	if r, ok := g.(orb.Ring); ok {
		g = orb.Polygon{r}
	}
	b = append(b, `{"type":"`...)
	b = append(b, g.GeoJSONType()...)
	if c, ok := g.(orb.Collection); ok {
		b = append(b, `","geometries":[`...)
		for i, m := range c {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendGeometry(b, m); err != nil {
				return b, err
			}
		}
		return append(b, "]}"...), nil
	}
	b = append(b, `","coordinates":`...)
	var err error
	switch g := g.(type) {
	case orb.Point:
		b, err = appendCoord(b, g)
	case orb.MultiPoint:
		b, err = appendPoints(b, g)
	case orb.LineString:
		b, err = appendPoints(b, g)
	case orb.MultiLineString:
		b = append(b, '[')
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendPoints(b, l); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	case orb.Polygon:
		b, err = appendRings(b, g)
	case orb.MultiPolygon:
		b = append(b, '[')
		for i, pg := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendRings(b, pg); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	default:
		return b, fmt.Errorf("geometry type %T not supported", g)
	}
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func appendRings(b []byte, pg orb.Polygon) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, r := range pg {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendPoints(b, r); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendFeature writes one GeoJSON Feature in CRS c.
func appendFeature(b []byte, f *Feature, c CRS, links []Link) ([]byte, error) {
	g, err := c.GeometryFromStorage(f.Geometry)
	if err != nil {
		return b, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	b = append(b, `{"type":"Feature","id":`...)
	id, _ := json.Marshal(f.ID)
	b = append(b, id...)
	b = append(b, `,"geometry":`...)
	if b, err = appendGeometry(b, g); err != nil {
		return b, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	b = append(b, `,"properties":`...)
	if b, err = appendProperties(b, f.Properties); err != nil {
		return b, fmt.Errorf("feature %s: %w", f.ID, err)
	}
	if len(links) > 0 {
		l, _ := marshalJSON(links)
		b = append(b, `,"links":`...)
		b = append(b, bytes.TrimRight(l, "\n")...)
	}
	return append(b, '}'), nil
}

func encodeFeature(f *Feature, c CRS, links []Link) ([]byte, error) {
	return appendFeature(nil, f, c, links)
}

// encodeCollection writes a page as an OGC API FeatureCollection: timeStamp, numberMatched, numberReturned, links,
// features (in CRS c).
func encodeCollection(p Page, links []Link, c CRS, now time.Time) ([]byte, error) {
	b := make([]byte, 0, 256+300*len(p.Features))
	b = append(b, `{"type":"FeatureCollection","timeStamp":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","numberMatched":`...)
	b = strconv.AppendInt(b, int64(p.NumberMatched), 10)
	b = append(b, `,"numberReturned":`...)
	b = strconv.AppendInt(b, int64(len(p.Features)), 10)
	l, err := marshalJSON(links)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"links":`...)
	b = append(b, bytes.TrimRight(l, "\n")...)
	b = append(b, `,"features":[`...)
	for i := range p.Features {
		if i > 0 {
			b = append(b, ',')
		}
		if i == 1 { // room for the rest at the first one's size, so that a page of 10,000 is not copied as it grows
			if need := len(b) * len(p.Features) * 9 / 8; cap(b) < need {
				b = append(make([]byte, 0, need), b...)
			}
		}
		if b, err = appendFeature(b, &p.Features[i], c, nil); err != nil {
			return nil, err
		}
	}
	return append(b, "]}\n"...), nil
}

// appendProperties writes a feature's properties as a JSON object, keys sorted (as encoding/json writes a map), without
// reflection: the values are the types Feature holds (string, float64, bool, time.Time, []string, nil); anything else
// goes through encoding/json.
func appendProperties(b []byte, props map[string]any) ([]byte, error) {
	type prop struct {
		k string
		v any
	}
	var small [32]prop
	kvs := small[:0]
	for k, v := range props { // keys and values in one pass: no second lookup per key
		kvs = append(kvs, prop{k, v})
	}
	slices.SortFunc(kvs, func(a, b prop) int { return strings.Compare(a.k, b.k) })
	b = append(b, '{')
	for i, kv := range kvs {
		k := kv.k
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch v := kv.v.(type) {
		case nil:
			b = append(b, "null"...)
		case string:
			b = appendString(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return b, fmt.Errorf("property %s: %v is not a JSON number", k, v)
			}
			if math.Abs(v) < 1e21 {
				b = strconv.AppendFloat(b, v, 'f', -1, 64)
			} else {
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		case time.Time:
			b = append(b, '"')
			b = v.AppendFormat(b, time.RFC3339Nano)
			b = append(b, '"')
		case []string:
			b = append(b, '[')
			for j, s := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, s)
			}
			b = append(b, ']')
		default:
			raw, err := marshalJSON(v)
			if err != nil {
				return b, err
			}
			b = append(b, bytes.TrimRight(raw, "\n")...)
		}
	}
	return append(b, '}'), nil
}

// appendString writes s as a JSON string: quotes, backslashes and control characters escaped, and U+2028/U+2029 (as
// encoding/json does); other text, Chinese included, as it is (valid UTF-8 from the stores; invalid bytes become
// U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, fmt.Sprintf(`\u%04x`, r)...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
