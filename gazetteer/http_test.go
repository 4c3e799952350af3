package gazetteer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"civmap/internal/apierr"
	"civmap/internal/edit"
	"civmap/internal/httpx"
)

// fakeStore is an in-memory Store for handler tests. It keeps every version of every place and counts writes.
type fakeStore struct {
	mu        sync.Mutex
	divisions map[string]Division
	places    map[string][]Place // versions, oldest first
	lines     map[string]BoundaryLine
	markers   map[string][]Marker
	writes    int
	fail      error // returned by Places when set
	panics    bool  // Division panics when set
	clock     time.Time
	metas     map[string]edit.Meta // "id@version" → the meta its write gave
}

func newFakeStore() *fakeStore {
	county := Division{Code: "330225", Name: "象山县", Level: LevelCounty, Kind: "county",
		Geometry: orb.Bound{Min: orb.Point{121.5, 28.8}, Max: orb.Point{122.2, 29.7}}.ToPolygon()}
	dancheng := Division{Code: "330225001", Name: "丹东街道", Level: LevelTownship, Kind: "subdistrict", ParentCode: "330225",
		Geometry: orb.Bound{Min: orb.Point{121.8, 29.4}, Max: orb.Point{121.9, 29.5}}.ToPolygon()}
	shipu := Division{Code: "330225101", Name: "石浦镇", Level: LevelTownship, Kind: "town", ParentCode: "330225",
		Geometry: orb.Bound{Min: orb.Point{121.9, 29.1}, Max: orb.Point{122.0, 29.3}}.ToPolygon()}
	seat := orb.Point{121.85, 29.45}
	village := Division{Code: "330225001001", Name: "城东社区", Level: LevelVillage, Kind: "community",
		ParentCode: "330225001", Geometry: seat, Seat: &seat}
	line := BoundaryLine{ID: "象宁线", Name: "象宁线", LeftCode: "330225", RightCode: "330226", RightName: "宁海县",
		Geometry: orb.LineString{{121.6, 29.5}, {121.7, 29.6}}, RegisteredLengthM: 15234}
	return &fakeStore{
		divisions: map[string]Division{county.Code: county, dancheng.Code: dancheng, shipu.Code: shipu, village.Code: village},
		places:    map[string][]Place{},
		lines:     map[string]BoundaryLine{line.ID: line},
		markers: map[string][]Marker{line.ID: {
			{Number: "001", LineID: line.ID, Type: MarkerSingle, Position: orb.Point{121.6, 29.5},
				Registered: RegisteredPosition{CRS: "EPSG:4550", AxisOrder: "north,east", First: 3264000.5, Second: 461000.25}},
			{Number: "002", LineID: line.ID, Type: MarkerDouble, PairLetter: "A", Position: orb.Point{121.65, 29.55},
				Registered: RegisteredPosition{CRS: "EPSG:4490", AxisOrder: "lon,lat", First: 121.65, Second: 29.55}},
		}},
		clock: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
	}
}

func (s *fakeStore) Division(_ context.Context, code string) (Division, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panics {
		panic("fake store: division index corrupted")
	}
	d, ok := s.divisions[code]
	if !ok {
		return Division{}, fmt.Errorf("division %s: %w", code, apierr.ErrNotFound)
	}
	return d, nil
}

