package storetest

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/ogc"
	"civmap/ogc/cql2"
)

// ogcFilterCases is the one table of CQL2 filters both stores must answer identically: the fixture's features that
// each matches, worked out by hand from fixtures.go (SQL's three-valued logic: a comparison with a null property is
// unknown, and NOT unknown is unknown, so such a record never matches; strings compare in byte order).
var ogcFilterCases = []struct {
	collection, filter string // filter: CQL2 Text, or CQL2 JSON when it starts with "{"
	want               []string
}{
	{ogc.Places, "category = 'road'", []string{"B-001", "a-003"}},
	{ogc.Places, "name LIKE '%50%'", []string{"Ω-1", "Ω-3"}},
	{ogc.Places, `name LIKE '%\%%'`, []string{"Ω-1"}},
	{ogc.Places, `name LIKE 'A\_B%'`, []string{"Ω-2"}},
	{ogc.Places, "name LIKE 'A_B%'", []string{"Ω-2", "Ω-3"}},
	{ogc.Places, "pinyin IS NULL", []string{"Ω-1", "Ω-2", "Ω-3"}},
	{ogc.Places, "NOT (pinyin = 'Dancheng Lu')", []string{"B-002", "a-003", "地名-01"}},
	{ogc.Places, "status = 'historical'", []string{"地名-01"}},
	{ogc.Places, "status = 'abolished'", nil}, // abolished places are not features
	{ogc.Places, "id > 'B-002' AND id < 'Ω-3'", []string{"a-003", "Ω-1", "Ω-2"}},
	{ogc.Places, "S_INTERSECTS(geometry, BBOX(121.0, 29.0, 121.1, 29.1))", []string{"B-001", "a-003"}},
	{ogc.Places, "S_WITHIN(geometry, POLYGON((121.0 29.0, 121.2 29.0, 121.2 29.1, 121.0 29.1, 121.0 29.0)))",
		[]string{"B-001", "B-002", "a-003"}},
	{ogc.Places, "S_INTERSECTS(geometry, POINT(121.36 29.03))", []string{"地名-01"}},
	{ogc.Places, "heritage = false AND category IN ('shop', 'harbour')", []string{"Ω-1", "Ω-2", "Ω-3", "地名-01"}},
	{ogc.Places, "updated_at > TIMESTAMP('2000-01-01T00:00:00Z') AND version BETWEEN 1 AND 1", placeOrder},
	{ogc.Places, "year_established IS NULL OR pinyin NOT IN ('Shipu Yugang')", placeOrder},
	{ogc.Places, `{"op":"or","args":[{"op":"=","args":[{"property":"id"},"B-001"]},{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[121.27,29.06]}]}]}`,
		[]string{"B-001", "Ω-3"}},

	{ogc.Facilities, "capacity_beds > 50", []string{"F-001"}},
	{ogc.Facilities, "capacity_beds = 0", []string{"F-002"}},
	{ogc.Facilities, "capacity_beds IS NULL", []string{"f-003", "养老-01", "养老-02"}},
	{ogc.Facilities, "NOT (capacity_beds > 50)", []string{"F-002"}},
	{ogc.Facilities, "smart_terminal = true OR capacity_meals_per_day >= 100", []string{"F-001", "F-002"}},
	{ogc.Facilities, "type = 'canteen' AND township_code = '330225001'", []string{"养老-02"}},
	{ogc.Facilities, "status <> 'existing'", []string{"f-003", "养老-01"}},
	{ogc.Facilities, `{"op":"s_within","args":[{"property":"geometry"},{"bbox":[121.1,29.0,121.2,29.1]}]}`, []string{"F-002", "f-003"}},
	{ogc.Facilities, "name NOT LIKE '%西谷%'", []string{"F-001", "养老-01", "养老-02"}},
	{ogc.Facilities, "capacity_meals_per_day NOT BETWEEN 100 AND 300", []string{"养老-02"}},

	{ogc.Divisions, "level = 'township' AND kind = 'subdistrict'", []string{"330225001", "330225002"}},
	{ogc.Divisions, "parent_code = '330225001'", []string{"330225001001", "330225001201"}},
	// In township D's hole: only the county's polygon holds the point.
	{ogc.Divisions, "S_INTERSECTS(geometry, POINT(121.065 29.145))", []string{"330225"}},
	{ogc.Divisions, "S_WITHIN(geometry, BBOX(121.34, 29.0, 121.4, 29.06))", []string{"330225100202"}},
	{ogc.Divisions, "code LIKE '3302252002%'", []string{"330225200201", "330225200202", "330225200203"}},

	{ogc.BoundaryLines, "registered_length_m > 1000", []string{"象宁线"}},
	{ogc.BoundaryLines, "right_name IS NULL", []string{"象奉线"}},
	{ogc.BoundaryLines, "S_INTERSECTS(geometry, POINT(121.15 29.2))", []string{"象奉线"}},

	{ogc.Markers, "pair_letter IS NULL", []string{"象奉001", "象宁001", "象宁002"}},
	{ogc.Markers, "type = '双立' AND material = '混凝土'", []string{"象宁006A", "象宁006B", "象宁010A", "象宁010B"}},
	{ogc.Markers, "line_id = '象奉线' OR registered_year <> 2018", []string{"象奉001"}},

	{ogc.Demand, "elderly_population >= 455", []string{"330225001001", "330225002001"}},
	{ogc.Demand, "elderly_population = 0", []string{"330225100202"}},
	{ogc.Demand, "township_code IN ('330225001', '330225100')", []string{"330225001001", "330225001201", "330225100202"}},
}

