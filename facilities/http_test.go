package facilities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"civmap/gazetteer"
	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// fakeStore is an in-memory Store for handler tests.
type fakeStore struct {
	facilities []Facility
	demand     []DemandUnit
	fail       error
}

func (s *fakeStore) Facility(_ context.Context, id string) (Facility, error) {
	for _, f := range s.facilities {
		if f.ID == id {
			return f, nil
		}
	}
	return Facility{}, apierr.ErrNotFound
}

func (s *fakeStore) Facilities(_ context.Context, q FacilityQuery) (FacilityPage, error) {
	if s.fail != nil {
		return FacilityPage{}, s.fail
	}
	var all []Facility
	for _, f := range s.facilities {
		if (q.Type == "" || f.Type == q.Type) && (q.Status == "" || f.Status == q.Status) &&
			(q.Township == "" || f.TownshipCode == q.Township) && (q.BBox == nil || q.BBox.Contains(f.Location)) {
			all = append(all, f)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	page := FacilityPage{NumberMatched: len(all)}
	if q.Offset < len(all) {
		page.Items = all[q.Offset:min(len(all), q.Offset+q.Limit)]
	}
	return page, nil
}

func (s *fakeStore) Demand(_ context.Context, township string) ([]DemandUnit, error) {
	var out []DemandUnit
	for _, d := range s.demand {
		if township == "" || d.TownshipCode == township {
			out = append(out, d)
		}
	}
	return out, nil
}

// fakeDivisions answers Division only; the handlers need nothing else from gazetteer.Store.
type fakeDivisions struct {
	gazetteer.Store
	codes map[string]bool
}

func (d fakeDivisions) Division(_ context.Context, code string) (gazetteer.Division, error) {
	if !d.codes[code] {
		return gazetteer.Division{}, fmt.Errorf("division %s: %w", code, apierr.ErrNotFound)
	}
	return gazetteer.Division{Code: code}, nil
}

func intp(n int) *int { return &n }

func newHandler() (http.Handler, *fakeStore) {
	st := &fakeStore{
		facilities: []Facility{
			{ID: "f1", Name: "丹东街道居家养老服务中心", Type: "home_care_center", Status: "existing", TownshipCode: "330225001",
				Location: orb.Point{121.86, 29.46}, Version: 3},
			{ID: "f2", Name: "丹城敬老院", Type: "nursing_home", Status: "existing", TownshipCode: "330225001",
				CapacityBeds: intp(120), Location: orb.Point{121.87, 29.47}, Version: 1},
			{ID: "f3", Name: "石浦老年食堂", Type: "canteen", Status: "planned", TownshipCode: "330225101",
				CapacityMealsPerDay: intp(200), Location: orb.Point{121.95, 29.2}, Version: 1},
			{ID: "f4", Name: "石浦助餐点", Type: "meal_point", Status: "under_construction", TownshipCode: "330225101",
				Location: orb.Point{121.96, 29.21}, Version: 2},
			{ID: "颐养小院/1", Name: "东门颐养小院", Type: "mutual_aid_courtyard", Status: "existing", TownshipCode: "330225101",
				Location: orb.Point{121.97, 29.22}, Version: 1},
		},
		demand: []DemandUnit{
			{Code: "330225001001", Name: "城东社区", TownshipCode: "330225001", ElderlyPopulation: 1830, Location: orb.Point{121.86, 29.46}},
			{Code: "330225101201", Name: "东门村", TownshipCode: "330225101", ElderlyPopulation: 912, Location: orb.Point{121.97, 29.22}},
		},
	}
	divs := fakeDivisions{codes: map[string]bool{"330225": true, "330225001": true, "330225101": true, "330225001001": true}}
	return NewHandler(st, divs), st
}

func get(h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestBadQueries(t *testing.T) {
	h, _ := newHandler()
	tests := []struct {
		name, path string
		status     int
		field      string
		detail     string
	}{
		{"unknown type", "/api/facilities?type=hospital", 400, "type", "canteen, home_care_center, home_care_station"},
		{"unknown status", "/api/facilities?status=demolished", 400, "status", "closed, existing, planned, under_construction"},
		{"unknown township", "/api/facilities?township=330225999", 400, "township", "unknown township"},
		{"village code as township", "/api/facilities?township=330225001001", 400, "township", "9-digit"},
		{"township not digits", "/api/facilities?township=丹东", 400, "township", ""},
		{"bbox min > max", "/api/facilities?bbox=122,29,121,30", 400, "bbox", "minLon"},
		{"bbox wrong arity", "/api/facilities?bbox=121,29", 400, "bbox", "got 2"},
		{"bbox NaN", "/api/facilities?bbox=121,NaN,122,30", 400, "bbox", "minLat"},
		{"negative limit", "/api/facilities?limit=-3", 400, "limit", ""},
		{"limit above max", "/api/facilities?limit=5000", 400, "limit", "1000"},
		{"negative offset", "/api/facilities?offset=-1", 400, "offset", ""},
		{"unknown facility", "/api/facilities/f9", 404, "", `facility "f9"`},
		{"demand of unknown township", "/api/demand?township=330225998", 400, "township", ""},
		{"unknown route", "/api/facility", 404, "path", ""},
		{"zero limit", "/api/facilities?limit=0", 400, "limit", "between 1 and 1000"},
		{"type not UTF-8", "/api/facilities?type=%FF%FE", 400, "type", "UTF-8"},
		{"township not UTF-8", "/api/facilities?township=%E4%B8", 400, "township", "UTF-8"},
		{"status repeated", "/api/facilities?status=existing&status=planned", 400, "status", "more than once"},
		{"demand negative limit", "/api/demand?limit=-1", 400, "limit", "between 1 and 1000"},
		{"demand zero limit", "/api/demand?limit=0", 400, "limit", ""},
		{"demand limit above max", "/api/demand?limit=1001", 400, "limit", "1000"},
		{"demand limit not a number", "/api/demand?limit=abc", 400, "limit", ""},
		{"demand negative offset", "/api/demand?offset=-3", 400, "offset", ""},
		{"demand bbox wrong arity", "/api/demand?bbox=1,2,3", 400, "bbox", "got 3"},
		{"demand bbox min > max", "/api/demand?bbox=122,29,121,30", 400, "bbox", "minLon"},
		{"demand township not UTF-8", "/api/demand?township=%FF", 400, "township", ""},
		{"demand township repeated", "/api/demand?township=330225001&township=330225101", 400, "township", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(h, tc.path)
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != httpx.ProblemContentType {
				t.Fatalf("status %d %q, want %d problem; %s", rec.Code, rec.Header().Get("Content-Type"), tc.status, rec.Body)
			}
			var p httpx.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			named := tc.field == ""
			for _, e := range p.Errors {
				named = named || e.Field == tc.field
			}
			if !named || !strings.Contains(p.Detail, tc.detail) || p.Status != tc.status {
				t.Errorf("problem %+v; want field %q, detail containing %q", p, tc.field, tc.detail)
			}
		})
	}
}

type fcOut struct {
	Type           string       `json:"type"`
	NumberMatched  int          `json:"numberMatched"`
	NumberReturned int          `json:"numberReturned"`
	Links          []httpx.Link `json:"links"`
	Features       []struct {
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
}

func TestFacilitiesList(t *testing.T) {
	h, _ := newHandler()
	tests := []struct {
		query   string
		matched int
		ids     string
		next    string
	}{
		{"", 5, "f1,f2,f3,f4,颐养小院/1", ""},
		{"?limit=2", 5, "f1,f2", "/api/facilities?limit=2&offset=2"},
		{"?limit=2&offset=4", 5, "颐养小院/1", ""},
		{"?township=330225101&limit=1&offset=1", 3, "f4", "/api/facilities?limit=1&offset=2&township=330225101"},
		{"?type=canteen", 1, "f3", ""},
		{"?status=existing", 3, "f1,f2,颐养小院/1", ""},
		{"?bbox=121.85,29.45,121.875,29.5", 2, "f1,f2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			rec := get(h, "/api/facilities"+tc.query)
			var fc fcOut
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &fc) != nil {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var ids []string
			for _, f := range fc.Features {
				ids = append(ids, f.ID)
			}
			if fc.Type != "FeatureCollection" || fc.NumberMatched != tc.matched || fc.NumberReturned != len(ids) ||
				strings.Join(ids, ",") != tc.ids {
				t.Errorf("matched %d returned %d ids %v", fc.NumberMatched, fc.NumberReturned, ids)
			}
			next := ""
			for _, l := range fc.Links {
				if l.Rel == "next" {
					next = l.Href
				}
			}
			if next != tc.next {
				t.Errorf("next %q, want %q", next, tc.next)
			}
		})
	}
}

func TestFacility(t *testing.T) {
	h, _ := newHandler()
	rec := get(h, "/api/facilities/f2")
	var f struct {
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &f) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if f.ID != "f2" || f.Properties["capacity_beds"] != 120.0 || f.Properties["type"] != "nursing_home" ||
		string(f.Geometry) != `{"type":"Point","coordinates":[121.87,29.47]}` || rec.Header().Get("ETag") != `"1"` {
		t.Errorf("facility %+v %s ETag %q", f, f.Geometry, rec.Header().Get("ETag"))
	}
	if rec := get(h, "/api/facilities/f1", "If-None-Match", `"3"`); rec.Code != 304 {
		t.Errorf("If-None-Match current: %d", rec.Code)
	}
	if rec := get(h, "/api/facilities/f1", "If-None-Match", `"2"`); rec.Code != 200 {
		t.Errorf("If-None-Match stale: %d", rec.Code)
	}
	// A percent-encoded Chinese id holding a slash.
	if rec := get(h, "/api/facilities/%E9%A2%90%E5%85%BB%E5%B0%8F%E9%99%A2%2F1"); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), "东门颐养小院") {
		t.Errorf("encoded id: %d %s", rec.Code, rec.Body)
	}
}