func (s *fakeStore) Divisions(_ context.Context, q DivisionQuery) ([]Division, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Division
	for _, d := range s.divisions {
		if (q.Level == "" || d.Level == q.Level) && (q.Parent == "" || d.ParentCode == q.Parent) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func (s *fakeStore) Locate(_ context.Context, p orb.Point) (Location, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.divisions {
		if d.Level == LevelTownship && d.Geometry.Bound().Contains(p) {
			c := s.divisions[d.ParentCode]
			return Location{County: DivisionRef{Code: c.Code, Name: c.Name, Kind: c.Kind},
				Township: DivisionRef{Code: d.Code, Name: d.Name, Kind: d.Kind}}, nil
		}
	}
	return Location{}, apierr.ErrNotFound
}

func (s *fakeStore) Place(_ context.Context, id string) (Place, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, ok := s.places[id]
	if !ok {
		return Place{}, fmt.Errorf("place %s: %w", id, apierr.ErrNotFound)
	}
	return vs[len(vs)-1], nil
}

func (s *fakeStore) Places(_ context.Context, q PlaceQuery) (PlacePage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return PlacePage{}, s.fail
	}
	var all []Place
	for _, vs := range s.places {
		p := vs[len(vs)-1]
		st := q.Statuses
		if len(st) == 0 {
			st = []string{StatusCurrent, StatusHistorical}
		}
		okStatus := false
		for _, x := range st {
			okStatus = okStatus || x == p.Status
		}
		okDiv := q.Division == ""
		for _, c := range p.DivisionCodes {
			okDiv = okDiv || strings.HasPrefix(c, q.Division)
		}
		if !okStatus || !okDiv || (q.Category != "" && p.Category != q.Category) ||
			(q.Q != "" && !strings.Contains(SearchText(&p), FoldQuery(q.Q))) ||
			(q.BBox != nil && !q.BBox.Intersects(p.Geometry.Bound())) {
			continue
		}
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	page := PlacePage{NumberMatched: len(all)}
	if q.Offset < len(all) {
		page.Items = all[q.Offset:min(len(all), q.Offset+q.Limit)]
	}
	return page, nil
}

func (s *fakeStore) History(_ context.Context, kind edit.Kind, id string) ([]edit.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, ok := s.places[id]
	if !ok || kind != edit.KindPlace {
		return nil, apierr.ErrNotFound
	}
	var out []edit.Version
	for _, p := range vs {
		doc, err := json.Marshal(PlaceFeature(p))
		if err != nil {
			return nil, err
		}
		out = append(out, edit.Version{Kind: kind, ID: id, Version: p.Version, Meta: s.metas[id+"@"+strconv.FormatInt(p.Version, 10)], Record: doc})
	}
	return out, nil
}

func (s *fakeStore) Current(ctx context.Context, kind edit.Kind, id string) (edit.Version, error) {
	vs, err := s.History(ctx, kind, id)
	if err != nil {
		return edit.Version{}, err
	}
	return vs[len(vs)-1], nil
}

func (s *fakeStore) note(p Place, meta edit.Meta) {
	if s.metas == nil {
		s.metas = map[string]edit.Meta{}
	}
	s.metas[p.ID+"@"+strconv.FormatInt(p.Version, 10)] = meta
}

var errFake = errors.New("the gazetteer test store holds places only")

func (s *fakeStore) PutDivision(context.Context, Division, int64, edit.Meta) (int64, error) {
	return 0, errFake
}
func (s *fakeStore) PutBoundaryLine(context.Context, BoundaryLine, int64, edit.Meta) (int64, error) {
	return 0, errFake
}
func (s *fakeStore) PutMarker(context.Context, Marker, int64, edit.Meta) (int64, error) {
	return 0, errFake
}
func (s *fakeStore) DeleteDivision(context.Context, string, int64, edit.Meta) (int64, error) {
	return 0, errFake
}
func (s *fakeStore) DeleteBoundaryLine(context.Context, string, int64, edit.Meta) (int64, error) {
	return 0, errFake
}
func (s *fakeStore) DeleteMarker(context.Context, string, int64, edit.Meta) (int64, error) {
	return 0, errFake
}
func (s *fakeStore) Marker(context.Context, string) (Marker, error) {
	return Marker{}, apierr.ErrNotFound
}

func (s *fakeStore) CreatePlace(_ context.Context, p Place, meta edit.Meta) (Place, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.places[p.ID]; ok {
		return Place{}, apierr.ErrConflict
	}
	s.writes++
	s.clock = s.clock.Add(time.Second)
	p.Version, p.CreatedAt, p.UpdatedAt = 1, s.clock, s.clock
	s.places[p.ID] = []Place{p}
	s.note(p, meta)
	return p, nil
}

func (s *fakeStore) UpdatePlace(_ context.Context, p Place, expect int64, meta edit.Meta) (Place, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, ok := s.places[p.ID]
	if !ok {
		return Place{}, apierr.ErrNotFound
	}
	cur := vs[len(vs)-1]
	if cur.Version != expect {
		return Place{}, apierr.ErrVersionMismatch
	}
	s.writes++
	s.clock = s.clock.Add(time.Second)
	p.Version, p.CreatedAt, p.UpdatedAt = cur.Version+1, cur.CreatedAt, s.clock
	s.places[p.ID] = append(vs, p)
	s.note(p, meta)
	return p, nil
}

func (s *fakeStore) BoundaryLines(context.Context) ([]BoundaryLine, error) {
	var out []BoundaryLine
	for _, l := range s.lines {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *fakeStore) BoundaryLine(_ context.Context, id string) (BoundaryLine, error) {
	l, ok := s.lines[id]
	if !ok {
		return BoundaryLine{}, apierr.ErrNotFound
	}
	return l, nil
}

func (s *fakeStore) Markers(_ context.Context, id string) ([]Marker, error) {
	if _, ok := s.lines[id]; !ok {
		return nil, apierr.ErrNotFound
	}
	return s.markers[id], nil
}

// seed stores a place directly (version 1).
func (s *fakeStore) seed(p Place) {
	if p.Status == "" {
		p.Status = StatusCurrent
	}
	if p.Category == "" {
		p.Category = "village"
	}
	if p.Geometry == nil {
		p.Geometry = orb.Point{121.85, 29.45}
	}
	p.Version = 1
	s.places[p.ID] = []Place{p}
}

type testEnv struct {
	store *fakeStore
	h     http.Handler
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	st := newFakeStore()
	st.seed(Place{ID: "p1", Name: "丹城", Pinyin: "Dancheng", DivisionCodes: []string{"330225001"}, Meaning: "红色的城",
		History: "旧县城", Geometry: orb.Point{121.86, 29.46}})
	st.seed(Place{ID: "p2", Name: "石浦", DivisionCodes: []string{"330225101"}, Geometry: orb.Point{121.95, 29.2}})
	st.seed(Place{ID: "p3", Name: "东门岛", DivisionCodes: []string{"330225101"}, Geometry: orb.Point{121.96, 29.21}})
	st.seed(Place{ID: "p4", Name: "城东", DivisionCodes: []string{"330225001001"}, Geometry: orb.Point{121.87, 29.47}})
	st.seed(Place{ID: "p5", Name: "旧渡口", Status: StatusHistorical, DivisionCodes: []string{"330225001"},
		Geometry: orb.Point{121.88, 29.48}})
	st.seed(Place{ID: "p6", Name: "废村", Status: StatusAbolished, DivisionCodes: []string{"330225001"}, YearAbolished: 2001})
	st.seed(Place{ID: "a/b 象", Name: "斜杠地名"})
	svc := NewService(st)
	svc.now = func() time.Time { return time.Date(2031, 12, 31, 20, 0, 0, 0, time.UTC) } // 2032-01-01 04:00 in CST
	return &testEnv{store: st, h: asPrincipal(NewHandler(svc))}
}

func (e *testEnv) do(t *testing.T, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// problem checks rec is an RFC 9457 problem with the status and returns it.
func problem(t *testing.T, rec *httptest.ResponseRecorder, status int) httpx.Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, rec.Body)
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Type == "" {
		t.Fatalf("problem %+v does not match status %d", p, status)
	}
	return p
}

func hasField(p httpx.Problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field && e.Reason != "" {
			return true
		}
	}
	return false
}

type featureOut struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

type collectionOut struct {
	Type           string         `json:"type"`
	NumberMatched  int            `json:"numberMatched"`
	NumberReturned int            `json:"numberReturned"`
	Links          []httpx.Link   `json:"links"`
	Features       []featureOut   `json:"features"`
	Raw            map[string]any `json:"-"`
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder, status int) T {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body, err)
	}
	return v
}

