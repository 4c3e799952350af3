package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"civmap/internal/apierr"
)

func TestClassify(t *testing.T) {
	inv := apierr.Field("name", "required")
	tests := []struct {
		err    error
		status int
	}{
		{inv, 422},
		{fmt.Errorf("wrapped: %w", inv), 422},
		{BadRequest(inv), 400},
		{fmt.Errorf("place x: %w", apierr.ErrNotFound), 404},
		{apierr.ErrConflict, 409},
		{apierr.ErrVersionMismatch, 412},
		{fmt.Errorf("bolt: %w", apierr.ErrStoreBusy), 503},
		{ErrPreconditionRequired, 428},
		{errors.New("boom"), 500},
	}
	for _, tc := range tests {
		if got, _ := Classify(tc.err); got != tc.status {
			t.Errorf("Classify(%v) = %d, want %d", tc.err, got, tc.status)
		}
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		query string
		want  Page
		field string
	}{
		{"", Page{100, 0}, ""},
		{"limit=1", Page{1, 0}, ""},
		{"limit=1000&offset=7", Page{1000, 7}, ""},
		{"limit=0", Page{}, "limit"}, // never "no limit" from a request: that is the stores' internal convention
		{"limit=abc", Page{}, "limit"},
		{"limit=1001", Page{}, "limit"},
		{"limit=-1", Page{}, "limit"},
		{"limit=1.5", Page{}, "limit"},
		{"offset=-1", Page{}, "offset"},
		{"offset=x", Page{}, "offset"},
	}
	for _, tc := range tests {
		got, err := ParsePage(httptest.NewRequest("GET", "/x?"+tc.query, nil), DefaultLimit, MaxLimit)
		if tc.field == "" {
			if err != nil || got != tc.want {
				t.Errorf("%s: %+v, %v", tc.query, got, err)
			}
			continue
		}
		st, fields := Classify(err)
		if st != 400 || len(fields) != 1 || fields[0].Field != tc.field {
			t.Errorf("%s: status %d fields %+v, want 400 naming %s", tc.query, st, fields, tc.field)
		}
	}
}

func TestPageOf(t *testing.T) {
	items := []int{0, 1, 2, 3, 4}
	tests := []struct {
		p    Page
		want string
	}{
		{Page{2, 0}, "[0 1]"},
		{Page{2, 4}, "[4]"},
		{Page{2, 5}, "[]"},
		{Page{1000, 1}, "[1 2 3 4]"},
		{Page{0, 3}, "[3 4]"},
		{Page{3, 1 << 62}, "[]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(PageOf(items, tc.p)); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.p, got, tc.want)
		}
	}
}

func TestCheckQuery(t *testing.T) {
	tests := []struct {
		query string
		field string // "" = valid
	}{
		{"", ""},
		{"q=%E4%B8%B9&limit=2", ""},
		{"q=丹+城&&bbox=1,2,3,4", ""},
		{"q=", ""},
		{"name[]=a&name[]=b", ""}, // explicitly multi-valued
		{"q=%FF%FE", "q"},
		{"division=%C3", "division"},
		{"category=%ZZ", "category"},
		{"%FF=1", "%FF"},
		{"%ZZ=1", "%ZZ"},
		{"lat=29.3&lat=10", "lat"},
		{"limit=5&q=x&limit=", "limit"},
		{"st%61tus=a&status=b", "status"}, // the same name however it is escaped
		{"a=1;b=2", "a"},
		{"=x", ""},
		{"=x&=y", "query"},
	}
	for _, tc := range tests {
		err := CheckQuery(tc.query)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.query, err)
			}
			continue
		}
		st, fields := Classify(err)
		if st != 400 || len(fields) != 1 || fields[0].Field != tc.field {
			t.Errorf("%q: status %d fields %+v, want 400 naming %s", tc.query, st, fields, tc.field)
		}
	}
}

