package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/facilities"
	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// harness holds one subtest's store and lets it re-open the same backing.
type harness struct {
	t    *testing.T
	open Opener
	s    data.Store
}

func newHarness(t *testing.T, open Opener) *harness {
	h := &harness{t: t, open: open}
	h.s = h.mustOpen()
	t.Cleanup(func() {
		if h.s != nil {
			if err := h.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return h
}

func (h *harness) mustOpen() data.Store {
	h.t.Helper()
	s, err := h.open()
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	return s
}

// reopen closes the store and opens the same backing again.
func (h *harness) reopen() {
	h.t.Helper()
	s := h.s
	h.s = nil
	if err := s.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.s = h.mustOpen()
}

func (h *harness) load(b data.Batch) data.ImportStats {
	h.t.Helper()
	st, err := h.s.Import(h.t.Context(), b, testMeta)
	if err != nil {
		h.t.Fatalf("Import: %v", err)
	}
	return st
}

// normJSON maps a value through JSON, the way both stores hold attributes (numbers become float64, nested values
// map[string]any / []any); empty maps become nil.
func normJSON(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// canonTime drops the monotonic reading and the location so that equal instants compare equal with reflect.DeepEqual.
func canonTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

// normPlace is the suite's equality for places: nil and empty slices and maps are the same; attributes compare as JSON.
func normPlace(p gazetteer.Place) gazetteer.Place {
	p.Aliases = nilIfEmpty(p.Aliases)
	p.DivisionCodes = nilIfEmpty(p.DivisionCodes)
	p.FormerNames = nilIfEmpty(p.FormerNames)
	p.Attributes = normJSON(p.Attributes)
	p.CreatedAt = canonTime(p.CreatedAt)
	p.UpdatedAt = canonTime(p.UpdatedAt)
	if p.Approval != nil {
		a := *p.Approval
		p.Approval = &a
	}
	return p
}

func normFacility(f facilities.Facility) facilities.Facility {
	f.Attributes = normJSON(f.Attributes)
	f.UpdatedAt = canonTime(f.UpdatedAt)
	return f
}

// diff reports the top-level fields of two structs of the same type that differ, or "" when they are equal.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	if wv.Kind() != reflect.Struct || wv.Type() != gv.Type() {
		return fmt.Sprintf("want %#v\ngot  %#v", want, got)
	}
	var b strings.Builder
	for i := range wv.NumField() {
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if !reflect.DeepEqual(w, g) {
			fmt.Fprintf(&b, "\n  %s: want %s, got %s", wv.Type().Field(i).Name, show(w), show(g))
		}
	}
	if b.Len() == 0 { // differing only in unexported state
		return fmt.Sprintf("want %#v\ngot  %#v", want, got)
	}
	return b.String()
}

func show(v any) string {
	switch x := v.(type) {
	case orb.Geometry:
		if x == nil {
			return "<nil geometry>"
		}
		return fmt.Sprintf("%s%v", x.GeoJSONType(), x)
	case time.Time:
		return x.Format(time.RFC3339Nano) + " (" + x.Location().String() + ")"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return fmt.Sprintf("%s (%T)", b, v)
}

func checkEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Errorf("%s differs:%s", what, d)
	}
}

func wantErr(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: got error %v, want one wrapping %q", what, err, kind)
	}
}

func wantInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if _, ok := apierr.AsInvalid(err); !ok {
		t.Errorf("%s: got error %v, want an apierr.Invalid", what, err)
	}
}

func placeIDs(items []gazetteer.Place) []string {
	ids := make([]string, len(items))
	for i, p := range items {
		ids[i] = p.ID
	}
	return ids
}

// places runs a query and returns the IDs in the order the store gave them and NumberMatched.
func places(t *testing.T, s data.Store, q gazetteer.PlaceQuery) ([]string, int) {
	t.Helper()
	page, err := s.Places(t.Context(), q)
	if err != nil {
		t.Fatalf("Places(%+v): %v", q, err)
	}
	return placeIDs(page.Items), page.NumberMatched
}

func checkIDs(t *testing.T, what string, want, got []string) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(want, got) {
		t.Errorf("%s: got IDs %q, want %q", what, got, want)
	}
}

// checkTime asserts a store-set timestamp: UTC, microsecond precision, within [from, to].
func checkTime(t *testing.T, what string, ts, from, to time.Time) {
	t.Helper()
	if ts.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, ts.Location())
	}
	if ts.Nanosecond()%1000 != 0 {
		t.Errorf("%s: %v has sub-microsecond digits", what, ts)
	}
	if ts.Before(from.Truncate(time.Microsecond)) || ts.After(to) {
		t.Errorf("%s: %v not within [%v, %v]", what, ts, from, to)
	}
}

