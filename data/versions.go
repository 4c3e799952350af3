package data

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/edit"
)

// Import results per record (RecordResult.Result).
const (
	ResultCreated   = "created"
	ResultChanged   = "changed"
	ResultUnchanged = "unchanged"
)

// RecordResult is what an import did (or, in a dry run, would do) to one record: created, changed (with the top-level
// fields that differ: property names and "geometry") or unchanged (no version made). Version is the version written
// (0 when unchanged, or in a dry run the version it would get).
type RecordResult struct {
	Kind    edit.Kind `json:"kind"`
	ID      string    `json:"id"`
	Result  string    `json:"result"`
	Fields  []string  `json:"fields,omitempty"`
	Version int64     `json:"version,omitempty"`
}

// ResultsLimit is the largest batch whose ImportStats.Results a store fills in a real run (a dry run always fills
// them): a bulk load of a million places reports counts only.
const ResultsLimit = ChangeBoundsLimit

// Document is a record's API document, as GET /api/{kind}/{id} answers it: the kind's GeoJSON Feature (PlaceFeature,
// DivisionFeature, LineFeature, MarkerFeature, FacilityFeature, DemandFeature). rec is a gazetteer.Place,
// gazetteer.Division, gazetteer.BoundaryLine, gazetteer.Marker, facilities.Facility or facilities.DemandUnit (or a
// pointer to one).
func Document(rec any) ([]byte, error) {
	if v := reflect.ValueOf(rec); v.Kind() == reflect.Pointer && !v.IsNil() {
		rec = v.Elem().Interface()
	}
	var f any
	switch r := rec.(type) {
	case gazetteer.Place:
		f = gazetteer.PlaceFeature(r)
	case gazetteer.Division:
		f = gazetteer.DivisionFeature(r)
	case gazetteer.BoundaryLine:
		f = gazetteer.LineFeature(r)
	case gazetteer.Marker:
		f = gazetteer.MarkerFeature(r)
	case facilities.Facility:
		f = facilities.FacilityFeature(r)
	case facilities.DemandUnit:
		f = facilities.DemandFeature(r)
	default:
		return nil, fmt.Errorf("data: no document for %T", rec)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("data: document: %w", err)
	}
	return b, nil
}

// ContentHash is edit.Hash of rec's document with the server-set fields (version, created_at, updated_at) zeroed:
// equal for two records that differ only in what the store stamps on them.
func ContentHash(rec any) (string, error) {
	switch r := rec.(type) {
	case *gazetteer.Place:
		c := *r
		c.Version, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
		rec = &c
	case *facilities.Facility:
		c := *r
		c.Version, c.UpdatedAt = 0, time.Time{}
		rec = &c
	}
	b, err := Document(rec)
	if err != nil {
		return "", err
	}
	return edit.Hash(b), nil
}

// ChangedFields lists the top-level members that differ between two documents (GeoJSON Features): "geometry" and the
// names of the properties, leaving out edit.ServerFields, in order of first appearance (new document first).
func ChangedFields(old, new []byte) []string {
	type feat struct {
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var a, b feat
	_ = json.Unmarshal(old, &a)
	_ = json.Unmarshal(new, &b)
	var out []string
	if string(a.Geometry) != string(b.Geometry) {
		out = append(out, "geometry")
	}
	server := map[string]bool{}
	for _, f := range edit.ServerFields {
		server[f] = true
	}
	seen := map[string]bool{}
	keys := make([]string, 0, len(a.Properties)+len(b.Properties))
	for k := range b.Properties {
		keys = append(keys, k)
	}
	for k := range a.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if seen[k] || server[k] {
			continue
		}
		seen[k] = true
		if string(a.Properties[k]) != string(b.Properties[k]) {
			out = append(out, k)
		}
	}
	return out
}

