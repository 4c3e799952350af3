package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"civmap/geo"
)

// feature is the part of an RFC 7946 Feature that import reads.
type feature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// readGeoJSON streams a FeatureCollection, a bare JSON array of Features (as DataV publishes), or a single Feature, so
// that a file of a million features is never held whole as JSON.
func readGeoJSON(r io.Reader, b *builder) error {
	dec := json.NewDecoder(r)
	dec.UseNumber() // properties keep their numbers exactly: 12345678901234567890, and 1.10 for a text field
	tok, err := dec.Token()
	if err != nil {
		return jsonError(dec, "", err)
	}
	if tok == json.Delim('[') {
		return readFeatureArray(dec, b)
	}
	// An object: a FeatureCollection (stream its "features") or one Feature.
	obj := map[string]json.RawMessage{}
	sawFeatures := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return jsonError(dec, "", err)
		}
		key, _ := kt.(string)
		if key == "features" {
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("features: want a JSON array of Features")
			}
			if err := readFeatureArray(dec, b); err != nil {
				return err
			}
			sawFeatures = true
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return jsonError(dec, key, err)
		}
		obj[key] = v
	}
	var typ string
	_ = json.Unmarshal(obj["type"], &typ)
	if crsMember, ok := obj["crs"]; ok {
		if err := checkCRSMember(crsMember, b); err != nil {
			return err
		}
	}
	switch {
	case sawFeatures:
		return nil
	case typ == "Feature":
		raw, _ := json.Marshal(obj)
		var f feature
		fd := json.NewDecoder(bytes.NewReader(raw))
		fd.UseNumber()
		if err := fd.Decode(&f); err != nil {
			return fmt.Errorf("feature: %v", err)
		}
		b.addFeature(&f, "feature")
		return nil
	case typ == "FeatureCollection":
		return nil // no features: an empty import
	}
	return fmt.Errorf("type: want a FeatureCollection, a Feature or an array of Features, got %q", typ)
}

func readFeatureArray(dec *json.Decoder, b *builder) error {
	for i := 0; dec.More(); i++ {
		loc := fmt.Sprintf("features[%d]", i)
		var f feature
		if err := dec.Decode(&f); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				// One ill-shaped feature; the stream itself is intact only for some type errors, so stop here.
				return fmt.Errorf("%s: field %s: want %s, got JSON %s", loc, te.Field, te.Type, te.Value)
			}
			return jsonError(dec, loc, err)
		}
		b.addFeature(&f, loc)
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(dec, "", err)
	}
	return nil
}

// checkCRSMember honours the legacy GeoJSON 2008 "crs" member (QGIS and DataV still write it): it must agree with --crs.
func checkCRSMember(raw json.RawMessage, b *builder) error {
	var m struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Properties.Name == "" {
		return nil
	}
	name := m.Properties.Name
	if i := strings.LastIndex(name, ":"); i >= 0 && strings.Contains(name, "EPSG") {
		name = "EPSG:" + name[i+1:]
	}
	if strings.HasSuffix(name, "CRS84") {
		name = "EPSG:4326"
	}
	c, err := geo.ParseCRS(name)
	if err != nil {
		return fmt.Errorf("crs: %v", err)
	}
	if b.crs() != c && !(isLonLat(c) && isLonLat(b.crs())) {
		return fmt.Errorf("crs: the file says %s but the import was told %s; refusing to mix (drop the crs member or pass --crs %s)", c, b.crs(), c)
	}
	return nil
}

func isLonLat(c geo.CRS) bool { return c == geo.EPSG4326 || c == geo.EPSG4490 }

func (b *builder) crs() geo.CRS {
	if b.opts.CRS == "" {
		return geo.EPSG4326
	}
	return b.opts.CRS
}

func (b *builder) addFeature(f *feature, loc string) {
	if f.Type != "Feature" {
		b.read++
		b.fail(loc, "type", "want a Feature, got %q", f.Type)
		return
	}
	r := &record{loc: loc, props: f.Properties, crs: b.crs()}
	if r.props == nil {
		r.props = map[string]any{}
	}
	if len(f.ID) > 0 && string(f.ID) != "null" {
		var s string
		if json.Unmarshal(f.ID, &s) != nil {
			s = strings.TrimSpace(string(f.ID)) // a number id
		}
		r.id = s
	}
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		decode := geo.DecodeGeometry
		if r.crs.Projected() {
			decode = geo.DecodeProjectedGeometry
		}
		g, err := decode(f.Geometry)
		if err != nil {
			b.read++
			b.fail(loc, "geometry", "%v", err)
			return
		}
		if pt, ok := g.(orb.Point); ok && r.crs.Projected() {
			r.projected, r.east, r.north = true, pt[0], pt[1]
			if err := geo.CheckProjectedPlausible(r.crs, pt[0], pt[1]); err != nil {
				b.read++
				b.fail(loc, "geometry", "%v", err)
				return
			}
		}
		if g, err = geo.GeometryToLonLat(g, r.crs); err != nil {
			b.read++
			b.fail(loc, "geometry", "%v", err)
			return
		}
		r.geom = g
	}
	b.add(r)
}

// jsonError names where malformed JSON was found: the byte offset and, when known, the feature.
func jsonError(dec *json.Decoder, loc string, err error) error {
	var se *json.SyntaxError
	where := "byte " + strconv.FormatInt(dec.InputOffset(), 10)
	if errors.As(err, &se) {
		where = "byte " + strconv.FormatInt(se.Offset, 10)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of file")
	}
	if loc != "" {
		return fmt.Errorf("%s: malformed JSON at %s: %v", loc, where, err)
	}
	return fmt.Errorf("malformed JSON at %s: %v", where, err)
}