const validPoly = `{"type":"Polygon","coordinates":[[[121.85,29.45],[121.86,29.45],[121.86,29.46],[121.85,29.46],[121.85,29.45]]]}`

func placeJSON(id, props, geom string) string {
	idPart := ""
	if id != "" {
		idPart = `"id":` + id + `,`
	}
	return `{"type":"Feature",` + idPart + `"geometry":` + geom + `,"properties":` + props + `}`
}

func TestBadInput(t *testing.T) {
	okProps := `{"name":"新桥","category":"bridge","division_codes":["330225001"]}`
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		field                    string
		detail                   string // substring of the detail
	}{
		{"malformed JSON", "POST", "/api/places", `{"type":"Feature","properties":{"name":"x",}}`, nil, 400, "body", "byte offset 44"},
		{"truncated JSON", "POST", "/api/places", `{"type":"Feature"`, nil, 400, "body", "byte offset"},
		{"trailing data", "POST", "/api/places", placeJSON("", okProps, validPoly) + `{}`, nil, 400, "body", "after the JSON value"},
		{"empty body", "POST", "/api/places", ``, nil, 400, "body", "empty"},
		{"not a Feature", "POST", "/api/places", validPoly, nil, 400, "type", "Polygon"},
		{"geometry not GeoJSON", "POST", "/api/places", placeJSON("", okProps, `{"type":"Circle","coordinates":[121.8,29.4]}`), nil, 400, "geometry", "Circle"},
		{"geometry coordinates not numbers", "POST", "/api/places", placeJSON("", okProps, `{"type":"Point","coordinates":["a","b"]}`), nil, 400, "geometry", ""},
		{"geometry lon out of range", "POST", "/api/places", placeJSON("", okProps, `{"type":"Point","coordinates":[181,29]}`), nil, 400, "geometry", "181"},
		{"bow-tie polygon", "POST", "/api/places", placeJSON("", okProps,
			`{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.5],[121.9,29.4],[121.8,29.5],[121.8,29.4]]]}`), nil, 422, "geometry", "intersects itself"},
		{"no geometry", "POST", "/api/places", placeJSON("", okProps, `null`), nil, 422, "geometry", ""},
		{"unknown division code", "POST", "/api/places", placeJSON("", `{"name":"新桥","category":"bridge","division_codes":["330225001","330225999"]}`, validPoly), nil, 422, "division_codes[1]", "330225999"},
		{"malformed division code", "POST", "/api/places", placeJSON("", `{"name":"新桥","category":"bridge","division_codes":["33x"]}`, validPoly), nil, 422, "division_codes[0]", ""},
		{"missing name", "POST", "/api/places", placeJSON("", `{"category":"bridge"}`, validPoly), nil, 422, "name", ""},
		{"unknown property", "POST", "/api/places", placeJSON("", `{"nmae":"新桥","category":"bridge"}`, validPoly), nil, 400, "nmae", ""},
		{"property of wrong type", "POST", "/api/places", placeJSON("", `{"name":"新桥","category":"bridge","year_established":"1950"}`, validPoly), nil, 400, "year_established", "integer"},
		{"properties not an object", "POST", "/api/places", placeJSON("", `[1]`, validPoly), nil, 400, "properties", ""},
		{"ids differ", "POST", "/api/places", placeJSON(`"x1"`, `{"id":"x2","name":"新桥","category":"bridge"}`, validPoly), nil, 400, "id", ""},
		{"id is an object", "POST", "/api/places", placeJSON(`{}`, okProps, validPoly), nil, 400, "id", ""},
		{"duplicate id", "POST", "/api/places", placeJSON(`"p1"`, okProps, validPoly), nil, 409, "", "already exists"},
		{"wrong content type", "POST", "/api/places", placeJSON("", okProps, validPoly), []string{"Content-Type", "text/plain"}, 415, "Content-Type", ""},
		{"body too large", "POST", "/api/places", `{"type":"Feature","properties":{"name":"` + strings.Repeat("x", httpx.DefaultMaxBody) + `"}}`, nil, 413, "body", ""},

		{"lon missing", "GET", "/api/locate?lat=29.4", "", nil, 400, "lon", "required"},
		{"lat missing", "GET", "/api/locate?lon=121.8", "", nil, 400, "lat", "required"},
		{"lon not a number", "GET", "/api/locate?lon=east&lat=29.4", "", nil, 400, "lon", "not a number"},
		{"lat NaN", "GET", "/api/locate?lon=121.8&lat=NaN", "", nil, 400, "lat", "finite"},
		{"lon Inf", "GET", "/api/locate?lon=Inf&lat=29.4", "", nil, 400, "lon", "finite"},
		{"lon out of range", "GET", "/api/locate?lon=181&lat=29.4", "", nil, 400, "lon", "[-180,180]"},
		{"lat out of range", "GET", "/api/locate?lon=121.8&lat=-90.5", "", nil, 400, "lat", "[-90,90]"},
		{"point outside the county", "GET", "/api/locate?lon=120.5&lat=30", "", nil, 404, "", "the point 120.5,30 is not inside any township of the county"},

		{"bbox min > max", "GET", "/api/places?bbox=122,29,121,30", "", nil, 400, "bbox", "minLon 122 > maxLon 121"},
		{"bbox lat min > max", "GET", "/api/places?bbox=121,30,122,29", "", nil, 400, "bbox", "minLat"},
		{"bbox three numbers", "GET", "/api/places?bbox=121,29,122", "", nil, 400, "bbox", "got 3"},
		{"bbox five numbers", "GET", "/api/places?bbox=121,29,122,30,1", "", nil, 400, "bbox", "got 5"},
		{"bbox NaN", "GET", "/api/places?bbox=NaN,29,122,30", "", nil, 400, "bbox", "minLon"},
		{"bbox out of range", "GET", "/api/places?bbox=121,-95,122,30", "", nil, 400, "bbox", "minLat"},
		{"negative limit", "GET", "/api/places?limit=-1", "", nil, 400, "limit", "between 1 and 1000"},
		{"zero limit", "GET", "/api/places?limit=0", "", nil, 400, "limit", "between 1 and 1000"},
		{"limit above max", "GET", "/api/places?limit=1001", "", nil, 400, "limit", "1000"},
		{"limit not a number", "GET", "/api/places?limit=ten", "", nil, 400, "limit", ""},
		{"negative offset", "GET", "/api/places?offset=-5", "", nil, 400, "offset", ""},
		{"unknown division", "GET", "/api/places?division=330225999", "", nil, 400, "division", "330225999"},
		{"malformed division", "GET", "/api/places?division=3302", "", nil, 400, "division", ""},
		{"unknown status", "GET", "/api/places?status=current,gone", "", nil, 400, "status", "gone"},
		{"unknown level", "GET", "/api/divisions?level=province", "", nil, 400, "level", "province"},
		{"unknown parent", "GET", "/api/divisions?parent=330299", "", nil, 400, "parent", ""},
		{"malformed division code in path", "GET", "/api/divisions/abc", "", nil, 400, "code", ""},
		{"unknown division in path", "GET", "/api/divisions/330225999", "", nil, 404, "", "330225999"},

		{"PUT without If-Match", "PUT", "/api/places/p1", placeJSON("", okProps, validPoly), nil, 428, "If-Match", ""},
		{"PUT stale", "PUT", "/api/places/p1", placeJSON("", okProps, validPoly), []string{"If-Match", `"7"`}, 412, "If-Match", "version 1, not 7"},
		{"PUT weak tag never matches", "PUT", "/api/places/p1", placeJSON("", okProps, validPoly), []string{"If-Match", `W/"1"`}, 412, "If-Match", ""},
		{"PUT absent", "PUT", "/api/places/nope", placeJSON("", okProps, validPoly), []string{"If-Match", `"1"`}, 404, "", "nope"},
		{"PUT changes id", "PUT", "/api/places/p1", placeJSON(`"p9"`, okProps, validPoly), []string{"If-Match", `"1"`}, 422, "id", ""},
		{"PUT bow-tie", "PUT", "/api/places/p1", placeJSON("", okProps,
			`{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.5],[121.9,29.4],[121.8,29.5],[121.8,29.4]]]}`), []string{"If-Match", `"1"`}, 422, "geometry", ""},
		{"PATCH without If-Match", "PATCH", "/api/places/p1", `{"properties":{"name":"x"}}`, nil, 428, "If-Match", ""},
		{"PATCH stale", "PATCH", "/api/places/p1", `{"properties":{"name":"x"}}`, []string{"If-Match", `"2"`}, 412, "If-Match", ""},
		{"PATCH absent", "PATCH", "/api/places/nope", `{"properties":{"name":"x"}}`, []string{"If-Match", `"1"`}, 404, "", ""},
		{"PATCH wrong content type", "PATCH", "/api/places/p1", `{"properties":{"name":"x"}}`, []string{"If-Match", `"1"`, "Content-Type", "text/plain"}, 415, "Content-Type", ""},
		{"PATCH malformed", "PATCH", "/api/places/p1", `{"properties":`, []string{"If-Match", `"1"`}, 400, "body", "byte offset"},
		{"PATCH unknown division", "PATCH", "/api/places/p1", `{"properties":{"division_codes":["330225999"]}}`, []string{"If-Match", `"1"`}, 422, "division_codes[0]", ""},
		{"PATCH removes geometry", "PATCH", "/api/places/p1", `{"geometry":null}`, []string{"If-Match", `"1"`}, 422, "geometry", ""},
		{"PATCH bad geometry", "PATCH", "/api/places/p1", `{"geometry":{"type":"Point"}}`, []string{"If-Match", `"1"`}, 400, "geometry", "coordinates"},
		{"PATCH star on absent", "PATCH", "/api/places/nope", `{}`, []string{"If-Match", `*`}, 404, "", ""},
		{"DELETE without If-Match", "DELETE", "/api/places/p1", "", nil, 428, "If-Match", ""},
		{"DELETE stale", "DELETE", "/api/places/p1", "", []string{"If-Match", `"0"`}, 412, "If-Match", ""},
		{"DELETE stale list", "DELETE", "/api/places/p1", "", []string{"If-Match", `"2", "3"`}, 412, "If-Match", ""},
		{"DELETE absent", "DELETE", "/api/places/nope", "", []string{"If-Match", `"1"`}, 404, "", ""},

		{"unknown place", "GET", "/api/places/nope", "", nil, 404, "", "nope"},
		{"unknown history", "GET", "/api/places/nope/history", "", nil, 404, "", ""},
		{"unknown line markers", "GET", "/api/boundary-lines/%E5%AE%81%E8%B1%A1%E7%BA%BF/markers", "", nil, 404, "", "宁象线"},
		{"unknown route", "GET", "/api/nothing", "", nil, 404, "path", ""},
		{"method not allowed", "POST", "/api/locate", "", nil, 405, "method", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.store.writes
			rec := e.do(t, tc.method, tc.path, tc.body, tc.hdr...)
			p := problem(t, rec, tc.status)
			if tc.field != "" && !hasField(p, tc.field) {
				t.Errorf("errors %+v do not name %q", p.Errors, tc.field)
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if e.store.writes != before {
				t.Errorf("a failed request wrote %d times", e.store.writes-before)
			}
		})
	}
}