func TestDemand(t *testing.T) {
	h, st := newHandler()
	rec := get(h, "/api/demand?township=330225101")
	var fc fcOut
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &fc) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if fc.NumberMatched != 1 || fc.NumberReturned != 1 || fc.Features[0].ID != "330225101201" ||
		fc.Features[0].Properties["elderly_population"] != 912.0 {
		t.Errorf("demand %+v", fc)
	}
	rec = get(h, "/api/demand")
	if json.Unmarshal(rec.Body.Bytes(), &fc) != nil || fc.NumberMatched != 2 {
		t.Errorf("all demand: %s", rec.Body)
	}
	st.demand = append(st.demand, DemandUnit{Code: "330225101202", Name: "番西村", TownshipCode: "330225101",
		ElderlyPopulation: 400, Location: orb.Point{121.98, 29.23}})
	for _, tc := range []struct {
		query      string
		matched    int
		ids        string
		next, prev string
	}{
		{"", 3, "[330225001001 330225101201 330225101202]", "", ""},
		{"?limit=1", 3, "[330225001001]", "/api/demand?limit=1&offset=1", ""},
		{"?limit=1&offset=2", 3, "[330225101202]", "", "/api/demand?limit=1&offset=1"},
		{"?offset=5", 3, "[]", "", "/api/demand?limit=1000&offset=0"},
		{"?bbox=121.9,29.1,122,29.225", 1, "[330225101201]", "", ""},
		{"?bbox=121.9,29.1,122,29.3&township=330225101&limit=1", 2, "[330225101201]",
			"/api/demand?bbox=121.9%2C29.1%2C122%2C29.3&limit=1&offset=1&township=330225101", ""},
		{"?bbox=121.0,29.0,121.1,29.1", 0, "[]", "", ""},
	} {
		rec := get(h, "/api/demand"+tc.query)
		var fc fcOut
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &fc) != nil {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body)
			continue
		}
		ids := []string{}
		for _, f := range fc.Features {
			ids = append(ids, f.ID)
		}
		links := map[string]string{}
		for _, l := range fc.Links {
			links[l.Rel] = l.Href
		}
		if fc.NumberMatched != tc.matched || fc.NumberReturned != len(ids) || fmt.Sprint(ids) != tc.ids ||
			links["self"] != "/api/demand"+tc.query || links["next"] != tc.next || links["prev"] != tc.prev {
			t.Errorf("%s: matched %d returned %d ids %v links %v; want %d %s next %q prev %q", tc.query, fc.NumberMatched,
				fc.NumberReturned, ids, links, tc.matched, tc.ids, tc.next, tc.prev)
		}
	}
	st.fail = errors.New("dial tcp 10.1.2.3:5432: connection refused")
	rec = get(h, "/api/facilities")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.1.2.3") {
		t.Errorf("store failure: %d %s", rec.Code, rec.Body)
	}
}

// The write methods of Store: the facilities handlers tested here only read.
var errReadOnly = errors.New("the facilities test store is read-only")

func (s *fakeStore) DemandUnit(context.Context, string) (DemandUnit, error) {
	return DemandUnit{}, apierr.ErrNotFound
}
func (s *fakeStore) PutFacility(context.Context, Facility, int64, edit.Meta) (int64, error) {
	return 0, errReadOnly
}
func (s *fakeStore) PutDemandUnit(context.Context, DemandUnit, int64, edit.Meta) (int64, error) {
	return 0, errReadOnly
}
func (s *fakeStore) DeleteFacility(context.Context, string, int64, edit.Meta) (int64, error) {
	return 0, errReadOnly
}
func (s *fakeStore) DeleteDemandUnit(context.Context, string, int64, edit.Meta) (int64, error) {
	return 0, errReadOnly
}
