package data

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/internal/apierr"
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

// DocumentAndHash is what a version of rec stores: its Document and its ContentHash.
func DocumentAndHash(rec any) ([]byte, string, error) {
	doc, err := Document(rec)
	if err != nil {
		return nil, "", err
	}
	hash, err := ContentHash(rec)
	if err != nil {
		return nil, "", err
	}
	return doc, hash, nil
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

// PutAction is the audit action of a single-record Put: action when set, else "create" (expect 0) or "update".
func PutAction(action string, expect int64) string {
	switch {
	case action != "":
		return action
	case expect == 0:
		return "create"
	}
	return "update"
}

// NotFound is the error of a single-record write or delete of record id of kind that is not stored: "place \"p1\": ",
// wrapping apierr.ErrNotFound.
func NotFound(kind edit.Kind, id string) error {
	return fmt.Errorf("%s %q: %w", strings.TrimSuffix(string(kind), "s"), id, apierr.ErrNotFound)
}

// CheckWrite applies the version rule of a single-record write (Put*, Delete*) to record id of kind: exists says
// whether it is stored, version is its latest version (0: none), expect the caller's (0: create it). It is nil, or
// wraps apierr.ErrConflict (expect 0, but stored), apierr.ErrNotFound (expect ≠ 0, not stored) or
// apierr.ErrVersionMismatch (version ≠ expect).
func CheckWrite(kind edit.Kind, id string, exists bool, version, expect int64) error {
	name := strings.TrimSuffix(string(kind), "s")
	switch {
	case expect == 0 && exists:
		return fmt.Errorf("%s %q already exists: %w", name, id, apierr.ErrConflict)
	case expect != 0 && !exists:
		return NotFound(kind, id)
	case expect != 0 && version != expect:
		return fmt.Errorf("%s %q is at version %d, not %d: %w", name, id, version, expect, apierr.ErrVersionMismatch)
	}
	return nil
}
