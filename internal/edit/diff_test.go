package edit_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"civmap/geo"
	"civmap/internal/edit"
)

func version(n int64, action, record string) edit.Version {
	return edit.Version{Kind: edit.KindFacility, ID: "f1", Version: n, Meta: edit.Meta{Actor: "张三", Role: edit.RoleEditor,
		Action: action, Reason: "r" + action, RequestID: "req"}, Record: json.RawMessage(record)}
}

func ops(t *testing.T, it edit.HistoryItem) string {
	t.Helper()
	b, err := json.Marshal(it.Patch)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func distance(a, b [2]float64) float64 { return geo.Distance(orb.Point(a), orb.Point(b)) }

// Property changes are RFC 6902 add, remove and replace ops on /properties/…; the store-set members (version,
// created_at, updated_at) are left out; the first version's patch is empty.
func TestDiffProperties(t *testing.T) {
	v1 := version(1, "create", `{"type":"Feature","id":"f1","geometry":{"type":"Point","coordinates":[121.8,29.4]},`+
		`"properties":{"name":"老年食堂","beds":10,"note":"x","version":1,"updated_at":"2024-01-01T00:00:00Z"}}`)
	v2 := version(2, "update", `{"type":"Feature","id":"f1","geometry":{"type":"Point","coordinates":[121.8,29.4]},`+
		`"properties":{"name":"新食堂","beds":10,"smart":true,"version":2,"updated_at":"2024-02-01T00:00:00Z"}}`)
	first, err := edit.Diff(nil, v1, distance)
	if err != nil || ops(t, first) != `[]` || first.GeometryChanged || first.MovedM != nil || first.Action != "create" {
		t.Fatalf("first version: %+v %v", first, err)
	}
	it, err := edit.Diff(&v1, v2, distance)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, op := range it.Patch {
		v, _ := json.Marshal(op.Value)
		got[op.Type+" "+op.Path] = string(v)
	}
	want := map[string]string{"replace /properties/name": `"新食堂"`, "remove /properties/note": `null`,
		"add /properties/smart": `true`}
	if len(got) != len(want) {
		t.Errorf("patch %s; want exactly %v", ops(t, it), want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("op %s = %s, want %s (patch %s)", k, got[k], v, ops(t, it))
		}
	}
	if it.GeometryChanged || it.MovedM != nil || it.Version != 2 || it.Actor != "张三" || it.Reason != "rupdate" ||
		it.Role != edit.RoleEditor || it.RequestID != "req" {
		t.Errorf("item %+v", it)
	}
}

// A geometry change is one replace of /geometry with the new geometry; between two points moved_m is the geodesic
// distance (geo.Distance), and between other geometries it is absent.
func TestDiffGeometry(t *testing.T) {
	a, b := orb.Point{121.87, 29.47}, orb.Point{121.871, 29.4705}
	pt := func(n int64, p orb.Point) edit.Version {
		raw, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point",
			"coordinates": []float64{p[0], p[1]}}, "properties": map[string]any{"name": "n"}})
		return version(n, "update", string(raw))
	}
	it, err := edit.Diff(&[]edit.Version{pt(1, a)}[0], pt(2, b), distance)
	if err != nil {
		t.Fatal(err)
	}
	want := geo.Distance(a, b)
	if !it.GeometryChanged || it.MovedM == nil || math.Abs(*it.MovedM-want) > 1e-9 || want < 100 || want > 120 {
		t.Fatalf("moved point: %+v (want moved_m %v)", it, want)
	}
	if s := ops(t, it); s != `[{"value":{"coordinates":[121.871,29.4705],"type":"Point"},"op":"replace","path":"/geometry"}]` &&
		s != `[{"op":"replace","path":"/geometry","value":{"coordinates":[121.871,29.4705],"type":"Point"}}]` {
		t.Errorf("patch %s", s)
	}
	same, _ := edit.Diff(&[]edit.Version{pt(1, a)}[0], pt(2, a), distance)
	if same.GeometryChanged || same.MovedM != nil || ops(t, same) != `[]` {
		t.Errorf("unmoved point: %+v", same)
	}
	poly := version(3, "update", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[121,29],[122,29],[122,30],[121,29]]]},"properties":{"name":"n"}}`)
	p1 := pt(2, b)
	it, _ = edit.Diff(&p1, poly, distance)
	if !it.GeometryChanged || it.MovedM != nil || len(it.Patch) != 1 || it.Patch[0].Path != "/geometry" || it.Patch[0].Type != "replace" {
		t.Errorf("point to polygon: %+v", it)
	}
}

// A delete is one remove of the whole document, a record made again after it one add; HistoryItems is newest first.
func TestHistoryItemsDelete(t *testing.T) {
	doc := `{"type":"Feature","geometry":null,"properties":{"name":"n"}}`
	vs := []edit.Version{version(1, "create", doc), version(2, "delete", `null`), version(3, "create", doc)}
	items, err := edit.HistoryItems(vs, distance)
	if err != nil || len(items) != 3 {
		t.Fatal(items, err)
	}
	if items[0].Version != 3 || items[1].Version != 2 || items[2].Version != 1 {
		t.Errorf("order %d %d %d, want 3 2 1", items[0].Version, items[1].Version, items[2].Version)
	}
	if s := ops(t, items[1]); s != `[{"op":"remove","path":""}]` {
		t.Errorf("delete patch %s", s)
	}
	if len(items[0].Patch) != 1 || items[0].Patch[0].Type != "add" || items[0].Patch[0].Path != "" {
		t.Errorf("re-create patch %s", ops(t, items[0]))
	}
}
