package edit

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wI2L/jsondiff"
)

// HistoryItem is one version in GET /api/{kind}/{id}/history: who wrote it, why, and what changed from the version
// before it as RFC 6902 JSON Patch operations on the record's API document. The geometry is reported as one replace
// of /geometry, with GeometryChanged, and MovedM (metres, geodesic) when both versions are points. The store-set
// properties (ServerFields) are left out of the patch. Version 1's patch is empty; a delete's is one remove of "".
type HistoryItem struct {
	Version         int64          `json:"version"`
	Time            time.Time      `json:"time"`
	Actor           string         `json:"actor"`
	Role            Role           `json:"role,omitempty"`
	Action          string         `json:"action"`
	Reason          string         `json:"reason,omitempty"`
	RequestID       string         `json:"request_id,omitempty"`
	Patch           jsondiff.Patch `json:"patch"`
	GeometryChanged bool           `json:"geometry_changed"`
	MovedM          *float64       `json:"moved_m,omitempty"`
}

// Distance is a geodesic distance in metres between two lon/lat points (geo.Distance).
type Distance func(a, b [2]float64) float64

type geomOnly struct {
	Geometry json.RawMessage `json:"geometry"`
}

type pointGeom struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

func point(raw json.RawMessage) (*[2]float64, bool) {
	var p pointGeom
	if json.Unmarshal(raw, &p) != nil || p.Type != "Point" {
		return nil, false
	}
	return &p.Coordinates, true
}

// Diff is the history item of version cur after prev (nil for the first version).
func Diff(prev *Version, cur Version, dist Distance) (HistoryItem, error) {
	it := HistoryItem{Version: cur.Version, Time: cur.Meta.Time, Actor: cur.Meta.Actor, Role: cur.Meta.Role,
		Action: cur.Meta.Action, Reason: cur.Meta.Reason, RequestID: cur.Meta.RequestID, Patch: jsondiff.Patch{}}
	if prev == nil {
		return it, nil
	}
	switch {
	case cur.Deleted() && prev.Deleted():
		return it, nil
	case cur.Deleted():
		it.Patch = jsondiff.Patch{{Type: "remove", Path: ""}}
		return it, nil
	case prev.Deleted():
		var v any
		if err := json.Unmarshal(cur.Record, &v); err != nil {
			return it, err
		}
		it.Patch = jsondiff.Patch{{Type: "add", Path: "", Value: v}}
		return it, nil
	}
	ignore := []string{"/geometry"}
	for _, f := range ServerFields {
		ignore = append(ignore, "/properties/"+f)
	}
	p, err := jsondiff.CompareJSON(prev.Record, cur.Record, jsondiff.Ignores(ignore...))
	if err != nil {
		return it, fmt.Errorf("edit: diff of versions %d and %d: %w", prev.Version, cur.Version, err)
	}
	var a, b geomOnly
	_ = json.Unmarshal(prev.Record, &a)
	_ = json.Unmarshal(cur.Record, &b)
	if !jsonEqual(a.Geometry, b.Geometry) {
		var g any
		if err := json.Unmarshal(b.Geometry, &g); err != nil && len(b.Geometry) > 0 {
			return it, err
		}
		p = append(jsondiff.Patch{{Type: "replace", Path: "/geometry", Value: g}}, p...)
		it.GeometryChanged = true
		if pa, ok := point(a.Geometry); ok && dist != nil {
			if pb, ok := point(b.Geometry); ok {
				m := dist(*pa, *pb)
				it.MovedM = &m
			}
		}
	}
	if p == nil {
		p = jsondiff.Patch{}
	}
	it.Patch = p
	return it, nil
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// HistoryItems is the history of vs (History's answer, oldest first), newest first.
func HistoryItems(vs []Version, dist Distance) ([]HistoryItem, error) {
	out := make([]HistoryItem, len(vs))
	for i := range vs {
		var prev *Version
		if i > 0 {
			prev = &vs[i-1]
		}
		it, err := Diff(prev, vs[i], dist)
		if err != nil {
			return nil, err
		}
		out[len(vs)-1-i] = it
	}
	return out, nil
}