func TestIfMatch(t *testing.T) {
	current := func(v int64, err error) func() (int64, error) { return func() (int64, error) { return v, err } }
	tests := []struct {
		header string
		cur    int64
		want   int64
		status int // 0 = ok
	}{
		{`"3"`, 3, 3, 0},
		{`"3"`, 4, 3, 0}, // single tag: the store's atomic check answers 412
		{`*`, 4, 4, 0},
		{`"1", "4"`, 4, 4, 0},
		{`"1", "2"`, 4, 0, 412},
		{`W/"4"`, 4, 0, 412},
		{`4`, 4, 0, 412},
		{`"a,b", "4"`, 4, 4, 0},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("PUT", "/x", nil)
		r.Header.Set("If-Match", tc.header)
		m, err := ParseIfMatch(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Expect(current(tc.cur, nil))
		if st, _ := Classify(err); (tc.status == 0 && (err != nil || got != tc.want)) || (tc.status != 0 && st != tc.status) {
			t.Errorf("If-Match %s at %d: %d, %v", tc.header, tc.cur, got, err)
		}
	}
	r := httptest.NewRequest("PUT", "/x", nil)
	if _, err := ParseIfMatch(r); !errors.Is(err, ErrPreconditionRequired) {
		t.Errorf("no If-Match: %v", err)
	}
	r.Header.Set("If-Match", "*")
	m, _ := ParseIfMatch(r)
	if _, err := m.Expect(current(0, apierr.ErrNotFound)); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("If-Match * on an absent record: %v", err)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var v struct {
		N int `json:"n"`
	}
	tests := []struct {
		body, field, detail string
	}{
		{`{"n":1,}`, "body", "byte offset 8"},
		{`{"n":`, "body", "ends at byte offset 5"},
		{`{"n":"x"}`, "n", "integer"},
		{`{"n":1} {"n":2}`, "body", "ends at byte offset 7"},
		{`  `, "body", "empty"},
		{`{"m":1}`, "m", "unknown"},
	}
	for _, tc := range tests {
		err := UnmarshalJSON([]byte(tc.body), &v, true)
		st, fields := Classify(err)
		if st != 400 || len(fields) != 1 || fields[0].Field != tc.field || !strings.Contains(err.Error(), tc.detail) {
			t.Errorf("%s: %d %+v %v", tc.body, st, fields, err)
		}
	}
	if err := UnmarshalJSON([]byte(" {\"n\":2}\n"), &v, true); err != nil || v.N != 2 {
		t.Errorf("valid body: %v %+v", err, v)
	}
}

func TestDecodeJSONTooLarge(t *testing.T) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"a":"`+strings.Repeat("x", 100)+`"}`))
	var v any
	err := DecodeJSON(httptest.NewRecorder(), r, 50, &v)
	if st, fields := Classify(err); st != 413 || fields[0].Field != "body" {
		t.Errorf("%d %v", st, err)
	}
}

func TestFeatureCollectionJSON(t *testing.T) {
	b, err := json.Marshal(FeatureCollection{NumberMatched: Count(0)})
	if err != nil || string(b) != `{"type":"FeatureCollection","numberMatched":0,"numberReturned":0,"features":[]}` {
		t.Errorf("empty: %s %v", b, err)
	}
	b, err = json.Marshal(Feature{ID: 7, Geometry: orb.Point{121.5, 29.25}, Properties: map[string]int{"a": 1}})
	if err != nil || string(b) != `{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[121.5,29.25]},"properties":{"a":1}}` {
		t.Errorf("feature: %s %v", b, err)
	}
	b, _ = json.Marshal(Feature{ID: "", Properties: nil})
	if string(b) != `{"type":"Feature","geometry":null,"properties":null}` {
		t.Errorf("bare feature: %s", b)
	}
	if _, err := json.Marshal(Feature{Geometry: orb.Point{200, 0}}); err == nil {
		t.Error("a lon of 200 encoded")
	}
	// WriteGeoJSON turns an encoding failure into a 500 problem, not a truncated body.
	rec := httptest.NewRecorder()
	WriteGeoJSON(rec, 200, Feature{Geometry: orb.Point{200, 0}})
	if rec.Code != 500 || rec.Header().Get("Content-Type") != ProblemContentType {
		t.Errorf("bad geometry: %d %s", rec.Code, rec.Body)
	}
}

func TestRecover(t *testing.T) {
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("secret state") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != ProblemContentType || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("panic: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler not re-panicked: %v", v)
		}
	}()
	Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
}

func TestPageLinks(t *testing.T) {
	r := httptest.NewRequest("GET", "/api/places?q=%E4%B8%B9&limit=2&offset=2", nil)
	links := PageLinks(r, Page{Limit: 2, Offset: 2}, 2, 5)
	got := map[string]string{}
	for _, l := range links {
		got[l.Rel] = l.Href
	}
	want := map[string]string{
		"self": "/api/places?q=%E4%B8%B9&limit=2&offset=2",
		"next": "/api/places?limit=2&offset=4&q=%E4%B8%B9",
		"prev": "/api/places?limit=2&offset=0&q=%E4%B8%B9",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("links %v, want %v", got, want)
	}
}

func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"n":1}`))
	f.Add([]byte(`{"n":1,}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v struct {
			N int `json:"n"`
		}
		if err := UnmarshalJSON(data, &v, true); err != nil {
			if st, fields := Classify(err); st != 400 || len(fields) != 1 || fields[0].Field == "" {
				t.Fatalf("%q: %d %+v", data, st, fields)
			}
		}
	})
}

func FuzzParseIfMatch(f *testing.F) {
	f.Add(`"1", W/"2", *`)
	f.Add(`"a,b"`)
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest("PUT", "/x", nil)
		r.Header["If-Match"] = []string{h}
		m, err := ParseIfMatch(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range m.Versions {
			if v <= 0 {
				t.Fatalf("%q parsed version %d", h, v)
			}
		}
	})
}

func TestHandlerFunc(t *testing.T) {
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Get("fail") != "" {
			return fmt.Errorf("place x: %w", apierr.ErrNotFound)
		}
		WriteJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
		return nil
	})
	for _, tc := range []struct {
		url    string
		status int
		ctype  string
	}{{"/", 200, "application/json"}, {"/?fail=1", 404, ProblemContentType}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.url, nil))
		if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %q, want %d %q", tc.url, rec.Code, rec.Header().Get("Content-Type"), tc.status, tc.ctype)
		}
	}
}
