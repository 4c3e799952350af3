// Package storetest is the store contract as tests: every behaviour, error and edge case that the domain packages rely on,
// run against both data/embedded and data/postgis. A behaviour that only one store has is a bug.
//
// Conventions the suite fixes where the doc comments leave room (both stores follow them):
//   - Limit <= 0 in PlaceQuery and FacilityQuery means no limit; an Offset past the end gives no items and the full
//     NumberMatched.
//   - nil and empty slices and maps are the same value (a store may return either); attributes compare as JSON values.
//   - The store sets Version, CreatedAt and UpdatedAt (UTC, microsecond precision) on CreatePlace, UpdatePlace and Import,
//     ignoring what the caller passes; Import sets a facility's UpdatedAt the same way.
//   - Import rejects, leaving nothing of the batch behind: a key repeated inside the batch (ErrConflict), an empty key
//     (apierr.Invalid), a marker whose LineID is neither in the batch nor in the store (apierr.Invalid).
//   - FacilityQuery.Township and Demand's township are exact township codes.
//   - Locate's Kind fields are filled; the county is the containing township's parent division.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
)

// Opener opens (or, after Close, re-opens) one backing store.
type Opener func() (data.Store, error)

// Run runs the conformance suite. newStore is called once per subtest and must return an Opener for a fresh, initially
// empty backing store owned by that subtest (t.TempDir(), a new database or schema, …); it cleans the backing up itself.
func Run(t *testing.T, newStore func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"EmptyAndReady", testEmptyReady},
		{"PlaceCRUD", testPlaceCRUD},
		{"PlaceTimestamps", testPlaceTimestamps},
		{"GeometryRoundTrip", testGeometryRoundTrip},
		{"RecordsRoundTrip", testRecordsRoundTrip},
		{"NilAndEmpty", testNilAndEmpty},
		{"PlacesBBox", testPlacesBBox},
		{"PlacesFilters", testPlacesFilters},
		{"PlacesQ", testPlacesQ},
		{"PlacesPaging", testPlacesPaging},
		{"PlaceIndexesFollowWrites", testIndexesFollowWrites},
		{"Locate", testLocate},
		{"LocateWithoutVillages", testLocateWithoutVillages},
		{"Divisions", testDivisions},
		{"LinesAndMarkers", testLinesMarkers},
		{"Facilities", testFacilities},
		{"Demand", testDemand},
		{"ImportUpsert", testImportUpsert},
		{"ImportAtomic", testImportAtomic},
		{"Reopen", testReopen},
		{"ConcurrentReadWrite", testConcurrent},
		{"TileIDs", testTileIDs},
		{"TileIDsSample", testTileIDsSample},
		{"TileSeams", testTileSeams},
		{"Tokens", testTokens},
		{"Docs", testDocs},
		{"CheckStore", testCheckStore},
		{"SampleDrawnWhole", testSampleDrawnWhole},
		{"TileFollowsFacilityEdits", testTileFollowsFacilityEdits},
		{"PlaceLabels", testPlaceLabels},
		{"OGCFilters", testOGCFilters}, {"OGCPaging", testOGCPaging},
	}
	tests = append(tests, versionTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t, newStore(t)))
		})
	}
}

func testEmptyReady(t *testing.T, h *harness) {
	ctx := t.Context()
	if err := h.s.Ready(ctx); err != nil {
		t.Fatalf("Ready on a fresh store: %v", err)
	}
	empty, err := h.s.Empty(ctx)
	if err != nil || !empty {
		t.Fatalf("Empty on a fresh store = %v, %v; want true", empty, err)
	}
	// Empty is about divisions only.
	if _, err := h.s.CreatePlace(ctx, fullPlace("只有地名"), testMeta); err != nil {
		t.Fatal(err)
	}
	if empty, err := h.s.Empty(ctx); err != nil || !empty {
		t.Errorf("Empty with places but no divisions = %v, %v; want true", empty, err)
	}
	h.load(data.Batch{Divisions: fixtureDivisions()[:1]})
	if empty, err := h.s.Empty(ctx); err != nil || empty {
		t.Errorf("Empty after importing a division = %v, %v; want false", empty, err)
	}
	h.reopen()
	if err := h.s.Ready(ctx); err != nil {
		t.Errorf("Ready after reopen: %v", err)
	}
	if empty, err := h.s.Empty(ctx); err != nil || empty {
		t.Errorf("Empty after reopen = %v, %v; want false", empty, err)
	}
	// An empty store answers reads with empty results, not errors.
	if _, err := h.s.Place(ctx, "nope"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("Place(missing): %v", err)
	}
}

func testPlaceCRUD(t *testing.T, h *harness) {
	ctx := t.Context()
	s := h.s
	in := fullPlace("中-CRUD-1")

	before := time.Now()
	v1, err := s.CreatePlace(ctx, in, testMeta)
	after := time.Now()
	if err != nil {
		t.Fatalf("CreatePlace: %v", err)
	}
	if v1.Version != 1 {
		t.Errorf("created Version = %d, want 1", v1.Version)
	}
	checkTime(t, "CreatedAt", v1.CreatedAt, before, after)
	if !v1.CreatedAt.Equal(v1.UpdatedAt) {
		t.Errorf("created: CreatedAt %v != UpdatedAt %v", v1.CreatedAt, v1.UpdatedAt)
	}
	want := in
	want.Version, want.CreatedAt, want.UpdatedAt = 1, v1.CreatedAt, v1.UpdatedAt
	checkEqual(t, "CreatePlace result", normPlace(want), normPlace(v1))
	got, err := s.Place(ctx, in.ID)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	checkEqual(t, "Place after create", normPlace(v1), normPlace(got))

	// Create of an existing ID.
	dup := in
	dup.Name = "别的名字"
	if _, err := s.CreatePlace(ctx, dup, testMeta); !errors.Is(err, apierr.ErrConflict) {
		t.Errorf("CreatePlace(existing ID): %v, want ErrConflict", err)
	}
	if got, _ := s.Place(ctx, in.ID); got.Name != in.Name || got.Version != 1 {
		t.Errorf("a refused create changed the place: %+v", got)
	}

	time.Sleep(2 * time.Millisecond) // so that UpdatedAt must grow
	upd := v1
	upd.Name = "石浦港区"
	upd.Aliases = nil
	upd.Geometry = orb.Point{121.365, 29.035}
	upd.Approval = nil
	upd.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) // ignored
	upd.Version = 77                                            // ignored
	before = time.Now()
	v2, err := s.UpdatePlace(ctx, upd, 1, testMeta)
	after = time.Now()
	if err != nil {
		t.Fatalf("UpdatePlace: %v", err)
	}
	if v2.Version != 2 {
		t.Errorf("updated Version = %d, want 2", v2.Version)
	}
	if !v2.CreatedAt.Equal(v1.CreatedAt) {
		t.Errorf("update changed CreatedAt: %v -> %v", v1.CreatedAt, v2.CreatedAt)
	}
	checkTime(t, "UpdatedAt", v2.UpdatedAt, before, after)
	if !v2.UpdatedAt.After(v1.UpdatedAt) {
		t.Errorf("UpdatedAt did not grow: %v -> %v", v1.UpdatedAt, v2.UpdatedAt)
	}
	want = upd
	want.Version, want.CreatedAt, want.UpdatedAt = 2, v1.CreatedAt, v2.UpdatedAt
	checkEqual(t, "UpdatePlace result", normPlace(want), normPlace(v2))
	got, err = s.Place(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "Place after update", normPlace(v2), normPlace(got))

	hist, err := placeHistory(t, s, in.ID)
	if err != nil {
		t.Fatalf("PlaceHistory: %v", err)
	}
	if len(hist) != 2 {
		t.Fatalf("history has %d entries, want 2", len(hist))
	}
	checkEqual(t, "history[0]", normPlace(v1), normPlace(hist[0]))
	checkEqual(t, "history[1]", normPlace(v2), normPlace(hist[1]))

	// Stale and future versions.
	stale := v2
	stale.Name = "过时的"
	for _, ver := range []int64{1, 3, 0} {
		if _, err := s.UpdatePlace(ctx, stale, ver, testMeta); !errors.Is(err, apierr.ErrVersionMismatch) {
			t.Errorf("UpdatePlace(version %d of 2): %v, want ErrVersionMismatch", ver, err)
		}
	}
	if got, _ := s.Place(ctx, in.ID); got.Name != upd.Name || got.Version != 2 {
		t.Errorf("a refused update changed the place: name %q version %d", got.Name, got.Version)
	}
	if hist, _ := placeHistory(t, s, in.ID); len(hist) != 2 {
		t.Errorf("a refused update changed the history: %d entries", len(hist))
	}

	// Missing records.
	missing := in
	missing.ID = "不存在"
	if _, err := s.UpdatePlace(ctx, missing, 1, testMeta); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("UpdatePlace(missing): %v, want ErrNotFound", err)
	}
	if _, err := s.Place(ctx, "不存在"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("Place(missing): %v, want ErrNotFound", err)
	}
	if _, err := placeHistory(t, s, "不存在"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("PlaceHistory(missing): %v, want ErrNotFound", err)
	}
	if n, _ := places(t, s, gazetteer.PlaceQuery{Statuses: allStatuses}); len(n) != 1 {
		t.Errorf("store holds %q, want only %q", n, in.ID)
	}
}