func TestMethodNotAllowedListsAllow(t *testing.T) {
	e := newEnv(t)
	rec := e.do(t, "POST", "/api/places/p1", "")
	problem(t, rec, 405)
	if got, want := rec.Header().Get("Allow"), "DELETE, GET, HEAD, PATCH, PUT"; got != want {
		t.Errorf("Allow %q, want %q", got, want)
	}
}

func TestLocate(t *testing.T) {
	e := newEnv(t)
	loc := decode[Location](t, e.do(t, "GET", "/api/locate?lon=121.95&lat=29.2", ""), 200)
	if loc.County.Code != "330225" || loc.Township.Code != "330225101" || loc.Township.Name != "石浦镇" {
		t.Errorf("located %+v", loc)
	}
}

func TestGetPlaceETag(t *testing.T) {
	e := newEnv(t)
	rec := e.do(t, "GET", "/api/places/p1", "")
	f := decode[featureOut](t, rec, 200)
	if rec.Header().Get("ETag") != `"1"` || f.ID != "p1" || f.Properties["name"] != "丹城" || f.Type != "Feature" ||
		rec.Header().Get("Content-Type") != "application/geo+json" {
		t.Fatalf("GET p1: ETag %q, feature %+v", rec.Header().Get("ETag"), f)
	}
	if string(f.Geometry) != `{"type":"Point","coordinates":[121.86,29.46]}` {
		t.Errorf("geometry %s", f.Geometry)
	}
	for _, tc := range []struct {
		inm    string
		status int
	}{{`"1"`, 304}, {`W/"1"`, 304}, {`"0", "1"`, 304}, {`*`, 304}, {`"2"`, 200}} {
		rec := e.do(t, "GET", "/api/places/p1", "", "If-None-Match", tc.inm)
		if rec.Code != tc.status {
			t.Errorf("If-None-Match %s: status %d, want %d", tc.inm, rec.Code, tc.status)
		}
		if tc.status == 304 && (rec.Body.Len() != 0 || rec.Header().Get("ETag") != `"1"`) {
			t.Errorf("304 with body %q, ETag %q", rec.Body, rec.Header().Get("ETag"))
		}
	}
}