// snapshot is everything a store holds, as the read API shows it.
type snapshot struct {
	Divisions  []gazetteer.Division
	Places     []gazetteer.Place
	History    map[string][]gazetteer.Place
	Lines      []gazetteer.BoundaryLine
	Markers    map[string][]gazetteer.Marker
	Facilities []facilities.Facility
	Demand     []facilities.DemandUnit
}

var allStatuses = []string{gazetteer.StatusCurrent, gazetteer.StatusHistorical, gazetteer.StatusAbolished}

func takeSnapshot(t *testing.T, s data.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	var sn snapshot
	var err error
	if sn.Divisions, err = s.Divisions(ctx, gazetteer.DivisionQuery{}); err != nil {
		t.Fatalf("Divisions: %v", err)
	}
	page, err := s.Places(ctx, gazetteer.PlaceQuery{Statuses: allStatuses})
	if err != nil {
		t.Fatalf("Places: %v", err)
	}
	sn.History = map[string][]gazetteer.Place{}
	for _, p := range page.Items {
		sn.Places = append(sn.Places, normPlace(p))
		h, err := placeHistory(t, s, p.ID)
		if err != nil {
			t.Fatalf("PlaceHistory(%q): %v", p.ID, err)
		}
		for _, v := range h {
			sn.History[p.ID] = append(sn.History[p.ID], normPlace(v))
		}
	}
	if sn.Lines, err = s.BoundaryLines(ctx); err != nil {
		t.Fatalf("BoundaryLines: %v", err)
	}
	sn.Markers = map[string][]gazetteer.Marker{}
	for _, l := range sn.Lines {
		ms, err := s.Markers(ctx, l.ID)
		if err != nil {
			t.Fatalf("Markers(%q): %v", l.ID, err)
		}
		if len(ms) > 0 {
			sn.Markers[l.ID] = ms
		}
	}
	fp, err := s.Facilities(ctx, facilities.FacilityQuery{})
	if err != nil {
		t.Fatalf("Facilities: %v", err)
	}
	for _, f := range fp.Items {
		sn.Facilities = append(sn.Facilities, normFacility(f))
	}
	if sn.Demand, err = s.Demand(ctx, ""); err != nil {
		t.Fatalf("Demand: %v", err)
	}
	sn.Divisions = nilIfEmpty(sn.Divisions)
	sn.Lines = nilIfEmpty(sn.Lines)
	sn.Demand = nilIfEmpty(sn.Demand)
	return sn
}

func checkSnapshot(t *testing.T, what string, want, got snapshot) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Errorf("%s: store contents changed:%s", what, d)
	}
}

func sortedBy[T any](xs []T, key func(T) string) []T {
	out := slices.Clone(xs)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

// testMeta is the write metadata of the suite's own writes.
var testMeta = edit.Meta{Actor: "storetest", Role: edit.RoleEditor, Action: "test", Reason: "conformance suite"}

// placeHistory decodes the versions of a place (History) back into places, oldest first.
func placeHistory(t *testing.T, s data.Store, id string) ([]gazetteer.Place, error) {
	t.Helper()
	vs, err := s.History(t.Context(), edit.KindPlace, id)
	if err != nil {
		return nil, err
	}
	out := make([]gazetteer.Place, 0, len(vs))
	for _, v := range vs {
		p, err := decodePlaceDoc(v.Record)
		if err != nil {
			t.Fatalf("version %d of %q: %v", v.Version, id, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// decodePlaceDoc reads a place's API document (a GeoJSON Feature whose properties are the Place's JSON fields).
func decodePlaceDoc(doc []byte) (gazetteer.Place, error) {
	var f struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties gazetteer.Place `json:"properties"`
	}
	if err := json.Unmarshal(doc, &f); err != nil {
		return gazetteer.Place{}, err
	}
	p := f.Properties
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		g, err := geo.DecodeGeometry(f.Geometry)
		if err != nil {
			return p, err
		}
		p.Geometry = g
	}
	return p, nil
}

// importCounts are ImportStats without the per-record results.
type importCounts struct{ Inserted, Updated, Unchanged int }

func counts(st data.ImportStats) importCounts {
	return importCounts{st.Inserted, st.Updated, st.Unchanged}
}
