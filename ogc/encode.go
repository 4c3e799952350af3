package ogc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

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
	props, err := marshalJSON(f.Properties)
	if err != nil {
		return b, err
	}
	b = append(b, bytes.TrimRight(props, "\n")...)
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
		if b, err = appendFeature(b, &p.Features[i], c, nil); err != nil {
			return nil, err
		}
	}
	return append(b, "]}\n"...), nil
}