func TestEncodedIDs(t *testing.T) {
	e := newEnv(t)
	fc := decode[collectionOut](t, e.do(t, "GET", "/api/boundary-lines/%E8%B1%A1%E5%AE%81%E7%BA%BF/markers", ""), 200)
	if fc.NumberReturned != 2 || len(fc.Features) != 2 || fc.Features[0].ID != "001" {
		t.Fatalf("markers %+v", fc)
	}
	reg, _ := fc.Features[0].Properties["registered"].(map[string]any)
	if reg["crs"] != "EPSG:4550" || reg["axis_order"] != "north,east" || reg["first"] != 3264000.5 {
		t.Errorf("registered %v", reg)
	}
	if string(fc.Features[0].Geometry) != `{"type":"Point","coordinates":[121.6,29.5]}` {
		t.Errorf("marker geometry %s", fc.Features[0].Geometry)
	}
	line := decode[featureOut](t, e.do(t, "GET", "/api/boundary-lines/%E8%B1%A1%E5%AE%81%E7%BA%BF", ""), 200)
	if line.ID != "象宁线" || line.Properties["right_name"] != "宁海县" {
		t.Errorf("line %+v", line)
	}
	f := decode[featureOut](t, e.do(t, "GET", "/api/places/a%2Fb%20%E8%B1%A1", ""), 200)
	if f.ID != "a/b 象" {
		t.Errorf("place with slash: id %v", f.ID)
	}
}

func TestPlacesPaging(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query     string
		matched   int
		ids       []string
		nextQuery string // "" means no next link
	}{
		{"", 6, []string{"a/b 象", "p1", "p2", "p3", "p4", "p5"}, ""},
		{"?limit=2", 6, []string{"a/b 象", "p1"}, "limit=2&offset=2"},
		{"?limit=2&offset=4", 6, []string{"p4", "p5"}, ""},
		{"?limit=2&offset=3", 6, []string{"p3", "p4"}, "limit=2&offset=5"},
		{"?offset=10", 6, nil, ""},
		{"?division=330225001&limit=1", 3, []string{"p1"}, "division=330225001&limit=1&offset=1"},
		{"?status=abolished", 1, []string{"p6"}, ""},
		{"?status=current,+abolished&division=330225001", 3, []string{"p1", "p4", "p6"}, ""},
		{"?q=DANCHENG", 1, []string{"p1"}, ""},
		{"?bbox=121.94,29.19,121.955,29.25", 1, []string{"p2"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			rec := e.do(t, "GET", "/api/places"+tc.query, "")
			fc := decode[collectionOut](t, rec, 200)
			var ids []string
			for _, f := range fc.Features {
				ids = append(ids, f.ID.(string))
			}
			if fc.Type != "FeatureCollection" || fc.NumberMatched != tc.matched || fc.NumberReturned != len(tc.ids) ||
				strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
				t.Fatalf("got matched %d returned %d ids %v; want %d, %v", fc.NumberMatched, fc.NumberReturned, ids, tc.matched, tc.ids)
			}
			var self, next *httpx.Link
			for i, l := range fc.Links {
				switch l.Rel {
				case "self":
					self = &fc.Links[i]
				case "next":
					next = &fc.Links[i]
				}
			}
			if self == nil || self.Href != "/api/places"+tc.query || self.Type != "application/geo+json" {
				t.Errorf("self link %+v", self)
			}
			switch {
			case tc.nextQuery == "" && next != nil:
				t.Errorf("unexpected next link %+v", next)
			case tc.nextQuery != "" && (next == nil || next.Href != "/api/places?"+tc.nextQuery):
				t.Errorf("next link %+v, want /api/places?%s", next, tc.nextQuery)
			}
		})
	}
}

const lineXN = "/api/boundary-lines/%E8%B1%A1%E5%AE%81%E7%BA%BF" // 象宁线

// listPaths are every list endpoint of the gazetteer.
var listPaths = []string{"/api/places", "/api/divisions", "/api/divisions?level=village", "/api/places/p1/history",
	"/api/boundary-lines", lineXN + "/markers"}