func testPlaceTimestamps(t *testing.T, h *harness) {
	ctx := t.Context()
	p := fullPlace("T-1")
	p.CreatedAt = time.Date(1999, 9, 9, 9, 9, 9, 999999999, time.FixedZone("CST", 8*3600)) // ignored
	p.UpdatedAt = p.CreatedAt
	before := time.Now()
	v1, err := h.s.CreatePlace(ctx, p, testMeta)
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	checkTime(t, "CreatedAt", v1.CreatedAt, before, after)
	checkTime(t, "UpdatedAt", v1.UpdatedAt, before, after)
	var last gazetteer.Place = v1
	for i := 2; i <= 3; i++ {
		time.Sleep(2 * time.Millisecond)
		next, err := h.s.UpdatePlace(ctx, last, last.Version, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		if next.Version != int64(i) || !next.CreatedAt.Equal(v1.CreatedAt) || !next.UpdatedAt.After(last.UpdatedAt) {
			t.Errorf("update %d: version %d created %v updated %v (previous updated %v)", i, next.Version,
				next.CreatedAt, next.UpdatedAt, last.UpdatedAt)
		}
		last = next
	}
	// Read back (and after reopen) the timestamps are the same instants, still UTC.
	h.reopen()
	hist, err := placeHistory(t, h.s, "T-1")
	if err != nil || len(hist) != 3 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
	for i, v := range hist {
		if v.Version != int64(i+1) {
			t.Errorf("history[%d].Version = %d", i, v.Version)
		}
		checkTime(t, fmt.Sprintf("history[%d].CreatedAt", i), v.CreatedAt, before, time.Now())
		if !v.CreatedAt.Equal(v1.CreatedAt) {
			t.Errorf("history[%d].CreatedAt = %v, want %v", i, v.CreatedAt, v1.CreatedAt)
		}
	}
	if !hist[2].UpdatedAt.Equal(last.UpdatedAt) {
		t.Errorf("stored UpdatedAt %v, returned %v", hist[2].UpdatedAt, last.UpdatedAt)
	}
}

func testGeometryRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	// Values that a decimal or float32 round trip would change.
	x, y := 121.12345678901234, 29.987654321098765
	e := math.Nextafter(x, 200) - x // one ulp
	geoms := map[string]orb.Geometry{
		"point":      orb.Point{x, y},
		"point-ulp":  orb.Point{x + e, 0.1 + 0.2},
		"multipoint": orb.MultiPoint{{x, y}, {x + 1e-9, y - 1e-9}},
		"line":       orb.LineString{{x, y}, {x + 0.001, y + 1.0/3}, {121.5, 29.5}},
		"multiline":  orb.MultiLineString{{{x, y}, {x + 0.1, y}}, {{x, y + 0.1}, {x + 0.1, y + 1.0/7}}},
		"polygon-hole": orb.Polygon{
			{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}},
			{{x + 0.002, y + 0.002}, {x + 0.002, y + 0.003}, {x + 0.003, y + 0.003}, {x + 0.002, y + 0.002}},
		},
		"multipolygon": orb.MultiPolygon{
			{square(121.0, 29.0, 121.0+1.0/3, 29.0+1.0/3)},
			{square(122.1, 29.1, 122.2, 29.2+e)},
		},
		"collection": orb.Collection{orb.Point{x, y}, orb.LineString{{x, y}, {x + 1, y + 1}}},
	}
	for name, g := range geoms {
		p := gazetteer.Place{ID: "geom-" + name, Name: name, Category: "test", Status: gazetteer.StatusCurrent, Geometry: g}
		if _, err := h.s.CreatePlace(ctx, p, testMeta); err != nil {
			t.Fatalf("CreatePlace(%s): %v", name, err)
		}
	}
	check := func(when string) {
		for name, g := range geoms {
			got, err := h.s.Place(ctx, "geom-"+name)
			if err != nil {
				t.Fatalf("%s: Place(%s): %v", when, name, err)
			}
			if got.Geometry == nil || got.Geometry.GeoJSONType() != g.GeoJSONType() || !orb.Equal(got.Geometry, g) {
				t.Errorf("%s: %s geometry: got %s, want %s", when, name, show(got.Geometry), show(g))
			}
		}
		// Division, line, marker, facility and demand geometry too.
		if got, err := h.s.Division(ctx, codeD); err != nil || !orb.Equal(got.Geometry, geoms["polygon-hole"]) {
			t.Errorf("%s: division geometry %v (%v)", when, show(got.Geometry), err)
		}
	}
	b := data.Batch{Divisions: fixtureDivisions()[:1]}
	b.Divisions[0].Geometry = geoms["polygon-hole"] // township D
	h.load(b)
	check("before reopen")
	h.reopen()
	check("after reopen")
}

func testRecordsRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	b := fixture()
	before := time.Now()
	h.load(b)
	after := time.Now()

	for _, want := range b.Divisions {
		got, err := h.s.Division(ctx, want.Code)
		if err != nil {
			t.Errorf("Division(%s): %v", want.Code, err)
			continue
		}
		checkEqual(t, "division "+want.Code, want, got)
	}
	if _, err := h.s.Division(ctx, "330225999"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("Division(missing): %v, want ErrNotFound", err)
	}
	for _, want := range b.Places {
		got, err := h.s.Place(ctx, want.ID)
		if err != nil {
			t.Errorf("Place(%s): %v", want.ID, err)
			continue
		}
		if got.Version != 1 {
			t.Errorf("imported place %s: Version %d, want 1", want.ID, got.Version)
		}
		checkTime(t, "imported place CreatedAt", got.CreatedAt, before, after)
		if !got.CreatedAt.Equal(got.UpdatedAt) {
			t.Errorf("imported place %s: CreatedAt %v != UpdatedAt %v", want.ID, got.CreatedAt, got.UpdatedAt)
		}
		want.Version, want.CreatedAt, want.UpdatedAt = 1, got.CreatedAt, got.UpdatedAt
		checkEqual(t, "place "+want.ID, normPlace(want), normPlace(got))
	}
	for _, want := range b.Lines {
		got, err := h.s.BoundaryLine(ctx, want.ID)
		if err != nil {
			t.Errorf("BoundaryLine(%s): %v", want.ID, err)
			continue
		}
		checkEqual(t, "line "+want.ID, want, got)
	}
	byNumber := map[string]gazetteer.Marker{}
	for _, l := range lineOrder {
		ms, err := h.s.Markers(ctx, l)
		if err != nil {
			t.Fatalf("Markers(%s): %v", l, err)
		}
		for _, m := range ms {
			byNumber[m.Number] = m
		}
	}
	for _, want := range b.Markers {
		checkEqual(t, "marker "+want.Number, want, byNumber[want.Number])
	}
	for _, want := range b.Facilities {
		got, err := h.s.Facility(ctx, want.ID)
		if err != nil {
			t.Errorf("Facility(%s): %v", want.ID, err)
			continue
		}
		if got.Version != 1 {
			t.Errorf("imported facility %s: Version %d, want 1", want.ID, got.Version)
		}
		checkTime(t, "facility UpdatedAt", got.UpdatedAt, before, after)
		want.Version, want.UpdatedAt = 1, got.UpdatedAt
		checkEqual(t, "facility "+want.ID, normFacility(want), normFacility(got))
	}
	if _, err := h.s.Facility(ctx, "F-999"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("Facility(missing): %v, want ErrNotFound", err)
	}
	dem, err := h.s.Demand(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "demand", sortedBy(b.Demand, func(d facilities.DemandUnit) string { return d.Code }), dem)

	// A place with every field set, CJK and emoji, through CreatePlace and through reopen.
	full := fullPlace("全-🏯-1")
	created, err := h.s.CreatePlace(ctx, full, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	h.reopen()
	got, err := h.s.Place(ctx, full.ID)
	if err != nil {
		t.Fatal(err)
	}
	full.Version, full.CreatedAt, full.UpdatedAt = 1, created.CreatedAt, created.UpdatedAt
	checkEqual(t, "full place after reopen", normPlace(full), normPlace(got))
	if n, ok := got.Attributes["n"].(json.Number); !ok || n != "3" {
		t.Errorf("attribute n = %#v, want json.Number 3", got.Attributes["n"])
	}
	// Numbers in attributes come back exactly (bbolt JSON, jsonb numeric), not as float64.
	exact := fullPlace("exact-numbers")
	exact.Attributes = map[string]any{"big": json.Number("12345678901234567890"), "dec": json.Number("1.10"),
		"neg": json.Number("-0.000000000000000000001"), "in": []any{json.Number("9007199254740993")}}
	if _, err := h.s.CreatePlace(ctx, exact, testMeta); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	if got, err := h.s.Place(ctx, exact.ID); err != nil || !reflect.DeepEqual(got.Attributes, exact.Attributes) {
		t.Errorf("exact numbers: %#v (%v), want %#v", got.Attributes, err, exact.Attributes)
	}
}

func testNilAndEmpty(t *testing.T, h *harness) {
	ctx := t.Context()
	a := gazetteer.Place{ID: "nil", Name: "甲", Category: "c", Status: gazetteer.StatusCurrent, Geometry: orb.Point{121, 29}}
	b := a
	b.ID = "empty"
	b.Aliases, b.DivisionCodes, b.FormerNames, b.Attributes = []string{}, []string{}, []gazetteer.FormerName{}, map[string]any{}
	for _, p := range []gazetteer.Place{a, b} {
		if _, err := h.s.CreatePlace(ctx, p, testMeta); err != nil {
			t.Fatal(err)
		}
	}
	ga, err1 := h.s.Place(ctx, "nil")
	gb, err2 := h.s.Place(ctx, "empty")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ga.ID, ga.CreatedAt, ga.UpdatedAt = "", time.Time{}, time.Time{}
	gb.ID, gb.CreatedAt, gb.UpdatedAt = "", time.Time{}, time.Time{}
	checkEqual(t, "nil vs empty slices and maps", normPlace(ga), normPlace(gb))
	if ga.Approval != nil || gb.Approval != nil {
		t.Errorf("nil Approval came back non-nil")
	}
	// Zero capacities are values, not "unknown".
	h.load(data.Batch{Facilities: fixtureFacilities()})
	f, err := h.s.Facility(ctx, "F-002")
	if err != nil {
		t.Fatal(err)
	}
	if f.CapacityBeds == nil || *f.CapacityBeds != 0 || f.SmartTerminal == nil || *f.SmartTerminal {
		t.Errorf("F-002: zero capacity / false terminal lost: beds %v terminal %v", f.CapacityBeds, f.SmartTerminal)
	}
	f, _ = h.s.Facility(ctx, "f-003")
	if f.CapacityBeds != nil || f.CapacityMealsPerDay != nil || f.SmartTerminal != nil {
		t.Errorf("f-003: unknown capacities came back set")
	}
}