func ogcStore(t *testing.T, s data.Store) ogc.FeatureStore {
	fs, ok := s.(ogc.FeatureStore)
	if !ok {
		t.Fatalf("%T does not implement ogc.FeatureStore", s)
	}
	return fs
}

func parseOGCFilter(t *testing.T, collection, src string) cql2.Expr {
	t.Helper()
	var e cql2.Expr
	var err error
	if strings.HasPrefix(src, "{") {
		e, err = cql2.ParseJSON([]byte(src))
	} else {
		e, err = cql2.ParseText(src)
	}
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	c, _ := ogc.CollectionByID(collection)
	if err := cql2.Check(e, func(n string) (cql2.Type, bool) { q, ok := c.Queryable(n); return q.Type, ok }, nil); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return e
}

func ogcIDs(fs []ogc.Feature) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

// testOGCFilters runs ogcFilterCases: every match in one page and numberMatched.
func testOGCFilters(t *testing.T, h *harness) {
	h.load(fixture())
	fs := ogcStore(t, h.s)
	ctx := context.Background()
	for _, c := range ogcFilterCases {
		q := ogc.Query{Collection: c.collection, Filter: parseOGCFilter(t, c.collection, c.filter), Limit: 100}
		p, err := fs.Items(ctx, q)
		if err != nil {
			t.Errorf("%s %s: %v", c.collection, c.filter, err)
			continue
		}
		checkIDs(t, c.collection+" "+c.filter, c.want, ogcIDs(p.Features))
		if p.NumberMatched != len(c.want) || p.More {
			t.Errorf("%s %s: numberMatched %d, more %v; want %d, false", c.collection, c.filter, p.NumberMatched, p.More, len(c.want))
		}
	}
}