// Every list validates limit and offset alike, and every query parameter must be UTF-8 and given once.
func TestListQueryErrors(t *testing.T) {
	e := newEnv(t)
	bad := []struct{ query, field string }{
		{"limit=-1", "limit"}, {"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=5000", "limit"},
		{"limit=abc", "limit"}, {"limit=1.5", "limit"}, {"offset=-3", "offset"}, {"offset=x", "offset"},
		{"limit=5&limit=6", "limit"}, {"offset=1&offset=1", "offset"}, {"x=%FF%FE", "x"}, {"limit=%ZZ", "limit"},
	}
	for _, path := range listPaths {
		for _, b := range bad {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			t.Run(path+sep+b.query, func(t *testing.T) {
				p := problem(t, e.do(t, "GET", path+sep+b.query, ""), 400)
				if !hasField(p, b.field) {
					t.Errorf("errors %+v do not name %q", p.Errors, b.field)
				}
			})
		}
	}
	for _, tc := range []struct{ path, field string }{
		{"/api/places?q=%FF%FE", "q"},
		{"/api/places?division=%C3%28", "division"},
		{"/api/places?category=%E4%B8", "category"},
		{"/api/places?status=curr%FFent", "status"},
		{"/api/places?q=a&q=b", "q"},
		{"/api/places?bbox=1,2,3,4&bbox=1,2,3,4", "bbox"},
		{"/api/divisions?level=%FFvillage", "level"},
		{"/api/divisions?parent=330225&parent=330226", "parent"},
		{"/api/divisions?bbox=1,2,3", "bbox"},
		{"/api/divisions?bbox=122,29,121,30", "bbox"},
		{"/api/locate?lon=121.95&lat=29.3&lat=10", "lat"},
		{"/api/locate?lon=121.95%FF&lat=29.3", "lon"},
		{"/api/places/p1?x=%FF", "x"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := problem(t, e.do(t, "GET", tc.path, ""), 400)
			if !hasField(p, tc.field) {
				t.Errorf("errors %+v do not name %q", p.Errors, tc.field)
			}
		})
	}
}

// Every list pages: numberMatched counts all, numberReturned the page, and next/prev links walk it.
func TestListsPage(t *testing.T) {
	e := newEnv(t)
	p1 := e.store.places["p1"][0]
	for v := int64(2); v <= 3; v++ {
		p1.Version = v
		e.store.places["p1"] = append(e.store.places["p1"], p1)
	}
	e.store.lines["象港线"] = BoundaryLine{ID: "象港线", Name: "象港线", Geometry: orb.LineString{{121.7, 29.6}, {121.8, 29.7}}}
	tests := []struct {
		path       string
		matched    int
		ids        []string
		next, prev string
	}{
		{"/api/divisions?limit=2", 4, []string{"330225", "330225001"}, "/api/divisions?limit=2&offset=2", ""},
		{"/api/divisions?limit=2&offset=3", 4, []string{"330225101"}, "", "/api/divisions?limit=2&offset=1"},
		{"/api/divisions?offset=9", 4, nil, "", "/api/divisions?limit=1000&offset=0"},
		{"/api/divisions?bbox=121.95,29.15,121.96,29.16", 2, []string{"330225", "330225101"}, "", ""},
		{"/api/divisions?bbox=121.84,29.44,121.86,29.46&limit=1&offset=1", 3, []string{"330225001"},
			"/api/divisions?bbox=121.84%2C29.44%2C121.86%2C29.46&limit=1&offset=2",
			"/api/divisions?bbox=121.84%2C29.44%2C121.86%2C29.46&limit=1&offset=0"},
		{"/api/divisions?level=township&bbox=122.1,29.6,122.15,29.65", 0, nil, "", ""},
		{"/api/boundary-lines?limit=1", 2, []string{"象宁线"}, "/api/boundary-lines?limit=1&offset=1", ""},
		{lineXN + "/markers?limit=1", 2, []string{"001"}, lineXN + "/markers?limit=1&offset=1", ""},
		{lineXN + "/markers?limit=1&offset=1", 2, []string{"002"}, "", lineXN + "/markers?limit=1&offset=0"},
		{"/api/places?limit=1&offset=5", 6, []string{"p5"}, "", "/api/places?limit=1&offset=4"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			fc := decode[collectionOut](t, e.do(t, "GET", tc.path, ""), 200)
			var ids []string
			for _, f := range fc.Features {
				ids = append(ids, fmt.Sprint(f.ID))
			}
			if fc.NumberMatched != tc.matched || fc.NumberReturned != len(tc.ids) || fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
				t.Fatalf("matched %d returned %d ids %v; want %d, %v", fc.NumberMatched, fc.NumberReturned, ids, tc.matched, tc.ids)
			}
			links := map[string]string{}
			for _, l := range fc.Links {
				links[l.Rel] = l.Href
			}
			if links["self"] != tc.path || links["next"] != tc.next || links["prev"] != tc.prev {
				t.Errorf("links %v; want self %s next %q prev %q", links, tc.path, tc.next, tc.prev)
			}
		})
	}
}

