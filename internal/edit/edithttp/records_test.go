package edithttp_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/paulmach/orb"

	"civmap/internal/edit"
	"civmap/internal/edit/edithttp"
	"civmap/internal/httpx"
)

type rec struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Version int64     `json:"version"`
	At      orb.Point `json:"-"`
}

var recs = edithttp.Records[rec]{Kind: edit.KindFacility, Key: func(r *rec) *string { return &r.ID }, KeyField: "id",
	SetGeometry: func(r *rec, g orb.Geometry) error {
		p, ok := g.(orb.Point)
		if !ok {
			return fmt.Errorf("not a Point")
		}
		r.At = p
		return nil
	}}

// DecodeFeature reads a record from a Feature: the Feature id fills the key, server fields are ignored, unknown
// members, another key, a body that is no Feature and a geometry the kind cannot hold are 400s naming the field.
func TestDecodeFeature(t *testing.T) {
	r, err := recs.DecodeFeature([]byte(`{"type":"Feature","id":42,"geometry":{"type":"Point","coordinates":[121.8,29.4]},` +
		`"properties":{"name":"n","version":7,"updated_at":"x","created_at":1}}`))
	if err != nil || r.ID != "42" || r.Name != "n" || r.Version != 0 || r.At != (orb.Point{121.8, 29.4}) {
		t.Fatalf("%+v %v", r, err)
	}
	for _, c := range []struct{ body, field string }{
		{`{"type":"Feature","properties":{"name":"n","colour":"red"}}`, "colour"},
		{`{"type":"Feature","id":"a","properties":{"id":"b"}}`, "id"},
		{`{"type":"FeatureCollection","features":[]}`, "type"},
		{`{"type":"Feature","id":true,"properties":{}}`, "id"},
		{`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[121,29],[122,30]]},"properties":{}}`, "geometry"},
		{`{"type":"Feature","geometry":{"type":"Point","coordinates":[121]},"properties":{}}`, "geometry"},
		{`{"type":"Feature"`, "body"},
	} {
		_, err := recs.DecodeFeature([]byte(c.body))
		status, fields := httpx.Classify(err)
		if status != 400 || len(fields) == 0 || fields[0].Field != c.field {
			t.Errorf("%s: %d %v (%v); want 400 naming %s", c.body, status, fields, err, c.field)
		}
	}
}

// MergePatchFeature merges properties key by key (null deletes) and replaces the geometry whole.
func TestMergePatchFeature(t *testing.T) {
	target, _ := edithttp.DecodeAny([]byte(`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},` +
		`"properties":{"a":1,"b":{"c":1,"d":2},"e":3}}`))
	patch, _ := edithttp.DecodeAny([]byte(`{"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},` +
		`"properties":{"a":null,"b":{"c":5},"f":1.50}}`))
	got := fmt.Sprint(edithttp.MergePatchFeature(target, patch))
	want := "map[geometry:map[coordinates:[[1 2] [3 4]] type:LineString] properties:map[b:map[c:5 d:2] e:3 f:1.50] type:Feature]"
	if got != want {
		t.Errorf("merged\n%s\nwant\n%s", got, want)
	}
	if _, err := edithttp.DecodeAny([]byte(`{`)); !errors.As(err, new(*httpx.StatusError)) {
		t.Errorf("malformed JSON: %v", err)
	}
}