func testPlacesBBox(t *testing.T, h *harness) {
	h.load(fixture())
	bb := func(x0, y0, x1, y1 float64) *orb.Bound {
		return &orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	cases := []struct {
		name string
		box  *orb.Bound
		want []string
	}{
		{"degenerate box on a point", bb(121.05, 29.05, 121.05, 29.05), []string{"B-001"}},
		{"touching a polygon's corner", bb(121.12, 29.02, 121.125, 29.025), []string{"B-002"}},
		{"touching a polygon's edge from outside", bb(121.09, 29.015, 121.11, 29.016), []string{"B-002"}},
		{"inside a line's bound, away from the line", bb(121.081, 29.075, 121.085, 29.079), []string{"a-003"}},
		{"multipoint on the island", bb(121.355, 29.025, 121.365, 29.035), []string{"地名-01"}},
		{"several, in ID order", bb(121.0, 29.0, 121.2, 29.1), []string{"B-001", "B-002", "a-003"}},
		{"just misses", bb(121.0501, 29.0501, 121.06, 29.06), nil},
		{"everything", bb(120, 28, 122, 30), placeOrder},
		{"far away", bb(100, 10, 101, 11), nil},
	}
	for _, c := range cases {
		got, n := places(t, h.s, gazetteer.PlaceQuery{BBox: c.box})
		checkIDs(t, c.name, c.want, got)
		if n != len(c.want) {
			t.Errorf("%s: NumberMatched %d, want %d", c.name, n, len(c.want))
		}
	}
	// The abolished place is in its box but hidden unless asked for.
	got, _ := places(t, h.s, gazetteer.PlaceQuery{BBox: bb(121.06, 29.14, 121.06, 29.14)})
	checkIDs(t, "abolished in box", nil, got)
	got, _ = places(t, h.s, gazetteer.PlaceQuery{BBox: bb(121.06, 29.14, 121.06, 29.14), Statuses: allStatuses})
	checkIDs(t, "abolished in box, all statuses", []string{"地名-02"}, got)
}

func testPlacesFilters(t *testing.T, h *harness) {
	h.load(fixture())
	cases := []struct {
		name string
		q    gazetteer.PlaceQuery
		want []string
	}{
		{"division township", gazetteer.PlaceQuery{Division: codeA}, []string{"B-001", "a-003"}},
		{"division village", gazetteer.PlaceQuery{Division: "330225001001"}, []string{"B-001"}},
		{"division prefix", gazetteer.PlaceQuery{Division: "3302251"}, []string{"Ω-1", "Ω-2", "Ω-3", "地名-01"}},
		{"division county", gazetteer.PlaceQuery{Division: codeCounty}, placeOrder},
		{"division none", gazetteer.PlaceQuery{Division: "9"}, nil},
		{"division longer than codes", gazetteer.PlaceQuery{Division: "3302250010019"}, nil},
		{"category", gazetteer.PlaceQuery{Category: "shop"}, []string{"Ω-1", "Ω-2", "Ω-3"}},
		{"category exact", gazetteer.PlaceQuery{Category: "sho"}, nil},
		{"category road", gazetteer.PlaceQuery{Category: "road"}, []string{"B-001", "a-003"}},
		{"default statuses", gazetteer.PlaceQuery{}, placeOrder},
		{"abolished", gazetteer.PlaceQuery{Statuses: []string{gazetteer.StatusAbolished}}, []string{"地名-02"}},
		{"historical", gazetteer.PlaceQuery{Statuses: []string{gazetteer.StatusHistorical}}, []string{"地名-01"}},
		{"current+abolished", gazetteer.PlaceQuery{Statuses: []string{gazetteer.StatusCurrent, gazetteer.StatusAbolished}},
			[]string{"B-001", "B-002", "a-003", "Ω-1", "Ω-2", "Ω-3", "地名-02"}},
		{"all statuses", gazetteer.PlaceQuery{Statuses: allStatuses}, append(append([]string{}, placeOrder...), "地名-02")},
		{"combined", gazetteer.PlaceQuery{Division: codeB, Category: "road"}, []string{"a-003"}},
		{"combined with bbox", gazetteer.PlaceQuery{Category: "shop",
			BBox: &orb.Bound{Min: orb.Point{121.255, 29}, Max: orb.Point{121.3, 29.1}}}, []string{"Ω-2", "Ω-3"}},
	}
	for _, c := range cases {
		got, n := places(t, h.s, c.q)
		checkIDs(t, c.name, c.want, got)
		if n != len(c.want) {
			t.Errorf("%s: NumberMatched %d, want %d", c.name, n, len(c.want))
		}
	}
	// Items are whole records.
	page, err := h.s.Places(t.Context(), gazetteer.PlaceQuery{Division: "330225001001"})
	if err != nil || len(page.Items) != 1 {
		t.Fatal(err)
	}
	one, _ := h.s.Place(t.Context(), "B-001")
	checkEqual(t, "listed place", normPlace(one), normPlace(page.Items[0]))
}

func testPlacesQ(t *testing.T, h *harness) {
	h.load(fixture())
	cases := []struct {
		q        string
		statuses []string
		want     []string
	}{
		{"公园", nil, []string{"B-002"}},                   // name
		{"象山", nil, []string{"B-002"}},                   // 专名
		{"象园", nil, []string{"B-002"}},                   // short name
		{"丹山", nil, []string{"B-002"}},                   // alias
		{"GONGYUAN", nil, []string{"B-002"}},             // pinyin, upper-case query
		{"xiangshan gong", nil, []string{"B-002"}},       // pinyin across the space
		{"  丹城 ", nil, []string{"B-001"}},                // trimmed
		{"   ", nil, placeOrder},                         // blank: no filter
		{"shipu", nil, []string{"地名-01"}},                // historical shown by default
		{"城隍", nil, nil},                                 // abolished hidden …
		{"城隍", []string{"abolished"}, []string{"地名-02"}}, // … unless asked for
		{"%", nil, []string{"Ω-1"}},                      // literal, not a wildcard
		{"50%", nil, []string{"Ω-1"}},                    // would match "50元" as a LIKE pattern
		{"_", nil, []string{"Ω-2"}},                      // literal, not a wildcard
		{"a_b", nil, []string{"Ω-2"}},                    // would match "axb" as a LIKE pattern
		{"A_B商", nil, []string{"Ω-2"}},
		{"axb", nil, []string{"Ω-3"}},
		{"%%", nil, nil},
		{"\\", nil, nil},
		{"不存在的地名", nil, nil},
	}
	for _, c := range cases {
		got, n := places(t, h.s, gazetteer.PlaceQuery{Q: c.q, Statuses: c.statuses})
		checkIDs(t, fmt.Sprintf("Q %q", c.q), c.want, got)
		if n != len(c.want) {
			t.Errorf("Q %q: NumberMatched %d, want %d", c.q, n, len(c.want))
		}
	}
	// Q combines with the other filters.
	got, _ := places(t, h.s, gazetteer.PlaceQuery{Q: "丹", Category: "road"})
	checkIDs(t, "Q 丹 + road", []string{"B-001"}, got)
}

func testPlacesPaging(t *testing.T, h *harness) {
	h.load(fixture())
	cases := []struct {
		limit, offset int
		want          []string
	}{
		{3, 0, placeOrder[0:3]},
		{3, 3, placeOrder[3:6]},
		{3, 6, placeOrder[6:]},
		{3, 7, nil},
		{3, 100, nil},
		{0, 0, placeOrder},
		{0, 5, placeOrder[5:]},
		{1, 4, placeOrder[4:5]},
		{100, 0, placeOrder},
	}
	for _, c := range cases {
		got, n := places(t, h.s, gazetteer.PlaceQuery{Limit: c.limit, Offset: c.offset})
		checkIDs(t, fmt.Sprintf("limit %d offset %d", c.limit, c.offset), c.want, got)
		if n != len(placeOrder) {
			t.Errorf("limit %d offset %d: NumberMatched %d, want %d", c.limit, c.offset, n, len(placeOrder))
		}
	}
	got, n := places(t, h.s, gazetteer.PlaceQuery{Category: "shop", Limit: 2, Offset: 1})
	checkIDs(t, "filtered page", []string{"Ω-2", "Ω-3"}, got)
	if n != 3 {
		t.Errorf("filtered page: NumberMatched %d, want 3", n)
	}
	// Walking the pages visits every place once, in order.
	var all []string
	for off := 0; ; off += 2 {
		ids, _ := places(t, h.s, gazetteer.PlaceQuery{Limit: 2, Offset: off, Statuses: allStatuses})
		if len(ids) == 0 {
			break
		}
		all = append(all, ids...)
	}
	checkIDs(t, "walk", append(append([]string{}, placeOrder...), "地名-02"), all)
}

// testIndexesFollowWrites checks that search, bbox and division indexes see creates and updates at once.
func testIndexesFollowWrites(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	v1, err := h.s.CreatePlace(ctx, gazetteer.Place{ID: "W-1", Name: "东门岛", Pinyin: "Dongmen Dao", Category: "island",
		Status: gazetteer.StatusCurrent, DivisionCodes: []string{codeC}, Geometry: orb.Point{121.39, 29.19}}, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	box := &orb.Bound{Min: orb.Point{121.385, 29.185}, Max: orb.Point{121.395, 29.195}}
	got, _ := places(t, h.s, gazetteer.PlaceQuery{Q: "dongmen"})
	checkIDs(t, "Q after create", []string{"W-1"}, got)
	got, _ = places(t, h.s, gazetteer.PlaceQuery{BBox: box})
	checkIDs(t, "bbox after create", []string{"W-1"}, got)

	upd := v1
	upd.Name, upd.Pinyin, upd.Category, upd.Status = "南门岛", "Nanmen Dao", "islet", gazetteer.StatusAbolished
	upd.DivisionCodes = []string{codeD}
	upd.Geometry = orb.Point{121.01, 29.01}
	if _, err := h.s.UpdatePlace(ctx, upd, 1, testMeta); err != nil {
		t.Fatal(err)
	}
	all := allStatuses
	for _, c := range []struct {
		name string
		q    gazetteer.PlaceQuery
		want []string
	}{
		{"old name", gazetteer.PlaceQuery{Q: "dongmen", Statuses: all}, nil},
		{"new name", gazetteer.PlaceQuery{Q: "南门", Statuses: all}, []string{"W-1"}},
		{"new name, default statuses", gazetteer.PlaceQuery{Q: "南门"}, nil},
		{"old box", gazetteer.PlaceQuery{BBox: box, Statuses: all}, nil},
		{"new box", gazetteer.PlaceQuery{BBox: &orb.Bound{Min: orb.Point{121.01, 29.01}, Max: orb.Point{121.01, 29.01}},
			Statuses: all}, []string{"W-1"}},
		{"old category", gazetteer.PlaceQuery{Category: "island", Statuses: all}, nil},
		{"new category", gazetteer.PlaceQuery{Category: "islet", Statuses: all}, []string{"W-1"}},
		{"old division", gazetteer.PlaceQuery{Division: codeC, Statuses: all}, []string{"Ω-1", "Ω-2", "Ω-3", "地名-01"}},
		{"new division", gazetteer.PlaceQuery{Division: codeD, Statuses: all}, []string{"W-1", "地名-02"}},
	} {
		got, _ := places(t, h.s, c.q)
		checkIDs(t, c.name, c.want, got)
	}
}

func testLocate(t *testing.T, h *harness) {
	h.load(fixture())
	check := func(when string) {
		vill := map[string]gazetteer.Division{}
		for _, d := range fixtureDivisions() {
			vill[d.Code] = d
		}
		cases := []struct {
			name     string
			p        orb.Point
			township string
			village  string
		}{
			{"in A", orb.Point{121.06, 29.055}, codeA, "330225001001"},
			{"in B", orb.Point{121.19, 29.01}, codeB, "330225002001"},
			{"in A, nearest village across the edge in B", orb.Point{121.099, 29.08}, codeA, "330225002202"},
			{"in D, nearest in metres not in degrees", orb.Point{121.12, 29.12}, codeD, "330225200203"},
			{"on a village point", orb.Point{121.15, 29.15}, codeD, "330225200201"},
			{"on C's island", orb.Point{121.37, 29.04}, codeC, "330225100202"},
			{"C's mainland", orb.Point{121.21, 29.09}, codeC, "330225100201"},
		}
		for _, c := range cases {
			loc, err := h.s.Locate(t.Context(), c.p)
			if err != nil {
				t.Errorf("%s: Locate%v: %v", when, c.p, err)
				continue
			}
			tw := vill[c.township]
			checkEqual(t, when+": "+c.name+": county", gazetteer.DivisionRef{Code: codeCounty, Name: "象山县", Kind: "county"},
				loc.County)
			checkEqual(t, when+": "+c.name+": township", gazetteer.DivisionRef{Code: tw.Code, Name: tw.Name, Kind: tw.Kind},
				loc.Township)
			if loc.Village == nil {
				t.Errorf("%s: %s: no village", when, c.name)
				continue
			}
			v := vill[c.village]
			checkEqual(t, when+": "+c.name+": village", gazetteer.DivisionRef{Code: v.Code, Name: v.Name, Kind: v.Kind},
				loc.Village.DivisionRef)
			wantD := geo.Distance(c.p, v.Geometry.(orb.Point))
			if math.Abs(loc.Village.DistanceM-wantD) > 1e-6 {
				t.Errorf("%s: %s: distance %.9f m, want %.9f m", when, c.name, loc.Village.DistanceM, wantD)
			}
		}
		for _, c := range []struct {
			name string
			p    orb.Point
		}{
			{"in D's hole", orb.Point{121.06, 29.14}},
			{"in the county, in no township", orb.Point{121.33, 29.15}},
			{"between C and its island", orb.Point{121.32, 29.03}},
			{"outside everything", orb.Point{120.5, 28.5}},
		} {
			if loc, err := h.s.Locate(t.Context(), c.p); !errors.Is(err, apierr.ErrNotFound) {
				t.Errorf("%s: %s: Locate%v = %+v, %v; want ErrNotFound", when, c.name, c.p, loc, err)
			}
		}
	}
	check("after import")
	h.reopen()
	check("after reopen")

	// Indexes follow imports: move 西谷社区 next to the B query point, rename B, and drop nothing else.
	b := fixtureDivisions()
	var changed []gazetteer.Division
	for _, d := range b {
		switch d.Code {
		case codeB:
			d.Name = "丹西新街道"
			changed = append(changed, d)
		case "330225002001":
			d.Geometry = orb.Point{121.1901, 29.0101}
			changed = append(changed, d)
		}
	}
	h.load(data.Batch{Divisions: changed})
	loc, err := h.s.Locate(t.Context(), orb.Point{121.19, 29.01})
	if err != nil {
		t.Fatal(err)
	}
	if loc.Township.Name != "丹西新街道" || loc.Village == nil || loc.Village.Code != "330225002001" ||
		math.Abs(loc.Village.DistanceM-geo.Distance(orb.Point{121.19, 29.01}, orb.Point{121.1901, 29.0101})) > 1e-6 {
		t.Errorf("Locate after re-import: %+v (village %+v)", loc, loc.Village)
	}
}

func testLocateWithoutVillages(t *testing.T, h *harness) {
	var b data.Batch
	for _, d := range fixtureDivisions() {
		if d.Level != gazetteer.LevelVillage {
			b.Divisions = append(b.Divisions, d)
		}
	}
	h.load(b)
	loc, err := h.s.Locate(t.Context(), orb.Point{121.06, 29.055})
	if err != nil {
		t.Fatal(err)
	}
	if loc.Township.Code != codeA || loc.County.Code != codeCounty || loc.Village != nil {
		t.Errorf("Locate without villages: %+v, village %+v; want A, county, no village", loc, loc.Village)
	}
}

func testDivisions(t *testing.T, h *harness) {
	h.load(fixture())
	codes := func(q gazetteer.DivisionQuery) []string {
		ds, err := h.s.Divisions(t.Context(), q)
		if err != nil {
			t.Fatalf("Divisions(%+v): %v", q, err)
		}
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.Code
		}
		return out
	}
	checkIDs(t, "townships", []string{codeA, codeB, codeC, codeD}, codes(gazetteer.DivisionQuery{Level: gazetteer.LevelTownship}))
	checkIDs(t, "county", []string{codeCounty}, codes(gazetteer.DivisionQuery{Level: gazetteer.LevelCounty}))
	checkIDs(t, "children of the county", []string{codeA, codeB, codeC, codeD}, codes(gazetteer.DivisionQuery{Parent: codeCounty}))
	checkIDs(t, "children of D", []string{"330225200201", "330225200202", "330225200203"},
		codes(gazetteer.DivisionQuery{Parent: codeD}))
	checkIDs(t, "villages of A", []string{"330225001001", "330225001201"},
		codes(gazetteer.DivisionQuery{Level: gazetteer.LevelVillage, Parent: codeA}))
	checkIDs(t, "townships under A", nil, codes(gazetteer.DivisionQuery{Level: gazetteer.LevelTownship, Parent: codeA}))
	checkIDs(t, "parent is not a prefix", nil, codes(gazetteer.DivisionQuery{Parent: "3302"}))
	all := fixtureDivisions()
	want := sortedBy(all, func(d gazetteer.Division) string { return d.Code })
	got, err := h.s.Divisions(t.Context(), gazetteer.DivisionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("all divisions: %d, want %d", len(got), len(want))
	}
	for i := range want {
		checkEqual(t, "division "+want[i].Code, want[i], got[i])
	}
}

func testLinesMarkers(t *testing.T, h *harness) {
	ctx := t.Context()
	if ls, err := h.s.BoundaryLines(ctx); err != nil || len(ls) != 0 {
		t.Errorf("BoundaryLines on an empty store: %v, %v", ls, err)
	}
	h.load(fixture())
	ls, err := h.s.BoundaryLines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	checkIDs(t, "lines", lineOrder, ids)
	if _, err := h.s.BoundaryLine(ctx, "象海线"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("BoundaryLine(unknown): %v, want ErrNotFound", err)
	}
	nums := func(line string) []string {
		ms, err := h.s.Markers(ctx, line)
		if err != nil {
			t.Fatalf("Markers(%s): %v", line, err)
		}
		var out []string
		for _, m := range ms {
			if m.LineID != line {
				t.Errorf("Markers(%s) returned marker %s of line %s", line, m.Number, m.LineID)
			}
			out = append(out, m.Number)
		}
		return out
	}
	checkIDs(t, "象宁线 markers", xiangningMarkerOrder, nums("象宁线"))
	checkIDs(t, "象奉线 markers", []string{"象奉001"}, nums("象奉线"))
	if ms, err := h.s.Markers(ctx, "象鄞线"); err != nil || len(ms) != 0 {
		t.Errorf("Markers of a line without markers: %v, %v; want none, no error", ms, err)
	}
	if _, err := h.s.Markers(ctx, "象海线"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("Markers(unknown line): %v, want ErrNotFound", err)
	}
	// A marker may refer to a line already in the store; re-importing a marker can move it to another line.
	moved := fixtureMarkers()[3] // 象奉001
	moved.LineID = "象鄞线"
	extra := gazetteer.Marker{Number: "象鄞001", LineID: "象鄞线", Type: gazetteer.MarkerSingle, Position: orb.Point{121.05, 29.2},
		Registered: gazetteer.RegisteredPosition{CRS: "EPSG:4490", AxisOrder: "lon,lat", First: 121.05, Second: 29.2}}
	h.load(data.Batch{Markers: []gazetteer.Marker{extra, moved}})
	checkIDs(t, "象鄞线 markers after import", []string{"象奉001", "象鄞001"}, nums("象鄞线"))
	checkIDs(t, "象奉线 markers after move", nil, nums("象奉线"))
}

func testFacilities(t *testing.T, h *harness) {
	h.load(fixture())
	bb := func(x0, y0, x1, y1 float64) *orb.Bound {
		return &orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	cases := []struct {
		name  string
		q     facilities.FacilityQuery
		want  []string
		total int
	}{
		{"all", facilities.FacilityQuery{}, facilityOrder, 5},
		{"type", facilities.FacilityQuery{Type: "canteen"}, []string{"F-002", "养老-02"}, 2},
		{"status", facilities.FacilityQuery{Status: "existing"}, []string{"F-001", "F-002", "养老-02"}, 3},
		{"township", facilities.FacilityQuery{Township: codeB}, []string{"F-002", "f-003"}, 2},
		{"township is exact", facilities.FacilityQuery{Township: "3302250"}, nil, 0},
		{"bbox, inclusive edges", facilities.FacilityQuery{BBox: bb(121.05, 29.06, 121.06, 29.06)}, []string{"F-001", "养老-02"}, 2},
		{"bbox, in ID order", facilities.FacilityQuery{BBox: bb(121.0, 29.0, 121.2, 29.1)},
			[]string{"F-001", "F-002", "f-003", "养老-02"}, 4},
		{"bbox misses", facilities.FacilityQuery{BBox: bb(121.051, 29.061, 121.059, 29.07)}, nil, 0},
		{"combined", facilities.FacilityQuery{Type: "canteen", Township: codeA}, []string{"养老-02"}, 1},
		{"page", facilities.FacilityQuery{Limit: 2, Offset: 1}, []string{"F-002", "f-003"}, 5},
		{"last page", facilities.FacilityQuery{Limit: 2, Offset: 4}, []string{"养老-02"}, 5},
		{"past the end", facilities.FacilityQuery{Limit: 2, Offset: 9}, nil, 5},
		{"filtered page", facilities.FacilityQuery{Status: "existing", Limit: 1, Offset: 1}, []string{"F-002"}, 3},
	}
	for _, c := range cases {
		page, err := h.s.Facilities(t.Context(), c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var ids []string
		for _, f := range page.Items {
			ids = append(ids, f.ID)
		}
		checkIDs(t, c.name, c.want, ids)
		if page.NumberMatched != c.total {
			t.Errorf("%s: NumberMatched %d, want %d", c.name, page.NumberMatched, c.total)
		}
	}
}

func testDemand(t *testing.T, h *harness) {
	h.load(fixture())
	all := sortedBy(fixtureDemand(), func(d facilities.DemandUnit) string { return d.Code })
	for _, c := range []struct {
		township string
		want     []facilities.DemandUnit
	}{
		{"", all},
		{codeA, all[:2]},
		{codeC, all[3:]},
		{codeD, nil},
		{"3302250", nil},
	} {
		got, err := h.s.Demand(t.Context(), c.township)
		if err != nil {
			t.Fatalf("Demand(%q): %v", c.township, err)
		}
		checkEqual(t, "Demand("+c.township+")", struct{ D []facilities.DemandUnit }{nilIfEmpty(c.want)},
			struct{ D []facilities.DemandUnit }{nilIfEmpty(got)})
	}
}

func testImportUpsert(t *testing.T, h *harness) {
	ctx := t.Context()
	if st, err := h.s.Import(ctx, data.Batch{}, testMeta); err != nil || counts(st) != (importCounts{}) {
		t.Errorf("empty import: %+v, %v", st, err)
	}
	b := fixture()
	b.Places[1].Version = 7 // ignored
	b.Places[1].CreatedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Facilities[0].Version = 9
	st := h.load(b)
	if want := (importCounts{Inserted: b.Len()}); counts(st) != want {
		t.Errorf("first import: %+v, want %+v", st, want)
	}
	first := takeSnapshot(t, h.s)
	time.Sleep(2 * time.Millisecond)
	// The same records again: a no-op (no versions), every record reported unchanged.
	st = h.load(fixture())
	if want := (importCounts{Unchanged: b.Len()}); counts(st) != want {
		t.Errorf("identical re-import: %+v, want %+v", counts(st), want)
	}
	checkSnapshot(t, "identical re-import", first, takeSnapshot(t, h.s))
	// Every place and facility changed, the other records the same.
	b2 := fixture()
	for i := range b2.Places {
		b2.Places[i].Description += "（修订）"
	}
	for i := range b2.Facilities {
		b2.Facilities[i].Name += "（新）"
	}
	st = h.load(b2)
	if want := (importCounts{Updated: len(b2.Places) + len(b2.Facilities),
		Unchanged: b.Len() - len(b2.Places) - len(b2.Facilities)}); counts(st) != want {
		t.Errorf("second import: %+v, want %+v", counts(st), want)
	}
	second := takeSnapshot(t, h.s)
	if len(second.Places) != len(first.Places) || len(second.Divisions) != len(first.Divisions) ||
		len(second.Facilities) != len(first.Facilities) || len(second.Demand) != len(first.Demand) ||
		len(second.Lines) != len(first.Lines) || len(second.Markers["象宁线"]) != len(first.Markers["象宁线"]) {
		t.Errorf("second import changed the counts")
	}
	checkEqual(t, "divisions after re-import", struct{ D []gazetteer.Division }{first.Divisions},
		struct{ D []gazetteer.Division }{second.Divisions})
	for i, p := range second.Places {
		old := first.Places[i]
		if old.Version != 1 || p.Version != 2 {
			t.Errorf("place %s: versions %d then %d, want 1 then 2", p.ID, old.Version, p.Version)
		}
		if !p.CreatedAt.Equal(old.CreatedAt) || !p.UpdatedAt.After(old.UpdatedAt) {
			t.Errorf("place %s: created %v→%v updated %v→%v", p.ID, old.CreatedAt, p.CreatedAt, old.UpdatedAt, p.UpdatedAt)
		}
		if h := second.History[p.ID]; len(h) != 2 || h[0].Version != 1 || h[1].Version != 2 {
			t.Errorf("place %s: history %d entries", p.ID, len(h))
		} else {
			checkEqual(t, "history[0] of "+p.ID, old, h[0])
		}
	}
	for i, f := range second.Facilities {
		if first.Facilities[i].Version != 1 || f.Version != 2 || !f.UpdatedAt.After(first.Facilities[i].UpdatedAt) {
			t.Errorf("facility %s: versions %d then %d", f.ID, first.Facilities[i].Version, f.Version)
		}
	}
	// A mixed batch: one new place, one replaced place.
	p := fixturePlaces()[1] // B-001
	p.Name = "丹城新路"
	st = h.load(data.Batch{Places: []gazetteer.Place{p, {ID: "新-1", Name: "新桥", Category: "bridge",
		Status: gazetteer.StatusCurrent, Geometry: orb.Point{121.11, 29.11}}}})
	if counts(st) != (importCounts{Inserted: 1, Updated: 1}) {
		t.Errorf("mixed import: %+v, want 1 inserted 1 updated", st)
	}
	if got, _ := h.s.Place(ctx, "B-001"); got.Version != 3 || got.Name != "丹城新路" {
		t.Errorf("B-001 after third import: version %d name %q", got.Version, got.Name)
	}
	got, _ := places(t, h.s, gazetteer.PlaceQuery{Q: "丹城新"})
	checkIDs(t, "Q after import", []string{"B-001"}, got)
}

func testImportAtomic(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	before := takeSnapshot(t, h.s)
	locBefore, err := h.s.Locate(ctx, orb.Point{121.06, 29.055})
	if err != nil {
		t.Fatal(err)
	}

	// good is a batch of valid new and replacing records of every kind; each bad batch appends one violation last.
	good := func() data.Batch {
		d := fixtureDivisions()[3] // township A
		d.Name = "改名街道"
		p := fixturePlaces()[1] // B-001
		p.Name = "改名路"
		return data.Batch{
			Divisions: []gazetteer.Division{d, {Code: "330225300", Name: "新乡", Level: gazetteer.LevelTownship,
				Kind: "township", ParentCode: codeCounty, Geometry: orb.Polygon{square(121.3, 29.1, 121.4, 29.2)}}},
			Places: []gazetteer.Place{p, {ID: "新-1", Name: "原子桥", Category: "bridge", Status: gazetteer.StatusCurrent,
				Geometry: orb.Point{121.35, 29.15}}},
			Lines: []gazetteer.BoundaryLine{{ID: "象海线", Name: "海上", LeftCode: codeCounty, RightCode: "330000",
				Geometry: orb.LineString{{121.3, 29.2}, {121.4, 29.2}}}},
			Markers: []gazetteer.Marker{{Number: "象海001", LineID: "象海线", Type: gazetteer.MarkerSingle,
				Position: orb.Point{121.35, 29.2}}},
			Facilities: []facilities.Facility{{ID: "F-新", Name: "新院", Type: "nursing_home", Status: "planned",
				TownshipCode: codeA, Location: orb.Point{121.35, 29.15}}},
			Demand: []facilities.DemandUnit{{Code: "330225300201", Name: "新村", TownshipCode: "330225300",
				ElderlyPopulation: 10, Location: orb.Point{121.35, 29.15}}},
		}
	}
	type bad struct {
		name    string
		mutate  func(b *data.Batch)
		invalid bool // else ErrConflict
	}
	cases := []bad{
		{"marker on an unknown line", func(b *data.Batch) {
			b.Markers = append(b.Markers, gazetteer.Marker{Number: "象无001", LineID: "不存在线", Type: gazetteer.MarkerSingle})
		}, true},
		{"marker without a line", func(b *data.Batch) {
			b.Markers = append(b.Markers, gazetteer.Marker{Number: "象无002", Type: gazetteer.MarkerSingle})
		}, true},
		{"duplicate place ID", func(b *data.Batch) { b.Places = append(b.Places, b.Places[1]) }, false},
		{"duplicate existing place ID", func(b *data.Batch) { b.Places = append(b.Places, b.Places[0]) }, false},
		{"duplicate division code", func(b *data.Batch) { b.Divisions = append(b.Divisions, b.Divisions[1]) }, false},
		{"duplicate line ID", func(b *data.Batch) { b.Lines = append(b.Lines, b.Lines[0]) }, false},
		{"duplicate marker number", func(b *data.Batch) { b.Markers = append(b.Markers, b.Markers[0]) }, false},
		{"duplicate facility ID", func(b *data.Batch) { b.Facilities = append(b.Facilities, b.Facilities[0]) }, false},
		{"duplicate demand code", func(b *data.Batch) { b.Demand = append(b.Demand, b.Demand[0]) }, false},
		{"empty place ID", func(b *data.Batch) {
			b.Places = append(b.Places, gazetteer.Place{Name: "无号", Category: "x", Status: gazetteer.StatusCurrent,
				Geometry: orb.Point{121, 29}})
		}, true},
		{"empty division code", func(b *data.Batch) {
			b.Divisions = append(b.Divisions, gazetteer.Division{Name: "无码", Level: gazetteer.LevelVillage,
				Geometry: orb.Point{121, 29}})
		}, true},
		{"empty line ID", func(b *data.Batch) {
			b.Lines = append(b.Lines, gazetteer.BoundaryLine{Name: "无号线", Geometry: orb.LineString{{121, 29}, {121, 30}}})
		}, true},
		{"empty marker number", func(b *data.Batch) {
			b.Markers = append(b.Markers, gazetteer.Marker{LineID: "象宁线", Position: orb.Point{121, 29}})
		}, true},
		{"empty facility ID", func(b *data.Batch) {
			b.Facilities = append(b.Facilities, facilities.Facility{Name: "无号", Location: orb.Point{121, 29}})
		}, true},
		{"empty demand code", func(b *data.Batch) {
			b.Demand = append(b.Demand, facilities.DemandUnit{Name: "无码", Location: orb.Point{121, 29}})
		}, true},
	}
	for _, c := range cases {
		b := good()
		c.mutate(&b)
		st, err := h.s.Import(ctx, b, testMeta)
		if err == nil {
			t.Errorf("%s: Import succeeded (%+v), want an error", c.name, st)
			continue
		}
		if c.invalid {
			wantInvalid(t, c.name, err)
		} else {
			wantErr(t, c.name, err, apierr.ErrConflict)
		}
		checkSnapshot(t, c.name, before, takeSnapshot(t, h.s))
		// The in-memory indexes were not touched either.
		if ids, _ := places(t, h.s, gazetteer.PlaceQuery{Q: "改名"}); len(ids) != 0 {
			t.Errorf("%s: Q finds %q from the failed batch", c.name, ids)
		}
		if ids, _ := places(t, h.s, gazetteer.PlaceQuery{BBox: &orb.Bound{Min: orb.Point{121.35, 29.15}, Max: orb.Point{121.35, 29.15}}}); len(ids) != 0 {
			t.Errorf("%s: bbox finds %q from the failed batch", c.name, ids)
		}
		if loc, err := h.s.Locate(ctx, orb.Point{121.06, 29.055}); err != nil || loc.Township != locBefore.Township {
			t.Errorf("%s: Locate after the failed batch: %+v, %v", c.name, loc.Township, err)
		}
		if _, err := h.s.Locate(ctx, orb.Point{121.35, 29.15}); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("%s: Locate finds the failed batch's township: %v", c.name, err)
		}
	}
	// The good batch itself goes in, and the marker may refer to the line in the same batch.
	st := h.load(good())
	if counts(st) != (importCounts{Inserted: 6, Updated: 2}) {
		t.Errorf("good batch: %+v, want 6 inserted, 2 updated", st)
	}
	loc, err := h.s.Locate(ctx, orb.Point{121.35, 29.15})
	if err != nil || loc.Township.Code != "330225300" {
		t.Errorf("Locate in the new township: %+v, %v", loc.Township, err)
	}
}

func testReopen(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	v1, err := h.s.CreatePlace(ctx, fullPlace("重开-1"), testMeta)
	if err != nil {
		t.Fatal(err)
	}
	upd := v1
	upd.Name = "重开后的名字"
	upd.Geometry = orb.Point{121.39, 29.19}
	if _, err := h.s.UpdatePlace(ctx, upd, 1, testMeta); err != nil {
		t.Fatal(err)
	}
	want := takeSnapshot(t, h.s)
	h.reopen()
	if err := h.s.Ready(ctx); err != nil {
		t.Fatalf("Ready after reopen: %v", err)
	}
	checkSnapshot(t, "reopen", want, takeSnapshot(t, h.s))
	got, _ := places(t, h.s, gazetteer.PlaceQuery{Q: "重开后"})
	checkIDs(t, "Q after reopen", []string{"重开-1"}, got)
	got, _ = places(t, h.s, gazetteer.PlaceQuery{Q: "gongyuan"})
	checkIDs(t, "Q pinyin after reopen", []string{"B-002"}, got)
	got, _ = places(t, h.s, gazetteer.PlaceQuery{BBox: &orb.Bound{Min: orb.Point{121.39, 29.19}, Max: orb.Point{121.39, 29.19}}})
	checkIDs(t, "bbox after reopen", []string{"重开-1"}, got)
	loc, err := h.s.Locate(ctx, orb.Point{121.12, 29.12})
	if err != nil || loc.Township.Code != codeD || loc.Village == nil || loc.Village.Code != "330225200203" {
		t.Errorf("Locate after reopen: %+v, %v", loc, err)
	}
	fp, err := h.s.Facilities(ctx, facilities.FacilityQuery{BBox: &orb.Bound{Min: orb.Point{121.05, 29.06}, Max: orb.Point{121.06, 29.06}}})
	if err != nil || fp.NumberMatched != 2 {
		t.Errorf("facility bbox after reopen: %+v, %v", fp.NumberMatched, err)
	}
	// Writes still work after reopen, and versions continue.
	v3, err := h.s.UpdatePlace(ctx, upd, 2, testMeta)
	if err != nil || v3.Version != 3 {
		t.Errorf("update after reopen: version %d, %v", v3.Version, err)
	}
}

func testConcurrent(t *testing.T, h *harness) {
	ctx := t.Context()
	h.load(fixture())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	stop := make(chan struct{})
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch (i + r) % 4 {
				case 0:
					_, err = h.s.Locate(ctx, orb.Point{121.06, 29.055})
				case 1:
					_, err = h.s.Places(ctx, gazetteer.PlaceQuery{Q: "并发", Limit: 5})
				case 2:
					_, err = h.s.Facilities(ctx, facilities.FacilityQuery{Type: "canteen"})
				case 3:
					_, err = h.s.Places(ctx, gazetteer.PlaceQuery{BBox: &orb.Bound{Min: orb.Point{121, 29}, Max: orb.Point{121.4, 29.2}}})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range 20 {
		p := gazetteer.Place{ID: fmt.Sprintf("并发-%02d", i), Name: fmt.Sprintf("并发地名%d", i), Category: "c",
			Status: gazetteer.StatusCurrent, Geometry: orb.Point{121.01 + float64(i)/1000, 29.01}}
		v, err := h.s.CreatePlace(ctx, p, testMeta)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.s.UpdatePlace(ctx, v, 1, testMeta); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.s.Import(ctx, fixture(), testMeta); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent read: %v", err)
	}
	_, n := places(t, h.s, gazetteer.PlaceQuery{Q: "并发"})
	if n != 20 {
		t.Errorf("after concurrent writes: %d places match, want 20", n)
	}
}