func TestStoreFailureIs500WithoutInternals(t *testing.T) {
	e := newEnv(t)
	e.store.fail = errors.New("pq: password authentication failed for user civmap at 10.0.0.5")
	p := problem(t, e.do(t, "GET", "/api/places", ""), 500)
	if strings.Contains(p.Detail, "password") || !strings.Contains(p.Detail, "reference") {
		t.Errorf("detail %q", p.Detail)
	}
	e.store.fail = fmt.Errorf("bolt: %w", apierr.ErrStoreBusy)
	rec := e.do(t, "GET", "/api/places", "")
	problem(t, rec, 503)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestPanicIs500(t *testing.T) {
	e := newEnv(t)
	e.store.panics = true
	p := problem(t, e.do(t, "GET", "/api/divisions/330225", ""), 500)
	if strings.Contains(p.Detail, "corrupted") {
		t.Errorf("detail leaks the panic: %q", p.Detail)
	}
}

func TestDivisions(t *testing.T) {
	e := newEnv(t)
	fc := decode[collectionOut](t, e.do(t, "GET", "/api/divisions?level=township&parent=330225", ""), 200)
	if fc.NumberMatched != 2 || fc.Features[0].ID != "330225001" || fc.Features[1].Properties["name"] != "石浦镇" ||
		fc.Features[1].Properties["parent_code"] != "330225" || fc.Features[1].Properties["level"] != "township" {
		t.Fatalf("divisions %+v", fc)
	}
	f := decode[featureOut](t, e.do(t, "GET", "/api/divisions/330225001001", ""), 200)
	if f.ID != "330225001001" || string(f.Geometry) != `{"type":"Point","coordinates":[121.85,29.45]}` ||
		f.Properties["kind"] != "community" {
		t.Errorf("village %+v %s", f, f.Geometry)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreatePlace(t *testing.T) {
	e := newEnv(t)
	body := placeJSON("", `{"name":" 新桥 ","specific":"新","generic":"桥","category":"bridge","division_codes":["330225001"],`+
		`"version":99,"created_at":"not a time","updated_at":5}`,
		`{"type":"Polygon","coordinates":[[[121.85,29.45,3],[121.85,29.46,3],[121.86,29.46,3],[121.86,29.45,3]]]}`)
	rec := e.do(t, "POST", "/api/places", body, "Content-Type", "application/geo+json")
	f := decode[featureOut](t, rec, 201)
	id, _ := f.ID.(string)
	if !uuidRE.MatchString(id) || f.Properties["id"] != id {
		t.Fatalf("generated id %q", f.ID)
	}
	if rec.Header().Get("Location") != "/api/places/"+id || rec.Header().Get("ETag") != `"1"` {
		t.Errorf("Location %q ETag %q", rec.Header().Get("Location"), rec.Header().Get("ETag"))
	}
	if f.Properties["version"] != 1.0 || f.Properties["name"] != "新桥" || f.Properties["status"] != "draft" ||
		f.Properties["created_at"] != "2024-05-06T07:08:10Z" {
		t.Errorf("properties %v", f.Properties)
	}
	// Ring closed, made counter-clockwise, z dropped.
	want := `{"type":"Polygon","coordinates":[[[121.85,29.45],[121.86,29.45],[121.86,29.46],[121.85,29.46],[121.85,29.45]]]}`
	if string(f.Geometry) != want {
		t.Errorf("geometry %s, want %s", f.Geometry, want)
	}

	// A numeric Feature id becomes the place id.
	rec = e.do(t, "POST", "/api/places", placeJSON("42", `{"name":"四二","category":"x","division_codes":["330225001"]}`, `{"type":"Point","coordinates":[121.8,29.4]}`))
	if f := decode[featureOut](t, rec, 201); f.ID != "42" {
		t.Errorf("numeric id: %v", f.ID)
	}
	// properties.id is used when the Feature has none; a Chinese id gets an escaped Location.
	rec = e.do(t, "POST", "/api/places", placeJSON("", `{"id":"象山港","name":"象山港","category":"bay","division_codes":["330225001"]}`, `{"type":"Point","coordinates":[121.8,29.4]}`))
	if f := decode[featureOut](t, rec, 201); f.ID != "象山港" || rec.Header().Get("Location") != "/api/places/%E8%B1%A1%E5%B1%B1%E6%B8%AF" {
		t.Errorf("id %v Location %q", f.ID, rec.Header().Get("Location"))
	}
}

func TestReplacePlace(t *testing.T) {
	e := newEnv(t)
	body := placeJSON(`"p1"`, `{"name":"丹城","category":"town","division_codes":["330225001"],"version":1}`, `{"type":"Point","coordinates":[121.87,29.47]}`)
	rec := e.do(t, "PUT", "/api/places/p1", body, "If-Match", `"1"`)
	f := decode[featureOut](t, rec, 200)
	if rec.Header().Get("ETag") != `"2"` || f.Properties["version"] != 2.0 || f.Properties["category"] != "town" {
		t.Fatalf("PUT: ETag %q, %v", rec.Header().Get("ETag"), f.Properties)
	}
	// Full replacement: fields absent from the body are gone.
	if _, ok := f.Properties["meaning"]; ok {
		t.Errorf("meaning survived a full replace: %v", f.Properties)
	}
	// The old ETag is now stale; * matches (the same body again is a no-op: no new version).
	problem(t, e.do(t, "PUT", "/api/places/p1", body, "If-Match", `"1"`), 412)
	if rec := e.do(t, "PUT", "/api/places/p1", body, "If-Match", `*`); rec.Code != 200 || rec.Header().Get("ETag") != `"2"` {
		t.Errorf("If-Match *: %d %s", rec.Code, rec.Body)
	}
	body = strings.Replace(body, `"category":"town"`, `"category":"town","meaning":"丹山"`, 1) // a change, not a no-op
	if rec := e.do(t, "PUT", "/api/places/p1", body, "If-Match", `"1", "2"`); rec.Code != 200 || rec.Header().Get("ETag") != `"3"` {
		t.Errorf("If-Match list: %d %s", rec.Code, rec.Body)
	}
}

func TestMergePatch(t *testing.T) {
	e := newEnv(t)
	patch := `{"properties":{"meaning":null,"short_name":"丹","attributes":{"k":{"a":1,"b":2}},"version":77,"created_at":null},` +
		`"geometry":{"type":"LineString","coordinates":[[121.86,29.46],[121.87,29.47]]}}`
	rec := e.do(t, "PATCH", "/api/places/p1", patch, "If-Match", `"1"`, "Content-Type", "application/merge-patch+json")
	f := decode[featureOut](t, rec, 200)
	if rec.Header().Get("ETag") != `"2"` {
		t.Errorf("ETag %q", rec.Header().Get("ETag"))
	}
	if _, ok := f.Properties["meaning"]; ok {
		t.Errorf("null did not delete meaning: %v", f.Properties)
	}
	if f.Properties["short_name"] != "丹" || f.Properties["history"] != "旧县城" || f.Properties["name"] != "丹城" ||
		f.Properties["version"] != 2.0 || f.Properties["created_at"] == nil {
		t.Errorf("properties %v", f.Properties)
	}
	if string(f.Geometry) != `{"type":"LineString","coordinates":[[121.86,29.46],[121.87,29.47]]}` {
		t.Errorf("geometry %s", f.Geometry)
	}
	// Nested objects merge key by key; null deletes inside them too.
	rec = e.do(t, "PATCH", "/api/places/p1", `{"properties":{"attributes":{"k":{"a":null,"c":3}}}}`, "If-Match", `"2"`)
	f = decode[featureOut](t, rec, 200)
	if got, _ := json.Marshal(f.Properties["attributes"]); string(got) != `{"k":{"b":2,"c":3}}` {
		t.Errorf("attributes %s", got)
	}
	// A geometry patch replaces, never merges members of two geometry types.
	rec = e.do(t, "PATCH", "/api/places/p1", `{"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[121.8,29.4]}]}}`, "If-Match", `"3"`)
	f = decode[featureOut](t, rec, 200)
	rec = e.do(t, "PATCH", "/api/places/p1", `{"geometry":{"type":"Point","coordinates":[121.81,29.41]}}`, "If-Match", `"4"`)
	f = decode[featureOut](t, rec, 200)
	if string(f.Geometry) != `{"type":"Point","coordinates":[121.81,29.41]}` {
		t.Errorf("geometry %s", f.Geometry)
	}
	if n := len(e.store.places["p1"]); n != 5 {
		t.Errorf("%d versions, want 5", n)
	}
}

func TestMergePatchRFC7396(t *testing.T) {
	// The examples of RFC 7396 Appendix A.
	tests := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, tc := range tests {
		target, _ := decodeAny([]byte(tc.target))
		patch, _ := decodeAny([]byte(tc.patch))
		got, _ := json.Marshal(MergePatch(target, patch))
		if string(got) != tc.want {
			t.Errorf("MergePatch(%s, %s) = %s, want %s", tc.target, tc.patch, got, tc.want)
		}
	}
}

func TestDeleteAbolishes(t *testing.T) {
	e := newEnv(t)
	rec := e.do(t, "DELETE", "/api/places/p1", "", "If-Match", `"1"`)
	f := decode[featureOut](t, rec, 200)
	if f.Properties["status"] != "abolished" || f.Properties["year_abolished"] != 2032.0 || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("DELETE answered %v, ETag %q", f.Properties, rec.Header().Get("ETag"))
	}
	// Still readable, nothing erased.
	f = decode[featureOut](t, e.do(t, "GET", "/api/places/p1", ""), 200)
	if f.Properties["status"] != "abolished" || f.Properties["meaning"] != "红色的城" || f.Properties["name"] != "丹城" {
		t.Errorf("after DELETE: %v", f.Properties)
	}
	// The history, newest first: the abolition as a patch of the status (and the year), by the signed-in reviewer.
	var hist struct {
		Items []struct {
			Version int64            `json:"version"`
			Actor   string           `json:"actor"`
			Action  string           `json:"action"`
			Patch   []map[string]any `json:"patch"`
		} `json:"items"`
		NumberMatched int `json:"numberMatched"`
	}
	rec = e.do(t, "GET", "/api/places/p1/history", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &hist); err != nil || rec.Code != 200 {
		t.Fatalf("history: %d %s", rec.Code, rec.Body)
	}
	if hist.NumberMatched != 2 || hist.Items[0].Version != 2 || hist.Items[0].Action != "delete" ||
		hist.Items[0].Actor != "测试员" || len(hist.Items[1].Patch) != 0 {
		t.Fatalf("history %+v", hist)
	}
	ops := map[string]any{}
	for _, op := range hist.Items[0].Patch {
		ops[op["path"].(string)] = op["value"]
	}
	if ops["/properties/status"] != "abolished" || ops["/properties/year_abolished"] != 2032.0 || len(ops) != 2 {
		t.Errorf("abolition patch %v", hist.Items[0].Patch)
	}
	// Hidden from the default list, found when asked for.
	fc := decode[collectionOut](t, e.do(t, "GET", "/api/places?division=330225001", ""), 200)
	if fc.NumberMatched != 2 {
		t.Errorf("default list still shows the abolished place: %+v", fc.Features)
	}
	// Abolished is the end of the workflow: deleting again is a 409 naming the status, and writes nothing.
	writes := e.store.writes
	rec = e.do(t, "DELETE", "/api/places/p6", "", "If-Match", `"1"`)
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), `status \"abolished\"`) || e.store.writes != writes {
		t.Errorf("abolished again: %d %s", rec.Code, rec.Body)
	}
}