// testOGCPaging: keyset pages forwards and backwards, with and without a filter, never skip or repeat; Item and
// Extent.
func testOGCPaging(t *testing.T, h *harness) {
	h.load(fixture())
	fs := ogcStore(t, h.s)
	ctx := context.Background()
	page := func(q ogc.Query) ogc.Page {
		t.Helper()
		p, err := fs.Items(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return p
	}
	for _, step := range []struct {
		q    ogc.Query
		want []string
		more bool
	}{
		{ogc.Query{Collection: ogc.Places, Limit: 3}, []string{"B-001", "B-002", "a-003"}, true},
		{ogc.Query{Collection: ogc.Places, Limit: 3, After: "a-003"}, []string{"Ω-1", "Ω-2", "Ω-3"}, true},
		{ogc.Query{Collection: ogc.Places, Limit: 3, After: "Ω-3"}, []string{"地名-01"}, false},
		{ogc.Query{Collection: ogc.Places, Limit: 3, Before: "地名-01"}, []string{"Ω-1", "Ω-2", "Ω-3"}, true},
		{ogc.Query{Collection: ogc.Places, Limit: 3, Before: "Ω-1"}, []string{"B-001", "B-002", "a-003"}, false},
		{ogc.Query{Collection: ogc.Places, Limit: 3, After: "地名-01"}, nil, false},
		// A cursor key that is not a feature (the abolished place) still pages correctly.
		{ogc.Query{Collection: ogc.Places, Limit: 1, After: "Ω-3"}, []string{"地名-01"}, false},
		{ogc.Query{Collection: ogc.Places, Limit: 2, Before: "地名-02"}, []string{"Ω-3", "地名-01"}, true},
	} {
		p := page(step.q)
		checkIDs(t, "page", step.want, ogcIDs(p.Features))
		if p.More != step.more || p.NumberMatched != len(placeOrder) {
			t.Errorf("%+v: more %v numberMatched %d, want %v %d", step.q, p.More, p.NumberMatched, step.more, len(placeOrder))
		}
	}
	shops := parseOGCFilter(t, ogc.Places, "category = 'shop'")
	p := page(ogc.Query{Collection: ogc.Places, Filter: shops, Limit: 2})
	checkIDs(t, "shops 1", []string{"Ω-1", "Ω-2"}, ogcIDs(p.Features))
	if !p.More || p.NumberMatched != 3 {
		t.Errorf("shops page 1: more %v matched %d", p.More, p.NumberMatched)
	}
	p = page(ogc.Query{Collection: ogc.Places, Filter: shops, Limit: 2, After: "Ω-2"})
	checkIDs(t, "shops 2", []string{"Ω-3"}, ogcIDs(p.Features))
	p = page(ogc.Query{Collection: ogc.Places, Filter: shops, Limit: 2, Before: "Ω-3"})
	checkIDs(t, "shops back", []string{"Ω-1", "Ω-2"}, ogcIDs(p.Features))
	if p.More {
		t.Error("shops back: more before Ω-1")
	}
	// bbox and BBOX literals as the handler reads them (ogc.ParseItems): a box, and boxes of zero width or height, which
	// are a point or a segment (a zero-area polygon is not a valid literal).
	facilitiesCol, _ := ogc.CollectionByID(ogc.Facilities)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"bbox=121.2,29.0,121.3,29.1", []string{"养老-01"}},
		{"bbox=121.06,29.06,121.06,29.06", []string{"养老-02"}},
		{"bbox=121.05,29.06,121.15,29.06", []string{"F-001", "F-002", "养老-02"}},
		{"bbox=121.16,29.0,121.16,29.1", []string{"f-003"}},
		{"filter=" + url.QueryEscape("S_INTERSECTS(geometry, BBOX(121.25,29.07,121.25,29.07))"), []string{"养老-01"}},
	} {
		r := httptest.NewRequest("GET", "/ogc/collections/facilities/items?"+c.query, nil)
		req, err := ogc.ParseItems(r, facilitiesCol)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		req.Query.Limit = 10
		checkIDs(t, "facilities "+c.query, c.want, ogcIDs(page(req.Query).Features))
	}

	f, err := fs.Item(ctx, ogc.Places, "B-002")
	if err != nil || f.Properties["name"] != "象山公园" || f.Properties["pinyin"] != "Xiangshan Gongyuan" {
		t.Errorf("item B-002: %+v %v", f, err)
	}
	if _, ok := f.Geometry.(orb.Polygon); !ok {
		t.Errorf("item B-002 geometry %T", f.Geometry)
	}
	if _, err := fs.Item(ctx, ogc.Places, "地名-02"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("abolished place as an item: %v", err)
	}
	if f, err := fs.Item(ctx, ogc.Markers, "象宁006A"); err != nil || f.Properties["pair_letter"] != "A" {
		t.Errorf("marker: %+v %v", f, err)
	}
	if _, err := fs.Item(ctx, ogc.Demand, "nope"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("unknown demand unit: %v", err)
	}
	ext, err := fs.Extent(ctx, ogc.Facilities)
	want := orb.Bound{Min: orb.Point{121.05, 29.06}, Max: orb.Point{121.25, 29.07}}
	if err != nil || ext.BBox == nil || !ext.BBox.Equal(want) || ext.Start == nil || ext.End.Before(*ext.Start) {
		t.Errorf("facilities extent %+v %v, want %v", ext, err, want)
	}
	ext, err = fs.Extent(ctx, ogc.Places) // published only: the abolished place at 121.06 is left out
	want = orb.Bound{Min: orb.Point{121.05, 29.01}, Max: orb.Point{121.37, 29.08}}
	if err != nil || ext.BBox == nil || !ext.BBox.Equal(want) {
		t.Errorf("places extent %+v %v, want %v", ext, err, want)
	}
}
