package embedded

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/jsonx"
)

// Records are stored as JSON objects: the domain type's own JSON fields plus "geom", the geometry as little-endian WKB
// (base64 in the JSON). WKB keeps every float64 bit for bit, which a decimal GeoJSON round trip would also do but at about
// twice the size and parse time.

type placeRec struct {
	gazetteer.Place
	Geom []byte `json:"geom,omitempty"`
}

type divisionRec struct {
	gazetteer.Division
	Geom []byte `json:"geom,omitempty"`
}

type lineRec struct {
	gazetteer.BoundaryLine
	Geom []byte `json:"geom,omitempty"`
}

type markerRec struct {
	gazetteer.Marker
	Pos orb.Point `json:"pos"` // a point is two floats: JSON's shortest float64 form is exact
}

type facilityRec struct {
	facilities.Facility
	Pos orb.Point `json:"pos"`
}

type demandRec struct {
	facilities.DemandUnit
	Pos orb.Point `json:"pos"`
}

func encodeGeom(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	return wkb.Marshal(g, binary.LittleEndian)
}

func decodeGeom(b []byte) (orb.Geometry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return wkb.Unmarshal(b)
}

func encodePlace(p *gazetteer.Place) ([]byte, error) {
	g, err := encodeGeom(p.Geometry)
	if err != nil {
		return nil, fmt.Errorf("place %q geometry: %w", p.ID, err)
	}
	return json.Marshal(placeRec{Place: *p, Geom: g})
}

func decodePlace(b []byte) (gazetteer.Place, error) {
	var r placeRec
	if err := jsonx.Unmarshal(b, &r); err != nil {
		return gazetteer.Place{}, fmt.Errorf("decode place: %w", err)
	}
	g, err := decodeGeom(r.Geom)
	if err != nil {
		return gazetteer.Place{}, fmt.Errorf("decode place %q geometry: %w", r.ID, err)
	}
	r.Place.Geometry = g
	return r.Place, nil
}

// placeTileRec is the part of a stored place that its tile feature (tiles.PlaceFeature) reads: decoding only these
// fields skips the attribute maps, former names and the rest. None is a number, so plain encoding/json decodes them as
// jsonx would.
type placeTileRec struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Pinyin        string   `json:"pinyin"`
	Category      string   `json:"category"`
	Status        string   `json:"status"`
	DivisionCodes []string `json:"division_codes"`
	Heritage      bool     `json:"heritage"`
	Geom          []byte   `json:"geom"`
}

// decodePlaceTile decodes the fields of a stored place that tiles.PlaceFeature reads; the others are left zero.
func decodePlaceTile(b []byte) (gazetteer.Place, error) {
	var r placeTileRec
	if err := json.Unmarshal(b, &r); err != nil {
		return gazetteer.Place{}, fmt.Errorf("decode place: %w", err)
	}
	g, err := decodeGeom(r.Geom)
	if err != nil {
		return gazetteer.Place{}, fmt.Errorf("decode place %q geometry: %w", r.ID, err)
	}
	return gazetteer.Place{ID: r.ID, Name: r.Name, Pinyin: r.Pinyin, Category: r.Category, Status: r.Status,
		DivisionCodes: r.DivisionCodes, Heritage: r.Heritage, Geometry: g}, nil
}

// placeStamp is the part of a stored place that a write needs: decoding only these fields skips the geometry and the
// attribute maps.
type placeStamp struct {
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func decodeStamp(b []byte) (placeStamp, error) {
	var st placeStamp
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("decode place: %w", err)
	}
	return st, nil
}

func encodeDivision(d *gazetteer.Division) ([]byte, error) {
	g, err := encodeGeom(d.Geometry)
	if err != nil {
		return nil, fmt.Errorf("division %q geometry: %w", d.Code, err)
	}
	return json.Marshal(divisionRec{Division: *d, Geom: g})
}

func decodeDivision(b []byte) (gazetteer.Division, error) {
	var r divisionRec
	if err := json.Unmarshal(b, &r); err != nil {
		return gazetteer.Division{}, fmt.Errorf("decode division: %w", err)
	}
	g, err := decodeGeom(r.Geom)
	if err != nil {
		return gazetteer.Division{}, fmt.Errorf("decode division %q geometry: %w", r.Code, err)
	}
	r.Division.Geometry = g
	return r.Division, nil
}

func encodeLine(l *gazetteer.BoundaryLine) ([]byte, error) {
	g, err := encodeGeom(l.Geometry)
	if err != nil {
		return nil, fmt.Errorf("line %q geometry: %w", l.ID, err)
	}
	return json.Marshal(lineRec{BoundaryLine: *l, Geom: g})
}

func decodeLine(b []byte) (gazetteer.BoundaryLine, error) {
	var r lineRec
	if err := json.Unmarshal(b, &r); err != nil {
		return gazetteer.BoundaryLine{}, fmt.Errorf("decode line: %w", err)
	}
	g, err := decodeGeom(r.Geom)
	if err != nil {
		return gazetteer.BoundaryLine{}, fmt.Errorf("decode line %q geometry: %w", r.ID, err)
	}
	r.BoundaryLine.Geometry = g
	return r.BoundaryLine, nil
}

func encodeMarker(m *gazetteer.Marker) ([]byte, error) {
	return json.Marshal(markerRec{Marker: *m, Pos: m.Position})
}

func decodeMarker(b []byte) (gazetteer.Marker, error) {
	var r markerRec
	if err := json.Unmarshal(b, &r); err != nil {
		return gazetteer.Marker{}, fmt.Errorf("decode marker: %w", err)
	}
	r.Marker.Position = r.Pos
	return r.Marker, nil
}

func encodeFacility(f *facilities.Facility) ([]byte, error) {
	return json.Marshal(facilityRec{Facility: *f, Pos: f.Location})
}

func decodeFacility(b []byte) (facilities.Facility, error) {
	var r facilityRec
	if err := jsonx.Unmarshal(b, &r); err != nil {
		return facilities.Facility{}, fmt.Errorf("decode facility: %w", err)
	}
	r.Facility.Location = r.Pos
	return r.Facility, nil
}

func encodeDemand(d *facilities.DemandUnit) ([]byte, error) {
	return json.Marshal(demandRec{DemandUnit: *d, Pos: d.Location})
}

func decodeDemand(b []byte) (facilities.DemandUnit, error) {
	var r demandRec
	if err := json.Unmarshal(b, &r); err != nil {
		return facilities.DemandUnit{}, fmt.Errorf("decode demand unit: %w", err)
	}
	r.DemandUnit.Location = r.Pos
	return r.DemandUnit, nil
}