func FuzzDecodePlaceFeature(f *testing.F) {
	f.Add([]byte(placeJSON(`"p"`, `{"name":"x","category":"y"}`, validPoly)))
	f.Add([]byte(`{"type":"Feature","id":1e400,"properties":null,"geometry":null}`))
	f.Add([]byte(`{"type":"Feature","id":"","properties":{"attributes":{"a":[1,{}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePlaceFeature(data)
		if err != nil {
			if st, _ := httpx.Classify(err); st != http.StatusBadRequest {
				t.Fatalf("decode error with status %d: %v", st, err)
			}
			return
		}
		_ = NormalizePlace(&p, nil)
	})
}

// asPrincipal signs every request in as the principal its X-Test-Principal header names ("name:role"), a reviewer
// "测试员" without one, and anonymous with "-" (the real middleware is internal/auth's).
func asPrincipal(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := edit.Principal{Name: "测试员", Role: edit.RoleReviewer}
		switch v := r.Header.Get("X-Test-Principal"); {
		case v == "-":
			h.ServeHTTP(w, r)
			return
		case v != "":
			name, role, _ := strings.Cut(v, ":")
			p = edit.Principal{Name: name, Role: edit.Role(role)}
		}
		ctx := edit.WithRequest(edit.WithPrincipal(r.Context(), p), edit.Request{ID: r.Header.Get("X-Request-Id"), ClientAddr: r.RemoteAddr})
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
